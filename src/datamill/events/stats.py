"""Folding events into what the monitor shows, incrementally.

Each batch of new events is reduced per partition and per op (Arrow kernels
and numpy; not Arrow's ``group_by``, whose engine imports pandas, which the
driver has no other use for) and merged into small dictionaries, so a refresh costs what the new
events cost, however many were read before. The state round-trips through
JSON, so the driver can leave a snapshot that spares the monitor from reading
a long log from the start.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datamill.events.types import FAILURE_TYPES, EventType
from datamill.io.arrays import numbers, scalar, strings

_PARTITION_STATES = {
    EventType.PARTITION_START.value: "running",
    EventType.PARTITION_COMPLETE.value: "completed",
    EventType.PARTITION_FAILED.value: "failed",
    EventType.PARTITION_RETRY.value: "retrying",
}
RECENT_FAILURES = 10
_PHASES = {
    EventType.JOB_START.value: "starting",
    EventType.PROCESSING_START.value: "processing",
    EventType.PROCESSING_COMPLETE.value: "finishing",
    EventType.PROCESSING_ERROR.value: "finishing",
    EventType.DEDUP_START.value: "deduplicating",
    EventType.DEDUP_COMPLETE.value: "finishing",
    EventType.JOB_COMPLETE.value: "ended",
    EventType.JOB_STOPPED.value: "ended",
    EventType.JOB_FAILED.value: "ended",
}
_DEDUP_FIELDS = (
    "type",
    "op_index",
    "op_name",
    "rows_in",
    "rows_dropped",
    "clusters",
    "duration_s",
    "reused",
)


@dataclass
class PartitionView:
    status: str = "pending"
    attempt: int = 0
    samples: int | None = None
    current_op: str | None = None
    ops_done: int = 0
    checkpoints: int = 0
    retries: int = 0
    node: str | None = None
    """Where its latest attempt started: the Ray node, or the host of the local pool."""
    saves: list[list[float]] = field(default_factory=list)
    """``[op index, epoch]`` of its latest checkpoint after each op, in op order."""


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
    phase: str | None = None
    """What the job is doing, from its phase events: ``processing``, ``deduplicating``
    (the global phase of a deduplicator), ``finishing`` (the ledger's fold, the
    export), ``ended``; None before the first."""
    dedup: list[dict[str, Any]] = field(default_factory=list)
    """Each deduplicator's global phase so far (``DEDUP_START``, then ``DEDUP_COMPLETE``'s facts)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "by_type": self.by_type,
            "partitions": {k: _row(v) for k, v in self.partitions.items()},
            "ops": [_row(v) for v in self.ops.values()],
            "checkpoints_saved": self.checkpoints_saved,
            "checkpoints_loaded": self.checkpoints_loaded,
            "recent_failures": list(self.recent_failures),
            "last_resource": self.last_resource,
            "status_counts": self.status_counts,
            "partitions_with_checkpoints": self.partitions_with_checkpoints,
            "first_epoch": self.first_epoch,
            "last_epoch": self.last_epoch,
            "phase": self.phase,
            "dedup": self.dedup,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventStats:
        """The stats saved by :meth:`to_json`; ValueError if saved by a version with other fields."""
        width = len(fields(PartitionView))
        if any(len(v) != width for v in data["partitions"].values()):
            raise ValueError("a snapshot of another version: its partitions have other fields")
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
            phase=data.get("phase"),
            dedup=data.get("dedup", []),
        )
        stats.recent_failures.extend(data["recent_failures"])
        return stats

    def update(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.events += table.num_rows
        types = table.column("type")
        for row in pc.value_counts(types).to_pylist():
            self.by_type[row["values"]] = self.by_type.get(row["values"], 0) + row["counts"]
        epochs = pc.min_max(table.column("epoch")).as_py()
        if epochs["min"] is not None:
            self.first_epoch = epochs["min"] if self.first_epoch is None else self.first_epoch
            self.last_epoch = epochs["max"]
        self._partitions(table.filter(pc.is_valid(table.column("partition_id"))))
        self._ops(table.filter(pc.equal(types, scalar(EventType.OP_COMPLETE.value))))
        self.checkpoints_saved += _count(types, EventType.CHECKPOINT_SAVE)
        self.checkpoints_loaded += _count(types, EventType.CHECKPOINT_LOAD)
        failures = table.filter(pc.is_in(types, strings([t.value for t in FAILURE_TYPES])))
        for row in failures.slice(max(0, failures.num_rows - RECENT_FAILURES)).to_pylist():
            self.recent_failures.append({k: row[k] for k in _FAILURE_FIELDS if row.get(k) is not None})
        self._phases(table.filter(pc.is_in(types, strings(list(_PHASES)))))
        resources = table.filter(pc.equal(types, scalar(EventType.RESOURCE_USAGE.value)))
        if resources.num_rows:
            row = resources.slice(resources.num_rows - 1).to_pylist()[0]
            self.last_resource = {k: row[k] for k in _RESOURCE_FIELDS}

    def _phases(self, table: pa.Table) -> None:
        """Follow the job's phases and each deduplicator's global phase (a few events per run)."""
        for row in table.select([c for c in _DEDUP_FIELDS if c in table.column_names]).to_pylist():
            kind = row["type"]
            self.phase = _PHASES[kind]
            if kind == EventType.DEDUP_START.value:
                self.phase = f"deduplicating: {row['op_name']}"
                self.dedup = [d for d in self.dedup if d["op_index"] != row["op_index"]]
                self.dedup.append({"op_index": row["op_index"], "op_name": row["op_name"], "done": False})
            elif kind == EventType.DEDUP_COMPLETE.value:
                facts = {k: row[k] for k in _DEDUP_FIELDS[1:] if row.get(k) is not None}
                self.dedup = [d for d in self.dedup if d["op_index"] != row["op_index"]]
                self.dedup.append(facts | {"done": True})

    def _partitions(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        types = table.column("type")
        lifecycle = table.filter(pc.is_in(types, strings(list(_PARTITION_STATES))))
        ids = lifecycle.column("partition_id")
        attempts = _max_by(ids, lifecycle.column("attempt"))
        samples = _last_by(ids, lifecycle.column("rows_in"))
        for pid, type_ in _last_by(ids, lifecycle.column("type")).items():
            view = self._view(pid)
            self._set_status(view, _PARTITION_STATES[type_])
            attempt = attempts.get(pid)
            if attempt is not None and attempt > view.attempt:
                view.attempt, view.ops_done, view.current_op = attempt, 0, None
            if samples.get(pid) is not None:
                view.samples = samples[pid]
        starts = table.filter(pc.equal(types, scalar(EventType.PARTITION_START.value)))
        if starts.num_rows:
            where = pc.coalesce(starts.column("node"), starts.column("host"))
            for pid, node in _last_by(starts.column("partition_id"), where).items():
                self._view(pid).node = node
        self._count(table, EventType.PARTITION_RETRY, "retries")
        self._count(table, EventType.CHECKPOINT_SAVE, "checkpoints")
        self._saves(table.filter(pc.equal(types, scalar(EventType.CHECKPOINT_SAVE.value))))
        ops = table.filter(pc.is_in(types, strings([EventType.OP_START.value, EventType.OP_COMPLETE.value])))
        ids = ops.column("partition_id")
        names = _last_by(ids, ops.column("op_name"))
        for pid, type_ in _last_by(ids, ops.column("type")).items():
            view = self._view(pid)
            view.current_op = names.get(pid) if type_ == EventType.OP_START.value else None
        done = ops.filter(pc.equal(ops.column("type"), scalar(EventType.OP_COMPLETE.value)))
        for pid, index in _max_by(done.column("partition_id"), done.column("op_index")).items():
            view = self.partitions[pid]
            view.ops_done = max(view.ops_done, (index or 0) + 1)

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
        rows = table.filter(pc.equal(table.column("type"), scalar(type_.value)))
        for row in pc.value_counts(rows.column("partition_id")).to_pylist():
            view = self._view(row["values"])
            if attr == "checkpoints" and view.checkpoints == 0:
                self.partitions_with_checkpoints += 1
            setattr(view, attr, getattr(view, attr) + row["counts"])

    def _saves(self, table: pa.Table) -> None:
        columns = (table.column(c).to_pylist() for c in ("partition_id", "op_index", "epoch"))
        for pid, index, epoch in zip(*columns, strict=True):
            if index is None:
                continue
            view = self._view(pid)
            view.saves = sorted([s for s in view.saves if s[0] != index] + [[index, epoch]])

    def _ops(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        keys, group = _groups(
            pc.binary_join_element_wise(
                pc.cast(table.column("op_index"), pa.string()), table.column("op_name"), scalar("\x1f")
            )
        )
        seconds = np.bincount(group, _floats(table.column("duration_s")), len(keys))
        rows_in = np.bincount(group, _floats(table.column("rows_in")), len(keys))
        rows_out = np.bincount(group, _floats(table.column("rows_out")), len(keys))
        runs = np.bincount(group, minlength=len(keys))
        for i, key in enumerate(keys):
            index, name = key.split("\x1f", 1)
            view = self.ops.setdefault(int(index), OpView(name, int(index)))
            view.seconds += float(seconds[i])
            view.rows_in += int(rows_in[i])
            view.rows_out += int(rows_out[i])
            view.runs += int(runs[i])


def _row(view: PartitionView | OpView) -> list[Any]:
    return [getattr(view, f.name) for f in fields(view)]


def _groups(keys: pa.ChunkedArray | pa.Array) -> tuple[list[Any], np.ndarray]:
    """The distinct keys, and each row's position among them."""
    encoded = pc.dictionary_encode(keys)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    return encoded.dictionary.to_pylist(), numbers(encoded.indices, np.int64)


def _count(types: pa.ChunkedArray, type_: EventType) -> int:
    return int(pc.sum(pc.equal(types, scalar(type_.value))).as_py() or 0)


def _floats(values: pa.ChunkedArray) -> np.ndarray:
    return numbers(values, np.float64, nulls_as=0)


def _last_by(keys: pa.ChunkedArray, values: pa.ChunkedArray) -> dict[Any, Any]:
    """Each key's last non-null value (a dict keeps the last value written to a key)."""
    valid = pc.is_valid(values)
    return dict(zip(keys.filter(valid).to_pylist(), values.filter(valid).to_pylist(), strict=True))


def _max_by(keys: pa.ChunkedArray, values: pa.ChunkedArray) -> dict[Any, int]:
    """Each key's largest non-null value (integers)."""
    valid = pc.is_valid(values)
    if not pc.any(valid).as_py():
        return {}
    distinct, group = _groups(keys.filter(valid))
    largest = np.full(len(distinct), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(largest, group, numbers(values.filter(valid), np.int64))
    return dict(zip(distinct, largest.tolist(), strict=True))


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
