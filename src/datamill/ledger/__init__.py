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
"""Beside a run's results: which partitions' segments were folded into compacted files."""


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
