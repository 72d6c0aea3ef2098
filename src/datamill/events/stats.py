"""Folding events into what the monitor shows, incrementally.

Each batch of new events is reduced with Arrow group-bys and merged into
small per-partition and per-op dictionaries, so a refresh costs what the new
events cost, however many were read before. The state round-trips through
JSON, so the driver can leave a snapshot that spares the monitor from reading
a long log from the start.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datamill.events.types import FAILURE_TYPES, EventType

_PARTITION_STATES = {
    EventType.PARTITION_START.value: "running",
    EventType.PARTITION_COMPLETE.value: "completed",
    EventType.PARTITION_FAILED.value: "failed",
    EventType.PARTITION_RETRY.value: "retrying",
}
RECENT_FAILURES = 10


@dataclass
class PartitionView:
    status: str = "pending"
    attempt: int = 0
    samples: int | None = None
    current_op: str | None = None
    ops_done: int = 0
    checkpoints: int = 0
    retries: int = 0


@dataclass
class OpView:
    name: str
    index: int
    seconds: float = 0.0
    rows_in: int = 0
    rows_out: int = 0
    runs: int = 0


@dataclass
class EventStats:
    events: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    partitions: dict[str, PartitionView] = field(default_factory=dict)
    ops: dict[int, OpView] = field(default_factory=dict)
    checkpoints_saved: int = 0
    checkpoints_loaded: int = 0
    recent_failures: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_FAILURES))
    last_resource: dict[str, Any] | None = None
    status_counts: dict[str, int] = field(default_factory=dict)
    """Partitions seen in events, by status (kept as events arrive)."""
    partitions_with_checkpoints: int = 0
    first_epoch: float | None = None
    last_epoch: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "by_type": self.by_type,
            "partitions": {k: list(asdict(v).values()) for k, v in self.partitions.items()},
            "ops": [list(asdict(v).values()) for v in self.ops.values()],
            "checkpoints_saved": self.checkpoints_saved,
            "checkpoints_loaded": self.checkpoints_loaded,
            "recent_failures": list(self.recent_failures),
            "last_resource": self.last_resource,
            "status_counts": self.status_counts,
            "partitions_with_checkpoints": self.partitions_with_checkpoints,
            "first_epoch": self.first_epoch,
            "last_epoch": self.last_epoch,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventStats:
        stats = cls(
            events=data["events"],
            by_type=data["by_type"],
            partitions={k: PartitionView(*v) for k, v in data["partitions"].items()},
            ops={v[1]: OpView(*v) for v in data["ops"]},
            checkpoints_saved=data["checkpoints_saved"],
            checkpoints_loaded=data["checkpoints_loaded"],
            last_resource=data["last_resource"],
            status_counts=data["status_counts"],
            partitions_with_checkpoints=data["partitions_with_checkpoints"],
            first_epoch=data["first_epoch"],
            last_epoch=data["last_epoch"],
        )
        stats.recent_failures.extend(data["recent_failures"])
        return stats

    def update(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.events += table.num_rows
        types = table.column("type")
        for row in table.group_by("type").aggregate([("type", "count")]).to_pylist():
            self.by_type[row["type"]] = self.by_type.get(row["type"], 0) + row["type_count"]
        epochs = pc.min_max(table.column("epoch")).as_py()
        if epochs["min"] is not None:
            self.first_epoch = epochs["min"] if self.first_epoch is None else self.first_epoch
            self.last_epoch = epochs["max"]
        self._partitions(table.filter(pc.is_valid(table.column("partition_id"))))
        self._ops(table.filter(pc.equal(types, EventType.OP_COMPLETE.value)))
        self.checkpoints_saved += int(pc.sum(pc.equal(types, EventType.CHECKPOINT_SAVE.value)).as_py() or 0)
        self.checkpoints_loaded += int(pc.sum(pc.equal(types, EventType.CHECKPOINT_LOAD.value)).as_py() or 0)
        failures = table.filter(pc.is_in(types, pa.array([t.value for t in FAILURE_TYPES])))
        for row in failures.slice(max(0, failures.num_rows - RECENT_FAILURES)).to_pylist():
            self.recent_failures.append({k: row[k] for k in _FAILURE_FIELDS if row.get(k) is not None})
        resources = table.filter(pc.equal(types, EventType.RESOURCE_USAGE.value))
        if resources.num_rows:
            row = resources.slice(resources.num_rows - 1).to_pylist()[0]
            self.last_resource = {k: row[k] for k in _RESOURCE_FIELDS}

    def _partitions(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        types = table.column("type")
        lifecycle = table.filter(pc.is_in(types, pa.array(list(_PARTITION_STATES))))
        last = lifecycle.group_by("partition_id", use_threads=False).aggregate(
            [("type", "last"), ("attempt", "max"), ("rows_in", "last")]
        )
        for row in last.to_pylist():
            view = self._view(row["partition_id"])
            self._set_status(view, _PARTITION_STATES[row["type_last"]])
            if row["attempt_max"] is not None and row["attempt_max"] > view.attempt:
                view.attempt, view.ops_done, view.current_op = row["attempt_max"], 0, None
            if row["rows_in_last"] is not None:
                view.samples = row["rows_in_last"]
        self._count(table, EventType.PARTITION_RETRY, "retries")
        self._count(table, EventType.CHECKPOINT_SAVE, "checkpoints")
        ops = table.filter(pc.is_in(types, pa.array([EventType.OP_START.value, EventType.OP_COMPLETE.value])))
        grouped = ops.group_by("partition_id", use_threads=False).aggregate(
            [("op_name", "last"), ("type", "last")]
        )
        for row in grouped.to_pylist():
            view = self._view(row["partition_id"])
            view.current_op = row["op_name_last"] if row["type_last"] == EventType.OP_START.value else None
        done = ops.filter(pc.equal(ops.column("type"), EventType.OP_COMPLETE.value))
        for row in done.group_by("partition_id").aggregate([("op_index", "max")]).to_pylist():
            view = self.partitions[row["partition_id"]]
            view.ops_done = max(view.ops_done, (row["op_index_max"] or 0) + 1)

    def _view(self, partition_id: str) -> PartitionView:
        view = self.partitions.get(partition_id)
        if view is None:
            view = self.partitions[partition_id] = PartitionView()
            self.status_counts["pending"] = self.status_counts.get("pending", 0) + 1
        return view

    def _set_status(self, view: PartitionView, status: str) -> None:
        self.status_counts[view.status] -= 1
        self.status_counts[status] = self.status_counts.get(status, 0) + 1
        view.status = status

    def _count(self, table: pa.Table, type_: EventType, attr: str) -> None:
        rows = table.filter(pc.equal(table.column("type"), type_.value))
        for row in rows.group_by("partition_id").aggregate([("type", "count")]).to_pylist():
            view = self._view(row["partition_id"])
            if attr == "checkpoints" and view.checkpoints == 0:
                self.partitions_with_checkpoints += 1
            setattr(view, attr, getattr(view, attr) + row["type_count"])

    def _ops(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        sums = table.group_by(["op_index", "op_name"]).aggregate(
            [("duration_s", "sum"), ("rows_in", "sum"), ("rows_out", "sum"), ("type", "count")]
        )
        for row in sums.to_pylist():
            view = self.ops.setdefault(row["op_index"], OpView(row["op_name"], row["op_index"]))
            view.seconds += row["duration_s_sum"] or 0.0
            view.rows_in += row["rows_in_sum"] or 0
            view.rows_out += row["rows_out_sum"] or 0
            view.runs += row["type_count"]


_FAILURE_FIELDS = (
    "time",
    "type",
    "partition_id",
    "op_name",
    "attempt",
    "error_type",
    "error_message",
    "message",
)
_RESOURCE_FIELDS = ("time", "cpu_percent", "memory_mb", "workers", "workers_cpu_percent", "workers_memory_mb")
