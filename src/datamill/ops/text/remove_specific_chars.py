"""remove_specific_chars_mapper: delete every occurrence of the given characters."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.some_rows import re2_class, set_text

DEFAULT_CHARS = "\u25c6\u25cf\u25a0\u25ba\u25bc\u25b2\u25b4\u2206\u25bb\u25b7\u2756\u2661\u25a1"
"""Data-Juicer's default: bullets, squares, triangles, a diamond and a heart."""


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
        members = "".join(re.escape(ch) for ch in sorted(set(chars)))
        self._regex = re.compile(f"[{members}]") if members else None
        self._class = re2_class(chars)

    def process_text(self, text: str) -> str:
        # A substitution skips quickly over what it keeps, where str.translate
        # looks every character up.
        return self._regex.sub("", text) if self._regex else text

    def process_batch(self, table: pa.Table) -> pa.Table:
        if self._class is None:
            return table
        out = pc.replace_substring_regex(table.column(self.text_key), pattern=self._class, replacement="")
        return set_text(table, self.text_key, out)
