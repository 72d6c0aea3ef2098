"""``datamill cleanup``: which finished jobs may go, what goes with them, what stays.

A job's data lives in its job directory and, when the recipe put them
elsewhere (``event_log_dir``, ``checkpoint_dir``), in its folders there; the
job's summary records where. Removing a job removes all of it. The job
directory holds the job's record ledger (often its only copy) and, by
default, its output, so removing it is final: cleanup first lists each job it
would remove with every place that goes and what stays (an export outside the
job directory is never touched), and removes only when told to. A job that
runs, or started since the listing, is never removed: each removal takes the
job's lock first.
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
    elsewhere: list[Path] = field(default_factory=list)
    """The job's folders outside its directory (event logs, checkpoints), removed with it."""


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
    elsewhere = []
    for what, folder in _outside_folders(job, summary):
        elsewhere.append(folder)
        goes.append(f"its {what} in {folder}")
    size = sum(_size(d) for d in (job, *elsewhere))
    return OldJob(job, status, str(summary.get("end_time") or "?"), size, goes, stays, elsewhere)


def _outside_folders(job: Path, summary: dict[str, object]) -> list[tuple[str, Path]]:
    """The job's own folders under ``event_log_dir`` and ``checkpoint_dir``, when those are
    outside its directory: ``{event_log_dir}/{job_id}`` and ``{checkpoint_dir}/{job_id}``."""
    found = []
    for what, key in (("event logs", "event_log_dir"), ("checkpoints", "checkpoint_dir")):
        where = summary.get(key)
        if not where:
            continue
        folder = Path(str(where)).resolve()
        if key == "event_log_dir" and folder.name == "event_logs":
            folder = folder.parent  # {event_log_dir}/{job_id}/event_logs
        if folder.name == job.name and folder.is_dir() and not _inside(folder, job):
            found.append((what, folder))
    return found


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _inside(path: Path, job: Path) -> bool:
    return path.resolve().is_relative_to(job)


def remove(job: OldJob) -> bool:
    """Remove the job's directory and its folders elsewhere, unless it started running since it was listed."""
    try:
        with JobLock(job.job_dir / "job.lock", job.job_dir.name):
            if str(read_summary(job.job_dir).get("status")) not in FINISHED:
                return False
            for folder in job.elsewhere:  # first: a removal cut short leaves the summary that names them
                shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(job.job_dir)
    except JobError:
        return False
    return True
