"""Benchmark: what checkpointing costs, and what a resume saves.

On the core benchmark's dataset (N C4-like documents, fixed seed), in one run:
- wall time of ``datamill run`` with the six ops under checkpoint strategies
  ``disabled``, ``every_partition``, ``every_n_ops`` (n=2) and ``every_op``,
  as ratios to ``disabled``;
- a run SIGKILLed (driver and workers) at about half its partitions, then the
  same command again: the resumed run's wall time as a ratio to a full
  ``every_partition`` run.

With ``--repeat N`` every run is made N times, in rounds (each round runs
every strategy once, then the kill and the resume), and the best of each is
compared: a single run per strategy counts the machine's noise, and the first
run's cold start, into the ratios.

    python bench/bench_checkpoint.py [--docs 200000] [--np 2] [--repeat 3]

Goals: every_partition <= 1.05x, every_op <= 1.3x, resumed run <= 0.55x.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from common import corpus, parser, timed

from datamill.demo.recipe import SIX_OPS

STRATEGIES = [
    ("disabled", {"strategy": "disabled"}),
    ("every_partition", {"strategy": "every_partition"}),
    ("every_n_ops (n=2)", {"strategy": "every_n_ops", "n_ops": 2}),
    ("every_op", {"strategy": "every_op"}),
]


def recipe(out: Path, data: Path, name: str, checkpoint: dict, np_: int, size: int) -> Path:
    path = out / f"{name}.yaml"
    raw = {
        "dataset_path": str(data),
        "export_path": str(out / f"{name}.jsonl"),
        "work_dir": str(out / "jobs"),
        "np": np_,
        "partition": {"size": size},
        "checkpoint": checkpoint,
        "process": SIX_OPS,
    }
    path.write_text(yaml.safe_dump(raw))
    return path


def command(path: Path, job_id: str) -> list[str]:
    return [sys.executable, "-m", "datamill", "run", "--config", str(path), "--job_id", job_id]


def kill_at_half(cmd: list[str], job_dir: Path, total: int) -> int:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    results = job_dir / "results"
    while proc.poll() is None:
        done = len(list(results.glob("*.commit"))) if results.is_dir() else 0
        if done >= total // 2:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return done
        time.sleep(0.05)
    raise SystemExit("the job finished before it could be killed")


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--repeat", type=int, default=1, help="rounds; the best run of each kind counts")
    args = p.parse_args()
    out: Path = args.out.resolve()
    data = corpus(args)
    partitions = -(-args.docs // args.partition_size)

    rounds: dict[str, list[float]] = {label: [] for label, _ in STRATEGIES}
    resumes: list[tuple[float, int]] = []
    identical = True
    for round_ in range(1, args.repeat + 1):
        shutil.rmtree(out / "jobs", ignore_errors=True)
        for label, checkpoint in STRATEGIES:
            name = "ckpt_" + checkpoint["strategy"]
            path = recipe(out, data, name, checkpoint, args.np, args.partition_size)
            rounds[label].append(timed(command(path, name)))
        path = recipe(out, data, "ckpt_resume", {"strategy": "every_partition"}, args.np, args.partition_size)
        committed = kill_at_half(command(path, "resume"), out / "jobs" / "resume", partitions)
        resumes.append((timed(command(path, "resume")), committed))
        identical &= (out / "ckpt_resume.jsonl").read_bytes() == (out / "ckpt_disabled.jsonl").read_bytes()
        done = ", ".join(f"{label} {seconds[-1]:.2f}s" for label, seconds in rounds.items())
        print(f"round {round_}: {done}, resumed {resumes[-1][0]:.2f}s", flush=True)

    times = {label: min(seconds) for label, seconds in rounds.items()}
    resumed, committed = min(resumes)
    full = times["every_partition"]

    base = times["disabled"]
    print()
    print(f"input: {args.docs:,} documents in {partitions} partitions; np={args.np}; best of {args.repeat}")
    print(f"{'run':34}{'wall s':>9}{'ratio':>8}   goal")
    goals = {"every_partition": "<= 1.05", "every_op": "<= 1.30"}
    for label, seconds in times.items():
        print(f"{label:34}{seconds:>9.2f}{seconds / base:>8.2f}   {goals.get(label, '')}")
    print(
        f"{'resumed after kill at ' + str(committed) + '/' + str(partitions):34}{resumed:>9.2f}"
        f"{resumed / full:>8.2f}   <= 0.55 (ratio to a full every_partition run)"
    )
    print(f"resumed output byte-identical to an uninterrupted run: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
