"""The second batch of text mappers against outputs of the real Data-Juicer.

``data/dj_reference_mappers2.json`` was made by ``data/make_dj_reference_mappers2.py``
running Data-Juicer 1.6.1 itself. Each case is checked through the op's per-sample
hook and through the batch path the engine uses (``op.run`` on an Arrow table).
"""

from __future__ import annotations

import builtins
import hashlib
import json
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import build_pipeline
from datamill.ops.text import (  # noqa: F401  (registers the ops)
    bibliography,
    chinese_characters,
    chinese_convert,
    incorrect_substrings,
    latex_macros,
    repeat_sentences,
    replace_content,
    table_text,
)
from tests.ops.reference import script

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference_mappers2.json").read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = REFERENCE["cases"]
OPS = {
    "remove_bibliography_mapper",
    "expand_macro_mapper",
    "remove_table_text_mapper",
    "remove_non_chinese_character_mapper",
    "replace_content_mapper",
    "remove_repeat_sentences_mapper",
    "remove_words_with_incorrect_substrings_mapper",
    "chinese_convert_mapper",
}
WITHOUT_PARAMETERS = {"remove_bibliography_mapper", "expand_macro_mapper"}


@cache
def generated_text(kind: str, seed: int) -> str:
    if kind == "1mb":
        return str(script("make_dj_reference").generate_text(seed))
    assert kind == "latex"
    return str(script("make_dj_reference_mappers2").generate_latex(seed))


def input_text(case: dict[str, Any]) -> str:
    if "generated" in case:
        text = generated_text(case["generated"]["kind"], case["generated"]["seed"])
        assert hashlib.sha256(text.encode()).hexdigest() == case["input_sha256"]
        return text
    return str(case["text"])


def make_op(op: str, params: dict[str, Any]) -> Mapper:
    (built,) = build_pipeline([{op: params}], "text")
    assert isinstance(built, Mapper)
    return built


def check_output(case: dict[str, Any], got: str) -> None:
    if "output_sha256" in case:
        assert len(got) == case["output_len"]
        assert hashlib.sha256(got.encode()).hexdigest() == case["output_sha256"]
    else:
        assert got == case["output"]


def arrow_safe(case: dict[str, Any]) -> bool:
    try:
        case.get("text", "").encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "error" not in case


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['op']}:{c['id']}")
def test_per_sample_hook_matches_data_juicer(case: dict[str, Any]) -> None:
    op = make_op(case["op"], case["params"])
    text = input_text(case)
    if "error" in case:  # Data-Juicer raised on this sample: so must we (it is set aside)
        with pytest.raises(getattr(builtins, case["error"])):
            op.process_text(text)
        return
    check_output(case, op.process_text(text))


def grouped_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in CASES:
        if arrow_safe(case):
            groups[json.dumps([case["op"], case["params"]], sort_keys=True)].append(case)
    return sorted(groups.items())


@pytest.mark.parametrize(("key", "cases"), grouped_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_batch_path_matches_data_juicer(key: str, cases: list[dict[str, Any]]) -> None:
    op, params = json.loads(key)
    texts = [input_text(c) for c in cases]
    half = len(texts) // 2  # two chunks, as a table read from several files has
    column = pa.chunked_array([pa.array(texts[:half], pa.string()), pa.array(texts[half:], pa.string())])
    table = pa.table({"text": column, "n": list(range(len(texts)))})
    result = make_op(op, params).run(table)
    assert not result.failures
    assert result.table.column("n").to_pylist() == list(range(len(texts)))
    for case, got in zip(cases, result.table.column("text").to_pylist(), strict=True):
        check_output(case, got)
    changed = sum(1 for case, text in zip(cases, texts, strict=True) if _output_differs(case, text))
    assert result.rows_changed == changed


def _output_differs(case: dict[str, Any], text: str) -> bool:
    if "output_sha256" in case:
        return bool(case["output_sha256"] != case["input_sha256"])
    return bool(case["output"] != text)


def test_batch_path_sets_aside_a_sample_data_juicer_fails_on() -> None:
    op = make_op("chinese_convert_mapper", {})
    table = pa.table({"text": ["\u6c49\u5b57", None, "\u7b80\u4f53"]})
    result = op.run(table)
    assert result.table.column("text").to_pylist() == ["\u6f22\u5b57", "\u7c21\u9ad4"]
    assert [f.row for f in result.failures] == [1]


def test_every_op_has_hard_cases() -> None:
    ops = {c["op"] for c in CASES}
    assert ops == OPS
    for op in OPS:
        mine = [c for c in CASES if c["op"] == op]
        assert len(mine) >= 40, op
        assert any("generated" in c for c in mine), f"{op} lacks a generated big input"
        assert any(c.get("text") == "" for c in mine), f"{op} lacks the empty text"
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in c.get("text", "")) for c in mine), f"{op}: no CJK"
        if op not in WITHOUT_PARAMETERS:
            assert len({json.dumps(c["params"], sort_keys=True) for c in mine}) >= 2, (
                f"{op}: one parameter set"
            )
        assert any(
            c.get("output", c.get("output_sha256")) != c.get("text", c.get("input_sha256")) for c in mine
        )


def test_every_chinese_mode_is_covered() -> None:
    modes = {c["params"].get("mode", "s2t") for c in CASES if c["op"] == "chinese_convert_mapper"}
    assert modes == set(chinese_convert.MODES)


REFUSED = [r for r in REFERENCE["refused_by_datamill"] if not r["params"].get("tokenization")]
"""Values datamill refuses; 'tokenization: true' is supported now (test_dj_tokenization.py)."""


@pytest.mark.parametrize("record", REFUSED, ids=lambda r: r["op"])
def test_values_datamill_refuses_fail_at_load_time(record: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=record["op"]):
        make_op(record["op"], record["params"])


def test_chinese_convert_without_opencc_fails_at_load_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opencc", None)  # makes `import opencc` raise ImportError
    with pytest.raises(ConfigError, match=r'pip install "datamill\[zh\]"'):
        make_op("chinese_convert_mapper", {"mode": "t2s"})


@pytest.mark.parametrize(
    "params",
    [
        {"pattern": "(unclosed", "repl": ""},
        {"pattern": "(a)", "repl": "\\2"},
        {"pattern": "(?P<x>a)", "repl": "\\g<y>"},
        {"pattern": "a", "repl": "\\q"},
        {"pattern": ["a", "b"], "repl": ["x"]},
    ],
)
def test_replace_content_refuses_what_would_fail_on_every_match(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="replace_content_mapper"):
        make_op("replace_content_mapper", params)


def test_replace_content_accepts_group_references_it_has() -> None:
    op = make_op("replace_content_mapper", {"pattern": "(?P<u>\\w+)@(\\w+)", "repl": "\\2:\\g<u>:\\g<0>"})
    assert op.process_text("me@host") == "host:me:me@host"


@pytest.mark.parametrize("tokenizer", ["not python (", "len", "lambda a, b: [a]", "lambda: []"])
def test_repeat_sentences_refuses_a_tokenizer_that_is_not_a_one_argument_lambda(tokenizer: str) -> None:
    with pytest.raises(ConfigError, match="tokenizer"):
        make_op("remove_repeat_sentences_mapper", {"tokenizer": tokenizer})


@pytest.mark.parametrize("params", [{"min_col": 1}, {"max_col": 21}, {"min_col": 0, "max_col": 3}])
def test_table_column_range_is_checked(params: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="between 2 and 20"):
        make_op("remove_table_text_mapper", params)
