"""chinese_convert_mapper: convert Chinese between Simplified, Traditional
(standard, Taiwan, Hong Kong) and Japanese Shinjitai, with OpenCC.

The converter is OpenCC's own Python package (``opencc``, the version
Data-Juicer pins), so the dictionaries and the output are the same. It is an
optional dependency, imported when the op is built.
"""

from __future__ import annotations

import importlib
from typing import Any

from datamill.errors import ConfigError
from datamill.ops.base import Mapper
from datamill.ops.registry import register

MODES = (
    "s2t",
    "t2s",
    "s2tw",
    "tw2s",
    "s2hk",
    "hk2s",
    "s2twp",
    "tw2sp",
    "t2tw",
    "tw2t",
    "hk2t",
    "t2hk",
    "t2jp",
    "jp2t",
)
"""The conversions Data-Juicer accepts, each one of OpenCC's configurations."""

EXTRA = 'pip install "datamill[zh]"'


def load_converter(mode: str) -> Any:
    """OpenCC's converter for ``mode``; a ConfigError if the mode or the package is missing."""
    if mode not in MODES:
        raise ConfigError(f"chinese_convert_mapper: unknown mode {mode!r}; use one of {', '.join(MODES)}.")
    try:
        opencc = importlib.import_module("opencc")
    except ImportError:
        raise ConfigError(f"chinese_convert_mapper needs the opencc package: {EXTRA}.") from None
    return opencc.OpenCC(mode + ".json")


@register("chinese_convert_mapper")
class ChineseConvertMapper(Mapper):
    def __init__(self, mode: str = "s2t", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.mode = mode
        self._converter = load_converter(mode)

    def process_text(self, text: str) -> str:
        return str(self._converter.convert(text))
