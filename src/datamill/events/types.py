"""Event types and the fields an event may carry.

Every event has a format version, a unique id, the job id, its type and its
time (ISO 8601 and epoch seconds); the other fields appear where they apply.
The schema is explicit so readers can parse a million lines in one go.
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

FIELD_TYPES = {
    "format_version": "int32",
    "event_id": "string",
    "seq": "int64",
    "time": "string",
    "epoch": "float64",
    "job_id": "string",
    "type": "string",
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
}
"""Every field an event may have, with its Arrow type (named, so that writing
events needs no pyarrow). Writers omit fields that do not apply."""

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
)
