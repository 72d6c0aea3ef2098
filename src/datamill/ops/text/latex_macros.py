"""expand_macro_mapper: inline the argument-free macros a LaTeX text defines.

Definitions are the lines ``\\newcommand{\\name}{value}`` (or ``\\newcommand*``)
and ``\\def\\name{value}``, each ending the line with its closing brace; the
name is letters and digits. Then, macro after macro in the order they were
first defined (a later definition of the same name changes its value, not its
turn), every ``\\name`` followed by a character other than a letter or digit
becomes ``value`` — the definition lines included, as in Data-Juicer. A macro
at the very end of the text has no following character and stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import regex

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import map_some_rows, set_text

# The third-party ``regex`` module, as in Data-Juicer: its ``\s`` is not the
# stdlib's (it leaves out \x1c-\x1f).
_NEWCOMMAND = regex.compile(r"\\newcommand\*?\{(\\[a-zA-Z0-9]+)\}\{(.*?)\}$", flags=regex.MULTILINE)
_DEF = regex.compile(r"\\def\s*(\\[a-zA-Z0-9]+)\s*\{(.*?)\}$", flags=regex.MULTILINE)


def _may_define(texts: pa.Array) -> pa.Array:
    """Texts without either command define nothing, so they are left as they are."""
    return pc.match_substring_regex(texts, r"\\newcommand|\\def")


def macro_definitions(text: str) -> dict[str, str]:
    """Each macro name (with its backslash) and its value, in order of first definition."""
    macros: dict[str, str] = {}
    for pattern in (_NEWCOMMAND, _DEF):
        for found in pattern.finditer(text):
            macros[found.group(1)] = found.group(2)
    return macros


def _followed_by_value(value: str) -> Callable[[re.Match[str]], str]:
    """The value, then the character that ended the macro's name (kept verbatim)."""
    return lambda found: value + found.group(2)


def expand_macros(text: str) -> str:
    if "\\newcommand" not in text and "\\def" not in text:
        return text
    for name, value in macro_definitions(text).items():
        use = re.compile("(" + re.escape(name) + ")([^a-zA-Z0-9])")
        text = use.sub(_followed_by_value(value), text)
    return text


@register("expand_macro_mapper")
class ExpandMacroMapper(Mapper):
    def process_text(self, text: str) -> str:
        return expand_macros(text)

    def process_batch(self, table: pa.Table) -> pa.Table:
        column = table.column(self.text_key).combine_chunks()
        return set_text(table, self.text_key, map_some_rows(column, _may_define(column), expand_macros))
