"""document_minhash_deduplicator: near duplicates by MinHash LSH over shingle sets.

A text's signature, as Data-Juicer computes it: each distinct shingle is
hashed to the first 4 bytes of its SHA-1 (little endian), and permutation i
maps a hash h to ((h * a_i + b_i) mod 2**64 mod (2**61 - 1)) & (2**32 - 1),
the (a_i, b_i) drawn in turn from numpy's RandomState(42); the signature
holds each permutation's minimum, or 2**32 - 1 for a text without shingles.
The first ``num_bands * num_rows_per_band`` values are cut into bands.

Two rows sharing a band value are duplicates; Data-Juicer unions each band's
rows under the band's smallest row and keeps the rows that remain their own
root: the smallest row of each connected component. Here a band is stored as
a 16-byte BLAKE2b digest of its values (equal bands, equal digests; a
collision between different bands is a 2**-128 event), grouped band by band
in DuckDB.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from datamill.dedup.components import ClusterBuilder, IntArray
from datamill.dedup.duck import Progress, int_pairs, require_columns, sql_name
from datamill.dedup.params import DocumentMinhashDeduplicatorParams
from datamill.dedup.shingles import Shingler

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)
SEED = 42
DIGEST_BYTES = 16
_BLOCK_BYTES = 2 << 20
"""Memory for permuted hashes at once."""
_BATCH_SHINGLES = 1 << 16
"""Shingle hashes gathered before they are permuted together."""
_TEXTS_PER_CHUNK = 4096
"""Texts whose full signatures are held at once (2 KB each with 256 permutations)."""

U64 = npt.NDArray[np.uint64]


def band_columns(params: DocumentMinhashDeduplicatorParams) -> list[str]:
    """The names of the band columns, in band order."""
    return [f"band_{i}" for i in range(params.shape[0])]


def schema(params: DocumentMinhashDeduplicatorParams) -> pa.Schema:
    """One 16-byte digest column per band."""
    return pa.schema([(name, pa.binary(DIGEST_BYTES)) for name in band_columns(params)])


@lru_cache(maxsize=8)
def permutations(count: int) -> tuple[U64, U64]:
    """Data-Juicer's (a, b) pairs: drawn alternately from RandomState(42)."""
    gen = np.random.RandomState(seed=SEED)
    pairs = [
        (gen.randint(1, MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, MERSENNE_PRIME, dtype=np.uint64))
        for _ in range(count)
    ]
    a = np.array([p[0] for p in pairs], dtype=np.uint64)
    b = np.array([p[1] for p in pairs], dtype=np.uint64)
    return a, b


def signatures(params: DocumentMinhashDeduplicatorParams, texts: list[str]) -> U64:
    """The MinHash signature of each text, one row per text."""
    shingle = Shingler(params)
    sha1 = hashlib.sha1
    out = np.full((len(texts), params.num_permutations), MAX_HASH, dtype=np.uint64)
    heads: list[bytes] = []
    counts: list[int] = []
    first = 0
    for i, text in enumerate(texts):
        shingles = set(shingle(text))
        heads.extend(sha1(s).digest()[:4] for s in shingles)
        counts.append(len(shingles))
        if len(heads) >= _BATCH_SHINGLES or i == len(texts) - 1:
            hashes = np.frombuffer(b"".join(heads), dtype="<u4").astype(np.uint64)
            _min_into(out[first : i + 1], hashes, np.array(counts, dtype=np.int64), params.num_permutations)
            heads, counts, first = [], [], i + 1
    return out


def permute(hashes: U64, a: U64, b: U64) -> U64:
    """((h * a + b) mod 2**64 mod (2**61 - 1)) & (2**32 - 1) for every hash h and pair (a, b).

    The modulo by the Mersenne prime P = 2**61 - 1 is done without division:
    x = hi * 2**61 + lo is congruent to hi + lo, which is below 2 * P, so one
    conditional subtraction finishes it (the same values, a fifth faster).
    """
    x = hashes[:, None] * a
    x += b
    y = x & MERSENNE_PRIME
    x >>= np.uint64(61)
    y += x
    np.subtract(y, MERSENNE_PRIME, out=y, where=y >= MERSENNE_PRIME)
    y &= MAX_HASH
    return y


def _min_into(out: U64, hashes: U64, counts: npt.NDArray[np.int64], num_permutations: int) -> None:
    """Lower each text's row of ``out`` to the minimum of its permuted shingle hashes."""
    a, b = permutations(num_permutations)
    owner = np.repeat(np.arange(len(counts)), counts)
    step = max(1, _BLOCK_BYTES // (num_permutations * 8))
    for start in range(0, len(hashes), step):
        docs = owner[start : start + step]
        permuted = permute(hashes[start : start + step], a, b)
        bounds = [*np.flatnonzero(docs[1:] != docs[:-1]) + 1, len(docs)]
        first = 0
        for end in bounds:  # a Python loop over texts beats ufunc.reduceat on rows 20-fold
            row = out[docs[first]]
            np.minimum(row, permuted[first:end].min(axis=0), out=row)
            first = end


def band_digests(params: DocumentMinhashDeduplicatorParams, signature: U64) -> list[pa.Array]:
    """One column per band: the digest of each text's band values."""
    bands, rows = params.shape
    blake2b = hashlib.blake2b
    columns = []
    for band in range(bands):
        values = np.ascontiguousarray(signature[:, band * rows : (band + 1) * rows].astype("<u4"))
        raw = values.tobytes()
        width = rows * 4
        digests = b"".join(
            blake2b(raw[i : i + width], digest_size=DIGEST_BYTES).digest() for i in range(0, len(raw), width)
        )
        columns.append(
            pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(DIGEST_BYTES), len(signature), [None, pa.py_buffer(digests)]
            )
        )
    return columns


def hash_texts(params: DocumentMinhashDeduplicatorParams, texts: list[str]) -> pa.Table:
    """The band columns of ``texts``, computed a chunk of texts at a time."""
    chunks = [
        pa.Table.from_arrays(
            band_digests(params, signatures(params, texts[i : i + _TEXTS_PER_CHUNK])), schema=schema(params)
        )
        for i in range(0, len(texts), _TEXTS_PER_CHUNK)
    ]
    if not chunks:
        return schema(params).empty_table()
    return pa.concat_tables(chunks).combine_chunks()


def decide(
    con: Any,
    source: str,
    row_id_col: str,
    params: DocumentMinhashDeduplicatorParams,
    progress: Progress | None = None,
) -> pa.Table:
    """Rows linked to an earlier row through shared bands, each with its component's first row;
    ``progress(bands done, bands)`` after each band."""
    bands = band_columns(params)
    require_columns(con, source, [row_id_col, *bands])
    clusters = ClusterBuilder()
    for done, band in enumerate(bands, 1):
        if progress is not None and done > 1:
            progress(done - 1, len(bands))
        clusters.add(*band_pairs(con, source, row_id_col, band))
    return clusters.drops(row_id_col)


def band_pairs(con: Any, source: str, row_id_col: str, band: str) -> tuple[IntArray, IntArray]:
    """Each row sharing ``band``'s value with an earlier row, with the first row of that value."""
    rid, column = sql_name(row_id_col), sql_name(band)
    return int_pairs(
        con,
        f"""
        WITH buckets AS (
            SELECT {column} AS key, min({rid}) AS first FROM {source} GROUP BY key HAVING count(*) > 1
        )
        SELECT s.{rid}, b.first FROM {source} s JOIN buckets b ON s.{column} = b.key
        WHERE s.{rid} <> b.first
        """,
    )


def band_task(files: list[str], row_id_col: str, band: str, memory_limit: str) -> tuple[IntArray, IntArray]:
    """:func:`band_pairs` over the committed hash files, in a process of its own (a Ray
    task of the global phase: one band, read from every file, per task)."""
    from datamill.dedup.duck import connect

    with connect(files, memory_limit) as (con, source):
        return band_pairs(con, source, row_id_col, band)
