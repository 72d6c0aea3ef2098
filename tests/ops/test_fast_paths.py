"""The ops' shortcuts are proven to change nothing."""

from __future__ import annotations

import re

import ftfy
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.ops.text.clean_email import CleanEmailMapper
from datamill.ops.text.fix_unicode import MAY_CHANGE, FixUnicodeMapper
from datamill.ops.text.text_length import TextLengthFilter

SAFE = st.text(alphabet=st.characters(codec="ascii", exclude_characters="&\r\x0b\x0c"), max_size=300).filter(
    lambda t: not re.search(MAY_CHANGE, t)
)


@settings(max_examples=400)
@given(SAFE, st.sampled_from(["NFC", "NFKC", "NFD", "NFKD"]))
def test_ftfy_leaves_text_without_suspect_characters_alone(text: str, form: str) -> None:
    assert ftfy.fix_text(text, normalization=form) == text  # type: ignore[arg-type]


@settings(max_examples=200)
@given(
    st.lists(st.text(max_size=80).filter(lambda t: t.encode("utf-8", "ignore").decode() == t), max_size=20)
)
def test_fix_unicode_batch_path_equals_per_sample(texts: list[str]) -> None:
    op = FixUnicodeMapper()
    out = op.run(pa.table({"text": pa.array(texts, pa.string())})).table
    assert out.column("text").to_pylist() == [op.process_text(t) for t in texts]


@settings(max_examples=200)
@given(st.text(alphabet="ab.@-_+ xyzA1\n", max_size=60))
def test_email_shortcut_without_at_sign(text: str) -> None:
    op = CleanEmailMapper()
    assert op.process_text(text) == op._regex.sub("", text)


@settings(max_examples=200)
@given(
    st.lists(st.text(max_size=50).filter(lambda t: t.encode("utf-8", "ignore").decode() == t), max_size=20)
)
def test_arrow_length_is_python_len(texts: list[str]) -> None:
    op = TextLengthFilter()
    stats = op.compute_stats(pa.table({"text": pa.array(texts, pa.string())}))
    assert stats.to_pylist() == [len(t) for t in texts]


def test_ops_accept_an_empty_table() -> None:
    from datamill.demo.recipe import SIX_OPS
    from datamill.ops.registry import build_pipeline

    table = pa.table({"text": pa.array([], pa.string())})
    for op in build_pipeline(SIX_OPS, "text"):
        outcome = op.run(table)
        assert outcome.table.num_rows == 0 and not outcome.failures
        table = outcome.table
