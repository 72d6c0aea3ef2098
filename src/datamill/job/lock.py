"""One runner per job: an ``fcntl`` lock on ``job.lock`` in the job directory.

The lock is held for as long as the driver runs and released by the kernel
when it exits, however it exits, so "is this job running?" is answered by
trying the lock, never by guessing from a PID. The holder writes its PID and
start time into the file, for messages and for the stopper's checks.
"""

from __future__ import annotations

import fcntl
import json
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from datamill.errors import JobError


class JobLockedError(JobError):
    """The job is already running in another process."""

    exit_code = 3


def read_holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def local_time(epoch: object) -> str:
    """An epoch as a person reads it: local ISO time to the second ('?' if unknown)."""
    if not isinstance(epoch, int | float):
        return "?"
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def is_locked(path: Path) -> bool:
    """Whether some process holds the lock at ``path`` right now."""
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


class JobLock:
    def __init__(self, path: Path, job_id: str) -> None:
        self.path = path
        self.job_id = job_id
        self._fh: Any = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the job's lifetime
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            holder = read_holder(self.path)
            pid, started = holder.get("pid", "unknown"), local_time(holder.get("started"))
            raise JobLockedError(
                f"Job {self.job_id} is already running (PID {pid}, started {started}). "
                f"Wait for it to finish, or stop it with: datamill stop {self.job_id}"
            ) from None
        fh.seek(0)
        fh.truncate()
        from datamill.control.procs import identity

        holder = {**identity(), "started": time.time(), "job_id": self.job_id}
        fh.write(json.dumps(holder))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> JobLock:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
