"""Keeping ledgers tidy: fold a job's segments now, merge ledgers, clean old jobs."""

from __future__ import annotations

import shutil
from pathlib import Path

from datamill.atomic import TMP_PREFIX, atomic_path
from datamill.errors import JobError
from datamill.job.lock import JobLock, is_locked
from datamill.ledger import (
    DERIVED_ID_COLUMN,
    FAILED_FILE,
    HISTORY_FILE,
    SUCCESS_FILE,
    upgrade_layout,
)
from datamill.ledger.damage import reading
from datamill.ledger.fold import ROOT_FILES, FoldReport, fold, write_root_files


def compact(job_dir: Path) -> FoldReport | None:
    """Fold the job's segments into its root files now (a run does it at its end).

    Safe to stop at any point: the fold index names what a fold is writing
    before it writes it, and what it replaces before any of it is removed
    (:func:`~datamill.ledger.finish_fold`)."""
    if not (job_dir / "job_summary.json").exists():
        raise JobError(f"{job_dir} is not a job directory (no job_summary.json).")
    with JobLock(job_dir / "job.lock", job_dir.name):
        upgrade_layout(job_dir)
        return fold(job_dir, DERIVED_ID_COLUMN)


def merge(job_dirs: list[Path], out: Path) -> dict[str, int]:
    """One ledger from several: each id once in the success file (its latest
    record), every failure in the history, and the failed set of the whole:
    each id's latest failure, unless it succeeded since in any of them.

    A job directory is folded first, unless it is running (then its root
    files are taken as they are)."""
    success, history = [], []
    for d in job_dirs:
        if (d / "job_summary.json").exists() and not is_locked(d / "job.lock"):
            compact(d)
        if not (d / SUCCESS_FILE).exists():
            raise JobError(f"{d} holds no {SUCCESS_FILE}: give job directories, or merged ledgers.")
        success.append(d / SUCCESS_FILE)
        history.append(d / HISTORY_FILE if (d / HISTORY_FILE).exists() else d / FAILED_FILE)
    out.mkdir(parents=True, exist_ok=True)
    import pyarrow.parquet as pq

    with reading(success[0]):
        id_col = str(pq.read_schema(success[0]).names[0])
    temps = {name: out / f"{TMP_PREFIX}merge-{name}" for name in ROOT_FILES}
    spill = f"{TMP_PREFIX}merge-spill"
    try:
        rows = write_root_files(success, history, temps, id_col, out / spill)
        for name, tmp in temps.items():
            with atomic_path(out / name) as dest_tmp:
                tmp.replace(dest_tmp)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        shutil.rmtree(out / spill, ignore_errors=True)
    return {SUCCESS_FILE: rows["successful"], FAILED_FILE: rows["failed"], HISTORY_FILE: rows["history"]}


def parse_age(text: str) -> float:
    """``7d``, ``12h``, ``30m``, ``45s`` in seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    try:
        return float(text[:-1]) * units[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise JobError(f"'{text}' is not an age: use a number and d, h, m or s (e.g. 7d).") from None
