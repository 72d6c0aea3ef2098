"""The monitor, followed live: what changed since the last look, ready to push.

:class:`LiveMonitor` is :class:`~datamill.control.monitor.JobProgressMonitor`
with one addition: it hands each batch of new events to the dashboard too, so
the charts, the partition grid and the event stream are built from the very
events the monitor folded (one reader, one source of truth). It reads the log
from its start rather than from the driver's snapshot, because the charts need
the whole history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from datamill.control.commits import CommitReader, OpTotal
from datamill.control.jobs import read_summary
from datamill.control.monitor import JobProgressMonitor
from datamill.engine.results import PartitionResult
from datamill.events.log import EVENTS_FILE
from datamill.events.read import EventReader


@dataclass
class TapReader(EventReader):
    """An :class:`EventReader` that also passes every batch it reads to ``sink``."""

    sink: Callable[[pa.Table], None] | None = None

    def read_new(self) -> pa.Table:
        table = super().read_new()
        if self.sink is not None and table.num_rows:
            self.sink(table)
        return table


@dataclass
class RunningCommits(CommitReader):
    """A :class:`CommitReader` whose op totals are kept as commits are read, not summed
    over every commit at each report (which costs a second at 60,000 partitions)."""

    totals: dict[int, OpTotal] = field(default_factory=dict)
    _counted: dict[str, Any] | None = None
    """The ``committed`` dict the totals count: a reread of the index starts a new one."""
    _new_ids: list[str] = field(default_factory=list)
    _reread = False

    def refresh(self) -> None:
        super().refresh()
        self._restart_if_reread()

    def _take(self, line: bytes) -> None:
        self._restart_if_reread()
        cid = line.split(b"\t", 1)[0].decode(errors="replace")
        old = self.committed.get(cid)
        super()._take(line)
        new = self.committed.get(cid)
        if new is not old:
            if old is not None:  # a commit id seen again: its new result replaces the old
                self._add(old, -1)
            if new is not None:
                self._add(new, 1)
                self._new_ids.append(cid)

    def take_new_ids(self) -> list[str] | None:
        """The partitions committed (or committed again) since the last call; None when the
        index was read anew meanwhile (then every commit may have changed)."""
        new, reread = self._new_ids, self._reread
        self._new_ids, self._reread = [], False
        return None if reread else new

    def op_totals(self) -> list[OpTotal]:
        return [replace(self.totals[i]) for i in sorted(self.totals)]

    def _restart_if_reread(self) -> None:
        if self._counted is self.committed:
            return
        if not self._counted and not self.committed and self._counted is not None:
            self._counted = self.committed  # still no index (the reader starts afresh each time)
            return
        self._counted = self.committed
        self.totals = {}
        self._reread, self._new_ids = True, []
        for result in self.committed.values():
            self._add(result, 1)

    def _add(self, result: PartitionResult, sign: int) -> None:
        for m in result.ops:
            t = self.totals.setdefault(m.index, OpTotal(m.index, m.name))
            t.seconds += sign * m.seconds
            t.rows_in += sign * m.rows_in
            t.rows_out += sign * m.rows_out
            t.rows_failed += sign * m.rows_failed
            t.rows_changed += sign * m.rows_changed
            t.partitions += sign


class LiveMonitor(JobProgressMonitor):
    """The monitor of one job, keeping the new events of each refresh for :meth:`take_new`."""

    def __init__(self, job_dir: Path) -> None:
        self._new: list[pa.Table] = []
        super().__init__(str(job_dir))

    def refresh(self) -> None:
        if not isinstance(self.commits, RunningCommits):
            self.commits = RunningCommits(self.commits.path)
        if self._reader is None:
            log_dir = read_summary(self.job_dir).get("event_log_dir")
            if log_dir:
                self._reader = TapReader(Path(log_dir) / EVENTS_FILE, sink=self._new.append)
        super().refresh()

    def take_new(self) -> pa.Table | None:
        """The events read since the previous call, or None."""
        if not self._new:
            return None
        tables, self._new[:] = list(self._new), []
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

    def report_json(self) -> dict[str, Any]:
        """The monitor's report (without the per-partition list), as ``monitor --json`` prints it."""
        data: dict[str, Any] = self.report(False).model_dump(mode="json")
        return data

    def take_new_commits(self) -> list[str] | None:
        """See :meth:`RunningCommits.take_new_ids`."""
        assert isinstance(self.commits, RunningCommits)
        return self.commits.take_new_ids()

    def op_names(self) -> dict[int, str]:
        """Op names by index, from the events and the commits."""
        return self._op_names()
