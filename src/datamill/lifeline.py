"""Processes that die with the driver that started them.

A worker or a fold still running after its driver was SIGKILLed burns CPU and
races the next run. Two lines tie them to the driver:

* the kernel's parent-death signal (Linux ``PR_SET_PDEATHSIG``): the pool's
  fork server sets it against the driver (:mod:`datamill.engine.preload`), and
  every process it forks sets it against the fork server, so a driver's death
  takes the fork server and then its children with it, even a child stuck in
  C code;
* a thread in each worker watching a pipe whose write end only the driver
  holds (:func:`watch_parent`): when it reads end-of-file, the worker kills
  itself. It needs no fork server and no Linux.

The fork server cannot rely on its own "no more clients" pipe: every process
it forks keeps that pipe open. This module imports nothing of datamill's.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: be SIGKILLed when the thread that started this process ends
    (for a process forked by the fork server: when the fork server dies)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def watch_parent(sentinel: int) -> None:
    """Kill this process as soon as ``sentinel``, the read end of a pipe whose
    write end only the parent holds, reads end-of-file (the parent is gone)."""

    def watch() -> None:
        from multiprocessing.connection import wait

        wait([sentinel])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="datamill-lifeline", daemon=True).start()
