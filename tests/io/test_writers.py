"""Exporting committed parts into one file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from datamill.io.writers import merge_parquet


def test_merge_parquet_keeps_order_and_unifies_differing_schemas(tmp_path: Path) -> None:
    tables = [
        pa.table({"a": [1, 2]}),
        pa.table({"a": [3], "b": ["x"]}),  # a column the first part lacks
        pa.table({"a": [4, 5]}),  # the first schema again
    ]
    parts = []
    for i, table in enumerate(tables):
        parts.append(tmp_path / f"part-{i}.parquet")
        pq.write_table(table, parts[-1])
    merge_parquet(parts, tmp_path / "out.parquet")
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column_names == ["a", "b"]
    assert out.to_pydict() == {"a": [1, 2, 3, 4, 5], "b": [None, None, "x", None, None]}
