from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from datamill.config.models import DEFAULT_COMPRESSION
from datamill.engine.checkpoint import CheckpointStore, PartitionState
from datamill.engine.spec import CheckpointName, CheckpointPolicy
from datamill.io.readers import Columns

COLS = Columns("text", None)


def store(tmp_path: Path, fmt: str, keep_all: bool = False) -> CheckpointStore:
    compression = DEFAULT_COMPRESSION[fmt]
    return CheckpointStore(CheckpointPolicy("every_op", 1, (), str(tmp_path), fmt, compression, keep_all))


@pytest.mark.parametrize("fmt", ["parquet", "arrow", "jsonl"])
def test_round_trip_keeps_table_and_bookkeeping(tmp_path: Path, fmt: str) -> None:
    s = store(tmp_path, fmt)
    table = pa.table({"text": ["a", "b"], "__dm_id__": ["f#0", "f#1"], "__dj__stats__.text_len": [1, 1]})
    state = PartitionState(
        rows_read=3, bad_rows=[{"line": 2}], quarantined=[{"id": "f#2"}], ops=[{"name": "x"}]
    )
    s.save("p1", 0, "0" * 16, table, state)
    s.save("p1", 1, "1" * 16, table, state)
    assert [p.name[:5] for p in (tmp_path / "p1").iterdir()] == ["op001"]  # only the newest is kept
    found = s.latest("p1", ["0" * 16, "1" * 16], COLS)
    assert found is not None
    index, back, back_state, path = found.op_index, found.table, found.state, found.path
    assert index == 1 and back.to_pylist() == table.to_pylist() and back_state == state
    assert CheckpointName.parse(path.name) == CheckpointName(1, "1" * 16, path.suffix)


def test_only_a_matching_prefix_is_used_and_a_torn_file_is_skipped(tmp_path: Path) -> None:
    s = store(tmp_path, "parquet", keep_all=True)
    table = pa.table({"text": ["a"]})
    s.save("p1", 0, "a" * 16, table, PartitionState(rows_read=1))
    s.save("p1", 1, "b" * 16, table, PartitionState(rows_read=2))
    assert (
        s.latest("p1", ["a" * 16, "c" * 16], COLS).op_index == 0
    )  # op 1 changed: its checkpoint is not used
    s.save("p1", 2, "d" * 16, table, PartitionState(rows_read=3))
    newest = tmp_path / "p1" / f"op002-{'d' * 16}.parquet"
    newest.write_bytes(newest.read_bytes()[:50])  # torn by hand
    assert s.latest("p1", ["a" * 16, "b" * 16, "d" * 16], COLS).op_index == 1


def test_a_parquet_checkpoint_with_a_page_of_zeros_is_skipped(tmp_path: Path) -> None:
    """Checkpoints are not fsynced: a machine crash can leave a file of the
    right size with zeros where a page was. Its page checksum catches that,
    uncompressed too (a compressed page of zeros fails to decompress anyway)."""
    s = CheckpointStore(CheckpointPolicy("every_op", 1, (), str(tmp_path), "parquet", "none", True))
    text = [f"document {i} " * 40 for i in range(200)]
    s.save("p1", 0, "a" * 16, pa.table({"text": text}), PartitionState(rows_read=1))
    s.save("p1", 1, "b" * 16, pa.table({"text": text}), PartitionState(rows_read=2))
    newest = tmp_path / "p1" / f"op001-{'b' * 16}.parquet"
    data = bytearray(newest.read_bytes())
    data[1000:1300] = bytes(300)  # inside the text column's data page; the footer is intact
    newest.write_bytes(bytes(data))
    found = s.latest("p1", ["a" * 16, "b" * 16], COLS)
    assert found is not None and found.op_index == 0 and found.table.column("text").to_pylist() == text


def test_a_checkpoint_after_a_deduplicator_needs_its_hashes_and_keeps_them(tmp_path: Path) -> None:
    s = store(tmp_path, "parquet", keep_all=False)
    table = pa.table({"text": ["a", "b"]})
    hashes = pa.table({"__dm_row__": [7, 8], "md5": [b"x" * 16, b"y" * 16]})
    prefixes = ["a" * 16, "b" * 16, "c" * 16]
    s.save("p1", 0, prefixes[0], table, PartitionState(rows_read=2))
    s.save_hashes("p1", 1, prefixes[1], hashes)
    s.save("p1", 2, prefixes[2], table, PartitionState(rows_read=2))
    names = sorted(p.name[:6] for p in (tmp_path / "p1").iterdir())
    assert names == ["dedup0", "op002-"]  # the older checkpoint goes, the hashes stay
    found = s.latest("p1", prefixes, COLS, dedups=[1])
    assert found is not None and found.op_index == 2 and found.hashes[1].equals(hashes)
    (tmp_path / "p1" / f"dedup001-{'b' * 16}.parquet").unlink()
    assert s.latest("p1", prefixes, COLS, dedups=[1]) is None  # no hashes: start from the input
    assert s.latest("p1", ["a" * 16, "z" * 16, "c" * 16], COLS, dedups=[1]) is None
