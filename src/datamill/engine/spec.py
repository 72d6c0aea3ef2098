"""What the driver hands a worker: the pipeline, its checkpoint policy, a partition.

Nothing here imports pyarrow or the ops. The driver builds these on every
start, and a resume should not wait for the engine's imports: the workers'
fork server does those meanwhile (:mod:`datamill.prestart`). The ops are
built, and the engine imported, only when the pipeline has ops to hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datamill.io.readers import Columns
    from datamill.ops.base import Op
    from datamill.plan.planner import PartitionSpec

EXTENSIONS = {"parquet": ".parquet", "arrow": ".arrow", "jsonl": ".jsonl"}
JSONL_SUFFIXES = {"gzip": ".gz", "zstd": ".zst", "lz4": ".lz4", "none": ""}
"""A compressed JSONL file says how in its name (``.jsonl.gz``), as readers expect;
Parquet and Arrow files record their codec inside."""
_NAME = re.compile(r"^(op|dedup)(\d{3})-([0-9a-f]{16})(\.(?:parquet|arrow|jsonl(?:\.gz|\.zst|\.lz4)?))$")
HASHES = "dedup"
"""The kind of checkpoint file that holds a deduplicator's hashes of the partition."""


def extension(fmt: str, compression: str) -> str:
    """The file name ending of a checkpoint or intermediate file."""
    return EXTENSIONS[fmt] + (JSONL_SUFFIXES[compression] if fmt == "jsonl" else "")


def prefix_hashes(ops: Sequence[Op], text_key: str, id_field: str | None) -> list[str]:
    """``hashes[k]`` identifies the data after ops 0..k of this pipeline."""
    digest = hashlib.sha256(json.dumps([text_key, id_field]).encode()).hexdigest()
    hashes = []
    for op in ops:
        digest = hashlib.sha256((digest + op.signature()).encode()).hexdigest()
        hashes.append(digest[:16])
    return hashes


@dataclass(frozen=True)
class CheckpointName:
    """``op{index:03d}-{prefix_hash}.{ext}``; :meth:`parse` reverses it.

    A deduplicator's hashes of the partition, kept beside the checkpoints
    after it, are ``dedup{index:03d}-{prefix_hash}.parquet`` (kind :data:`HASHES`)."""

    op_index: int
    prefix_hash: str
    ext: str
    kind: str = "op"

    def __str__(self) -> str:
        return f"{self.kind}{self.op_index:03d}-{self.prefix_hash}{self.ext}"

    @classmethod
    def parse(cls, name: str) -> CheckpointName | None:
        match = _NAME.match(name)
        if not match:
            return None
        return cls(int(match.group(2)), match.group(3), match.group(4), match.group(1))


@dataclass(frozen=True)
class CheckpointPolicy:
    """When to checkpoint, and how to store checkpoints."""

    strategy: str
    n_ops: int
    op_names: tuple[str, ...]
    root: str
    format: str
    compression: str
    keep_all: bool
    memory_map: bool = False
    """Open checkpoints memory-mapped (``arrow_memory_mapping``)."""

    @property
    def extension(self) -> str:
        return extension(self.format, self.compression)

    @property
    def enabled(self) -> bool:
        return self.strategy not in ("disabled", "every_partition")

    def after(self, index: int, name: str, last: int) -> bool:
        """Whether to checkpoint after op ``index`` (0-based) named ``name``."""
        if index >= last or not self.enabled:
            return False  # after the last op the commit itself is the checkpoint
        if self.strategy == "every_op":
            return True
        if self.strategy == "every_n_ops":
            return (index + 1) % self.n_ops == 0
        return self.strategy == "manual" and name in self.op_names


@dataclass(frozen=True)
class SqlSink:
    """Where a partition's rows are upserted before its ledger is written."""

    url: str
    table: str
    key: str
    insert_batch: int


@dataclass(frozen=True)
class PipelineSpec:
    """What every partition of a job shares: the ops and where results go."""

    process: list[dict[str, Any]]
    text_key: str
    id_field: str | None
    results_dir: str
    result_format: str
    keep_stats: bool
    checkpoint: CheckpointPolicy
    on_sample_error: str = "quarantine"
    intermediate_dir: str | None = None
    job_id: str = ""
    progress_dir: str = ""
    sink: SqlSink | None = None
    skip_file: str | None = None
    """Ids to skip, per partition (``--skip-processed``)."""
    needs_text: bool = True
    """Whether an op reads ``text_key``; if not, rows need no text (:mod:`datamill.job.preflight`)."""
    batch_size: int = 1000
    """The batch size an op is called with unless it names its own (``arrow_batch_size``)."""
    memory_map: bool = False
    """Open Arrow and Parquet inputs memory-mapped (``arrow_memory_mapping``)."""

    @property
    def key(self) -> str:
        blob = json.dumps(
            [self.process, self.text_key, self.id_field, self.batch_size], sort_keys=True, default=str
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def columns(self) -> Columns:
        from datamill.io.readers import Columns  # the workers' side: pyarrow is loaded there

        return Columns(self.text_key, self.id_field, self.needs_text, self.memory_map)


@dataclass(frozen=True)
class SetAside:
    """A sample found to kill its worker, by its position in the partition as
    read (before any op: positions are what probes can name without ids)."""

    position: int
    step: str
    """The op that was running when the worker died."""
    error: str
    """How the worker died."""


@dataclass(frozen=True)
class PartitionTask:
    """A descriptor of work: which partition, which pipeline, which attempt.

    Besides a normal run, a task can be a probe (``rows``: run the ops on some
    rows, commit nothing, only survive or not) or a failure record
    (``failure``: commit the partition as failed, with every record in the
    failed ledger and no output)."""

    spec: PartitionSpec
    pipeline: PipelineSpec
    attempt: int = 1
    retry_round: int = 0
    """Above 0: rerun only the partition's failed samples, committed as round k."""
    rows: tuple[int, int] | None = None
    """A probe of the rows at positions [start, stop) of the partition as read."""
    set_aside: tuple[SetAside, ...] = ()
    """Samples to leave out and record as failed: they kill the worker."""
    failure: tuple[str, str] | None = None
    """(step, error) of a partition that failed as a whole, to record."""

    @property
    def probe(self) -> bool:
        return self.rows is not None

    @property
    def commit_id(self) -> str:
        """The id its result, segments and marker are named by."""
        return self.spec.id if not self.retry_round else f"{self.spec.id}+r{self.retry_round}"


EventSink = Callable[[dict[str, Any]], None]


def pipeline_hash(pipeline: PipelineSpec) -> str:
    """Identifies what a committed result was made by."""
    hashes: list[str] = []
    if pipeline.process:  # building the ops needs the engine (pyarrow and the op modules)
        from datamill.engine.partition import pipeline_ops

        _, hashes = pipeline_ops(pipeline)
    tail = hashes[-1] if hashes else ""
    blob = json.dumps(
        [tail, pipeline.text_key, pipeline.id_field, pipeline.result_format, pipeline.keep_stats]
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
