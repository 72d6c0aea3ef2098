"""Checkpoints: a partition's table after op k, named by what produced it.

A checkpoint is named ``{partition}/op{k:03d}-{prefix hash}.{ext}`` where the
prefix hash covers the text and id columns and the names and parameters of
ops 0..k. After an edit of the recipe, only checkpoints whose prefix still
matches are used, so new ops are never applied to data made by old ones. The
checkpoint carries the partition's bookkeeping so far (bad rows, samples set
aside, per-op metrics) in its metadata, so a partition resumed from it commits
exactly what an uninterrupted run would have. Files are written atomically;
an unreadable one is ignored (and the partition starts earlier).

Checkpoints are not fsynced. A checkpoint only saves work: the rename makes it
whole or absent against a killed process, and what a machine crash can leave
(a file cut short, or a Parquet page of zeros, caught by its page checksum)
is unreadable, so the partition starts from an earlier checkpoint or its
input. What is committed (results, markers, the ledger) is fsynced. The two
fsyncs a checkpoint would need cost about as much as writing it.
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
import pyarrow.parquet as pq

from datamill.atomic import TMP_PREFIX, atomic_path
from datamill.engine.spec import HASHES, CheckpointName, CheckpointPolicy
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


@dataclass
class Resumed:
    """A checkpoint to resume from: after op ``op_index``, with the
    partition's state then and the deduplicator hashes made before it."""

    op_index: int
    table: pa.Table
    state: PartitionState
    path: Path
    hashes: dict[int, pa.Table]


def _is_hashes(name: str) -> bool:
    parsed = CheckpointName.parse(name)
    return parsed is not None and parsed.kind == HASHES


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
        dest = self.folder(partition_id) / str(CheckpointName(index, prefix, self.policy.extension))
        blob = json.dumps({"format_version": CHECKPOINT_FORMAT_VERSION, **state.__dict__}).encode()
        write_table(table, dest, fmt, self.policy.compression, blob)
        if not self.policy.keep_all:
            for old in self.folder(partition_id).iterdir():
                if old != dest and not old.name.startswith(TMP_PREFIX) and not _is_hashes(old.name):
                    old.unlink(missing_ok=True)
        return dest

    def save_hashes(self, partition_id: str, index: int, prefix: str, hashes: pa.Table) -> Path:
        """Keep deduplicator ``index``'s hashes of the partition beside its checkpoints:
        a partition resumed from a checkpoint after the deduplicator commits them."""
        dest = self.folder(partition_id) / str(CheckpointName(index, prefix, ".parquet", HASHES))
        with atomic_path(dest, durable=False) as tmp:
            pq.write_table(hashes, tmp, compression="none", write_page_checksum=True)
        return dest

    def _hashes(self, partition_id: str, index: int, prefix: str) -> pa.Table | None:
        path = self.folder(partition_id) / str(CheckpointName(index, prefix, ".parquet", HASHES))
        try:
            return pq.read_table(path, page_checksum_verification=True)
        except Exception as exc:  # missing or torn: the checkpoints after it are of no use
            if not isinstance(exc, FileNotFoundError):
                log.warning("ignoring unreadable deduplication hashes %s: %s", path, exc)
            return None

    def latest(
        self, partition_id: str, hashes: Sequence[str], cols: Columns, dedups: Sequence[int] = ()
    ) -> Resumed | None:
        """The newest readable checkpoint whose prefix matches ``hashes``, with the
        hashes of the deduplicators before it (at positions ``dedups``); a
        checkpoint whose deduplicator hashes are gone is passed over."""
        folder = self.folder(partition_id)
        if not folder.is_dir():
            return None
        names = [(CheckpointName.parse(p.name), p) for p in folder.iterdir()]
        valid = [
            (n, p)
            for n, p in names
            if n and n.kind == "op" and n.op_index < len(hashes) and hashes[n.op_index] == n.prefix_hash
        ]
        for name, path in sorted(valid, key=lambda item: -item[0].op_index):
            side: dict[int, pa.Table] = {}
            for d in (d for d in dedups if d <= name.op_index):
                found = self._hashes(partition_id, d, hashes[d])
                if found is None:
                    break
                side[d] = found
            if len(side) < sum(1 for d in dedups if d <= name.op_index):
                continue
            try:
                table, blob = read_table(path, cols, self.policy.memory_map)
                data = json.loads(blob)
            except Exception as exc:  # a torn or foreign file: fall back to an earlier one
                log.warning("ignoring unreadable checkpoint %s: %s", path, exc)
                continue
            data.pop("format_version", None)
            return Resumed(name.op_index, table, PartitionState(**data), path, side)
        return None

    def clear(self, partition_id: str) -> None:
        shutil.rmtree(self.folder(partition_id), ignore_errors=True)


def write_table(table: pa.Table, dest: Path, fmt: str, compression: str, state: bytes) -> None:
    """Write ``table`` with ``state`` in its metadata, atomically but not
    durably (see the module's note), compressed with ``compression`` (a pair
    the config has already checked). Parquet gets page checksums, and neither
    dictionaries nor statistics: only a resume reads the file back, whole."""
    codec = None if compression == "none" else compression
    if fmt == "jsonl":
        with atomic_path(dest, durable=False) as tmp, pa.output_stream(str(tmp), compression=codec) as out:
            out.write(json.dumps({"__datamill_checkpoint__": state.decode()}).encode() + b"\n")
            out.write(b"".join(jsonl_lines(table)))
        return
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), STATE_KEY: state})
    with atomic_path(dest, durable=False) as tmp:
        if fmt == "parquet":
            pq.write_table(
                table,
                tmp,
                compression=codec or "none",
                use_dictionary=False,
                write_statistics=False,
                write_page_checksum=True,
            )
        else:
            options = pa.ipc.IpcWriteOptions(compression=codec)
            with pa.ipc.new_file(str(tmp), table.schema, options=options) as writer:
                writer.write_table(table)


def read_table(path: Path, cols: Columns, memory_map: bool = False) -> tuple[pa.Table, bytes]:
    """A checkpoint's table and its state; the codec comes from the file (or,
    for JSONL, from its name)."""
    if ".jsonl" in path.suffixes:
        with pa.input_stream(str(path), compression="detect") as fh:
            lines = fh.read().split(b"\n")
        head = json.loads(lines[0])["__datamill_checkpoint__"].encode()
        rows = [json.loads(line) for line in lines[1:] if line.strip()]
        return _columnar(rows, cols), head
    source = pa.memory_map(str(path)) if memory_map else str(path)
    if path.suffix == ".parquet":
        table = pq.read_table(source, page_checksum_verification=True)
    else:
        with pa.ipc.open_file(source) as reader:
            table = reader.read_all()
    meta = table.schema.metadata or {}
    return table.replace_schema_metadata({k: v for k, v in meta.items() if k != STATE_KEY}), meta[STATE_KEY]
