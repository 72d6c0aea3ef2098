"""clean_html_mapper: HTML to plain text, with list items as ``*`` lines.

Parsed with selectolax's Lexbor parser, as Data-Juicer does; selectolax is the
optional extra ``datamill[html]``, imported when the op is built so that a
recipe using the op without it fails before any partition runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import map_texts, set_text

INSTALL_HINT = 'pip install "datamill[html]"'

LIST_MARKUP = (("<li>", "\n*"), ("</li>", ""), ("<ol>", "\n*"), ("</ol>", ""))
"""What Data-Juicer rewrites before parsing, in this order: each item, and each
ordered list, starts a new line with an asterisk."""

MARKUP_CHARACTERS = ("<", "&", "\r", "\x00")
"""Where an HTML parser reads more than plain text: a tag, a character
reference, a carriage return (read as a newline), a NUL (dropped)."""

LEADING_SPACE = ("\t", "\n", "\x0c", " ")
"""Whitespace the parser skips at the very start, before the body opens."""


def is_plain(text: str) -> bool:
    """Whether the parser would give ``text`` back as it is: it holds none of
    the above (one fast scan for each character)."""
    return not text.startswith(LEADING_SPACE) and not any(ch in text for ch in MARKUP_CHARACTERS)


def lexbor_parser() -> Callable[[str], Any]:
    """selectolax's Lexbor parser class; a ConfigError naming the extra if it is missing."""
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError as exc:
        raise ConfigError(
            f"clean_html_mapper needs selectolax, which cannot be imported ({exc}): {INSTALL_HINT}."
        ) from None
    return LexborHTMLParser


@register("clean_html_mapper")
class CleanHtmlMapper(Mapper):
    """The text content of the document, once list tags are turned into ``\\n*``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._parser = lexbor_parser()

    def process_text(self, text: str) -> str:
        if is_plain(text):
            return text
        for tag, replacement in LIST_MARKUP:
            text = text.replace(tag, replacement)
        return str(self._parser(text).text())

    def process_batch(self, table: pa.Table) -> pa.Table:
        return set_text(table, self.text_key, map_texts(table.column(self.text_key), self.process_text))
