"""suffix_filter: keep samples whose file suffix is one of ``suffixes``.

The suffix is Data-Juicer's column ``__dj__suffix__`` (like ``.jsonl``), which
it adds when a recipe sets ``add_suffix``; a suffix matches only when equal to
one of ``suffixes``, dot included. With no ``suffixes`` every sample is kept
and the column is not read. The filter writes no statistic.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datamill.errors import ConfigError
from datamill.io.arrays import strings
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.stat_arrays import bool_array

SUFFIX_COLUMN = "__dj__suffix__"


@register("suffix_filter")
class SuffixFilter(Filter):
    needs_text = False

    def __init__(self, suffixes: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if suffixes is None:
            suffixes = []
        self.suffixes = [suffixes] if isinstance(suffixes, str) else list(suffixes)

    def keep_record(self, record: dict[str, Any]) -> bool:
        """The per-sample hook: whether this record is kept (a KeyError without a suffix)."""
        if not self.suffixes:
            return True
        return self._keep(record[SUFFIX_COLUMN])

    def _keep(self, suffix: Any) -> bool:
        return (suffix in self.suffixes) != self.reversed_range

    def _mask(self, column: pa.ChunkedArray) -> pa.Array:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            inside = pc.is_in(column.combine_chunks(), value_set=strings(self.suffixes))
            return pc.invert(inside) if self.reversed_range else inside
        return bool_array([self._keep(v) for v in column.to_pylist()])

    def run(self, table: pa.Table) -> OpResult:
        if not self.suffixes:
            return OpResult(table)
        if SUFFIX_COLUMN not in table.column_names:
            raise ConfigError(
                f"suffix_filter reads each sample's file suffix from the column '{SUFFIX_COLUMN}', "
                "which the data does not have (Data-Juicer adds it when a recipe sets add_suffix). "
                f"Add a '{SUFFIX_COLUMN}' column (like '.jsonl') or remove suffix_filter."
            )
        kept = table.filter(self._mask(table.column(SUFFIX_COLUMN)))
        return OpResult(kept, rows_removed=table.num_rows - kept.num_rows)
