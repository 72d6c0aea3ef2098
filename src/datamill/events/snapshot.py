"""A snapshot of the folded event log, so nobody reads a long log twice.

The driver's event writer folds its own log every few seconds (reading only
what it appended since) and leaves the result in ``events.state.json`` with
the byte offsets it covers. A reader starts from the snapshot and reads only
the events after it. The snapshot is a cache: if it is missing, of another
format, or its offsets no longer fall on line ends (the log was edited), the
reader reads the whole log instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datamill.atomic import write_json_atomic
from datamill.events.read import EventReader, ReadStats
from datamill.events.stats import EventStats

SNAPSHOT_FORMAT_VERSION = 1


def snapshot_path(events_file: Path) -> Path:
    return events_file.with_name("events.state.json")


def save_snapshot(reader: EventReader, stats: EventStats) -> None:
    data: dict[str, Any] = {
        "format_version": SNAPSHOT_FORMAT_VERSION,
        "offsets": {str(k): v for k, v in reader.offsets.items()},
        "lines": reader.stats.lines,
        "skipped": reader.stats.skipped,
        "stats": stats.to_json(),
    }
    write_json_atomic(snapshot_path(reader.path), data, durable=False)


def load_snapshot(events_file: Path) -> tuple[EventReader, EventStats]:
    """A reader positioned after the snapshot and the stats it holds, or fresh ones."""
    try:
        data = json.loads(snapshot_path(events_file).read_text(encoding="utf-8"))
        if data.get("format_version") != SNAPSHOT_FORMAT_VERSION:
            raise ValueError("other format")
        reader = EventReader(
            events_file,
            ReadStats(lines=data["lines"], skipped=data["skipped"]),
            {int(k): v for k, v in data["offsets"].items()},
        )
        stats = EventStats.from_json(data["stats"])
    except (OSError, ValueError, KeyError, TypeError):
        return EventReader(events_file), EventStats()
    if not reader.offsets_valid():
        return EventReader(events_file), EventStats()
    return reader, stats
