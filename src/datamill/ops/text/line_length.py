"""maximum_line_length_filter and average_line_length_filter.

Lines are what Python's ``str.splitlines()`` makes of the text: it breaks at
``\\r\\n`` and at each of ``\\n \\r \\v \\f \\x1c \\x1d \\x1e \\x85 \\u2028 \\u2029``,
and a break at the very end opens no new line. The maximum is 0 for a text
without lines (the empty text), the average (characters of the whole text,
breaks included, over lines) is 0.0.

The batch paths get the same numbers from Arrow without making a Python string
per row: the longest piece between two break characters (a ``\\r\\n`` counted
as two breaks only adds an empty piece, which cannot change a maximum), and
the number of breaks plus one for a last line that does not end in a break.
"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datamill.io.arrays import numbers
from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.stat_arrays import int_array, ratios

_BREAK_CHARS = "\\n\\r\\x0b\\x0c\\x1c\\x1d\\x1e\\x{85}\\x{2028}\\x{2029}"
_BREAK = f"[{_BREAK_CHARS}]"
_BREAK_SEQUENCE = f"\\r\\n|{_BREAK}"
"""RE2 patterns: one break character; one line break (leftmost-first, so
``\\r\\n`` is one)."""
_ENDS_WITH_BREAK = f"{_BREAK}$"
_INT64 = (-(2**63), 2**63 - 1)


def _int64(bound: int) -> int:
    """A bound Arrow can compare with an int64 statistic; beyond int64 no length
    lies, so clamping it changes no decision."""
    return max(_INT64[0], min(bound, _INT64[1]))


def max_line_length(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


def avg_line_length(text: str) -> float:
    lines = len(text.splitlines())
    return len(text) / lines if lines else 0.0


def _text(table: pa.Table, key: str) -> pa.Array:
    return table.column(key).combine_chunks()


@register("maximum_line_length_filter")
class MaximumLineLengthFilter(Filter):
    stat_key = "max_line_length"

    def __init__(self, min_len: int = 10, max_len: int = sys.maxsize, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_value, self.max_value = _int64(min_len), _int64(max_len)

    def compute_stat(self, text: str) -> int:
        return max_line_length(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        text = _text(table, self.text_key)
        if len(text) == 0:
            return int_array([])
        pieces = pc.split_pattern_regex(text, pattern=_BREAK)
        lengths = numbers(pc.utf8_length(pieces.flatten()), np.int64)
        # every row has at least one piece; offsets are relative to the flattened values
        offsets = numbers(pieces.offsets, np.int64)
        starts = offsets[:-1] - offsets[0]
        return int_array(np.maximum.reduceat(lengths, starts))


@register("average_line_length_filter")
class AverageLineLengthFilter(Filter):
    stat_key = "avg_line_length"

    def __init__(self, min_len: int = 10, max_len: int = sys.maxsize, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        # a float statistic: Arrow compares it with float bounds only (exact below 2**53,
        # and no average reaches that)
        self.min_value, self.max_value = float(min_len), float(max_len)

    def compute_stat(self, text: str) -> float:
        return avg_line_length(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        text = _text(table, self.text_key)
        chars = numbers(pc.utf8_length(text), np.int64)
        breaks = numbers(pc.count_substring_regex(text, pattern=_BREAK_SEQUENCE), np.int64)
        open_end = numbers(pc.invert(pc.match_substring_regex(text, pattern=_ENDS_WITH_BREAK)), np.int64)
        lines = breaks + np.where(chars > 0, open_end, 0)
        return ratios(chars, lines)
