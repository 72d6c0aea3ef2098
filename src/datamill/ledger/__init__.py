"""The record ledger: which samples succeeded and which failed, in Parquet.

This module holds the ledger's names on disk, which the driver needs without
loading pyarrow; :mod:`datamill.ledger.segments` writes and reads the files.
"""

from __future__ import annotations

import json
from pathlib import Path

SUCCESS_DIR = "successful_tokens.parquet"
FAILED_DIR = "failed_tokens.parquet"
DERIVED_ID_COLUMN = "sample_id"
COMPACTED_INDEX = "compacted.json"
"""In ``progress/``: which partitions' segments were folded into compacted files
(``partitions``); while ``ledger compact`` runs, also the file it is writing
and the files that file replaces (see :func:`finish_compaction`)."""


def id_column(id_field: str | None) -> str:
    return id_field or DERIVED_ID_COLUMN


def segment_name(partition_id: str) -> str:
    return f"part-{partition_id}.parquet"


def skip_head(skip_list: Path) -> Path:
    """``--skip-processed``'s skip list of the first partitions, written before the whole one."""
    return skip_list.with_name(skip_list.stem + "-head.parquet")


def compacted_partitions(path: Path) -> set[str]:
    """Partitions whose segments a ``compacted.json`` says were folded into a compacted file."""
    try:
        return set(json.loads(path.read_text())["partitions"])
    except (OSError, ValueError, KeyError):
        return set()


def finish_compaction(progress: Path) -> None:
    """Complete, or undo, a ``ledger compact`` that was stopped halfway.

    Compact records in ``compacted.json`` the file it is about to write
    (``writing``), then, as its commit point, the files that file replaces
    (``replaced``). A file still marked ``writing`` never committed: it is
    removed, and the segments it would have replaced are all still there.
    Files marked ``replaced`` are in a committed compacted file: they are
    removed, else their rows would be read twice."""
    from datamill.atomic import write_json_atomic

    index = progress / COMPACTED_INDEX
    try:
        data = json.loads(index.read_text())
    except (OSError, ValueError):
        return  # no compaction ever started (or an unreadable index: left as it is)
    if not (data.get("writing") or data.get("replaced")):
        return
    for name in [*data.pop("writing", []), *data.pop("replaced", [])]:
        (progress / name).unlink(missing_ok=True)
    write_json_atomic(index, data)
