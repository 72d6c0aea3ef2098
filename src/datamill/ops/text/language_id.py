"""language_id_score_filter: keep samples in given languages, identified with enough confidence.

fastText's ``lid.176.bin`` names the most likely language of the document,
lowered and with its line breaks turned into spaces, and gives its probability.
Both are kept as statistics, ``lang`` (a label such as ``en``) and
``lang_score``. A sample is kept when its language is one of ``lang`` (any
language when ``lang`` is empty) and its score is at least ``min_score``;
``reversed_range`` turns the score test around, not the language test, as in
Data-Juicer. Labels and scores are those of the exact model file.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datamill.io.arrays import strings
from datamill.models.fasttext import load_language_id, predict_language, require_fasttext
from datamill.ops.base import STATS_PREFIX, Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.stat_arrays import float_array

LANG_COLUMN = STATS_PREFIX + "lang"


@register("language_id_score_filter")
class LanguageIDScoreFilter(Filter):
    stat_key = "lang_score"

    def __init__(self, lang: str | list[str] = "", min_score: float = 0.8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        require_fasttext(self.name)
        self.langs = None if not lang else [lang] if isinstance(lang, str) else list(lang)
        self.min_value, self.max_value = min_score, float("inf")
        self._model: Any = None

    def model(self) -> Any:
        """The language-id model, loaded on first use."""
        if self._model is None:
            self._model = load_language_id()
        return self._model

    def predict(self, text: str) -> tuple[str, float]:
        """The sample's statistics: its language and that language's probability."""
        return predict_language(self.model(), text.lower().replace("\n", " "))

    def compute_stat(self, text: str) -> float:
        return self.predict(text)[1]

    def predict_table(self, table: pa.Table) -> tuple[pa.Array, pa.Array]:
        """Languages and scores of the rows of ``table``."""
        predictions = [self.predict(text) for text in table.column(self.text_key).to_pylist()]
        return strings([lang for lang, _ in predictions]), float_array([s for _, s in predictions])

    def keep_languages(self, langs: pa.Array, scores: pa.Array) -> pa.Array:
        """Rows to keep: a wanted language (when there is a list) with a score in range."""
        mask = self.keep(scores)
        if self.langs is None:
            return mask
        return pc.and_(pc.is_in(langs, value_set=strings(self.langs)), mask)

    def run(self, table: pa.Table) -> OpResult:
        names = table.column_names
        if LANG_COLUMN in names and self.stat_column in names:
            langs, scores = table.column(LANG_COLUMN), table.column(self.stat_column)
            kept = table.filter(self.keep_languages(langs.combine_chunks(), scores.combine_chunks()))
            return OpResult(kept, rows_removed=table.num_rows - kept.num_rows)
        if table.num_rows:
            self.model()  # a missing model stops the job here, instead of setting every sample aside
        parts, covered, failures = self.isolated(table, self.predict_table)
        if failures:
            table = table.take(pa.array(covered, pa.int64()))
        langs = pa.concat_arrays([p[0] for p in parts]) if parts else strings([])
        scores = pa.concat_arrays([p[1] for p in parts]) if parts else float_array([])
        table = table.drop_columns([c for c in (LANG_COLUMN, self.stat_column) if c in names])
        table = table.append_column(LANG_COLUMN, langs).append_column(self.stat_column, scores)
        kept = table.filter(self.keep_languages(langs, scores))
        return OpResult(kept, rows_removed=table.num_rows - kept.num_rows, failures=tuple(failures))
