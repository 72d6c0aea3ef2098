"""remove_long_words_mapper: drop the words whose length is out of range.

Words are what lies between spaces, within tab-separated fields, within lines,
as Data-Juicer splits them. Rebuilding the text also drops empty words, empty
fields and empty lines, so runs of spaces become one even when no word goes.
A word too long is kept if it fits once special characters are stripped from
its ends (a long word wrapped in punctuation); a word too short is not.
"""

from __future__ import annotations

import sys

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR


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
