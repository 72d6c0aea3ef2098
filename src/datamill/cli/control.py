"""``datamill monitor``, ``datamill stop`` and ``datamill jobs``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from datamill.cli.common import JOB_HELP, add_job_argument, reject_extra
from datamill.control.jobs import DEFAULT_BASE_DIR, format_time, list_jobs
from datamill.control.monitor import JobProgressMonitor, watch
from datamill.control.render import columns
from datamill.control.stopper import JobStopper
from datamill.errors import ConfigError
from datamill.events.log import EVENTS_FILE
from datamill.events.read import EventReader


def _base(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--base-dir", type=Path, default=DEFAULT_BASE_DIR, help="the recipes' work_dir (default ./outputs)"
    )


def add_parser(sub: Any) -> None:
    m = sub.add_parser("monitor", help="show a job's progress", description="Show a job's progress and ETA.")
    add_job_argument(m)
    m.add_argument("--detailed", action="store_true", help="show every partition")
    m.add_argument("--watch", action="store_true", help="refresh until the job ends")
    m.add_argument("--interval", type=float, default=10.0, help="seconds between refreshes (default 10)")
    m.add_argument("--json", action="store_true", help="print the report as JSON")
    m.set_defaults(handler=monitor)

    s = sub.add_parser(
        "stop",
        help="stop a running job, or list running jobs",
        description="Stop a running job; it stays resumable. With --list, list the running jobs instead.",
    )
    s.add_argument("job", metavar="JOB", nargs="?", help=JOB_HELP + "; not with --list")
    _base(s)
    s.add_argument("--list", action="store_true", help="list the running jobs instead of stopping one")
    s.add_argument("--force", action="store_true", help="SIGKILL the driver and its workers at once")
    s.add_argument("--timeout", type=float, default=30.0, help="seconds to wait after SIGTERM (default 30)")
    s.set_defaults(handler=stop)

    j = sub.add_parser("jobs", help="list jobs", description="List the jobs under a base directory.")
    _base(j)
    j.add_argument("--running", action="store_true", help="only jobs running now")
    j.add_argument("--json", action="store_true", help="print the list as JSON")
    j.set_defaults(handler=jobs)


def monitor(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    if args.interval <= 0:
        raise ConfigError(f"--interval must be a number of seconds above 0 (got {args.interval:g}).")
    mon = JobProgressMonitor(args.job, args.base_dir)
    out = Console(soft_wrap=True)
    if args.json:
        print(json.dumps(mon.get_progress_data(detailed=args.detailed), indent=2))
    elif args.watch:
        try:
            watch(mon, args.interval, args.detailed, out)
        except KeyboardInterrupt:
            return 0
    else:
        mon.display_progress(args.detailed, out)
    return 0


def stop(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    if args.list:
        if args.job:
            raise ConfigError(
                f"stop --list lists running jobs and takes no JOB (got '{args.job}'); drop one."
            )
        args.running, args.json = True, False
        return jobs(args, [], err)
    if not args.job:
        raise ConfigError("stop needs the JOB to stop (its id or directory), or --list to list running jobs.")
    result = JobStopper(args.job, args.base_dir).stop_job(force=args.force, timeout=args.timeout)
    out = Console(soft_wrap=True)
    out.print(f"{result['job_id']}: {result['message']}", highlight=False)
    if result["stopped"] and result.get("resume_command"):
        out.print(f"  to continue: {result['resume_command']}", highlight=False)
    return 0 if result["stopped"] else 1


def jobs(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    found = [j for j in list_jobs(args.base_dir) if j.running or not args.running]
    rows = []
    for info in found:
        row = info.to_json()
        log_dir = info.summary.get("event_log_dir")
        if log_dir:
            reader = EventReader(Path(log_dir) / EVENTS_FILE)
            reader.read_new()
            row["skipped_event_lines"] = reader.skipped_lines
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    out = Console(soft_wrap=True)
    if not rows or not out.is_terminal:  # piped: plain columns, nothing cut to a terminal's width
        print(_plain_jobs(rows) if rows else "no running jobs" if args.running else "no jobs")
        return 0
    table = Table(title=f"Jobs in {args.base_dir.resolve()}", title_justify="left")
    for col in ("job id", "status", "progress", "started", "duration", "note"):
        table.add_column(col, no_wrap=col == "job id")
    for row in rows:
        note = (
            f"{row['skipped_event_lines']} unreadable event line(s)" if row.get("skipped_event_lines") else ""
        )
        table.add_row(
            row["job_id"],
            row["status"],
            f"{row['progress_percentage']:.1f}%",
            format_time(row["start_time"]),
            f"{row['duration_seconds']:.0f}s",
            note,
        )
    out.print(table)
    return 0


def _plain_jobs(rows: list[dict[str, Any]]) -> str:
    head = ("job id", "status", "progress", "started", "duration", "note")
    cells = [
        (
            row["job_id"],
            row["status"],
            f"{row['progress_percentage']:.1f}%",
            format_time(row["start_time"]),
            f"{row['duration_seconds']:.0f}s",
            f"{row['skipped_event_lines']} unreadable event line(s)"
            if row.get("skipped_event_lines")
            else "",
        )
        for row in rows
    ]
    return "\n".join(columns(head, cells, left={0, 1, 3, 5}))
