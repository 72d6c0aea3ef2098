"""Texts cut into shingles, as Data-Juicer's SimHash and MinHash deduplicators cut them.

The text is lowercased and stripped of ``ignore_pattern`` first when asked. A
shingle is then ``window_size`` consecutive units, encoded as UTF-8:
characters (joined as they are), words between single spaces (empty pieces
dropped; newlines and tabs stay inside words), pieces between punctuation
marks (empty pieces kept) joined with a space, or SentencePiece pieces joined
with nothing. A text with fewer units than the window has no shingle at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import regex

from datamill.dedup.params import DocumentMinhashDeduplicatorParams, _ShingleParams
from datamill.models import fetch
from datamill.models.sentencepiece import SENTENCEPIECE_URL, sentencepiece_at

_PUNCTUATION = regex.compile(r"\p{P}")


def load_sentencepiece(model: str) -> Any:
    """The SentencePiece model at path ``model``, or of that name in the model cache; once per process."""
    path = Path(model).expanduser()
    if not path.exists():
        path = fetch(model, SENTENCEPIECE_URL + model)
    return sentencepiece_at(path)


class Shingler:
    """Cuts texts into the shingles of one parameter set."""

    def __init__(self, params: _ShingleParams) -> None:
        self.window = params.window_size
        self.lowercase = params.lowercase
        self.ignore = regex.compile(params.ignore_pattern) if params.ignore_pattern else None
        self.tokenization = params.tokenization
        self._model_name = (
            params.tokenizer_model if isinstance(params, DocumentMinhashDeduplicatorParams) else None
        )
        self._model: Any = None

    def __call__(self, text: str) -> list[bytes]:
        """The shingles of ``text`` in order, repeats included."""
        if self.lowercase:
            text = text.lower()
        if self.ignore is not None:
            text = self.ignore.sub("", text)
        w = self.window
        if self.tokenization == "character":
            return [text[i : i + w].encode() for i in range(len(text) - w + 1)]
        units, glue = self._units(text)
        return [glue.join(units[i : i + w]).encode() for i in range(len(units) - w + 1)]

    def _units(self, text: str) -> tuple[list[str], str]:
        if self.tokenization == "space":
            return [word for word in text.split(" ") if word], " "
        if self.tokenization == "punctuation":
            return _PUNCTUATION.split(text), " "
        if self._model is None:
            assert self._model_name is not None  # checked by the parameters
            self._model = load_sentencepiece(self._model_name)
        pieces: list[str] = self._model.encode(text, out_type=str)
        return pieces, ""
