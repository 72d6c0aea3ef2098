"""The record ledger: which samples succeeded and which failed, in Parquet.

Two layers (see :mod:`datamill.ledger.fold`):

- ``ledger/success/`` and ``ledger/failed/`` hold one segment per commit,
  written with the commit (the unit of the commit protocol);
- at the job's root, seed 000's files: ``successful_tokens.parquet`` (one row
  per record processed), ``failed_tokens.parquet`` (the *current* failed set:
  one row per record that failed and has not succeeded since, its latest
  failure) and ``failed_history.parquet`` (every failure ever recorded). The
  segments of committed partitions are folded into them at the end of every
  run, on a graceful stop and periodically while a run goes on.

This module holds the names on disk, which the driver needs without loading
pyarrow; the folding and reading live in the submodules.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

LEDGER_DIR = "ledger"
SUCCESS_DIR = "success"
FAILED_DIR = "failed"
SUCCESS_FILE = "successful_tokens.parquet"
FAILED_FILE = "failed_tokens.parquet"
HISTORY_FILE = "failed_history.parquet"
PROGRESS_FILE = "progress.json"
DERIVED_ID_COLUMN = "sample_id"
FOLD_INDEX = "folded.json"
"""In ``ledger/``: which commits' segments were folded into the root files
(``partitions``), the root files' sizes when they were written (``files``),
and, while a fold is being committed, what it renames and removes
(``pending``: see :func:`finish_fold`)."""
FOLD_FORMAT_VERSION = 1


def id_column(id_field: str | None) -> str:
    return id_field or DERIVED_ID_COLUMN


def segment_name(partition_id: str) -> str:
    return f"part-{partition_id}.parquet"


def skip_head(skip_list: Path) -> Path:
    """``--skip-processed``'s skip list of the first partitions, written before the whole one."""
    return skip_list.with_name(skip_list.stem + "-head.parquet")


def read_fold_index(path: Path) -> dict[str, Any]:
    """The fold index, or an empty one (never folded, or unreadable)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"format_version": FOLD_FORMAT_VERSION, "partitions": []}
    return data if isinstance(data, dict) else {"format_version": FOLD_FORMAT_VERSION, "partitions": []}


def folded_partitions(path: Path) -> set[str]:
    """Commits whose segments a fold index says are in the root files."""
    return set(read_fold_index(path).get("partitions", []))


def finish_fold(job_dir: Path) -> None:
    """Complete, or undo, a fold that was stopped halfway.

    A fold names in the index the temporary files it is about to write
    (``writing``), then, as its commit point, the renames of those files into
    place and the segments they replace (``pending``). Temporaries of a fold
    that never committed are removed; a committed one is carried out (each
    step can be repeated)."""
    from datamill.atomic import write_json_atomic

    index_path = job_dir / LEDGER_DIR / FOLD_INDEX
    data = read_fold_index(index_path)
    pending, writing = data.pop("pending", None), data.pop("writing", None)
    if not (pending or writing):
        return
    if pending:
        for tmp, dest in pending.get("rename", []):
            if (job_dir / tmp).exists():
                os.replace(job_dir / tmp, job_dir / dest)
        for name in pending.get("remove", []):
            (job_dir / name).unlink(missing_ok=True)
    else:
        for name in writing or []:
            (job_dir / name).unlink(missing_ok=True)
    write_json_atomic(index_path, data)


OLD_PROGRESS = "progress"
_OLD_NAMES = {"successful_tokens.parquet": SUCCESS_DIR, "failed_tokens.parquet": FAILED_DIR}


def upgrade_layout(job_dir: Path) -> None:
    """Move a job directory made before the root files existed to today's layout.

    Its ``progress/`` folder held the segment folders (named like the root
    files) and ``compacted.json``; they become ``ledger/success``,
    ``ledger/failed`` and ``ledger/folded.json``, whose compacted files the
    next fold takes in."""
    old = job_dir / OLD_PROGRESS
    if not (old / "successful_tokens.parquet").is_dir() or (job_dir / LEDGER_DIR).exists():
        return
    for old_name, new_name in _OLD_NAMES.items():
        if (old / old_name).is_dir():
            os.rename(old / old_name, old / new_name)
    if (old / "compacted.json").exists():
        os.rename(old / "compacted.json", old / FOLD_INDEX)
    (old / "progress.json").unlink(missing_ok=True)
    os.rename(old, job_dir / LEDGER_DIR)
