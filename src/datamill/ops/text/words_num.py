"""words_num_filter: keep samples whose number of words is in range.

A word, as Data-Juicer counts it: the text is split on ' ', '\\n' and '\\t',
special characters (punctuation, digits, whitespace, symbols, emoji) are
stripped from both ends of each piece, and the non-empty pieces are counted.
"""

from __future__ import annotations

import sys

from datamill.errors import ConfigError
from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR

_SEPARATORS = str.maketrans({"\n": " ", "\t": " "})


def count_words(text: str) -> int:
    strip = SPECIAL_CHARACTERS_STR
    return sum(1 for piece in text.translate(_SEPARATORS).split(" ") if piece.strip(strip))


@register("words_num_filter")
class WordsNumFilter(Filter):
    stat_key = "num_words"

    def __init__(
        self,
        lang: str = "en",
        tokenization: bool = False,
        min_num: int = 10,
        max_num: int = sys.maxsize,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if tokenization:
            raise ConfigError(
                "words_num_filter: 'tokenization: true' needs Data-Juicer's sentencepiece "
                "models, which datamill does not download. Use 'tokenization: false'."
            )
        self.lang = lang
        self.min_value, self.max_value = min_num, max_num

    def compute_stat(self, text: str) -> int:
        return count_words(text)
