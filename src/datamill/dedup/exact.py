"""document_deduplicator: exact duplicates by the MD5 of the text.

The text is optionally lowercased and stripped of whitespace, digits and ASCII
punctuation (Data-Juicer's regex), then trimmed of surrounding whitespace and
hashed. Data-Juicer keeps the first row of each digest in dataset order.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import regex

from datamill.dedup.components import drops_table
from datamill.dedup.duck import int_pairs, require_columns, sql_name
from datamill.dedup.params import DocumentDeduplicatorParams

MD5_COLUMN = "md5"
SCHEMA = pa.schema([(MD5_COLUMN, pa.binary(16))])

_NON_CHARACTER = regex.compile(r"\s+|\d+|[" + regex.escape(string.punctuation) + "]")


def digests(params: DocumentDeduplicatorParams, texts: Iterable[str]) -> bytes:
    """The 16-byte MD5 digests of ``texts``, concatenated."""
    lowercase = params.lowercase
    strip = _NON_CHARACTER if params.ignore_non_character else None
    out = bytearray()
    md5 = hashlib.md5
    for text in texts:
        if lowercase:
            text = text.lower()
        if strip is not None:
            text = strip.sub("", text)
        out += md5(text.strip().encode()).digest()
    return bytes(out)


def hash_texts(params: DocumentDeduplicatorParams, texts: list[str]) -> pa.Table:
    """The ``md5`` column of ``texts``."""
    column = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(texts), [None, pa.py_buffer(digests(params, texts))]
    )
    return pa.Table.from_arrays([column], schema=SCHEMA)


def decide(con: Any, source: str, row_id_col: str) -> pa.Table:
    """Rows whose digest an earlier row already has, each with that first row."""
    require_columns(con, source, [row_id_col, MD5_COLUMN])
    rid, md5 = sql_name(row_id_col), sql_name(MD5_COLUMN)
    rows, firsts = int_pairs(
        con,
        f"""
        WITH firsts AS (
            SELECT {md5} AS digest, min({rid}) AS first FROM {source} GROUP BY digest HAVING count(*) > 1
        )
        SELECT s.{rid}, f.first FROM {source} s JOIN firsts f ON s.{md5} = f.digest WHERE s.{rid} <> f.first
        """,
    )
    return drops_table(row_id_col, rows, firsts)
