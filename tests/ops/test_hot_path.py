"""The cleaning ops' fast routes give exactly what the plain regex or the
per-sample hook gives (issue 15)."""

from __future__ import annotations

import random

import pyarrow as pa
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.ops.text.clean_email import CleanEmailMapper
from datamill.ops.text.clean_links import CleanLinksMapper
from datamill.ops.text.whitespace_normalization import PYTHON_WHITESPACE, WhitespaceNormalizationMapper

VALID = st.text(max_size=200).filter(lambda t: t.encode("utf-8", "ignore").decode() == t)
LINKISH = st.text(
    alphabet="wWkK\u212aaxz09.:/-_%@()<>[]`'\"?!;,«»“”‘’ \t\n\r\x0b\u3000\u00a0\u2009é\u0301",
    max_size=120,
)
PIECES = [
    "https://www.example.com/a?b=c&d=e",
    "http://x.org/(a)",
    "www.host.net/p",
    "WWW2.ex.com",
    "ftp:foo",
    "a.bc/d",
    "user.name+tag@mail.example.com",
    "x@y.z",
    "(",
    ")",
    " ",
    "\t",
    "\n",
    "\u3000",
    "word",
    "café",
    ".",
    ",",
]


def _spliced(seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))


def _plain_sub(op: CleanLinksMapper | CleanEmailMapper, text: str) -> str:
    return str(op._regex.sub(op.repl, text))


@settings(max_examples=400)
@given(st.one_of(VALID, LINKISH, st.integers(0, 10**9).map(_spliced)), st.sampled_from(["", "<LINK>"]))
def test_link_runs_give_the_plain_substitution(text: str, repl: str) -> None:
    op = CleanLinksMapper(repl=repl)
    assert op._candidates is not None
    assert op.process_text(text) == _plain_sub(op, text)


@settings(max_examples=400)
@given(st.one_of(VALID, LINKISH, st.integers(0, 10**9).map(_spliced)), st.sampled_from(["", "[EMAIL]"]))
def test_email_runs_give_the_plain_substitution(text: str, repl: str) -> None:
    op = CleanEmailMapper(repl=repl)
    assert op.process_text(text) == _plain_sub(op, text)


def test_a_user_pattern_takes_the_plain_route() -> None:
    op = CleanLinksMapper(pattern=r"r'a b'", repl="X")
    assert op._candidates is None
    assert op.process_text("a b a  b") == "X a  b"


def test_only_w_folds_to_w() -> None:
    # The link shortcut looks for 'www' in either case: no other character may
    # match 'w' case-insensitively in the regex module.
    everything = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    assert sorted(set(regex.findall(r"(?i)w", everything))) == ["W", "w"]


def test_separators_are_whitespace_to_the_regex() -> None:
    assert regex.findall(r"\s", " \t\n") == [" ", "\t", "\n"]


def test_python_whitespace_is_what_strip_removes() -> None:
    assert "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace()) == PYTHON_WHITESPACE


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            VALID, st.text(alphabet=PYTHON_WHITESPACE + "\u200b\u200c\u200d\u2060\ufffc\u0084ab", max_size=30)
        ),
        max_size=20,
    )
)
def test_whitespace_column_route_equals_per_sample(texts: list[str]) -> None:
    op = WhitespaceNormalizationMapper()
    out = op.run(pa.table({"text": pa.array(texts, pa.string())})).table
    assert out.column("text").to_pylist() == [op.process_text(t) for t in texts]
