"""Writing partition results and the final export.

A partition's result is written once, atomically, in the export's format, so
that the export is a cheap concatenation in partition order: byte by byte for
JSONL, batch by batch for Parquet (with the part schemas unified).
Datamill's working columns (the derived id, filter statistics) are dropped
from results; statistics are kept as Data-Juicer's ``__dj__stats__`` struct when
``keep_stats_in_res_ds`` is set.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from datamill.atomic import atomic_open, atomic_path
from datamill.io.readers import ID_COLUMN, JSON_FIELD_META, ROW_ID
from datamill.ops.base import STATS_PREFIX

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

STATS_COLUMN = "__dj__stats__"


def result_suffix(fmt: str) -> str:
    return ".jsonl" if fmt == "jsonl" else ".parquet"


def output_table(table: pa.Table, keep_stats: bool) -> pa.Table:
    """The user-visible columns of ``table``: working columns removed."""
    stats = [c for c in table.column_names if c.startswith(STATS_PREFIX)]
    keep = [c for c in table.column_names if c not in (ID_COLUMN, ROW_ID) and c not in stats]
    out = table.select(keep)
    if keep_stats and stats:
        arrays = [table.column(c).combine_chunks() for c in stats]
        names = [c[len(STATS_PREFIX) :] for c in stats]
        out = out.append_column(STATS_COLUMN, pa.StructArray.from_arrays(arrays, names=names))
    return out


def write_result(table: pa.Table, dest: Path, fmt: str) -> int:
    """Write ``table`` to ``dest`` atomically; return the bytes written."""
    if fmt == "jsonl":
        with atomic_open(dest, "wb") as fh:
            for line in jsonl_lines(table):
                fh.write(line)
    else:
        with atomic_path(dest) as tmp:
            pq.write_table(table, tmp, compression="snappy")
    return dest.stat().st_size


def jsonl_lines(table: pa.Table) -> list[bytes]:
    """One encoded JSON line per row; mixed-type columns are decoded back."""
    json_cols = [f.name for f in table.schema if f.metadata and JSON_FIELD_META in f.metadata]
    rows = table.to_pylist()
    if json_cols:
        for row in rows:
            for name in json_cols:
                if row[name] is not None:
                    row[name] = json.loads(row[name])
    dumps = json.dumps
    return [(dumps(r, ensure_ascii=False, default=str) + "\n").encode() for r in rows]


Masks = Sequence["npt.NDArray[np.bool_] | None"] | None
"""Per part, the rows to keep (a deduplicator's drops left out), or None for all of them."""


def merge_jsonl(parts: Sequence[Path], dest: Path, masks: Masks = None) -> None:
    """Concatenate JSONL parts, in order, into ``dest`` atomically, keeping the rows ``masks`` keep."""
    with atomic_open(dest, "wb") as out:
        for i, part in enumerate(parts):
            with open(part, "rb") as src:
                mask = masks[i] if masks is not None else None
                if mask is None:
                    shutil.copyfileobj(src, out, 1 << 22)
                else:
                    out.writelines(kept_lines(src.read(), mask))


def kept_lines(data: bytes, mask: npt.NDArray[np.bool_]) -> list[memoryview]:
    """The lines of ``data`` (each ending in a newline) that ``mask`` keeps, as
    slices: one per run of consecutive kept lines, found with numpy."""
    import numpy as np

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if len(ends) != len(mask):
        raise ValueError(f"{len(ends)} lines but {len(mask)} rows to keep or drop")
    starts = np.concatenate([[0], ends[:-1]])
    keep = np.asarray(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[False], keep, [False]]).astype(np.int8)))
    view = memoryview(data)
    return [view[starts[a] : ends[b - 1]] for a, b in zip(edges[::2], edges[1::2], strict=True)]


def merge_parquet(parts: Sequence[Path], dest: Path, masks: Masks = None) -> None:
    """Concatenate Parquet parts, in order, into ``dest`` atomically, keeping the rows ``masks`` keep."""
    schemas: list[pa.Schema] = []  # the distinct ones: ten thousand parts share a few
    for part in parts:
        s = pq.read_schema(part)
        if not any(s.equals(t) for t in schemas):
            schemas.append(s)
    schema = _unified(schemas)
    with atomic_path(dest) as tmp, pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for i, part in enumerate(parts):
            table = pq.read_table(part)
            mask = masks[i] if masks is not None else None
            if mask is not None:
                table = table.filter(pa.array(mask))
            writer.write_table(_conform(table, schema))


def _write_kept(part: Path, dest: Path, mask: npt.NDArray[np.bool_]) -> None:
    """``part`` without the rows ``mask`` leaves out, at ``dest``, atomically."""
    if part.suffix == ".jsonl":
        merge_jsonl([part], dest, [mask])
    else:
        with atomic_path(dest) as tmp:
            pq.write_table(pq.read_table(part).filter(pa.array(mask)), tmp, compression="snappy")


def _unified(schemas: list[pa.Schema]) -> pa.Schema:
    if not schemas:
        return pa.schema([])
    return pa.unify_schemas(schemas, promote_options="permissive")


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns: dict[str, Any] = {}
    for field in schema:
        if field.name in table.column_names:
            columns[field.name] = table.column(field.name).cast(field.type)
        else:
            columns[field.name] = pa.nulls(table.num_rows, field.type)
    return pa.table(columns, schema=schema)


def export_directory(parts: Sequence[Path], dest_dir: Path, masks: Masks = None) -> list[Path]:
    """Place the part files in ``dest_dir`` (hard links where possible; a part
    that loses rows to ``masks`` is written anew without them)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, part in enumerate(parts):
        target = dest_dir / part.name
        written.append(target)
        mask = masks[i] if masks is not None else None
        if mask is not None:
            _write_kept(part, target, mask)
            continue
        if target.exists() and os.path.samefile(part, target):
            continue  # linked by an earlier run of the job: nothing to redo
        with atomic_path(target) as tmp:
            tmp.unlink()
            try:
                os.link(part, tmp)
            except OSError:
                shutil.copyfile(part, tmp)
    stale = {p for p in dest_dir.glob("part-*")} - set(written)
    for path in stale:
        path.unlink()
    return written
