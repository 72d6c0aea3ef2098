"""Eight text mappers against outputs of the real Data-Juicer 1.6.1.

``data/dj_reference_mappers1.json`` was made by
``data/make_dj_reference_mappers1.py`` running Data-Juicer itself; each case is
checked through the op's per-sample hook and through the batch path the
engine uses (``op.run`` on an Arrow table).
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import build_pipeline, validate_process
from datamill.ops.text import (  # noqa: F401  (registers the ops)
    clean_copyright,
    clean_html,
    clean_ip,
    latex,
    punctuation,
    remove_long_words,
    remove_specific_chars,
)
from tests.ops.reference import big_text, checked

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "dj_reference_mappers1.json").read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = REFERENCE["cases"]
OPS = {
    "punctuation_normalization_mapper",
    "clean_copyright_mapper",
    "clean_ip_mapper",
    "clean_html_mapper",
    "remove_long_words_mapper",
    "remove_specific_chars_mapper",
    "remove_header_mapper",
    "remove_comments_mapper",
}


def input_text(case: dict[str, Any]) -> str:
    if "generated" not in case:
        return str(case["text"])
    text = big_text(case["generated"]["seed"], "make_dj_reference_mappers1")
    return checked(text, case["input_sha256"])


def check_output(case: dict[str, Any], got: str) -> None:
    if "output_sha256" in case:
        assert len(got) == case["output_len"]
        assert hashlib.sha256(got.encode()).hexdigest() == case["output_sha256"]
    else:
        assert got == case["output"]


def make_op(case: dict[str, Any]) -> Mapper:
    (op,) = build_pipeline([{case["op"]: case["params"]}], "text")
    assert isinstance(op, Mapper)
    return op


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['op']}:{c['id']}")
def test_per_sample_hook_matches_data_juicer(case: dict[str, Any]) -> None:
    check_output(case, make_op(case).process_text(input_text(case)))


def grouped_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in CASES:
        groups[json.dumps([case["op"], case["params"]], sort_keys=True)].append(case)
    return sorted(groups.items())


@pytest.mark.parametrize(("key", "cases"), grouped_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_batch_path_matches_data_juicer(key: str, cases: list[dict[str, Any]]) -> None:
    op = make_op(cases[0])
    op.batch_size = 7  # several batches, and a short last one
    texts = pa.array([input_text(c) for c in cases], pa.string())
    result = op.run(pa.table({"text": texts, "n": list(range(len(cases)))}))
    assert not result.failures
    assert result.table.column("n").to_pylist() == list(range(len(cases)))
    for case, got in zip(cases, result.table.column("text").to_pylist(), strict=True):
        check_output(case, got)


def test_reference_covers_every_op_and_edge_case() -> None:
    assert REFERENCE["data_juicer_version"] == "1.6.1"
    assert {c["op"] for c in CASES} == OPS
    for op in OPS:
        mine = [c for c in CASES if c["op"] == op]
        assert len(mine) >= 30, op
        assert any("generated" in c for c in mine), f"{op} lacks a 1 MB case"
        assert any(c.get("text") == "" for c in mine), f"{op} lacks the empty text"
        assert any(c.get("text", "x").isspace() for c in mine), f"{op} lacks a whitespace-only text"
        assert any(regex.search(r"\p{Han}", c.get("text", "")) for c in mine), f"{op}: no CJK"
        assert any(c.get("output") not in (None, c.get("text")) for c in mine), f"{op} never changes a text"


def test_remove_long_words_cases_sit_on_every_threshold_edge() -> None:
    lengths: dict[str, set[int]] = defaultdict(set)
    for case in CASES:
        if case["op"] == "remove_long_words_mapper" and "text" in case:
            lengths[json.dumps(case["params"], sort_keys=True)] |= {len(w) for w in case["text"].split()}
    assert len(lengths) >= 5
    for key, seen in lengths.items():
        params = json.loads(key)
        bounds = [params[k] for k in ("min_len", "max_len") if k in params]
        edges = {b + d for b in bounds for d in (-1, 0, 1)} - {-1, 0}
        assert edges <= seen, (params, edges - seen)


def test_clean_html_without_selectolax_fails_at_load_time(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_selectolax(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("selectolax"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_selectolax)
    with pytest.raises(ConfigError, match=r'pip install "datamill\[html\]"'):
        build_pipeline([{"clean_html_mapper": {}}], "text")
    with pytest.raises(ConfigError, match=r"clean_html_mapper.*datamill\[html\]"):
        validate_process([{"clean_html_mapper": None}])


@pytest.mark.parametrize(
    ("op", "params", "says"),
    [
        ("remove_comments_mapper", {"doc_type": "md"}, "doc_type: tex"),
        ("remove_comments_mapper", {"doc_type": ["tex", "py"]}, "doc_type: tex"),
        ("remove_specific_chars_mapper", {"chars_to_remove": [""]}, "empty strings"),
        ("remove_long_words_mapper", {"min_len": "long"}, "min_len"),
    ],
)
def test_unsupported_values_are_config_errors(op: str, params: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        validate_process([{op: params}])


def test_data_juicer_defaults() -> None:
    (long_words, chars, header, comments) = build_pipeline(
        [
            "remove_long_words_mapper",
            "remove_specific_chars_mapper",
            "remove_header_mapper",
            "remove_comments_mapper",
        ],
        "text",
    )
    assert isinstance(long_words, remove_long_words.RemoveLongWordsMapper)
    assert (long_words.min_len, long_words.max_len) == (1, 2**63 - 1)
    assert isinstance(chars, remove_specific_chars.RemoveSpecificCharsMapper)
    assert chars.process_text(remove_specific_chars.DEFAULT_CHARS + "x") == "x"
    assert len(remove_specific_chars.DEFAULT_CHARS) == 13
    assert isinstance(header, latex.RemoveHeaderMapper) and header.drop_no_head is True
    assert isinstance(comments, latex.RemoveCommentsMapper)
    assert (comments.doc_type, comments.inline, comments.multiline) == ("tex", True, True)


# The shortcuts (a test before a regex, a regex run on some pieces of the text
# only, Arrow instead of str.translate) change nothing.

IP_ALPHABET = "0123456789abcdefABCDEF.:x \t\n\u0661\uff11"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=IP_ALPHABET, max_size=80))
def test_clean_ip_shortcut_equals_the_plain_substitution(text: str) -> None:
    op = clean_ip.CleanIpMapper()
    assert op.process_text(text) == regex.sub(clean_ip.DEFAULT_IP_PATTERN, "", text, flags=regex.DOTALL)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="/*#-\n copyrightCOPY\u0130x", max_size=60))
def test_clean_copyright_matches_the_line_by_line_rule(text: str) -> None:
    got = clean_copyright.CleanCopyrightMapper().process_text(text)
    block = regex.search(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/", text)
    if block:
        has = regex.search("copyright", block.group(), flags=regex.IGNORECASE)
        assert got == (text[: block.start()] + text[block.end() :] if has else text)
    else:
        lines = text.split("\n")
        skip = 0
        while skip < len(lines) and (not lines[skip] or lines[skip].startswith(("//", "#", "--"))):
            skip += 1
        assert got == "\n".join(lines[skip:])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="\\sectionpart{}[]*x \n", max_size=60), st.booleans())
def test_remove_header_equals_the_substitution(text: str, drop: bool) -> None:
    op = latex.RemoveHeaderMapper(drop_no_head=drop)
    pattern = latex._HEADER.pattern
    if regex.search(pattern, text, flags=regex.DOTALL):
        assert op.process_text(text) == regex.sub(pattern, r"\2", text, flags=regex.DOTALL)
    else:
        assert op.process_text(text) == ("" if drop else text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=40).filter(lambda t: t.encode("utf-8", "ignore").decode() == t), max_size=12),
    st.one_of(st.text(max_size=6), st.lists(st.text(max_size=3), max_size=3)),
)
def test_remove_specific_chars_batch_path_equals_per_sample(texts: list[str], chars: str | list[str]) -> None:
    if chars and not "".join(chars):
        return
    op = remove_specific_chars.RemoveSpecificCharsMapper(chars_to_remove=chars)
    out = op.run(pa.table({"text": pa.array(texts, pa.string())})).table
    assert out.column("text").to_pylist() == [op.process_text(t) for t in texts]


@settings(max_examples=3000, deadline=None)
@given(
    st.text(st.characters(codec="utf-8"), max_size=30)
    | st.text(alphabet="<>&;a \t\n\r\x0c\x00li/", max_size=30)
)
def test_clean_html_leaves_plain_text_to_itself_as_the_parser_would(text: str) -> None:
    from selectolax.lexbor import LexborHTMLParser

    marked = text.replace("<li>", "\n*").replace("</li>", "").replace("<ol>", "\n*").replace("</ol>", "")
    parsed = LexborHTMLParser(marked).text()
    assert clean_html.CleanHtmlMapper().process_text(text) == parsed
    if clean_html.is_plain(text):
        assert parsed == text


def batch_equals_per_sample(op: Mapper, texts: list[str]) -> None:
    op.batch_size = 5
    out = op.run(pa.table({"text": pa.array(texts, pa.string())})).table
    assert out.column("text").to_pylist() == [op.process_text(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="ab\u4e2d(. \t\n\r\u3000", max_size=40), max_size=12),
    st.sampled_from([0, 1, 2, 3, 5, 999, 1000, 1001, 1500]),
    st.sampled_from([-3, -1, 0, 1, 2, 4, 8, 999, 1000, 1001, 2**63 - 1]),
)
def test_remove_long_words_batch_path_equals_per_sample(texts: list[str], low: int, high: int) -> None:
    long_word = "x" * 1001 + " " + "y" * 1000 + " (" + "z" * 999 + ")"
    batch_equals_per_sample(
        remove_long_words.RemoveLongWordsMapper(min_len=low, max_len=high), [*texts, long_word]
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=IP_ALPHABET, max_size=60), max_size=12))
def test_clean_ip_batch_path_equals_per_sample(texts: list[str]) -> None:
    batch_equals_per_sample(clean_ip.CleanIpMapper(), texts)


@pytest.mark.parametrize("name", sorted(OPS))
def test_a_null_text_is_set_aside_or_kept_and_the_rest_mapped(name: str) -> None:
    # Python hooks raise on a null (the row is set aside, as Data-Juicer raises);
    # an op that maps the whole column in Arrow keeps it null, as
    # whitespace_normalization_mapper does.
    (op,) = build_pipeline([name], "text")
    assert isinstance(op, Mapper)
    texts = ["a \\section{T} 10.0.0.1 % c\n", None, "\uff0c<b>x</b>\u25c6"]
    result = op.run(pa.table({"text": pa.array(texts, pa.string())}))
    mapped: list[str | None] = [op.process_text(t) for t in texts if t is not None]
    if name == "remove_specific_chars_mapper":
        assert not result.failures
        mapped.insert(1, None)
    else:
        assert [f.row for f in result.failures] == [1]
    assert result.table.column("text").to_pylist() == mapped


@pytest.mark.parametrize("name", sorted(OPS))
def test_an_empty_table_stays_empty(name: str) -> None:
    (op,) = build_pipeline([name], "text")
    table = pa.table({"text": pa.array(["x"], pa.string())}).slice(0, 0)
    out = op.run(table)
    assert out.table.num_rows == 0 and not out.failures
