"""Finding jobs under a base directory, and whether each is running.

"Running" is decided by the job's lock: a job whose summary says running but
whose lock nobody holds was interrupted (its driver died) and is resumable.
"""

from __future__ import annotations

import glob
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from datamill.errors import JobError
from datamill.job.lock import is_locked

DEFAULT_BASE_DIR = Path("outputs")

FINAL_STATES = frozenset({"completed", "completed_with_failures", "failed", "stopped", "interrupted"})
"""The statuses a job ends in: it will not change again until someone resumes it.
``interrupted`` is a job whose summary says running but whose lock nobody holds
(its driver died); the others are :class:`~datamill.job.summary.JobStatus` values."""


def is_final(status: str) -> bool:
    """Whether a job with this status has ended (see :data:`FINAL_STATES`)."""
    return status in FINAL_STATES


class JobNotFound(JobError, FileNotFoundError):
    """No job by that id or path. Also a ``FileNotFoundError``, so code written
    for Data-Juicer's monitor (``except FileNotFoundError``) works unchanged."""


@dataclass
class JobInfo:
    job_id: str
    job_dir: Path
    summary: dict[str, Any]
    running: bool

    @property
    def status(self) -> str:
        recorded = str(self.summary.get("status", "unknown"))
        if self.running:
            return "running"
        return "interrupted" if recorded == "running" else recorded

    @property
    def progress(self) -> float:
        counts = self.summary.get("counts", {})
        total = counts.get("partitions_total") or 0
        return 100.0 * (counts.get("partitions_done", 0) / total) if total else 0.0

    @property
    def duration(self) -> float:
        if self.running:
            started = self.summary.get("run_started_epoch") or time.time()
            return float(time.time() - started)
        return float(self.summary.get("duration_seconds") or 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status,
            "running": self.running,
            "progress_percentage": round(self.progress, 2),
            "start_time": self.summary.get("start_time"),
            "duration_seconds": round(self.duration, 3),
            "job_dir": str(self.job_dir),
            "driver_pid": self.summary.get("driver_pid"),
        }


def read_summary(job_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((job_dir / "job_summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise JobError(
            f"{job_dir / 'job_summary.json'} is damaged (not valid JSON: {exc}). Resuming the job "
            f"(datamill resume {job_dir}) writes it anew; or remove the job directory."
        ) from None
    return data if isinstance(data, dict) else {}


def job_info(job_dir: Path) -> JobInfo:
    return JobInfo(job_dir.name, job_dir, read_summary(job_dir), is_locked(job_dir / "job.lock"))


def list_jobs(base_dir: Path | str = DEFAULT_BASE_DIR) -> list[JobInfo]:
    """Every job under ``base_dir``, newest first."""
    base = Path(base_dir)
    if not base.is_dir():
        return []
    dirs = [d for d in base.iterdir() if (d / "job_summary.json").exists()]
    jobs = [job_info(d) for d in dirs]
    return sorted(jobs, key=lambda j: str(j.summary.get("start_time", "")), reverse=True)


def list_running_jobs(base_dir: Path | str = DEFAULT_BASE_DIR) -> list[dict[str, Any]]:
    """The jobs under ``base_dir`` whose driver holds the lock right now."""
    return [j.to_json() for j in list_jobs(base_dir) if j.running]


def find_job(job: str, base_dir: Path | str = DEFAULT_BASE_DIR) -> Path:
    """The directory of ``job``: a job directory's path (seed 000's ``--work-dir``),
    or a job id under ``base_dir`` (a unique prefix is enough)."""
    path = Path(job).expanduser()
    if (path / "job_summary.json").exists():
        return path.resolve()
    base = Path(base_dir)
    matches = (
        sorted(d for d in base.glob(glob.escape(job) + "*") if (d / "job_summary.json").exists())
        if base.is_dir() and job and "/" not in job
        else []
    )
    if (base / job / "job_summary.json").exists():
        matches = [base / job]
    if len(matches) == 1:
        return matches[0]
    if not matches and path.is_dir():
        raise JobNotFound(
            f"{path} is not a job directory (it has no job_summary.json), and no job id under "
            f"{base.resolve()} starts with '{job}'."
        )
    if not matches:
        raise JobNotFound(
            f"No job '{job}': no such job directory, nor a job id under {base.resolve()}. Give the job's "
            "directory (the --work-dir of its run), or its id with --base-dir; list jobs with: "
            f"datamill jobs --base-dir {base}"
        )
    names = ", ".join(m.name for m in matches[:5])
    raise JobError(f"'{job}' matches {len(matches)} jobs ({names}); give more of the id.")


def format_time(iso: str | None) -> str:
    if not iso:
        return "-"
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso
