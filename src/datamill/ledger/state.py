"""Whether the ledger's root files still hold what the fold index says (no pyarrow)."""

from __future__ import annotations

import os
from pathlib import Path

from datamill.atomic import write_json_atomic
from datamill.ledger import (
    FAILED_DIR,
    FAILED_FILE,
    FOLD_FORMAT_VERSION,
    FOLD_INDEX,
    HISTORY_FILE,
    LEDGER_DIR,
    SUCCESS_DIR,
    SUCCESS_FILE,
    read_fold_index,
)

HOLDING = (SUCCESS_FILE, HISTORY_FILE)
"""The root files that hold records no segment has any more (``failed_tokens.parquet``
is derived from them, so a fold can always write it again)."""


def root_files_damaged(job_dir: Path) -> str | None:
    """A sentence, if a root file that holds folded records is missing or changed."""
    recorded = read_fold_index(job_dir / LEDGER_DIR / FOLD_INDEX).get("files", {})
    for name in HOLDING:
        if name not in recorded:
            continue
        try:
            size: int | None = (job_dir / name).stat().st_size
        except FileNotFoundError:
            size = None
        if size != recorded[name]:
            state = "is missing" if size is None else "was changed since datamill wrote it"
            return (
                f"{job_dir / name} {state}: the records it held are no longer on record, so the "
                "partitions they came from are done again."
            )
    return None


def reset_fold(job_dir: Path) -> None:
    """Forget every fold: the root files go, and no commit counts as folded."""
    for name in (SUCCESS_FILE, HISTORY_FILE, FAILED_FILE):
        (job_dir / name).unlink(missing_ok=True)
    index = job_dir / LEDGER_DIR / FOLD_INDEX
    if index.exists():
        write_json_atomic(index, {"format_version": FOLD_FORMAT_VERSION, "partitions": []})


def fold_needed(job_dir: Path) -> bool:
    """Whether a fold has anything to do: a segment on disk (any generation), or
    a root file missing or not as the last fold wrote it. Cheap: the segment
    folders hold only what was committed since the last fold."""
    recorded = read_fold_index(job_dir / LEDGER_DIR / FOLD_INDEX).get("files", {})
    for name in (SUCCESS_FILE, HISTORY_FILE, FAILED_FILE):
        try:
            if (job_dir / name).stat().st_size != recorded.get(name):
                return True
        except FileNotFoundError:
            return True
    for kind in (SUCCESS_DIR, FAILED_DIR):
        for _, _, names in os.walk(job_dir / LEDGER_DIR / kind):
            if any(n.endswith(".parquet") and not n.startswith((".", "_")) for n in names):
                return True
    return False
