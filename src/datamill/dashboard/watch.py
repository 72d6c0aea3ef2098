"""One watched job: its live monitor and the numbered updates a page follows.

Every :meth:`JobWatch.poll` refreshes the monitor (at most every
``min_interval`` seconds, whoever asks) and records what changed as update
number ``seq``: the report when it differs, new throughput points and
resource samples, partitions whose state changed, new events. A page that
has seen update ``n`` asks for :meth:`since` ``n`` and gets the changes after
it merged into one payload, or the whole state when it fell too far behind.
Watches are shared by every page and by ``/metrics``, so each job is read once.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict, deque
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from datamill.control.partitions import partition_details
from datamill.dashboard.failures import failures_by_step
from datamill.dashboard.grid import PartitionGrid
from datamill.dashboard.live import LiveMonitor
from datamill.dashboard.timeline import Timeline

KEEP_UPDATES = 64
REPORT_EVERY_S = 2.0
"""The monitor's report is rebuilt at most this often (at once when the job's status changes):
at 100,000 partitions it is most of an update's cost, and its numbers need no faster pace."""
FAILURES_EVERY_S = 10.0
"""The ledger's failures are read again at most this often (and only when the summary's counts of
failures changed)."""
FAILURE_COUNTS = (
    "samples_quarantined",
    "samples_bad",
    "samples_recovered",
    "partitions_failed",
    "op_failures",
)


class JobWatch:
    def __init__(self, job_dir: Path, min_interval: float = 0.5) -> None:
        self.job_dir = job_dir
        self.min_interval = min_interval
        self.lock = threading.Lock()
        self.monitor = LiveMonitor(job_dir)
        self.timeline = Timeline()
        self.grid = PartitionGrid()
        self.seq = 0
        self.updates: deque[tuple[int, dict[str, Any]]] = deque(maxlen=KEEP_UPDATES)
        self.report: dict[str, Any] = {}
        self._failures: dict[str, Any] | None = None
        self._failures_key: tuple[Any, ...] | None = None
        self._failures_next = 0.0
        self._failures_fresh = False
        self._failures_thread: threading.Thread | None = None
        self._polled = 0.0
        new = self.monitor.take_new()
        if new is not None:
            self.timeline.add(new)
        self.monitor.take_new_commits()
        self.grid.full(self.monitor)
        self._report_next = time.monotonic() + REPORT_EVERY_S
        self._report_status = (self.monitor.info.status, self.monitor.info.running)
        self.report = self.monitor.report_json()

    def poll(self, force: bool = False) -> int:
        """Refresh if due; return the latest update number."""
        with self.lock:
            if not force and time.monotonic() - self._polled < self.min_interval:
                return self.seq
            self._polled = time.monotonic()
            self.monitor.refresh()
            change = self._change()
            if change:
                self.seq += 1
                self.updates.append((self.seq, change))
            return self.seq

    def since(self, seen: int) -> dict[str, Any] | None:
        """The changes after update ``seen``, merged; None when they are no longer all kept."""
        with self.lock:
            merged: dict[str, Any] = {"seq": self.seq}
            if seen == self.seq:
                return merged
            if seen > self.seq or not self.updates or self.updates[0][0] > seen + 1:
                return None
            for n, update in self.updates:
                if n > seen:
                    _merge(merged, update)
            return merged

    def state(self) -> dict[str, Any]:
        """Everything a job page shows, as of update :attr:`seq`."""
        with self.lock:
            return {
                "seq": self.seq,
                "report": self.report,
                "grid": self.grid.snapshot(),
                "failures": self.failures(),
                **self.timeline.snapshot(),
            }

    def partition(self, index: int) -> dict[str, Any] | None:
        """Partition ``index`` of the plan, as ``monitor --detailed`` shows it; None without a plan."""
        with self.lock:
            m = self.monitor
            if m.plan is None or not 0 <= index < len(m.plan.partitions):
                return None
            one = replace(m.plan, partitions=[m.plan.partitions[index]])
            (detail,) = partition_details(one, m.commits, m.stats, m.info.running, m.op_names())
            data: dict[str, Any] = detail.model_dump(mode="json")
            return data

    def failures(self) -> dict[str, Any]:
        """Failures by step: read once when first asked, then again in the background when the
        summary counts new failures, at most every :data:`FAILURES_EVERY_S` seconds (or ten times what a read
        costs), so that reading a big ledger never holds up a live update."""
        if self._failures is None:
            self._read_failures(self._failures_state(), fresh=False)  # nobody had them: no update
        else:
            self._maybe_reread_failures()
        assert self._failures is not None
        return self._failures

    def _failures_state(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The summary, and the counts that change when the failures do."""
        summary = self.monitor.info.summary
        counts = summary.get("counts", {})
        key = (*(counts.get(k) for k in FAILURE_COUNTS), summary.get("status"))
        return key, summary

    def _maybe_reread_failures(self) -> None:
        key, summary = self._failures_state()
        busy = self._failures_thread is not None and self._failures_thread.is_alive()
        if key == self._failures_key or busy or time.monotonic() < self._failures_next:
            return
        self._failures_thread = threading.Thread(
            target=self._read_failures, args=((key, summary),), name="dashboard-failures", daemon=True
        )
        self._failures_thread.start()

    def _read_failures(self, state: tuple[tuple[Any, ...], dict[str, Any]], fresh: bool = True) -> None:
        key, summary = state
        started = time.monotonic()
        found = failures_by_step(self.job_dir, summary)
        cost = time.monotonic() - started
        self._failures, self._failures_key, self._failures_fresh = found, key, fresh
        self._failures_next = time.monotonic() + max(FAILURES_EVERY_S, 10 * cost)

    def _change(self) -> dict[str, Any]:
        change: dict[str, Any] = {}
        new = self.monitor.take_new()
        touched: list[str] = []
        if new is not None:
            added = self.timeline.add(new)
            change.update({k: v for k, v in added.items() if v})
            ids = pc.unique(new.column("partition_id").drop_null())
            touched = [str(i) for i in ids.to_pylist()]
        grid = self.grid.update(self.monitor, touched, self.monitor.take_new_commits())
        if grid is None:
            change["grid"] = self.grid.snapshot()
        elif grid:
            change["grid_changes"] = grid
        status = (self.monitor.info.status, self.monitor.info.running)
        if status != self._report_status or time.monotonic() >= self._report_next:
            self._report_next = time.monotonic() + REPORT_EVERY_S
            self._report_status = status
            report = self.monitor.report_json()
            if report != self.report:
                self.report = report
                change["report"] = report
        if self._failures is not None:
            self._maybe_reread_failures()
            if self._failures_fresh:
                self._failures_fresh = False
                change["failures"] = self._failures
        return change


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    """Fold a later update into ``into``: lists append, the grid's changes and the report replace."""
    for key, value in update.items():
        if key in ("throughput", "resources", "events"):
            into.setdefault(key, []).extend(value)
        elif key == "grid":
            into["grid"] = value
            into.pop("grid_changes", None)
        elif key == "grid_changes" and "grid" not in into:
            mine = into.setdefault("grid_changes", {"states": {}, "ops": {}})
            mine["states"].update(value["states"])
            mine["ops"].update(value["ops"])
        elif key != "grid_changes":
            into[key] = value


class Watches:
    """The watches of the jobs looked at lately (at most ``size``; the oldest is dropped).

    With ``freeze_gc`` (the server's choice), what a new watch read is moved out of the
    garbage collector's sight (:func:`gc.freeze`): the monitor of a job with 100,000
    partitions holds millions of objects for as long as the watch lives, and a full
    collection walking them all paused live updates for a third of a second. They are
    still freed when the watch is dropped (nothing in them refers back to itself)."""

    def __init__(self, size: int = 32, min_interval: float = 0.5, freeze_gc: bool = False) -> None:
        self.size = size
        self.min_interval = min_interval
        self.freeze_gc = freeze_gc
        self._watches: OrderedDict[Path, JobWatch] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_dir: Path) -> JobWatch:
        with self._lock:
            watch = self._watches.get(job_dir)
            if watch is not None:
                self._watches.move_to_end(job_dir)
                return watch
        watch = JobWatch(job_dir, self.min_interval)  # outside the lock: the first read may take a while
        if self.freeze_gc:
            gc.collect()
            gc.freeze()
        with self._lock:
            watch = self._watches.setdefault(job_dir, watch)
            while len(self._watches) > self.size:
                self._watches.popitem(last=False)
            return watch

    def cached(self, job_dir: Path) -> JobWatch | None:
        with self._lock:
            return self._watches.get(job_dir)
