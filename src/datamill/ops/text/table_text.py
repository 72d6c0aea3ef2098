"""remove_table_text_mapper: remove runs of lines that look like table rows.

Data-Juicer removes, for each column count ``n`` from ``min_col`` to ``max_col``
in turn (each on the text the previous one left), every match of the regex
``(?<=\\n)((\\S+?)([ |\\t](\\S+?)){n-1}\\n+){2,}``. Read line by line, that regex
says: a row is a whole line, after a newline and ended by one, that can be cut
into ``n`` non-empty pieces of non-space characters by single separators (a
space, a tab, or a ``|`` chosen among those inside the pieces); a table is two
or more rows in a row (blank lines between them allowed), removed with the
newlines that follow it.

Running 19 backtracking regexes over every text is slow (and exponential on
lines full of ``|``), so this module decides the same thing per line, once:
the separator counts a line can be cut with form a range, from its spaces and
tabs alone up to those plus the most ``|`` it can also cut at.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import map_some_rows, set_text

MIN_COLUMNS, MAX_COLUMNS = 2, 20
"""The range Data-Juicer declares for both ``min_col`` and ``max_col``."""

_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""What the ``regex`` module's ``\\s`` matches (the stdlib's also takes \\x1c-\\x1f)."""
_ROW = re.compile(f"[^{_SPACE}]+(?:[ \\t][^{_SPACE}]+)*")
"""A line that some column count can cut: pieces joined by single spaces or tabs."""
_PIPES = re.compile(r"\|+")

Span = tuple[int, int] | None
"""The separator counts a line can be cut with (lowest, highest), or None."""


def separator_span(line: str) -> Span:
    """Every space and tab must separate; each ``|`` inside a piece may, but two
    that separate cannot touch (that would leave an empty piece)."""
    if not _ROW.fullmatch(line):
        return None
    fixed = line.count(" ") + line.count("\t")
    if "|" not in line:
        return fixed, fixed
    optional = 0
    for piece in re.split("[ \t]", line):
        optional += sum((len(run) + 1) // 2 for run in _PIPES.findall(piece, 1, len(piece) - 1))
    return fixed, fixed + optional


def _remove_tables(lines: list[str], spans: list[Span], seps: int) -> tuple[list[str], list[Span]]:
    """One column count's pass: drop each run of two or more rows, with the blank lines after them."""
    last = len(lines) - 1  # the last line has no newline after it: never a row

    def is_row(i: int) -> bool:
        span = spans[i]
        return i < last and span is not None and span[0] <= seps <= span[1]

    def next_nonblank(i: int) -> int:
        while i < last and not lines[i]:
            i += 1
        return i

    keep_lines: list[str] = []
    keep_spans: list[Span] = []
    i = 0
    while i <= last:
        rows, end = 0, i
        while i > 0 and is_row(end):  # the regex's lookbehind: a newline before the first row
            rows, end = rows + 1, next_nonblank(end + 1)
        if rows >= 2:
            i = end
            continue
        keep_lines.append(lines[i])
        keep_spans.append(spans[i])
        i += 1
    return keep_lines, keep_spans


def _check_range(name: str, value: int) -> None:
    if not MIN_COLUMNS <= value <= MAX_COLUMNS:
        raise ConfigError(
            f"remove_table_text_mapper: '{name}' must be between {MIN_COLUMNS} and {MAX_COLUMNS} "
            f"(got {value}), as in Data-Juicer."
        )


def _may_hold_table(texts: pa.Array) -> pa.Array:
    """A table is two rows, each ended by a newline, after a newline: three at least."""
    return pc.greater_equal(pc.count_substring(texts, "\n"), 3)


@register("remove_table_text_mapper")
class RemoveTableTextMapper(Mapper):
    def __init__(self, min_col: int = 2, max_col: int = 20, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        _check_range("min_col", min_col)
        _check_range("max_col", max_col)
        self.min_col, self.max_col = min_col, max_col

    def process_text(self, text: str) -> str:
        if text.count("\n") < 3:
            return text
        lines = text.split("\n")
        spans = [separator_span(line) for line in lines]
        candidates = [s for s in spans if s is not None]
        if len(candidates) < 2:
            return text
        for seps in range(self.min_col - 1, self.max_col):
            # A pass without two lines that can hold its separator count changes nothing.
            if sum(1 for low, high in candidates if low <= seps <= high) >= 2:
                lines, spans = _remove_tables(lines, spans, seps)
        return "\n".join(lines)

    def process_batch(self, table: pa.Table) -> pa.Table:
        column = table.column(self.text_key).combine_chunks()
        cleaned = map_some_rows(column, _may_hold_table(column), self.process_text)
        return set_text(table, self.text_key, cleaned)
