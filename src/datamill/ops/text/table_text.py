"""remove_table_text_mapper: remove runs of lines that look like table rows.

A table, as Data-Juicer sees it: two or more lines in a row, right after a
newline, each made of exactly ``n`` separators (a space, a tab or ``|``)
between non-space pieces, for one ``n`` + 1 from ``min_col`` to ``max_col``.
The column counts are tried one after the other, each on the text the
previous one left.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import regex

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.row_subset import rewrite_rows

MIN_COLUMNS, MAX_COLUMNS = 2, 20
"""The range Data-Juicer declares for both ``min_col`` and ``max_col``."""

# The third-party ``regex`` module, as in Data-Juicer: its ``\S`` is not the
# stdlib's (it takes \x1c-\x1f as non-space).
_TABLES = {
    n: regex.compile(r"(?<=\n)((\S+?)([ |\t](\S+?)){" + str(n - 1) + r"}\n+){2,}")
    for n in range(MIN_COLUMNS, MAX_COLUMNS + 1)
}
"""For each column count, a run of two or more rows with that many columns."""


def _may_hold_table(texts: pa.Array) -> pa.Array:
    """A table is two rows, each ended by a newline, after a newline: three at least."""
    return pc.greater_equal(pc.count_substring(texts, "\n"), 3)


def _check_range(name: str, value: int) -> None:
    if not MIN_COLUMNS <= value <= MAX_COLUMNS:
        raise ConfigError(
            f"remove_table_text_mapper: '{name}' must be between {MIN_COLUMNS} and {MAX_COLUMNS} "
            f"(got {value}), as in Data-Juicer."
        )


@register("remove_table_text_mapper")
class RemoveTableTextMapper(Mapper):
    def __init__(self, min_col: int = 2, max_col: int = 20, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        _check_range("min_col", min_col)
        _check_range("max_col", max_col)
        self.min_col, self.max_col = min_col, max_col
        self._tables = [_TABLES[n] for n in range(min_col, max_col + 1)]

    def process_text(self, text: str) -> str:
        if text.count("\n") < 3:
            return text
        for table in self._tables:
            text = table.sub("", text)
        return text

    def process_batch(self, table: pa.Table) -> pa.Table:
        return rewrite_rows(table, self.text_key, _may_hold_table, self.process_text)
