"""alphanumeric_filter: keep samples whose share of letters and digits is in range.

The statistic ``alnum_ratio`` is the number of characters for which
``str.isalnum()`` holds, over the number of characters (0.0 for the empty
text). The batch path counts them on the Arrow column through a table of
``str.isalnum`` over all of Unicode (:mod:`datamill.ops.text.codepoints`).

With ``tokenization: true`` the statistic is ``alpha_token_ratio``, as in
Data-Juicer: the number of letters (``str.isalpha()``, digits not included)
over the number of tokens of the Hugging Face tokenizer
``EleutherAI/pythia-6.9b-deduped`` (0.0 when there are none), so it can exceed
1 and depends on that tokenizer. The name is fixed, not a parameter, in
Data-Juicer too. To use it without network, put the tokenizer's files
(``tokenizer.json``, ``tokenizer_config.json``) in
``$DATAMILL_MODEL_DIR/EleutherAI/pythia-6.9b-deduped/`` (the place Data-Juicer
has under ``$DATA_JUICER_EXTERNAL_MODELS_HOME``); otherwise Hugging Face
downloads it into its own cache (:mod:`datamill.models.hf_tokenizer`).
"""

from __future__ import annotations

import sys
from functools import cache

import numpy as np
import pyarrow as pa

from datamill.models.hf_tokenizer import count_tokens, load_tokenizer, require_transformers
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.codepoints import count_in, ratio_in, table_where
from datamill.ops.text.stat_arrays import ratios

TOKENIZER = "EleutherAI/pythia-6.9b-deduped"
"""The Hugging Face tokenizer Data-Juicer loads for ``tokenization: true``."""


@cache
def _alnum_table() -> np.ndarray:
    return table_where(str.isalnum)


@cache
def _alpha_table() -> np.ndarray:
    return table_where(str.isalpha)


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
        self.tokenization = tokenization
        if tokenization:
            require_transformers(self.name)
            # Data-Juicer names the statistic after the mode; the instance's key shadows the class's.
            self.stat_key = "alpha_token_ratio"  # type: ignore[misc]
        self.min_value, self.max_value = float(min_ratio), float(max_ratio)

    def run(self, table: pa.Table) -> OpResult:
        if self.tokenization and table.num_rows and self.stat_column not in table.column_names:
            load_tokenizer(TOKENIZER)  # a missing tokenizer stops the job, not every sample set aside
        return super().run(table)

    def compute_stat(self, text: str) -> float:
        if not self.tokenization:
            return alnum_ratio(text)
        (tokens,) = count_tokens(load_tokenizer(TOKENIZER), [text])
        return sum(map(str.isalpha, text)) / tokens if tokens else 0.0

    def compute_stats(self, table: pa.Table) -> pa.Array:
        column = table.column(self.text_key)
        if not self.tokenization:
            return ratio_in(column, _alnum_table())
        letters, _ = count_in(column, _alpha_table())
        tokens = count_tokens(load_tokenizer(TOKENIZER), column.to_pylist())
        return ratios(letters, np.asarray(tokens, dtype=np.int64))
