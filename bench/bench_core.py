"""Benchmark: datamill against a plain multiprocessing script, same run.

Generates N C4-like documents (fixed seed), then times, as subprocesses:
(a) ``datamill run`` with the six built-in ops on np workers, and
(b) ``bench/plain_pipeline.py`` doing the same transformations with
    ``multiprocessing.Pool(np)`` and no fault tolerance at all.
Both outputs are checked to be byte-identical. Each is run ``--repeat``
times, alternating, and the best wall time of each is compared.

    python bench/bench_core.py [--docs 200000] [--np 2] [--repeat 2]

Goal: datamill's wall time within 1.3x of the plain script.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml
from common import HERE, corpus, parser, timed

from datamill.demo.recipe import SIX_OPS


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    out: Path = args.out.resolve()
    data = corpus(args)
    size_mb = data.stat().st_size / 1e6

    dm_out, plain_out = out / "datamill_output.jsonl", out / "plain_output.jsonl"
    recipe = out / "bench_recipe.yaml"
    jobs = out / "jobs"
    recipe.write_text(
        yaml.safe_dump(
            {
                "dataset_path": str(data),
                "export_path": str(dm_out),
                "work_dir": str(jobs),
                "np": args.np,
                "partition": {"size": args.partition_size},
                "process": SIX_OPS,
            }
        )
    )
    dm_cmd = [sys.executable, "-m", "datamill", "run", "--config", str(recipe)]
    plain_cmd = [
        sys.executable,
        str(HERE / "plain_pipeline.py"),
        str(data),
        str(plain_out),
        "--np",
        str(args.np),
    ]

    dm_times, plain_times = [], []
    for i in range(args.repeat):
        shutil.rmtree(jobs, ignore_errors=True)
        plain_times.append(timed(plain_cmd))
        dm_times.append(timed(dm_cmd))
        print(f"round {i + 1}: plain {plain_times[-1]:.2f}s, datamill {dm_times[-1]:.2f}s", flush=True)

    identical = dm_out.read_bytes() == plain_out.read_bytes()
    best_dm, best_plain = min(dm_times), min(plain_times)
    print()
    print(f"input: {args.docs:,} documents, {size_mb:.0f} MB; np={args.np}; best of {args.repeat}")
    print(f"{'':28}{'wall s':>10}{'docs/s':>12}")
    print(f"{'plain script (Pool)':28}{best_plain:>10.2f}{args.docs / best_plain:>12,.0f}")
    print(f"{'datamill run':28}{best_dm:>10.2f}{args.docs / best_dm:>12,.0f}")
    print(f"{'ratio datamill / plain':28}{best_dm / best_plain:>10.2f}   (goal <= 1.30)")
    print(f"outputs byte-identical: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
