"""What a partition's run produces, as plain picklable values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FAILED_PARTITION = "failed"
"""The ``pipeline_hash`` of a failed partition's marker: it records the
partition's records as failed, but no recipe made it, so a resume removes it
and runs the partition again."""


@dataclass(slots=True)
class OpMetrics:
    """One op's work on one partition."""

    name: str
    index: int
    rows_in: int
    rows_out: int
    rows_changed: int
    seconds: float
    rows_failed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpMetrics:
        return cls(**data)

    @property
    def rows_removed(self) -> int:
        return self.rows_in - self.rows_out


@dataclass(slots=True)
class PartitionResult:
    """The outcome of a committed partition; also the body of its commit marker.

    Slotted: a driver holds one for each of ten thousand partitions and more."""

    partition_id: str
    rows_read: int
    rows_out: int
    result_file: str
    result_bytes: int
    seconds: float
    pid: int
    host: str
    attempt: int = 1
    ops: list[OpMetrics] = field(default_factory=list)
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    """Samples an op raised on: id, step (the op), error_msg, batch_num, failed_at."""
    pipeline_hash: str = ""
    """What made this result; a result made by another recipe is redone
    (so is a failed partition's record, :data:`FAILED_PARTITION`)."""
    resumed_from: str | None = None
    """The checkpoint this run of the partition started from, if any."""
    rows_skipped: int = 0
    """Rows already in the success ledger of an earlier input (``--skip-processed``)."""
    ledger: dict[str, int] = field(default_factory=dict)
    """Byte sizes of the partition's ledger segments, to detect a damaged one,
    and ``processed_at``: their timestamp (microseconds since the epoch)."""
    recovered: list[str] = field(default_factory=list)
    """Ids that had failed before and succeeded in this commit: a retry round's
    successes, or records a ``--skip-processed`` run found in an older failed
    ledger. Statistics take them out of the failed view without a scan."""
    dedup: dict[str, list[Any]] = field(default_factory=dict)
    """Each deduplicator's hashes of this commit's rows: op index (as text) ->
    [side file name in the results folder, rows, a digest of the file's bytes]."""
    rows_file: str | None = None
    """With a deduplicator in the pipeline: the side file listing the row id of
    each row of the result file, in order (the export drops the duplicates by it)."""

    @property
    def n_bad(self) -> int:
        return len(self.bad_rows)

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantined)

    @property
    def n_recovered(self) -> int:
        return len(self.recovered)

    def full(self) -> PartitionResult:
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartitionResult:
        """From a marker's body (the fast path matters: a resume reads thousands)."""
        data = dict(data)
        ops = data.get("ops")
        data["ops"] = [OpMetrics(**m) for m in ops] if ops else []
        try:
            return cls(**data)
        except TypeError:  # a key this version does not know
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
