"""document_simhash_deduplicator: near duplicates by the Hamming distance of 64-bit SimHashes.

A text's SimHash, as Data-Juicer computes it (with the simhash-pybind
package): each shingle is hashed to the first 8 bytes of its MD5, read big
endian; bit i of the result is set when more shingles have bit i set than
not. A text without shingles hashes to 0.

Two distinct fingerprints match when they differ in at most
``hamming_distance`` bits. Data-Juicer finds every such pair (its search over
block permutations is exhaustive), links matching fingerprints into clusters
and keeps, per cluster (or per fingerprint outside any), the first row in
dataset order. The same search runs here in DuckDB: the 64 bits are cut into
``num_blocks`` blocks, and two fingerprints within the distance agree on at
least ``num_blocks - hamming_distance`` whole blocks, so grouping by each such
choice of blocks finds every candidate pair.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from datamill.dedup.components import ClusterBuilder
from datamill.dedup.duck import Progress, int_pairs, require_columns, run, sql_name
from datamill.dedup.params import DocumentSimhashDeduplicatorParams
from datamill.dedup.shingles import Shingler

SIMHASH_COLUMN = "simhash"
SCHEMA = pa.schema([(SIMHASH_COLUMN, pa.uint64())])

_BLOCK_SHINGLES = 1 << 18
"""Shingles whose bits are counted at once (64 bytes each)."""
_KEYED_ROWS = 4_000_000
"""Fingerprint keys one candidate query builds at most."""


def fingerprints(params: DocumentSimhashDeduplicatorParams, texts: list[str]) -> npt.NDArray[np.uint64]:
    """The SimHash of each text."""
    shingle = Shingler(params)
    md5 = hashlib.md5
    out = np.zeros(len(texts), dtype=np.uint64)
    heads: list[bytes] = []
    counts: list[int] = []
    first = 0
    for i, text in enumerate(texts):
        shingles = shingle(text)
        heads.extend(md5(s).digest()[:8] for s in shingles)
        counts.append(len(shingles))
        if len(heads) >= _BLOCK_SHINGLES or i == len(texts) - 1:
            out[first : i + 1] = _majority_bits(b"".join(heads), np.array(counts, dtype=np.int64))
            heads, counts, first = [], [], i + 1
    return out


def _majority_bits(heads: bytes, counts: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """Per text, the bits set in more than half of its shingle hashes (big-endian 8-byte heads)."""
    majority = np.zeros((len(counts), 64), dtype=bool)
    bits = np.unpackbits(np.frombuffer(heads, dtype=np.uint8).reshape(-1, 8), axis=1)
    ends = np.cumsum(counts)
    for i in np.flatnonzero(counts):  # a Python loop over texts beats ufunc.reduceat on rows
        ones = bits[ends[i] - counts[i] : ends[i]].sum(axis=0, dtype=np.int64)
        majority[i] = 2 * ones > counts[i]
    packed = np.packbits(majority, axis=1)
    return packed.view(">u8").ravel().astype(np.uint64)


def hash_texts(params: DocumentSimhashDeduplicatorParams, texts: list[str]) -> pa.Table:
    """The ``simhash`` column of ``texts``."""
    return pa.Table.from_arrays([pa.array(fingerprints(params, texts), pa.uint64())], schema=SCHEMA)


def block_masks(num_blocks: int, hamming_distance: int) -> Iterator[int]:
    """For every choice of num_blocks - hamming_distance blocks, the mask of their bits."""
    blocks = [
        sum(1 << b for b in range(i * 64 // num_blocks, (i + 1) * 64 // num_blocks))
        for i in range(num_blocks)
    ]
    for chosen in itertools.combinations(blocks, num_blocks - hamming_distance):
        yield sum(chosen)


def decide(
    con: Any,
    source: str,
    row_id_col: str,
    params: DocumentSimhashDeduplicatorParams,
    progress: Progress | None = None,
) -> pa.Table:
    """Rows in a cluster of near-equal fingerprints after its first row, each with that row;
    ``progress(block choices searched, block choices)`` as the search goes."""
    require_columns(con, source, [row_id_col, SIMHASH_COLUMN])
    rid, fp = sql_name(row_id_col), sql_name(SIMHASH_COLUMN)
    run(
        con,
        f"CREATE TEMP TABLE prints AS "
        f"SELECT {fp} AS h, min({rid}) AS first, count(*) AS n FROM {source} GROUP BY h",
    )
    clusters = ClusterBuilder()
    clusters.add(
        *int_pairs(
            con,
            f"SELECT s.{rid}, p.first FROM {source} s JOIN prints p ON s.{fp} = p.h "
            f"WHERE p.n > 1 AND s.{rid} <> p.first",
        )
    )
    distinct = run(con, "SELECT count(*) FROM prints")[0][0]
    masks = list(block_masks(params.num_blocks, params.hamming_distance))
    per_query = max(1, _KEYED_ROWS // max(1, distinct))
    for i in range(0, len(masks), per_query):
        if progress is not None and i:
            progress(i, len(masks))
        clusters.add(*_matches(con, masks[i : i + per_query], params.hamming_distance))
    return clusters.drops(row_id_col)


def _matches(con: Any, masks: list[int], distance: int) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """First rows of fingerprint pairs agreeing on one of ``masks`` and within ``distance`` bits."""
    values = ", ".join(f"({i}, {m}::UBIGINT)" for i, m in enumerate(masks))
    return int_pairs(
        con,
        f"""
        WITH masks(i, m) AS (VALUES {values}),
        keyed AS (SELECT masks.i, p.h & masks.m AS key, p.h, p.first FROM prints p, masks)
        SELECT DISTINCT a.first, b.first FROM keyed a JOIN keyed b
            ON a.i = b.i AND a.key = b.key AND a.h < b.h
        WHERE bit_count(xor(a.h, b.h)) <= {distance}
        """,
    )
