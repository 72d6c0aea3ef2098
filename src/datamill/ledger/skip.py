"""``--skip-processed``: on a new input, skip every record already in the success ledger.

The anti-join runs once, in DuckDB, when the job starts: the ids of the new
input against the ids of the success ledger, both read from Parquet on disk
(or, for derived ids, computed from file names and row numbers without
reading the input at all). Its result is ``metadata/skip.parquet``: per
partition, the rows to skip and, flagged ``skip = false``, the rows whose ids
are in the failed view of earlier runs. Those are processed again; each
commit records the ones that now succeed (its ``recovered`` list), which is
how statistics take them out of the failed view without scanning the ledger.
Rows of a Parquet input are listed by number, and each worker reads its own
rows' ids back; rows of a JSONL input are listed by id. The file is sorted by
partition so that a worker reads only its own rows with a filter. No Python
set of ids is ever built.

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
from datamill.io.readers import Columns, partition_ids
from datamill.io.sources import SourceFile
from datamill.job.layout import JobLayout
from datamill.ledger import COMPACTED_INDEX, FAILED_DIR, SUCCESS_DIR
from datamill.plan.planner import PartitionSpec, Plan


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


def _ledger_files(folder: Path) -> list[Path]:
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    return [f for f in files if not f.name.startswith((".", "_"))]


SKIP_SCHEMA = pa.schema(
    [("partition", pa.int32()), ("row", pa.int64()), ("id", pa.string()), ("skip", pa.bool_())]
)
"""``metadata/skip.parquet``: per partition, the input rows that are done
(``skip``) or failed before (watched). A row is given by its number in the
input file (``row``) for partitions read from Parquet, by its id otherwise."""

DUCKDB_MEMORY = "1000MB"
"""DuckDB's memory limit for the anti-join (it spills to disk beyond it); the
driver stays near 1 GB with ten million ids on each side."""


class SkipJoin:
    """The anti-join of ``--skip-processed``, run by DuckDB.

    It reads the ids straight from the Parquet files on disk (the new input
    and every ledger segment, all generations) on DuckDB's own threads, with
    its memory capped, and matches them by fingerprint (:func:`_fingerprint`).
    For a Parquet input it starts before the input is planned and runs
    beside the staging of the input; :meth:`finish` then maps each row to
    its partition and writes ``metadata/skip.parquet``.
    """

    def __init__(self, layout: JobLayout, sources: list[SourceFile], id_field: str | None) -> None:
        import threading

        self.layout, self.sources, self.id_field = layout, sources, id_field
        self.failed = pa.nulls(0, pa.string())  # the failed view: read in finish()
        self.done_files = _ledger_files(layout.progress / SUCCESS_DIR)
        self._early: dict[str, pa.Table] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run_early, name="datamill-skip", daemon=True)
        self._thread.start()

    def _direct(self, source: SourceFile) -> bool:
        """Whether DuckDB reads the source's ids itself (row numbers are the file's)."""
        return self.id_field is not None and source.format == "parquet"

    def _run_early(self) -> None:
        try:
            for source in self.sources:
                if self._direct(source):
                    self._early[source.name] = self._hits(source.path, None)
        except BaseException as exc:  # raised again by finish(), in the driver's thread
            self._error = exc

    def _hits(self, parquet: str | None, ids: pa.Table | None, watch_only: bool = False) -> pa.Table:
        """Rows (``rn``, ``id``, ``skip``) of the input whose ids are in the
        success ledger (skip) or in the failed view (watched, not skipped):
        from the Parquet file ``parquet``, or from ``ids`` (``rn``, ``id``).
        Read from ``parquet``, the rows are given by number alone (``id`` is
        null): the workers read their ids back, and the join is much cheaper
        without carrying millions of strings to its end."""
        import duckdb

        schema = pa.schema([("rn", pa.int64()), ("id", pa.string()), ("skip", pa.bool_())])
        if not self.done_files and not len(self.failed):
            return schema.empty_table()
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit='{DUCKDB_MEMORY}'")
            spill = self.layout.staging / "duckdb.tmp"  # not the user's working directory
            con.execute(f"SET temp_directory={_sql_str(spill)}")
            con.execute("SET preserve_insertion_order=false")
            con.execute("SET enable_progress_bar=false")
            con.execute("SET threads=2")
            if ids is not None:
                con.register("input_ids", ids)
                source, out = "SELECT rn, id FROM input_ids", "rn, id"
            else:
                source = (
                    f"SELECT file_row_number AS rn, CAST({_sql_name(self.id_field or '')} AS VARCHAR) AS id "
                    f"FROM read_parquet({_sql_str(parquet)}, file_row_number=true)"
                )
                out = "rn, NULL::VARCHAR AS id"
            parts = []
            if self.done_files and not watch_only:
                # A glob is much faster for DuckDB than a list of ten thousand names.
                pattern = _sql_str(self.layout.progress / SUCCESS_DIR / "**" / "*.parquet")
                names = {pq.read_schema(f).names[0] for f in self._first_per_folder()}
                by_name = ", union_by_name=true" if len(names) > 1 else ""
                if len(names) == 1:
                    ids = _sql_name(names.pop())
                else:  # each row has exactly one of the names
                    ids = " || ".join(f"coalesce(CAST({_sql_name(n)} AS VARCHAR), '')" for n in sorted(names))
                parts.append(
                    f"SELECT {out}, TRUE AS skip FROM (SELECT *, {_fingerprint('id')} FROM ({source}) "
                    f"WHERE id IS NOT NULL) n SEMI JOIN (SELECT {_fingerprint(ids)} "
                    f"FROM read_parquet({pattern}{by_name})) s USING (h1, h2)"
                )
            if len(self.failed):
                con.register("failed_ids", pa.Table.from_arrays([self.failed], names=["id"]))
                parts.append(
                    f"SELECT {out}, FALSE AS skip FROM ({source}) n SEMI JOIN failed_ids f USING (id)"
                )
            # ordered by row number, so by partition: no sort of the ids afterwards
            query = " UNION ALL ".join(parts) + " ORDER BY rn"
            table = pa.RecordBatchReader.from_stream(con.sql(query)).read_all()
        except duckdb.Error as exc:
            raise InputError(
                f"--skip-processed could not compare the input's '{self.id_field}' with the ledger: {exc}"
            ) from None
        finally:
            con.close()
        return table.cast(schema)

    def _first_per_folder(self) -> list[Path]:
        """A segment of each generation: their id columns may be named differently."""
        seen: dict[Path, Path] = {}
        for f in self.done_files:
            seen.setdefault(f.parent, f)
        return list(seen.values())

    def finish(self, plan: Plan) -> int:
        """Write ``metadata/skip.parquet`` for ``plan``; return how many rows are skipped."""
        self.failed = _still_failed(self.layout.root)  # (while DuckDB may still be busy)
        self._thread.join()
        if self._error is not None:
            raise self._error
        tables = []
        for i, source in enumerate(plan.sources):
            if source.name in self._early:
                hits = self._early[source.name]
                if len(self.failed):  # the early join looked at the success ledger only
                    hits = pa.concat_tables([hits, self._hits(source.path, None, watch_only=True)])
                    hits = hits.sort_by("rn")
            else:
                rn, ids = _input_ids(plan, i, self.id_field)
                hits = self._hits(None, pa.Table.from_arrays([rn, ids], names=["rn", "id"]))
            if hits.num_rows == 0:
                continue
            parts = [p for p in plan.partitions if p.source_name == source.name]
            starts = np.array([p.row_start for p in parts], dtype=np.int64)
            index = np.array([p.pid.index for p in parts], dtype=np.int32)
            rn = hits.column("rn").combine_chunks()  # in order: each partition's hits are a run
            first = np.searchsorted(_numpy(rn), starts)
            which = np.repeat(np.arange(len(parts)), np.diff(first, append=len(rn)))
            by_row = parts[0].read_format == "parquet"  # a worker reads its rows' ids back by number
            tables.append(
                pa.Table.from_arrays(
                    [
                        _arrow(index[which]),
                        rn if by_row else pa.nulls(len(rn), pa.int64()),
                        pa.nulls(len(rn), pa.string()) if by_row else hits.column("id").combine_chunks(),
                        hits.column("skip").combine_chunks(),
                    ],
                    schema=SKIP_SCHEMA,
                )
            )
        table = pa.concat_tables(tables) if tables else SKIP_SCHEMA.empty_table()
        if len(tables) > 1:
            table = table.sort_by("partition")  # (one source's rows come in order already)
        with atomic_path(self.layout.skip_list) as tmp:
            pq.write_table(
                table,
                tmp,
                row_group_size=65536,
                compression="none",
                use_dictionary=["partition", "skip"],
                column_encoding={"row": "DELTA_BINARY_PACKED"},
            )
        return int(pc.sum(table.column("skip")).as_py() or 0)


def _still_failed(job_dir: Path) -> pa.Array:
    from datamill.ledger.stats import still_failed

    return still_failed(job_dir)


def _arrow(values: np.ndarray) -> pa.Array:
    """A numpy array of integers as an Arrow array, without a copy.

    ``pa.array`` (and ``Array.to_numpy``) first look for pandas types, which
    imports pandas: 0.2 to 0.3 s of the driver's time to its first partition."""
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _numpy(values: pa.Array) -> np.ndarray:
    """An Arrow array of integers without nulls as a numpy array, without a copy (see :func:`_arrow`)."""
    dtype = np.dtype(values.type.to_pandas_dtype())
    return np.frombuffer(
        values.buffers()[1], dtype=dtype, count=len(values), offset=values.offset * dtype.itemsize
    )


def _fingerprint(expr: str) -> str:
    """Columns ``h1, h2``: a 128-bit fingerprint of the string ``expr``, as two
    64-bit hashes (the second of the string with a prefix, so that a collision
    of the first does not carry over). Joining ten million ids against ten
    million on fingerprints takes half the time and memory of joining the
    strings; the chance that any two different ids among them share one is
    about 10^-25."""
    return f"hash({expr}) AS h1, hash('#' || {expr}) AS h2"


def _sql_str(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _input_ids(plan: Plan, source_index: int, id_field: str | None) -> tuple[pa.Array, pa.Array]:
    """The row number and id of each row of an input that has an id."""
    source = plan.sources[source_index]
    rows = [p for p in plan.partitions if p.source_name == source.name]
    total = max((p.row_stop for p in rows), default=0)
    every_row = _arrow(np.arange(total, dtype=np.int64))
    if id_field is None:
        return every_row, pc.binary_join_element_wise(source.name, every_row.cast(pa.string()), "#")
    # A Parquet input is read whole (not its staged pieces); CSV's staged copy has its rows.
    read = source.path if source.format == "parquet" or not rows else rows[0].read_path
    try:
        if source.format == "parquet" or (rows and rows[0].read_format == "parquet"):
            ids = pq.read_table(read, columns=[id_field]).column(0).combine_chunks().cast(pa.string())
            return every_row, ids
        return _jsonl_ids(read, id_field, total)
    except (pa.ArrowInvalid, KeyError) as exc:
        raise InputError(
            f"--skip-processed could not read the '{id_field}' of every row of {source.path}: {exc}"
        ) from None


def _jsonl_ids(path: str, id_field: str, lines: int) -> tuple[pa.Array, pa.Array]:
    """Line number and id of each line of a JSONL file that has an id.

    Arrow's reader is fast, but skips blank lines (so its row numbers are not
    the lines') and stops at a malformed one. Then the file is read again,
    line by line; slower, but every id lands in the partition of its line."""
    import pyarrow.json as pajson

    try:
        table = pajson.read_json(path)
        if table.num_rows == lines and id_field in table.column_names:
            ids = table.column(id_field).combine_chunks().cast(pa.string())
            return _arrow(np.arange(lines, dtype=np.int64)), ids
    except pa.ArrowInvalid:
        pass
    import json

    numbers: list[int] = []
    found: list[str] = []
    with open(path, "rb") as fh:
        for line, raw in enumerate(fh):
            try:
                value = json.loads(raw).get(id_field) if raw.strip() else None
            except (ValueError, AttributeError):  # malformed, or not an object: a bad row
                continue
            if value is not None:
                numbers.append(line)
                found.append(value if isinstance(value, str) else str(value))
    return _arrow(np.array(numbers, dtype=np.int64)), pa.array(found, pa.string())


def skipped_ids(skip_file: str, spec: PartitionSpec, cols: Columns) -> tuple[pa.Array, pa.Array]:
    """A partition's ids to skip, and its ids that failed in an earlier run."""
    table = pq.read_table(skip_file, filters=[("partition", "=", spec.pid.index)])
    if "row" in table.column_names and table.num_rows and spec.read_format == "parquet":
        rows = pc.subtract(table.column("row").combine_chunks(), spec.row_start)
        ids = partition_ids(spec, cols).take(rows)
    else:
        ids = table.column("id").combine_chunks()
    skip = table.column("skip").combine_chunks()
    return ids.filter(skip), ids.filter(pc.invert(skip))
