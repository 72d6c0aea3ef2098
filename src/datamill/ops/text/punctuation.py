"""punctuation_normalization_mapper: turn CJK and typographic punctuation into ASCII.

The table is Data-Juicer's, quirks included: the fullwidth digit one becomes
a double quote, an em dash becomes `` - `` and a fullwidth full stop ``". "``.
"""

from __future__ import annotations

import re

import pyarrow as pa

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import map_texts, set_text

PUNCTUATION_TO_ASCII = {
    "\uff0c": ",",
    "\u3002": ".",
    "\u3001": ",",
    "\u201e": '"',
    "\u201d": '"',
    "\u201c": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\uff11": '"',
    "\u300d": '"',
    "\u300c": '"',
    "\u300a": '"',
    "\u300b": '"',
    "\u00b4": "'",
    "\u2236": ":",
    "\uff1a": ":",
    "\uff1f": "?",
    "\uff01": "!",
    "\uff08": "(",
    "\uff09": ")",
    "\uff1b": ";",
    "\u2013": "-",
    "\u2014": " - ",
    "\uff0e": ". ",
    "\uff5e": "~",
    "\u2019": "'",
    "\u2026": "...",
    "\u2501": "-",
    "\u3008": "<",
    "\u3009": ">",
    "\u3010": "[",
    "\u3011": "]",
    "\uff05": "%",
    "\u25ba": "-",
}
"""Data-Juicer's replacements, written by code point."""

_ANY = re.compile("[" + "".join(PUNCTUATION_TO_ASCII) + "]")


def _ascii_of(found: re.Match[str]) -> str:
    return PUNCTUATION_TO_ASCII[found[0]]


@register("punctuation_normalization_mapper")
class PunctuationNormalizationMapper(Mapper):
    """Replace each listed punctuation character by its ASCII counterpart."""

    def process_text(self, text: str) -> str:
        # Every character of the table is outside ASCII. A substitution costs
        # a little per replacement, where str.translate looks up every character.
        return text if text.isascii() else _ANY.sub(_ascii_of, text)

    def process_batch(self, table: pa.Table) -> pa.Table:
        return set_text(table, self.text_key, map_texts(table.column(self.text_key), self.process_text))
