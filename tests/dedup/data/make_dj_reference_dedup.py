#!/usr/bin/env python3
"""Generate dj_reference_dedup.json: the rows Data-Juicer's deduplicators keep.

Runs the REAL ops ``document_deduplicator``, ``document_simhash_deduplicator``
and ``document_minhash_deduplicator`` through their own entry point,
``op.run(dataset)`` (hash every sample, then decide), in one process, on the
corpora of ``dedup_corpus.py`` and records, per parameter set, the indices of
the rows kept. It also records Data-Juicer's LSH shape (``optimal_param``) for
a grid of thresholds and permutation counts.

Data-Juicer is not a datamill dependency: run this only in a throwaway venv,

    /work/djvenv/bin/pip install simhash-pybind scipy sentencepiece
    /work/djvenv/bin/python tests/dedup/data/make_dj_reference_dedup.py

The corpora and the tiny SentencePiece model are rebuilt from seeds by
``dedup_corpus.py``; the JSON stores their SHA-256, not the texts. It is ASCII
JSON with sorted keys, one case per line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dedup_corpus  # noqa: E402

OUT_PATH = os.path.join(HERE, "dj_reference_dedup.json")
SENTENCEPIECE_MODEL = "<tiny sentencepiece model>"
"""Stands for the path of the model ``dedup_corpus.train_sentencepiece`` writes."""

CORPUS_SEEDS = [dedup_corpus.CORPUS_SEED, dedup_corpus.CORPUS_SEED + 1]

PARAMS: dict[str, list[dict[str, object]]] = {
    "document_deduplicator": [
        {},
        {"lowercase": True},
        {"ignore_non_character": True},
        {"lowercase": True, "ignore_non_character": True},
    ],
    "document_simhash_deduplicator": [
        {},
        {
            "tokenization": "space",
            "window_size": 6,
            "lowercase": True,
            "ignore_pattern": "\\p{P}",
            "num_blocks": 6,
            "hamming_distance": 4,
        },
        {"tokenization": "character", "window_size": 4},
        {"tokenization": "punctuation", "window_size": 3},
        {"window_size": 3, "lowercase": False, "num_blocks": 10, "hamming_distance": 3},
        {"window_size": 4, "num_blocks": 12, "hamming_distance": 8},
        {"window_size": 1, "num_blocks": 4, "hamming_distance": 1},
        {"tokenization": "character", "window_size": 2, "num_blocks": 14, "hamming_distance": 10},
    ],
    "document_minhash_deduplicator": [
        {},
        {"tokenization": "character", "window_size": 5},
        {"tokenization": "punctuation", "window_size": 2},
        {"num_bands": 20, "num_rows_per_band": 5},
        {"num_permutations": 16, "num_bands": 8, "num_rows_per_band": 2},
        {
            "num_permutations": 64,
            "jaccard_threshold": 0.5,
            "window_size": 3,
            "ignore_pattern": "\\p{P}",
            "lowercase": False,
        },
        {"num_permutations": 128, "jaccard_threshold": 0.85, "window_size": 1},
        {"num_bands": 1, "num_rows_per_band": 1, "num_permutations": 1},
        {"tokenization": "sentencepiece", "window_size": 3, "tokenizer_model": SENTENCEPIECE_MODEL},
        {"tokenization": "sentencepiece", "window_size": 1, "tokenizer_model": SENTENCEPIECE_MODEL},
    ],
}

SHAPE_THRESHOLDS = [0.0, 0.1, 0.25, 0.3, 0.45, 0.5, 0.6, 0.65, 0.7, 0.72, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1]
SHAPE_PERMUTATIONS = [1, 3, 16, 50, 64, 128, 200, 256, 300]


def _versions() -> dict[str, str]:
    names = ["py-data-juicer", "numpy", "regex", "simhash-pybind", "sentencepiece", "scipy", "datasets"]
    return {name: metadata.version(name) for name in names}


def _op(name: str, params: dict[str, object]) -> object:
    from data_juicer.ops.deduplicator.document_deduplicator import DocumentDeduplicator
    from data_juicer.ops.deduplicator.document_minhash_deduplicator import DocumentMinhashDeduplicator
    from data_juicer.ops.deduplicator.document_simhash_deduplicator import DocumentSimhashDeduplicator

    classes = {
        "document_deduplicator": DocumentDeduplicator,
        "document_simhash_deduplicator": DocumentSimhashDeduplicator,
        "document_minhash_deduplicator": DocumentMinhashDeduplicator,
    }
    return classes[name](**params, num_proc=1)


def _kept(name: str, params: dict[str, object], texts: list[str]) -> list[int]:
    from data_juicer.core.data import NestedDataset

    dataset = NestedDataset.from_list([{"text": t, "row": i} for i, t in enumerate(texts)])
    out = _op(name, params).run(dataset)  # type: ignore[attr-defined]
    return [int(i) for i in out["row"]]


def _shapes() -> dict[str, list[int]]:
    from data_juicer.ops.deduplicator.document_minhash_deduplicator import optimal_param

    return {
        f"{perm}:{threshold!r}": list(optimal_param(threshold, perm))
        for perm in SHAPE_PERMUTATIONS
        for threshold in SHAPE_THRESHOLDS
    }


def _dump(doc: dict[str, object], shapes: dict[str, list[int]], cases: list[dict[str, object]]) -> str:
    """Sorted-key ASCII JSON: the header indented, the shapes on one line, one case per line."""
    head = json.dumps(doc, ensure_ascii=True, sort_keys=True, indent=1)
    lines = [json.dumps(case, ensure_ascii=True, sort_keys=True) for case in cases]
    return (
        head[:-2]
        + ',\n "optimal_shapes": '
        + json.dumps(shapes, ensure_ascii=True, sort_keys=True)
        + ',\n "cases": [\n  '
        + ",\n  ".join(lines)
        + "\n ]\n}\n"
    )


def main() -> None:
    import data_juicer

    model = dedup_corpus.train_sentencepiece()
    corpora = {seed: dedup_corpus.make_corpus(seed) for seed in CORPUS_SEEDS}
    cases: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "tiny.sp.model")
        with open(model_path, "wb") as fh:
            fh.write(model)
        for name, param_sets in PARAMS.items():
            for params in param_sets:
                real = {k: model_path if v == SENTENCEPIECE_MODEL else v for k, v in params.items()}
                for seed, texts in corpora.items():
                    kept = _kept(name, real, texts)
                    cases.append({"op": name, "params": params, "corpus_seed": seed, "kept": kept})
                    print(f"{name} {params} seed {seed}: kept {len(kept)} of {len(texts)}", file=sys.stderr)
    doc = {
        "data_juicer_version": data_juicer.__version__,
        "versions": _versions(),
        "corpora": {
            str(seed): {"rows": len(texts), "sha256": dedup_corpus.corpus_sha256(texts)}
            for seed, texts in corpora.items()
        },
        "sentencepiece_model_sha256": hashlib.sha256(model).hexdigest(),
        "sentencepiece_placeholder": SENTENCEPIECE_MODEL,
    }
    with open(OUT_PATH, "w", encoding="ascii") as fh:
        fh.write(_dump(doc, _shapes(), cases))
    print(f"wrote {len(cases)} cases to {OUT_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
