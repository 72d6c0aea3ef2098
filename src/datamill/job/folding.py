"""The driver's side of folding the ledger into its root files.

Folds run in a process of their own (DuckDB and pyarrow stay out of the
driver, whose memory is a goal of its own), started by the workers' fork
server (the last one of a ``datamill`` command in a fresh process of its own,
see :func:`_stop_fork_server`), at the end of every run, on a graceful stop,
and while a run goes on:
every ``ledger.fold_interval_s`` seconds, but never more often than
:data:`SPACING` times the last fold's duration. A fold reads and rewrites the
whole ledger, so spacing them by their own cost keeps the time spent folding
a bounded share of the run: linear in the ledger's size over a whole job,
rather than a rewrite per commit. No process is started when nothing is new.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from datamill.ledger.state import fold_needed

log = logging.getLogger(__name__)

SPACING = 20.0
"""A fold waits at least this many times the previous fold's duration."""


class Folder:
    """Starts folds and collects their reports; at most one at a time."""

    def __init__(self, job_dir: Path, id_col: str, interval_s: float, last_alone: bool = False) -> None:
        self.job_dir, self.id_col, self.interval_s = job_dir, id_col, interval_s
        self.last_alone = last_alone
        """Whether the last fold runs alone: the workers' fork server stopped, the fold in a
        fresh process importing only what it needs (for a process that ends with the job)."""
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._started = 0.0
        self._next = time.monotonic() + interval_s
        self.folds = 0
        self.last: dict[str, Any] | None = None
        self.error: str | None = None

    def maybe_start(self) -> None:
        """Start a fold if one is due and none is running (called from the driver's loop)."""
        self.poll()
        if self._proc is None and self.interval_s > 0 and time.monotonic() >= self._next:
            self._next = time.monotonic() + self.interval_s
            if fold_needed(self.job_dir):
                self._start()

    def poll(self) -> None:
        if self._proc is not None and not self._proc.is_alive():
            self._collect()

    def finish(self) -> dict[str, Any] | None:
        """Wait for a running fold, then fold what is left; the last report (None if nothing to do)."""
        if self._proc is not None:
            self._proc.join()
            self._collect()
        if not fold_needed(self.job_dir):
            return None
        self._start(last=True)
        assert self._proc is not None
        self._proc.join()
        return self._collect()

    def kill(self) -> None:
        """Stop a running fold at once (the next one completes or undoes it)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._proc = None

    def _start(self, last: bool = False) -> None:
        from datamill.ledger.fold import fold_child  # (imports nothing heavy: pyarrow is the child's)

        alone = last and self.last_alone
        if alone:
            _stop_fork_server()
        ctx: Any = multiprocessing.get_context("spawn" if alone else "forkserver")  # (both make Processes)
        self._conn, child = ctx.Pipe(duplex=False)
        self._started = time.monotonic()
        mask = os.umask(0o022)
        os.umask(mask)  # (the fork server's is the one it started with: files get the driver's)
        args = (str(self.job_dir), self.id_col, os.getpid(), mask, child)
        self._proc = ctx.Process(target=fold_child, args=args, name="datamill-fold")
        self._proc.start()
        child.close()

    def _collect(self) -> dict[str, Any] | None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        assert proc is not None and conn is not None
        took = time.monotonic() - self._started  # (a failed fold is spaced by its whole time)
        self._next = time.monotonic() + max(self.interval_s, SPACING * took)
        kind, value = (
            conn.recv() if conn.poll() else ("error", f"the fold process ended with {proc.exitcode}")
        )
        conn.close()
        if kind == "error":
            self.error = str(value)
            log.warning("the ledger's root files could not be brought up to date: %s", self.error)
            return None
        self.error = None
        report: dict[str, Any] | None = value if isinstance(value, dict) else None
        if report is not None:
            self.folds += 1
            self.last = report
            # Spaced by the fold's own work, which grows with the ledger; not by
            # the process's start, a constant fraction of a second.
            self._next = time.monotonic() + max(self.interval_s, SPACING * report["seconds"])
        return report


def _stop_fork_server() -> None:
    """Stop the workers' fork server (the next pool starts it again). A fold forked from it
    shares its pages but keeps them alive with the engine's imports; a fresh process
    importing the fold's modules alone, with the server gone, is about 40 MB less at the
    run's end, for half a second of imports. (Through multiprocessing's own stopper, where
    it is; else the server stays.)"""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        stop()
