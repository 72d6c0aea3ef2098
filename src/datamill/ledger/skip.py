"""``--skip-processed``: on a new input, skip every record already in the success ledger.

The anti-join runs once, in Arrow, when the job starts: the ids of the new
input against the ids of the success ledger, both read from Parquet (or, for
derived ids, computed from file names and row numbers without reading the
input at all). Its result is ``metadata/skip.parquet``: per partition, the
ids to skip and, flagged ``skip = false``, the ids that are in the failed
view of earlier runs. Those are processed again; each commit records the
ones that now succeed (its ``recovered`` list), which is how statistics take
them out of the failed view without scanning the ledger. The file is sorted
by partition so that a worker reads only its own rows with a filter. No
Python set of ids is ever built.

When the job directory already holds a job on another input, that job is
archived first, by renaming: its results, markers, commit index and plan
move to ``history/gen{n}/`` and its ledger segments into a ``gen{n}/``
folder inside each ledger folder, so ``pandas.read_parquet`` still reads
them as part of the ledger.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.atomic import atomic_path
from datamill.errors import InputError
from datamill.job.layout import JobLayout
from datamill.ledger.segments import COMPACTED_INDEX, FAILED_DIR, SUCCESS_DIR
from datamill.plan.planner import Plan

SKIP_FILE = "skip.parquet"


def archive_generation(layout: JobLayout) -> int:
    """Move the previous job on this directory aside; return its generation number."""
    history = layout.root / "history"
    gen = 1 + sum(1 for _ in history.glob("gen*")) if history.is_dir() else 1
    dest = history / f"gen{gen}"
    dest.mkdir(parents=True)
    for folder in (SUCCESS_DIR, FAILED_DIR):
        path = layout.progress / folder
        if not path.is_dir():
            continue
        (path / f"gen{gen}").mkdir()
        with os.scandir(path) as it:
            for entry in it:
                if entry.is_file():
                    os.rename(entry.path, path / f"gen{gen}" / entry.name)
    for name in ("results", "checkpoints", "bad_rows.jsonl", "metadata", "staging"):
        source = layout.root / name
        if source.exists():
            shutil.move(str(source), dest / name)
    compacted = layout.progress / COMPACTED_INDEX
    if compacted.exists():
        compacted.rename(dest / COMPACTED_INDEX)
    return gen


def success_ids(progress: Path) -> pa.Array:
    """Every id in the success ledger, all generations."""
    folder = progress / SUCCESS_DIR
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    files = [f for f in files if not f.name.startswith((".", "_"))]
    if not files:
        return pa.array([], pa.string())
    name = pq.read_schema(files[0]).names[0]
    return _read_column(files, name)


def _read_column(files: list[Path], name: str) -> pa.Array:
    """One string column of many Parquet files, read on Arrow's threads."""
    from concurrent.futures import ThreadPoolExecutor

    def one(path: Path) -> pa.ChunkedArray:
        return pq.read_table(path, columns=[name], use_threads=False).column(0)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        chunks = [c for column in pool.map(one, files) for c in column.chunks]
    return pa.chunked_array(chunks, pa.string()).combine_chunks() if chunks else pa.array([], pa.string())


def _input_ids(plan: Plan, source_index: int, id_field: str | None) -> pa.Array:
    source = plan.sources[source_index]
    rows = [p for p in plan.partitions if p.source_name == source.name]
    total = max((p.row_stop for p in rows), default=0)
    if id_field is None:
        numbers = pa.array(np.arange(total, dtype=np.int64)).cast(pa.string())
        return pc.binary_join_element_wise(source.name, numbers, "#")
    read = rows[0].read_path if rows else source.path
    try:
        if rows and rows[0].read_format == "parquet":
            return pq.read_table(read, columns=[id_field]).column(0).combine_chunks().cast(pa.string())
        import pyarrow.json as pajson

        table = pajson.read_json(read)
        return table.column(id_field).combine_chunks().cast(pa.string())
    except (pa.ArrowInvalid, KeyError) as exc:
        raise InputError(
            f"--skip-processed could not read the '{id_field}' of every row of {source.path}: {exc}"
        ) from None


def compute_skip(layout: JobLayout, plan: Plan, id_field: str | None) -> int:
    """Write the ids of the plan's input already in the success ledger (and
    those in the failed view, to watch); return how many are skipped."""
    from datamill.ledger.stats import still_failed

    done = success_ids(layout.progress)
    failed = still_failed(layout.root)
    tables = []
    for i, source in enumerate(plan.sources):
        ids = _input_ids(plan, i, id_field)
        parts = [p for p in plan.partitions if p.source_name == source.name]
        starts = np.array([p.row_start for p in parts], dtype=np.int64)
        index = np.array([p.pid.index for p in parts], dtype=np.int32)
        for value_set, skip in ((done, True), (failed, False)):
            if len(ids) == 0 or len(value_set) == 0:
                continue
            rows = pc.indices_nonzero(pc.is_in(ids, value_set=value_set))
            if len(rows) == 0:
                continue
            which = np.searchsorted(starts, rows.to_numpy(), side="right") - 1
            tables.append(
                pa.table(
                    {
                        "partition": pa.array(index[which]),
                        "id": ids.take(rows),
                        "skip": pa.repeat(pa.scalar(skip), len(rows)),
                    }
                )
            )
    schema = pa.schema([("partition", pa.int32()), ("id", pa.string()), ("skip", pa.bool_())])
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    table = table.sort_by("partition")
    with atomic_path(layout.plan.parent / SKIP_FILE) as tmp:
        pq.write_table(table, tmp, row_group_size=65536, compression="zstd")
    return int(pc.sum(table.column("skip")).as_py() or 0)


def skipped_ids(skip_file: str, partition_index: int) -> tuple[pa.Array, pa.Array]:
    """A partition's ids to skip, and its ids that failed in an earlier run."""
    table = pq.read_table(skip_file, columns=["id", "skip"], filters=[("partition", "=", partition_index)])
    skip = table.column("skip").combine_chunks()
    ids = table.column("id").combine_chunks()
    return ids.filter(skip), ids.filter(pc.invert(skip))
