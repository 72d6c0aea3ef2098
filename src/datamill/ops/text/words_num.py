"""words_num_filter: keep samples whose number of words is in range.

A word, as Data-Juicer counts it: the text is split on ' ', '\\n' and '\\t',
special characters (punctuation, digits, whitespace, symbols, emoji) are
stripped from both ends of each piece, and the non-empty pieces are counted.
With ``tokenization: true`` the pieces are instead those of the language's
SentencePiece model (``{lang}.sp.model``), so the count depends on that model.
"""

from __future__ import annotations

import sys
from typing import Any

import pyarrow as pa

from datamill.models.sentencepiece import WordSplitter
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR
from datamill.ops.text.stat_arrays import int_array

_SEPARATORS = str.maketrans({"\n": " ", "\t": " "})


def count_words(text: str) -> int:
    return count_pieces(text.translate(_SEPARATORS).split(" "))


def count_pieces(pieces: list[str]) -> int:
    """The words among ``pieces``: those with a character that is not special.

    A piece whose first or last character is not special is a word; only the
    others are stripped (``str.strip`` with the long list of special characters
    scans it for every character it keeps).
    """
    special, strip = SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR
    return sum(1 for p in pieces if p and (p[0] not in special or p[-1] not in special or p.strip(strip)))


@register("words_num_filter")
class WordsNumFilter(Filter):
    stat_key = "num_words"

    def __init__(
        self,
        lang: str = "en",
        tokenization: bool = False,
        min_num: int = 10,
        max_num: int = sys.maxsize,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.splitter = WordSplitter(self.name, lang, tokenization)
        self.min_value, self.max_value = min_num, max_num

    def compute_stat(self, text: str) -> int:
        if self.splitter.tokenization:
            return count_pieces(self.splitter.words(text))
        return count_words(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        texts = table.column(self.text_key).to_pylist()
        if self.splitter.tokenization:
            return int_array([count_pieces(pieces) for pieces in self.splitter.words_of(texts)])
        return int_array([count_words(text) for text in texts])

    def run(self, table: pa.Table) -> OpResult:
        if table.num_rows and self.stat_column not in table.column_names:
            self.splitter.load()  # a missing model stops the job, instead of setting every sample aside
        return super().run(table)
