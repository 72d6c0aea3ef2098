"""Staging: a one-time copy of inputs that cannot be read by range.

Compressed JSONL is decompressed to plain JSONL (same lines, so the same line
numbers and ids); CSV/TSV files are rewritten as Parquet with one row group per
partition. Staged files are named after the input and its fingerprint and
written atomically, so a finished staging is reused by a resumed job and never
mistaken for another input's. (Parquet files with very large row groups are
staged in pieces while the job runs: :mod:`datamill.io.pieces`.)
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from datamill.atomic import atomic_path
from datamill.errors import InputError
from datamill.io.sources import SourceFile, staged_path


def _open_compressed(source: SourceFile) -> IO[bytes]:
    if source.format == "jsonl.gz":
        return gzip.open(source.path, "rb")  # type: ignore[return-value]
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(open(source.path, "rb"), closefd=True)


def decompress(source: SourceFile, staging_dir: Path) -> Path:
    """Plain JSONL copy of a .gz or .zst input."""
    dest = staged_path(source, staging_dir, ".jsonl")
    if dest.exists():
        return dest
    try:
        with atomic_path(dest) as tmp, _open_compressed(source) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except (OSError, EOFError) as exc:
        raise InputError(
            f"Cannot decompress input file {source.path}: {exc}. The file may be truncated "
            "or not really compressed as its name says."
        ) from None
    except Exception as exc:  # zstandard.ZstdError has no common base we can name
        raise InputError(f"Cannot decompress input file {source.path}: {exc}.") from None
    return dest


def csv_to_parquet(source: SourceFile, staging_dir: Path, row_group_size: int) -> Path:
    """Parquet copy of a CSV/TSV input, one row group per partition."""
    dest = staged_path(source, staging_dir, f"-{row_group_size}.parquet")
    if dest.exists():
        return dest
    delimiter = "\t" if source.format == "tsv" else ","
    try:
        _csv_copy(source, dest, delimiter, row_group_size, column_types=None)
    except pa.ArrowInvalid:
        # Types guessed from the first block did not fit a later one: read every
        # column as text rather than fail.
        header = pacsv.open_csv(source.path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
        types = {name: pa.string() for name in header.schema.names}
        try:
            _csv_copy(source, dest, delimiter, row_group_size, column_types=types)
        except pa.ArrowInvalid as exc:
            raise InputError(f"Cannot parse CSV file {source.path}: {exc}") from None
    return dest


def _csv_copy(
    source: SourceFile,
    dest: Path,
    delimiter: str,
    row_group_size: int,
    column_types: dict[str, pa.DataType] | None,
) -> None:
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(column_types=column_types or {})
    reader = pacsv.open_csv(source.path, parse_options=parse, convert_options=convert)
    with atomic_path(dest) as tmp, pq.ParquetWriter(tmp, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch, row_group_size=row_group_size)


def row_groups_too_large(path: Path, partition_size: int) -> bool:
    """Whether reading a partition would read more than twice its rows."""
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:
        raise InputError(f"Cannot read Parquet file {path}: {exc}") from None
    return any(meta.row_group(g).num_rows > 2 * partition_size for g in range(meta.num_row_groups))
