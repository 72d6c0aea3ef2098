"""Staged pieces: a Parquet input with huge row groups, copied while the job runs.

A worker reads a Parquet partition by whole row groups. When an input's row
groups are much larger than a partition (a million rows against a thousand,
say), each partition would read a thousand times its rows, so the input is
copied with one row group per partition. That copy used to be made before
planning, and a job on ten million rows waited over a second for it, while
sharing the two cores with ``--skip-processed``'s anti-join.

Now the plan is cut from the input's metadata alone, and the copy is made in
*pieces* of :data:`PIECE_PARTITIONS` partitions each, one file per piece, in
``staging/{file}-{fingerprint}.pieces/{first row}-{end row}.parquet``. A
:class:`PieceStager` thread in the driver writes the pieces its pending
partitions need, in the order they are scheduled, streaming through the input
once; the scheduler hands a partition to a worker only when its piece is on
disk. Each piece is written atomically, so a job killed while staging finds
the finished pieces on its next run and writes only the others.

This module imports no pyarrow until a piece must be written: a resumed job
whose pieces are all on disk only looks at file names.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from datamill.errors import InputError
from datamill.io.sources import staged_path

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from datamill.io.sources import SourceFile
    from datamill.plan.planner import PartitionSpec, Plan

PIECE_PARTITIONS = 64
"""Partitions per staged piece: 64,000 rows with ``--batch 1000``, so the first
piece is on disk a few hundredths of a second after the job starts."""

FOLDER_SUFFIX = ".pieces"

Piece = tuple[str, list[tuple[int, int]]]
"""A piece's path, and the row range of each of its partitions (in the input)."""


def piece_folder(source: SourceFile, staging_dir: Path) -> Path:
    """Where the pieces of ``source`` go: named after it and its fingerprint."""
    return staged_path(source, staging_dir, FOLDER_SUFFIX)


def piece_path(folder: Path, start: int, stop: int) -> Path:
    return folder / f"{start:012d}-{stop:012d}.parquet"


def is_piece(spec: PartitionSpec) -> bool:
    return spec.read_path.endswith(".parquet") and os.path.basename(os.path.dirname(spec.read_path)).endswith(
        FOLDER_SUFFIX
    )


class StagingCancelled(Exception):
    """The job is ending: the piece being written is dropped."""


class PieceStager:
    """Writes, in a thread, the missing pieces that ``needed`` partitions read.

    ``needed`` is in the order the scheduler hands partitions out; the pieces
    are written in that order. :meth:`ready` tells the scheduler whether a
    partition can go to a worker, and raises the staging error (an unreadable
    input) when its piece could not be written.
    """

    def __init__(self, plan: Plan, needed: Iterable[PartitionSpec]) -> None:
        self._cond = threading.Condition()
        self._done: set[str] = set()
        self._error: BaseException | None = None
        self._cancel = False
        order: dict[str, None] = {}
        for spec in needed:
            if is_piece(spec) and spec.read_path not in order:
                order[spec.read_path] = None
        missing = [path for path in order if not os.path.exists(path)]
        self._missing = set(missing)
        self._thread: threading.Thread | None = None
        if missing:
            jobs = _jobs(plan, missing)
            self._thread = threading.Thread(
                target=self._run, args=(jobs,), name="datamill-staging", daemon=True
            )
            self._thread.start()

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ready(self, spec: PartitionSpec) -> bool:
        path = spec.read_path
        if path not in self._missing:
            return True
        with self._cond:
            if path in self._done:
                return True
            if self._error is not None:
                raise self._error
            return False

    def wait(self, timeout: float) -> None:
        """Sleep until the next piece is written, or ``timeout`` seconds."""
        with self._cond:
            self._cond.wait(timeout)

    def close(self) -> None:
        """Stop writing (the piece under way is dropped) and wait for the thread."""
        self._cancel = True
        if self._thread is not None:
            self._thread.join()

    def _run(self, jobs: list[tuple[str, list[Piece]]]) -> None:
        try:
            for source_path, pieces in jobs:
                write_pieces(source_path, pieces, on_written=self._written, cancelled=lambda: self._cancel)
        except StagingCancelled:
            pass
        except BaseException as exc:  # raised again by ready(), in the driver's thread
            with self._cond:
                self._error = exc
                self._cond.notify_all()

    def _written(self, path: str) -> None:
        with self._cond:
            self._done.add(path)
            self._cond.notify_all()


def _jobs(plan: Plan, missing: list[str]) -> list[tuple[str, list[Piece]]]:
    """For each source in turn: its missing pieces, each with its partitions' row ranges.

    Sources come in the order of their first missing piece; each source's
    pieces in row order, so one pass over the input writes them all."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    source_of: dict[str, str] = {}
    wanted = set(missing)
    for spec in plan.partitions:
        if spec.read_path in wanted:
            ranges.setdefault(spec.read_path, []).append((spec.row_start, spec.row_stop))
            source_of[spec.read_path] = spec.source_name
    paths = {s.name: s.path for s in plan.sources}
    by_source: dict[str, list[Piece]] = {}
    for piece in missing:
        by_source.setdefault(source_of[piece], []).append((piece, ranges[piece]))
    return [(paths[name], sorted(pieces, key=lambda p: p[1][0][0])) for name, pieces in by_source.items()]


def write_pieces(
    source_path: str,
    pieces: list[Piece],
    on_written: Callable[[str], None] = lambda path: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> None:
    """Write each piece: the rows of its ranges, one row group per range.

    The pieces are in row order; the input is read once, a batch at a time,
    and only its row groups that hold rows of some piece."""
    import pyarrow.parquet as pq

    from datamill.atomic import atomic_path

    try:
        pf = pq.ParquetFile(source_path, buffer_size=1 << 20, pre_buffer=False)
    except Exception as exc:
        raise InputError(f"Cannot read Parquet file {source_path}: {exc}") from None
    tables = _range_tables(pf, source_path, [r for _, ranges in pieces for r in ranges], cancelled)
    try:
        for path, ranges in pieces:
            # Durable: after a power cut, a piece on disk must be whole, as a resume trusts it.
            with (
                atomic_path(Path(path)) as tmp,
                pq.ParquetWriter(tmp, pf.schema_arrow, compression="none", use_dictionary=False) as writer,
            ):
                for _ in ranges:
                    table = next(tables)
                    writer.write_table(table, row_group_size=max(1, table.num_rows))
            on_written(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise InputError(
            f"Cannot stage Parquet file {source_path} into {Path(pieces[0][0]).parent}: {exc}"
        ) from None


def _range_tables(
    pf: pq.ParquetFile, source_path: str, ranges: list[tuple[int, int]], cancelled: Callable[[], bool]
) -> Iterator[pa.Table]:
    """The rows of each ``(start, stop)`` range, in order (sorted, not overlapping)."""
    import pyarrow as pa

    meta = pf.metadata
    i, parts, first = 0, [], 0
    for g in range(meta.num_row_groups):
        end_of_group = first + meta.row_group(g).num_rows
        if i < len(ranges) and ranges[i][0] < end_of_group:  # else no rows wanted from this group
            pos = first
            for batch in pf.iter_batches(batch_size=65536, row_groups=[g], use_threads=False):
                if cancelled():
                    raise StagingCancelled()
                end = pos + batch.num_rows
                while i < len(ranges) and ranges[i][0] < end:
                    a, b = max(ranges[i][0], pos), min(ranges[i][1], end)
                    if b > a:
                        parts.append(batch.slice(a - pos, b - a))
                    if ranges[i][1] > end:
                        break
                    yield pa.Table.from_batches(parts, schema=pf.schema_arrow)
                    parts, i = [], i + 1
                pos = end
                if i == len(ranges):
                    break  # the rest of the group is not wanted
        first = end_of_group
    if i < len(ranges):
        raise InputError(
            f"Parquet file {source_path} has {first:,} rows, fewer than planned (up to row "
            f"{ranges[-1][1]:,}): it changed while the job ran. Start a new job on it."
        )
