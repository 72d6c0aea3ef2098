"""Benchmark: seed 000's table — the record ledger at 100k to 10M records.

For each size: random 32-hex-character tokens in a Parquet file (fixed seed),
a no-op pipeline, ``--batch 1000``, two workers. Measured:
- startup: on a rerun after the first run lost its last 10 commits (their
  markers deleted: what a kill just before they committed leaves), time from
  the process importing datamill to the first partition handed to a worker
  (``startup_seconds`` in the summary), and the whole rerun's wall time; the
  median of three such reruns (all three are printed as they come);
- state on disk: ledger (the root files, folded at the end of the run) +
  commit markers + plan + event log + summary (not the output itself);
- its fold: the end-of-run fold of the first run (in a process of its own);
- ``--show-stats``: ``datamill stats DIR`` wall time, and the ledger query
  alone in-process;
- driver peak memory (the first run driver's ``VmHWM``: ``ru_maxrss`` would
  count this harness's own memory, inherited through fork);
- at the largest size, ``--skip-processed`` against a new input of as many
  ids (half of them already processed): the time to the first partition and
  the driver's peak memory.

    python bench/bench_ledger.py [--sizes 100000,1000000,4000000,10000000]
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from common import HERE

import datamill

RERUNS = 3
"""Reruns per size (each after deleting the last ten markers); the table shows the median."""

SEED_TABLE = {
    100_000: ("<1s", "2MB", "100ms", "20MB"),
    1_000_000: ("2s", "20MB", "200ms", "50MB"),
    4_000_000: ("3s", "80MB", "500ms", "100MB"),
    10_000_000: ("5s", "200MB", "1s", "200MB"),
}


def tokens(path: Path, n: int, seed: int, offset: int = 0) -> Path:
    if not path.exists():
        rng = np.random.default_rng(seed)
        raw = rng.integers(0, 256, size=(n + offset, 16), dtype=np.uint8)[offset:]
        hexed = pa.array([bytes(r).hex() for r in raw], pa.string())
        pq.write_table(pa.table({"scene_token": hexed}), path, row_group_size=1_000_000)
    return path


def recipe(out: Path, data: Path, name: str) -> Path:
    path = out / f"{name}.yaml"
    raw = {
        "dataset_path": str(data),
        "id_field": "scene_token",
        "text_key": "scene_token",
        "np": 2,
        "export_path": str(out / f"{name}_out"),
        "export_format": "parquet",
        "process": [],
    }
    path.write_text(yaml.safe_dump(raw))
    return path


def run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "datamill", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def state_bytes(job: Path) -> int:
    total = 0
    for root, _, files in os.walk(job):
        rel = Path(root).relative_to(job)
        for f in files:
            if rel.parts[:1] == ("results",) and not f.endswith(".commit"):
                continue  # the output itself, not state
            if f in ("output.jsonl",) or rel.parts[:1] == ("staging",):
                continue
            total += (Path(root) / f).stat().st_size
    return total


def summary(job: Path) -> dict:
    return json.loads((job / "job_summary.json").read_text())


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000,4000000,10000000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "ledger")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # As installed: a wheel's modules come with their bytecode compiled. An
    # editable install compiles on import, unless PYTHONDONTWRITEBYTECODE
    # forbids writing it, and then every start compiles datamill anew.
    compileall.compile_dir(Path(datamill.__file__).parent, quiet=1)
    rows = []
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        data = tokens(out / f"tokens_{n}.parquet", n, seed=n)
        job = out / f"job_{n}"
        subprocess.run(["rm", "-rf", str(job)], check=True)
        path = recipe(out, data, f"r{n}")
        first = run(["run", "--config", str(path), "--work-dir", str(job), "--batch", "1000"])
        peak = summary(job)["driver_peak_rss_mb"]
        fold = summary(job)["ledger"].get("last_fold_seconds", 0.0)  # the end-of-run fold, in its process
        startups, reruns = [], []
        for _ in range(RERUNS):
            for marker in sorted((job / "results").glob("*.commit"))[-10:]:
                marker.unlink()  # as if killed just before these ten committed
            reruns.append(run(["run", "--config", str(path), "--work-dir", str(job), "--batch", "1000"]))
            startups.append(summary(job)["startup_seconds"])
        startup, rerun = statistics.median(startups), statistics.median(reruns)
        print(f"{n:,}: rerun startups {', '.join(f'{s:.2f}' for s in startups)} s", flush=True)
        stats_wall = min(run(["stats", str(job)]) for _ in range(3))
        from datamill.ledger.stats import ledger_stats

        t = time.perf_counter()
        stats = ledger_stats(job)
        stats_query = time.perf_counter() - t
        assert stats["successful"] == n, stats
        t = time.perf_counter()
        assert ledger_stats(job, exact=True) == stats  # the full scan agrees
        exact = time.perf_counter() - t
        rows.append((n, first, fold, startup, rerun, state_bytes(job), stats_wall, stats_query, exact, peak))
        print(f"{n:,}: run {first:.1f}s, rerun startup {startup:.2f}s", flush=True)

    n = sizes[-1]
    job = out / f"job_{n}"
    newer = tokens(out / f"tokens_{n}_new.parquet", n, seed=n, offset=n // 2)  # half already processed
    path = recipe(out, newer, f"r{n}_new")
    skip_wall = run(
        ["run", "--config", str(path), "--work-dir", str(job), "--batch", "1000", "--skip-processed"]
    )
    s = summary(job)
    print()
    print(
        f"{'records':>11} {'first run':>10} {'its fold':>9} {'startup':>8} {'rerun':>7} {'state':>9}"
        f" {'stats cmd':>10} {'stats query':>12} {'exact scan':>11} {'driver peak':>12}"
        "   seed: startup/state/query/memory"
    )
    for n_, first, fold, startup, rerun, state, sw, sq, ex, peak in rows:
        seed = " / ".join(SEED_TABLE.get(n_, ("-",) * 4))
        print(
            f"{n_:>11,} {first:>9.1f}s {fold:>8.1f}s {startup:>7.2f}s {rerun:>6.1f}s {state / 1e6:>7.1f}MB"
            f" {sw:>9.2f}s {sq:>11.2f}s {ex:>10.2f}s {peak:>10.0f}MB   {seed}"
        )
    print(
        f"\n--skip-processed on a new input of {n:,} ids ({s['counts']['samples_skipped']:,} already done): "
        f"{s['startup_seconds']:.2f}s to the first partition, driver peak {s['driver_peak_rss_mb']:.0f} MB, "
        f"whole run {skip_wall:.1f}s"
    )
    print(
        "goals at 10M: startup <= 0.5 s, state <= 200 MB, --show-stats <= 0.5 s, driver <= 200 MB;"
        " --skip-processed <= 5 s and <= 1.5 GB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
