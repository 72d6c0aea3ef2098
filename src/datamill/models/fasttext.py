"""fastText's language identification model, as Data-Juicer uses it.

The model is ``lid.176.bin`` (176 languages), downloaded from Data-Juicer's
mirror into the model cache. It is read with the ``fasttext`` module of the
``fasttext-predict`` wheel (prediction only, no compiler needed), which is the
package Data-Juicer itself installs for it; the original ``fasttext`` bindings
give the same labels and scores. ``lid.176.ftz``, the compressed model, works
under the same name too, with slightly different scores.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from datamill.errors import ConfigError
from datamill.models.cache import fetch
from datamill.models.loaded import load_once

LANGUAGE_ID_MODEL = "lid.176.bin"
LANGUAGE_ID_URL = "https://dail-wlcb.oss-cn-wulanchabu.aliyuncs.com/data_juicer/models/lid.176.bin"
"""Where Data-Juicer downloads the model from."""

EXTRA = "lang"
"""The datamill extra that installs fasttext-predict."""

_LABEL_PREFIX = "__label__"


def require_fasttext(op_name: str) -> None:
    """Raise a ConfigError, at load time, when the fasttext module is not installed."""
    try:
        import fasttext  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"op '{op_name}' needs the fasttext module (the fasttext-predict package), which cannot be "
            f'imported ({exc}). Install it with: pip install "datamill[{EXTRA}]"'
        ) from None


def load_language_id() -> Any:
    """The language-id model, fetched into the model cache and loaded once per process."""
    path = fetch(LANGUAGE_ID_MODEL, LANGUAGE_ID_URL)

    def load() -> Any:
        import fasttext

        with contextlib.redirect_stderr(io.StringIO()):  # the bindings warn about the model kind
            return fasttext.load_model(str(path))

    return load_once(("fasttext", str(path)), load)


def predict_language(model: Any, line: str) -> tuple[str, float]:
    """The most likely language of ``line`` (which must hold no '\\n') and its probability."""
    labels, scores = model.predict(line)
    return labels[0].replace(_LABEL_PREFIX, ""), float(scores[0])
