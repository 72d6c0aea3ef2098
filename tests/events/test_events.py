from __future__ import annotations

import json
from pathlib import Path

from datamill.config.models import EventLoggingConfig
from datamill.events import EventLog, EventType
from datamill.events.read import EventReader
from datamill.events.rotation import rotated_files
from datamill.events.types import FIELDS


def write(log_dir: Path, n: int, **config) -> None:
    log = EventLog(log_dir, "j", EventLoggingConfig(**config))
    for i in range(n):
        log.emit(EventType.OP_COMPLETE, partition_id=f"p{i % 7}", op_name="x", op_index=0, rows_in=i)
    log.close()


def test_every_event_has_the_documented_fields(tmp_path: Path) -> None:
    write(tmp_path, 3)
    lines = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert len({e["event_id"] for e in lines}) == 3
    for e in lines:
        assert {"format_version", "event_id", "time", "epoch", "job_id", "type", "pid", "host"} <= set(e)
        assert set(e) <= FIELDS
    human = (tmp_path / "events.log").read_text().splitlines()
    assert len(human) == 3 and "OP_COMPLETE" in human[0] and "partition_id=p0" in human[0]


def test_rotation_keeps_every_event_readable_in_order(tmp_path: Path) -> None:
    write(tmp_path, 500, max_log_size_mb=0.005, backup_count=100)
    files = rotated_files(tmp_path / "events.jsonl")
    assert len(files) > 5
    assert (tmp_path / "events.log.1").exists()
    reader = EventReader(tmp_path / "events.jsonl")
    table = reader.read_new()
    assert table.column("rows_in").to_pylist() == list(range(500))
    assert reader.skipped_lines == 0


def test_garbled_and_torn_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    write(tmp_path, 50)
    path = tmp_path / "events.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(20, "this is not json\n")
    lines.insert(30, '{"type": 42, "rows_in": "many"}\n')
    path.write_text("".join(lines) + '{"type": "OP_COMPLETE", "rows_')
    reader = EventReader(path)
    assert reader.read_new().num_rows == 50
    assert reader.stats.skipped == 2 and reader.stats.torn_tail
    assert reader.skipped_lines == 3
    with open(path, "a") as fh:
        fh.write('in": 7}\n')  # the torn line is completed: read next time, once
    assert reader.read_new().column("rows_in").to_pylist() == [7]
    assert reader.skipped_lines == 2


def test_disabled_event_logging_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "off", 5, enabled=False)
    assert not (tmp_path / "off").exists()
