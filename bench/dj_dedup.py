"""Data-Juicer's side of bench_dedup.py: its own ``document_minhash_deduplicator``
(default parameters) on a JSONL corpus, run as its default executor runs it.

Runs in a side venv with Data-Juicer installed, never in datamill's:

    /path/to/djvenv/bin/python bench/dj_dedup.py CORPUS.jsonl KEPT_IDS [--docs K] [--np 2]
        [--work DIR] [--report FILE]

Phases, each timed on its own: ``load`` (Data-Juicer's JSON formatter, as the
executor loads a dataset), ``init`` (the op's constructor: the LSH shape
search and the permutations), ``hash`` (``Deduplicator.run`` with
``reduce=False``: ``compute_hash`` mapped over the dataset with the op's
``num_proc`` processes) and ``global`` (``op.process``: the band tables,
union-find and the filter). The kept documents' ids go to KEPT_IDS, one per
line. With ``--docs K`` it runs on the first K documents only (written to a
file under ``--work`` first, outside the timed phases). The datasets cache
goes to a fresh folder under ``--work``, removed at the end, so that no run
reuses another's cached map.

Prints one JSON object (and writes it to ``--report``): the Data-Juicer version, the documents, the processes
used, each phase's start and end (epoch seconds) and wall seconds, the kept
count, and the peak resident memory of this process and of its largest child
(``getrusage``; bench_dedup.py samples PSS from outside).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def prefix(corpus: Path, docs: int | None, work: Path) -> tuple[Path, int]:
    """The corpus, or a file of its first ``docs`` lines; and its line count."""
    with corpus.open("rb") as fh:
        if docs is None:
            return corpus, sum(1 for _ in fh)
        path = work / f"{corpus.stem}.first_{docs}.jsonl"
        count = 0
        with path.open("wb") as out:
            for line in fh:
                if count == docs:
                    break
                out.write(line)
                count += 1
    if count < docs:
        raise SystemExit(f"--docs {docs}: {corpus} has only {count} documents")
    return path, count


class Phases:
    """Wall time of named phases, with their epoch bounds (to match memory samples)."""

    def __init__(self) -> None:
        self.done: list[dict[str, Any]] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start, began = time.time(), time.perf_counter()
        yield
        seconds = time.perf_counter() - began
        self.done.append({"name": name, "start": start, "end": start + seconds, "seconds": seconds})


def run(data: Path, np_: int, phases: Phases) -> tuple[Any, dict[str, Any]]:
    """Load ``data`` and deduplicate it; the kept dataset and facts about the op."""
    import datasets
    from data_juicer.format.json_formatter import JsonFormatter
    from data_juicer.ops.base_op import OPERATORS

    datasets.disable_progress_bars()
    with phases.phase("load"):
        dataset = JsonFormatter(str(data), num_proc=np_).load_dataset()
    with phases.phase("init"):
        op = OPERATORS.modules["document_minhash_deduplicator"](num_proc=np_)
    with phases.phase("hash"):
        hashed = op.run(dataset, reduce=False)
    with phases.phase("global"):
        kept, _ = op.process(hashed)
    facts = {"np": op.runtime_np(), "bands": op.num_bands, "rows_per_band": op.num_rows_per_band}
    return kept, facts


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", type=Path)
    p.add_argument("kept_ids", type=Path)
    p.add_argument("--docs", type=int, default=None, help="run on the first K documents only")
    p.add_argument("--np", type=int, default=2, help="processes of the hash phase (the op's num_proc)")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    p.add_argument("--report", type=Path, default=None, help="also write the JSON figures here")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dj-dedup-", dir=args.work))
    try:
        os.environ["HF_DATASETS_CACHE"] = str(work / "hf_cache")  # (before datasets is imported)
        data, docs = prefix(args.corpus, args.docs, work)
        phases = Phases()
        kept, facts = run(data, args.np, phases)
        ids = kept["id"]
        args.kept_ids.write_text("".join(f"{i}\n" for i in ids))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    import data_juicer

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"version": data_juicer.__version__, "docs": docs, "kept": len(ids), **facts}
    result.update(phases=phases.done, peak_rss_mb=own, largest_child_rss_mb=child)
    print(json.dumps(result))
    if args.report:
        args.report.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
