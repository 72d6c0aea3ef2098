"""Benchmark: the dashboard's live updates on a big running job.

Synthesises a running job of P partitions (default 100,000) whose event log
already holds N events (default 1,000,000: 16 per partition, as a six-op job
with checkpoints writes them, through the driver's own event writer) and whose
commit index lists the partitions those events committed. The benchmark holds
the job's lock, as its driver would. Then it measures:
- opening the job (the first full read a page pays once);
- each live update (after one not counted): a batch of events is appended (B partitions' worth, their
  commits, a resource sample), then the watch refreshes, merges the update a
  page asks for and encodes it as the SSE payload (median and worst of R).

    python bench/bench_dashboard.py [--partitions 100000] [--events 1000000] [--reuse]

Goal: each live update <= 200 ms. The CPU time is printed too: on a machine
busy with other work, wall time also counts the waits for a core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from common import HERE
from synthetic_events import OPS, PER_PARTITION, ROWS, partition_events, pid_of

from datamill.config.models import EventLoggingConfig
from datamill.dashboard.watch import Watches
from datamill.engine.commit import CommitIndex
from datamill.engine.results import OpMetrics, PartitionResult
from datamill.events import EventLog, EventType
from datamill.job.lock import JobLock


def commit_line(index: int) -> bytes:
    ops, rows = [], ROWS
    for k, name in enumerate(OPS):
        out = rows - (k % 3 == 2) * 7
        ops.append(OpMetrics(name, k, rows, out, rows // 3, 0.05))
        rows = out
    result = PartitionResult(
        pid_of(index), ROWS, rows, f"part-{index:06d}.parquet", 1, 0.3, 1, "bench", 1, ops
    )
    result.pipeline_hash = "0123456789abcdef"
    return CommitIndex._line(result, index + 1)


class BenchJob:
    """A job directory written the way a driver writes one."""

    def __init__(self, job: Path, partitions: int) -> None:
        self.job = job
        self.partitions = partitions
        self.log = EventLog(job / "event_logs", job.name, EventLoggingConfig())
        self.commits = open(job / "metadata" / "commits.tsv", "ab")  # noqa: SIM115 - kept for the run
        self.next = 0
        self.clock = time.time() - 3600

    def add(self, count: int) -> None:
        """``count`` more partitions committed (their events and commit lines), and a resource sample."""
        for _ in range(count):
            self.clock += 0.05
            partition_events(self.log, self.next, self.clock)
            self.commits.write(commit_line(self.next))
            self.next += 1
        self.commits.flush()
        self.log.emit(
            EventType.RESOURCE_USAGE,
            at=self.clock,
            cpu_percent=12.0,
            memory_mb=300.0,
            workers=8,
            workers_cpu_percent=760.0,
            workers_memory_mb=4000.0,
        )


def committed_so_far(job: Path) -> int:
    with open(job / "metadata" / "commits.tsv", "rb") as fh:
        return sum(1 for _ in fh)


def write_job(job: Path, partitions: int, events: int) -> None:
    shutil.rmtree(job, ignore_errors=True)  # rotated logs of an earlier run would be read too
    for sub in ("event_logs", "metadata", "results"):
        (job / sub).mkdir(parents=True)
    summary = {
        "job_id": job.name,
        "status": "running",
        "event_log_dir": str(job / "event_logs"),
        "start_time": "2026-11-28T10:00:00+00:00",
        "run_started_epoch": time.time() - 3600,
        "counts": {"partitions_total": partitions, "samples_total": partitions * ROWS},
    }
    (job / "job_summary.json").write_text(json.dumps(summary))
    bench = BenchJob(job, partitions)
    done = min(partitions, events // PER_PARTITION)
    print(f"writing {done * PER_PARTITION:,} events of {done:,} of {partitions:,} partitions", flush=True)
    started = time.perf_counter()
    for _ in range(0, done, 1000):
        bench.add(min(1000, done - bench.next))
    print(f"  written in {time.perf_counter() - started:.0f} s", flush=True)


def append(job: Path, partitions: int, start: int, count: int) -> None:
    bench = BenchJob(job, partitions)
    bench.next, bench.clock = start, time.time()
    bench.add(count)


def in_child(target: Callable[..., None], *args: object) -> None:
    """Run a writer in a child process, as the driver is one: its objects (the writer
    folds its own log) must not weigh on the dashboard's garbage collector."""
    child = multiprocessing.get_context("fork").Process(target=target, args=args)
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(f"the writer failed (exit code {child.exitcode})")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partitions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50, help="partitions committed between two updates")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "dashboard")
    parser.add_argument("--reuse", action="store_true", help="reuse the job an earlier run wrote")
    args = parser.parse_args()
    job = args.out.resolve() / f"dash_{args.partitions}_{args.events}"
    if not (args.reuse and (job / "metadata" / "commits.tsv").exists()):
        in_child(write_job, job, args.partitions, args.events)
    with JobLock(job / "job.lock", job.name):
        started, used = time.perf_counter(), time.process_time()
        watch = Watches(freeze_gc=True).get(job)  # as the server opens a job
        state = json.dumps(watch.state(), separators=(",", ":"))
        opened, opened_cpu = time.perf_counter() - started, time.process_time() - used
        in_child(append, job, args.partitions, committed_so_far(job), args.batch)
        watch.poll(force=True)  # a process's first update imports what the reader needs: not counted
        seen, times, cpu, sizes = watch.seq, [], [], []
        for _ in range(args.rounds):
            in_child(append, job, args.partitions, committed_so_far(job), args.batch)
            started, used = time.perf_counter(), time.process_time()
            watch.poll(force=True)
            change = watch.since(seen)
            assert change is not None
            payload = json.dumps(change, separators=(",", ":"))
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
            sizes.append(len(payload))
            seen = change["seq"]
    events = watch.timeline.seen
    print()
    committed = len(watch.monitor.commits.committed)
    print(f"job: {args.partitions:,} partitions, {events:,} events read, {committed:,} committed")
    size = len(state) / 1e6
    print(f"opening the job page (first full read + state, {size:.1f} MB): {opened:.2f} s", end="")
    print(f", CPU {opened_cpu:.2f} s")
    batch_events = args.batch * PER_PARTITION + 1
    print(f"live update after {batch_events:,} new events ({args.batch} partitions), {args.rounds} rounds:")
    median, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"  median {median:.1f} ms, worst {worst:.1f} ms (goal <= 200 ms)")
    print(f"  CPU time: median {statistics.median(cpu) * 1000:.1f} ms, worst {max(cpu) * 1000:.1f} ms")
    print("  each (wall, ms):", " ".join(f"{t * 1000:.0f}" for t in times))
    print(f"  payload median {statistics.median(sizes) / 1000:.1f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
