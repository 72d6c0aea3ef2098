"""The commit protocol of a partition.

A partition is done when its result file and then its commit marker have each
been written to a temporary name, flushed, fsynced and renamed into place
(:mod:`datamill.atomic`). Which partitions are done is therefore read from the
markers alone; a result file without a marker is what a crash left behind and
is removed when a job starts.
"""

from __future__ import annotations

import json
from pathlib import Path

from datamill.atomic import TMP_PREFIX, write_json_atomic
from datamill.engine.results import PartitionResult

MARKER_SUFFIX = ".commit"
MARKER_FORMAT_VERSION = 1


def result_path(results_dir: Path, partition_id: str, suffix: str) -> Path:
    return results_dir / f"part-{partition_id}{suffix}"


def marker_path(results_dir: Path, partition_id: str) -> Path:
    return results_dir / f"part-{partition_id}{MARKER_SUFFIX}"


def write_marker(results_dir: Path, result: PartitionResult) -> None:
    body = {"format_version": MARKER_FORMAT_VERSION, **result.to_json()}
    write_json_atomic(marker_path(results_dir, result.partition_id), body)


def read_markers(results_dir: Path) -> dict[str, PartitionResult]:
    """Committed partitions by id, read from their markers."""
    committed: dict[str, PartitionResult] = {}
    for path in sorted(results_dir.glob("part-*" + MARKER_SUFFIX)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data.pop("format_version", None)
            result = PartitionResult.from_json(data)
        except (ValueError, TypeError, KeyError):
            # Markers are renamed into place whole; one that does not parse was
            # not written by datamill's commit. Treat its partition as not done.
            path.unlink()
            continue
        committed[result.partition_id] = result
    return committed


def remove_uncommitted(results_dir: Path) -> int:
    """Delete temporary files and results that have no marker; return how many."""
    if not results_dir.is_dir():
        return 0
    markers = {p.name[: -len(MARKER_SUFFIX)] for p in results_dir.glob("part-*" + MARKER_SUFFIX)}
    removed = 0
    for path in results_dir.iterdir():
        orphan = not path.name.endswith(MARKER_SUFFIX) and path.name.split(".")[0] not in markers
        if path.name.startswith(TMP_PREFIX) or orphan:
            path.unlink()
            removed += 1
    return removed


def base_id(commit_id: str) -> str:
    """The partition a commit belongs to (a retry round ``{id}+r{k}`` belongs to ``id``)."""
    return commit_id.split("+r", 1)[0]


def retry_round(commit_id: str) -> int:
    """0 for a partition's own commit, k for its retry round k."""
    _, _, k = commit_id.partition("+r")
    return int(k) if k else 0
