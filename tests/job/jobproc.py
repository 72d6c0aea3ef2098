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
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


def start(recipe: Path, *args: str) -> subprocess.Popen[bytes]:
    """``datamill run --config recipe ARGS`` in its own process group."""
    # This checkout's source first: an installed datamill may be another checkout's.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
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


def write_recipe(tmp_path: Path, data: Path, name: str, process: list[Any], **keys: Any) -> Path:
    """A recipe for a two-worker job of 20-row partitions, exporting ``{name}.jsonl``."""
    raw = {
        "dataset_path": str(data),
        "export_path": str(tmp_path / f"{name}.jsonl"),
        "work_dir": str(tmp_path / "jobs"),
        "np": 2,
        "partition": {"size": 20},
        "process": process,
        **keys,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path
