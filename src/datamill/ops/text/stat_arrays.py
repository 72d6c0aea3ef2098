"""Arrow arrays of filter statistics, built from numpy buffers.

``pa.array`` first asks whether its input is a pandas object, which imports
pandas into every worker; these build the same int64 and double arrays from a
buffer and ask nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def float_array(values: Sequence[float] | np.ndarray) -> pa.Array:
    """``values`` as an Arrow double array without nulls."""
    data = np.ascontiguousarray(values, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), len(data), [None, pa.py_buffer(data)])


def int_array(values: Sequence[int] | np.ndarray) -> pa.Array:
    """``values`` as an Arrow int64 array without nulls."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def ratios(counts: np.ndarray, totals: np.ndarray) -> pa.Array:
    """``counts / totals`` per row, 0.0 where the total is 0 (as Data-Juicer
    writes it); the division of two exact integers rounds as Python's does."""
    counts = counts.astype(np.float64)
    totals = totals.astype(np.float64)
    out = np.zeros(len(totals), dtype=np.float64)
    np.divide(counts, totals, out=out, where=totals != 0)
    return float_array(out)


def bool_array(values: Sequence[bool]) -> pa.Array:
    """``values`` as an Arrow boolean array without nulls."""
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
