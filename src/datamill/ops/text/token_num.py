"""token_num_filter: keep samples whose number of tokens is in range.

The tokens are those of a Hugging Face tokenizer (``hf_tokenizer``: a hub name
or a local folder), counted without special tokens, as Data-Juicer counts them.
The tokenizer is loaded with ``transformers.AutoTokenizer`` into Hugging Face's
own cache (not the model cache), once per process, on first use. Data-Juicer
loads it with ``AutoProcessor``, which gives the same tokenizer for every
text-only model; for a multimodal one it gives a processor, which does not count
text this way, and this op still counts the tokenizer's tokens. The counts depend
on the tokenizer.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import numpy as np
import pyarrow as pa

from datamill.errors import ConfigError
from datamill.models import ModelUnavailable, load_once
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register

EXTRA = "hf"
"""The datamill extra that installs transformers."""


def load_tokenizer(name: str) -> Any:
    """The tokenizer ``name`` (hub name or folder), loaded once per process."""
    return load_once(("hf_tokenizer", name), lambda: _load(name))


def _load(name: str) -> Any:
    from transformers import AutoTokenizer

    load: Any = AutoTokenizer.from_pretrained  # untyped in transformers
    try:
        return load(name)
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"token_num_filter: the tokenizer {name!r} cannot be loaded ({exc}). Give hf_tokenizer a "
            "Hugging Face model name that can be downloaded here, or a folder that holds its tokenizer "
            "files (tokenizer.json, tokenizer_config.json)."
        ) from exc


def count_tokens(tokenizer: Any, texts: list[str]) -> list[int]:
    """The number of tokens of each text, special tokens left out (no masks: only the ids are counted)."""
    options = {"add_special_tokens": False, "return_attention_mask": False, "return_token_type_ids": False}
    encoded = tokenizer(texts, **options)
    return [len(ids) for ids in encoded["input_ids"]]


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
        if importlib.util.find_spec("transformers") is None:
            raise ConfigError(
                f"op '{self.name}' needs transformers, which cannot be imported. "
                f'Install it with: pip install "datamill[{EXTRA}]"'
            )
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
        counts = count_tokens(load_tokenizer(self.hf_tokenizer), texts) if texts else []
        values = np.array(counts, dtype=np.int64)
        return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])
