"""``datamill cleanup``: which finished jobs may go, what goes with them, what stays.

A job directory holds the job's record ledger (often its only copy) and,
by default, its output; removing it is final. So cleanup first lists each
job it would remove with what that takes along and what it leaves (an export,
event logs or checkpoints outside the job directory are never touched), and
removes only when told to. A job that runs, or started since the listing,
is never removed: each removal takes the job's lock first.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from datamill.control.jobs import read_summary
from datamill.errors import JobError
from datamill.job.lock import JobLock, is_locked

FINISHED = {"completed", "completed_with_failures", "failed", "stopped"}


@dataclass(frozen=True)
class OldJob:
    """A finished job old enough to remove, and what removing it means."""

    job_dir: Path
    status: str
    end_time: str
    size_bytes: int
    goes: list[str] = field(default_factory=list)
    stays: list[str] = field(default_factory=list)


def old_jobs(base: Path, older_than_s: float) -> list[OldJob]:
    """The finished jobs in ``base`` (or ``base`` itself, if it is a job) last touched before the cutoff."""
    cutoff = time.time() - older_than_s
    dirs = [base] if (base / "job_summary.json").exists() else sorted(base.iterdir()) if base.is_dir() else []
    found = []
    for job in dirs:
        summary_file = job / "job_summary.json"
        if not summary_file.exists() or is_locked(job / "job.lock"):
            continue
        try:
            summary = read_summary(job)
        except JobError:
            continue
        status = str(summary.get("status"))
        if status in FINISHED and summary_file.stat().st_mtime <= cutoff:
            found.append(_describe(job.resolve(), status, summary))
    return found


def _describe(job: Path, status: str, summary: dict[str, object]) -> OldJob:
    goes = ["its record ledger (successful and failed records; the only copy unless you copied it)"]
    stays = []
    export = str(summary.get("export_path") or "")
    if export.startswith("table "):
        stays.append(f"its output, {export}")
    elif export:
        (goes if _inside(Path(export), job) else stays).append(f"its output {export}")
    for what, key in (("event logs", "event_log_dir"), ("checkpoints", "checkpoint_dir")):
        where = summary.get(key)
        if where and not _inside(Path(str(where)), job):
            stays.append(f"its {what} in {where}")
    size = sum(p.stat().st_size for p in job.rglob("*") if p.is_file() and not p.is_symlink())
    return OldJob(job, status, str(summary.get("end_time") or "?"), size, goes, stays)


def _inside(path: Path, job: Path) -> bool:
    return path.resolve().is_relative_to(job)


def remove(job: OldJob) -> bool:
    """Remove the job's directory, unless it started running since it was listed."""
    try:
        with JobLock(job.job_dir / "job.lock", job.job_dir.name):
            if str(read_summary(job.job_dir).get("status")) not in FINISHED:
                return False
            shutil.rmtree(job.job_dir)
    except JobError:
        return False
    return True
