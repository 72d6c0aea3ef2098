"""Run every partition in the driver process, one at a time (``np: 1``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from datamill.engine.partition import run_task, set_event_sink
from datamill.engine.results import PartitionResult
from datamill.engine.spec import PartitionTask


class InlineExecutor:
    """The same code path as the process pool, without the processes."""

    slots = 1

    def __init__(self, on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.on_event = on_event
        self.first_dispatch: float | None = None

    def submit(self, task: PartitionTask) -> Future[PartitionResult]:
        future: Future[PartitionResult] = Future()
        if self.first_dispatch is None:
            self.first_dispatch = time.time()
        set_event_sink(self.on_event)
        try:
            future.set_result(run_task(task))
        except Exception as exc:
            future.set_exception(exc)
        finally:
            set_event_sink(None)
        return future

    def shutdown(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def worker_pids(self) -> list[int]:
        return []
