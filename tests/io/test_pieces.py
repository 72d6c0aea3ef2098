"""Staged pieces of a Parquet input with huge row groups (datamill.io.pieces)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datamill.atomic import TMP_PREFIX
from datamill.config.models import PartitionConfig
from datamill.errors import InputError
from datamill.io import pieces
from datamill.io.pieces import PieceStager
from datamill.io.readers import Columns, read_partition
from datamill.io.sources import discover
from datamill.plan.planner import Plan, make_plan
from tests.conftest import read_jsonl


def parquet(path: Path, n: int, row_group_size: int | None = None) -> Path:
    table = pa.table({"id": [f"id{i}" for i in range(n)], "text": [f"text {i}" for i in range(n)]})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def plan_of(path: Path, tmp_path: Path, size: int) -> Plan:
    return make_plan(discover(str(path)), PartitionConfig(size=size), tmp_path / "staging")


def staged(plan: Plan, needed=None, timeout: float = 30) -> PieceStager:
    stager = PieceStager(plan, plan.partitions if needed is None else needed)
    deadline = time.monotonic() + timeout
    while not all(stager.ready(p) for p in plan.partitions):
        assert time.monotonic() < deadline, "staging did not finish"
        stager.wait(0.1)
    stager.close()
    return stager


def test_each_partition_reads_its_own_rows_from_its_piece(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pieces, "PIECE_PARTITIONS", 4)  # pieces of 400 rows, across row groups of 300
    source = parquet(tmp_path / "d.parquet", 2950, row_group_size=300)
    plan = plan_of(source, tmp_path, size=100)
    assert len({p.read_path for p in plan.partitions}) == 8
    staged(plan)
    cols = Columns(text_key="text", id_field="id")
    for spec in plan.partitions:
        table, bad = read_partition(spec, cols)
        assert not bad
        assert table.column("id").to_pylist() == [f"id{i}" for i in range(spec.row_start, spec.row_stop)]
    piece = pq.ParquetFile(plan.partitions[5].read_path).metadata
    assert [piece.row_group(g).num_rows for g in range(piece.num_row_groups)] == [100] * 4


def test_only_missing_pieces_are_written_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pieces, "PIECE_PARTITIONS", 3)
    source = parquet(tmp_path / "d.parquet", 2000, row_group_size=500)
    plan = plan_of(source, tmp_path, size=100)
    staged(plan)
    paths = sorted({p.read_path for p in plan.partitions})
    before = {p: os.stat(p).st_mtime_ns for p in paths}
    for lost in (paths[1], paths[4], paths[-1]):
        os.unlink(lost)
    pending = [p for p in plan.partitions if p.read_path in (paths[4], paths[-1])]
    stager = staged(plan, needed=pending)  # only what the pending partitions read
    assert not os.path.exists(paths[1])
    assert os.stat(paths[0]).st_mtime_ns == before[paths[0]]
    assert stager.ready(pending[0]) and stager.ready(pending[-1])
    cols = Columns(text_key="text", id_field="id")
    for spec in pending:
        ids = read_partition(spec, cols)[0].column("id").to_pylist()
        assert ids == [f"id{i}" for i in range(spec.row_start, spec.row_stop)]


def test_an_unreadable_input_fails_the_partition_waiting_for_it(tmp_path: Path) -> None:
    source = parquet(tmp_path / "d.parquet", 500)
    plan = plan_of(source, tmp_path, size=10)
    source.write_bytes(b"not parquet any more")
    stager = PieceStager(plan, plan.partitions)
    deadline = time.monotonic() + 30
    with pytest.raises(InputError, match=r"Cannot read Parquet file .*d.parquet"):
        while time.monotonic() < deadline:
            stager.ready(plan.partitions[0])
            stager.wait(0.1)
    stager.close()


def test_closing_drops_the_piece_under_way_and_leaves_no_temporaries(tmp_path: Path) -> None:
    source = parquet(tmp_path / "d.parquet", 300_000)
    plan = plan_of(source, tmp_path, size=10)
    stager = PieceStager(plan, plan.partitions)
    stager.wait(0.05)
    stager.close()
    assert not stager.busy
    folder = Path(plan.partitions[0].read_path).parent
    assert not list(folder.glob(TMP_PREFIX + "*"))
    for path in folder.glob("*.parquet"):  # each piece on disk is whole
        start, stop = (int(x) for x in path.stem.split("-"))
        assert pq.ParquetFile(path).metadata.num_rows == stop - start


def test_a_job_on_huge_row_groups_resumes_with_lost_pieces(datamill, recipe_file, tmp_path: Path) -> None:
    source = parquet(tmp_path / "d.parquet", 5000)
    out = tmp_path / "out.jsonl"
    recipe = recipe_file(
        dataset_path=str(source), export_path=str(out), id_field="id", np=2, partition={"size": 20}
    )
    assert datamill("run", "--config", recipe, "--job_id", "j") == 0
    assert [r["id"] for r in read_jsonl(out)] == [f"id{i}" for i in range(5000)]
    job = tmp_path / "jobs" / "j"
    for marker in sorted((job / "results").glob("*.commit"))[-70:]:
        marker.unlink()  # the last two pieces' partitions, and some of the one before
    for piece in sorted((job / "staging").rglob("*.parquet"))[-2:]:
        piece.unlink()
    out.unlink()
    assert datamill("run", "--config", recipe, "--job_id", "j") == 0
    assert [r["id"] for r in read_jsonl(out)] == [f"id{i}" for i in range(5000)]
