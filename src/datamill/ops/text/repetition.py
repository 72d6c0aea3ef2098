"""character_repetition_filter and word_repetition_filter: n-gram repetition.

Both count the n-grams of a text (characters, or refined words) and keep a
sample whose share of repeated n-grams lies in ``[min_ratio, max_ratio]``. The
two ratios differ, as in Data-Juicer:

- characters: the occurrences of the ``isqrt(distinct)`` most frequent n-grams
  (no more than there are n-grams seen twice or more), over all n-grams;
- words: the occurrences of every n-gram seen twice or more, over all n-grams.

Words are the pieces between spaces, tabs and newlines, lower-cased, with
special characters stripped from both ends, empty ones dropped. With
``tokenization: true`` the pieces are instead those of the language's
SentencePiece model (``{lang}.sp.model``, see :mod:`datamill.models.sentencepiece`),
refined the same way; the ratio then depends on that model.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import pyarrow as pa

from datamill.errors import ConfigError
from datamill.models.sentencepiece import WordSplitter
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR
from datamill.ops.text.stat_arrays import float_array


def _negated_class(chars: frozenset[str]) -> str:
    """A ``re`` character class of every character not in ``chars``."""
    spans: list[tuple[int, int]] = []
    for cp in sorted(map(ord, chars)):
        if spans and spans[-1][1] == cp - 1:
            spans[-1] = (spans[-1][0], cp)
        else:
            spans.append((cp, cp))
    return "[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in spans) + "]"


_PLAIN = _negated_class(SPECIAL_CHARACTERS)
_WORD = re.compile(f"{_PLAIN}(?:[^ \\n\\t]*{_PLAIN})?")
"""A word with its special characters stripped from both ends: from the first
character of a piece that is not special to the last one. Space, tab and
newline are special, so a match never spans two pieces; a piece made only of
special characters has no match, as it would be dropped once stripped."""


def _positive(op: str, rep_len: int) -> int:
    if rep_len < 1:
        raise ConfigError(f"{op}: rep_len must be a positive integer (got {rep_len}).")
    return rep_len


def char_repetition_ratio(text: str, n: int) -> float:
    """Share of the character n-grams taken by the most repeated ones."""
    counts = Counter([text[i : i + n] for i in range(len(text) - n + 1)])
    if not counts:
        return 0.0
    freqs = sorted(counts.values(), reverse=True)
    repeated = len(freqs) - freqs.count(1)
    top = min(math.isqrt(len(freqs)), repeated)
    return sum(freqs[:top]) / sum(freqs)


def refined_words(text: str) -> list[str]:
    """Words as word_repetition_filter sees them (lower-cased, stripped)."""
    # Lower-casing the whole text equals lower-casing each word: the separators
    # are neither cased nor case-ignorable, so no casing context crosses them.
    # It comes first, as in Data-Juicer: a few special characters ('\u0413')
    # have a lower case that is not special.
    words: list[str] = _WORD.findall(text.lower())
    return words


def refined_pieces(pieces: list[str]) -> list[str]:
    """Tokenizer pieces refined as words are: lower-cased, stripped of special characters, non-empty."""
    special, strip = SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR
    words = []
    for piece in pieces:
        word = piece.lower()
        # str.strip scans the long list of special characters per character kept: test the ends first
        if word and (word[0] in special or word[-1] in special):
            word = word.strip(strip)
        if word:
            words.append(word)
    return words


def word_repetition_ratio(text: str, n: int) -> float:
    """Share of the word n-grams that occur more than once."""
    return ngram_repetition_ratio(refined_words(text), n)


def ngram_repetition_ratio(words: list[str], n: int) -> float:
    """Share of the n-grams of ``words`` that occur more than once."""
    if len(words) < n:
        return 0.0
    # n-grams are told apart by their words joined with one space, as Data-Juicer does
    counts = Counter([" ".join(words[i : i + n]) for i in range(len(words) - n + 1)])
    repeated = sum(c for c in counts.values() if c > 1)
    return repeated / sum(counts.values())


class _RepetitionFilter(Filter):
    """A ratio per text, computed by the subclass's ``ratio``."""

    def __init__(
        self, rep_len: int = 10, min_ratio: float = 0.0, max_ratio: float = 0.5, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.n = _positive(self.name, rep_len)
        self.min_value, self.max_value = float(min_ratio), float(max_ratio)

    def ratio(self, text: str) -> float:
        raise NotImplementedError

    def compute_stat(self, text: str) -> float:
        return self.ratio(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        return float_array([self.ratio(t) for t in table.column(self.text_key).to_pylist()])


@register("character_repetition_filter")
class CharacterRepetitionFilter(_RepetitionFilter):
    stat_key = "char_rep_ratio"

    def ratio(self, text: str) -> float:
        return char_repetition_ratio(text, self.n)


@register("word_repetition_filter")
class WordRepetitionFilter(_RepetitionFilter):
    stat_key = "word_rep_ratio"

    def __init__(
        self,
        lang: str = "en",
        tokenization: bool = False,
        rep_len: int = 10,
        min_ratio: float = 0.0,
        max_ratio: float = 0.5,
        **kwargs: object,
    ) -> None:
        super().__init__(rep_len=rep_len, min_ratio=min_ratio, max_ratio=max_ratio, **kwargs)
        self.lang = lang
        self.splitter = WordSplitter(self.name, lang, tokenization)

    def run(self, table: pa.Table) -> OpResult:
        if table.num_rows and self.stat_column not in table.column_names:
            self.splitter.load()  # a missing model stops the job, instead of setting every sample aside
        return super().run(table)

    def ratio(self, text: str) -> float:
        if self.splitter.tokenization:
            return ngram_repetition_ratio(refined_pieces(self.splitter.words(text)), self.n)
        return word_repetition_ratio(text, self.n)
