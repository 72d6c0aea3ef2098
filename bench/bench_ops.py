"""Benchmark: each text op's single-process throughput, datamill against Data-Juicer.

The corpus is ``bench/web_corpus.py``'s web text (default 20,000 documents);
the ops and their parameters are ``bench/ops_cases.py``'s. datamill's op runs
through its batch path, ``op.run(table)`` on an Arrow table, as a partition
runs it; Data-Juicer's (``--dj PY``, a python with Data-Juicer installed in a
side venv; it is never a datamill dependency) through ``op.run(dataset)`` with
``num_proc=1``, as its default executor runs it. Both exclude reading the
file. Best of ``--repeat`` rounds each.

    python bench/bench_ops.py [--docs 20000] [--repeat 3] [--dj /path/to/djvenv/bin/python]

Goals: every op at least as fast as Data-Juicer's (ratio >= 1); the filters
that only count characters >= 3.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
from ops_cases import CASES, COUNTING_FILTERS
from procs import machine_facts
from web_corpus import write_corpus

from datamill.errors import ConfigError
from datamill.ops.registry import build_pipeline, registered_names

HERE = Path(__file__).resolve().parent


def corpus(out: Path, docs: int, seed: int) -> Path:
    data = out / f"web_{docs}_{seed}.jsonl"
    if not data.exists():
        print(f"generating {docs:,} web documents -> {data}", flush=True)
        write_corpus(data, docs, seed)
    return data


def datamill_rates(data: Path, repeat: int) -> dict[str, float | str]:
    texts = [json.loads(line)["text"] for line in data.read_text(encoding="utf-8").splitlines()]
    table = pa.table({"text": pa.array(texts, pa.string())})
    known = set(registered_names())
    rates: dict[str, float | str] = {}
    for name, params in CASES:
        if name not in known:
            rates[name] = "not in datamill yet"
            continue
        try:
            (op,) = build_pipeline([{name: params}], "text")
        except ConfigError as exc:
            rates[name] = str(exc)[:80]
            continue
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            op.run(table)
            best = min(best, time.perf_counter() - started)
        rates[name] = len(texts) / best
    return rates


def dj_rates(python: str, data: Path, repeat: int, out: Path) -> tuple[str, dict[str, float | str]]:
    cases = out / "ops_cases.json"
    cases.write_text(json.dumps(CASES))
    done = subprocess.run(
        [python, str(HERE / "dj_ops.py"), str(data), str(cases), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"Data-Juicer's side failed ({python}):\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return str(report["version"]), report["results"]


def verdict(name: str, ratio: float) -> str:
    goal = 3.0 if name in COUNTING_FILTERS else 1.0
    return f"{'PASS' if ratio >= goal else 'FAIL'} (goal {goal:g})"


def report(ours: dict[str, float | str], theirs: dict[str, float | str] | None) -> int:
    failed = 0
    print(f"{'op':48} {'datamill/s':>11} {'Data-Juicer/s':>14} {'ratio':>7}")
    for name, _ in CASES:
        mine, dj = ours[name], (theirs or {}).get(name)
        if not isinstance(mine, float):
            print(f"{name:48} {'-':>11}   {mine}")
            failed += 1
            continue
        if not isinstance(dj, float):
            print(f"{name:48} {mine:>11,.0f} {'-':>14}   {dj or ''}")
            continue
        ratio = mine / dj
        failed += ratio < (3.0 if name in COUNTING_FILTERS else 1.0)
        print(f"{name:48} {mine:>11,.0f} {dj:>14,.0f} {ratio:>7.2f}  {verdict(name, ratio)}")
    return failed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--dj", metavar="PY", help="a python with Data-Juicer installed: time its ops too")
    args = p.parse_args()
    if args.dj and not Path(args.dj).is_file():
        raise SystemExit(f"--dj {args.dj}: no such file; give the path of a python with Data-Juicer")
    logging.disable(logging.WARNING)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = corpus(out, args.docs, args.seed)
    ours = datamill_rates(data, args.repeat)
    version, theirs = dj_rates(args.dj, data, args.repeat, out) if args.dj else ("", None)
    print(f"\n{args.docs:,} web documents, one process, best of {args.repeat}")
    failed = report(ours, theirs)
    print(machine_facts(f"Data-Juicer {version}" if version else "Data-Juicer not run (--dj PY)"))
    if theirs is not None:
        print(f"goals: {'all met' if not failed else f'{failed} op(s) missing or below their goal'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
