"""token_num_filter: keep samples whose number of tokens is in range.

The tokens are those of a Hugging Face tokenizer (``hf_tokenizer``: a hub name
or a local folder), counted without special tokens, as Data-Juicer counts them.
The tokenizer is loaded on first use, once per process, by
:mod:`datamill.models.hf_tokenizer` (a folder of that name in the model cache
first, then ``transformers.AutoTokenizer``). For a multimodal model Data-Juicer
gets a processor, which does not count text this way; this op still counts the
tokenizer's tokens. The counts depend on the tokenizer.
"""

from __future__ import annotations

import sys

import pyarrow as pa

from datamill.models.hf_tokenizer import count_tokens, load_tokenizer, require_transformers
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.stat_arrays import int_array


@register("token_num_filter")
class TokenNumFilter(Filter):
    """Keeps samples with ``min_num`` to ``max_num`` tokens; the tokenizer loads on first use."""

    stat_key = "num_token"

    def __init__(
        self,
        hf_tokenizer: str = "EleutherAI/pythia-6.9b-deduped",
        min_num: int = 10,
        max_num: int = sys.maxsize,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        require_transformers(self.name)
        self.hf_tokenizer = hf_tokenizer
        self.min_value, self.max_value = min_num, max_num

    def run(self, table: pa.Table) -> OpResult:
        # Loaded before the base class's per-sample fallback: a tokenizer that cannot be
        # loaded stops the job instead of setting every sample aside.
        load_tokenizer(self.hf_tokenizer)
        return super().run(table)

    def compute_stat(self, text: str) -> int:
        return count_tokens(load_tokenizer(self.hf_tokenizer), [text])[0]

    def compute_stats(self, table: pa.Table) -> pa.Array:
        texts = table.column(self.text_key).to_pylist()
        return int_array(count_tokens(load_tokenizer(self.hf_tokenizer), texts))
