"""``--skip-processed``: on a new input, skip every record already in the success ledger.

The anti-join runs once, in Arrow, when the job starts: the ids of the new
input against the ids of the success ledger, both read from Parquet (or, for
derived ids, computed from file names and row numbers without reading the
input at all). Its result is ``metadata/skip.parquet``: the ids to skip, with
the partition each falls in, sorted by partition so that a worker reads only
its own with a filter. No Python set of ids is ever built.

When the job directory already holds a job on another input, that job is
archived first: its results, markers and plan move to ``history/gen{n}/`` and
its ledger segments are folded into ``archived-gen{n}.parquet`` files, which
stay part of the ledger.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.atomic import atomic_path
from datamill.errors import InputError
from datamill.job.layout import JobLayout
from datamill.ledger.segments import FAILED_DIR, SUCCESS_DIR, write_ledger_file
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
        segments = sorted(path.glob("part-*.parquet")) + sorted(path.glob("compacted-*.parquet"))
        if segments:
            table = pa.concat_tables([pq.read_table(p) for p in segments], promote_options="permissive")
            with atomic_path(path / f"archived-gen{gen}.parquet") as tmp:
                write_ledger_file(table, tmp)
            for p in segments:
                p.unlink()
    for name in ("results", "checkpoints", "bad_rows.jsonl", "metadata", "staging"):
        source = layout.root / name
        if source.exists():
            shutil.move(str(source), dest / name)
    (layout.progress / "compacted.json").unlink(missing_ok=True)
    return gen


def success_ids(progress: Path) -> pa.Array:
    import pyarrow.dataset as ds  # imports pandas: only where it is needed

    folder = progress / SUCCESS_DIR
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return pa.array([], pa.string())
    dataset = ds.dataset(folder, format="parquet")
    return dataset.to_table(columns=[dataset.schema.names[0]]).column(0).combine_chunks()


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
    """Write the ids of the plan's input already in the success ledger; return how many."""
    done = success_ids(layout.progress)
    tables = []
    for i, source in enumerate(plan.sources):
        ids = _input_ids(plan, i, id_field)
        if len(ids) == 0 or len(done) == 0:
            continue
        hit = pc.is_in(ids, value_set=done)
        rows = pc.indices_nonzero(hit)
        if len(rows) == 0:
            continue
        parts = [p for p in plan.partitions if p.source_name == source.name]
        starts = np.array([p.row_start for p in parts], dtype=np.int64)
        which = np.searchsorted(starts, rows.to_numpy(), side="right") - 1
        index = np.array([p.pid.index for p in parts], dtype=np.int32)[which]
        tables.append(pa.table({"partition": pa.array(index), "id": ids.take(rows)}))
    table = (
        pa.concat_tables(tables)
        if tables
        else pa.table({"partition": pa.array([], pa.int32()), "id": pa.array([], pa.string())})
    )
    table = table.sort_by("partition")
    with atomic_path(layout.plan.parent / SKIP_FILE) as tmp:
        pq.write_table(table, tmp, row_group_size=65536, compression="zstd")
    return int(table.num_rows)


def skipped_ids(skip_file: str, partition_index: int) -> pa.Array:
    table = pq.read_table(skip_file, columns=["id"], filters=[("partition", "=", partition_index)])
    return table.column(0).combine_chunks()
