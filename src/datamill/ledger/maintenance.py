"""Keeping ledgers tidy: compact a job's segments, merge ledgers, clean old jobs."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.atomic import atomic_path, write_json_atomic
from datamill.errors import JobError
from datamill.job.lock import JobLock, is_locked
from datamill.ledger import COMPACTED_INDEX, FAILED_DIR, SUCCESS_DIR, finish_compaction
from datamill.ledger.segments import write_ledger_file


def compact(job_dir: Path) -> dict[str, int]:
    """Fold every segment of each ledger folder into one file; return rows per folder.

    Safe to stop at any point: ``compacted.json`` names the file being
    written before it is written, and the files it replaces before any of
    them is removed. :func:`~datamill.ledger.finish_compaction` completes or
    undoes a compaction that stopped halfway (this command and every run
    call it first)."""
    progress = job_dir / "progress"
    with JobLock(job_dir / "job.lock", job_dir.name):
        finish_compaction(progress)
        index = progress / COMPACTED_INDEX
        state: dict[str, Any] = json.loads(index.read_text()) if index.exists() else {"partitions": []}
        rows = {}
        for name in (SUCCESS_DIR, FAILED_DIR):
            folder = progress / name
            segments = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
            if not segments:
                continue
            table = pa.concat_tables([pq.read_table(p) for p in segments], promote_options="permissive")
            dest = _new_name(folder)
            write_json_atomic(index, state | {"writing": [f"{name}/{dest.name}"]})
            with atomic_path(dest) as tmp:
                write_ledger_file(table, tmp)
            folded = {
                p.name.removeprefix("part-").removesuffix(".parquet")
                for p in segments
                if p.name.startswith("part-")
            }
            state["partitions"] = sorted(set(state["partitions"]) | folded)
            replaced = [f"{name}/{p.name}" for p in segments]
            write_json_atomic(index, state | {"replaced": replaced})  # the commit point
            _remove(progress, replaced)
            write_json_atomic(index, state)
            rows[name] = table.num_rows
        return rows


def _new_name(folder: Path) -> Path:
    """A compacted file's name: its time, and a number if that time is taken."""
    stem = f"compacted-{time.strftime('%Y%m%d%H%M%S')}"
    dest, n = folder / f"{stem}.parquet", 1
    while dest.exists():
        dest, n = folder / f"{stem}-{n}.parquet", n + 1
    return dest


def _remove(progress: Path, names: list[str]) -> None:
    for name in names:
        (progress / name).unlink(missing_ok=True)


def merge(job_dirs: list[Path], out: Path) -> dict[str, int]:
    """One ledger from several, deduplicated by id; the latest record wins."""
    import pyarrow.dataset as ds  # imports pandas: only where it is needed

    rows = {}
    for name, time_col in ((SUCCESS_DIR, "processed_at"), (FAILED_DIR, "failed_at")):
        folders = [d / "progress" / name if (d / "progress").is_dir() else d / name for d in job_dirs]
        tables = [
            ds.dataset(f, format="parquet").to_table()
            for f in folders
            if f.is_dir() and any(f.glob("*.parquet"))
        ]
        if not tables:
            continue
        table = pa.concat_tables(tables, promote_options="permissive")
        id_col = table.column_names[0]
        table = table.sort_by([(id_col, "ascending"), (time_col, "descending")])
        ids = table.column(id_col).combine_chunks()
        first = (
            pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))
            if len(ids) > 1
            else pa.array([], pa.bool_())
        )
        keep = pa.concat_arrays([pa.array([True] * min(1, len(ids))), first.fill_null(True)])
        table = table.filter(keep)
        dest = out / "progress" / name / "part-merged.parquet"
        with atomic_path(dest) as tmp:
            write_ledger_file(table, tmp)
        rows[name] = table.num_rows
    return rows


FINISHED = {"completed", "completed_with_failures", "failed", "stopped"}


def cleanup(base: Path, older_than_s: float, dry_run: bool = False) -> list[Path]:
    """Remove the directories of finished jobs last touched before the cutoff."""
    cutoff = time.time() - older_than_s
    removed = []
    for job in (
        sorted(p for p in base.iterdir() if (p / "job_summary.json").exists()) if base.is_dir() else []
    ):
        if is_locked(job / "job.lock"):
            continue
        try:
            summary = json.loads((job / "job_summary.json").read_text())
        except ValueError:
            continue
        if summary.get("status") not in FINISHED or (job / "job_summary.json").stat().st_mtime > cutoff:
            continue
        if not dry_run:
            shutil.rmtree(job)
        removed.append(job)
    return removed


def parse_age(text: str) -> float:
    """``7d``, ``12h``, ``30m``, ``45s`` in seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    try:
        return float(text[:-1]) * units[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise JobError(f"'{text}' is not an age: use a number and d, h, m or s (e.g. 7d).") from None
