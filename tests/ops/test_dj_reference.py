"""Every built-in op against outputs of the real Data-Juicer.

``data/dj_reference.json`` was made by ``data/make_dj_reference.py`` running
Data-Juicer itself; each case is checked twice: through the op's per-sample
hook and through the batch path the engine uses (an Arrow table).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from datamill.ops.base import Filter, Mapper, Op
from datamill.ops.registry import build_pipeline
from tests.ops.reference import big_text, checked

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference.json").read_text(encoding="utf-8"))
CASES = REFERENCE["cases"]


def input_text(case: dict[str, Any]) -> str:
    if "generated" in case:
        return checked(big_text(case["generated"]["seed"]), case["input_sha256"])
    return str(case["text"])


def make_op(case: dict[str, Any]) -> Op:
    (op,) = build_pipeline([{case["op"]: case["params"]}], "text")
    return op


def check_mapper_output(case: dict[str, Any], got: str) -> None:
    if "output_sha256" in case:
        assert len(got) == case["output_len"]
        assert hashlib.sha256(got.encode()).hexdigest() == case["output_sha256"]
    else:
        assert got == case["output"]


def is_arrow_safe(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['op']}:{c['id']}")
def test_per_sample_hook_matches_data_juicer(case: dict[str, Any]) -> None:
    op = make_op(case)
    text = input_text(case)
    if isinstance(op, Mapper):
        check_mapper_output(case, op.process_text(text))
    else:
        assert isinstance(op, Filter)
        stat = op.compute_stat(text)
        assert {op.stat_key: stat} == case["stats"]
        keep = op.keep(pa.array([stat])).to_pylist()[0]
        assert keep == case["keep"]


def grouped_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in CASES:
        key = json.dumps([case["op"], case["params"]], sort_keys=True)
        if is_arrow_safe(case.get("text", "")):
            groups[key].append(case)
    return sorted(groups.items())


@pytest.mark.parametrize(("key", "cases"), grouped_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_batch_path_matches_data_juicer(key: str, cases: list[dict[str, Any]]) -> None:
    op = make_op(cases[0])
    texts = [input_text(c) for c in cases]
    table = pa.table({"text": pa.array(texts, pa.string()), "n": list(range(len(texts)))})
    out = op.run(table).table
    if isinstance(op, Mapper):
        assert out.num_rows == len(cases)
        for case, got in zip(cases, out.column("text").to_pylist(), strict=True):
            check_mapper_output(case, got)
    else:
        kept = set(out.column("n").to_pylist())
        assert kept == {i for i, c in enumerate(cases) if c["keep"]}


def test_reference_covers_every_builtin_op_and_edge_case() -> None:
    ops = {c["op"] for c in CASES}
    assert ops == {
        "clean_links_mapper",
        "clean_email_mapper",
        "whitespace_normalization_mapper",
        "fix_unicode_mapper",
        "text_length_filter",
        "words_num_filter",
    }
    for op in ops:
        mine = [c for c in CASES if c["op"] == op]
        assert any("generated" in c for c in mine), f"{op} lacks a 1 MB case"
        assert any(c.get("text") == "" for c in mine), f"{op} lacks the empty text"
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in c.get("text", "")) for c in mine), f"{op}: no CJK"
