"""Small helpers the subcommands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from datamill.errors import ConfigError, JobError

EXIT_CODES = """\
Exit codes:
  0    completed
  1    completed with failed partitions, or failed (records set aside alone,
       in failed_tokens.parquet, do not change the code: 0)
  2    bad configuration or input (nothing was run)
  3    the job is locked: it is already running
  130  stopped (SIGINT/SIGTERM, datamill stop); resumable
"""

JOB_HELP = (
    "the job: its directory (the --work-dir of its run), or its id under --base-dir "
    "(a unique prefix is enough)"
)


def add_job_argument(p: argparse.ArgumentParser) -> None:
    """``JOB`` and ``--base-dir``: a job directory's path, or a job id and where to look for it."""
    p.add_argument("job", metavar="JOB", help=JOB_HELP)
    p.add_argument(
        "--base-dir",
        type=Path,
        default=Path("outputs"),
        help="where a job id is looked up: the recipes' work_dir (default ./outputs)",
    )


def job_dir(args: argparse.Namespace, ledger_only: bool = False) -> Path:
    """The directory ``args.job`` names; with ``ledger_only``, also any existing directory
    (a ledger without a job, such as ``datamill ledger merge`` writes)."""
    from datamill.control.jobs import find_job

    try:
        return find_job(args.job, args.base_dir)
    except JobError:
        path = Path(args.job).expanduser()
        if ledger_only and path.is_dir():
            return path
        raise


def reject_extra(extra: list[str]) -> None:
    """Commands without dotted overrides refuse stray arguments."""
    if extra:
        raise ConfigError(f"Unexpected arguments: {' '.join(extra)}.")
