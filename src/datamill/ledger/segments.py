"""Ledger segments: one pair of Parquet files per commit.

``ledger/success/`` and ``ledger/failed/`` hold a segment per committed
partition (and per retry round), written atomically after its result and
before its commit marker; a replayed partition rewrites the same segment
names, so nothing is ever counted twice. Folds move them into the root files
(:mod:`datamill.ledger.fold`). The id column is named after ``id_field``
(``sample_id`` for derived ids).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.atomic import atomic_path
from datamill.io.arrays import filled
from datamill.ledger import FAILED_DIR, FAILED_FILE, SUCCESS_DIR, segment_name

TIMESTAMP = pa.timestamp("us", tz="UTC")


def success_schema(id_col: str) -> pa.Schema:
    return pa.schema(
        [
            (id_col, pa.string()),
            ("processed_at", TIMESTAMP),
            ("batch_num", pa.int64()),
            ("written", pa.bool_()),
        ]
    )


def failed_schema(id_col: str) -> pa.Schema:
    return pa.schema(
        [
            (id_col, pa.string()),
            ("error_msg", pa.string()),
            ("batch_num", pa.int64()),
            ("step", pa.string()),
            ("failed_at", TIMESTAMP),
        ]
    )


def success_table(ids: pa.Array, batch_num: int, id_col: str, written: pa.Array) -> pa.Table:
    """``written`` is False for samples a filter removed: processed, not output."""
    now = (datetime.now(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    n = len(ids)
    return pa.Table.from_arrays(
        [ids.cast(pa.string()), filled(TIMESTAMP, now, n), filled(pa.int64(), batch_num, n), written],
        schema=success_schema(id_col),
    )


def segment_time(table: pa.Table) -> int:
    """A success segment's ``processed_at`` (one for all its rows), in epoch microseconds."""
    column = table.column("processed_at")
    return int(column[0].value) if len(column) else int(datetime.now(UTC).timestamp() * 1e6)


def failed_table(records: list[dict[str, Any]], id_col: str) -> pa.Table:
    def when(value: Any) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else datetime.now(UTC)

    return pa.Table.from_arrays(
        [
            pa.array([str(r["id"]) for r in records], pa.string()),
            pa.array([r["error_msg"] for r in records], pa.string()),
            pa.array([r["batch_num"] for r in records], pa.int64()),
            pa.array([r["step"] for r in records], pa.string()),
            pa.array([when(r.get("failed_at")) for r in records], TIMESTAMP),
        ],
        schema=failed_schema(id_col),
    )


def ledger_write_options(schema: pa.Schema) -> dict[str, Any]:
    """How ledger files are written, the compact way.

    Ids are mostly unique, so a dictionary and min/max statistics only cost
    space on them: they are stored as plain lengths and bytes (zstd does the
    rest), about 10% smaller than the defaults for random tokens. The other
    columns keep both. No Arrow schema in the footer: Parquet's own types
    read back the same."""
    id_col, *others = schema.names
    return {
        "compression": "zstd",
        "use_dictionary": others,
        "write_statistics": others,
        "column_encoding": {id_col: "DELTA_LENGTH_BYTE_ARRAY"},
        "store_schema": False,
    }


def write_ledger_file(table: pa.Table, path: Path, **options: Any) -> None:
    pq.write_table(table, path, **ledger_write_options(table.schema), **options)


def write_segment(folder: Path, partition_id: str, table: pa.Table) -> None:
    with atomic_path(folder / segment_name(partition_id)) as tmp:
        write_ledger_file(table, tmp)


def failed_view(ledger_dir: Path, partition_id: str, batch_num: int) -> pa.Array:
    """Ids of a partition that failed and have not succeeded since.

    The root ``failed_tokens.parquet`` is the failed set as of the last fold;
    segments on disk were committed after it (their successes count against
    it). A fold running meanwhile moves segments into the root files: a
    segment gone between listing and reading means reading again."""
    for _ in range(3):
        try:
            failed = pa.concat_arrays(
                [_ids(ledger_dir / FAILED_DIR, partition_id), _root_failed(ledger_dir.parent, batch_num)]
            )
            if len(failed) == 0:
                return failed
            succeeded = _ids(ledger_dir / SUCCESS_DIR, partition_id)
        except FileNotFoundError:
            continue
        return pc.unique(failed.filter(pc.invert(pc.is_in(failed, value_set=succeeded))))
    raise FileNotFoundError(f"the ledger under {ledger_dir} kept changing while it was read")


def _ids(folder: Path, partition_id: str) -> pa.Array:
    """The ids a partition's segments hold in one ledger folder, across retry rounds."""
    files = [folder / segment_name(partition_id), *folder.glob(f"part-{partition_id}+r*.parquet")]
    arrays = [pq.read_table(f).column(0).combine_chunks().cast(pa.string()) for f in files if f.exists()]
    return pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())


def _root_failed(job_dir: Path, batch_num: int) -> pa.Array:
    path = job_dir / FAILED_FILE
    if not path.exists():
        return pa.array([], pa.string())
    table = pq.read_table(path, filters=[("batch_num", "=", batch_num)])
    return table.column(0).combine_chunks().cast(pa.string())


def latest_by_id(table: pa.Table, time_col: str) -> pa.Table:
    """One row per id (the first column): the one with the latest ``time_col``."""
    if table.num_rows == 0:
        return table
    id_col = table.column_names[0]
    table = table.sort_by([(id_col, "ascending"), (time_col, "descending")])
    ids = table.column(id_col).combine_chunks()
    changed = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).fill_null(True)
    return table.filter(pa.concat_arrays([pa.array([True]), changed]))
