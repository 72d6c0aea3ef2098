"""whitespace_normalization_mapper: strip the text, turn odd spaces into ' '."""

from __future__ import annotations

from datamill.ops.base import Mapper
from datamill.ops.registry import register
from datamill.ops.text.characters import VARIOUS_WHITESPACES

_TO_SPACE = str.maketrans({ch: " " for ch in VARIOUS_WHITESPACES})


@register("whitespace_normalization_mapper")
class WhitespaceNormalizationMapper(Mapper):
    """Python's ``str.strip()``, then every character of VARIOUS_WHITESPACES to a space."""

    def process_text(self, text: str) -> str:
        return text.strip().translate(_TO_SPACE)
