"""Leave alone, in Arrow, the rows a text mapper does not change.

Most texts hold nothing a cleaner looks for (no ``%`` for a TeX comment, no
CJK punctuation), and turning a whole column back into Arrow strings costs
more than the cleaning. :func:`map_texts` rebuilds the column only if a text
changed; :func:`map_some_rows` runs Python only on the rows an Arrow test
(RE2) picked, when that test is cheaper than Python's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from datamill.io.arrays import strings

Column: TypeAlias = pa.Array | pa.ChunkedArray


def map_texts(texts: Column, fn: Callable[[str], str]) -> Column:
    """``fn`` on every text; ``texts`` itself if ``fn`` returned each text unchanged
    (``fn`` should return the very object it was given when it changes nothing)."""
    values = texts.to_pylist()
    mapped = [fn(text) for text in values]
    if all(new is old for new, old in zip(mapped, values, strict=True)):
        return texts
    return strings(mapped)


def map_some_rows(
    texts: Column, picked: Column, fn: Callable[[str], str], otherwise: Column | None = None
) -> Column:
    """``fn`` on the rows where ``picked`` holds; the other rows keep their text,
    or take the row of ``otherwise`` when it is given.

    A null text is always picked, so that ``fn`` raises on it as it would on the
    per-sample path (and the row is set aside)."""
    column = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    picked = pc.or_kleene(picked, pc.is_null(column))
    base = column if otherwise is None else pc.if_else(picked, column, otherwise)
    if not pc.any(picked).as_py():
        return base
    if isinstance(picked, pa.ChunkedArray):
        picked = picked.combine_chunks()
    mapped = strings([fn(text) for text in column.filter(picked).to_pylist()]).cast(column.type)
    return pc.replace_with_mask(base, picked, mapped)


def set_text(table: pa.Table, key: str, column: Column) -> pa.Table:
    """``table`` with its text column ``key`` replaced."""
    return table.set_column(table.schema.get_field_index(key), key, column)


def re2_class(chars: str) -> str | None:
    """An RE2 character class of ``chars``, each written by code point; None if
    no character can occur in an Arrow string (surrogates cannot)."""
    points = sorted({ord(ch) for ch in chars if not 0xD800 <= ord(ch) <= 0xDFFF})
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in points) + "]" if points else None
