"""text_length_filter: keep samples whose length in characters is in range."""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.compute as pc

from datamill.ops.base import Filter
from datamill.ops.registry import register


@register("text_length_filter")
class TextLengthFilter(Filter):
    stat_key = "text_len"

    def __init__(self, min_len: int = 10, max_len: int = sys.maxsize, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_value, self.max_value = min_len, max_len

    def compute_stat(self, text: str) -> int:
        return len(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        # Arrow counts code points, as Python's len() does.
        return pc.utf8_length(table.column(self.text_key)).combine_chunks().cast(pa.int64())
