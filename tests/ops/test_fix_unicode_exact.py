"""ftfy_exact.fix_text gives ftfy.fix_text's output, string for string.

Three kinds of evidence: property tests whose texts are built from the cases
the fast path has to get right (mojibake in several codecs, sloppy and lossy
variants, every fixer's characters, HTML entities around '<', line starts
that look bad, short ``max_decode_length``), every text of the corpora the
repository has, and the counterexamples met while writing it. A slow variant
of the property tests runs many more examples.
"""

from __future__ import annotations

import importlib.util
import string
import sys
from functools import cache
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

import ftfy
import pyarrow as pa
import pytest
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datamill.demo.corpus import CorpusGenerator
from datamill.ops.text import ftfy_exact
from datamill.ops.text.fix_unicode import FixUnicodeMapper
from datamill.ops.text.ftfy_exact import NORMALIZATIONS, fix_text, is_bad
from datamill.ops.text.whitespace_normalization import WhitespaceNormalizationMapper
from tests.ops.test_dj_reference import CASES, input_text

BENCH = Path(__file__).resolve().parents[2] / "bench"
FORMS = st.sampled_from(NORMALIZATIONS)

CODECS = [
    "cp1252",
    "latin-1",
    "mac_roman",
    "cp437",
    "sloppy-windows-1252",
    "sloppy-windows-1251",
    "sloppy-windows-1250",
    "sloppy-windows-1253",
    "sloppy-windows-1254",
    "sloppy-windows-1257",
    "iso-8859-2",
]
SOURCE = st.text(
    alphabet=st.one_of(
        st.sampled_from("éèàçñöüßÉÀ’‘“”—–…•€£©®™½°±×µ¿¡ ﬁ😀中文ЖжΩ\u00a0\u0301"),
        st.characters(min_codepoint=0xA0, max_codepoint=0x33FF),
        st.sampled_from(string.ascii_letters + " .,"),
    ),
    min_size=1,
    max_size=12,
)


@st.composite
def mojibake(draw: st.DrawFn) -> str:
    """UTF-8 read in a single-byte codec, sometimes further damaged the way ftfy expects."""
    raw = draw(SOURCE).encode("utf-8")
    text = raw.decode(draw(st.sampled_from(CODECS)), errors="replace")
    damage = draw(st.sampled_from(["none", "a0-to-space", "lossy-fffd", "lossy-question"]))
    if damage == "a0-to-space":
        text = text.replace("\u00a0", " ")
    elif damage != "none" and len(text) > 1:
        i = draw(st.integers(1, len(text) - 1))
        text = text[:i] + ("\ufffd" if damage == "lossy-fffd" else "?") + text[i + 1 :]
    return text


BADNESS_CHARS = "".join(MOJIBAKE_CATEGORIES.values()).replace("-", "")
SPECIALS = [
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "\u2029",
    "\x85",
    "\x1b[31m",
    "\x1b[0;1m",
    "\x1b[",
    "\ud83d\udca9",
    "\ud83d",
    "\udca9",
    "&amp;",
    "&lt;",
    "&gt;",
    "&EACUTE;",
    "&eacute;",
    "&#x2019;",
    "&#8217;",
    "&#233",
    "&NewLine;",
    "&amp;lt;",
    "&amp;amp;",
    "&nosuch;",
    "\uff06amp;",
    "<",
    "<b>",
    "\uff1c",
    "Ã ",
    "Â ",
    "Ã©",
    "â€™",
    "â€œ",
    "Ã\u00a0",
    "\u0301",
    "\u0308\u0323",
    "\u1100\u1161",
    "\u11a8",
    "\ufeff",
    "\u200b",
    "\x00",
    "\x7f",
    "\u206a",
    "\ufffc",
    "\u3000",
    "\uff21\uff22",
    "\uff71",
    "ﬁ",
    "ﬅ",
    "Ǆ",
    "ŉ",
    "\u02bc",
    "\u201a",
    "\u201f",
    "µ",
    "ſ",
    "Œ1",
    "×²",
    "√±",
    "вЂ",
]
PIECES = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + " .,;:!?'-", max_size=10),
    st.sampled_from(SPECIALS),
    mojibake(),
    st.text(alphabet=BADNESS_CHARS + " aZ.\n", min_size=1, max_size=4),
    st.integers(0xD800, 0xDFFF).map(chr),
    st.characters(min_codepoint=0x80, max_codepoint=0xFFFF).map(str),
    st.text(max_size=4),
)
FIXABLE = [p for p in SPECIALS if not ftfy.badness.is_bad(p)] + [
    "café",
    "Zürich",
    "naïve",
    "“",
    "”",
    "’",
    "—",
    "…",
]
WORD = st.text(alphabet=string.ascii_letters + " .,", min_size=1, max_size=8)
FINE = st.lists(st.one_of(WORD, st.sampled_from(FIXABLE)), max_size=30).map("".join)
"""Text the fast path should take whole: what the fixers change, no mojibake."""
TEXTS = st.one_of(
    st.lists(PIECES, max_size=30).map("".join),
    FINE,
    st.tuples(FINE, st.sampled_from(["", " ", "\n"]), st.one_of(mojibake(), PIECES), FINE).map("".join),
)


def check(text: str, form: str, max_decode_length: int = ftfy_exact.MAX_DECODE_LENGTH) -> None:
    want = ftfy.fix_text(text, normalization=form, max_decode_length=max_decode_length)  # type: ignore[arg-type]
    assert fix_text(text, form, max_decode_length) == want


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, FORMS)
def test_same_as_ftfy(text: str, form: str) -> None:
    check(text, form)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, FORMS, st.integers(1, 12))
def test_same_as_ftfy_with_short_segments(text: str, form: str, max_decode_length: int) -> None:
    check(text, form, max_decode_length)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_windowed_is_bad_is_ftfys(text: str) -> None:
    assert is_bad(text) == ftfy.badness.is_bad(text)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, FORMS, st.sampled_from([1, 3, 8, 40, ftfy_exact.MAX_DECODE_LENGTH]))
def test_same_as_ftfy_many(text: str, form: str, max_decode_length: int) -> None:
    check(text, form, max_decode_length)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None)
@given(TEXTS)
def test_windowed_is_bad_is_ftfys_many(text: str) -> None:
    assert is_bad(text) == ftfy.badness.is_bad(text)


# -- what the argument in ftfy_exact's docstring rests on ----------------------------------------


def test_each_fixer_changes_only_text_its_guard_finds() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for chars, fixer in ftfy_exact.FIXERS:
        untouched = everything.translate(dict.fromkeys(map(ord, chars)))
        assert len(untouched) < len(everything)
        assert fixer(untouched) == untouched, fixer.__name__
        assert fixer is not fixes.fix_line_breaks or fixer("a\r\nb\u2028") == "a\nb\n"


def test_c1_characters_alone_are_bad() -> None:
    assert all(ftfy.badness.is_bad(chr(c)) for c in range(0x80, 0xA0))


def test_badness_pattern_has_one_anchor_and_no_lookaround() -> None:
    tree = sre_parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    [(_, (_, branches))] = tree.data
    anchored = [b.data for b in branches if any(op is sre_constants.AT for op, _ in b.data)]
    assert anchored == [
        [
            (sre_constants.AT, sre_constants.AT_BEGINNING),
            (sre_constants.IN, [(sre_constants.LITERAL, ord("Ã")), (sre_constants.LITERAL, ord("Â"))]),
            (sre_constants.LITERAL, ord(" ")),
        ]
    ]
    assert "(?" not in BADNESS_RE.pattern and "\\b" not in BADNESS_RE.pattern
    assert ftfy_exact.BADNESS_WIDTH == 7


def test_no_step_touches_a_line_feed() -> None:
    for table in (chardata.LIGATURES, chardata.WIDTH_MAP, chardata.CONTROL_CHARS):
        assert ord("\n") not in table and "\n" not in "".join(v or "" for v in table.values())
    assert "\n" not in chardata.HTML_ENTITY_RE.pattern
    for form in NORMALIZATIONS:
        assert ftfy_exact.unicodedata.normalize(
            form, "a\n\u0301"
        ) == "a\n" + ftfy_exact.unicodedata.normalize(form, "\u0301")


# -- every corpus the repository has -----------------------------------------------------------


def corpus_texts() -> list[str]:
    return [d["text"] for d in CorpusGenerator(2026).documents(400)]


@cache
def web_texts() -> list[str]:
    """bench_peers' corpus (bench/web_corpus.py): as generated, and as whitespace
    normalisation (the op before fix_unicode_mapper in its recipe) leaves it."""
    spec = importlib.util.spec_from_file_location("web_corpus", BENCH / "web_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    texts = [d["text"] for d in module.WebCorpus(2026).documents(150)]
    return texts + [WhitespaceNormalizationMapper().process_text(t) for t in texts]


@pytest.mark.parametrize("form", NORMALIZATIONS)
def test_bench_corpora(form: str) -> None:
    for text in corpus_texts() + web_texts():
        check(text, form)


def reference_inputs() -> list[object]:
    """Each distinct input of the Data-Juicer reference cases, once; the 1 MB ones are slow."""
    seen: dict[str, object] = {}
    for case in CASES:
        key = str(case.get("generated", case.get("text")))
        if key not in seen:
            marks = [pytest.mark.slow] if "generated" in case else []
            seen[key] = pytest.param(case, id=f"{case['op']}:{case['id']}", marks=marks)
    return list(seen.values())


@pytest.mark.parametrize("case", reference_inputs())
def test_data_juicer_reference_inputs(case: dict[str, object]) -> None:
    text = input_text(case)  # type: ignore[arg-type]
    for form in NORMALIZATIONS:
        check(text, form)


def test_ftfy_docstring_examples() -> None:
    """The inputs of ftfy's own documented examples of fix_text."""
    for text in [
        "âœ” No problems",
        "&macr;\\_(ã\x83\x84)_/&macr;",
        "Broken text&hellip; it&#x2019;s ﬂubberiﬁc!",
        "ＬＯＵＤ　ＮＯＩＳＥＳ",
        "voilÃ le travail",
        "sÃ³",
        "schÃ¶n",
        "P&EACUTE;REZ",
    ]:
        for form in NORMALIZATIONS:
            check(text, form)


def test_the_op_gives_ftfys_output_on_both_paths() -> None:
    texts = [*corpus_texts()[:100], *REGRESSIONS]
    texts = [t for t in texts if t.encode("utf-8", "surrogatepass").decode("utf-8", "ignore") == t]
    for form in NORMALIZATIONS:
        op = FixUnicodeMapper(normalization=form)
        want = [ftfy.fix_text(t, normalization=form) for t in texts]  # type: ignore[arg-type]
        assert [op.process_text(t) for t in texts] == want
        assert (
            op.run(pa.table({"text": pa.array(texts, pa.string())})).table.column("text").to_pylist() == want
        )


# -- counterexamples met on the way --------------------------------------------------------------

REGRESSIONS = [
    # A line starting "Ã " is bad only through BADNESS_RE's '^', which a search
    # of the whole text does not see after a "\n".
    "The end.\nÃ la carte",
    "ok\nÂ but",
    # A clue in the first characters: the windowed search must start at 0.
    "Ã©tÃ©",
    "é€",
    # Entities that reappear or that unescaping makes: a second round is needed.
    "&amp;amp; and &amp;lt;",
    "\uff06amp; fullwidth",
    "one&NewLine;two",
    # '<' switches unescaping off for its line and the ones after it.
    "caf&eacute;\n<b>caf&eacute;</b>\n&amp;\n",
    "<\n&amp;",
    # "\r" becomes a new line break within a segment.
    "a\r\nb\rc\u2028d\x85",
    "x\r",
    # A ligature NFKC takes apart further, and width forms of quotes.
    "ﬅ ﬁ \uff02 \uff07",
    # Combining marks at the start of a line.
    "e\n\u0301x\n\u0308",
    # A mojibake sentence among good ones, and C1 controls.
    "Good line.\nâ€œquotedâ€\x9d and itâ€™s\nMore.",
    "\x80\x9f",
    # Removing a control character makes mojibake or an entity for the next round.
    "xÃ\x00 la",
    "&am\x00p; &l\u200bt;",
    "\x1b\x00[31mred",
]


@pytest.mark.parametrize("text", REGRESSIONS)
@pytest.mark.parametrize("form", NORMALIZATIONS)
def test_regressions(text: str, form: str) -> None:
    check(text, form)
    check(text, form, 4)


def test_another_ftfy_version_gets_plain_ftfy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ftfy, "__version__", "9.9.9")
    clues, width = ftfy_exact._badness_clues()
    monkeypatch.setattr(ftfy_exact, "BADNESS_CLUES", clues)
    monkeypatch.setattr(ftfy_exact, "BADNESS_WIDTH", width)
    for text in REGRESSIONS:
        assert is_bad(text) == ftfy.badness.is_bad(text)

    def no_fast_path(*args: object) -> None:
        raise AssertionError("the fast path ran for an unproven ftfy")

    monkeypatch.setattr(ftfy_exact, "_fast", no_fast_path)
    for text in REGRESSIONS:
        check(text, "NFC")
