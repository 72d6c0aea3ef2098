"""The two phases of deduplication, for any of the three deduplicators.

``hash_partition`` runs inside a partition and returns the hash columns the
global phase needs (the caller adds the global row id and commits the table
with the partition). ``decide`` reads only those committed hashes, never the
text, and lists each dropped row with the kept row it duplicates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from datamill.dedup import exact, minhash, simhash
from datamill.dedup.components import drops_table
from datamill.dedup.duck import DEFAULT_MEMORY_LIMIT, Hashes, Progress, connect
from datamill.dedup.params import (
    DedupParams,
    DocumentDeduplicatorParams,
    DocumentSimhashDeduplicatorParams,
)


def _texts(texts: pa.Array | pa.ChunkedArray) -> list[str]:
    """The texts as Python strings; a null text counts as empty."""
    return ["" if t is None else t for t in texts.to_pylist()]


def hash_schema(params: DedupParams) -> pa.Schema:
    """The columns :func:`hash_partition` returns for ``params``."""
    if isinstance(params, DocumentDeduplicatorParams):
        return exact.SCHEMA
    if isinstance(params, DocumentSimhashDeduplicatorParams):
        return simhash.SCHEMA
    return minhash.schema(params)


def hash_partition(params: DedupParams, texts: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The hashes of one partition's texts, one row per text, in order."""
    if isinstance(params, DocumentDeduplicatorParams):
        return exact.hash_texts(params, _texts(texts))
    if isinstance(params, DocumentSimhashDeduplicatorParams):
        return simhash.hash_texts(params, _texts(texts))
    return minhash.hash_texts(params, _texts(texts))


def decide(
    params: DedupParams,
    hashes: Hashes,
    row_id_col: str = "row_id",
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    spill_dir: Path | None = None,
    progress: Progress | None = None,
) -> pa.Table:
    """Which rows to drop: a table of ``row_id_col`` (ascending) and ``dup_of``, the kept row.

    Rows not listed are kept. Row ids must be unique integers increasing in
    dataset order, so that the first row of a cluster is the one Data-Juicer keeps.
    DuckDB works within ``memory_limit`` and spills to a temporary directory
    under ``spill_dir`` (the system's temporary directory by default).
    ``progress(steps done, steps)`` is called as the near-duplicate search goes.
    """
    if not isinstance(hashes, pa.Table) and len(hashes) == 0:
        none = np.empty(0, dtype=np.int64)
        return drops_table(row_id_col, none, none)
    with connect(hashes, memory_limit, spill_dir) as (con, source):
        if isinstance(params, DocumentDeduplicatorParams):
            return exact.decide(con, source, row_id_col)
        if isinstance(params, DocumentSimhashDeduplicatorParams):
            return simhash.decide(con, source, row_id_col, params, progress)
        return minhash.decide(con, source, row_id_col, params, progress)
