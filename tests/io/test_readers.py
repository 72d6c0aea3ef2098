from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from datamill.config.models import PartitionConfig
from datamill.io.readers import ID_COLUMN, Columns, read_partition
from datamill.io.sources import discover
from datamill.plan.planner import make_plan
from tests.conftest import write_jsonl


def read_all(path: Path, tmp_path: Path, cols: Columns, size: int = 4):
    plan = make_plan(discover(str(path)), PartitionConfig(size=size), tmp_path / "st")
    tables, bad = [], []
    for spec in plan.partitions:
        table, rows = read_partition(spec, cols)
        tables.append(table)
        bad += rows
    return tables, bad


def test_bad_rows_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "fine one"},
            '{"text": "torn',
            {"content": "no text key"},
            {"text": 42},
            "",
            "[1, 2]",
            {"text": None},
            '{"text": "lone \\ud800 surrogate"}',
            {"text": "fine two", "extra": {"a": 1}},
        ],
    )
    tables, bad = read_all(path, tmp_path, Columns("text", None), size=100)
    assert [(b.line, b.reason.split(":")[0]) for b in bad] == [
        (2, "malformed JSON"),
        (3, "no 'text' key"),
        (4, "'text' is a int, not a string"),
        (6, "line is a JSON list, not an object"),
        (7, "'text' is null, not a string"),
        (8, "'text' holds a lone surrogate escape, which is not valid Unicode"),
    ]
    assert all(b.file == "d.jsonl" for b in bad)
    (table,) = tables
    assert table.column("text").to_pylist() == ["fine one", "fine two"]
    assert table.column(ID_COLUMN).to_pylist() == ["d.jsonl#0", "d.jsonl#8"]


def test_derived_ids_are_stable_across_partition_sizes(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"t{i}"} for i in range(10)])
    ids = []
    for size in (3, 10):
        tables, _ = read_all(path, tmp_path / str(size), Columns("text", None), size=size)
        ids.append([i for t in tables for i in t.column(ID_COLUMN).to_pylist()])
    assert ids[0] == ids[1] == [f"d.jsonl#{i}" for i in range(10)]


def test_id_field_is_used_and_rows_without_it_are_bad(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a", "scene_token": "s1"}, {"text": "b"}])
    (table,), bad = read_all(path, tmp_path, Columns("text", "scene_token"))
    assert ID_COLUMN not in table.column_names
    assert table.column("scene_token").to_pylist() == ["s1"]
    assert [b.reason for b in bad] == ["no value for id_field 'scene_token'"]


def test_columns_missing_from_early_rows_are_kept(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [{"text": "a"}, {"text": "b", "late": 1}, {"text": "c", "mixed": 1}, {"text": "d", "mixed": "x"}],
    )
    (table,), _ = read_all(path, tmp_path, Columns("text", None))
    assert table.column("late").to_pylist() == [None, 1, None, None]
    assert table.num_rows == 4


def test_parquet_null_text_is_a_bad_row(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": ["a", None, "c"]}), tmp_path / "d.parquet")
    (table,), bad = read_all(tmp_path / "d.parquet", tmp_path, Columns("text", None))
    assert table.column("text").to_pylist() == ["a", "c"]
    assert table.column(ID_COLUMN).to_pylist() == ["d.parquet#0", "d.parquet#2"]
    assert [(b.row, b.reason) for b in bad] == [(1, "'text' is null")]


def test_csv_and_tsv_are_read_with_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text('text,n\n"hello, world",1\n"two\nlines",2\n')
    (tmp_path / "in" / "b.tsv").write_text("text\tn\nthree\t3\n")
    tables, bad = read_all(tmp_path / "in", tmp_path, Columns("text", None))
    texts = [t for table in tables for t in table.column("text").to_pylist()]
    assert texts == ["hello, world", "two\nlines", "three"]
    assert bad == []


def test_parquet_partitions_across_small_and_empty_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    with pq.ParquetWriter(path, pa.schema([("text", pa.string())])) as writer:
        for size in (7, 0, 7, 13, 0, 3, 7, 7, 6):  # 50 rows, two empty groups
            writer.write_table(pa.table({"text": [f"t{i}" for i in range(size)]}).cast(writer.schema))
    texts = [t for size in (7, 0, 7, 13, 0, 3, 7, 7, 6) for t in (f"t{i}" for i in range(size))]
    cols = Columns(text_key="text", id_field=None)
    plan = make_plan(discover(str(path)), PartitionConfig(size=10), tmp_path / "st")
    assert [read_partition(p, cols)[0].column("text").to_pylist() for p in plan.partitions] == [
        texts[i : i + 10] for i in range(0, 50, 10)
    ]
    # The same path rewritten (a worker keeps footers of files it read): the new rows are read.
    pq.write_table(pa.table({"text": [f"new{i}" for i in range(50)]}), path, row_group_size=5)
    read = read_partition(plan.partitions[1], cols)[0].column("text").to_pylist()
    assert read == [f"new{i}" for i in range(10, 20)]
