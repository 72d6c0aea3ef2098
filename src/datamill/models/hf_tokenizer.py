"""Hugging Face tokenizers, as Data-Juicer's token-counting ops load them.

A tokenizer is named by a hub name (``EleutherAI/pythia-6.9b-deduped``) or a
folder. A folder of that name inside the model cache (``$DATAMILL_MODEL_DIR``)
is used first, the way Data-Juicer looks in ``$DATA_JUICER_EXTERNAL_MODELS_HOME``
first: putting a tokenizer's files (``tokenizer.json``, ``tokenizer_config.json``)
at ``$DATAMILL_MODEL_DIR/EleutherAI/pythia-6.9b-deduped`` makes a machine
without network use them. Otherwise the name goes to
``transformers.AutoTokenizer``, which reads a local folder or downloads into
Hugging Face's own cache. Each tokenizer is loaded once per process.

Data-Juicer loads with ``AutoProcessor``, which gives the same tokenizer for
every text-only model.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from datamill.errors import ConfigError
from datamill.models.cache import ModelUnavailable, model_dir
from datamill.models.loaded import load_once

EXTRA = "hf"
"""The datamill extra that installs transformers."""


def require_transformers(op_name: str) -> None:
    """Raise a ConfigError, at load time, when transformers is not installed."""
    if importlib.util.find_spec("transformers") is None:
        raise ConfigError(
            f"op '{op_name}' needs transformers, which cannot be imported. "
            f'Install it with: pip install "datamill[{EXTRA}]"'
        )


def resolve(name: str) -> str:
    """Where ``name`` is loaded from: its folder in the model cache if there is one, else ``name``."""
    cached = model_dir() / name
    return str(cached) if cached.is_dir() else name


def load_tokenizer(name: str) -> Any:
    """The tokenizer ``name`` (hub name or folder), loaded once per process."""
    source = resolve(name)
    return load_once(("hf_tokenizer", source), lambda: _load(name, source))


def _load(name: str, source: str) -> Any:
    from transformers import AutoTokenizer

    load: Any = AutoTokenizer.from_pretrained  # untyped in transformers
    try:
        return load(source)
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"the Hugging Face tokenizer {name!r} cannot be loaded ({' '.join(str(exc).split())}). "
            "Put its tokenizer files "
            f"(tokenizer.json, tokenizer_config.json) in {model_dir() / name}, or name a folder that "
            "holds them, or a Hugging Face model that can be downloaded here."
        ) from exc


def count_tokens(tokenizer: Any, texts: list[str]) -> list[int]:
    """The number of tokens of each text, special tokens left out (no masks: only the ids are counted)."""
    if not texts:
        return []
    options = {"add_special_tokens": False, "return_attention_mask": False, "return_token_type_ids": False}
    encoded = tokenizer(texts, **options)
    return [len(ids) for ids in encoded["input_ids"]]
