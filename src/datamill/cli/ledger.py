"""``datamill stats``, ``datamill ledger compact|merge`` and ``datamill cleanup``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from datamill.cli.common import add_job_argument, job_dir, reject_extra
from datamill.errors import JobError
from datamill.ledger.damage import reading


def add_parser(sub: Any) -> None:
    s = sub.add_parser(
        "stats",
        help="success and failure statistics of a job's ledger",
        description="Print what a job's record ledger says: successes, failures by step, top errors, rate.",
    )
    add_job_argument(s)
    s.add_argument("--json", action="store_true")
    s.add_argument(
        "--exact",
        action="store_true",
        help="scan every id in the ledger instead of reading the commit index (slower; also "
        "catches an id that appears twice in the input, once failed and once succeeded)",
    )
    s.add_argument(
        "--history",
        action="store_true",
        help="every failure ever recorded (failed_history.parquet and newer segments), not only the "
        "records that are failed now",
    )
    s.set_defaults(handler=stats)

    led = sub.add_parser("ledger", help="compact or merge record ledgers")
    verbs = led.add_subparsers(dest="verb", metavar="VERB", required=True)
    c = verbs.add_parser(
        "compact",
        help="fold a job's ledger segments into successful_tokens.parquet and failed_tokens.parquet now",
    )
    c.add_argument("job_dir", type=Path)
    c.set_defaults(handler=compact)
    m = verbs.add_parser(
        "merge",
        help="one ledger from several: each id once (latest wins); failed = failed in the latest "
        "record of it, and not succeeded since in any of them",
    )
    m.add_argument("job_dirs", type=Path, nargs="+")
    m.add_argument("--out", type=Path, required=True, help="directory to write the merged ledger to")
    m.set_defaults(handler=merge)

    v = sub.add_parser(
        "verify",
        help="compare a job's SQL table with its success ledger",
        description="Compare the keys in a job's SQL table with the ids its ledger says were written.",
    )
    add_job_argument(v)
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=verify)

    cl = sub.add_parser(
        "cleanup",
        help="list, then with --yes remove, finished old jobs (never a running one)",
        description="List the finished jobs not touched for --older-than, with what removing each "
        "takes along (its record ledger, its output if inside the job directory, its event logs and "
        "checkpoints wherever event_log_dir and checkpoint_dir put them) and what stays (an export "
        "outside the job directory is never removed). Nothing is removed without --yes.",
    )
    cl.add_argument("base_dir", type=Path, help="a directory of job directories, or one job's directory")
    cl.add_argument("--older-than", default="7d", help="age such as 7d, 12h (default 7d)")
    cl.add_argument("--yes", action="store_true", help="remove the jobs listed (default: only list them)")
    cl.add_argument("--dry-run", action="store_true", help="only list, even with --yes")
    cl.set_defaults(handler=cleanup)


def show_stats(
    job_dir: Path, as_json: bool, out: Console, exact: bool = False, history: bool = False
) -> None:
    with reading():
        _show_stats(job_dir, as_json, out, exact, history)


def _show_stats(job_dir: Path, as_json: bool, out: Console, exact: bool, history: bool) -> None:
    from datamill.ledger import LEDGER_DIR, SUCCESS_FILE, upgrade_layout
    from datamill.ledger.stats import failure_history, format_history, format_stats, ledger_stats

    upgrade_layout(job_dir)
    if not (job_dir / LEDGER_DIR).is_dir() and not (job_dir / SUCCESS_FILE).exists():
        raise JobError(
            f"{job_dir} has no record ledger (no {LEDGER_DIR}/ folder, no {SUCCESS_FILE}). "
            "Give the --work-dir of a run, or a job directory."
        )
    if history:
        report = failure_history(job_dir)
        if as_json:
            print(json.dumps(report, indent=2, default=str))
        else:
            for line in format_history(report):
                out.print(line, highlight=False)
        return
    result = ledger_stats(job_dir, exact=exact)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
        return
    for line in format_stats(result):
        out.print(line, highlight=False)


def stats(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    show_stats(
        job_dir(args, ledger_only=True),
        args.json,
        Console(soft_wrap=True),
        exact=args.exact,
        history=args.history,
    )
    return 0


def compact(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    from datamill.ledger.maintenance import compact as do_compact

    reject_extra(extra)
    with reading():
        report = do_compact(args.job_dir)
    if report is None:
        print(f"{args.job_dir}: the root files are up to date; nothing to fold.")
    else:
        print(
            f"folded {report.commits:,} commits: successful_tokens.parquet {report.successful:,} records, "
            f"failed_tokens.parquet {report.failed:,}, failed_history.parquet {report.history:,}"
        )
    return 0


def merge(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    from datamill.ledger.maintenance import merge as do_merge

    reject_extra(extra)
    with reading():
        rows = do_merge(args.job_dirs, args.out)
    for name, n in rows.items():
        print(f"{name}: {n:,} records -> {args.out / name}")
    return 0


def cleanup(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    from datamill.control.cleanup import old_jobs, remove
    from datamill.ledger.maintenance import parse_age

    reject_extra(extra)
    jobs = old_jobs(args.base_dir, parse_age(args.older_than))
    doing = args.yes and not args.dry_run
    verb = "Removing" if doing else "Would remove"
    print(f"{verb} {len(jobs)} finished job(s) untouched for {args.older_than}:")
    for job in jobs:
        print(f"  {job.job_dir} ({job.status}, ended {job.end_time}, {job.size_bytes / 1e6:,.1f} MB)")
        print(f"    goes with it: {job.goes[0]}")
        for more in job.goes[1:]:
            print(f"      and {more}")
        for kept in job.stays:
            print(f"    stays: {kept} (outside the job directory: not removed)")
    if not doing:
        if jobs:
            print("Nothing was removed. Run again with --yes to remove them.")
        return 0
    removed = 0
    for job in jobs:
        if remove(job):
            removed += 1
            print(f"removed {job.job_dir}")
        else:
            print(f"kept {job.job_dir}: it started running again")
    print(f"{removed} job(s) removed.")
    return 0


def verify(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    from datamill.ledger.verify import verify as do_verify

    reject_extra(extra)
    with reading():
        result = do_verify(job_dir(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        r = result
        print(f"table {r['table']}: {r['sink_keys']:,} rows; ledger: {r['ledger_written']:,} written")
        print(f"in the table but not in the ledger: {r['in_sink_not_in_ledger']:,} {r['examples_sink_only']}")
        print(
            f"in the ledger but not in the table: {r['in_ledger_not_in_sink']:,} {r['examples_ledger_only']}"
        )
        from datamill.ledger.verify import explain

        for line in explain(result):
            print(line)
        print("clean" if result["clean"] else "NOT clean")
    return 0 if result["clean"] else 1
