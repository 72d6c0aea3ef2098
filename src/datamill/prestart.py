"""Start the worker pool's fork server while the driver is still importing.

The local executor starts its workers through a fork server that imports the
engine once, which takes a good part of a second. Started first thing by
``datamill run``, that import runs beside the driver's own imports and its
planning instead of after them, so a resumed job schedules its first
partition sooner. This module imports nothing of datamill's.
"""

from __future__ import annotations

FORKSERVER_PRELOAD = ["datamill.engine.preload"]


def start_forkserver() -> None:
    """Start the fork server now (it is a singleton: later pools reuse it)."""
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    forkserver.ensure_running()
