"""Periodic CPU and memory readings of the driver and its workers."""

from __future__ import annotations

import time

import psutil

from datamill.events import EventLog, EventType
from datamill.executors import Executor


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB.

    From ``VmHWM`` where Linux has it: ``getrusage``'s ``ru_maxrss`` also
    counts the memory of the parent that forked this process before it
    exec'd, so a driver started by a big process would report that
    process's size (a benchmark harness holding ten million ids reported
    a 1 GB "driver" that never went above 200 MB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class ResourceSampler:
    """Emits a RESOURCE_USAGE event at most every ``interval`` seconds."""

    def __init__(self, executor: Executor, interval: float) -> None:
        self.executor = executor
        self.interval = interval
        self._me = psutil.Process()
        self._me.cpu_percent(None)
        self._workers: dict[int, psutil.Process] = {}
        self._next = time.monotonic() + min(interval, 2.0)

    def maybe_emit(self, events: EventLog) -> None:
        now = time.monotonic()
        if now < self._next or not events.enabled:
            return
        self._next = now + self.interval
        cpu, mem = 0.0, 0.0
        pids = self.executor.worker_pids()
        for pid in pids:
            proc = self._workers.get(pid)
            try:
                if proc is None:
                    proc = self._workers[pid] = psutil.Process(pid)
                    proc.cpu_percent(None)
                cpu += proc.cpu_percent(None)
                mem += proc.memory_info().rss / 2**20
            except psutil.Error:
                self._workers.pop(pid, None)
        events.emit(
            EventType.RESOURCE_USAGE,
            cpu_percent=self._me.cpu_percent(None),
            memory_mb=round(self._me.memory_info().rss / 2**20, 1),
            workers=len(pids),
            workers_cpu_percent=round(cpu, 1),
            workers_memory_mb=round(mem, 1),
        )
