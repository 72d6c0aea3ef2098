"""Benchmark: the global phase of deduplication (``datamill.dedup.decide``) alone.

Synthetic committed hashes, as the partitions would leave them (Parquet side
files of ``--rows-per-file`` rows with a global ``row_id``), with 10% of the
rows planted as duplicates of an earlier row:

- MinHash with default parameters (25 bands of 10 rows) on ``--docs``
  documents: a near duplicate shares a random half of its source's bands;
- exact (MD5) on ``--ids`` rows: a duplicate has its source's digest.

Each decision runs in a fresh process, so its peak resident memory (VmHWM:
DuckDB's memory included, which tracemalloc would not see) and its wall time
are its own. Goals (issue 17, on 2 cores): MinHash 1,000,000 documents in
<= 60 s and <= 2 GB; exact 10,000,000 ids in <= 30 s and <= 1 GB.

    python bench/bench_dedup_core.py [--docs 1000000] [--ids 10000000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DUP_SHARE = 0.10
GOALS = {"minhash": (60.0, 2048.0), "exact": (30.0, 1024.0)}
"""Seconds and MB per deduplicator."""


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a counter to 64 well-spread bits."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _digests(keys: np.ndarray) -> pa.Array:
    """A 16-byte pseudo-random digest per key."""
    k = keys.astype(np.uint64) * np.uint64(2)
    words = np.stack([_mix(k), _mix(k + np.uint64(1))], axis=1)
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(keys), [None, pa.py_buffer(words.tobytes())]
    )


def _sources(rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
    """Each row's source: itself, or for 10% of rows an earlier row."""
    dup = (rng.random(len(rows)) < DUP_SHARE) & (rows > 0)
    source = rows.copy()
    source[dup] = (rng.random(int(dup.sum())) * rows[dup]).astype(np.int64)
    return source


def write_hashes(kind: str, total: int, rows_per_file: int, folder: Path) -> list[Path]:
    """Parquet files of synthetic hashes for ``kind`` ('minhash' or 'exact')."""
    rng = np.random.default_rng(2026)
    files = []
    for start in range(0, total, rows_per_file):
        rows = np.arange(start, min(total, start + rows_per_file), dtype=np.int64)
        source = _sources(rng, rows)
        columns: dict[str, pa.Array] = {"row_id": pa.array(rows)}
        if kind == "exact":
            columns["md5"] = _digests(source)
        else:
            for band in range(25):
                shared = rng.random(len(rows)) < 0.5
                owner = np.where(shared, source, rows)
                columns[f"band_{band}"] = _digests(owner * 64 + band)
        files.append(folder / f"part-{len(files):05d}.parquet")
        pq.write_table(pa.table(columns), files[-1])
    return files


def child(kind: str, folder: Path) -> None:
    """Decide over the files in ``folder`` and print seconds, peak MB and drops as JSON."""
    from datamill.dedup import decide, parse_params

    op = "document_deduplicator" if kind == "exact" else "document_minhash_deduplicator"
    params = parse_params(op)
    files = sorted(folder.glob("*.parquet"))
    started = time.perf_counter()
    drops = decide(params, files)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "dropped": drops.num_rows}))


def measure(kind: str, total: int, rows_per_file: int, out: Path) -> None:
    folder = out / f"{kind}_{total}"
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = write_hashes(kind, total, rows_per_file, folder)
    print(
        f"{kind}: wrote {len(files)} files for {total:,} rows in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder)], check=True, capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    goal_s, goal_mb = GOALS[kind]
    print(
        f"{kind:8} {total:>11,} rows  decide {result['seconds']:6.1f} s (goal {goal_s:.0f})  "
        f"peak {result['peak_mb']:7.0f} MB (goal {goal_mb:.0f})  dropped {result['dropped']:,}",
        flush=True,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=1_000_000, help="documents for MinHash (0 skips)")
    p.add_argument("--ids", type=int, default=10_000_000, help="rows for exact dedup (0 skips)")
    p.add_argument("--rows-per-file", type=int, default=10_000, help="rows per partition file")
    p.add_argument("--out", type=Path, default=None, help="where the hash files go (default: a temp dir)")
    p.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        out = args.out or Path(tmp)
        if args.docs:
            measure("minhash", args.docs, args.rows_per_file, out)
        if args.ids:
            measure("exact", args.ids, args.rows_per_file * 10, out)


if __name__ == "__main__":
    main()
