"""Benchmark: the monitor on a large event log.

Writes a synthetic event log of N events (default 1,000,000: partitions of
16 events each, as a six-op job with checkpoints writes them) through the
driver's own writer, with its default rotation, then measures:
- ``datamill monitor JOB --json`` as a subprocess, wall time (best of 3);
- a ``--watch`` refresh (read what was appended, rebuild the report) after
  1,000 new events, for a log of 10,000 events and one of N events already
  read (median of 5).

    python bench/bench_monitor.py [--events 1000000]

Goals: ``--json`` answers in at most 1 s; the refresh costs the same at
10,000 and at N events already read.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import HERE
from synthetic_events import PER_PARTITION, partition_events

from datamill.config.models import EventLoggingConfig
from datamill.control.monitor import JobProgressMonitor
from datamill.events import EventLog


def make_job(base: Path, job_id: str, events: int) -> tuple[Path, EventLog, int]:
    job = base / job_id
    log_dir = job / "event_logs"
    partitions = events // PER_PARTITION
    if not (job / "job_summary.json").exists():
        print(f"writing {partitions * PER_PARTITION:,} events for {job_id}", flush=True)
        job.mkdir(parents=True, exist_ok=True)
        log = EventLog(log_dir, job_id, EventLoggingConfig())
        for i in range(partitions):
            partition_events(log, i)
        log.close()
        summary = {
            "job_id": job_id,
            "status": "completed",
            "event_log_dir": str(log_dir),
            "counts": {"partitions_total": partitions * 2, "partitions_done": partitions},
        }
        (job / "job_summary.json").write_text(json.dumps(summary))
    return job, EventLog(log_dir, job_id, EventLoggingConfig()), partitions


def refresh_cost(base: Path, job_id: str, events: int) -> tuple[float, int]:
    _, log, _ = make_job(base, job_id, events)
    monitor = JobProgressMonitor(job_id, base)
    times = []
    for round_ in range(5):
        for i in range(1000 // PER_PARTITION + 1):
            partition_events(log, 10_000_000 + round_ * 100 + i)
        started = time.perf_counter()
        monitor.refresh()
        monitor.get_progress_data()
        times.append(time.perf_counter() - started)
    return statistics.median(times), monitor.stats.events


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "monitor")
    args = parser.parse_args()
    base: Path = args.out.resolve()
    big = f"big_{args.events}"
    make_job(base, big, args.events)
    cmd = [sys.executable, "-m", "datamill", "monitor", big, "--base-dir", str(base), "--json"]
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True).stdout
        walls.append(time.perf_counter() - started)
    read = json.loads(out)["event_log"]["events_read"]
    small_cost, small_read = refresh_cost(base, "small_10000", 10_000)
    big_cost, big_read = refresh_cost(base, f"watch_{args.events}", args.events)
    print()
    print(f"datamill monitor --json on {read:,} events: {min(walls):.2f} s (best of 3; goal <= 1 s)")
    print("watch refresh after 1,000 new events (median of 5):")
    print(f"  with {small_read:,} events already read: {small_cost * 1000:.1f} ms")
    print(f"  with {big_read:,} events already read: {big_cost * 1000:.1f} ms")
    print(f"  ratio: {big_cost / small_cost:.2f} (goal: about 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
