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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from datamill.control.jobs import read_summary
from datamill.control.monitor import JobProgressMonitor
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


class LiveMonitor(JobProgressMonitor):
    """The monitor of one job, keeping the new events of each refresh for :meth:`take_new`."""

    def __init__(self, job_dir: Path) -> None:
        self._new: list[pa.Table] = []
        super().__init__(str(job_dir))

    def refresh(self) -> None:
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
