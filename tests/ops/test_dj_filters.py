"""The text and field filters against decisions of the real Data-Juicer.

``data/dj_reference_filters.json`` was made by
``data/make_dj_reference_filters.py`` running Data-Juicer itself. A text case is
checked through the op's per-sample hook and through ``op.run`` on an Arrow
table (the batch path the engine takes); a record case through the per-record
hooks and through ``op.run`` on the table datamill's JSONL reader makes of the
records.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.errors import ConfigError
from datamill.io.readers import ID_COLUMN, JSON_FIELD_META, Columns, read_partition
from datamill.ops.base import STATS_PREFIX, Filter, Op
from datamill.ops.registry import build_pipeline, validate_process
from datamill.ops.text import alphanumeric, fields, line_length, repetition, special_characters, suffix
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR
from datamill.plan.planner import PartitionSpec
from tests.ops.reference import big_text, checked

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference_filters.json").read_text(encoding="ascii"))
TEXTS: dict[str, str] = REFERENCE["texts"]
DATASETS: dict[str, list[dict[str, Any]]] = REFERENCE["datasets"]
TEXT_CASES = [c for c in REFERENCE["cases"] if "dataset" not in c]
RECORD_CASES = [c for c in REFERENCE["cases"] if "dataset" in c]

TEXT_OPS = {
    "character_repetition_filter",
    "word_repetition_filter",
    "alphanumeric_filter",
    "special_characters_filter",
    "maximum_line_length_filter",
    "average_line_length_filter",
}
RECORD_OPS = {"specified_field_filter", "specified_numeric_field_filter", "suffix_filter"}


def input_text(case: dict[str, Any]) -> str:
    if "generated" in case:
        return checked(big_text(case["generated"]["seed"]), case["input_sha256"])
    return TEXTS[case["text_id"]]


def make_op(name: str, params: dict[str, Any], **extra: Any) -> Op:
    (op,) = build_pipeline([{name: {**params, **extra}}], "text")
    return op


def strict(value: Any) -> str:
    """A value as JSON, so that 1, 1.0 and True differ."""
    return json.dumps(value, sort_keys=True)


def is_arrow_safe(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def case_id(case: dict[str, Any]) -> str:
    return f"{case['op']}:{case['id']}"


# ---------------------------------------------------------------- coverage


def test_every_op_has_cases() -> None:
    assert {c["op"] for c in TEXT_CASES} == TEXT_OPS
    assert {c["op"] for c in RECORD_CASES} == RECORD_OPS
    for op in TEXT_OPS:
        mine = [c for c in TEXT_CASES if c["op"] == op]
        assert len(mine) > 100, op
        assert any("generated" in c for c in mine), f"{op} lacks a 1 MB case"
        assert any(c.get("text_id") == "empty" for c in mine), f"{op} lacks the empty text"
        assert any(c["id"].startswith("edge:") for c in mine), f"{op} lacks threshold edges"
        assert any(c["params"] for c in mine), f"{op} lacks non-default parameters"
        assert {c["keep"] for c in mine} == {True, False}, f"{op}: every case decides alike"
    for op in RECORD_OPS:
        mine = [c for c in RECORD_CASES if c["op"] == op]
        assert len(mine) >= 5, op
        outcomes = [r for c in mine for r in c["per_record"]]
        assert any(r.get("keep") for r in outcomes) and any(r.get("keep") is False for r in outcomes)


# ---------------------------------------------------------------- text filters


@pytest.mark.parametrize("case", TEXT_CASES, ids=case_id)
def test_text_filter_per_sample_matches_data_juicer(case: dict[str, Any]) -> None:
    op = make_op(case["op"], case["params"])
    assert isinstance(op, Filter)
    stat = op.compute_stat(input_text(case))
    ((key, expected),) = case["stats"].items()
    assert key == op.stat_key
    assert strict(stat) == strict(expected)
    assert op.keep(pa.array([stat])).to_pylist() == [case["keep"]]


def text_groups() -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in TEXT_CASES:
        if "generated" in case or is_arrow_safe(TEXTS[case["text_id"]]):
            groups[json.dumps([case["op"], case["params"]], sort_keys=True)].append(case)
    return sorted(groups.items())


@pytest.mark.parametrize("batch_size", [1000, 7])
@pytest.mark.parametrize(("key", "cases"), text_groups(), ids=lambda v: v if isinstance(v, str) else "")
def test_text_filter_batch_path_matches_data_juicer(
    key: str, cases: list[dict[str, Any]], batch_size: int
) -> None:
    op = make_op(cases[0]["op"], cases[0]["params"], batch_size=batch_size)
    assert isinstance(op, Filter)
    texts = [input_text(c) for c in cases]
    table = pa.table({"text": pa.array(texts, pa.string()), "n": list(range(len(texts)))})
    outcome = op.run(table)
    assert not outcome.failures
    out = outcome.table
    assert out.column("n").to_pylist() == [i for i, c in enumerate(cases) if c["keep"]]
    stats = out.column(op.stat_column)
    expected = [c["stats"][op.stat_key] for c in cases if c["keep"]]
    assert [strict(v) for v in stats.to_pylist()] == [strict(v) for v in expected]
    is_float = isinstance(cases[0]["stats"][op.stat_key], float)
    assert stats.type == (pa.float64() if is_float else pa.int64())


@pytest.mark.parametrize("name", ["character_repetition_filter", "word_repetition_filter"])
def test_rep_len_must_be_positive(name: str) -> None:
    with pytest.raises(ConfigError, match="rep_len"):
        validate_process([{name: {"rep_len": 0}}])


def test_length_bounds_beyond_int64() -> None:
    table = pa.table({"text": ["short", "a much longer line"]})
    op = make_op("maximum_line_length_filter", {"min_len": -(2**70), "max_len": 2**70})
    assert op.run(table).table.num_rows == 2
    op = make_op("maximum_line_length_filter", {"min_len": 2**70})
    assert op.run(table).table.num_rows == 0


LINE_PIECES = ["a", "b", " ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"]
LINE_PIECES += ["\u2028", "\u2029", "\u4e00", "\U0001f600", "\x1f", "\u200b", "!", "1", "\u00a0", "\ufeff"]
LINE_ALPHABET = st.sampled_from(LINE_PIECES)
TEXTS_STRATEGY = st.lists(st.lists(LINE_ALPHABET, max_size=40).map("".join), max_size=12)


@settings(max_examples=300, deadline=None)
@given(TEXTS_STRATEGY)
def test_arrow_paths_equal_the_per_sample_hooks(texts: list[str]) -> None:
    table = pa.table({"text": pa.array(texts, pa.string())})
    for op in (
        line_length.MaximumLineLengthFilter(),
        line_length.AverageLineLengthFilter(),
        special_characters.SpecialCharactersFilter(),
    ):
        got = op.compute_stats(table).to_pylist()
        assert [strict(v) for v in got] == [strict(op.compute_stat(t)) for t in texts]


ANY_TEXTS = st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=40), max_size=12)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXTS, st.integers(0, 3), st.booleans())
def test_code_point_tables_count_as_python_does(texts: list[str], skip: int, large: bool) -> None:
    column = pa.array(["x\u00e9\U0001f600"] * skip + texts, pa.large_string() if large else pa.string())
    table = pa.table({"text": column.slice(skip)})  # an offset into the buffers, as a batch has
    for op in (alphanumeric.AlphanumericFilter(), special_characters.SpecialCharactersFilter()):
        got = op.compute_stats(table).to_pylist()
        assert [strict(v) for v in got] == [strict(op.compute_stat(t)) for t in texts]
    expected = [sum(c.isalnum() for c in t) / len(t) if t else 0.0 for t in texts]
    assert [alphanumeric.alnum_ratio(t) for t in texts] == expected


WORD_PIECES = ["\u03a3", "\u03c3", "A", "\u0130", "x.", "'", " ", "\t", "\n", "\r", "\u00ad", "\u3000", "!"]
WORD_PIECES += ["\u0413", "\u24c2", "\u00d8", "\u03a0", "\ua7ae", "\U0001f600", "\u2026", "1", "\u4e00", "_"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORD_PIECES)))
def test_one_regex_pass_finds_the_words_data_juicer_refines(pieces: list[str]) -> None:
    text = "".join(pieces)
    words = [w.lower() for w in text.replace("\n", " ").replace("\t", " ").split(" ") if w]
    strip = SPECIAL_CHARACTERS_STR
    assert repetition.refined_words(text) == [w for w in (w.strip(strip) for w in words) if w]


# ---------------------------------------------------------------- record filters


def record_outcomes(case: dict[str, Any]) -> list[dict[str, Any]]:
    """What Data-Juicer did with each record as datamill's reader gives it: as
    loaded by ``datasets`` when it could load them (a missing key is None), else
    as written (mixed types, which datamill's reader keeps as they are)."""
    return list(case["per_loaded_record"] if case["loaded"] else case["per_record"])


def per_record(op: Op, record: dict[str, Any]) -> dict[str, Any]:
    try:
        if isinstance(op, suffix.SuffixFilter):
            return {"keep": op.keep_record(record), "stats": {}}
        assert isinstance(op, fields._FieldFilter)
        value = op.value(record)
        return {"keep": op.decide(value), "stats": {op.field_key: value}}
    except Exception as exc:
        return {"error": type(exc).__name__}


@pytest.mark.parametrize("case", RECORD_CASES, ids=case_id)
def test_record_filter_per_record_matches_data_juicer(case: dict[str, Any]) -> None:
    op = make_op(case["op"], case["params"])
    for record, expected in zip(DATASETS[case["dataset"]], case["per_record"], strict=True):
        got = per_record(op, record)
        if "error" in expected:
            assert "error" in got, (record, expected)
        else:
            assert strict(got) == strict(expected), record


def read_records(records: list[dict[str, Any]], tmp_path: Path) -> pa.Table:
    path = tmp_path / "records.jsonl"
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    path.write_bytes(data)
    spec = PartitionSpec("p0", "records.jsonl", str(path), "jsonl", 0, len(records), 0, len(data))
    table, bad = read_partition(spec, Columns("text", None, needs_text=False))
    assert not bad
    return table


def row_numbers(table: pa.Table) -> list[int]:
    return [int(str(v).rsplit("#", 1)[1]) for v in table.column(ID_COLUMN).to_pylist()]


def stat_values(table: pa.Table, column: str) -> list[Any]:
    values: list[Any] = table.column(column).to_pylist()
    meta = table.schema.field(column).metadata
    if meta and JSON_FIELD_META in meta:
        return [None if v is None else json.loads(v) for v in values]
    return values


@pytest.mark.parametrize("batch_size", [1000, 3])
@pytest.mark.parametrize("case", RECORD_CASES, ids=case_id)
def test_record_filter_batch_path_matches_data_juicer(
    case: dict[str, Any], batch_size: int, tmp_path: Path
) -> None:
    op = make_op(case["op"], case["params"], batch_size=batch_size)
    table = read_records(DATASETS[case["dataset"]], tmp_path)
    outcomes = record_outcomes(case)
    if isinstance(op, suffix.SuffixFilter) and op.suffixes and suffix.SUFFIX_COLUMN not in table.column_names:
        assert all("KeyError" in r.get("error", "") for r in outcomes)
        with pytest.raises(ConfigError, match="__dj__suffix__"):
            op.run(table)
        return
    outcome = op.run(table)
    kept = row_numbers(outcome.table)
    assert kept == [i for i, r in enumerate(outcomes) if r.get("keep")]
    assert sorted(f.row for f in outcome.failures) == [i for i, r in enumerate(outcomes) if "error" in r]
    if case["loaded"] and "kept" in case["dataset_run"]:
        assert set(kept) <= set(case["dataset_run"]["kept"])
    stat_columns = [c for c in outcome.table.column_names if c.startswith(STATS_PREFIX)]
    if isinstance(op, suffix.SuffixFilter):
        assert stat_columns == []
        return
    assert isinstance(op, fields._FieldFilter)
    assert stat_columns == [op.stat_column]
    got = stat_values(outcome.table, op.stat_column)
    expected = [outcomes[i]["stats"][op.field_key] for i in kept]
    assert [strict(v) for v in got] == [strict(v) for v in expected]


def test_field_filters_need_a_field_key() -> None:
    for name in ("specified_field_filter", "specified_numeric_field_filter"):
        with pytest.raises(ConfigError, match="field_key is empty"):
            validate_process([{name: {}}])


def test_field_filters_do_not_read_the_text() -> None:
    assert not fields.SpecifiedFieldFilter.needs_text
    assert not fields.SpecifiedNumericFieldFilter.needs_text
    assert not suffix.SuffixFilter.needs_text


def test_an_existing_statistic_of_that_name_is_used() -> None:
    op = make_op("specified_numeric_field_filter", {"field_key": "meta.n", "min_value": 5})
    table = pa.table(
        {
            "meta": pa.array([{"n": 1}, {"n": 9}]),
            STATS_PREFIX + "meta.n": pa.array([7, 2]),
        }
    )
    out = op.run(table).table
    assert out.column(STATS_PREFIX + "meta.n").to_pylist() == [7]


def test_suffix_filter_without_suffixes_reads_nothing() -> None:
    op = make_op("suffix_filter", {"reversed_range": True})
    table = pa.table({"x": [1, 2]})
    outcome = op.run(table)
    assert outcome.table.equals(table)
    assert outcome.rows_removed == 0
