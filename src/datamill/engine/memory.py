"""Giving a worker's memory back between partitions.

A partition's rows pass through Python strings and Arrow buffers. Freed, they
stay with the process: Python's allocator keeps its arenas, C's ``malloc``
keeps freed blocks below the top of its heap, and Arrow's pool keeps its
pages for reuse. A worker idle between partitions, or one that just ran a
large partition, would hold its high-water mark for the rest of the job;
and as each op's garbage piles on the last one's, the high-water mark is that
of all the ops together. The partition function gives it back after reading
and after each op, the worker after each partition: about a millisecond a
time, and a worker's memory at np=2 on web text went from about 100 MB to
about 50 MB. The driver does the same every few seconds (:class:`Releaser`):
reading the plan, the results and the events leaves freed blocks in C's heap
that it would otherwise hold, about 30 MB on a 100,000-document job.
"""

from __future__ import annotations

import ctypes
import functools
import sys
import time
from collections.abc import Callable


def release_memory() -> None:
    """Return the memory freed by the last partition to the operating system."""
    pa = sys.modules.get("pyarrow")  # (a driver resuming a job never imports it: nothing to release)
    if pa is not None:
        pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:  # (the process's own symbols, libc's among them: no library search, no subprocess)
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


class Releaser:
    """Calls :func:`release_memory` at most every ``interval_s`` seconds (the driver's loop),
    the first time at once: what planning the job left behind."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self._next = 0.0

    def maybe_release(self) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.interval_s
            release_memory()
