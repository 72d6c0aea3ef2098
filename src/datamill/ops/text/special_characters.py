"""special_characters_filter: keep samples whose share of special characters is in range.

Special characters are Data-Juicer's set (punctuation, digits, whitespace,
symbols, emoji: :data:`SPECIAL_CHARACTERS`); the statistic is how many of the
text's characters belong to it, over the number of characters (0.0 for the
empty text). The batch path counts them with one RE2 pass whose character
class names every member by code point, so no Unicode table is involved.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datamill.io.arrays import numbers
from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS
from datamill.ops.text.stat_arrays import ratios


def _ranges(code_points: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for cp in code_points:
        if spans and spans[-1][1] == cp - 1:
            spans[-1] = (spans[-1][0], cp)
        else:
            spans.append((cp, cp))
    return spans


def _class(chars: frozenset[str]) -> str:
    """An RE2 character class of exactly ``chars``."""
    spans = _ranges(sorted(ord(c) for c in chars))
    return "[" + "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in spans) + "]"


_SPECIAL = _class(SPECIAL_CHARACTERS)


def special_char_ratio(text: str) -> float:
    if not text:
        return 0.0
    return sum(map(SPECIAL_CHARACTERS.__contains__, text)) / len(text)


@register("special_characters_filter")
class SpecialCharactersFilter(Filter):
    stat_key = "special_char_ratio"

    def __init__(self, min_ratio: float = 0.0, max_ratio: float = 0.25, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_value, self.max_value = float(min_ratio), float(max_ratio)

    def compute_stat(self, text: str) -> float:
        return special_char_ratio(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        text = table.column(self.text_key).combine_chunks()
        special = numbers(pc.count_substring_regex(text, pattern=_SPECIAL), np.int64)
        return ratios(special, numbers(pc.utf8_length(text), np.int64))
