"""``partition.auto_configure``: the partition size chosen from the data and the pipeline.

Seed 001's table gives, per modality, a default size, a maximum and a memory
multiplier. The modality comes from a bounded sample of the input
(:mod:`datamill.plan.sample`): rows carrying media under one of Data-Juicer's
media keys make it ``image``, ``audio`` or ``video``; more than one media kind
makes it ``multimodal``; no media, ``text``. The rule (ours), applied in order:

1. start at the modality's default size;
2. the pipeline's weight (the sum of its ops' costs, :func:`op_cost`): a light
   pipeline (weight at most :data:`LIGHT_PIPELINE`) doubles the size, a heavy
   one (at least :data:`HEAVY_PIPELINE`) halves it;
3. short rows (mean at most :data:`SHORT_ROW_BYTES`) double it, long rows (at
   least :data:`LONG_ROW_BYTES`) halve it;
4. rows carrying more than one media item on average divide it by that mean
   (the table counts samples of one item each);
5. the result is kept between 1 and the modality's maximum;
6. ``max_size_mb`` is :data:`MEMORY_BUDGET_MB` divided by the memory multiplier,
   and the size is capped so that an average partition fills at most half of
   it (room for rows twice the mean before the byte limit cuts).

The same input and recipe always give the same choice; the plan saves it, so a
resumed job keeps its partitions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from datamill.plan.sample import MEDIA_KINDS, InputSample, SampleKeys, sample_input

if TYPE_CHECKING:
    from datamill.config.models import PartitionConfig
    from datamill.io.sources import SourceFile


@dataclass(frozen=True)
class Modality:
    name: str
    default: int
    maximum: int
    memory_multiplier: float


MODALITIES = {
    m.name: m
    for m in (
        Modality("text", 200, 1000, 1.0),
        Modality("image", 50, 200, 5.0),
        Modality("audio", 30, 100, 8.0),
        Modality("video", 10, 50, 20.0),
        Modality("multimodal", 20, 100, 10.0),
    )
}
"""Seed 001's table: default size, maximum size and memory multiplier per modality."""

MEMORY_BUDGET_MB = 128.0
"""A partition's working memory, in text-equivalent MB (``max_size_mb`` × multiplier)."""
LIGHT_PIPELINE = 4
HEAVY_PIPELINE = 8
SHORT_ROW_BYTES = 1024
LONG_ROW_BYTES = 64 * 1024

LIGHT, OTHER, HEAVY = 1, 2, 8
"""Op costs: a vectorised or regex text op; an op we know nothing of (user ops);
an op that runs a model or decodes media."""
LIGHT_OPS = frozenset(
    """
    clean_email_mapper clean_links_mapper clean_html_mapper clean_ip_mapper clean_copyright_mapper
    fix_unicode_mapper whitespace_normalization_mapper punctuation_normalization_mapper
    remove_header_mapper remove_long_words_mapper remove_specific_chars_mapper
    remove_table_text_mapper remove_repeat_sentences_mapper chinese_convert_mapper
    text_length_filter words_num_filter alphanumeric_filter average_line_length_filter
    maximum_line_length_filter character_repetition_filter word_repetition_filter
    special_characters_filter specified_field_filter specified_numeric_field_filter
    suffix_filter document_deduplicator
    """.split()
)
HEAVY_OPS = frozenset(
    """
    perplexity_filter language_id_score_filter text_embd_similarity_filter
    llm_quality_score_filter llm_difficulty_score_filter llm_analysis_filter
    document_minhash_deduplicator document_simhash_deduplicator
    nlpaug_en_mapper nlpcda_zh_mapper generate_qa_from_text_mapper
    generate_qa_from_examples_mapper optimize_qa_mapper optimize_query_mapper
    optimize_response_mapper extract_entity_attribute_mapper extract_keyword_mapper
    """.split()
)
HEAVY_PREFIXES = ("image_", "audio_", "video_")
"""Ops on media decode it, whatever else they do."""


def op_cost(name: str) -> int:
    if name in HEAVY_OPS or name.startswith(HEAVY_PREFIXES):
        return HEAVY
    return LIGHT if name in LIGHT_OPS else OTHER


def op_names(process: Sequence[Mapping[str, Any]]) -> list[str]:
    return [name for entry in process for name in entry]


@dataclass(frozen=True)
class AutoChoice:
    """What ``auto_configure`` chose, and why; saved with the plan."""

    modality: str
    size: int
    max_size_mb: float
    reasons: tuple[str, ...]
    sampled_rows: int
    mean_row_bytes: float
    media_per_row: float = 0.0
    pipeline_weight: int = 0
    notes: tuple[str, ...] = ()
    """Manual settings the choice overrode."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"reasons": list(self.reasons), "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AutoChoice:
        fields = dict(data) | {"reasons": tuple(data["reasons"]), "notes": tuple(data.get("notes", ()))}
        return cls(**fields)

    def headline(self) -> str:
        return (
            f"partition.auto_configure: {self.modality} data, {self.size:,} samples per partition, "
            f"{self.max_size_mb:g} MB at most"
        )

    def describe(self) -> list[str]:
        """The headline and one indented line per reason, for the console."""
        return [self.headline(), *(f"  - {reason}" for reason in self.reasons)]


def auto_configure(
    sources: Sequence[SourceFile],
    settings: PartitionConfig,
    process: Sequence[Mapping[str, Any]] = (),
    keys: SampleKeys | None = None,
) -> AutoChoice:
    """Sample ``sources`` and choose the partition size for ``process``."""
    keys = keys or SampleKeys()
    return choose(sample_input(sources, keys), keys, op_names(process), settings)


def choose(
    sample: InputSample, keys: SampleKeys, ops: Sequence[str], settings: PartitionConfig
) -> AutoChoice:
    """The rule of this module's docstring, applied to what the sample showed."""
    modality = MODALITIES[_modality(sample)]
    reasons = [_detected(sample, keys, modality.name)]
    size = float(modality.default)
    weight = sum(op_cost(name) for name in ops)
    for times, over, reason in (_for_pipeline(ops, weight), _for_rows(sample), _for_media(sample)):
        if reason:
            size = size * times / over  # (a division, not a product with 1/over: 60 / 3 is 20)
            reasons.append(reason)
    chosen = max(1, min(modality.maximum, math.floor(size)))
    if size > modality.maximum:
        reasons.append(f"kept within the {modality.name} maximum of {modality.maximum}")
    max_size_mb = round(MEMORY_BUDGET_MB / modality.memory_multiplier, 1)
    mean = sample.mean_row_bytes
    fits = math.floor(max_size_mb * (1 << 20) / 2 / mean) if mean else chosen
    if fits < chosen:
        chosen = max(1, fits)
        reasons.append(f"{chosen:,} rows of {mean:,.0f} bytes fill half of max_size_mb {max_size_mb:g}")
    return AutoChoice(
        modality.name,
        chosen,
        max_size_mb,
        tuple(reasons),
        sample.rows,
        round(mean, 1),
        round(sample.media_per_row, 3),
        weight,
        _ignored(settings, chosen, max_size_mb),
    )


Scale = tuple[float, float, str]
"""Multiply by, divide by, and why (empty: no change)."""


def _for_pipeline(ops: Sequence[str], weight: int) -> Scale:
    if weight <= LIGHT_PIPELINE:
        return 2, 1, f"light pipeline ({len(ops)} ops, weight {weight} <= {LIGHT_PIPELINE}): size x2"
    if weight >= HEAVY_PIPELINE:
        heavy = ", ".join(n for n in ops if op_cost(n) == HEAVY)
        what = f"; heavy: {heavy}" if heavy else ""
        return 1, 2, f"heavy pipeline ({len(ops)} ops, weight {weight} >= {HEAVY_PIPELINE}{what}): size /2"
    return 1, 1, ""


def _for_rows(sample: InputSample) -> Scale:
    mean = sample.mean_row_bytes
    if sample.rows and mean <= SHORT_ROW_BYTES:
        return 2, 1, f"short rows ({mean:,.0f} bytes on average): size x2"
    if mean >= LONG_ROW_BYTES:
        return 1, 2, f"long rows ({mean:,.0f} bytes on average): size /2"
    return 1, 1, ""


def _for_media(sample: InputSample) -> Scale:
    per_row = sample.media_per_row
    if per_row > 1:
        return 1, per_row, f"{per_row:.2f} media items per row: size /{per_row:.2f}"
    return 1, 1, ""


def _modality(sample: InputSample) -> str:
    kinds = [kind for kind in MEDIA_KINDS if sample.rows_with[kind]]
    return "multimodal" if len(kinds) > 1 else kinds[0] if kinds else "text"


def _detected(sample: InputSample, keys: SampleKeys, modality: str) -> str:
    if not sample.rows:
        return "no row could be sampled: sized as text"
    media = ", ".join(
        f"{sample.rows_with[kind]:,} with {kind} ('{key}')" for kind, key in keys.media().items()
    )
    return (
        f"{modality}: of {sample.rows:,} rows sampled from {sample.files} file(s), "
        f"{sample.rows_with_text:,} with text ('{keys.text}'), {media}"
    )


def _ignored(settings: PartitionConfig, size: int, max_size_mb: float) -> tuple[str, ...]:
    """Seed 001: manual settings are ignored when auto_configure is true; said, not silent."""
    notes = []
    if "size" in settings.model_fields_set:
        notes.append(f"partition.size {settings.size:,} is ignored: auto_configure chose {size:,}")
    if "max_size_mb" in settings.model_fields_set:
        notes.append(
            f"partition.max_size_mb {settings.max_size_mb:g} is ignored: auto_configure chose {max_size_mb:g}"
        )
    return tuple(notes)
