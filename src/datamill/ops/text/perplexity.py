"""perplexity_filter: keep samples whose perplexity under a KenLM language model is in range.

The perplexity, as Data-Juicer computes it: the text is cut into the pieces of
the language's SentencePiece model (``{lang}.sp.model``), the pieces are joined
with single spaces, and each line of that (``str.splitlines``) is scored by the
KenLM model ``{lang}.arpa.bin``, with sentence start and end. With ``L`` the sum
of the lines' log10 scores and ``N`` the number of whitespace-separated pieces
plus one per line, the statistic is ``round(10 ** (-L / N), 1)``, and 0.0 for a
text without pieces. The text is not normalised beforehand (SentencePiece's own
normalisation aside).

The value depends on the exact model files. Data-Juicer's are the Wikipedia
models of edugp/kenlm, which it mirrors at :data:`MODEL_URL`; with those files
in the model cache the statistic is Data-Juicer's.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import numpy as np
import pyarrow as pa

from datamill.errors import ConfigError
from datamill.models import fetch, load_once
from datamill.models.cache import unreadable
from datamill.models.sentencepiece import load_sentencepiece
from datamill.ops.base import Filter, OpResult
from datamill.ops.registry import register

MODEL_URL = "https://dail-wlcb.oss-cn-wulanchabu.aliyuncs.com/data_juicer/models/"
"""Where Data-Juicer downloads ``{lang}.sp.model`` and ``{lang}.arpa.bin`` from."""

EXTRA = "perplexity"
"""The datamill extra that installs kenlm and sentencepiece (kenlm builds from source: a C++ compiler)."""

_LANG = re.compile(r"[\w-]+")


def _require(op_name: str, modules: tuple[str, ...]) -> None:
    """A ConfigError, when the op is built, if a module it needs is not installed."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"op '{op_name}' needs {' and '.join(missing)}, which cannot be imported. "
            f'Install it with: pip install "datamill[{EXTRA}]"'
        )


def load_kenlm(lang: str) -> Any:
    """The KenLM model ``{lang}.arpa.bin`` (binary or ARPA text), loaded once per process."""
    path = fetch(f"{lang}.arpa.bin", f"{MODEL_URL}{lang}.arpa.bin")

    def load() -> Any:
        import kenlm

        with unreadable(path, "KenLM"):
            return kenlm.Model(str(path))

    return load_once(("kenlm", str(path)), load)


def perplexity(pieces: list[str], model: Any) -> float:
    """Data-Juicer's perplexity of a text given as SentencePiece pieces."""
    logits, length = 0.0, 0
    for line in " ".join(pieces).splitlines():
        logits += model.score(line)
        length += len(line.split()) + 1
    return round(10.0 ** (-logits / length), 1) if length else 0.0


@register("perplexity_filter")
class PerplexityFilter(Filter):
    """Keeps samples whose perplexity lies in ``[min_ppl, max_ppl]``; the models load on first use."""

    stat_key = "perplexity"

    def __init__(self, lang: str = "en", min_ppl: float = 0, max_ppl: float = 1500, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if not _LANG.fullmatch(lang):
            raise ConfigError(
                f"perplexity_filter: lang {lang!r} is not a language code; use one like 'en', which "
                "names the model files en.sp.model and en.arpa.bin."
            )
        _require(self.name, ("kenlm", "sentencepiece"))
        self.lang = lang
        self.min_value, self.max_value = min_ppl, max_ppl

    def run(self, table: pa.Table) -> OpResult:
        # Loaded before the base class's per-sample fallback: a missing model stops the job
        # instead of setting every sample aside.
        load_sentencepiece(self.lang)
        load_kenlm(self.lang)
        return super().run(table)

    def compute_stat(self, text: str) -> float:
        pieces = load_sentencepiece(self.lang).encode_as_pieces(text)
        return perplexity(pieces, load_kenlm(self.lang))

    def compute_stats(self, table: pa.Table) -> pa.Array:
        texts = table.column(self.text_key).to_pylist()
        pieces = load_sentencepiece(self.lang).encode(texts, out_type=str, num_threads=1) if texts else []
        model = load_kenlm(self.lang)
        values = np.array([perplexity(p, model) for p in pieces], dtype=np.float64)
        return pa.Array.from_buffers(pa.float64(), len(values), [None, pa.py_buffer(values)])
