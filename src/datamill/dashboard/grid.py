"""The partition grid: one letter per partition of the plan, kept up to date by diffs.

A partition's state comes from the monitor's own facts: the commit index for a
committed partition (failed, or committed after retries), the folded events for
one not committed yet (running with its current op, retrying, failed). Only the
partitions named by new events or new commits are looked at again, so an update
costs what changed, not the size of the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datamill.control.monitor import JobProgressMonitor

PENDING, RUNNING, RETRYING, COMMITTED, RETRIED, FAILED = "p", "r", "t", "c", "R", "f"
STATES = {
    PENDING: "pending",
    RUNNING: "running",
    RETRYING: "retrying",
    COMMITTED: "committed",
    RETRIED: "committed after retries",
    FAILED: "failed",
}
"""The letters of the grid and what they mean (the page's legend)."""


def plan_index(partition_id: str) -> int | None:
    """A partition's position in the plan: the number its id starts with."""
    head, sep, _ = partition_id.partition("_")
    return int(head) if sep and head.isdigit() else None


class PartitionGrid:
    """Each partition's state letter, and the current op of the running ones."""

    def __init__(self) -> None:
        self.codes = bytearray()
        self.ops: dict[int, str] = {}
        self._ids: dict[int, str] = {}
        self._running: bool | None = None

    def full(self, monitor: JobProgressMonitor) -> None:
        """Compute every partition's state (first look, or the job started or stopped)."""
        size = len(monitor.plan.partitions) if monitor.plan else 0
        size = max(size, int(monitor.info.summary.get("counts", {}).get("partitions_total") or 0))
        self.codes = bytearray(PENDING.encode() * size)
        self.ops, self._ids = {}, {}
        self._running = monitor.info.running
        self._look(monitor, [*monitor.stats.partitions, *monitor.commits.committed])

    def update(
        self, monitor: JobProgressMonitor, touched: Iterable[str], new_commits: list[str] | None
    ) -> dict[str, Any] | None:
        """Look again at ``touched`` partitions and at ``new_commits``; return what changed,
        or None when everything was recomputed (the job started or stopped, or its commit
        index was read anew: ``new_commits`` None); the caller then sends :meth:`snapshot`."""
        if self._running != monitor.info.running or new_commits is None:
            self.full(monitor)
            return None
        before_ops = dict(self.ops)
        changed = self._look(monitor, [*touched, *new_commits])
        ops = {
            i: self.ops.get(i)
            for i in set(before_ops) | set(self.ops)
            if before_ops.get(i) != self.ops.get(i)
        }
        if not changed and not ops:
            return {}
        return {"states": changed, "ops": ops}

    def snapshot(self) -> dict[str, Any]:
        return {"codes": self.codes.decode(), "ops": dict(self.ops), "legend": STATES}

    def counts(self) -> dict[str, int]:
        return {name: self.codes.count(code.encode()) for code, name in STATES.items()}

    def partition_id(self, index: int) -> str | None:
        return self._ids.get(index)

    def _look(self, monitor: JobProgressMonitor, ids: Iterable[str]) -> dict[int, str]:
        changed: dict[int, str] = {}
        for pid in ids:
            index = plan_index(pid)
            if index is None:
                continue
            if index >= len(self.codes):
                self.codes.extend(PENDING.encode() * (index + 1 - len(self.codes)))
            self._ids[index] = pid
            code, op = _state(monitor, pid)
            if op is None:
                self.ops.pop(index, None)
            else:
                self.ops[index] = op
            if self.codes[index] != ord(code):
                self.codes[index] = ord(code)
                changed[index] = code
        return changed


def _state(monitor: JobProgressMonitor, pid: str) -> tuple[str, str | None]:
    """A partition's letter and, when running, its current op."""
    view = monitor.stats.partitions.get(pid)
    result = monitor.commits.committed.get(pid)
    if result is not None:
        if monitor.commits.failed(pid):
            return FAILED, None
        retries = max(view.retries if view else 0, result.attempt - 1)
        return (RETRIED if retries else COMMITTED), None
    if view is None:
        return PENDING, None
    running = monitor.info.running
    if view.status == "running" and running:
        return RUNNING, view.current_op
    if view.status == "retrying" and running:
        return RETRYING, None
    if view.status == "failed":
        return FAILED, None
    if view.status == "completed":
        return (RETRIED if view.retries else COMMITTED), None
    return PENDING, None
