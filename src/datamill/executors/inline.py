"""Run every partition in the driver process, one at a time (``np: 1``)."""

from __future__ import annotations

from concurrent.futures import Future

from datamill.engine.partition import PartitionTask, run_partition
from datamill.engine.results import PartitionResult


class InlineExecutor:
    """The same code path as the process pool, without the processes."""

    slots = 1

    def submit(self, task: PartitionTask) -> Future[PartitionResult]:
        future: Future[PartitionResult] = Future()
        try:
            future.set_result(run_partition(task))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def shutdown(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def worker_pids(self) -> list[int]:
        return []
