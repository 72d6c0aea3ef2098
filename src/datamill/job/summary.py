"""``job_summary.json``: the job's status and counts, kept current on disk.

The driver is its only writer. Each write is atomic, and writes during a run
are throttled to about one a second, so a reader (the monitor, a person with
``cat``) always finds a whole, recent summary.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from datamill.atomic import write_json_atomic
from datamill.ledger import PROGRESS_FILE

SUMMARY_FORMAT_VERSION = 1


class JobStatus(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_FAILURES = "completed_with_failures"
    FAILED = "failed"
    STOPPED = "stopped"


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


@dataclass
class Counts:
    partitions_total: int = 0
    partitions_done: int = 0
    partitions_failed: int = 0
    partitions_skipped: int = 0
    """Committed by an earlier run of the same job and not redone."""
    samples_total: int = 0
    """Rows in the input (lines for JSONL, blank lines included)."""
    samples_read: int = 0
    samples_written: int = 0
    samples_bad: int = 0
    samples_quarantined: int = 0
    """Samples an op raised on, set aside with the op's name and the error."""
    partition_retries: int = 0
    samples_skipped: int = 0
    """Rows skipped because an earlier input already processed them (--skip-processed)."""
    samples_recovered: int = 0
    """Failed samples that succeeded in a ``--retry-failed`` round."""
    partitions_redone: int = 0
    """Committed by an earlier run with a different recipe, so done again."""
    op_failures: int = 0
    """Times an op raised in this run (its ``OP_FAILED`` events); the final
    mapping report adds them up per partition over every run."""


@dataclass
class JobSummary:
    job_id: str
    config_name: str
    config_hash: str
    dataset_path: str
    export_path: str
    job_dir: str
    event_log_dir: str
    checkpoint_dir: str
    resume_command: str
    status: JobStatus = JobStatus.RUNNING
    start_time: str = field(default_factory=now_iso)
    end_time: str | None = None
    duration_seconds: float = 0.0
    driver_pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    driver_create_time: float = 0.0
    """The driver's start time (epoch), so a reused PID is never mistaken for it."""
    driver_cmdline: list[str] = field(default_factory=list)
    run_started_epoch: float = field(default_factory=time.time)
    """When this run of the job started (a resume starts a new run)."""
    samples_at_run_start: int = 0
    """Samples already processed when this run started: the rate excludes them."""
    counts: Counts = field(default_factory=Counts)
    ops: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: dict[str, Any] = field(default_factory=dict)
    failed_partitions: list[dict[str, Any]] = field(default_factory=list)
    ledger: dict[str, Any] = field(default_factory=dict)
    """The root files' last fold: rows of each, ids seen twice (``duplicate_ids``), a fold's error."""
    error: str | None = None
    resume_notes: list[str] = field(default_factory=list)
    partition_auto: dict[str, Any] | None = None
    """What ``partition.auto_configure`` chose (modality, size, max_size_mb,
    reasons, notes, sampled_rows, mean_row_bytes), as saved in the plan; null when off."""
    startup_seconds: float | None = None
    """From the process importing datamill to the first partition scheduled (or
    none left to schedule); the interpreter's own start-up is not included."""
    driver_peak_rss_mb: float | None = None
    dedup: list[dict[str, Any]] = field(default_factory=list)
    """Each deduplicator's global phase: rows in, clusters, rows dropped, seconds,
    the committed decision's file, and whether an earlier run had decided it."""
    executor: dict[str, Any] = field(default_factory=dict)
    """Where this run's partitions ran: ``type``, ``slots`` (tasks at once), and
    on Ray ``ray_address`` (null: a local Ray), ``nodes``, ``ray_start_seconds``."""
    _started: float = field(default_factory=time.monotonic, repr=False)
    _last_write: float = field(default=0.0, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["status"] = self.status.value
        return {"format_version": SUMMARY_FORMAT_VERSION, **data}

    def progress_json(self) -> dict[str, Any]:
        """Seed 000's ``progress.json``: the ledger's overview, in its field names."""
        c = self.counts
        failed = c.samples_bad + c.samples_quarantined - c.samples_recovered
        return {
            "total_scenes": c.samples_total,
            "processed_scenes": c.samples_read,
            "inserted_records": c.samples_written,
            "current_batch": c.partitions_done,
            "timestamp": datetime.now().isoformat(timespec="seconds"),
            "successful_count": c.samples_read - failed,
            "failed_count": failed,
        }

    def write(self, path: Path, force: bool = True) -> None:
        """Write the summary (and seed 000's ``progress.json`` beside it);
        without ``force``, at most about once a second."""
        now = time.monotonic()
        if not force and now - self._last_write < 1.0:
            return
        self.duration_seconds = round(now - self._started, 3)
        write_json_atomic(path, self.to_json(), durable=force)
        write_json_atomic(path.parent / PROGRESS_FILE, self.progress_json(), durable=force)
        self._last_write = now

    def finish(self, status: JobStatus, path: Path) -> None:
        self.status = status
        self.end_time = now_iso()
        self.write(path)
