"""Failures by step, from the ledger: counts, the top messages and a few record ids each.

The counts are ``datamill stats``' (:func:`~datamill.ledger.stats.ledger_stats`,
which reads the commit index, not every id). The messages and ids of each step
come from a bounded scan of the failed ledger's files: a page needs examples,
not every record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.ledger import FAILED_DIR
from datamill.ledger.stats import ledger_files, ledger_stats

EXAMPLE_IDS = 5
TOP_MESSAGES = 3
SCAN_ROWS = 200_000
"""Rows of the failed ledger read at most for the examples."""


def failures_by_step(job_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """What failed: records by step (ledger) and whole partitions (the summary)."""
    stats = ledger_stats(job_dir)
    examples = _examples(job_dir)
    steps = [
        {
            "step": step,
            "records": count,
            "top_messages": examples.get(step, {}).get("messages", []),
            "record_ids": examples.get(step, {}).get("ids", []),
        }
        for step, count in stats.get("by_step", {}).items()
    ]
    return {
        "failed_records": stats.get("failed_unique", 0),
        "id_column": stats.get("id_column"),
        "by_step": steps,
        "top_errors": stats.get("top_errors", []),
        "failed_partitions": [
            {k: p.get(k) for k in ("partition_id", "attempts", "step", "error")}
            for p in summary.get("failed_partitions") or []
        ][:50],
    }


def _examples(job_dir: Path) -> dict[str, dict[str, Any]]:
    """For each step: the most frequent message shapes and a few ids, from at most
    :data:`SCAN_ROWS` rows of the failed ledger (newest files first)."""
    messages: dict[str, dict[str, int]] = {}
    ids: dict[str, list[str]] = {}
    scanned = 0
    for path in reversed(ledger_files(job_dir, FAILED_DIR)):
        if scanned >= SCAN_ROWS:
            break
        try:
            handle = pq.ParquetFile(path)
        except OSError:
            continue  # folded away while we looked
        id_name = handle.schema_arrow.names[0]
        for batch in handle.iter_batches(batch_size=50_000, columns=[id_name, "step", "error_msg"]):
            shapes = pc.replace_substring_regex(batch.column(2), r"[0-9a-fA-F]{8,}|\d+", "#")
            rows = zip(
                batch.column(0).cast("string").to_pylist(),
                batch.column(1).to_pylist(),
                pc.utf8_slice_codeunits(shapes, 0, 200).to_pylist(),
                strict=True,
            )
            for record_id, step, shape in rows:
                by_shape = messages.setdefault(step, {})
                by_shape[shape] = by_shape.get(shape, 0) + 1
                found = ids.setdefault(step, [])
                if len(found) < EXAMPLE_IDS and record_id not in found:
                    found.append(record_id)
            scanned += batch.num_rows
            if scanned >= SCAN_ROWS:
                break
    return {
        step: {
            "messages": sorted(shapes.items(), key=lambda kv: -kv[1])[:TOP_MESSAGES],
            "ids": ids.get(step, []),
        }
        for step, shapes in messages.items()
    }
