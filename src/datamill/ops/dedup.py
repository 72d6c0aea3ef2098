"""Data-Juicer's three document deduplicators, as ops of a recipe.

A deduplicator is global: whether a row survives depends on every other
partition. In a partition it changes nothing; the partition function computes
the row's hashes where the op stands in the pipeline (:meth:`Deduplicator.hashes`)
and commits them with the partition. Once every partition has committed, the
driver decides from those hashes alone which rows duplicate an earlier one
(:mod:`datamill.job.dedup_phase`), and the export leaves them out. The ops
after a deduplicator are row by row (every built-in op is), so running them
on rows the decision drops later changes nothing in the rows that remain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from datamill.dedup import DedupParams, hash_partition, parse_params
from datamill.io.readers import ROW_ID
from datamill.ops.base import Op, OpResult
from datamill.ops.registry import register

RECORD_ID = "id"
"""The record's id in a hash side file (``duplicates.parquet`` names rows by it)."""


class Deduplicator(Op):
    """Rows in = rows out in a partition; the hashes go to the global phase."""

    kind = "deduplicator"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{k: v for k, v in kwargs.items() if k in ("text_key", "batch_size")})
        self.dedup: DedupParams = parse_params(self.name, _dedup_values(kwargs))

    def run(self, table: pa.Table) -> OpResult:
        """The rows unchanged, and their hashes (after the row ids, where the table has them)."""
        return OpResult(table, hashes=self.hashes(table))

    def hashes(self, table: pa.Table) -> pa.Table:
        """The hash columns of ``table``'s rows, led by ``ROW_ID`` if ``table`` has it."""
        if self.text_key in table.column_names:
            texts = table.column(self.text_key)
        else:
            texts = pa.nulls(table.num_rows, pa.string())
        hashed = hash_partition(self.dedup, texts)
        if ROW_ID in table.column_names:
            hashed = hashed.add_column(0, ROW_ID, table.column(ROW_ID).combine_chunks())
        return hashed


_RUNTIME = frozenset({"text_key", "batch_size"})


def _dedup_values(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in _RUNTIME}


def _given(names: dict[str, Any]) -> dict[str, Any]:
    """An ``__init__``'s parameters, from its ``locals()``: the named ones and its ``**kwargs``."""
    named = {k: v for k, v in names.items() if k not in ("self", "kwargs", "__class__")}
    extra: dict[str, Any] = names.get("kwargs", {})
    return named | extra


@register("document_deduplicator")
class DocumentDeduplicator(Deduplicator):
    """Exact duplicates: rows whose text has the same MD5 as an earlier row's."""

    def __init__(self, lowercase: bool = False, ignore_non_character: bool = False, **kwargs: Any) -> None:
        super().__init__(**_given(locals()))


@register("document_simhash_deduplicator")
class DocumentSimhashDeduplicator(Deduplicator):
    """Near duplicates: 64-bit SimHashes within hamming_distance bits of an earlier row's."""

    def __init__(
        self,
        tokenization: str = "space",
        window_size: int = 6,
        lowercase: bool = True,
        ignore_pattern: str | None = None,
        num_blocks: int = 6,
        hamming_distance: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(**_given(locals()))


@register("document_minhash_deduplicator")
class DocumentMinhashDeduplicator(Deduplicator):
    """Near duplicates: MinHash LSH over shingle sets, from a Jaccard similarity of jaccard_threshold up.

    With ``tokenization: sentencepiece`` the shingles are the pieces of
    ``tokenizer_model``, so the kept set depends on that exact model."""

    def __init__(
        self,
        tokenization: str = "space",
        window_size: int = 5,
        lowercase: bool = True,
        ignore_pattern: str | None = None,
        num_permutations: int = 256,
        jaccard_threshold: float = 0.7,
        num_bands: int | None = None,
        num_rows_per_band: int | None = None,
        tokenizer_model: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**_given(locals()))


def dedup_positions(ops: Sequence[Op]) -> list[int]:
    """Where the deduplicators stand in a pipeline."""
    return [i for i, op in enumerate(ops) if op.kind == Deduplicator.kind]
