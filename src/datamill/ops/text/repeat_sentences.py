"""remove_repeat_sentences_mapper: drop sentences already seen in the text.

Each line is cut into sentences; a sentence whose key (stripped, optionally
lowercased, optionally reduced to Chinese characters, ASCII letters, digits,
spaces and tabs) was seen earlier in the same text is dropped, unless the key
is shorter than ``min_repeat_sentence_length``. Lines keep their places; a
line whose sentences all repeat becomes empty.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register

Tokenizer = Callable[[str], list[str]]

# Data-Juicer's sentence splitter: a newline after sentence-ending marks
# unless a closing quote follows, in four passes, each on the previous result.
# The last class is Data-Juicer's as it reads to the regex engine, which also
# holds '{', '}', '2' and '6'.
_NOT_QUOTE = "[^\u2019\u201d]"
_BREAKS = [
    (re.compile("[.\u3002\uff01!\uff1f?]" + _NOT_QUOTE), ("",)),
    (re.compile(r"\.{6}" + _NOT_QUOTE), ("......",)),
    (re.compile("\u2026{2}" + _NOT_QUOTE), ("\u2026\u2026",)),
    (re.compile("[.\u3002!\uff01\uff1f?{}26\u2026][\u2019\u201d]" + _NOT_QUOTE), ("\u2019", "\u201d")),
]
"""Each pass, and what a line must contain for it to match at all."""
_SPECIAL = re.compile("[^a-zA-Z0-9\u4e00-\u9fa5\n\t ]")
"""What ``ignore_special_character`` leaves out of a sentence's key."""


def split_sentences(line: str) -> list[str]:
    """Sentences of a line; each keeps the spaces before it, so joining them gives the line back."""
    for pattern, needs in _BREAKS:
        if any(part in line for part in needs):
            line = pattern.sub(_break_before_last, line)
    return line.split("\n")


def _break_before_last(found: re.Match[str]) -> str:
    """A newline between the marks and the one character after them (consumed, so
    it cannot start the next match)."""
    text = found.group()
    return text[:-1] + "\n" + text[-1]


def lambda_tokenizer(source: str) -> Tokenizer:
    """A tokenizer given in the recipe as a one-argument lambda, e.g.
    ``"lambda text: __import__('nltk').sent_tokenize(text)"``."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(
            f"remove_repeat_sentences_mapper: tokenizer {source!r} is not a Python expression: {exc}."
        ) from None
    if not isinstance(tree.body, ast.Lambda) or len(tree.body.args.args) != 1:
        raise ConfigError(
            "remove_repeat_sentences_mapper: 'tokenizer' must be a lambda of one argument that returns "
            f"a list of sentences (got {source!r})."
        )
    fn: Tokenizer = eval(compile(tree, "<tokenizer>", "eval"), {"__builtins__": __builtins__})
    return fn


def spaced(tokenize: Tokenizer) -> Tokenizer:
    """A custom tokenizer's sentences, each after the first given a leading
    space unless it has one, the way the built-in splitter keeps them."""

    def wrapped(line: str) -> list[str]:
        pieces = tokenize(line)
        return [p if i == 0 or p[:1].isspace() else " " + p for i, p in enumerate(pieces)]

    return wrapped


@register("remove_repeat_sentences_mapper")
class RemoveRepeatSentencesMapper(Mapper):
    def __init__(
        self,
        lowercase: bool = False,
        ignore_special_character: bool = True,
        min_repeat_sentence_length: int = 2,
        tokenizer: Tokenizer | str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lowercase = lowercase
        self.ignore_special_character = ignore_special_character
        self.min_repeat_sentence_length = min_repeat_sentence_length
        if tokenizer is None:
            self._split: Tokenizer = split_sentences
        else:
            self._split = spaced(lambda_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer)

    def key(self, sentence: str) -> str:
        """What two sentences must share to count as the same."""
        key = sentence.strip()
        if self.lowercase:
            key = key.lower()
        return _SPECIAL.sub("", key) if self.ignore_special_character else key

    def process_text(self, text: str) -> str:
        seen: set[str] = set()
        lines = []
        for line in text.split("\n"):
            kept = []
            for sentence in self._split(line) if line else ():
                key = self.key(sentence)
                if len(key) < self.min_repeat_sentence_length:
                    kept.append(sentence)
                elif key not in seen:
                    seen.add(key)
                    kept.append(sentence)
            lines.append("".join(kept))
        return "\n".join(lines)
