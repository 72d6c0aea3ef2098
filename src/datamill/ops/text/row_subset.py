"""Rewrite only the rows of a text column that can change.

Several mappers leave most texts alone: a LaTeX op has nothing to do in a
text without a backslash command. Their batch path asks Arrow which rows hold
what the op looks for (one vectorised pass), runs the Python hook on those
rows alone and puts the results back in place.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from datamill.io.arrays import strings


def rewrite_rows(
    table: pa.Table, key: str, select: Callable[[pa.Array], pa.Array], fn: Callable[[str], str]
) -> pa.Table:
    """``table`` with ``fn`` applied to the ``key`` texts that ``select`` (a
    vectorised test on the column) marks true; a null counts as false."""
    column = table.column(key).combine_chunks()
    chosen = pc.fill_null(select(column), False)
    if not pc.any(chosen).as_py():
        return table
    picked = column.filter(chosen).to_pylist()
    out = pc.replace_with_mask(column, chosen, strings([fn(text) for text in picked]).cast(column.type))
    return table.set_column(table.schema.get_field_index(key), key, out)
