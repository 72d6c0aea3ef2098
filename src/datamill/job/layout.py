"""Job ids and the files of a job directory (see DESIGN.md)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from datamill.config.models import Recipe
from datamill.errors import ConfigError
from datamill.ledger import FOLD_INDEX, LEDGER_DIR, PROGRESS_FILE

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def new_job_id(config_name: str, now: datetime | None = None) -> str:
    """``{YYYYMMDD}_{HHMMSS}_{config_name}_{6 hex}``."""
    stamp = (now or datetime.now()).strftime("%Y%m%d_%H%M%S")
    name = _UNSAFE.sub("-", config_name).strip("-") or "job"
    return f"{stamp}_{name}_{secrets.token_hex(3)}"


def check_job_id(job_id: str) -> str:
    if not job_id or _UNSAFE.search(job_id) or job_id in (".", ".."):
        raise ConfigError(f"job_id '{job_id}' may contain only letters, digits, '_', '.' and '-'.")
    return job_id


@dataclass(frozen=True)
class JobLayout:
    """Where every file of one job lives."""

    job_id: str
    root: Path
    event_log_root: Path
    checkpoint_root: Path

    @classmethod
    def for_recipe(cls, recipe: Recipe, job_id: str) -> JobLayout:
        root = Path(recipe.work_dir).expanduser().resolve() / job_id
        events = Path(recipe.event_log_dir).expanduser().resolve() / job_id if recipe.event_log_dir else root
        ckpt = (
            Path(recipe.checkpoint_dir).expanduser().resolve() / job_id
            if recipe.checkpoint_dir
            else root / "checkpoints"
        )
        return cls(job_id, root, events, ckpt)

    @property
    def summary(self) -> Path:
        return self.root / "job_summary.json"

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def plan(self) -> Path:
        return self.root / "metadata" / "partitions.json"

    @property
    def dataset_mapping(self) -> Path:
        """Each partition's input file, row and byte range (:mod:`datamill.job.mapping`)."""
        return self.root / "metadata" / "dataset_mapping.json"

    @property
    def final_mapping_report(self) -> Path:
        """What became of each partition, written at the end of each run."""
        return self.root / "metadata" / "final_mapping_report.json"

    @property
    def commit_index(self) -> Path:
        return self.root / "metadata" / "commits.tsv"

    @property
    def input_columns(self) -> Path:
        """The first input file's columns, as :mod:`datamill.job.preflight` found them."""
        return self.root / "metadata" / "input_columns.json"

    @property
    def skip_list(self) -> Path:
        """``--skip-processed``'s anti-join result (:mod:`datamill.ledger.skip`)."""
        return self.root / "metadata" / "skip.parquet"

    @property
    def dedup(self) -> Path:
        """Each deduplicator's committed decision (:mod:`datamill.job.dedup_phase`)."""
        return self.root / "metadata" / "dedup"

    @property
    def duplicates(self) -> Path:
        """Each row a deduplicator dropped, with the row it duplicates (``preserve_intermediate_data``)."""
        return self.root / "duplicates.parquet"

    @property
    def lock(self) -> Path:
        return self.root / "job.lock"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def progress(self) -> Path:
        """The ledger's segments and fold index (:mod:`datamill.ledger`)."""
        return self.root / LEDGER_DIR

    @property
    def fold_index(self) -> Path:
        return self.progress / FOLD_INDEX

    @property
    def progress_json(self) -> Path:
        """Seed 000's ``progress.json``, beside its two ledger files at the root."""
        return self.root / PROGRESS_FILE

    def ledger_file(self, name: str) -> Path:
        """A root file of the ledger: ``successful_tokens.parquet``, ``failed_tokens.parquet``, …"""
        return self.root / name

    @property
    def intermediate(self) -> Path:
        return self.root / "intermediate"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def bad_rows(self) -> Path:
        return self.root / "bad_rows.jsonl"

    @property
    def event_logs(self) -> Path:
        return self.event_log_root / "event_logs"

    def create(self) -> None:
        for path in (self.root, self.plan.parent, self.results, self.progress, self.staging):
            path.mkdir(parents=True, exist_ok=True)
