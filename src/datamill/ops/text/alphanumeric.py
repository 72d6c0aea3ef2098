"""alphanumeric_filter: keep samples whose share of letters and digits is in range.

The statistic is the number of characters for which ``str.isalnum()`` holds,
over the number of characters (0.0 for the empty text). Data-Juicer's
``tokenization: true`` counts letters over the tokens of a Hugging Face
tokenizer instead, which datamill does not provide.
"""

from __future__ import annotations

import re
import sys

import pyarrow as pa

from datamill.errors import ConfigError
from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.stat_arrays import float_array

TOKENIZER = "EleutherAI/pythia-6.9b-deduped"
"""The Hugging Face tokenizer Data-Juicer loads for ``tokenization: true``."""

_NOT_ALNUM = re.compile(r"[\W_]+")
"""Runs of characters that are not alphanumeric: for a ``str`` pattern, ``\\w``
is exactly ``str.isalnum()`` or the underscore."""


def alnum_ratio(text: str) -> float:
    if not text:
        return 0.0
    return len(_NOT_ALNUM.sub("", text)) / len(text)


@register("alphanumeric_filter")
class AlphanumericFilter(Filter):
    stat_key = "alnum_ratio"

    def __init__(
        self,
        tokenization: bool = False,
        min_ratio: float = 0.25,
        max_ratio: float = sys.maxsize,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if tokenization:
            raise ConfigError(
                "alphanumeric_filter: 'tokenization: true' counts tokens of the Hugging Face tokenizer "
                f"'{TOKENIZER}', which datamill does not provide yet; use 'tokenization: false'."
            )
        self.min_value, self.max_value = float(min_ratio), float(max_ratio)

    def compute_stat(self, text: str) -> float:
        return alnum_ratio(text)

    def compute_stats(self, table: pa.Table) -> pa.Array:
        return float_array([alnum_ratio(t) for t in table.column(self.text_key).to_pylist()])
