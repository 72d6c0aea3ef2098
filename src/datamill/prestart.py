"""Start the worker pool's fork server while the driver is still importing.

The local executor starts its workers through a fork server that imports the
engine once, which takes a good part of a second. Started first thing by
``datamill run``, that import runs beside the driver's own imports and its
planning instead of after them, so a resumed job schedules its first
partition sooner. This module imports nothing of datamill's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FORKSERVER_PRELOAD = ["datamill.engine.preload"]
_RAY_LINE = re.compile(r"^executor_type\s*:\s*['\"]?ray", re.MULTILINE)


def runs_on_ray(argv: Sequence[str]) -> bool:
    """Whether ``datamill run ARGV`` plainly asks for Ray (a flag, or a top-level
    line of its recipe), read without parsing anything: its workers are Ray's,
    and a fork server would only take a CPU from Ray's start. A miss costs
    nothing but that."""
    args: list[str] = []
    for arg in argv:  # (--key=value as --key value)
        args.extend(arg.split("=", 1) if arg.startswith("--") else [arg])
    for i, arg in enumerate(args[:-1]):
        if arg in ("--executor_type", "--executor-type"):
            return args[i + 1].startswith("ray")
    for i, arg in enumerate(args[:-1]):
        if arg in ("--config", "-c"):
            try:
                with open(args[i + 1], encoding="utf-8", errors="replace") as fh:
                    return _RAY_LINE.search(fh.read(1 << 20)) is not None
            except OSError:
                return False
    return False


def start_forkserver() -> None:
    """Start the fork server now (it is a singleton: later pools reuse it)."""
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    forkserver.ensure_running()
