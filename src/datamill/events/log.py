"""Writing the event log: ``events.jsonl`` for programs, ``events.log`` for people.

Only the driver writes here; workers hand their events to the driver, which
stamps and writes them in the order it receives them. Both files rotate at
``event_logging.max_log_size_mb`` keeping ``backup_count`` old files. With
``event_logging.enabled: false`` nothing is written and nothing else changes.
``event_logging.level`` leaves notes below it out (:mod:`datamill.events.types`
says which events are notes and which are always written).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datamill.errors import ConfigError
from datamill.events.rotation import RotatingWriter
from datamill.events.types import (
    EVENT_FORMAT_VERSION,
    FIELDS,
    LEVELS,
    LOG_LEVELS,
    NOTE_TYPES,
    EventType,
    Level,
)

if TYPE_CHECKING:  # folding events needs pyarrow; writing them does not
    from datamill.config.models import EventLoggingConfig
    from datamill.events.read import EventReader
    from datamill.events.stats import EventStats

SNAPSHOT_INTERVAL_S = 2.0
EVENTS_FILE = "events.jsonl"
HUMAN_FILE = "events.log"

_HUMAN_FIELDS = (
    "partition_id",
    "op_name",
    "attempt",
    "rows_in",
    "rows_out",
    "duration_s",
    "checkpoint_path",
    "metric",
    "value",
    "cpu_percent",
    "memory_mb",
    "workers",
    "workers_memory_mb",
    "partitions",
    "partitions_done",
    "partitions_failed",
    "error_type",
)


def make_event(
    job_id: str, type_: EventType | str, *, at: float | None = None, **fields: Any
) -> dict[str, Any]:
    """An event with its time set now (or ``at``, an epoch); ``fields`` outside the schema are an error."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValueError(f"unknown event fields: {sorted(unknown)}")
    now = time.time() if at is None else at
    kind = EventType(type_).value
    return {
        "format_version": EVENT_FORMAT_VERSION,
        "time": datetime.fromtimestamp(now).astimezone().isoformat(timespec="milliseconds"),
        "epoch": round(now, 6),
        "job_id": job_id,
        "type": kind,
        "level": LEVELS[kind].value,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        **{k: v for k, v in fields.items() if v is not None},
    }


def log_level(value: str) -> Level:
    """``event_logging.level`` as a :class:`Level`; anything else is refused."""
    name = str(value).upper()
    if name not in LOG_LEVELS:
        raise ConfigError(
            f"event_logging.level '{value}' is not a level datamill knows: use one of "
            f"{', '.join(LOG_LEVELS)} (DEBUG writes every event, WARNING leaves out the INFO notes; "
            "the events the monitor and resume read are written at every level)."
        )
    return Level(name)


class EventLog:
    """The driver's writer of a job's event logs."""

    def __init__(
        self, directory: Path, job_id: str, config: EventLoggingConfig, level: str | None = None
    ) -> None:
        """``level`` overrides ``config.level`` (the lowest level of note written)."""
        self.job_id = job_id
        self.enabled = config.enabled
        chosen: str = level if level is not None else config.level
        self.level = log_level(chosen)
        self._left_out = frozenset(t.value for t in NOTE_TYPES if LEVELS[t.value].rank < self.level.rank)
        """The note types below the level: never written."""
        self._run = secrets.token_hex(4)
        self._seq = 0
        if not self.enabled:
            return
        max_bytes = int(config.max_log_size_mb * 1024 * 1024)
        self._jsonl = RotatingWriter(directory / EVENTS_FILE, max_bytes, config.backup_count)
        self._human = RotatingWriter(directory / HUMAN_FILE, max_bytes, config.backup_count)
        self._folded: tuple[EventReader, EventStats] | None = None
        self._next_snapshot: float | None = None
        """The first snapshot comes an interval after the first event, not
        sooner: folding a long earlier log must not delay a job's start."""

    def emit(self, type_: EventType | str, *, at: float | None = None, **fields: Any) -> None:
        self.write(make_event(self.job_id, type_, at=at, **fields))

    def wanted(self, type_: EventType | str) -> bool:
        """Whether events of this type are written at the log's level."""
        return self.enabled and EventType(type_).value not in self._left_out

    def write(self, event: dict[str, Any]) -> None:
        """Write an event made here or by a worker, giving it its id."""
        if not self.enabled or event["type"] in self._left_out:
            return
        self._seq += 1
        event = {**event, "event_id": f"{self._run}-{self._seq:08d}", "seq": self._seq}
        data = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode()
        if self._jsonl.will_rotate(len(data)):
            self.snapshot()  # (fold what the rotation may drop first)
        self._jsonl.write(data)
        self._human.write(human_line(event).encode())
        now = time.monotonic()
        if self._next_snapshot is None:
            self._next_snapshot = now + SNAPSHOT_INTERVAL_S
        elif now >= self._next_snapshot:
            self.snapshot()

    def snapshot(self) -> None:
        """Fold what was written since the last snapshot and save the result."""
        from datamill.events.snapshot import load_snapshot, save_snapshot

        if self._folded is None:
            self._folded = load_snapshot(self._jsonl.path)
        reader, stats = self._folded
        stats.update(reader.read_new())
        save_snapshot(reader, stats)
        self._next_snapshot = time.monotonic() + SNAPSHOT_INTERVAL_S

    def close(self) -> None:
        if self.enabled:
            self._jsonl.close()
            self._human.close()
            self.snapshot()


def human_line(event: dict[str, Any]) -> str:
    level = event.get("level") or LEVELS.get(event["type"], Level.INFO).value
    parts = [f"{event['time']} {level:<7} {event['type']:<19}"]
    parts += [f"{k}={event[k]}" for k in _HUMAN_FIELDS if event.get(k) is not None]
    for key in ("message", "error_message"):
        if event.get(key):
            parts.append(f"| {event[key]}")
    return " ".join(parts).replace("\n", " ") + "\n"
