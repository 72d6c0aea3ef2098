"""Checks made once before any partition runs, so a mistake costs a second.

The id column and, when an op reads it, the text column must be columns of
the input: the first record (JSONL) or the schema (Parquet, and CSV staged as
Parquet) of the first partition says which columns there are. A JSONL file
whose first lines are none of them a JSON object is not taken for a dataset.
Whether the pipeline reads text is what its ops say (``Op.needs_text``); a
pipeline that reads none runs on data without a text column.

A resume must not wait for pyarrow when it has no ops to build: the columns
of a Parquet input are kept beside the plan, under the input's fingerprint.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from datamill.atomic import write_json_atomic
from datamill.engine.spec import PipelineSpec
from datamill.errors import ConfigError, InputError
from datamill.plan.planner import Plan

HEAD_LINES = 1000
HEAD_BYTES = 1 << 20
"""How much of a JSONL input is read to find its first record."""
COLUMNS_FORMAT_VERSION = 1


def check_before_work(pipeline: PipelineSpec, plan: Plan, cache: Path) -> PipelineSpec:
    """Raise InputError if the input cannot feed ``pipeline``; return it with ``needs_text`` set."""
    readers = text_readers(pipeline)
    spec = plan.partitions[0]
    columns = _columns(plan, cache, wanted=bool(readers) or pipeline.id_field is not None)
    if columns is not None:
        where = f"{spec.source_name} ({_listing(columns)})"
        if pipeline.id_field is not None and pipeline.id_field not in columns:
            raise InputError(
                f"id_field '{pipeline.id_field}' is not a column of the input file {where}. "
                "Set id_field to the column that identifies each record."
            )
        if readers and pipeline.text_key not in columns:
            raise InputError(
                f"{_ops(readers)} the text column '{pipeline.text_key}', which the input file "
                f"{where} does not have. Set text_key to the column holding the text (a user op "
                "that reads other columns declares needs_text = False)."
            )
    return replace(pipeline, needs_text=bool(readers))


def check_destination(path: Path, directory: bool) -> None:
    """Raise ConfigError unless the export can be written at ``path`` (a merged
    file, or with ``directory`` a folder of part files): found now, not after
    every partition ran. A file is made and removed where it will go, since
    permission bits do not tell (root, read-only mounts, ACLs)."""
    folder = path if directory else path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"export_path {path} cannot be written: {existing} is a file, not a directory.")
    if path.is_dir() != directory and path.exists():
        what = "a directory" if path.is_dir() else "a file"
        raise ConfigError(f"export_path {path} is {what}; give a path that names where the output goes.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".datamill-probe-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"export_path {path} cannot be written: {existing} is not writable ({exc.strerror}). "
            "Choose another export_path, or fix the permissions."
        ) from None


def text_readers(pipeline: PipelineSpec) -> list[str]:
    """The names of the pipeline's ops that read the text column."""
    if not pipeline.process:
        return []
    from datamill.engine.partition import pipeline_ops  # builds the ops once per process

    ops, _ = pipeline_ops(pipeline)
    return [op.name for op in ops if op.needs_text]


def _ops(names: list[str]) -> str:
    quoted = ", ".join(f"'{n}'" for n in dict.fromkeys(names))
    return f"The op {quoted} reads" if len(set(names)) == 1 else f"The ops {quoted} read"


def _listing(columns: list[str]) -> str:
    shown = ", ".join(columns[:20]) + (f", … ({len(columns)} in all)" if len(columns) > 20 else "")
    return f"its columns: {shown}" if columns else "it has no columns"


def _columns(plan: Plan, cache: Path, wanted: bool) -> list[str] | None:
    """The first partition's columns; None when no check needs them."""
    spec = plan.partitions[0]
    if spec.read_format == "jsonl":
        return _jsonl_columns(spec.read_path, spec.byte_start, spec.source_name)
    if not wanted:
        return None
    tag = plan.sources[0].fingerprint.head_tail_sha256
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        if saved.get("format_version") == COLUMNS_FORMAT_VERSION and saved.get("fingerprint") == tag:
            return list(saved["columns"])
    except (OSError, ValueError, KeyError):
        pass
    columns = _parquet_columns(spec.read_path if os.path.exists(spec.read_path) else plan.sources[0].path)
    found = {"format_version": COLUMNS_FORMAT_VERSION, "fingerprint": tag, "columns": columns}
    write_json_atomic(cache, found)
    return columns


def _parquet_columns(path: str) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several kinds; all mean the same here
        raise InputError(f"Cannot read the schema of the Parquet file {path}: {exc}") from None


def _jsonl_columns(path: str, start: int, name: str) -> list[str] | None:
    """The keys of the first JSON object among the first lines at ``start``."""
    with open(path, "rb") as fh:
        fh.seek(start)
        head = fh.read(HEAD_BYTES)
    lines = [line for line in head.split(b"\n")[:HEAD_LINES] if line.strip()]
    first_problem = ""
    for line in lines:
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            first_problem = first_problem or f"malformed JSON: {exc}"
            continue
        if isinstance(record, dict):
            return list(record)
        first_problem = first_problem or f"a JSON {type(record).__name__}, not an object"
    if not lines:
        return None
    raise InputError(
        f"The input file {name} is not JSONL: none of its first {len(lines)} line(s) is a JSON "
        f"object (the first: {first_problem}). Check dataset_path."
    )
