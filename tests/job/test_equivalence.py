"""The engine's output equals the ops applied one document at a time.

The reference below is the plainest possible loop: one process, one document
after another, each op's per-sample hook, filters decided in Python. The
engine partitions the data, runs batches (with its vectorised fast paths) on
a pool of two workers and merges the parts; the bytes must be identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datamill.demo.recipe import SIX_OPS
from datamill.ops.base import Filter, Mapper
from datamill.ops.registry import build_pipeline


def one_at_a_time(data: Path) -> bytes:
    ops = build_pipeline(SIX_OPS, "text")
    out = []
    with open(data, encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            for op in ops:
                if isinstance(op, Mapper):
                    doc["text"] = op.process_text(doc["text"])
                else:
                    assert isinstance(op, Filter)
                    stat = op.compute_stat(doc["text"])
                    if not op.min_value <= stat <= op.max_value:
                        break
            else:
                out.append(json.dumps(doc, ensure_ascii=False) + "\n")
    return "".join(out).encode()


@pytest.mark.parametrize(
    ("docs", "size"),
    [
        pytest.param(5_000, 300, id="5k"),
        pytest.param(100_000, 2_000, id="100k", marks=pytest.mark.slow),
    ],
)
def test_engine_equals_one_document_at_a_time(
    datamill, recipe_file, corpus, tmp_path: Path, docs: int, size: int
) -> None:
    data = corpus(docs)
    out = tmp_path / "engine.jsonl"
    recipe = recipe_file(
        dataset_path=str(data), export_path=str(out), np=2, partition={"size": size}, process=SIX_OPS
    )
    assert datamill("run", "--config", recipe) == 0
    expected = one_at_a_time(data)
    got = out.read_bytes()
    assert got.count(b"\n") == expected.count(b"\n")
    assert got == expected
