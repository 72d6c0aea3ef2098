"""Narrowing a partition down to the samples that kill its worker.

When a partition's worker keeps dying in an op (killed by a signal, out of
memory, a crash in a C extension, an op calling ``os._exit``) and its retries
are spent, the partition is not failed whole. Its rows are split in halves,
each half runs as a probe in a fresh worker (the ops only: nothing is written,
nothing committed), and a half that dies is split again, until single rows
are left: the samples that kill the worker. The partition then runs once more,
normally, with those samples left out and recorded as failed (step: the op
that was running when the worker died; error: how it died), and commits by
the usual protocol. If that run dies too, the partition fails as a whole.

The narrowing lives in the driver's memory and probes leave nothing on disk,
so a driver killed while narrowing leaves no trace: the next run retries the
partition and narrows it again, to the same samples.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from datamill.engine.spec import PartitionTask, SetAside
from datamill.errors import WorkerDied
from datamill.events import EventType

log = logging.getLogger(__name__)

MAX_KILLERS = 16
"""Probes are budgeted to find about this many killers in a partition; past
that the partition runs without the ones found, and fails whole if it dies."""


@dataclass
class _Narrowing:
    died: PartitionTask
    """The run whose worker died: probes and the final run are made from it."""
    error: WorkerDied
    budget: int
    in_flight: int = 0
    ran: int = 0
    found: list[SetAside] = field(default_factory=list)
    gave_up: bool = False


class Narrower:
    """The partitions being narrowed down, and the probes and final runs they need.

    The driver hands it a run that died (:meth:`start`) and each probe's
    outcome (:meth:`probed`); both return the tasks to run next."""

    def __init__(self, emit: Callable[..., Any]) -> None:
        self._emit = emit
        self._active: dict[str, _Narrowing] = {}
        self._narrowed: set[str] = set()
        """Commit ids narrowed in this run: a partition is narrowed once."""

    def start(self, task: PartitionTask, error: BaseException) -> list[PartitionTask]:
        """The probes to run, if ``task`` died in an op and was not narrowed yet; else none."""
        cid = task.commit_id
        if not isinstance(error, WorkerDied) or error.op_name is None or cid in self._narrowed:
            return []
        if task.probe or task.failure is not None:
            return []
        rows = task.spec.rows
        budget = 2 * MAX_KILLERS * (math.ceil(math.log2(max(rows, 2))) + 1)
        n = self._active[cid] = _Narrowing(task, error, budget)
        self._narrowed.add(cid)
        message = (
            f"partition {cid}: its worker died {task.attempt} time(s) ({error.how}, in op "
            f"'{error.op_name}'); narrowing it down to the samples that kill it, in probe runs "
            "that commit nothing"
        )
        log.warning(message)
        self._emit(
            EventType.WARNING,
            partition_id=task.spec.id,
            attempt=task.attempt,
            op_name=error.op_name,
            error_type=type(error).__name__,
            error_message=str(error),
            message=message,
        )
        return self._split(n, 0, rows)

    def probed(self, probe: PartitionTask, error: BaseException | None) -> list[PartitionTask]:
        """The tasks that follow a probe's outcome: more probes, or the partition's final run."""
        n = self._active.get(probe.commit_id)
        if n is None or probe.rows is None:
            return []
        n.in_flight -= 1
        start, stop = probe.rows
        follow: list[PartitionTask] = []
        # A probe that dies outside an op (reading, say) names no sample: nothing to split.
        if isinstance(error, WorkerDied) and error.op_name is not None:
            if stop - start == 1:
                n.found.append(SetAside(start, error.op_name, error.how))
            else:
                follow = self._split(n, start, stop)
        if n.in_flight:
            return follow
        del self._active[probe.commit_id]
        return [self._final(n)]

    def _split(self, n: _Narrowing, start: int, stop: int) -> list[PartitionTask]:
        if n.ran + 2 > n.budget:
            n.gave_up = True
            return []
        mid = (start + stop) // 2
        probes = [replace(n.died, rows=(a, b)) for a, b in ((start, mid), (mid, stop)) if b > a]
        n.in_flight += len(probes)
        n.ran += len(probes)
        return probes

    def _final(self, n: _Narrowing) -> PartitionTask:
        """The partition's run without the samples found."""
        found = sorted(n.found, key=lambda s: s.position)
        cid = n.died.commit_id
        if found:
            steps = sorted({s.step for s in found})
            message = (
                f"partition {cid}: {len(found)} sample(s) kill its worker (rows "
                f"{', '.join(str(s.position) for s in found[:20])}{'…' if len(found) > 20 else ''} "
                f"of the partition, in op {', '.join(repr(s) for s in steps)}), found in {n.ran} probes; "
                "running it without them"
            )
        else:
            message = (
                f"partition {cid}: no sample kills its worker on its own ({n.ran} probes); "
                "running it once more"
            )
        if n.gave_up:
            message += f" (probes stopped after {n.ran}: more samples may kill it)"
        log.warning(message)
        self._emit(EventType.WARNING, partition_id=n.died.spec.id, attempt=n.died.attempt, message=message)
        return replace(n.died, attempt=n.died.attempt + 1, set_aside=tuple(found))
