"""clean_copyright_mapper: drop a copyright header from the top of a source file.

As Data-Juicer does it: if the text holds a ``/* ... */`` block, the first one
is cut when it mentions "copyright" (in any case) and the text is otherwise
left alone; without such a block, the leading lines that are empty or start
with ``//``, ``#`` or ``--`` are dropped.
"""

from __future__ import annotations

import pyarrow as pa
import regex

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import map_texts, set_text

_BLOCK_COMMENT = regex.compile(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")
_COPYRIGHT = regex.compile("copyright", regex.IGNORECASE)
_COMMENT_STARTS = ("//", "#", "--")


def drop_leading_comment_lines(text: str) -> str:
    """The text from its first line that is neither empty nor a line comment
    (the text itself, not a copy, when that is its first line)."""
    start = 0
    while True:
        empty = start == len(text) or text[start] == "\n"
        if not empty and not text.startswith(_COMMENT_STARTS, start):
            return text[start:]
        end = text.find("\n", start)
        if end < 0:
            return ""
        start = end + 1


@register("clean_copyright_mapper")
class CleanCopyrightMapper(Mapper):
    """Remove the first block comment if it names a copyright, else leading line comments."""

    def process_text(self, text: str) -> str:
        # No block comment can match without its opening "/*" (and a search
        # for one character is much faster than for two).
        found = _BLOCK_COMMENT.search(text) if "*" in text and "/*" in text else None
        if found is None:
            return drop_leading_comment_lines(text)
        start, end = found.span()
        if _COPYRIGHT.search(text, start, end):
            return text[:start] + text[end:]
        return text

    def process_batch(self, table: pa.Table) -> pa.Table:
        return set_text(table, self.text_key, map_texts(table.column(self.text_key), self.process_text))
