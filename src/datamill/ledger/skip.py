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
folder inside each ledger folder; the root files keep its records (the next
fold takes in its segments too).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.atomic import atomic_path
from datamill.errors import InputError
from datamill.io.readers import Columns, partition_ids
from datamill.io.sources import SourceFile
from datamill.job.layout import JobLayout
from datamill.ledger import FAILED_DIR, FOLD_INDEX, SUCCESS_DIR, SUCCESS_FILE, skip_head
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
    folded = layout.fold_index  # its partitions are the archived run's; the root files stay
    if folded.exists():
        import json

        from datamill.atomic import write_json_atomic

        index = json.loads(folded.read_text())
        folded.rename(dest / FOLD_INDEX)
        write_json_atomic(folded, {k: v for k, v in index.items() if k != "partitions"} | {"partitions": []})
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


HEAD_PARTITIONS = 64
"""Partitions whose skip list is written first (the *head*), so that workers
start on them while the join of the rest of the input goes on."""


class SkipJoin:
    """The anti-join of ``--skip-processed``, run by DuckDB in a thread.

    It reads the ids straight from the Parquet files on disk (the new input
    and every ledger segment, all generations) on DuckDB's own threads, with
    its memory capped, and matches them by fingerprint (:func:`_fingerprint`).
    The ledger's fingerprints are gathered once; the first
    :data:`HEAD_PARTITIONS` partitions are matched against them first and
    their skip list written to ``metadata/skip-head.parquet``, then the whole
    input, to ``metadata/skip.parquet``. :meth:`ready` tells the scheduler
    which partitions may go to a worker meanwhile.
    """

    def __init__(self, layout: JobLayout, plan: Plan, id_field: str | None) -> None:
        import threading

        self.layout, self.plan, self.id_field = layout, plan, id_field
        self.failed = pa.nulls(0, pa.string())  # the failed view: read in the thread
        self.root_file = layout.ledger_file(SUCCESS_FILE)
        self.done_files = (
            _ledger_files(layout.progress / SUCCESS_DIR) + [self.root_file] * self.root_file.exists()
        )
        first = plan.partitions[0].source_name
        head = [p for p in plan.partitions[:HEAD_PARTITIONS] if p.source_name == first]
        self.head_end = len(head) if len(head) < len(plan.partitions) else 0  # (0: no head)
        self._head_rows = head[-1].row_stop if self.head_end else 0
        self.skipped = 0
        self._ids: dict[int, pa.Table] = {}
        self._head = threading.Event()
        self._whole = threading.Event()
        self._error: BaseException | None = None
        self._con: Any = None
        self._thread = threading.Thread(target=self._run, name="datamill-skip", daemon=True)
        self._thread.start()

    def wait_head(self) -> None:
        """Wait until the head's skip list (or the whole one) is written."""
        self._head.wait()
        if self._error is not None:
            raise self._error

    def ready(self, spec: PartitionSpec) -> bool:
        """Whether the skip list that covers ``spec`` is written."""
        if self._whole.is_set() or (self._head.is_set() and spec.pid.index < self.head_end):
            if self._error is not None:
                raise self._error
            return True
        return False

    def close(self) -> None:
        """Stop the join if it is still running (the job is stopping)."""
        if self._thread.is_alive() and self._con is not None:
            self._con.interrupt()
        self._thread.join()

    def _run(self) -> None:
        try:
            self.failed = _still_failed(self.layout.root)
            con = self._con = self._connect()
            try:
                head = SKIP_SCHEMA.empty_table()
                if self.head_end:
                    head = self._skip_table(con, self.plan.partitions[: self.head_end], (0, self._head_rows))
                    _write_skip(head, skip_head(self.layout.skip_list))
                    self._head.set()
                rest = self._skip_table(con, self.plan.partitions[self.head_end :], (self._head_rows, None))
                table = pa.concat_tables([head, rest])  # (the head's partitions come first)
                self.skipped = int(pc.sum(table.column("skip")).as_py() or 0)
                _write_skip(table, self.layout.skip_list)
            finally:
                con.close()
        except BaseException as exc:  # raised again by ready() and wait_head(), in the driver's thread
            self._error = exc
        finally:
            self._head.set()
            self._whole.set()

    def _connect(self) -> Any:
        """A DuckDB connection with the ledger's fingerprints in table ``done``."""
        import duckdb

        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit='{DUCKDB_MEMORY}'")
            spill = self.layout.staging / "duckdb.tmp"  # not the user's working directory
            con.execute(f"SET temp_directory={_sql_str(spill)}")
            con.execute("SET preserve_insertion_order=false")
            con.execute("SET enable_progress_bar=false")
            con.execute("SET threads=2")
            if self.done_files:
                # A glob is much faster for DuckDB than a list of ten thousand names.
                globs: list[Path] = []
                if any(f != self.root_file for f in self.done_files):
                    globs.append(self.layout.progress / SUCCESS_DIR / "**" / "*.parquet")
                if self.root_file in self.done_files:
                    globs.append(self.root_file)
                pattern = "[" + ", ".join(_sql_str(g) for g in globs) + "]"
                names = {pq.read_schema(f).names[0] for f in self._first_per_folder()}
                by_name = ", union_by_name=true" if len(names) > 1 else ""
                if len(names) == 1:
                    ids = _sql_name(names.pop())
                else:  # each row has exactly one of the names
                    ids = " || ".join(f"coalesce(CAST({_sql_name(n)} AS VARCHAR), '')" for n in sorted(names))
                ledger = f"read_parquet({pattern}{by_name})"
                con.execute(f"CREATE TEMP TABLE done AS SELECT {_fingerprint(ids)} FROM {ledger}")
            if len(self.failed):
                con.register("failed_ids", pa.Table.from_arrays([self.failed], names=["id"]))
        except duckdb.Error as exc:
            con.close()
            raise InputError(f"--skip-processed could not read the success ledger: {exc}") from None
        return con

    def _direct(self, source: SourceFile) -> bool:
        """Whether DuckDB reads the source's ids itself (row numbers are the file's)."""
        return self.id_field is not None and source.format == "parquet"

    def _skip_table(
        self, con: Any, partitions: list[PartitionSpec], first_rows: tuple[int, int | None]
    ) -> pa.Table:
        """The skip list (:data:`SKIP_SCHEMA`) of ``partitions``, a run of the
        plan's; of the plan's first input, only the rows ``first_rows``."""
        tables = []
        for i, source in enumerate(self.plan.sources):
            parts = [p for p in partitions if p.source_name == source.name]
            if not parts:
                continue
            rows = first_rows if i == 0 else (0, None)
            if self._direct(source):
                hits = self._hits(con, source.path, None, rows)
            else:
                if i not in self._ids:  # (read once for the head and the whole)
                    rn, ids = _input_ids(self.plan, i, self.id_field)
                    self._ids[i] = pa.Table.from_arrays([rn, ids], names=["rn", "id"])
                hits = self._hits(con, None, self._ids[i], rows)
            if hits.num_rows:
                tables.append(_by_partition(hits, parts))
        table = pa.concat_tables(tables) if tables else SKIP_SCHEMA.empty_table()
        if len(tables) > 1:
            table = table.sort_by("partition")  # (one source's rows come in order already)
        return table

    def _hits(
        self, con: Any, parquet: str | None, ids: pa.Table | None, rows: tuple[int, int | None]
    ) -> pa.Table:
        """Rows (``rn``, ``id``, ``skip``) of the input whose ids are in the
        success ledger (skip) or in the failed view (watched, not skipped):
        from the Parquet file ``parquet``, or from ``ids`` (``rn``, ``id``);
        only the rows numbered ``rows[0]`` to ``rows[1]``. Read from
        ``parquet``, the rows are given by number alone (``id`` is null): the
        workers read their ids back, and the join is much cheaper without
        carrying millions of strings to its end."""
        import duckdb

        schema = pa.schema([("rn", pa.int64()), ("id", pa.string()), ("skip", pa.bool_())])
        if not self.done_files and not len(self.failed):
            return schema.empty_table()
        where = f"rn >= {int(rows[0])}" + (f" AND rn < {int(rows[1])}" if rows[1] is not None else "")
        if ids is not None:
            con.register("input_ids", ids)
            source, out = f"SELECT rn, id FROM input_ids WHERE {where}", "rn, id"
        else:
            id_text = f"CAST({_sql_name(self.id_field or '')} AS VARCHAR)"
            source = (
                f"SELECT * FROM (SELECT file_row_number AS rn, {id_text} AS id "
                f"FROM read_parquet({_sql_str(parquet)}, file_row_number=true)) WHERE {where}"
            )
            out = "rn, NULL::VARCHAR AS id"
        parts = []
        if self.done_files:
            parts.append(
                f"SELECT {out}, TRUE AS skip FROM (SELECT *, {_fingerprint('id')} FROM ({source}) "
                "WHERE id IS NOT NULL) n SEMI JOIN done USING (h1, h2)"
            )
        if len(self.failed):
            parts.append(f"SELECT {out}, FALSE AS skip FROM ({source}) n SEMI JOIN failed_ids f USING (id)")
        # ordered by row number, so by partition: no sort of the ids afterwards
        query = " UNION ALL ".join(parts) + " ORDER BY rn"
        try:
            table = pa.RecordBatchReader.from_stream(con.sql(query)).read_all()
        except duckdb.Error as exc:
            raise InputError(
                f"--skip-processed could not compare the input's '{self.id_field}' with the ledger: {exc}"
            ) from None
        finally:
            if ids is not None:
                con.unregister("input_ids")
        return table.cast(schema)

    def _first_per_folder(self) -> list[Path]:
        """A segment of each generation: their id columns may be named differently."""
        seen: dict[Path, Path] = {}
        for f in self.done_files:
            seen.setdefault(f.parent, f)
        return list(seen.values())


def _by_partition(hits: pa.Table, parts: list[PartitionSpec]) -> pa.Table:
    """Hits of one source (in row order) as skip-list rows of its partitions."""
    starts = np.array([p.row_start for p in parts], dtype=np.int64)
    index = np.array([p.pid.index for p in parts], dtype=np.int32)
    rn = hits.column("rn").combine_chunks()  # in order: each partition's hits are a run
    first = np.searchsorted(_numpy(rn), starts)
    which = np.repeat(np.arange(len(parts)), np.diff(first, append=len(rn)))
    by_row = parts[0].read_format == "parquet"  # a worker reads its rows' ids back by number
    return pa.Table.from_arrays(
        [
            _arrow(index[which]),
            rn if by_row else pa.nulls(len(rn), pa.int64()),
            pa.nulls(len(rn), pa.string()) if by_row else hits.column("id").combine_chunks(),
            hits.column("skip").combine_chunks(),
        ],
        schema=SKIP_SCHEMA,
    )


def _write_skip(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(
            table,
            tmp,
            row_group_size=65536,
            compression="none",
            use_dictionary=["partition", "skip"],
            column_encoding={"row": "DELTA_BINARY_PACKED"},
        )


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
    """A partition's ids to skip, and its ids that failed in an earlier run.

    Until the whole skip list is written, the driver hands out only the
    partitions of its head (:class:`SkipJoin`)."""
    if not os.path.exists(skip_file):
        skip_file = str(skip_head(Path(skip_file)))
    table = pq.read_table(skip_file, filters=[("partition", "=", spec.pid.index)])
    if "row" in table.column_names and table.num_rows and spec.read_format == "parquet":
        rows = pc.subtract(table.column("row").combine_chunks(), spec.row_start)
        ids = partition_ids(spec, cols).take(rows)
    else:
        ids = table.column("id").combine_chunks()
    skip = table.column("skip").combine_chunks()
    return ids.filter(skip), ids.filter(pc.invert(skip))
