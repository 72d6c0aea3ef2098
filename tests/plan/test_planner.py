from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from datamill.config.models import PartitionConfig
from datamill.errors import InputError
from datamill.io.sources import discover
from datamill.plan.cuts import line_ends
from datamill.plan.planner import load_plan, make_plan
from tests.conftest import write_jsonl


def plan_for(path: Path | str, tmp_path: Path, size: int = 10, max_size_mb: float = 64):
    return make_plan(
        discover(str(path)), PartitionConfig(size=size, max_size_mb=max_size_mb), tmp_path / "st"
    )


def test_rows_cut_by_size_and_the_plan_is_deterministic(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(95)])
    first = plan_for(path, tmp_path)
    second = plan_for(path, tmp_path)
    assert [p.id for p in first.partitions] == [p.id for p in second.partitions]
    assert [p.rows for p in first.partitions] == [10] * 9 + [5]
    assert first.total_rows == 95


def test_byte_limit_cuts_first_when_rows_are_big(tmp_path: Path) -> None:
    big = "x" * 300_000
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": big} for _ in range(10)])
    plan = plan_for(path, tmp_path, size=1000, max_size_mb=1)
    assert [p.rows for p in plan.partitions] == [3, 3, 3, 1]
    assert all(p.byte_stop - p.byte_start <= 1024 * 1024 for p in plan.partitions)


def test_a_row_larger_than_the_limit_gets_a_partition_of_its_own(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "y" * 2_000_000}, {"text": "small"}])
    plan = plan_for(path, tmp_path, size=1000, max_size_mb=1)
    assert [p.rows for p in plan.partitions] == [1, 1]


def test_last_line_without_newline_is_a_row(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"text": "a"}\n{"text": "b"}')
    assert line_ends(path).tolist() == [14, 27]
    assert plan_for(path, tmp_path).total_rows == 2


def test_plan_saved_with_input_fingerprint(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}] * 5)
    plan = plan_for(path, tmp_path)
    plan.save(tmp_path / "partitions.json")
    saved = json.loads((tmp_path / "partitions.json").read_text())
    fingerprint = saved["sources"][0]["fingerprint"]
    assert fingerprint["size"] == path.stat().st_size
    assert len(fingerprint["head_tail_sha256"]) == 64
    assert saved["format_version"] == 2
    assert load_plan(tmp_path / "partitions.json").partitions == plan.partitions


def test_plan_of_format_1_still_loads(tmp_path: Path) -> None:
    """Job directories planned by an earlier datamill resume as they were."""
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}] * 5)
    plan = plan_for(path, tmp_path)
    plan.save(tmp_path / "partitions.json")
    saved = json.loads((tmp_path / "partitions.json").read_text())
    fields = saved.pop("partition_fields")
    saved["format_version"] = 1
    saved["partitions"] = [dict(zip(fields, row, strict=True)) for row in saved["partitions"]]
    (tmp_path / "partitions.json").write_text(json.dumps(saved))
    assert load_plan(tmp_path / "partitions.json").partitions == plan.partitions
    saved["format_version"] = 7
    (tmp_path / "partitions.json").write_text(json.dumps(saved))
    with pytest.raises(InputError, match="plan format 7"):
        load_plan(tmp_path / "partitions.json")


def test_plan_saved_before_a_field_was_added_still_loads(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}] * 5)
    plan = plan_for(path, tmp_path)
    plan.save(tmp_path / "partitions.json")
    saved = json.loads((tmp_path / "partitions.json").read_text())
    assert saved["partition_fields"][-1] == "read_offset"
    saved["partition_fields"].pop()
    saved["partitions"] = [row[:-1] for row in saved["partitions"]]
    (tmp_path / "partitions.json").write_text(json.dumps(saved))
    assert load_plan(tmp_path / "partitions.json").partitions == plan.partitions


def test_directory_and_glob_inputs_in_stable_order(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.jsonl", "sub/c.jsonl"):
        write_jsonl(tmp_path / "in" / name, [{"text": name}])
    (tmp_path / "in" / "notes.txt").write_text("ignored")
    names = [s.name for s in discover(str(tmp_path / "in"))]
    assert names == ["a.jsonl", "b.jsonl", "sub/c.jsonl"]
    assert [s.name for s in discover(str(tmp_path / "in" / "*.jsonl"))] == ["a.jsonl", "b.jsonl"]


def test_compressed_jsonl_is_staged_with_the_same_lines(tmp_path: Path) -> None:
    raw = "".join(json.dumps({"text": f"r{i}"}) + "\n" for i in range(25)).encode()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "in" / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    plan = plan_for(tmp_path / "in", tmp_path)
    assert plan.total_rows == 50
    staged = {p.read_path for p in plan.partitions}
    assert all(Path(s).read_bytes() == raw for s in staged)


def test_parquet_partitions_span_small_row_groups(tmp_path: Path) -> None:
    table = pa.table({"text": [f"t{i}" for i in range(100)]})
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=7)
    plan = plan_for(tmp_path / "d.parquet", tmp_path, size=20)
    assert [p.rows for p in plan.partitions] == [20] * 5
    assert plan.partitions[0].read_path == str((tmp_path / "d.parquet").resolve())


def test_parquet_with_huge_row_groups_is_cut_into_staged_pieces(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(1000)]}), tmp_path / "d.parquet")
    plan = plan_for(tmp_path / "d.parquet", tmp_path, size=10)
    assert [p.rows for p in plan.partitions] == [10] * 100
    pieces = sorted({p.read_path for p in plan.partitions})
    assert [Path(p).name for p in pieces] == [
        "000000000000-000000000640.parquet",
        "000000000640-000000001000.parquet",
    ]
    assert all(Path(p).parent.parent == tmp_path / "st" for p in pieces)
    assert {p.read_offset for p in plan.partitions[64:]} == {640}
    assert not (tmp_path / "st").exists() or not any((tmp_path / "st").rglob("*.parquet"))  # not yet written


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.jsonl", "does not exist"), ("empty.jsonl", "no rows"), ("*.nothing", "matches no file")],
)
def test_bad_inputs_fail_before_any_work(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match=message):
        plan_for(tmp_path / name, tmp_path)


def test_corrupt_gzip_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match=r"Cannot decompress input file .*d.jsonl.gz"):
        plan_for(tmp_path / "d.jsonl.gz", tmp_path)


def test_unreadable_parquet_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "d.parquet").write_bytes(b"this is not parquet")
    with pytest.raises(InputError, match=r"Cannot read Parquet file .*d.parquet"):
        plan_for(tmp_path / "d.parquet", tmp_path)
