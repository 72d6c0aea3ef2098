"""remove_non_chinese_character_mapper: keep only Chinese characters (and,
by default, ASCII letters, digits and some punctuation).

"Chinese" is Data-Juicer's range U+4E00..U+9FA5 of CJK ideographs; the
punctuation kept is its list of common Chinese and ASCII marks and the space.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from datamill.ops.base import Mapper
from datamill.ops.registry import register

CHINESE = "\u4e00-\u9fa5"
ALPHABET = "A-Za-z"
NUMBER = "0-9"
PUNCTUATION = (
    ".\uff0c ,\\-\u3002%\u300a*\u300b/\u2022\u3001&\uff06(\u2014)"
    "\uff08+\uff09\uff1a\uff1f!\uff01\u201c\u201d\u00b7"
)
"""Data-Juicer's kept punctuation, as the inside of a character class (the
hyphen escaped); the same text reads alike in Python's ``re`` and in RE2."""


def removal_pattern(keep_alphabet: bool, keep_number: bool, keep_punc: bool) -> str:
    """A character class of everything to remove, runs of it at once."""
    kept = CHINESE + ALPHABET * keep_alphabet + NUMBER * keep_number + PUNCTUATION * keep_punc
    return "[^" + kept + "]+"


@register("remove_non_chinese_character_mapper")
class RemoveNonChineseCharacterMapper(Mapper):
    def __init__(
        self, keep_alphabet: bool = True, keep_number: bool = True, keep_punc: bool = True, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pattern = removal_pattern(keep_alphabet, keep_number, keep_punc)
        self._regex = re.compile(self.pattern)

    def process_text(self, text: str) -> str:
        return self._regex.sub("", text)

    def process_batch(self, table: pa.Table) -> pa.Table:
        out = pc.replace_substring_regex(table.column(self.text_key), pattern=self.pattern, replacement="")
        return table.set_column(table.schema.get_field_index(self.text_key), self.text_key, out)
