"""SentencePiece models and the words Data-Juicer cuts a document into.

Data-Juicer's word-based ops take a document's words in one of two ways. By
default the text is split on ' ', '\\n' and '\\t' and empty pieces are dropped.
With ``tokenization: true`` the words are instead the pieces of the language's
SentencePiece model, ``{lang}.sp.model`` (the Wikipedia models of edugp/kenlm,
which Data-Juicer mirrors), pieces keeping their '\u2581' word-start marks.
:class:`WordSplitter` does both, so every op with a ``tokenization`` parameter
shares one implementation and, per process, one loaded model per language.

The words, and so every statistic computed from them, depend on the exact
model file: use Data-Juicer's own files to get Data-Juicer's numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from datamill.errors import ConfigError
from datamill.models.cache import fetch, unreadable
from datamill.models.loaded import load_once

SENTENCEPIECE_URL = "https://dail-wlcb.oss-cn-wulanchabu.aliyuncs.com/data_juicer/models/"
"""Where Data-Juicer downloads ``{lang}.sp.model`` from."""

EXTRA = "lang"
"""The datamill extra that installs sentencepiece."""

_SEPARATORS = re.compile("[ \n\t]")


def model_name(lang: str) -> str:
    """Data-Juicer's file name of the SentencePiece model for ``lang``."""
    return f"{lang}.sp.model"


def require_sentencepiece(op_name: str) -> None:
    """Raise a ConfigError, at load time, when sentencepiece is not installed."""
    try:
        import sentencepiece  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"op '{op_name}' with 'tokenization: true' needs the sentencepiece package, which cannot "
            f'be imported ({exc}). Install it with: pip install "datamill[{EXTRA}]"'
        ) from None


def load_sentencepiece(lang: str) -> Any:
    """The SentencePiece model of ``lang``, fetched into the model cache and loaded once per process."""
    name = model_name(lang)
    return sentencepiece_at(fetch(name, SENTENCEPIECE_URL + name))


def sentencepiece_at(path: Path) -> Any:
    """The SentencePiece model in file ``path``, loaded once per process; a
    file it cannot read is a ModelUnavailable that says what to do."""

    def load() -> Any:
        import sentencepiece

        with unreadable(path, "SentencePiece"):
            return sentencepiece.SentencePieceProcessor(model_file=str(path))

    return load_once(("sentencepiece", str(path.resolve())), load)


def split_on_whitespace(text: str) -> list[str]:
    """Data-Juicer's words without a tokenizer: pieces between ' ', '\\n' and '\\t', empty ones dropped."""
    return [word for word in _SEPARATORS.split(text) if word]


class WordSplitter:
    """A document's words as Data-Juicer takes them, with or without a SentencePiece model.

    The model is loaded on first use (:meth:`load`), not when the op is built,
    so building a pipeline costs nothing; the op's ``__init__`` only checks that
    the package is importable.
    """

    def __init__(self, op_name: str, lang: str, tokenization: bool) -> None:
        if tokenization:
            require_sentencepiece(op_name)
        self.lang = lang
        self.tokenization = tokenization
        self._model: Any = None

    def load(self) -> None:
        """Fetch and load the model now, if there is one (a missing file raises ModelUnavailable)."""
        if self.tokenization and self._model is None:
            self._model = load_sentencepiece(self.lang)

    def words(self, text: str) -> list[str]:
        """The words of one document."""
        if not self.tokenization:
            return split_on_whitespace(text)
        self.load()
        pieces: list[str] = self._model.encode(text, out_type=str)
        return pieces

    def words_of(self, texts: list[str]) -> list[list[str]]:
        """The words of many documents.

        One document at a time: SentencePiece's batch call is no faster here and
        would start threads in every worker.
        """
        if not self.tokenization:
            return [split_on_whitespace(text) for text in texts]
        self.load()
        encode = self._model.encode
        return [encode(text, out_type=str) for text in texts]
