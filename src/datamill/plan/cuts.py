"""Where each input file is cut into partitions.

Plain JSONL is cut by byte ranges found by scanning for newlines, so a worker
seeks straight to its partition. Inputs that cannot be read by range
(compressed JSONL, CSV/TSV) are first staged once into the job's
``staging/`` folder. Parquet with row groups much larger than a partition is
cut from its metadata alone; its partitions read staged pieces written while
the job runs (:mod:`datamill.io.pieces`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from datamill.errors import InputError
from datamill.io import pieces, staging
from datamill.io.sources import SourceFile

SCAN_CHUNK = 1 << 24

Cut = tuple[int, int, int, int, int, str, str, int]
"""start row, stop row, first byte, end byte, first line, the file to read, its
format, and the row number of that file's first row"""


def cuts(source: SourceFile, size: int, max_bytes: int, staging_dir: Path) -> Iterator[Cut]:
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
            yield from _piece_cuts(source, size, max_bytes, staging_dir)
        else:
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
        yield row, stop, b0, int(ends[stop - 1]), row + 1, str(path), "jsonl", 0
        row = stop


def _parquet_cuts(path: Path, size: int, max_bytes: int, line_offset: int | None) -> Iterator[Cut]:
    for start, stop in _greedy_ranges(_row_sizes(path), size, max_bytes):
        first_line = start + line_offset if line_offset is not None else 0
        yield start, stop, 0, 0, first_line, str(path), "parquet", 0


def _piece_cuts(source: SourceFile, size: int, max_bytes: int, staging_dir: Path) -> Iterator[Cut]:
    """Partitions of a Parquet file with huge row groups, each reading its staged piece."""
    ranges = list(_greedy_ranges(_row_sizes(Path(source.path)), size, max_bytes))
    folder = pieces.piece_folder(source, staging_dir)
    for i in range(0, len(ranges), pieces.PIECE_PARTITIONS):
        run = ranges[i : i + pieces.PIECE_PARTITIONS]
        piece = str(pieces.piece_path(folder, run[0][0], run[-1][1]))
        for start, stop in run:
            yield start, stop, 0, 0, 0, piece, "parquet", run[0][0]


def _row_sizes(path: Path) -> list[tuple[int, int]]:
    """(rows, bytes per row) of each row group of a Parquet file."""
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:
        raise InputError(f"Cannot read Parquet file {path}: {exc}") from None
    groups = [meta.row_group(g) for g in range(meta.num_row_groups)]
    return [(g.num_rows, max(1, g.total_byte_size // max(1, g.num_rows))) for g in groups]


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
