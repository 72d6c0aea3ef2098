"""``datamill``: entry point and the subcommands' shared error handling.

Every :class:`DatamillError` becomes one paragraph on stderr and its exit code
(2 for bad configuration or input); nothing reaches the user as a traceback
unless it is a bug.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from datamill import __version__
from datamill.cli.common import EXIT_CODES
from datamill.errors import DatamillError

if TYPE_CHECKING:
    from rich.console import Console

COMMANDS = {
    "run": "run",
    "resume": "resume",
    "monitor": "control",
    "stop": "control",
    "jobs": "control",
    "stats": "ledger",
    "ledger": "ledger",
    "cleanup": "ledger",
    "verify": "ledger",
    "ops": "ops",
    "demo": "demo",
    "dashboard": "dashboard",
}
"""Subcommand -> the module under datamill.cli that defines it."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with a known ``command``, only its module is imported
    (``datamill monitor`` should not pay for importing the whole engine)."""
    parser = argparse.ArgumentParser(
        prog="datamill",
        description="Run long batch data-processing jobs that survive anything.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"datamill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in wanted:
        importlib.import_module(f"datamill.cli.{name}").add_parser(sub)
    return parser


def _setup_logging(console: Console) -> None:
    from rich.logging import RichHandler

    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)


def _silence_stdout() -> None:
    """The reader of our stdout went away (``datamill jobs --json | head``): point
    stdout at /dev/null so the interpreter's last flush cannot fail, and exit
    quietly, as Python's documentation recommends (signal module, SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # stdout is not a file (a test's capture): nothing will flush it to a pipe


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    if command in ("run", "resume") and not {"-h", "--help"} & set(args_list):
        from datamill.prestart import runs_on_ray, start_forkserver

        if not runs_on_ray(args_list):
            start_forkserver()  # workers get ready while the driver reads the job's state
    # What the imports make lives as long as the process: no collection while
    # they run, and none walks them afterwards (a resume allocates tens of
    # thousands of objects, and collections were a visible part of it).
    gc.disable()
    try:
        parser = build_parser(command)
        from rich.console import Console
    finally:
        gc.freeze()
        gc.enable()
    args, extra = parser.parse_known_args(args_list)
    # The process's own command line: it exits when the command returns (a caller
    # passing argv, such as a test, may run more jobs in the same process).
    args.process_ends = argv is None
    err = Console(stderr=True, soft_wrap=True)
    _setup_logging(err)
    try:
        code: int = args.handler(args, extra, err)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except DatamillError as exc:
        from rich.markup import escape

        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        return 130
    finally:
        gc.unfreeze()  # main() may be called again in the same process (tests do)


if __name__ == "__main__":
    sys.exit(main())
