"""Cutting the input into partitions.

The plan is a pure function of the input files and the partition settings:
the same input always gives the same partitions with the same ids. A partition
ends when it holds ``partition.size`` rows or when one more row would take it
past ``partition.max_size_mb``, whichever comes first (a single larger row
still makes a partition of its own). With ``partition.auto_configure`` both
limits come from :mod:`datamill.plan.auto` instead, and the plan saves that
choice with the partitions.

How each kind of file is cut is in :mod:`datamill.plan.cuts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from datamill.atomic import write_json_atomic
from datamill.errors import InputError
from datamill.io.sources import SourceFile
from datamill.plan.auto import AutoChoice, auto_configure
from datamill.plan.ids import PartitionId, file_key
from datamill.plan.sample import SampleKeys

if TYPE_CHECKING:
    from datamill.config.models import PartitionConfig

PLAN_FORMAT_VERSION = 2
"""2: partitions as rows of values under ``partition_fields`` (1: one object each).
Fields added later have defaults, so a plan that lists fewer still loads.
``partition_auto`` (the auto_configure choice, or null) was added within 2."""


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
    read_offset: int = 0
    """The input row number of the first row of ``read_path`` (not 0 when it
    is a staged piece of a larger file, :mod:`datamill.io.pieces`)."""

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
    auto: AutoChoice | None = None
    """What ``partition.auto_configure`` chose, when it was on."""

    @property
    def total_rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    def save(self, path: Path) -> None:
        write_json_atomic(
            path,
            {
                "format_version": PLAN_FORMAT_VERSION,
                "partition_size": self.size,
                "max_size_mb": self.max_size_mb,
                "partition_auto": self.auto.to_json() if self.auto else None,
                "total_rows": self.total_rows,
                "sources": [s.to_json() for s in self.sources],
                "partition_fields": PartitionSpec._fields,
                "partitions": self.partitions,  # rows of values: a third smaller, parsed twice as fast
            },
            indent=None,
        )


def make_plan(
    sources: list[SourceFile],
    settings: PartitionConfig,
    staging_dir: Path,
    *,
    process: Sequence[Mapping[str, Any]] = (),
    keys: SampleKeys | None = None,
) -> Plan:
    """Cut ``sources`` into partitions, staging the files that need it now.

    With ``settings.auto_configure``, the size and byte limit are chosen from a
    sample of ``sources`` (``keys`` name its text and media columns) and the
    pipeline ``process``; otherwise they are ``settings.size`` and
    ``settings.max_size_mb``. Parquet files with row groups much larger than a partition are not copied
    here: their partitions read staged pieces that :class:`~datamill.io.pieces.PieceStager`
    writes while the job runs."""
    from datamill.plan.cuts import cuts  # numpy and pyarrow: a resume loads its plan without them

    auto = auto_configure(sources, settings, process, keys) if settings.auto_configure else None
    size, max_size_mb = (auto.size, auto.max_size_mb) if auto else (settings.size, settings.max_size_mb)
    max_bytes = int(max_size_mb * 1024 * 1024)
    specs: list[PartitionSpec] = []
    for source in sources:
        for start, stop, b0, b1, first_line, read_path, read_format, offset in cuts(
            source, size, max_bytes, staging_dir
        ):
            pid = PartitionId(len(specs), file_key(source.name), start, stop)
            specs.append(
                PartitionSpec(
                    str(pid), source.name, read_path, read_format, start, stop, b0, b1, first_line, offset
                )
            )
    if not specs:
        names = ", ".join(s.name for s in sources[:5])
        raise InputError(f"The input has no rows ({names}). Nothing to process.")
    return Plan(sources, specs, size, max_size_mb, auto)


def load_plan(path: Path) -> Plan:
    """Read a plan saved by :meth:`Plan.save`."""
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    version = data.get("format_version")
    fields = data.get("partition_fields") or []
    if version == PLAN_FORMAT_VERSION and fields == list(PartitionSpec._fields):
        partitions = list(map(PartitionSpec._make, data["partitions"]))
    elif version == PLAN_FORMAT_VERSION and fields and fields == list(PartitionSpec._fields[: len(fields)]):
        partitions = [PartitionSpec(*row) for row in data["partitions"]]  # saved before a field was added
    elif version == 1:
        partitions = [PartitionSpec(**p) for p in data["partitions"]]
    else:
        raise InputError(
            f"{path} was written by another version of datamill (plan format {version}, expected "
            f"{PLAN_FORMAT_VERSION}). Finish the job with that version, or start a new job."
        )
    return Plan(
        sources=[SourceFile.from_json(s) for s in data["sources"]],
        partitions=partitions,
        size=data["partition_size"],
        max_size_mb=data["max_size_mb"],
        auto=AutoChoice.from_json(data["partition_auto"]) if data.get("partition_auto") else None,
    )
