"""Arrow arrays and scalars built without ``pa.array``, ``pa.scalar`` or ``pa.repeat``.

Those three first ask whether their input is a pandas object, and that
question imports pandas: about 40 MB and 0.3 s in every worker process, for a
library the engine never uses. Arrow's builders and buffers ask nothing (and
the string builder is faster than ``pa.array``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa


def string_array(values: Sequence[object]) -> pa.Array | None:
    """``values`` as an Arrow string array (None as null); None if a value is
    neither a string nor None, or cannot be encoded as UTF-8."""
    builder = pa.lib.StringBuilder()
    try:
        builder.append_values(values)
    except (TypeError, UnicodeEncodeError):
        return None
    return builder.finish()


def strings(values: Sequence[object]) -> pa.Array:
    """``values`` as an Arrow string array, or what ``pa.array`` makes of them
    (and the error it raises) when they are not all strings."""
    array = string_array(values)
    return pa.array(values, type=pa.string()) if array is None else array


def flags(trues: int, falses: int) -> pa.Array:
    """``trues`` times True, then ``falses`` times False."""
    bits = np.packbits(np.arange(trues + falses) < trues, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), trues + falses, [None, pa.py_buffer(bits)])


def scalar(value: Any) -> Any:
    """A Python int, float or str as the Arrow scalar ``pa.scalar`` would make
    (int64, double, string); anything else is returned as it is."""
    if type(value) is int and -(2**63) <= value < 2**63:
        return pa.Array.from_buffers(pa.int64(), 1, [None, pa.py_buffer(struct.pack("<q", value))])[0]
    if type(value) is float:
        return pa.Array.from_buffers(pa.float64(), 1, [None, pa.py_buffer(struct.pack("<d", value))])[0]
    if type(value) is str:
        array = string_array([value])
        return value if array is None else array[0]
    return value


def filled(type_: pa.DataType, value: int, n: int) -> pa.Array:
    """``n`` times the 64-bit ``value`` as an array of ``type_`` (int64, or a
    timestamp counted in its unit)."""
    return pa.Array.from_buffers(type_, n, [None, pa.py_buffer(np.full(n, value, dtype=np.int64))])


def numbers(
    values: pa.Array | pa.ChunkedArray, dtype: type[np.generic], nulls_as: float | None = None
) -> np.ndarray:
    """A numeric Arrow array, cast to ``dtype``'s Arrow type, as a numpy
    array over its buffer (``to_numpy`` and ``fill_null`` import pandas).
    Nulls become ``nulls_as`` (in a copy); without it, nulls are an error."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = np.dtype(dtype)
    values = values.cast(pa.from_numpy_dtype(kind))
    n = len(values)
    data = values.buffers()[1]
    out = (
        np.zeros(n, dtype=kind)
        if data is None
        else np.frombuffer(data, dtype=kind, count=n, offset=values.offset * kind.itemsize)
    )
    if not values.null_count:
        return out
    if nulls_as is None:
        raise ValueError("numbers() was given nulls and no value for them")
    bitmap = np.frombuffer(values.buffers()[0], dtype=np.uint8)
    valid = np.unpackbits(bitmap, bitorder="little")[values.offset : values.offset + n].astype(bool)
    return np.where(valid, out, np.asarray(nulls_as, dtype=kind))
