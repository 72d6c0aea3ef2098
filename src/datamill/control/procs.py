"""Knowing a process for sure before signalling it.

A PID alone is not an identity: after a crash it may belong to anyone. A
process is the job's driver only if it holds the job's lock (per
``/proc/locks``), started at the recorded time, and runs the recorded
command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil

START_TIME_TOLERANCE_S = 0.05


def identity(pid: int | None = None) -> dict[str, Any]:
    """What identifies process ``pid`` (default: this one)."""
    proc = psutil.Process(pid or os.getpid())
    return {"pid": proc.pid, "create_time": proc.create_time(), "cmdline": proc.cmdline()}


def flock_holders(path: Path) -> set[int]:
    """PIDs holding a ``flock`` on ``path``, as the kernel reports them."""
    try:
        inode = path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return set()
    holders = set()
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            holders.add(int(fields[4]))
    return holders


def mismatch(recorded: dict[str, Any], lock_path: Path) -> str | None:
    """Why the recorded process is not the live holder of ``lock_path``; None if it is."""
    pid = recorded.get("pid")
    if not isinstance(pid, int):
        return "no driver PID is recorded"
    try:
        live = identity(pid)
    except psutil.NoSuchProcess:
        return f"process {pid} no longer exists"
    except psutil.Error as exc:
        return f"process {pid} cannot be inspected ({exc})"
    if pid not in flock_holders(lock_path):
        return f"process {pid} ({' '.join(live['cmdline'])[:80]}) does not hold the job's lock"
    if abs(live["create_time"] - float(recorded.get("create_time", 0))) > START_TIME_TOLERANCE_S:
        return f"process {pid} started at another time than the job's driver (its PID was reused)"
    if live["cmdline"] != recorded.get("cmdline"):
        return f"process {pid} runs another command ({' '.join(live['cmdline'])[:80]})"
    return None


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []
