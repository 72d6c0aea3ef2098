"""sentence_split_mapper: put each sentence of a text on a line of its own.

The sentences are those of nltk's Punkt tokenizer for the language, joined with
'\\n'. Data-Juicer 1.6.1 asks nltk for ``tokenizers/punkt/{language}.pickle``,
which nltk (3.9 and later) answers with the pickle-free Punkt parameters of
``tokenizers/punkt_tab/{language}/``: those are the files this op reads too.
They are looked for first under ``nltk_data/`` in the model cache, then in nltk's
own data path (``$NLTK_DATA``, ``~/nltk_data``, ...), where a Data-Juicer user
already has them; when neither holds them, nltk's ``punkt_tab.zip`` is
downloaded into the model cache. The sentences depend on those parameters.

The boundaries depend on nltk's release as well as on the parameters: ``datamill[lang]``
pins nltk 3.10.3, Data-Juicer 1.6.1's pin (3.10.4 already cuts some texts differently).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pyarrow as pa

from datamill.errors import ConfigError
from datamill.io.arrays import strings
from datamill.models import ModelUnavailable, fetch, load_once, model_dir
from datamill.ops.base import Mapper, OpResult
from datamill.ops.registry import register

PUNKT_LANGUAGES = {"en": "english", "fr": "french", "pt": "portuguese", "es": "spanish"}
"""The languages Data-Juicer accepts, and nltk's names for them."""

PUNKT_TAB_URL = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/tokenizers/punkt_tab.zip"
"""Where nltk's downloader gets the ``punkt_tab`` package."""

PUNKT_TAB_ZIP = "nltk_data/tokenizers/punkt_tab.zip"
"""Its place in the model cache, laid out as an nltk data folder."""

EXTRA = "lang"
"""The datamill extra that installs nltk."""


def load_punkt(lang: str) -> Any:
    """nltk's Punkt sentence tokenizer for ``lang``, loaded once per process."""
    root = str(model_dir() / "nltk_data")
    return load_once(("punkt", lang, root), lambda: _punkt(PUNKT_LANGUAGES[lang], root))


def _punkt(language: str, root: str) -> Any:
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    # First in nltk's search path, and so also a folder nltk agrees to read from.
    if root not in nltk.data.path:
        nltk.data.path.insert(0, root)
    try:
        nltk.data.find(f"tokenizers/punkt_tab/{language}/")
    except LookupError:
        fetch(PUNKT_TAB_ZIP, PUNKT_TAB_URL)
    try:
        return PunktTokenizer(language)
    except LookupError as exc:
        raise ModelUnavailable(
            f"the Punkt model tokenizers/punkt_tab/{language}/ is neither in {root} nor in nltk's data "
            f"path, and {root}/tokenizers/punkt_tab.zip does not hold it. Delete that file so that it "
            "is downloaded again, or copy nltk's punkt_tab folder there."
        ) from exc


@register("sentence_split_mapper")
class SentenceSplitMapper(Mapper):
    """Rewrites a text as its sentences, one per line; the model loads on first use."""

    def __init__(self, lang: str = "en", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if lang not in PUNKT_LANGUAGES:
            raise ConfigError(
                f"sentence_split_mapper: lang {lang!r} has no sentence model; use one of "
                f"{', '.join(PUNKT_LANGUAGES)}."
            )
        if importlib.util.find_spec("nltk") is None:
            raise ConfigError(
                f"op '{self.name}' needs nltk, which cannot be imported. "
                f'Install it with: pip install "datamill[{EXTRA}]"'
            )
        self.lang = lang

    def run(self, table: pa.Table) -> OpResult:
        # Loaded before the base class's per-sample fallback: a missing model stops the job
        # instead of setting every sample aside.
        load_punkt(self.lang)
        return super().run(table)

    def process_text(self, text: str) -> str:
        return "\n".join(load_punkt(self.lang).tokenize(text))

    def process_batch(self, table: pa.Table) -> pa.Table:
        tokenize = load_punkt(self.lang).tokenize
        texts = table.column(self.text_key).to_pylist()
        out = strings(["\n".join(tokenize(text)) for text in texts])
        return table.set_column(table.schema.get_field_index(self.text_key), self.text_key, out)
