"""Reading one partition into an Arrow table.

A reader returns the rows that can be processed and a list of :class:`BadRow`
for those that cannot (malformed JSON, no text, text that is not a string, no
id; the text counts only when an op reads it, ``Columns.needs_text``). Bad
rows never stop a job and are never dropped silently: they travel with the
partition's result and are reported with their file and line.

Without ``id_field``, each row gets a derived id ``{file}#{row}`` (row counted
from 0 in the input file) in the column :data:`ID_COLUMN`.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.errors import PartitionError, classify
from datamill.io.arrays import string_array
from datamill.plan.planner import PartitionSpec

ID_COLUMN = "__dm_id__"
ROW_ID = "__dm_row__"
"""With a deduplicator in the pipeline, the working column that numbers rows in
dataset order: the partition's index in the plan times 2**32 plus the row's
position in the partition as read. Data-Juicer keeps the first row of each
cluster of duplicates in dataset order; this is that order."""
ROW_ID_SHIFT = 32
JSON_FIELD_META = b"datamill.json"
"""Field metadata marking a column of mixed JSON types stored as JSON text."""


@dataclass(frozen=True)
class BadRow:
    """A row that could not be processed, and why."""

    file: str
    line: int | None
    row: int
    id: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Columns:
    """Where the ops find the text and the sample id."""

    text_key: str
    id_field: str | None
    needs_text: bool = True
    """Whether a row without a string in ``text_key`` is a bad row (some op reads it)."""
    memory_map: bool = False
    """Open Parquet input memory-mapped (``arrow_memory_mapping``)."""

    @property
    def id_column(self) -> str:
        return self.id_field or ID_COLUMN


def read_partition(spec: PartitionSpec, cols: Columns) -> tuple[pa.Table, list[BadRow]]:
    try:
        if spec.read_format == "jsonl":
            return _read_jsonl(spec, cols)
        return _read_parquet(spec, cols)
    except OSError as exc:
        error = PartitionError(f"Cannot read {spec.read_path} for partition {spec.id}: {exc}")
        error.transient = classify(exc)  # a dropped mount may come back; a missing file does not
        raise error from exc


def _lines(spec: PartitionSpec) -> Iterator[bytes]:
    """The partition's lines, without their newline, read one at a time (the
    partition's bytes are never held whole beside the rows parsed from them)."""
    with open(spec.read_path, "rb") as fh:
        fh.seek(spec.byte_start)
        left = spec.byte_stop - spec.byte_start
        while left > 0:
            raw = fh.readline(left)
            if not raw:
                return
            left -= len(raw)
            yield raw[:-1] if raw.endswith(b"\n") else raw


def _read_jsonl(spec: PartitionSpec, cols: Columns) -> tuple[pa.Table, list[BadRow]]:
    rows: list[dict[str, Any]] = []
    bad: list[BadRow] = []
    for i, raw in enumerate(_lines(spec)):
        row_no = spec.row_start + i
        if not raw.strip():
            continue
        record, reason = _parse_line(raw, cols)
        if reason or record is None:
            known = record.get(cols.id_field) if record is not None and cols.id_field else None
            sample_id = str(known) if known is not None else f"{spec.source_name}#{row_no}"
            bad.append(BadRow(spec.source_name, spec.first_line + i, row_no, sample_id, reason))
            continue
        if cols.id_field is None:
            record[ID_COLUMN] = f"{spec.source_name}#{row_no}"
        rows.append(record)
    return _columnar(rows, cols), bad


def _parse_line(raw: bytes, cols: Columns) -> tuple[dict[str, Any] | None, str]:
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"malformed JSON: {exc}"
    if not isinstance(record, dict):
        return None, f"line is a JSON {type(record).__name__}, not an object"
    problem = _row_problem(record.get(cols.text_key, _MISSING), record, cols)
    if (
        not problem
        and cols.needs_text
        and _SURROGATE_ESCAPE.search(raw)
        and not _encodable(record[cols.text_key])
    ):
        problem = f"'{cols.text_key}' holds a lone surrogate escape, which is not valid Unicode"
    return record, problem


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_MISSING = object()
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _row_problem(text: Any, record: dict[str, Any], cols: Columns) -> str:
    if cols.needs_text and text is _MISSING:
        return f"no '{cols.text_key}' key"
    if cols.needs_text and not isinstance(text, str):
        return f"'{cols.text_key}' is {_kind(text)}, not a string"
    if cols.id_field is not None and record.get(cols.id_field) is None:
        return f"no value for id_field '{cols.id_field}'"
    return ""


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def _columnar(rows: list[dict[str, Any]], cols: Columns) -> pa.Table:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    if not rows:  # (every line was bad): the columns the ops and the ledger look for
        names = dict.fromkeys([cols.text_key] if cols.needs_text else [])
        names[cols.id_column] = None
    arrays, fields = [], []
    for name in names:
        values = [row.get(name) for row in rows]
        forced = (name == cols.text_key and cols.needs_text) or name == ID_COLUMN
        built = string_array(values)
        if built is not None and (forced or built.null_count < len(built)):  # (all null: type null)
            arrays.append(built)
            fields.append(pa.field(name, pa.string()))
            continue
        try:
            array = pa.array(values, type=pa.string() if forced else None)
            field = pa.field(name, array.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = pa.array([None if v is None else json.dumps(v) for v in values], pa.string())
            field = pa.field(name, pa.string(), metadata={JSON_FIELD_META: b"1"})
        arrays.append(array)
        fields.append(field)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _parquet_rows(
    spec: PartitionSpec, columns: list[str] | None = None, memory_map: bool = False
) -> pa.Table:
    """Rows ``row_start`` to ``row_stop`` of a Parquet file, reading only the row groups they span."""
    stat = os.stat(spec.read_path)
    meta, starts = _row_groups(spec.read_path, stat.st_size, stat.st_mtime_ns)
    start, stop = spec.row_start - spec.read_offset, spec.row_stop - spec.read_offset
    first = bisect.bisect_right(starts, start) - 1
    last = bisect.bisect_left(starts, stop)
    source = pa.memory_map(spec.read_path) if memory_map else spec.read_path
    table = pq.ParquetFile(source, metadata=meta).read_row_groups(range(first, last), columns=columns)
    return table.slice(start - starts[first], spec.rows)


@functools.lru_cache(maxsize=4)
def _row_groups(path: str, size: int, mtime_ns: int) -> tuple[pq.FileMetaData, list[int]]:
    """A Parquet file's footer and the first row of each row group (and the row count).

    A worker reads many partitions of the same file, and a staged CSV of ten
    million rows has ten thousand row groups: parsing its footer and walking
    its groups for each partition took longer than reading the partition."""
    meta = pq.read_metadata(path)
    starts = [0]
    for g in range(meta.num_row_groups):
        starts.append(starts[-1] + meta.row_group(g).num_rows)
    return meta, starts


def partition_ids(spec: PartitionSpec, cols: Columns) -> pa.Array:
    """The id of each row of a partition read from Parquet, by position, bad
    rows included (null where a row has no id)."""
    if cols.id_field is None:
        rows = pa.array(range(spec.row_start, spec.row_stop), pa.int64()).cast(pa.string())
        return pc.binary_join_element_wise(spec.source_name, rows, "#")
    column = _parquet_rows(spec, [cols.id_field], cols.memory_map).column(0).combine_chunks()
    return column.cast(pa.string())


def _read_parquet(spec: PartitionSpec, cols: Columns) -> tuple[pa.Table, list[BadRow]]:
    table = _parquet_rows(spec, memory_map=cols.memory_map)
    rows = range(spec.row_start, spec.row_stop)
    reasons = _parquet_problems(table, cols)
    bad = []
    if any(reasons):
        for i, reason in enumerate(reasons):
            if reason:
                line = spec.first_line + i if spec.first_line else None
                sample_id = _parquet_id(table, cols, i, spec.source_name, rows[i])
                bad.append(BadRow(spec.source_name, line, rows[i], sample_id, reason))
        table = table.filter(pa.array([not r for r in reasons]))
        rows = [r for r, reason in zip(rows, reasons, strict=True) if not reason]  # type: ignore[assignment]
    if cols.id_field is None:
        ids = pa.array([f"{spec.source_name}#{r}" for r in rows], pa.string())
        table = table.append_column(ID_COLUMN, ids)
    return table, bad


def _parquet_problems(table: pa.Table, cols: Columns) -> list[str]:
    if not cols.needs_text:
        return _parquet_id_problems(table, cols)
    if cols.text_key not in table.column_names:
        return [f"no '{cols.text_key}' column"] * table.num_rows
    text = table.column(cols.text_key)
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return [f"'{cols.text_key}' is of type {text.type}, not a string"] * table.num_rows
    missing = pc.is_null(text)
    if cols.id_field is not None:
        if cols.id_field not in table.column_names:
            return [f"no id_field column '{cols.id_field}'"] * table.num_rows
        missing_id = pc.is_null(table.column(cols.id_field))
        return [
            f"'{cols.text_key}' is null" if m else (f"no value for id_field '{cols.id_field}'" if mi else "")
            for m, mi in zip(missing.to_pylist(), missing_id.to_pylist(), strict=True)
        ]
    return [f"'{cols.text_key}' is null" if m else "" for m in missing.to_pylist()]


def _parquet_id_problems(table: pa.Table, cols: Columns) -> list[str]:
    if cols.id_field is None:
        return [""] * table.num_rows
    if cols.id_field not in table.column_names:
        return [f"no id_field column '{cols.id_field}'"] * table.num_rows
    missing = pc.is_null(table.column(cols.id_field)).to_pylist()
    return [f"no value for id_field '{cols.id_field}'" if m else "" for m in missing]


def _parquet_id(table: pa.Table, cols: Columns, i: int, name: str, row: int) -> str:
    if cols.id_field and cols.id_field in table.column_names:
        value = table.column(cols.id_field)[i].as_py()
        if value is not None:
            return str(value)
    return f"{name}#{row}"
