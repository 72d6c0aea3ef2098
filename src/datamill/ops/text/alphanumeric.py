"""alphanumeric_filter: keep samples whose share of letters and digits is in range.

The statistic is the number of characters for which ``str.isalnum()`` holds,
over the number of characters (0.0 for the empty text). The batch path counts
them on the Arrow column through a table of ``str.isalnum`` over all of
Unicode (:mod:`datamill.ops.text.codepoints`). Data-Juicer's
``tokenization: true`` counts letters over the tokens of a Hugging Face
tokenizer instead, which datamill does not provide.
"""

from __future__ import annotations

import sys
from functools import cache

import numpy as np
import pyarrow as pa

from datamill.errors import ConfigError
from datamill.ops.base import Filter
from datamill.ops.registry import register
from datamill.ops.text.codepoints import ratio_in, table_where

TOKENIZER = "EleutherAI/pythia-6.9b-deduped"
"""The Hugging Face tokenizer Data-Juicer loads for ``tokenization: true``."""


@cache
def _alnum_table() -> np.ndarray:
    return table_where(str.isalnum)


def alnum_ratio(text: str) -> float:
    return sum(map(str.isalnum, text)) / len(text) if text else 0.0


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
        return ratio_in(table.column(self.text_key), _alnum_table())
