"""clean_links_mapper: remove (or replace) URLs and web links."""

from __future__ import annotations

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


def unwrap_raw(pattern: str) -> str:
    """Accept a pattern written as a Python raw literal, ``r'...'``, as Data-Juicer does."""
    quoted = pattern[:2] in ("r'", 'r"') and pattern[-1] == pattern[1]
    return pattern[2:-1] if len(pattern) > 2 and quoted else pattern


class RegexReplaceMapper(Mapper):
    """Replace every match of a pattern; texts without a match are left alone."""

    default_pattern = ""

    def __init__(self, pattern: str | None = None, repl: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pattern = self.default_pattern if pattern is None else unwrap_raw(pattern)
        self.repl = repl
        self._regex = re.compile(self.pattern, flags=re.DOTALL)

    def process_text(self, text: str) -> str:
        if not self._regex.search(text):
            return text
        return str(self._regex.sub(self.repl, text))


@register("clean_links_mapper")
class CleanLinksMapper(RegexReplaceMapper):
    default_pattern = DEFAULT_LINK_PATTERN
