"""A pool of worker processes on this machine.

Workers are started with ``forkserver`` so that they inherit no threads or
open files of the driver. Each worker builds the pipeline's ops once and keeps
them for every partition it runs.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from datamill.engine.partition import PartitionTask, run_partition
from datamill.engine.results import PartitionResult


class LocalExecutor:
    """``workers`` processes running partitions in parallel."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["datamill.engine.partition", "datamill.ops.builtin"])
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def submit(self, task: PartitionTask) -> Future[PartitionResult]:
        return self._pool.submit(run_partition, task)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
