"""What the benchmarks share: their command line, the corpus, a timer."""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from datamill.demo.corpus import write_corpus

HERE = Path(__file__).resolve().parent


def parser(doc: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=200_000, help="C4-like documents to generate")
    p.add_argument("--np", type=int, default=2, help="worker processes")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--partition-size", type=int, default=2000)
    p.add_argument("--out", type=Path, default=HERE / "out", help="where data and outputs go")
    return p


def corpus(args: argparse.Namespace) -> Path:
    """The benchmark dataset, generated once per size and seed."""
    out: Path = args.out.resolve()
    data = out / f"c4_{args.docs}_{args.seed}.jsonl"
    if not data.exists():
        print(f"generating {args.docs:,} documents -> {data}", flush=True)
        write_corpus(data, args.docs, args.seed)
    return data


def timed(cmd: list[str]) -> float:
    """Wall seconds of a command, its output discarded."""
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started
