"""What the charts and the event stream show, folded from each batch of new events.

Throughput is the rows of the partitions completed in each second (from
``PARTITION_COMPLETE``), resources are the ``RESOURCE_USAGE`` samples, and the
event stream keeps the latest events. Each :meth:`Timeline.add` returns only
what the batch added, which is what a live update sends.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datamill.events.types import LEVELS, EventType
from datamill.io.arrays import numbers, scalar

KEEP_EVENTS = 2000
"""Events the stream keeps for a page that opens late."""
SEND_EVENTS = 500
"""At most this many of a batch's events go out in one update (the newest)."""
RESOURCE_COLUMNS = (
    "epoch",
    "cpu_percent",
    "memory_mb",
    "workers",
    "workers_cpu_percent",
    "workers_memory_mb",
)
EVENT_COLUMNS = (
    "time",
    "epoch",
    "type",
    "partition_id",
    "op_name",
    "op_index",
    "attempt",
    "rows_in",
    "rows_out",
    "duration_s",
    "node",
    "error_type",
    "error_message",
    "message",
)


class Timeline:
    def __init__(self) -> None:
        self.rows_by_second: dict[int, int] = {}
        """Rows of partitions completed in each second (epoch seconds)."""
        self.resources: list[list[float | None]] = []
        """``RESOURCE_USAGE`` samples: epoch, driver CPU %, driver MB, workers, workers' CPU %, MB."""
        self.events: deque[dict[str, Any]] = deque(maxlen=KEEP_EVENTS)
        self.seen = 0

    def add(self, table: pa.Table) -> dict[str, Any]:
        """Fold a batch of events; return what it added (``throughput`` as absolute
        per-second totals for the seconds it touched, ``resources``, ``events``)."""
        self.seen += table.num_rows
        types = table.column("type")
        done = table.filter(pc.equal(types, scalar(EventType.PARTITION_COMPLETE.value)))
        throughput = self._throughput(done) if done.num_rows else []
        usage = table.filter(pc.equal(types, scalar(EventType.RESOURCE_USAGE.value)))
        resources = _columns(usage, RESOURCE_COLUMNS) if usage.num_rows else []
        self.resources.extend(resources)
        newest = table.slice(max(0, table.num_rows - SEND_EVENTS))
        events = [_event(row) for row in newest.select(list(EVENT_COLUMNS)).to_pylist()]
        self.events.extend(events)
        return {"throughput": throughput, "resources": resources, "events": events}

    def snapshot(self) -> dict[str, Any]:
        return {
            "throughput": [[s, n] for s, n in sorted(self.rows_by_second.items())],
            "resources": self.resources,
            "events": list(self.events),
        }

    def _throughput(self, done: pa.Table) -> list[list[int]]:
        seconds = numbers(done.column("epoch"), np.float64, nulls_as=0).astype(np.int64)
        rows = numbers(done.column("rows_in"), np.int64, nulls_as=0)
        keys, where = np.unique(seconds, return_inverse=True)
        sums = np.bincount(where, rows, len(keys)).astype(np.int64)
        touched = []
        for second, n in zip(keys.tolist(), sums.tolist(), strict=True):
            self.rows_by_second[second] = self.rows_by_second.get(second, 0) + n
            touched.append([second, self.rows_by_second[second]])
        return touched


def _columns(table: pa.Table, names: tuple[str, ...]) -> list[list[float | None]]:
    columns = [table.column(n).to_pylist() for n in names]
    return [list(row) for row in zip(*columns, strict=True)]


def _event(row: dict[str, Any]) -> dict[str, Any]:
    event = {k: v for k, v in row.items() if v is not None}
    level = LEVELS.get(str(row.get("type")))
    event["level"] = level.value if level is not None else "INFO"
    return event
