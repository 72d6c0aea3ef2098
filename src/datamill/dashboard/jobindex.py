"""The jobs under the base directory, from their summaries only, for the jobs page.

A summary is parsed again only when its file changed (size or mtime), and a
job's lock is tested only when its summary says it is running (a driver
writes ``running`` into the summary as soon as it holds the lock), so a list
of thousands of jobs costs a ``stat`` each. Job ids in URLs are checked like
every job id (:func:`~datamill.job.layout.check_job_id`) and must name a job
directory right under the base directory: never a path.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datamill.control.jobs import JobInfo, read_summary
from datamill.control.monitor import rate_and_eta
from datamill.errors import ConfigError, JobError
from datamill.job.layout import check_job_id
from datamill.job.lock import is_locked

SUMMARY = "job_summary.json"


@dataclass
class _Cached:
    key: tuple[int, int]
    summary: dict[str, Any]


class JobIndex:
    """Jobs under ``base`` (a directory of jobs, or one job's directory)."""

    def __init__(self, base: Path) -> None:
        base = base.expanduser().resolve()
        self.only: str | None = None
        if (base / SUMMARY).exists():  # one job's directory
            self.only, base = base.name, base.parent
        self.base = base
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def job_dir(self, job_id: str) -> Path | None:
        """The directory of job ``job_id``, or None: an unsafe id, another job than the
        one served, or no such job."""
        try:
            check_job_id(job_id)
        except ConfigError:
            return None
        if self.only is not None and job_id != self.only:
            return None
        path = self.base / job_id
        return path if (path / SUMMARY).is_file() else None

    def infos(self) -> list[JobInfo]:
        """Every job: running first, then newest first."""
        names = [self.only] if self.only else _children(self.base)
        found = []
        with self._lock:
            for name in names:
                info = self._info(name)
                if info is not None:
                    found.append(info)
            for gone in set(self._cache) - set(names):
                del self._cache[gone]
        found.sort(key=lambda j: str(j.summary.get("start_time") or ""), reverse=True)
        found.sort(key=lambda j: not j.running)
        return found

    def rows(self) -> list[dict[str, Any]]:
        return [job_row(info) for info in self.infos()]

    def _info(self, name: str) -> JobInfo | None:
        job_dir = self.base / name
        try:
            st = os.stat(job_dir / SUMMARY)
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size)
        cached = self._cache.get(name)
        if cached is None or cached.key != key:
            try:
                summary = read_summary(job_dir)
            except JobError:
                summary = {"status": "unreadable"}
            cached = self._cache[name] = _Cached(key, summary)
        running = cached.summary.get("status") == "running" and is_locked(job_dir / "job.lock")
        return JobInfo(name, job_dir, cached.summary, running)


def _children(base: Path) -> list[str]:
    try:
        with os.scandir(base) as entries:
            return [e.name for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def job_row(info: JobInfo) -> dict[str, Any]:
    """One line of the jobs page: ``datamill jobs --json``'s fields, and rate, ETA, counts, failures."""
    counts = info.summary.get("counts", {})
    rate, eta = rate_and_eta(info.summary, info)
    return {
        **info.to_json(),
        "end_time": info.summary.get("end_time"),
        "samples_total": int(counts.get("samples_total", 0)),
        "samples_processed": int(counts.get("samples_read", 0)),
        "partitions_total": int(counts.get("partitions_total", 0)),
        "partitions_completed": int(counts.get("partitions_done", 0)),
        "partitions_failed": int(counts.get("partitions_failed", 0)),
        "samples_failed": int(counts.get("samples_quarantined", 0)) + int(counts.get("samples_bad", 0)),
        "rate_samples_per_second": rate,
        "eta_seconds": eta,
    }
