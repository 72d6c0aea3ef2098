"""Connected components of a graph over integer row ids, in numpy.

The deduplicators all end the same way: rows linked by a shared hash (or a
near match) form a cluster, and Data-Juicer keeps the cluster's first row in
dataset order. With row ids increasing in that order, that is the smallest id
of each component, which union-find with "the smaller root wins" yields.

Here union-find runs on arrays: every round hooks the larger root of each
edge under the smaller one, then flattens all paths by pointer jumping, until
no edge joins two roots. Only rows that appear in an edge take memory.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]


def components(u: IntArray, v: IntArray) -> tuple[IntArray, IntArray]:
    """Every row in an edge (sorted, unique) and the smallest row of its component."""
    nodes, index = np.unique(np.concatenate([u, v]), return_inverse=True)
    a, b = index[: len(u)], index[len(u) :]
    parent = np.arange(len(nodes), dtype=np.int64)
    while True:
        pa_, pb_ = parent[a], parent[b]
        open_ = pa_ != pb_
        if not open_.any():
            break
        a, b, pa_, pb_ = a[open_], b[open_], pa_[open_], pb_[open_]
        np.minimum.at(parent, np.maximum(pa_, pb_), np.minimum(pa_, pb_))
        parent = _flatten(parent)
    roots: IntArray = nodes[parent]
    return nodes, roots


def _flatten(parent: IntArray) -> IntArray:
    """Point every node straight at its root."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


class ClusterBuilder:
    """Components grown edge batch by edge batch, keeping only rows in a cluster."""

    def __init__(self) -> None:
        self.nodes: IntArray = np.empty(0, dtype=np.int64)
        self.roots: IntArray = np.empty(0, dtype=np.int64)

    def add(self, u: IntArray, v: IntArray) -> None:
        """Link row u[i] with row v[i] for every i."""
        if len(u) == 0:
            return
        self.nodes, self.roots = components(
            np.concatenate([self.nodes, np.asarray(u, dtype=np.int64)]),
            np.concatenate([self.roots, np.asarray(v, dtype=np.int64)]),
        )

    def drops(self, row_id_col: str) -> pa.Table:
        """Each row that is not its cluster's first, with that first row (``dup_of``)."""
        dropped = self.nodes != self.roots
        return drops_table(row_id_col, self.nodes[dropped], self.roots[dropped])


def drops_table(row_id_col: str, rows: IntArray, dup_of: IntArray) -> pa.Table:
    """The result of a decision: dropped rows (ascending) and the kept row each duplicates."""
    order = np.argsort(rows, kind="stable")
    return pa.table(
        {
            row_id_col: pa.array(np.asarray(rows, dtype=np.int64)[order]),
            "dup_of": pa.array(np.asarray(dup_of, dtype=np.int64)[order]),
        }
    )
