"""What the monitor and the stopper share, as seed 001's ``job.common`` names it.

    from datamill.control.common import JobUtils, list_running_jobs, is_final

    running_jobs = list_running_jobs()          # [{"job_id": ..., "status": "running", ...}]
    job_utils = JobUtils("20250728_233517_510abf")
    summary = job_utils.load_job_summary()       # job_summary.json as a dict
    events = job_utils.load_event_logs()         # every event, across rotated files, oldest first
    partition_status = job_utils.get_partition_status()  # partition id -> its status and counts

A missing job raises :class:`JobNotFound`, which is also a ``FileNotFoundError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datamill.control.jobs import (
    DEFAULT_BASE_DIR,
    FINAL_STATES,
    JobNotFound,
    find_job,
    is_final,
    job_info,
    list_running_jobs,
    read_summary,
)
from datamill.events.log import EVENTS_FILE
from datamill.events.read import SCHEMA, EventReader

__all__ = ["FINAL_STATES", "JobNotFound", "JobUtils", "is_final", "list_running_jobs"]


class JobUtils:
    """Read-only access to one job's files."""

    def __init__(self, job_id: str, base_dir: Path | str = DEFAULT_BASE_DIR) -> None:
        self.job_dir = find_job(job_id, base_dir)
        self.job_id = self.job_dir.name

    def load_job_summary(self) -> dict[str, Any]:
        """``job_summary.json`` as the driver last wrote it, with ``status`` as the lock
        decides it (``interrupted`` when its driver died)."""
        info = job_info(self.job_dir)
        return {**info.summary, "status": info.status}

    def events_file(self) -> Path | None:
        """The job's ``events.jsonl``; None with ``event_logging.enabled: false``."""
        where = read_summary(self.job_dir).get("event_log_dir")
        return Path(where) / EVENTS_FILE if where else None

    def load_event_logs(self) -> list[dict[str, Any]]:
        """Every event still on disk, from the oldest rotated file to the newest line,
        each with the fields it was written with. Garbled lines are skipped."""
        path = self.events_file()
        if path is None:
            return []
        table = EventReader(path, schema=SCHEMA).read_new()
        return [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]

    def get_partition_status(self) -> dict[str, dict[str, Any]]:
        """Each partition of the plan (pending ones too), by id: status, samples,
        ops done, checkpoints, attempt; committed ones also rows out, seconds and per-op metrics."""
        from datamill.control.monitor import JobProgressMonitor

        monitor = JobProgressMonitor(str(self.job_dir))
        partitions = monitor.get_progress_data(detailed=True)["partition_status"]["partitions"]
        return {p["partition_id"]: p for p in partitions}
