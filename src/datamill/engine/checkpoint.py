"""Checkpoints: a partition's table after op k, named by what produced it.

A checkpoint is named ``{partition}/op{k:03d}-{prefix hash}.{ext}`` where the
prefix hash covers the text and id columns and the names and parameters of
ops 0..k. After an edit of the recipe, only checkpoints whose prefix still
matches are used, so new ops are never applied to data made by old ones. The
checkpoint carries the partition's bookkeeping so far (bad rows, samples set
aside, per-op metrics) in its metadata, so a partition resumed from it commits
exactly what an uninterrupted run would have. Files are written atomically;
an unreadable one is ignored (and the partition starts earlier).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from datamill.atomic import TMP_PREFIX, atomic_open, atomic_path
from datamill.engine.spec import EXTENSIONS, CheckpointName, CheckpointPolicy
from datamill.io.readers import Columns, _columnar
from datamill.io.writers import jsonl_lines

log = logging.getLogger(__name__)

STATE_KEY = b"datamill.checkpoint"
CHECKPOINT_FORMAT_VERSION = 1


@dataclass
class PartitionState:
    """A partition's bookkeeping while its ops run."""

    rows_read: int = 0
    rows_skipped: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    ops: list[dict[str, Any]] = field(default_factory=list)
    filtered_ids: list[str] = field(default_factory=list)
    """Ids of samples a filter removed: processed successfully, not written."""


class CheckpointStore:
    """The checkpoints of one job, one folder per partition."""

    def __init__(self, policy: CheckpointPolicy) -> None:
        self.policy = policy
        self.root = Path(policy.root)

    def folder(self, partition_id: str) -> Path:
        return self.root / partition_id

    def save(
        self, partition_id: str, index: int, prefix: str, table: pa.Table, state: PartitionState
    ) -> Path:
        fmt = self.policy.format
        dest = self.folder(partition_id) / str(CheckpointName(index, prefix, EXTENSIONS[fmt]))
        blob = json.dumps({"format_version": CHECKPOINT_FORMAT_VERSION, **state.__dict__}).encode()
        write_table(table, dest, fmt, self.policy.compression, blob)
        if not self.policy.keep_all:
            for old in self.folder(partition_id).iterdir():
                if old != dest and not old.name.startswith(TMP_PREFIX):
                    old.unlink(missing_ok=True)
        return dest

    def latest(
        self, partition_id: str, hashes: Sequence[str], cols: Columns
    ) -> tuple[int, pa.Table, PartitionState, Path] | None:
        """The newest readable checkpoint whose prefix matches ``hashes``."""
        folder = self.folder(partition_id)
        if not folder.is_dir():
            return None
        names = [(CheckpointName.parse(p.name), p) for p in folder.iterdir()]
        valid = [
            (n, p) for n, p in names if n and n.op_index < len(hashes) and hashes[n.op_index] == n.prefix_hash
        ]
        for name, path in sorted(valid, key=lambda item: -item[0].op_index):
            try:
                table, blob = read_table(path, cols)
                data = json.loads(blob)
            except Exception as exc:  # a torn or foreign file: fall back to an earlier one
                log.warning("ignoring unreadable checkpoint %s: %s", path, exc)
                continue
            data.pop("format_version", None)
            return name.op_index, table, PartitionState(**data), path
        return None

    def clear(self, partition_id: str) -> None:
        shutil.rmtree(self.folder(partition_id), ignore_errors=True)


def write_table(table: pa.Table, dest: Path, fmt: str, compression: str, state: bytes) -> None:
    """Write ``table`` with ``state`` in its metadata, atomically."""
    codec = None if compression == "none" else compression
    if fmt == "jsonl":
        with atomic_open(dest, "wb") as fh:
            fh.write(json.dumps({"__datamill_checkpoint__": state.decode()}).encode() + b"\n")
            fh.writelines(jsonl_lines(table))
        return
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), STATE_KEY: state})
    with atomic_path(dest) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp, compression=codec or "none")
        else:
            feather.write_feather(
                table, tmp, compression="uncompressed" if codec in (None, "snappy", "gzip") else codec
            )


def read_table(path: Path, cols: Columns) -> tuple[pa.Table, bytes]:
    if path.suffix == ".jsonl":
        with open(path, "rb") as fh:
            head = json.loads(fh.readline())["__datamill_checkpoint__"].encode()
            rows = [json.loads(line) for line in fh if line.strip()]
        return _columnar(rows, cols), head
    table = pq.read_table(path) if path.suffix == ".parquet" else feather.read_table(path)
    meta = table.schema.metadata or {}
    return table.replace_schema_metadata({k: v for k, v in meta.items() if k != STATE_KEY}), meta[STATE_KEY]
