"""Benchmark: the core benchmark's job on the local pool and on Ray, same run.

On the core benchmark's dataset (N C4-like documents, fixed seed) and recipe
(the six built-in ops), runs ``datamill run`` as a subprocess with
``executor_type: local`` and with ``executor_type: ray`` (``ray_address``
unset: the job starts a Ray of np CPUs on this machine and stops it after),
and reports:

- wall time, ``--repeat`` runs of each, alternating, best of each, as a ratio
  ray / local. Ray's start-up is inside the ray time and is also shown on its
  own line, from each job's summary (``startup_seconds``: datamill imported ->
  first partition dispatched), with the wind-down (last partition committed ->
  the process's exit, from the event log);
- memory, in one more run of each: the peak, over samples every 0.2 s, of the
  summed PSS of all the run's processes (the driver and its descendants: for
  Ray, GCS, raylet, its agents and workers). PSS splits shared pages among the
  processes sharing them, so the sum counts each page once. Reading PSS costs
  about 10% of a CPU with Ray's dozen processes, so the timed runs are not
  sampled;
- a Ray run SIGKILLed (its process group and every descendant) once half its
  partitions are committed, then the same command again, ``--repeat`` times:
  the best resumed run's wall time as a ratio to the best full Ray run (the
  same statistic on both sides: one resumed run against the best of several
  full ones would count the machine's noise against the resume), and how many
  partitions it redid.

Outputs are checked: local and ray byte-identical, the resumed run's output
byte-identical to an uninterrupted run's. The benchmark stops with an error if
not, or if a run fails or leaves a process behind.

    python bench/bench_ray.py [--docs 200000] [--np 2] [--repeat 2]

Goals: ray / local wall time <= 1.15 (start-up included); resumed <= 0.55x.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from common import corpus, parser
from procs import MEMORY_INTERVAL_S, Watched, machine_facts

from datamill.demo.recipe import SIX_OPS

WALL_GOAL, RESUME_GOAL = 1.15, 0.55


class Job:
    """One job of the benchmark: its recipe, command, directory and output."""

    def __init__(self, out: Path, data: Path, args: Any, job_id: str, executor: str) -> None:
        self.out, self.job_id = out, job_id
        self.dir = out / "ray_bench_jobs" / job_id
        self.output = out / f"ray_bench_{job_id}.jsonl"
        recipe = out / f"ray_bench_{job_id}.yaml"
        raw = {
            "dataset_path": str(data),
            "export_path": str(self.output),
            "work_dir": str(self.dir.parent),
            "np": args.np,
            "executor_type": executor,
            "partition": {"size": args.partition_size},
            "process": SIX_OPS,
        }
        recipe.write_text(yaml.safe_dump(raw))
        self.cmd = [sys.executable, "-m", "datamill", "run", "--config", str(recipe), "--job_id", job_id]

    def start(self, memory: bool = False) -> Watched:
        (self.out / "logs").mkdir(exist_ok=True)
        return Watched(self.cmd, self.out / "logs" / f"ray_bench_{self.job_id}.log", memory)

    def fresh(self, memory: bool = False) -> Watched:
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.start(memory)

    def committed(self) -> int:
        results = self.dir / "results"
        return len(list(results.glob("*.commit"))) if results.is_dir() else 0

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = json.loads((self.dir / "job_summary.json").read_text())
        if summary["status"] != "completed":
            raise SystemExit(f"job {self.job_id} ended {summary['status']}: {summary.get('error')}")
        return summary

    def last_commit_epoch(self) -> float:
        """When the driver committed the job's last partition (its PARTITION_COMPLETE event)."""
        with (self.dir / "event_logs" / "events.jsonl").open() as fh:
            events = (json.loads(line) for line in fh)
            return max(e["epoch"] for e in events if e["type"] == "PARTITION_COMPLETE")


@dataclass(frozen=True)
class Timed:
    """What one timed run measured."""

    seconds: float
    startup_s: float
    """The summary's ``startup_seconds``: datamill imported -> first partition dispatched."""
    wind_down_s: float
    """Last partition committed -> the process's exit (the last fold, stopping the workers or Ray)."""

    @classmethod
    def of(cls, run: Watched, job: Job) -> Timed:
        startup = job.summary()["startup_seconds"]
        return cls(run.seconds, startup, run.ended_epoch - job.last_commit_epoch())


def same_output(a: Path, b: Path, what: str) -> None:
    if a.read_bytes() != b.read_bytes():
        raise SystemExit(f"FAIL: {what} differ: {a} and {b}")


def timed_rounds(local: Job, ray: Job, repeat: int) -> dict[str, list[Timed]]:
    """``repeat`` rounds of a local run then a Ray run."""
    runs: dict[str, list[Timed]] = {"local": [], "ray": []}
    watch = 0.0
    for i in range(repeat):
        for job in (local, ray):
            run = job.fresh()
            run.wait()
            runs[job.job_id].append(Timed.of(run, job))
            watch = max(watch, run.watch_cpu_s / run.seconds)
        same_output(local.output, ray.output, "local and ray outputs")
        seconds = {name: r[-1].seconds for name, r in runs.items()}
        print(f"round {i + 1}: local {seconds['local']:.2f}s, ray {seconds['ray']:.2f}s", flush=True)
    print(f"(listing the timed runs' processes took at most {watch:.1%} of a CPU)", flush=True)
    return runs


def memory_runs(local: Job, ray: Job) -> dict[str, Watched]:
    """One more run of each, its memory sampled (and its output checked again)."""
    runs = {}
    for job in (local, ray):
        runs[job.job_id] = run = job.fresh(memory=True)
        run.wait()
        job.summary()
        print(f"memory run, {job.job_id}: peak PSS {run.peak_pss / 2**20:,.0f} MB", flush=True)
    same_output(local.output, ray.output, "local and ray outputs")
    return runs


def kill_and_resume(job: Job, partitions: int) -> tuple[int, float, int]:
    """Kill a fresh run of ``job`` once half its partitions are committed, run
    it again: (committed before the rerun, the rerun's seconds, partitions it redid)."""
    run = job.fresh()
    while run.running() and job.committed() < partitions // 2:
        time.sleep(0.05)
    if not run.running():
        raise SystemExit(f"job {job.job_id} finished before it could be killed")
    run.kill()
    before = job.committed()
    seconds = job.start().wait()
    redone = partitions - job.summary()["counts"]["partitions_skipped"]
    print(f"killed at {before}/{partitions} committed; resumed in {seconds:.2f}s", flush=True)
    return before, seconds, redone


def verdict(value: float, goal: float) -> str:
    return f"<= {goal:.2f}  " + ("PASS" if value <= goal else "FAIL")


def report(
    runs: dict[str, list[Timed]], memory: dict[str, Watched], resume: tuple[int, float, int], partitions: int
) -> None:
    best = {name: min(r, key=lambda x: x.seconds) for name, r in runs.items()}
    wall = {name: b.seconds for name, b in best.items()}
    startup = {name: b.startup_s for name, b in best.items()}
    peak = {name: run.peak_pss / 2**20 for name, run in memory.items()}
    before, resumed, redone = resume
    ratio, resume_ratio = wall["ray"] / wall["local"], resumed / wall["ray"]

    print(f"{'':30}{'local':>10}{'ray':>10}{'ray/local':>11}   goal")
    print(
        f"{'wall s':30}{wall['local']:>10.2f}{wall['ray']:>10.2f}{ratio:>11.2f}   {verdict(ratio, WALL_GOAL)}"
    )
    print(f"{'  of which start-up s':30}{startup['local']:>10.2f}{startup['ray']:>10.2f}")
    print(f"{'  of which wind-down s':30}{best['local'].wind_down_s:>10.2f}{best['ray'].wind_down_s:>10.2f}")
    print(f"{'peak PSS, all processes, MB':30}{peak['local']:>10,.0f}{peak['ray']:>10,.0f}", end="")
    print(f"{peak['ray'] / peak['local']:>11.2f}")
    print(f"{'  processes at that peak':30}{memory['local'].peak_procs:>10}{memory['ray'].peak_procs:>10}")
    print(
        f"{'resumed on Ray, s':30}{'':>10}{resumed:>10.2f}{resume_ratio:>11.2f}   "
        f"{verdict(resume_ratio, RESUME_GOAL)}  (best resumed run / best full ray run)"
    )
    print(
        f"Ray start-up: {startup['ray']:.2f} s from datamill's import to the first partition dispatched "
        f"(local pool: {startup['local']:.2f} s), inside the ray wall time"
    )
    print(
        f"kill and resume (the best of its rounds): killed with {before}/{partitions} partitions "
        f"committed; the resumed run redid {redone} of {partitions}"
    )
    print("outputs byte-identical: local == ray, resumed == uninterrupted")
    print("wind-down: from the last partition committed to the process's exit (last fold, stopping Ray)")
    outside = sum(len(r.outside_tree) for r in memory.values())
    print(
        f"memory: one more run of each, PSS summed over the driver's process tree every "
        f"{MEMORY_INTERVAL_S:g} s ({outside} processes found outside the tree); timed runs not sampled"
    )


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    out: Path = args.out.resolve()
    facts = machine_facts(f"ray {version('ray')}")
    data = corpus(args)
    partitions = -(-args.docs // args.partition_size)
    local, ray = Job(out, data, args, "local", "local"), Job(out, data, args, "ray", "ray")
    runs = timed_rounds(local, ray, args.repeat)
    memory = memory_runs(local, ray)
    resume = Job(out, data, args, "ray_resume", "ray")
    resumes = []
    for _ in range(args.repeat):
        resumes.append(kill_and_resume(resume, partitions))
        same_output(ray.output, resume.output, "resumed and uninterrupted Ray outputs")
    resumed = min(resumes, key=lambda r: r[1])

    print()
    size_mb = data.stat().st_size / 1e6
    print(f"input: {args.docs:,} documents, {size_mb:.0f} MB, {partitions} partitions; np={args.np}", end="")
    print(f"; best of {args.repeat}")
    report(runs, memory, resumed, partitions)
    print(facts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
