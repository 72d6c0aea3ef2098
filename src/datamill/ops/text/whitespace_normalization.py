"""whitespace_normalization_mapper: strip the text, turn odd spaces into ' '."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.characters import VARIOUS_WHITESPACES

_TO_SPACE = str.maketrans({ch: " " for ch in VARIOUS_WHITESPACES})

PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What ``str.strip()`` removes: the characters for which ``str.isspace()`` holds."""

_ODD_SPACE = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in sorted(VARIOUS_WHITESPACES - {" "})) + "]"
"""VARIOUS_WHITESPACES but the space itself (a space for a space would be most of
the replacements), as an RE2 character class, every member escaped by code point."""


@register("whitespace_normalization_mapper")
class WhitespaceNormalizationMapper(Mapper):
    """Python's ``str.strip()``, then every character of VARIOUS_WHITESPACES to a space."""

    def process_text(self, text: str) -> str:
        return text.strip().translate(_TO_SPACE)

    def process_batch(self, table: pa.Table) -> pa.Table:
        # The same two steps as column operations: a trim of exactly the
        # characters str.strip() removes, then one regex replacement.
        text = table.column(self.text_key)
        stripped = pc.utf8_trim(text, characters=PYTHON_WHITESPACE)
        out = pc.replace_substring_regex(stripped, pattern=_ODD_SPACE, replacement=" ")
        return table.set_column(table.schema.get_field_index(self.text_key), self.text_key, out)
