"""Cutting the input into partitions.

The plan is a pure function of the input files and the partition settings:
the same input always gives the same partitions with the same ids. A partition
ends when it holds ``partition.size`` rows or when one more row would take it
past ``partition.max_size_mb``, whichever comes first (a single larger row
still makes a partition of its own).

Plain JSONL is cut by byte ranges found by scanning for newlines, so a worker
seeks straight to its partition. Inputs that cannot be read by range
(compressed JSONL, CSV/TSV, Parquet with row groups much larger than a
partition) are first staged once into the job's ``staging/`` folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow.parquet as pq

from datamill.atomic import write_json_atomic
from datamill.config.models import PartitionConfig
from datamill.errors import InputError
from datamill.io import staging
from datamill.io.sources import SourceFile
from datamill.plan.ids import PartitionId, file_key

PLAN_FORMAT_VERSION = 1
SCAN_CHUNK = 1 << 24


class PartitionSpec(NamedTuple):
    """Everything a worker needs to read its partition: a descriptor, no data.

    A named tuple: a plan of ten thousand partitions loads in a few
    milliseconds, which a resume notices."""

    id: str
    source_name: str
    """The input file's name in sample ids and error messages."""
    read_path: str
    """The file the worker reads: the input itself or its staged copy."""
    read_format: str
    """``jsonl`` (byte range) or ``parquet`` (row range)."""
    row_start: int
    row_stop: int
    byte_start: int = 0
    byte_stop: int = 0
    first_line: int = 1
    """Line number of the partition's first row in the original file."""

    @property
    def pid(self) -> PartitionId:
        return PartitionId.parse(self.id)

    @property
    def rows(self) -> int:
        return self.row_stop - self.row_start


@dataclass
class Plan:
    """The partitions of a job and the fingerprints of the input they came from."""

    sources: list[SourceFile]
    partitions: list[PartitionSpec]
    size: int
    max_size_mb: float
    format_version: int = PLAN_FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    def save(self, path: Path) -> None:
        write_json_atomic(
            path,
            {
                "format_version": self.format_version,
                "partition_size": self.size,
                "max_size_mb": self.max_size_mb,
                "total_rows": self.total_rows,
                "sources": [s.to_json() for s in self.sources],
                "partitions": [p._asdict() for p in self.partitions],
            },
            indent=None,  # half the size, and a resume parses it faster
        )


def make_plan(sources: list[SourceFile], settings: PartitionConfig, staging_dir: Path) -> Plan:
    """Cut ``sources`` into partitions, staging the files that need it."""
    max_bytes = int(settings.max_size_mb * 1024 * 1024)
    specs: list[PartitionSpec] = []
    for source in sources:
        for start, stop, b0, b1, first_line, read_path, read_format in _cuts(
            source, settings.size, max_bytes, staging_dir
        ):
            pid = PartitionId(len(specs), file_key(source.name), start, stop)
            specs.append(
                PartitionSpec(str(pid), source.name, read_path, read_format, start, stop, b0, b1, first_line)
            )
    if not specs:
        names = ", ".join(s.name for s in sources[:5])
        raise InputError(f"The input has no rows ({names}). Nothing to process.")
    return Plan(sources, specs, settings.size, settings.max_size_mb)


Cut = tuple[int, int, int, int, int, str, str]


def _cuts(source: SourceFile, size: int, max_bytes: int, staging_dir: Path) -> Iterator[Cut]:
    fmt = source.format
    if fmt in ("jsonl.gz", "jsonl.zst"):
        staged = staging.decompress(source, staging_dir)
        yield from _jsonl_cuts(staged, size, max_bytes)
    elif fmt == "jsonl":
        yield from _jsonl_cuts(Path(source.path), size, max_bytes)
    elif fmt in ("csv", "tsv"):
        staged = staging.csv_to_parquet(source, staging_dir, row_group_size=size)
        yield from _parquet_cuts(staged, size, max_bytes, line_offset=2)
    else:
        path = Path(source.path)
        if staging.row_groups_too_large(path, size):
            path = staging.regroup_parquet(source, staging_dir, row_group_size=size)
        yield from _parquet_cuts(path, size, max_bytes, line_offset=None)


def line_ends(path: Path) -> np.ndarray:
    """Byte offset just past each line of ``path`` (the last may lack '\\n')."""
    ends: list[np.ndarray] = []
    offset = 0
    last_byte = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            nl = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            ends.append(nl.astype(np.int64) + offset + 1)
            offset += len(chunk)
            last_byte = chunk[-1:]
    if last_byte != b"\n":
        ends.append(np.array([offset], dtype=np.int64))
    return np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)


def _jsonl_cuts(path: Path, size: int, max_bytes: int) -> Iterator[Cut]:
    ends = line_ends(path)
    row, n = 0, len(ends)
    while row < n:
        b0 = int(ends[row - 1]) if row else 0
        by_bytes = int(np.searchsorted(ends, b0 + max_bytes, side="right"))
        stop = min(row + size, n, max(by_bytes, row + 1))
        yield row, stop, b0, int(ends[stop - 1]), row + 1, str(path), "jsonl"
        row = stop


def _parquet_cuts(path: Path, size: int, max_bytes: int, line_offset: int | None) -> Iterator[Cut]:
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:
        raise InputError(f"Cannot read Parquet file {path}: {exc}") from None
    groups = [meta.row_group(g) for g in range(meta.num_row_groups)]
    per_row = [(g.num_rows, max(1, g.total_byte_size // max(1, g.num_rows))) for g in groups]
    for start, stop in _greedy_ranges(per_row, size, max_bytes):
        first_line = start + line_offset if line_offset is not None else 0
        yield start, stop, 0, 0, first_line, str(path), "parquet"


def _greedy_ranges(groups: list[tuple[int, int]], size: int, max_bytes: int) -> Iterator[tuple[int, int]]:
    """Cut rows described as (count, bytes per row) runs by rows and bytes."""
    start = row = acc = 0
    for count, per_row in groups:
        left = count
        while left:
            room = min(left, size - (row - start), max(0, max_bytes - acc) // per_row)
            if room == 0 and row == start:
                room = 1
            if room == 0:
                yield start, row
                start, acc = row, 0
                continue
            row, left, acc = row + room, left - room, acc + room * per_row
            if row - start == size:
                yield start, row
                start, acc = row, 0
    if row > start:
        yield start, row


def load_plan(path: Path) -> Plan:
    """Read a plan saved by :meth:`Plan.save`."""
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format_version") != PLAN_FORMAT_VERSION:
        raise InputError(
            f"{path} was written by another version of datamill (plan format "
            f"{data.get('format_version')}, expected {PLAN_FORMAT_VERSION})."
        )
    return Plan(
        sources=[SourceFile.from_json(s) for s in data["sources"]],
        partitions=[PartitionSpec(**p) for p in data["partitions"]],
        size=data["partition_size"],
        max_size_mb=data["max_size_mb"],
    )
