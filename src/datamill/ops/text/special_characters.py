"""special_characters_filter: keep samples whose share of special characters is in range.

Special characters are Data-Juicer's set (punctuation, digits, whitespace,
symbols, emoji: :data:`SPECIAL_CHARACTERS`); the statistic is how many of the
text's characters belong to it, over the number of characters (0.0 for the
empty text). The batch path counts them on the Arrow column through a table
of the set (:mod:`datamill.ops.text.codepoints`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS
from datamill.ops.text.codepoints import ratio_in, table_of


@cache
def _special_table() -> np.ndarray:
    return table_of(SPECIAL_CHARACTERS)


def special_char_ratio(text: str) -> float:
    return sum(map(SPECIAL_CHARACTERS.__contains__, text)) / len(text) if text else 0.0


@register("special_characters_filter")
class SpecialCharactersFilter(Filter):
    stat_key = "special_char_ratio"

    def __init__(self, min_ratio: float = 0.0, max_ratio: float = 0.25, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_value, self.max_value = float(min_ratio), float(max_ratio)

    def compute_stat(self, text: str) -> float:
        return special_char_ratio(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        return ratio_in(table.column(self.text_key), _special_table())
