"""remove_words_with_incorrect_substrings_mapper: drop words holding a bad substring.

The text is cut into lines, the lines at tabs and those pieces at spaces;
a word is dropped when, once special characters are stripped from its ends,
it contains one of ``substrings`` (by default pieces of links). The text is
then put back together the way Data-Juicer does it, which also drops empty
words, empty tab pieces and empty lines (so runs of spaces and blank lines
go, even in a text without bad words).

With ``tokenization: true`` the words are the pieces of the language's
SentencePiece model (``{lang}.sp.model``, see :mod:`datamill.models.sentencepiece`)
with their '\u2581' word-start marks removed. As in Data-Juicer, a text with no
bad piece is left as it is, and otherwise becomes its kept pieces joined with
nothing between them (the spaces go too). The output depends on the model.
"""

from __future__ import annotations

import pyarrow as pa

from datamill.models.sentencepiece import WordSplitter
from datamill.ops.base import Mapper, OpResult
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR

DEFAULT_SUBSTRINGS = ("http", "www", ".com", "href", "//")
WORD_START = "\u2581"
"""SentencePiece's mark of a piece that starts a word."""


class WordScreen:
    """Tells the words to drop, and rebuilds a text without them."""

    def __init__(self, substrings: list[str]) -> None:
        self.substrings = substrings

    def is_bad(self, word: str) -> bool:
        # The stripped word is a part of the word: test the whole word first.
        if not any(bad in word for bad in self.substrings):
            return False
        core = word.strip(SPECIAL_CHARACTERS_STR)
        return any(bad in core for bad in self.substrings)

    def clean(self, text: str) -> str:
        lines = []
        for line in text.split("\n"):
            pieces = []
            for piece in line.split("\t"):
                words = " ".join(w for w in piece.split(" ") if w and not self.is_bad(w))
                if words:
                    pieces.append(words)
            if pieces:
                lines.append("\t".join(pieces))
        return "\n".join(lines)

    def clean_pieces(self, text: str, pieces: list[str]) -> str:
        """``text`` without its bad pieces, rebuilt from the others; unchanged if none is bad."""
        words = [piece.replace(WORD_START, "") for piece in pieces]
        kept = [word for word in words if not self.is_bad(word)]
        return text if len(kept) == len(words) else "".join(kept)


@register("remove_words_with_incorrect_substrings_mapper")
class RemoveWordsWithIncorrectSubstringsMapper(Mapper):
    def __init__(
        self,
        lang: str = "en",
        tokenization: bool = False,
        substrings: list[str] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lang, self.tokenization = lang, tokenization
        self.substrings = list(DEFAULT_SUBSTRINGS if substrings is None else substrings)
        self._screen = WordScreen(self.substrings)
        self.splitter = WordSplitter(self.name, lang, tokenization)

    def run(self, table: pa.Table) -> OpResult:
        if table.num_rows:
            self.splitter.load()  # a missing model stops the job, instead of setting every sample aside
        return super().run(table)

    def process_text(self, text: str) -> str:
        if self.tokenization:
            return self._screen.clean_pieces(text, self.splitter.words(text))
        return self._screen.clean(text)
