"""Running datamill jobs as real subprocesses, to kill them for real."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start(recipe: Path, *args: str) -> subprocess.Popen[bytes]:
    """``datamill run --config recipe ARGS`` in its own process group."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "datamill", "run", "--config", str(recipe), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the driver and every worker it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def wait_for(
    predicate: Callable[[], bool], timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            return predicate()
        time.sleep(0.02)
    return False


def committed(job_dir: Path) -> int:
    return len(list((job_dir / "results").glob("*.commit")))


def summary(job_dir: Path) -> dict:
    return json.loads((job_dir / "job_summary.json").read_text())
