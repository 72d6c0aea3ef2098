"""clean_links_mapper: remove (or replace) URLs and web links."""

from __future__ import annotations

import re as stdlib_re
from typing import ClassVar

import regex as re

from datamill.ops.base import Mapper
from datamill.ops.registry import register

DEFAULT_LINK_PATTERN = (
    r"(?i)\b("
    r"(?:[a-z][\w-]+:(?:\/{1,3}|[a-z0-9%])|www\d{0,3}[.]|[a-z0-9.\-]+[.][a-z]{2,4}\/)"
    r"(?:[^\s()<>]+|\(([^\s()<>]+|(\([^\s()<>]+\)))*\))"
    r"+(?:\(([^\s()<>]+|(\([^\s()<>]+\)))*\)|[^\s`!()\[\]{};:\'\".,<>?«»“”‘’])"
    r")"
)
"""Data-Juicer's default link pattern."""

_SEPARATOR = stdlib_re.compile(r"[ \t\n]")
"""Characters no match of a default pattern can contain (all are ``\\s``), and
which no ``\\b`` of theirs can tell from the start or end of a text."""


def unwrap_raw(pattern: str) -> str:
    """Accept a pattern written as a Python raw literal, ``r'...'``, as Data-Juicer does."""
    quoted = pattern[:2] in ("r'", 'r"') and pattern[-1] == pattern[1]
    return pattern[2:-1] if len(pattern) > 2 and quoted else pattern


class RegexReplaceMapper(Mapper):
    """Replace every match of a pattern; texts without a match are left alone.

    A subclass whose default pattern only matches inside a run of characters
    other than space, tab and newline, and only around one of a few characters,
    names those in ``candidates`` (a stdlib ``re`` pattern). With the default
    pattern, the regex then runs on those runs alone: the same matches, found
    without trying the pattern at every position of the text."""

    default_pattern = ""
    candidates: ClassVar[stdlib_re.Pattern[str] | None] = None

    def __init__(self, pattern: str | None = None, repl: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pattern = self.default_pattern if pattern is None else unwrap_raw(pattern)
        self.repl = repl
        self._regex = re.compile(self.pattern, flags=re.DOTALL)
        self._candidates = self.candidates if self.pattern == self.default_pattern else None

    def process_text(self, text: str) -> str:
        if self._candidates is not None:
            return self._sub_in_runs(text, self._candidates)
        if not self._regex.search(text):
            return text
        return str(self._regex.sub(self.repl, text))

    def _sub_in_runs(self, text: str, candidates: stdlib_re.Pattern[str]) -> str:
        """The regex's substitution applied to each separator-free run that holds a candidate."""
        pieces: list[str] = []
        done = 0  # the end of the last run handled: a separator, or 0
        for found in candidates.finditer(text):
            at = found.start()
            if at < done:
                continue
            start = max(text.rfind(" ", done, at), text.rfind("\t", done, at), text.rfind("\n", done, at)) + 1
            after = _SEPARATOR.search(text, at)
            end = after.start() if after else len(text)
            pieces += (text[done:start], self._regex.sub(self.repl, text[start:end]))
            done = end
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)


@register("clean_links_mapper")
class CleanLinksMapper(RegexReplaceMapper):
    default_pattern = DEFAULT_LINK_PATTERN
    # A match begins with a scheme (``x:``), ``www`` (no other character folds
    # to ``w``) or a path's ``/``.
    candidates = stdlib_re.compile(r"[:/]|[wW][wW][wW]")
