"""A bounded look at the input, for ``partition.auto_configure``.

Reads the first rows of the first files, never a big file whole: at most
:data:`SAMPLE_ROWS` rows in all, spread over the first :data:`SAMPLE_FILES`
files, and at most :data:`SAMPLE_BYTES` of each. It counts, per media kind,
the rows that carry media under Data-Juicer's sample keys (``images``,
``audios``, ``videos`` by default) and measures rows as the cutter does: the
bytes of a JSONL line, the uncompressed bytes per row of a Parquet file's
first row groups, the Arrow size of the rows read from a CSV file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from datamill.errors import InputError
from datamill.io.sources import SourceFile

SAMPLE_ROWS = 1000
SAMPLE_FILES = 4
SAMPLE_BYTES = 8 << 20
MEDIA_KINDS = ("image", "audio", "video")


@dataclass(frozen=True)
class SampleKeys:
    """The columns that hold a sample's text and media (Data-Juicer's keys and defaults)."""

    text: str = "text"
    image: str = "images"
    audio: str = "audios"
    video: str = "videos"

    def media(self) -> dict[str, str]:
        return {"image": self.image, "audio": self.audio, "video": self.video}


@dataclass
class InputSample:
    """What the sample showed."""

    files: int = 0
    rows: int = 0
    row_bytes: int = 0
    rows_with_text: int = 0
    rows_with: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEDIA_KINDS, 0))
    """Rows carrying at least one item of each media kind."""
    media_items: int = 0

    @property
    def mean_row_bytes(self) -> float:
        return self.row_bytes / self.rows if self.rows else 0.0

    @property
    def media_per_row(self) -> float:
        return self.media_items / self.rows if self.rows else 0.0

    def add(self, row: dict[str, Any] | None, keys: SampleKeys) -> None:
        """Count one row's text and media (``None``: a row that is not a JSON object)."""
        if row is None:
            return
        self.rows_with_text += isinstance(row.get(keys.text), str)
        for kind, key in keys.media().items():
            n = media_count(row.get(key))
            self.rows_with[kind] += n > 0
            self.media_items += n


def media_count(value: Any) -> int:
    """Media items in one sample's value: a list of paths, one path (or the media's bytes),
    or a CSV cell holding a JSON list. A number or a flag is no media."""
    if value is None or isinstance(value, bool | int | float):
        return 0
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return media_count(json.loads(text))
            except ValueError:
                pass
        return 1 if text else 0
    if isinstance(value, list | tuple):
        return sum(1 for item in value if item not in (None, "", b""))
    return 1 if value not in (b"", {}) else 0


def sample_input(sources: Sequence[SourceFile], keys: SampleKeys) -> InputSample:
    """Count and measure the first rows of the first files of ``sources``."""
    sample = InputSample()
    first = list(sources[:SAMPLE_FILES])
    quota = SAMPLE_ROWS // max(1, len(first))
    for source in first:
        sample.files += 1
        if source.format in ("csv", "tsv"):
            _sample_csv(source, quota, keys, sample)
        elif source.format == "parquet":
            _sample_parquet(source, quota, keys, sample)
        else:
            _sample_jsonl(source, quota, keys, sample)
    return sample


def _open_jsonl(source: SourceFile) -> IO[bytes]:
    if source.format == "jsonl.gz":
        import gzip

        return gzip.open(source.path, "rb")  # type: ignore[return-value]
    if source.format == "jsonl.zst":
        import zstandard

        raw = open(source.path, "rb")  # noqa: SIM115 (closed with the stream reader)
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return open(source.path, "rb")


def _sample_jsonl(source: SourceFile, quota: int, keys: SampleKeys, sample: InputSample) -> None:
    try:
        with _open_jsonl(source) as fh:
            for size, row in _jsonl_rows(fh, quota):
                sample.rows += 1
                sample.row_bytes += size
                sample.add(row, keys)
    except Exception as exc:  # (OSError, EOFError, zstandard's errors: they share no other base)
        raise InputError(
            f"Cannot read input file {source.path} to sample it for partition.auto_configure: {exc}. "
            "The file may be truncated or not really compressed as its name says."
        ) from None


def _jsonl_rows(fh: IO[bytes], quota: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(bytes, parsed row) of the first lines; a line cut off by the byte budget
    still counts its bytes (a row at least that big) and ends the file's sample."""
    budget, taken = SAMPLE_BYTES, 0
    while taken < quota and budget > 0 and (line := fh.readline(budget)):
        budget -= len(line)
        if not line.strip():
            continue
        taken += 1
        if not line.endswith(b"\n") and budget <= 0:
            yield len(line), None
            return
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        yield len(line), row if isinstance(row, dict) else None


def _sample_parquet(source: SourceFile, quota: int, keys: SampleKeys, sample: InputSample) -> None:
    """Row bytes from the metadata of the first row groups; of the rows, only the media columns are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(source.path)
    except Exception as exc:
        raise InputError(f"Cannot read Parquet file {source.path}: {exc}") from None
    meta, rows, nbytes = pf.metadata, 0, 0
    for g in range(meta.num_row_groups):  # sizes from the metadata, as the cutter measures them
        if rows >= quota:
            break
        group = meta.row_group(g)
        rows, nbytes = rows + group.num_rows, nbytes + group.total_byte_size
    taken = min(rows, quota)
    if not taken:
        return
    sample.rows += taken
    sample.row_bytes += round(nbytes * taken / rows)
    schema = pf.schema_arrow
    text = schema.field(keys.text).type if keys.text in schema.names else None
    if text is not None and (pa.types.is_string(text) or pa.types.is_large_string(text)):
        sample.rows_with_text += taken  # (the text itself is not read: it may be most of the file)
    media = [key for key in keys.media().values() if key in schema.names]
    for batch in pf.iter_batches(batch_size=taken, columns=media) if media else ():
        for row in batch.to_pylist():
            sample.add(row, keys)
        break


def _sample_csv(source: SourceFile, quota: int, keys: SampleKeys, sample: InputSample) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    parse = pacsv.ParseOptions(delimiter="\t" if source.format == "tsv" else ",", newlines_in_values=True)
    taken = nbytes = 0
    try:
        reader = pacsv.open_csv(
            source.path, read_options=pacsv.ReadOptions(block_size=1 << 20), parse_options=parse
        )
        while taken < quota and nbytes < SAMPLE_BYTES:
            batch = reader.read_next_batch().slice(0, quota - taken)
            taken, nbytes = taken + batch.num_rows, nbytes + batch.nbytes
            sample.rows += batch.num_rows
            sample.row_bytes += batch.nbytes
            for row in batch.to_pylist():
                sample.add(row, keys)
    except StopIteration:
        pass
    except pa.ArrowInvalid as exc:
        if not taken:
            raise InputError(f"Cannot parse CSV file {source.path}: {exc}") from None
