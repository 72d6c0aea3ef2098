"""Event types, their levels, and the fields an event may carry.

Every event has a format version, a unique id, the job id, its type, its
level and its time (ISO 8601 and epoch seconds); the other fields appear where
they apply. The schema is explicit so readers can parse a million lines in one
go.

Levels. Each type has one level: ``ERROR`` for failures (``JOB_FAILED``,
``PARTITION_FAILED``, ``OP_FAILED``, ``PROCESSING_ERROR``), ``WARNING`` for what
went wrong but was handled (``WARNING``, ``PARTITION_RETRY``,
``SAMPLES_QUARANTINED``), ``DEBUG`` for ``DEBUG`` (the plan, partition by
partition: rows, bytes, input file), and ``INFO`` for the rest: the lifecycle
of the job, its processing phase, partitions, ops and checkpoints, resource
samples, performance metrics and ``INFO`` notes (the plan's shape, the export).

``event_logging.level`` (``DEBUG``, ``INFO`` or ``WARNING``; default ``INFO``)
says which *notes* are written: ``INFO``, ``DEBUG`` and ``PERFORMANCE_METRIC``
events below it are left out. The events that record what happened to the
job — every type in :data:`STATE_TYPES`: the job's, the processing phase's,
each partition's, op's and checkpoint's, resource samples, warnings and
failures — are written at every level, because the monitor, ``datamill jobs``,
the dashboard and the folded snapshot are built from them. So ``level:
WARNING`` gives a log without notes, still complete for every reader, and
``level: DEBUG`` adds the per-partition detail.
"""

from __future__ import annotations

from enum import Enum

EVENT_FORMAT_VERSION = 1


class EventType(str, Enum):
    JOB_START = "JOB_START"
    JOB_RESUME = "JOB_RESUME"
    JOB_COMPLETE = "JOB_COMPLETE"
    JOB_FAILED = "JOB_FAILED"
    JOB_STOPPED = "JOB_STOPPED"
    PROCESSING_START = "PROCESSING_START"
    PROCESSING_COMPLETE = "PROCESSING_COMPLETE"
    PROCESSING_ERROR = "PROCESSING_ERROR"
    PARTITION_START = "PARTITION_START"
    PARTITION_COMPLETE = "PARTITION_COMPLETE"
    PARTITION_FAILED = "PARTITION_FAILED"
    PARTITION_RETRY = "PARTITION_RETRY"
    OP_START = "OP_START"
    OP_COMPLETE = "OP_COMPLETE"
    OP_FAILED = "OP_FAILED"
    CHECKPOINT_SAVE = "CHECKPOINT_SAVE"
    CHECKPOINT_LOAD = "CHECKPOINT_LOAD"
    SAMPLES_QUARANTINED = "SAMPLES_QUARANTINED"
    DEDUP_START = "DEDUP_START"
    DEDUP_PROGRESS = "DEDUP_PROGRESS"
    DEDUP_COMPLETE = "DEDUP_COMPLETE"
    RESOURCE_USAGE = "RESOURCE_USAGE"
    PERFORMANCE_METRIC = "PERFORMANCE_METRIC"
    WARNING = "WARNING"
    INFO = "INFO"
    DEBUG = "DEBUG"


class Level(str, Enum):
    """An event's level; members compare by severity."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Level.DEBUG: 10, Level.INFO: 20, Level.WARNING: 30, Level.ERROR: 40}

LOG_LEVELS = ("DEBUG", "INFO", "WARNING")
"""The values of ``event_logging.level``."""

LEVELS: dict[str, Level] = {
    **{t.value: Level.INFO for t in EventType},
    EventType.JOB_FAILED.value: Level.ERROR,
    EventType.PARTITION_FAILED.value: Level.ERROR,
    EventType.OP_FAILED.value: Level.ERROR,
    EventType.PROCESSING_ERROR.value: Level.ERROR,
    EventType.WARNING.value: Level.WARNING,
    EventType.PARTITION_RETRY.value: Level.WARNING,
    EventType.SAMPLES_QUARANTINED.value: Level.WARNING,
    EventType.DEBUG.value: Level.DEBUG,
}
"""Each event type's level, by the type's name."""

NOTE_TYPES = frozenset({EventType.INFO, EventType.DEBUG, EventType.PERFORMANCE_METRIC})
"""The types ``event_logging.level`` may leave out."""

STATE_TYPES = frozenset(EventType) - NOTE_TYPES
"""The types written at every level: what the job's readers are built from."""


FAILURE_TYPES = frozenset(
    {
        EventType.JOB_FAILED,
        EventType.PARTITION_FAILED,
        EventType.PARTITION_RETRY,
        EventType.OP_FAILED,
        EventType.SAMPLES_QUARANTINED,
    }
)

FIELD_TYPES = {
    "format_version": "int32",
    "event_id": "string",
    "seq": "int64",
    "time": "string",
    "epoch": "float64",
    "job_id": "string",
    "type": "string",
    "level": "string",
    "partition_id": "string",
    "op_name": "string",
    "op_index": "int32",
    "attempt": "int32",
    "pid": "int64",
    "host": "string",
    "node": "string",
    "duration_s": "float64",
    "rows_in": "int64",
    "rows_out": "int64",
    "bytes": "int64",
    "checkpoint_path": "string",
    "error_type": "string",
    "error_message": "string",
    "traceback": "string",
    "message": "string",
    "metric": "string",
    "value": "float64",
    "cpu_percent": "float64",
    "memory_mb": "float64",
    "workers": "int32",
    "workers_cpu_percent": "float64",
    "workers_memory_mb": "float64",
    "partitions": "int64",
    "partitions_done": "int64",
    "partitions_failed": "int64",
    "clusters": "int64",
    "rows_dropped": "int64",
    "reused": "bool_",
}
"""Every field an event may have, with its Arrow type (named, so that writing
events needs no pyarrow). Writers omit fields that do not apply. ``partitions``,
``partitions_done`` and ``partitions_failed`` are the processing phase's counts
(``PROCESSING_*``): partitions to run in this run, committed, failed.
``clusters``, ``rows_dropped`` and ``reused`` describe a deduplicator's global
phase (``DEDUP_*``): clusters of duplicates found, rows dropped, and whether a
decision committed by an earlier run was reused; ``DEDUP_PROGRESS`` carries the
share of the search done in ``value`` (0 to 1)."""

FIELDS = frozenset(FIELD_TYPES)

MONITOR_FIELDS = (
    "time",
    "epoch",
    "type",
    "partition_id",
    "host",
    "node",
    "op_name",
    "op_index",
    "attempt",
    "rows_in",
    "rows_out",
    "duration_s",
    "error_type",
    "error_message",
    "message",
    "cpu_percent",
    "memory_mb",
    "workers",
    "workers_cpu_percent",
    "workers_memory_mb",
    "clusters",
    "rows_dropped",
    "reused",
)
