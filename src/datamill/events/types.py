"""Event types and the fields an event may carry.

Every event has a format version, a unique id, the job id, its type and its
time (ISO 8601 and epoch seconds); the other fields appear where they apply.
The schema is explicit so readers can parse a million lines in one go.
"""

from __future__ import annotations

from enum import Enum

import pyarrow as pa

EVENT_FORMAT_VERSION = 1


class EventType(str, Enum):
    JOB_START = "JOB_START"
    JOB_RESUME = "JOB_RESUME"
    JOB_COMPLETE = "JOB_COMPLETE"
    JOB_FAILED = "JOB_FAILED"
    JOB_STOPPED = "JOB_STOPPED"
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
    RESOURCE_USAGE = "RESOURCE_USAGE"
    PERFORMANCE_METRIC = "PERFORMANCE_METRIC"
    WARNING = "WARNING"


FAILURE_TYPES = frozenset(
    {
        EventType.JOB_FAILED,
        EventType.PARTITION_FAILED,
        EventType.PARTITION_RETRY,
        EventType.OP_FAILED,
        EventType.SAMPLES_QUARANTINED,
    }
)

SCHEMA = pa.schema(
    [
        ("format_version", pa.int32()),
        ("event_id", pa.string()),
        ("seq", pa.int64()),
        ("time", pa.string()),
        ("epoch", pa.float64()),
        ("job_id", pa.string()),
        ("type", pa.string()),
        ("partition_id", pa.string()),
        ("op_name", pa.string()),
        ("op_index", pa.int32()),
        ("attempt", pa.int32()),
        ("pid", pa.int64()),
        ("host", pa.string()),
        ("duration_s", pa.float64()),
        ("rows_in", pa.int64()),
        ("rows_out", pa.int64()),
        ("bytes", pa.int64()),
        ("checkpoint_path", pa.string()),
        ("error_type", pa.string()),
        ("error_message", pa.string()),
        ("traceback", pa.string()),
        ("message", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("cpu_percent", pa.float64()),
        ("memory_mb", pa.float64()),
        ("workers", pa.int32()),
        ("workers_cpu_percent", pa.float64()),
        ("workers_memory_mb", pa.float64()),
    ]
)
"""Every field an event may have. Writers omit fields that do not apply."""

FIELDS = frozenset(SCHEMA.names)

MONITOR_FIELDS = (
    "time",
    "epoch",
    "type",
    "partition_id",
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
)
MONITOR_SCHEMA = pa.schema([SCHEMA.field(name) for name in MONITOR_FIELDS])
"""The fields the monitor reads: parsing fewer fields is twice as fast."""
