"""A partition's events as a real job writes them, for the monitor's and the
dashboard's benchmarks: 16 per partition of 1,000 rows through six ops."""

from __future__ import annotations

from datamill.events import EventLog, EventType

OPS = [
    "clean_links_mapper",
    "clean_email_mapper",
    "whitespace_normalization_mapper",
    "fix_unicode_mapper",
    "text_length_filter",
    "words_num_filter",
]
PER_PARTITION = 16
ROWS = 1000


def pid_of(index: int) -> str:
    return f"{index:06d}_3fa2b1c9_{index * ROWS}-{(index + 1) * ROWS}"


def partition_events(log: EventLog, index: int, at: float | None = None) -> None:
    """Partition ``index``'s events, each at ``at`` (None: now)."""
    pid = pid_of(index)
    log.emit(EventType.PARTITION_START, at=at, partition_id=pid, attempt=1, rows_in=ROWS)
    rows = ROWS
    for k, name in enumerate(OPS):
        log.emit(
            EventType.OP_START, at=at, partition_id=pid, attempt=1, op_name=name, op_index=k, rows_in=rows
        )
        out = rows - (k % 3 == 2) * 7
        log.emit(
            EventType.OP_COMPLETE,
            at=at,
            partition_id=pid,
            attempt=1,
            op_name=name,
            op_index=k,
            rows_in=rows,
            rows_out=out,
            duration_s=0.05,
        )
        rows = out
        if k in (1, 3):
            path = f"/ckpt/{pid}/op{k:03d}-0123456789abcdef.parquet"
            log.emit(
                EventType.CHECKPOINT_SAVE,
                at=at,
                partition_id=pid,
                attempt=1,
                op_index=k,
                checkpoint_path=path,
            )
    log.emit(EventType.PARTITION_COMPLETE, at=at, partition_id=pid, attempt=1, rows_in=ROWS, rows_out=rows)
