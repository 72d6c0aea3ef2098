"""The driver's side of folding the ledger into its root files.

Folds run in a process of their own (DuckDB and pyarrow stay out of the
driver, whose memory is a goal of its own), at the end of every run, on a
graceful stop, and while a run goes on: every ``ledger.fold_interval_s``
seconds, but never more often than :data:`SPACING` times the last fold's
duration. A fold reads and rewrites the whole ledger, so spacing them by
their own cost keeps the time spent folding a bounded share of the run,
linear in the ledger's size over a whole job rather than a rewrite per commit.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SPACING = 20.0
"""A fold waits at least this many times the previous fold's duration."""


class Folder:
    """Starts folds and collects their reports; at most one at a time."""

    def __init__(self, job_dir: Path, id_col: str, interval_s: float) -> None:
        self.job_dir, self.id_col, self.interval_s = job_dir, id_col, interval_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self._next = time.monotonic() + interval_s
        self.folds = 0
        self.last: dict[str, Any] | None = None
        self.error: str | None = None

    def maybe_start(self) -> None:
        """Start a fold if one is due and none is running (called from the driver's loop)."""
        self.poll()
        if self._proc is None and self.interval_s > 0 and time.monotonic() >= self._next:
            self._start()

    def poll(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            self._collect()

    def finish(self) -> dict[str, Any] | None:
        """Wait for a running fold, then fold what is left; the last report (None if nothing to do)."""
        if self._proc is not None:
            self._proc.wait()
            self._collect()
        self._start()
        assert self._proc is not None
        self._proc.wait()
        return self._collect()

    def kill(self) -> None:
        """Stop a running fold at once (the next one completes or undoes it)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def _start(self) -> None:
        self._started = time.monotonic()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "datamill.ledger.fold", str(self.job_dir), self.id_col, str(os.getpid())],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )

    def _collect(self) -> dict[str, Any] | None:
        proc, self._proc = self._proc, None
        assert proc is not None
        out, err = proc.communicate()
        took = time.monotonic() - self._started  # (a failed fold: spaced by its whole time)
        self._next = time.monotonic() + max(self.interval_s, SPACING * took)
        if proc.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            self.error = (lines[-1] if lines else f"the fold process exited with code {proc.returncode}")[
                :500
            ]
            log.warning("the ledger's root files could not be brought up to date: %s", self.error)
            return None
        self.error = None
        report: dict[str, Any] | None = json.loads(out.decode() or "null")
        if report is not None:
            self.folds += 1
            self.last = report
            # Spaced by the fold's own work, which grows with the ledger; not by
            # the process's start, a constant second or less.
            self._next = time.monotonic() + max(self.interval_s, SPACING * report["seconds"])
        return report
