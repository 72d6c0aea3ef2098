"""Data-Juicer's side of bench_ops.py: each op's single-process throughput, run
the way Data-Juicer runs it (``op.run`` on a dataset, ``num_proc=1``).

Runs in a side venv with Data-Juicer installed, never in datamill's:

    /path/to/djvenv/bin/python bench/dj_ops.py CORPUS.jsonl CASES.json ROUNDS

Prints one JSON object: {"version": ..., "results": {op: samples_per_s or an error}}.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    corpus, cases_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    import data_juicer
    import datasets
    from data_juicer.core.data import NestedDataset
    from data_juicer.ops.base_op import OPERATORS

    datasets.disable_caching()
    datasets.disable_progress_bars()
    with open(corpus, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    dataset = NestedDataset(datasets.Dataset.from_dict({"text": texts}))
    results: dict[str, object] = {}
    with open(cases_path, encoding="utf-8") as fh:
        cases = json.load(fh)
    for name, params in cases:
        try:
            op = OPERATORS.modules[name](**params, num_proc=1)
            best = float("inf")
            for _ in range(rounds):
                started = time.perf_counter()
                op.run(dataset)
                best = min(best, time.perf_counter() - started)
            results[name] = len(texts) / best
        except Exception as exc:  # reported, not fatal: one op's failure leaves the others' figures
            results[name] = f"{type(exc).__name__}: {exc}"[:200]
    print(json.dumps({"version": data_juicer.__version__, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
