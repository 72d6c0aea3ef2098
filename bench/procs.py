"""Watching a benchmarked command: its process tree, memory and CPU.

A command runs in a process group of its own; a thread lists its processes
(the command, its descendants and the rest of its group) until it exits and,
when asked, samples their summed PSS from ``/proc/<pid>/smaps_rollup`` every
0.2 s. PSS splits shared pages among the processes sharing them, so the sum
counts each page once.

CPU seconds are the user + system time of every process of the run, from
``getrusage(RUSAGE_CHILDREN)`` before and after it: the kernel adds a process's
times, and those of the descendants it waited for, to its parent's when the
parent waits for it. A descendant whose parent exits first (a fork server, a
pool's workers) is re-parented to the nearest subreaper; with
:func:`become_subreaper` that is this process, which waits for all of them
after the command exits, so none is left out.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil

MEMORY_INTERVAL_S = 0.2
TRACK_INTERVAL_S = 0.5
"""How often an unsampled run's processes are listed (to kill them all, and
to check that none outlives the run)."""
_PR_SET_CHILD_SUBREAPER = 36
_subreaper = False


def become_subreaper() -> None:
    """Make this process inherit its descendants' orphans, so that their CPU
    time is counted (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    global _subreaper
    _subreaper = True


def children_cpu_s() -> float:
    """User + system seconds of this process's waited-for descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_orphans(timeout: float = 15.0) -> None:
    """As a subreaper (and only then: in any other process, such as a test
    run's, children may belong to someone else), wait for every child this
    process has left, orphans it inherited included, so that their CPU time
    is counted."""
    if not _subreaper:
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                raise SystemExit("a process of the benchmarked command did not exit")
            time.sleep(0.01)


class Watched:
    """A command run in a process group of its own; its processes listed
    until it exits, and with ``memory`` their summed PSS sampled."""

    def __init__(self, cmd: list[str], log: Path, memory: bool = False) -> None:
        self.cmd, self.log, self.memory = cmd, log, memory
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # (a local Ray, never another)
        self._cpu_before = children_cpu_s()
        self.started = time.perf_counter()
        with log.open("w") as fh:
            self.proc = subprocess.Popen(cmd, stdout=fh, stderr=fh, env=env, start_new_session=True)
        self.seconds = 0.0
        self.cpu_s = 0.0
        """User + system seconds of all the run's processes (see :func:`become_subreaper`)."""
        self.ended_epoch = 0.0
        self.peak_pss = 0
        self.peak_procs = 0
        self.seen: dict[tuple[int, float], psutil.Process] = {}
        self.outside_tree: set[int] = set()
        self.watch_cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def processes(self) -> list[psutil.Process]:
        """The driver, its descendants, and the rest of its process group.

        Ray's processes are all the driver's descendants: GCS and raylet are
        its children, in its process group; raylet forks the workers, which
        move to process groups of their own (so a kill of the driver's group
        misses them). A process whose parent exits is re-parented out of the
        tree but keeps its group: the group catches those, counted in
        ``outside_tree`` and reported."""
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        pids = {p.pid for p in procs}
        for pid in psutil.pids():
            try:
                if pid not in pids and os.getpgid(pid) == self.proc.pid:
                    procs.append(psutil.Process(pid))
                    self.outside_tree.add(pid)
            except (ProcessLookupError, psutil.Error):
                pass
        return procs

    def _watch(self) -> None:
        cpu = time.thread_time()
        while not self._stop.is_set():
            total, counted = 0, 0
            for p in self.processes():
                try:
                    self.seen.setdefault((p.pid, p.create_time()), p)
                    if self.memory:
                        total += p.memory_full_info().pss
                        counted += 1
                except psutil.Error:  # it exited meanwhile
                    pass
            if total > self.peak_pss:
                self.peak_pss, self.peak_procs = total, counted
            self._stop.wait(MEMORY_INTERVAL_S if self.memory else TRACK_INTERVAL_S)
        self.watch_cpu_s = time.thread_time() - cpu

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self) -> float:
        """Wall seconds until the command exits; it must succeed, and leave no process behind."""
        code = self.proc.wait()
        self.seconds = time.perf_counter() - self.started
        self.ended_epoch = time.time()
        self._finish()
        reap_orphans()
        self.cpu_s = children_cpu_s() - self._cpu_before
        if code != 0:
            raise SystemExit(f"{' '.join(self.cmd)} exited with {code}; its output is in {self.log}")
        return self.seconds

    def kill(self) -> None:
        """SIGKILL the process group and every descendant (Ray's workers are in
        groups of their own), as a crash of the machine's job would; then wait
        until all are gone, so nothing writes to the job directory after."""
        tree = self.processes()
        os.killpg(self.proc.pid, signal.SIGKILL)
        for p in tree:
            try:
                self.seen.setdefault((p.pid, p.create_time()), p)
                p.kill()
            except psutil.NoSuchProcess:
                pass
        self.proc.wait()
        self._finish()

    def _finish(self) -> None:
        self._stop.set()
        self._thread.join()
        _, alive = psutil.wait_procs(list(self.seen.values()), timeout=15)
        alive = [p for p in alive if _running(p)]
        if alive:
            names = ", ".join(f"{p.pid} {p.name()}" for p in alive)
            for p in alive:  # (processes this benchmark started)
                p.kill()
            raise SystemExit(f"processes of {self.log.stem} outlived it (killed now): {names}")


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def machine_facts(versions: str) -> str:
    """One line: the CPU, cores, memory, kernel, Python, ``versions`` and the load."""
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
        cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: {cpu}; {psutil.cpu_count()} logical CPUs ({psutil.cpu_count(logical=False)} cores); "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; Linux {platform.release()}; "
        f"Python {platform.python_version()}; {versions}; load average {load} at start"
    )
