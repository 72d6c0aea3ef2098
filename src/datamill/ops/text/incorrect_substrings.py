"""remove_words_with_incorrect_substrings_mapper: drop words holding a bad substring.

The text is cut into lines, the lines at tabs and those pieces at spaces;
a word is dropped when, once special characters are stripped from its ends,
it contains one of ``substrings`` (by default pieces of links). The text is
then put back together the way Data-Juicer does it, which also drops empty
words, empty tab pieces and empty lines (so runs of spaces and blank lines
go, even in a text without bad words).
"""

from __future__ import annotations

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.characters import SPECIAL_CHARACTERS_STR

DEFAULT_SUBSTRINGS = ("http", "www", ".com", "href", "//")
SENTENCEPIECE_URL = "https://huggingface.co/edugp/kenlm/resolve/main/wikipedia/"
"""Where Data-Juicer fetches the ``{lang}.sp.model`` tokenizers from."""


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
        if tokenization:
            raise ConfigError(
                f"remove_words_with_incorrect_substrings_mapper: 'tokenization: true' needs the "
                f"SentencePiece model '{lang}.sp.model' ({SENTENCEPIECE_URL}), which datamill does not "
                "provide yet. Use 'tokenization: false'."
            )
        self.lang, self.tokenization = lang, tokenization
        self.substrings = list(DEFAULT_SUBSTRINGS if substrings is None else substrings)
        self._screen = WordScreen(self.substrings)

    def process_text(self, text: str) -> str:
        return self._screen.clean(text)
