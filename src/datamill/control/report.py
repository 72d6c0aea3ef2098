"""The monitor's report: the documented shape of ``datamill monitor --json``.

These models are the contract of ``--json`` and of
``JobProgressMonitor.get_progress_data()``; every field is documented here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class JobOverview(_Model):
    job_id: str
    status: str
    """running, completed, completed_with_failures, failed, stopped, or
    interrupted (the summary says running but no process holds the lock)."""
    running: bool
    """Decided by the job's lock."""
    dataset_path: str | None
    job_dir: str
    start_time: str | None
    end_time: str | None
    duration_seconds: float
    driver_pid: int | None
    host: str | None
    config_hash: str | None
    resume_command: str | None
    partition_size: int | None = None
    """Rows per partition, as the plan cut them (None until the job has a plan)."""
    max_partition_size_mb: float | None = None
    phase: str | None = None
    """What a running job is doing: processing, deduplicating: {op}, finishing (fold, export)."""


class OverallProgress(_Model):
    job_status: str
    progress_percentage: float
    """Committed partitions as a share of all partitions."""
    partitions_total: int
    partitions_completed: int
    partitions_running: int
    partitions_failed: int
    partitions_pending: int
    samples_total: int
    samples_processed: int
    samples_written: int
    samples_set_aside: int
    elapsed_time_seconds: float
    rate_samples_per_second: float | None
    """Samples processed per second in this run (a resumed run counts only its own)."""
    eta_seconds: float | None
    """Time left at the observed rate; None when not running or no rate yet."""


class PartitionOp(_Model):
    """One op's work on one committed partition."""

    index: int
    name: str
    seconds: float
    rows_in: int
    rows_out: int
    rows_per_second: float | None


class CheckpointSave(_Model):
    """A partition's latest checkpoint after one op."""

    op_index: int
    op_name: str | None
    time: str


class PartitionDetail(_Model):
    partition_id: str
    status: str
    """pending, running, retrying, completed or failed."""
    samples: int | None
    """Rows read (committed), or rows in its range of the input (not yet committed)."""
    current_op: str | None
    ops_done: int
    checkpoints: int
    retries: int
    attempt: int
    node: str | None = None
    """Where its latest attempt ran: the Ray node (IP/node id), or the local pool's host."""
    index: int | None = None
    """Its position in the plan."""
    rows_out: int | None = None
    seconds: float | None = None
    """The committed attempt's time, from reading its input to its commit."""
    ops: list[PartitionOp] | None = None
    """Per op, for a committed partition (from the commit index, so complete however the log rotated)."""
    checkpoint_saves: list[CheckpointSave] = []


class PartitionStatus(_Model):
    counts: dict[str, int]
    """Partitions by status: pending, running, retrying, completed, failed."""
    partitions: list[PartitionDetail] | None
    """Per partition, with ``--detailed`` only."""


class OperationMetric(_Model):
    index: int
    name: str
    seconds: float
    rows_in: int
    rows_out: int
    rows_removed: int
    """Rows the op dropped (a filter's work): rows in - rows out - rows failed."""
    rows_failed: int = 0
    """Rows the op raised on, set aside in the failed ledger."""
    rows_changed: int = 0
    """Rows whose text the op changed (a mapper's work)."""
    rows_per_second: float | None
    runs: int
    """How many committed partitions this op ran on."""


class CheckpointByOp(_Model):
    op_index: int
    op_name: str | None
    partitions: int
    """Partitions whose latest checkpoint after this op is recorded."""


class CheckpointSummary(_Model):
    saved: int
    loaded: int
    partitions_with_checkpoints: int
    by_op: list[CheckpointByOp] = []
    last_saved_time: str | None = None


class EventLogInfo(_Model):
    path: str | None
    enabled: bool
    events_read: int
    skipped_lines: int
    """Garbled lines skipped, plus a torn last line if there is one."""
    torn_tail: bool
    by_type: dict[str, int]


class ProgressReport(_Model):
    format_version: int
    job_overview: JobOverview
    overall_progress: OverallProgress
    partition_status: PartitionStatus
    operation_metrics: list[OperationMetric]
    checkpoint_summary: CheckpointSummary
    recent_failures: list[dict[str, Any]]
    resource_usage: dict[str, Any] | None
    event_log: EventLogInfo
    deduplication: list[dict[str, Any]] = []
    """Each deduplicator's global phase: op_index, op_name, done; once done rows_in,
    rows_dropped, clusters, duration_s, reused."""
