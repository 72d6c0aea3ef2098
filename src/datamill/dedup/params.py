"""Parameters of the three document deduplicators, named and defaulted as in Data-Juicer.

Each model is frozen (it keys caches of permutations and compiled patterns)
and refuses, with a :class:`~datamill.errors.ConfigError`, any value that
Data-Juicer would accept but that would not deduplicate sensibly, such as a
``hamming_distance`` not below ``num_blocks``. :func:`parse_params` builds the
model of an op from a recipe's mapping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeAlias

import regex
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, model_validator

from datamill.dedup.lsh_shape import optimal_shape
from datamill.errors import ConfigError

SENTENCEPIECE_EXTRA = "lang"
"""The datamill extra that installs sentencepiece."""

MAX_BLOCK_CHOICES = 5000
"""SimHash block choices (num_blocks choose hamming_distance) the candidate search accepts."""

_COMMON_IGNORED = frozenset({"text_key", "num_proc", "accelerator", "cpu_required", "mem_required"})
"""Data-Juicer's runtime parameters, which mean nothing to a deduplicator here."""


class _DedupParams(BaseModel):
    """What the three deduplicators share: a frozen model that rejects unknown names."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    op_name: ClassVar[str]

    def _fail(self, message: str) -> ConfigError:
        return ConfigError(f"op '{self.op_name}': {message}")


class DocumentDeduplicatorParams(_DedupParams):
    """``document_deduplicator``: exact duplicates by the MD5 of the (normalised) text."""

    op_name: ClassVar[str] = "document_deduplicator"
    lowercase: bool = False
    """Compare texts lowercased."""
    ignore_non_character: bool = False
    """Drop whitespace, digits and ASCII punctuation before comparing."""


class _ShingleParams(_DedupParams):
    """How SimHash and MinHash cut a text into shingles."""

    tokenization: str = "space"
    """Unit of a shingle: 'space' (words between spaces), 'punctuation' (pieces between
    punctuation marks) or 'character'."""
    window_size: PositiveInt
    """Units per shingle."""
    lowercase: bool = True
    """Lowercase the text first."""
    ignore_pattern: str | None = None
    """A regular expression (``regex`` module syntax) whose matches are removed first."""

    _tokenizations: ClassVar[tuple[str, ...]] = ("space", "punctuation", "character")

    @model_validator(mode="after")
    def _check_shingles(self) -> _ShingleParams:
        if self.tokenization not in self._tokenizations:
            choices = ", ".join(f"'{t}'" for t in self._tokenizations)
            raise self._fail(f"tokenization '{self.tokenization}' is not supported; use one of {choices}.")
        if self.ignore_pattern:
            try:
                regex.compile(self.ignore_pattern)
            except regex.error as exc:
                raise self._fail(
                    f"ignore_pattern {self.ignore_pattern!r} is not a valid regex: {exc}."
                ) from None
        return self


class DocumentSimhashDeduplicatorParams(_ShingleParams):
    """``document_simhash_deduplicator``: near duplicates by the Hamming distance of 64-bit SimHashes."""

    op_name: ClassVar[str] = "document_simhash_deduplicator"
    window_size: PositiveInt = 6
    num_blocks: PositiveInt = 6
    """Blocks the 64 bits are cut into for the candidate search."""
    hamming_distance: PositiveInt = 4
    """Texts whose SimHashes differ in at most this many bits are duplicates."""

    @model_validator(mode="after")
    def _check_blocks(self) -> DocumentSimhashDeduplicatorParams:
        if self.num_blocks > 64:
            raise self._fail(f"num_blocks is {self.num_blocks}; a 64-bit SimHash has at most 64 blocks.")
        if self.hamming_distance >= self.num_blocks:
            raise self._fail(
                f"hamming_distance ({self.hamming_distance}) must be less than num_blocks "
                f"({self.num_blocks}); raise num_blocks or lower hamming_distance."
            )
        choices = math.comb(self.num_blocks, self.hamming_distance)
        if choices > MAX_BLOCK_CHOICES:
            raise self._fail(
                f"num_blocks {self.num_blocks} with hamming_distance {self.hamming_distance} means "
                f"{choices} block choices to search (at most {MAX_BLOCK_CHOICES}); use fewer blocks."
            )
        return self


class DocumentMinhashDeduplicatorParams(_ShingleParams):
    """``document_minhash_deduplicator``: near duplicates by MinHash LSH over shingle sets."""

    op_name: ClassVar[str] = "document_minhash_deduplicator"
    _tokenizations: ClassVar[tuple[str, ...]] = ("space", "punctuation", "character", "sentencepiece")
    window_size: PositiveInt = 5
    num_permutations: PositiveInt = 256
    """Hash functions in a signature."""
    jaccard_threshold: Annotated[float, Field(ge=0, le=1)] = 0.7
    """Similarity from which two texts count as duplicates; chooses the LSH shape when none is given."""
    num_bands: PositiveInt | None = None
    """LSH bands; with num_rows_per_band, or both left out to derive them from jaccard_threshold."""
    num_rows_per_band: PositiveInt | None = None
    """Signature values per band."""
    tokenizer_model: str | None = None
    """SentencePiece model (a path, or a file name in the model cache) for 'sentencepiece'."""

    @model_validator(mode="after")
    def _check_lsh(self) -> DocumentMinhashDeduplicatorParams:
        if (self.num_bands is None) != (self.num_rows_per_band is None):
            raise self._fail(
                "give both num_bands and num_rows_per_band, or neither to derive both from "
                "jaccard_threshold (Data-Juicer would silently ignore the one given)."
            )
        bands, rows = self.shape
        if bands * rows > self.num_permutations:
            raise self._fail(
                f"num_bands * num_rows_per_band ({bands} * {rows}) exceeds num_permutations "
                f"({self.num_permutations}); lower them or raise num_permutations."
            )
        if self.tokenization == "sentencepiece":
            self._check_sentencepiece()
        return self

    def _check_sentencepiece(self) -> None:
        if not self.tokenizer_model:
            raise self._fail(
                "tokenization 'sentencepiece' needs tokenizer_model, a SentencePiece model file."
            )
        try:
            import sentencepiece  # noqa: F401
        except ImportError as exc:
            raise self._fail(
                f"tokenization 'sentencepiece' needs the sentencepiece package, which cannot be "
                f'imported ({exc}). Install it with: pip install "datamill[{SENTENCEPIECE_EXTRA}]"'
            ) from None

    @property
    def shape(self) -> tuple[int, int]:
        """(bands, rows per band): as given, or Data-Juicer's optimum for the threshold."""
        if self.num_bands is not None and self.num_rows_per_band is not None:
            return self.num_bands, self.num_rows_per_band
        return optimal_shape(self.jaccard_threshold, self.num_permutations)


DedupParams: TypeAlias = (
    DocumentDeduplicatorParams | DocumentSimhashDeduplicatorParams | DocumentMinhashDeduplicatorParams
)

PARAMS_BY_OP: dict[str, type[DedupParams]] = {
    "document_deduplicator": DocumentDeduplicatorParams,
    "document_simhash_deduplicator": DocumentSimhashDeduplicatorParams,
    "document_minhash_deduplicator": DocumentMinhashDeduplicatorParams,
}


def parse_params(op_name: str, values: Mapping[str, Any] | None = None) -> DedupParams:
    """The parameter model of deduplicator ``op_name`` from a recipe's mapping."""
    cls = PARAMS_BY_OP.get(op_name)
    if cls is None:
        raise ConfigError(f"'{op_name}' is not a deduplicator; known: {', '.join(sorted(PARAMS_BY_OP))}.")
    given = {k: v for k, v in (values or {}).items() if k not in _COMMON_IGNORED}
    try:
        return cls.model_validate(given)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            names = ", ".join(cls.model_fields)
            raise ConfigError(f"op '{op_name}' has no parameter '{key}'; its parameters: {names}.") from None
        raise ConfigError(
            f"parameter '{key}' of op '{op_name}': {err['msg']} (got {err.get('input')!r})."
        ) from None
