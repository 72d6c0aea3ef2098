"""remove_long_words_mapper: drop the words whose length is out of range.

Words are what lies between spaces, within tab-separated fields, within lines,
as Data-Juicer splits them. Rebuilding the text also drops empty words, empty
fields and empty lines, so runs of spaces become one even when no word goes.
A word too long is kept if it fits once special characters are stripped from
its ends (a long word wrapped in punctuation); a word too short is not.
"""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.compute as pc

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR
from datamill.ops.text.some_rows import map_some_rows, set_text

RE2_MAX_REPEAT = 1000
"""The largest count RE2 accepts in ``{m,n}``."""

SEPARATORS = " \t\n"

SEPARATOR_RUN = r"[ \t]*(\n)[ \t\n]*| *(\t)[ \t]*|( ) +"
"""RE2, with ``\\1\\2\\3`` for a replacement: how a text whose words all stay is
rebuilt once its ends are trimmed. A run of separators between two words
becomes a newline if it holds one (empty lines go), else a tab if it holds
one (empty fields go), else a single space. Each alternative matches from
the first separator of a run to its last."""


@register("remove_long_words_mapper")
class RemoveLongWordsMapper(Mapper):
    """Keep the words whose length lies in ``[min_len, max_len]``."""

    def __init__(self, min_len: int = 1, max_len: int = sys.maxsize, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_len = min_len
        self.max_len = max_len

    def keeps(self, word: str) -> bool:
        """Whether ``word`` fits, as it is or, if too long, stripped of special characters."""
        if self.min_len <= len(word) <= self.max_len:
            return True
        if len(word) < self.min_len:
            return False
        return self.min_len <= len(word.strip(SPECIAL_CHARACTERS_STR)) <= self.max_len

    def process_text(self, text: str) -> str:
        lines = []
        for line in text.split("\n"):
            fields = []
            for field in line.split("\t"):
                words = [word for word in field.split(" ") if word and self.keeps(word)]
                if words:
                    fields.append(" ".join(words))
            if fields:
                lines.append("\t".join(fields))
        return "\n".join(lines)

    def process_batch(self, table: pa.Table) -> pa.Table:
        # Rows with a word out of range go through Python; the others only
        # need their separators rewritten, which RE2 does on the whole column.
        texts = table.column(self.text_key)
        trimmed = pc.utf8_trim(texts, characters=SEPARATORS)
        rebuilt = pc.replace_substring_regex(trimmed, pattern=SEPARATOR_RUN, replacement=r"\1\2\3")
        picked = self.out_of_range(texts)
        return set_text(table, self.text_key, map_some_rows(texts, picked, self.process_text, rebuilt))

    def out_of_range(self, texts: pa.ChunkedArray) -> pa.ChunkedArray:
        """The rows that may hold a word shorter than min_len or longer than max_len."""
        lengths = pc.utf8_length(texts)
        if self.max_len < RE2_MAX_REPEAT:
            longer = max(self.max_len + 1, 0)
            picked = pc.match_substring_regex(texts, pattern=f"[^ \t\n]{{{longer}}}")
        else:
            picked = pc.greater(lengths, self.max_len)
        if self.min_len <= 1:
            return picked
        if self.min_len > RE2_MAX_REPEAT:
            return pc.greater(lengths, 0)
        short = rf"(?:\A|[ \t\n])[^ \t\n]{{1,{self.min_len - 1}}}(?:[ \t\n]|\z)"
        return pc.or_(picked, pc.match_substring_regex(texts, pattern=short))
