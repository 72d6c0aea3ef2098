"""``datamill stop``: end a running job cleanly, and only that job.

Before signalling anything the stopper checks that the recorded driver is
the process that holds the job's lock right now, started when recorded and
runs the recorded command line; a PID that was reused by another process is
never signalled. A graceful stop sends SIGTERM (the driver finishes or
abandons its partitions and records ``stopped``); after ``timeout`` seconds,
or at once with ``force``, the driver and its workers get SIGKILL and the
stopper records ``stopped`` itself. Either way the job stays resumable.

``python -m datamill.control.stopper JOB [--force] [--timeout N] | --list`` is
``datamill stop``.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from datamill.atomic import write_json_atomic
from datamill.control.jobs import DEFAULT_BASE_DIR, find_job, job_info, read_summary
from datamill.control.procs import descendants, mismatch
from datamill.errors import JobError
from datamill.job.lock import JobLock, is_locked, read_holder
from datamill.job.summary import now_iso


class StopRefused(JobError):
    """The stopper would not signal the recorded process, and says why."""


class JobStopper:
    def __init__(self, job_id: str, base_dir: Path | str = DEFAULT_BASE_DIR) -> None:
        self.job_dir = find_job(job_id, base_dir)
        self.job_id = self.job_dir.name
        self.lock_path = self.job_dir / "job.lock"

    def get_job_summary(self) -> dict[str, Any]:
        return read_summary(self.job_dir)

    def is_job_running(self) -> bool:
        return is_locked(self.lock_path)

    def stop_job(self, force: bool = False, timeout: float = 30.0) -> dict[str, Any]:
        """Stop the job; return what was done. Raises StopRefused when it may not."""
        info = job_info(self.job_dir)
        if not info.running:
            return self._not_running(info.summary)
        holder = read_holder(self.lock_path)
        why = mismatch(holder, self.lock_path)
        if why is not None:
            raise StopRefused(f"Not stopping job {self.job_id}: {why}. Nothing was signalled.")
        pid = int(holder["pid"])
        children = descendants(pid)
        if not force:
            _signal(pid, signal.SIGTERM)
            if _wait_unlocked(self.lock_path, timeout):
                return self._result(True, "stopped gracefully (SIGTERM)", [pid])
        killed = [pid, *(c.pid for c in children)]
        for proc in [psutil.Process(pid), *children] if psutil.pid_exists(pid) else children:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        _wait_unlocked(self.lock_path, 10)
        self._record_stopped("forced" if force else f"killed after {timeout:g}s")
        return self._result(True, "killed (SIGKILL)" + ("" if force else f" after {timeout:g}s"), killed)

    def _not_running(self, summary: dict[str, Any]) -> dict[str, Any]:
        message = f"Job {self.job_id} is not running (no process holds its lock)"
        pid = summary.get("driver_pid")
        if summary.get("status") == "running" and isinstance(pid, int) and psutil.pid_exists(pid):
            message += f"; its recorded PID {pid} belongs to another process now and was not signalled"
        return self._result(False, message + ".", [])

    def _record_stopped(self, how: str) -> None:
        with JobLock(self.lock_path, self.job_id):
            summary = read_summary(self.job_dir)
            if summary.get("status") == "running":
                summary.update(
                    status="stopped", end_time=now_iso(), error=f"stopped by datamill stop ({how})"
                )
                write_json_atomic(self.job_dir / "job_summary.json", summary)

    def _result(self, stopped: bool, message: str, pids: list[int]) -> dict[str, Any]:
        summary = read_summary(self.job_dir)
        return {
            "job_id": self.job_id,
            "stopped": stopped,
            "message": message,
            "signalled_pids": pids,
            "status": summary.get("status"),
            "resume_command": summary.get("resume_command"),
        }


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).send_signal(sig)


def _wait_unlocked(lock: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_locked(lock):
            return True
        time.sleep(0.1)
    return not is_locked(lock)


def stop_job(
    job_id: str, base_dir: Path | str = DEFAULT_BASE_DIR, force: bool = False, timeout: float = 30.0
) -> dict[str, Any]:
    """Stop a running job (see :class:`JobStopper`)."""
    return JobStopper(job_id, base_dir).stop_job(force=force, timeout=timeout)


if __name__ == "__main__":
    from datamill.cli.main import main

    sys.exit(main(["stop", *sys.argv[1:]]))
