"""Typed models of a datamill recipe.

A recipe has Data-Juicer's shape (``dataset_path``, ``export_path``, ``np``,
``text_key``, ``process``) plus the nested sections of the partitioned
executor (``partition``, ``checkpoint``, ``fault_tolerance``, …). Each
component receives only its own section. Every field carries a docstring;
``datamill run --help`` and error messages are built from them.
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


class Section(BaseModel):
    """Base of every recipe model: unknown keys are errors, docstrings are docs."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PartitionConfig(Section):
    size: int = Field(default=2000, ge=1)
    """Rows per partition: the unit of scheduling, retry and commit."""

    max_size_mb: float = Field(default=64.0, gt=0)
    """Upper bound on a partition's input bytes; whichever of this and
    ``size`` is reached first cuts the partition."""

    auto_configure: bool = False
    """Choose ``size`` and ``max_size_mb`` from the data's modality (sampled
    under ``text_key``, ``image_key``, ``audio_key``, ``video_key``), its row
    sizes and the pipeline's ops (:mod:`datamill.plan.auto`); the manual
    values are then ignored, with a note. The choice is saved in the plan."""


class CheckpointConfig(Section):
    enabled: bool = True
    """Whether partitions may restart from checkpoints on resume."""

    strategy: Literal["every_op", "every_partition", "every_n_ops", "manual", "disabled"] = "every_partition"
    """When to checkpoint a partition: after every op, only on commit, after
    every ``n_ops``-th op, after the ops named in ``op_names``, or never."""

    n_ops: int = Field(default=1, ge=1)
    """For ``every_n_ops``: checkpoint after each op whose 1-based position is a
    multiple of this."""

    op_names: list[str] = Field(default_factory=list)
    """For ``manual``: the ops after which to checkpoint (a list, or a
    comma-separated string on the command line)."""

    @field_validator("op_names", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value


class FaultToleranceConfig(Section):
    enabled: bool = True
    """Retry partitions that fail as a whole."""

    max_retries: int = Field(default=3, ge=0)
    """Retries of a failed partition before it is marked failed."""

    retry_backoff: Literal["exponential", "linear", "fixed"] = "exponential"
    """How the delay between retries grows."""

    retry_delay_s: float = Field(default=1.0, ge=0)
    """Base delay between retries, in seconds."""

    stop_timeout_s: float = Field(default=30.0, ge=0)
    """On SIGTERM/SIGINT, how long running partitions may take to finish before
    they are abandoned (they stay resumable)."""

    stall_timeout_s: float = Field(default=1800.0, ge=0)
    """How long a running partition may send no progress before its worker is
    killed and the partition retried (with the backoff above, counted as a
    retry) or, out of retries, failed; 0 turns the watchdog off. Progress is
    any event from the partition: its start, each op's start and end, a
    checkpoint, samples set aside, its commit. So it must exceed the longest
    a single op takes on one partition. Not with ``np: 1`` (the partition
    runs in the driver)."""

    on_sample_error: Literal["quarantine", "fail_partition"] = "quarantine"
    """What to do with a sample an op cannot handle: set it aside with its
    reason, or fail its whole partition."""


FORMAT_COMPRESSIONS: dict[str, tuple[str, ...]] = {
    "parquet": ("snappy", "gzip", "zstd", "lz4", "none"),
    "arrow": ("lz4", "zstd", "none"),
    "jsonl": ("gzip", "zstd", "lz4", "none"),
}
"""The compressions each intermediate format can write. Arrow IPC files know
only lz4 and zstd; a JSONL stream has no snappy framing."""

DEFAULT_COMPRESSION = {"parquet": "snappy", "arrow": "lz4", "jsonl": "none"}
"""``compression`` when the recipe does not set it, by ``format``."""


class IntermediateStorageConfig(Section):
    format: Literal["parquet", "arrow", "jsonl"] = "parquet"
    """File format of checkpoints and intermediate data."""

    compression: Literal["snappy", "gzip", "zstd", "lz4", "none"] = "snappy"
    """Compression of checkpoints and intermediate data. Parquet: snappy, gzip,
    zstd, lz4 or none; Arrow: lz4, zstd or none; JSONL: gzip (``.jsonl.gz``),
    zstd (``.jsonl.zst``), lz4 (``.jsonl.lz4``) or none. Another pair is
    refused when the recipe is loaded. Unset: snappy for Parquet, lz4 for
    Arrow, none for JSONL."""

    use_arrow_batches: bool = True
    """Ops work on Arrow record batches; ``false`` is refused when the recipe
    is loaded (datamill's ops are written against Arrow batches, and a
    row-by-row path would not give identical output)."""

    arrow_batch_size: int = Field(default=1000, ge=1)
    """Rows in each batch an op is called with, unless the op sets its own
    ``batch_size`` parameter (which wins)."""

    arrow_memory_mapping: bool = False
    """Open checkpoints and Parquet/Arrow inputs memory-mapped
    (``pyarrow.memory_map``) instead of reading them into memory."""

    preserve_intermediate_data: bool = False
    """Keep every op's output of every partition, as
    ``intermediate/partition_{NNNNNN}/op_{KKK}_{op_name}.{ext}``, and every
    checkpoint (not only each partition's newest)."""

    cleanup_temp_files: bool = True
    """Remove temporary files at the start and at the end of a run:
    ``.tmp-*`` leftovers of interrupted writes in intermediate data and staged
    pieces, storage probes, and (at the end of a fully successful job) the
    staged input pieces; ``false`` keeps them and says so. The leftovers that
    would be mistaken for work (in ``results/``, the ledger, checkpoints,
    ``metadata/``) are removed on every start regardless."""

    cleanup_on_success: bool = False
    """When every partition of the job succeeded, remove its intermediate
    data and checkpoints at the end, even with ``preserve_intermediate_data``."""

    retention_policy: Literal["keep_all", "keep_failed_only", "cleanup_all"] = "keep_all"
    """At the job's end: ``keep_all`` removes nothing; ``keep_failed_only``
    keeps the intermediate data and checkpoints of failed partitions only;
    ``cleanup_all`` removes all intermediate data and checkpoints (results,
    ledger, summary and event logs always stay)."""

    max_retention_days: int = Field(default=7, ge=0)
    """When a job starts, other finished jobs in the same ``work_dir`` that
    ended more than this many days ago lose their intermediate data and
    checkpoints (0: never)."""

    @model_validator(mode="before")
    @classmethod
    def _compression_by_format(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("compression") is None:
            fmt = data.get("format", "parquet")
            data = {**data, "compression": DEFAULT_COMPRESSION.get(fmt, "snappy")}
        return data

    def refusal(self) -> str | None:
        """Why this section cannot be honoured, in one line (or None)."""
        allowed = FORMAT_COMPRESSIONS[self.format]
        if self.compression not in allowed:
            return (
                f"intermediate_storage.compression '{self.compression}' cannot be used with "
                f"format '{self.format}': {self.format} can do {', '.join(allowed)}."
            )
        if not self.use_arrow_batches:
            return (
                "intermediate_storage.use_arrow_batches: false is not supported: datamill's ops "
                "work on Arrow record batches (vectorised with pyarrow.compute), and a row-by-row "
                "path would not give identical output; remove the key or set it to true."
            )
        return None


class EventLoggingConfig(Section):
    enabled: bool = True
    """Write ``events.jsonl`` and ``events.log``."""

    max_log_size_mb: float = Field(default=100.0, gt=0)
    """Size at which an event log file is rotated."""

    backup_count: int = Field(default=5, ge=0)
    """Rotated event log files to keep."""

    resource_interval_s: float = Field(default=10.0, gt=0)
    """How often to log the CPU and memory of the driver and its workers."""

    level: Literal["DEBUG", "INFO", "WARNING"] = "INFO"
    """Which notes the event log keeps: INFO (default) leaves out DEBUG notes;
    WARNING also leaves out INFO notes and PERFORMANCE_METRIC; DEBUG keeps all
    (one note per partition of the plan). The events that record the job (job,
    processing, partition, op and checkpoint events, resource samples, warnings,
    failures) are written at every level: the monitor and resume read them."""

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class LedgerConfig(Section):
    fold_interval_s: float = Field(default=60.0, ge=0)
    """How often, while a job runs, the record ledger's segments are folded
    into ``successful_tokens.parquet`` and ``failed_tokens.parquet`` at the job's
    root (they are always folded at the end of a run and on a graceful stop).
    Folds are never closer than 20 times the last fold's duration; 0 folds only
    at the end. Seed 000's ``LightweightProgressTracker._buffer_size`` maps here."""


class SqlExportConfig(Section):
    type: Literal["sql"] = "sql"
    """The sink kind; only ``sql`` for now."""

    url: str | None = None
    """SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/db``. Default: an
    SQLite file ``output.db`` in the job directory."""

    table: str
    """Table to upsert into; created with its primary key when missing."""

    key: str | None = None
    """Primary-key column; default: ``id_field``."""

    insert_batch: int = Field(default=1000, ge=1)
    """Rows per database write (one transaction each)."""

    @field_validator("table", "key")
    @classmethod
    def _plain_identifier(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", value):
            what = "table" if info.field_name == "table" else "column"
            raise ValueError(
                f"SQL {what} name '{value}' is not allowed: use letters, digits and '_', "
                "starting with a letter or '_'"
            )
        return value


def _default_np() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Recipe(Section):
    """A whole recipe, resolved: YAML, legacy keys and command-line overrides."""

    project_name: str | None = None
    """A name for the project (Data-Juicer's key; informational)."""

    dataset_path: str
    """Input: a file, a directory or a glob of JSONL (.jsonl, .jsonl.gz,
    .jsonl.zst), Parquet or CSV/TSV files."""

    export_path: str | None = None
    """Output: a path ending in .jsonl or .parquet gives one merged file; any
    other path is a directory of part files. Default: ``output.jsonl`` in the
    job directory."""

    export_format: Literal["jsonl", "parquet"] = "jsonl"
    """Format of part files when ``export_path`` is a directory."""

    export: SqlExportConfig | None = None
    """Write the output to a database table instead of ``export_path``."""

    np: int = Field(default_factory=_default_np, ge=1)
    """Worker processes. ``1`` runs every partition in the driver process."""

    text_key: str = "text"
    """The column holding the text the ops work on."""

    image_key: str = "images"
    """The column listing a sample's images (Data-Juicer's key); read by ``partition.auto_configure``."""

    audio_key: str = "audios"
    """The column listing a sample's audio files; read by ``partition.auto_configure``."""

    video_key: str = "videos"
    """The column listing a sample's videos; read by ``partition.auto_configure``."""

    id_field: str | None = None
    """A column that identifies each sample (e.g. ``scene_token``). Without it
    each sample gets a stable id derived from its input file and row number."""

    work_dir: str = "./outputs"
    """Parent directory of job directories (``{work_dir}/{job_id}/``)."""

    job_id: str | None = None
    """The job's id; generated as ``{YYYYMMDD}_{HHMMSS}_{name}_{6 hex}`` when
    absent. Reusing an id continues that job."""

    executor_type: Literal["local", "ray"] = "local"
    """Where partitions run: a local process pool, or Ray (``ray_partitioned``,
    Data-Juicer's name, is the same)."""

    ray_address: str | None = None
    """With ``executor_type: ray``: unset or ``local`` starts a Ray of ``np``
    CPUs for this job; ``auto`` or ``host:port`` joins a running cluster
    (``ray start --head``), whose nodes must all see the job directory."""

    @property
    def ray_cluster(self) -> str | None:
        """The cluster ``ray_address`` joins; None for a Ray the job starts itself."""
        return None if self.ray_address in (None, "", "local") else self.ray_address

    keep_stats_in_res_ds: bool = False
    """Keep the filters' statistics (``__dj__stats__``) in the output."""

    process: list[dict[str, dict[str, Any] | None]] = Field(default_factory=list)
    """The pipeline: a list of ``{op_name: {param: value}}``. User ops are
    named by import path, ``package.module:ClassName``."""

    partition: PartitionConfig = Field(default_factory=PartitionConfig)
    """How the input is cut into partitions."""

    checkpoint: CheckpointConfig = Field(default_factory=CheckpointConfig)
    """When partitions are checkpointed."""

    fault_tolerance: FaultToleranceConfig = Field(default_factory=FaultToleranceConfig)
    """Retries of failed partitions and handling of failing samples."""

    intermediate_storage: IntermediateStorageConfig = Field(default_factory=IntermediateStorageConfig)
    """Format and lifetime of checkpoints and intermediate data."""

    event_logging: EventLoggingConfig = Field(default_factory=EventLoggingConfig)
    """The machine-readable and human event logs."""

    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    """The record ledger's root files (seed 000's state files)."""

    event_log_dir: str | None = None
    """Parent of ``{job_id}/event_logs/``; default: the job directory."""

    checkpoint_dir: str | None = None
    """Parent of ``{job_id}/`` checkpoints; default: ``checkpoints/`` in the
    job directory."""

    @field_validator("executor_type", mode="before")
    @classmethod
    def _executor_aliases(cls, value: Any) -> Any:
        aliases = {"default": "local", "ray_partitioned": "ray"}
        return aliases.get(value, value) if isinstance(value, str) else value
