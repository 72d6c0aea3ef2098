"""``ftfy.fix_text(text, normalization=N)``, exactly, without most of its cost.

ftfy cuts a text into segments that end after each "\\n" and runs a
fixed-point loop on each: unescape_html, fix_encoding, then eight fixers and
the normalisation, repeated until a round changes nothing. On most text the
expensive part, fix_encoding, does nothing: it returns its input when
``is_bad`` finds no mojibake. :func:`fix_text` runs that loop once over the
whole text instead of once per line, skips every fixer that cannot apply, and
hands ftfy only the lines where its detection finds something.

Why the whole text gives ftfy's answer, when the checks below pass:

- Each step (unescape_html, the fixers, normalisation) is a function f with
  f(a + b) == f(a) + f(b) whenever a ends in "\n": none of their patterns
  spans a "\n" (entities, quotes, surrogate pairs, terminal escapes,
  "\r\n"), the translate tables neither map nor make one, and "\n" is a
  starter that composes with nothing, so normalisation does not cross it.
  No step removes a "\n" or moves a segment's final one. So a round over the
  whole text is the concatenation of the rounds over its segments.
- ``BADNESS_RE`` has no lookaround and no anchor but ``^[ÃÂ][ ]``, so
  ``is_bad`` is false on every segment when it is false on the whole and no
  "\n" is followed by "Ã " or "Â ". Then fix_encoding returns each segment
  as it is, and, a C1 character alone being a match, so does fix_c1_controls.
- ftfy stops a segment when a round leaves it unchanged. We run one round,
  ``y = F(x)``, and return ``x`` if ``y == x``, else ``y`` if a second round
  provably changes nothing: no entity left to unescape, ``is_bad(y)`` false,
  ``F(y) == y``. Equality on the whole means equality on every segment:
  each segment's image ends in "\n" and holds at least as many "\n" as the
  segment, so equal totals cut both sides at the same places.
- unescape_html="auto" is off for the first segment holding a '<' and every
  later one. We split the text there: the part before is fixed with
  unescaping, the rest without, each with the checks above.
- :func:`is_bad` searches ``BADNESS_RE`` only in short windows around the
  characters every match needs (read from the parsed pattern), which is
  where most of ftfy's time goes.

A text the checks reject goes segment by segment, as ftfy does, through
fix_and_explain's loop built from ftfy's own steps; only a segment
``is_bad`` flags reaches ``ftfy.fix_encoding``, the expensive one.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Literal, cast

import ftfy
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE

Form = Literal["NFC", "NFKC", "NFD", "NFKD"]
NORMALIZATIONS = ("NFC", "NFKC", "NFD", "NFKD")
MAX_DECODE_LENGTH = ftfy.TextFixerConfig().max_decode_length
PROVEN_FOR = "6.3.1"
"""The ftfy whose source the argument above was checked against; with any
other version :func:`fix_text` simply calls ``ftfy.fix_text``."""


def _char_class(codepoints: Iterable[int]) -> str:
    """A regex character class of ``codepoints``, runs written as ranges."""
    points = sorted(set(codepoints))
    parts: list[str] = []
    start = prev = points[0]
    for cp in [*points[1:], -2]:
        if cp != prev + 1:
            parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
            start = cp
        prev = cp
    return "[" + "".join(parts) + "]"


def _touches(chars: Iterable[int]) -> re.Pattern[str]:
    return re.compile(_char_class(chars))


def _needed_chars(op: object, arg: object) -> set[int] | None:
    """The characters one regex item matches, or None when that is not a plain set."""
    if op is sre_constants.LITERAL:
        return {arg}  # type: ignore[arg-type]
    if op is not sre_constants.IN:
        return None
    chars: set[int] = set()
    for kind, value in arg:  # type: ignore[attr-defined]
        if kind is sre_constants.LITERAL:
            chars.add(value)
        elif kind is sre_constants.RANGE:
            chars.update(range(value[0], value[1] + 1))
        else:
            return None
    return chars


def _chars_of(pattern: re.Pattern[str]) -> frozenset[str]:
    """The characters a one-character-class pattern matches."""
    [item] = sre_parser.parse(pattern.pattern, pattern.flags).data
    chars = _needed_chars(*item)
    assert chars is not None
    return frozenset(map(chr, chars))


LINE_BREAKS = frozenset("\r\u2028\u2029\x85")
"""What ``fixes.fix_line_breaks`` replaces (read from its source)."""

# Each fixer after fix_c1_controls, in ftfy's order, with every character it
# can change: a text holding none of them is left as it is.
FIXERS: tuple[tuple[frozenset[str], Callable[[str], str]], ...] = (
    (frozenset(map(chr, chardata.LIGATURES)), fixes.fix_latin_ligatures),
    (frozenset(map(chr, chardata.WIDTH_MAP)), fixes.fix_character_width),
    (_chars_of(chardata.SINGLE_QUOTE_RE) | _chars_of(chardata.DOUBLE_QUOTE_RE), fixes.uncurl_quotes),
    (LINE_BREAKS, fixes.fix_line_breaks),
    (_chars_of(fixes.SURROGATE_RE), fixes.fix_surrogates),
    (frozenset("\x1b"), fixes.remove_terminal_escapes),
    (frozenset(map(chr, chardata.CONTROL_CHARS)), fixes.remove_control_chars),
)
ANY_FIXER = _touches(ord(c) for chars, _ in FIXERS for c in chars)

SEGMENT_STARTS_BAD = re.compile("\n[ÃÂ] ")
"""``BADNESS_RE``'s ``^[ÃÂ][ ]`` as it applies to a segment that is not first."""


def _badness_clues() -> tuple[re.Pattern[str], int]:
    """Characters of which every match of ``BADNESS_RE`` holds one, and its longest match.

    Read from the parsed pattern: in each alternative, the required item with
    the fewest characters, all non-ASCII. A text with no such character
    cannot match, and a match lies within the longest width of a clue.
    """
    if ftfy.__version__ != PROVEN_FOR:
        return re.compile(".", re.DOTALL), sys.maxsize // 2  # one window: the whole text
    tree = sre_parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    [(op, (_, branches))] = tree.data
    assert op is sre_constants.BRANCH and not BADNESS_RE.flags & re.IGNORECASE
    clues: set[int] = set()
    for branch in branches:
        candidates = [c for c in (_needed_chars(*item) for item in branch.data) if c and min(c) >= 0x80]
        clues |= min(candidates, key=len)
    return _touches(clues), tree.getwidth()[1]


BADNESS_CLUES, BADNESS_WIDTH = _badness_clues()


def is_bad(text: str) -> bool:
    """``ftfy.badness.is_bad(text)``, searching only around the characters a match needs.

    A match holding a clue at ``i`` lies in ``[i - width + 1, i + width)``;
    overlapping windows are searched as one. ``BADNESS_RE`` has no lookaround
    and its only anchor is ``^``, which ``search(text, pos)`` matches at the
    real start of ``text`` alone, so a window finds exactly the matches of
    the whole search that lie in it.
    """
    lo = hi = -1
    for clue in BADNESS_CLUES.finditer(text):
        at = clue.start()
        if hi >= 0 and at - BADNESS_WIDTH + 1 <= hi:
            hi = at + BADNESS_WIDTH
            continue
        if hi >= 0 and BADNESS_RE.search(text, lo, hi):
            return True
        lo, hi = max(0, at - BADNESS_WIDTH + 1), at + BADNESS_WIDTH
    return hi >= 0 and bool(BADNESS_RE.search(text, lo, hi))


def _fixers(text: str, normalization: Form) -> str:
    """The steps after fix_c1_controls, ligatures to control characters, then normalisation."""
    present = set(ANY_FIXER.findall(text))
    for chars, fixer in FIXERS:
        if present and not chars.isdisjoint(present):
            text = fixer(text)
            present = set(ANY_FIXER.findall(text))
    return unicodedata.normalize(normalization, text)


def _clean(text: str, unescape: bool) -> bool:
    """Whether ftfy's round would neither unescape nor decode anything in ``text``."""
    if unescape and "&" in text and chardata.HTML_ENTITY_RE.search(text):
        return False
    return not is_bad(text) and not SEGMENT_STARTS_BAD.search(text)


def _fast(text: str, unescape: bool, normalization: Form) -> str | None:
    """ftfy's fixed point for ``text`` (whole segments), or None if not provable."""
    if unescape and "&" in text:
        start = fixes.unescape_html(text)
        if not _clean(start, False):
            return None
    elif _clean(text, False):
        start = text
    else:
        return None
    fixed = _fixers(start, normalization)
    if fixed == text:
        return text
    if not _clean(fixed, unescape) or _fixers(fixed, normalization) != fixed:
        return None
    return fixed


def fix_text(text: str, normalization: str = "NFC", max_decode_length: int = MAX_DECODE_LENGTH) -> str:
    """The same string as ``ftfy.fix_text(text, normalization=..., max_decode_length=...)``."""
    form = cast(Form, normalization)
    if normalization not in NORMALIZATIONS or ftfy.__version__ != PROVEN_FOR:
        return ftfy.fix_text(text, normalization=form, max_decode_length=max_decode_length)
    if len(text) <= max_decode_length:
        split = text.rfind("\n", 0, text.find("<")) + 1 if "<" in text else len(text)
        head = _fast(text[:split], True, form) if split else ""
        tail = _fast(text[split:], False, form) if split < len(text) else ""
        if head is not None and tail is not None:
            return head + tail
    return _by_segment(text, form, max_decode_length)


def _by_segment(text: str, normalization: Form, max_decode_length: int) -> str:
    """``ftfy.fix_text``'s loop over segments, and its '<' rule."""
    out: list[str] = []
    unescape = True
    pos = 0
    while pos < len(text):
        end = min(text.find("\n", pos) + 1 or len(text), pos + max_decode_length)
        segment = text[pos:end]
        unescape = unescape and "<" not in segment
        out.append(_fix_segment(segment, unescape, normalization))
        pos = end
    return "".join(out)


def _fix_segment(text: str, unescape: bool, normalization: Form) -> str:
    """``ftfy.fix_and_explain(text).text`` for one segment: its fixed-point loop
    over ftfy's own steps, each skipped where it cannot change anything.
    fix_encoding leaves a text alone when ``is_bad`` finds nothing in it, so it
    is called only when it does (with its defaults, as fix_and_explain calls it)."""
    while True:
        before = text
        if unescape and "&" in text:
            text = fixes.unescape_html(text)
        if is_bad(text):
            text = ftfy.fix_encoding(text)
        if chardata.C1_CONTROL_RE.search(text):
            text = fixes.fix_c1_controls(text)
        text = _fixers(text, normalization)
        if text == before:
            return text
