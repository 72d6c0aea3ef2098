"""character_repetition_filter and word_repetition_filter: n-gram repetition.

Both count the n-grams of a text (characters, or refined words) and keep a
sample whose share of repeated n-grams lies in ``[min_ratio, max_ratio]``. The
two ratios differ, as in Data-Juicer:

- characters: the occurrences of the ``isqrt(distinct)`` most frequent n-grams
  (no more than there are n-grams seen twice or more), over all n-grams;
- words: the occurrences of every n-gram seen twice or more, over all n-grams.

Words are the pieces between spaces, tabs and newlines, lower-cased, with
special characters stripped from both ends, empty ones dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable

import pyarrow as pa

from datamill.errors import ConfigError
from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR
from datamill.ops.text.stat_arrays import float_array

_SEPARATORS = str.maketrans({"\n": " ", "\t": " "})


def _positive(op: str, rep_len: int) -> int:
    if rep_len < 1:
        raise ConfigError(f"{op}: rep_len must be a positive integer (got {rep_len}).")
    return rep_len


def char_ngrams(text: str, n: int) -> Iterable[str]:
    """Every substring of ``n`` characters, overlapping."""
    return map(text.__getitem__, map(slice, range(len(text) - n + 1), range(n, len(text) + 1)))


def char_repetition_ratio(text: str, n: int) -> float:
    """Share of the character n-grams taken by the most repeated ones."""
    counts = Counter(char_ngrams(text, n))
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
    pieces = text.lower().translate(_SEPARATORS).split(" ")
    strip = SPECIAL_CHARACTERS_STR
    return [word for word in (piece.strip(strip) for piece in pieces if piece) if word]


def word_repetition_ratio(text: str, n: int) -> float:
    """Share of the word n-grams that occur more than once."""
    words = refined_words(text)
    if len(words) < n:
        return 0.0
    grams: Iterable[Hashable] = zip(*(words[i:] for i in range(n)), strict=False)
    counts = Counter(grams)
    if not counts:
        return 0.0
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
        if tokenization:
            raise ConfigError(
                f"word_repetition_filter: 'tokenization: true' splits words with the SentencePiece "
                f"model '{lang}.sp.model', which datamill does not provide yet; use 'tokenization: false'."
            )
        self.lang = lang

    def ratio(self, text: str) -> float:
        return word_repetition_ratio(text, self.n)
