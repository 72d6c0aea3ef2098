"""remove_specific_chars_mapper: delete every occurrence of the given characters."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register

DEFAULT_CHARS = "\u25c6\u25cf\u25a0\u25ba\u25bc\u25b2\u25b4\u2206\u25bb\u25b7\u2756\u2661\u25a1"
"""Data-Juicer's default: bullets, squares, triangles, a diamond and a heart."""


def re2_class(chars: str) -> str | None:
    """An RE2 character class of ``chars`` by code point; None if no character
    can occur in an Arrow string (surrogates cannot)."""
    points = sorted({ord(ch) for ch in chars if not 0xD800 <= ord(ch) <= 0xDFFF})
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in points) + "]" if points else None


@register("remove_specific_chars_mapper")
class RemoveSpecificCharsMapper(Mapper):
    """Remove each character of ``chars_to_remove`` (a string, or strings whose
    characters all count); an empty value removes nothing."""

    def __init__(self, chars_to_remove: str | list[str] = DEFAULT_CHARS, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        chars = "".join(chars_to_remove)
        if chars_to_remove and not chars:
            raise ConfigError(
                "remove_specific_chars_mapper: chars_to_remove lists only empty strings (Data-Juicer "
                "fails on it); give the characters to remove, or an empty string to remove none."
            )
        self._table = dict.fromkeys(map(ord, chars))
        self._class = re2_class(chars)

    def process_text(self, text: str) -> str:
        return text.translate(self._table) if self._table else text

    def process_batch(self, table: pa.Table) -> pa.Table:
        if self._class is None:
            return table
        out = pc.replace_substring_regex(table.column(self.text_key), pattern=self._class, replacement="")
        return table.set_column(table.schema.get_field_index(self.text_key), self.text_key, out)
