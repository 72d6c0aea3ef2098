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
    index, back, back_state, path = s.latest("p1", ["0" * 16, "1" * 16], COLS)
    assert index == 1 and back.to_pylist() == table.to_pylist() and back_state == state
    assert CheckpointName.parse(path.name) == CheckpointName(1, "1" * 16, path.suffix)


def test_only_a_matching_prefix_is_used_and_a_torn_file_is_skipped(tmp_path: Path) -> None:
    s = store(tmp_path, "parquet", keep_all=True)
    table = pa.table({"text": ["a"]})
    s.save("p1", 0, "a" * 16, table, PartitionState(rows_read=1))
    s.save("p1", 1, "b" * 16, table, PartitionState(rows_read=2))
    assert s.latest("p1", ["a" * 16, "c" * 16], COLS)[0] == 0  # op 1 changed: its checkpoint is not used
    s.save("p1", 2, "d" * 16, table, PartitionState(rows_read=3))
    newest = tmp_path / "p1" / f"op002-{'d' * 16}.parquet"
    newest.write_bytes(newest.read_bytes()[:50])  # torn by hand
    assert s.latest("p1", ["a" * 16, "b" * 16, "d" * 16], COLS)[0] == 1
