"""``--show-stats`` / ``datamill stats``: what the ledger says, computed in Arrow.

The failed view is the failed ledger minus every id that has since succeeded,
so a record fixed by ``--retry-failed`` stops counting as failed even while
its old failure is still on disk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from datamill.ledger.segments import FAILED_DIR, SUCCESS_DIR, latest_by_id

TOP_ERRORS = 10


def _load(folder: Path, columns: list[str] | None = None) -> pa.Table | None:
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return None
    dataset = ds.dataset(folder, format="parquet")
    names = dataset.schema.names
    cols = [names[0], *[c for c in (columns or []) if c in names]]
    return dataset.to_table(columns=cols)


def ledger_stats(progress_dir: Path) -> dict[str, Any]:
    success = _load(progress_dir / SUCCESS_DIR, ["processed_at"])
    failed = _load(progress_dir / FAILED_DIR, ["step", "error_msg", "failed_at"])
    out: dict[str, Any] = {
        "successful": 0,
        "failed_unique": 0,
        "failed_records": 0,
        "by_step": {},
        "top_errors": [],
    }
    succeeded = pa.array([], pa.string())
    if success is not None:
        succeeded = success.column(0).combine_chunks()
        out["successful"] = len(pc.unique(succeeded))  # unique() is far faster than count_distinct()
        out["id_column"] = success.column_names[0]
        out["per_hour"] = _per_hour(success.column("processed_at"))
    if failed is not None:
        still = failed.filter(pc.invert(pc.is_in(failed.column(0), value_set=succeeded)))
        out["failed_records"] = still.num_rows
        still = latest_by_id(still, "failed_at")  # each record's latest failure
        out["failed_unique"] = still.num_rows
        out["by_step"] = _counts(still.column("step"))
        # group messages that differ only by ids and numbers
        shapes = pc.replace_substring_regex(still.column("error_msg"), r"[0-9a-fA-F]{8,}|\d+", "#")
        kinds = pc.utf8_slice_codeunits(shapes, 0, 120)
        out["top_errors"] = list(_counts(kinds).items())[:TOP_ERRORS]
    return out


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(column.combine_chunks()).to_pylist()
    return {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: -c["counts"])}


def _per_hour(times: pa.ChunkedArray) -> dict[str, Any]:
    if len(times) == 0:
        return {"rate": 0.0, "hours": {}}
    micros = times.cast(pa.int64()).combine_chunks()
    hour = 3_600_000_000
    counts = pc.value_counts(pc.divide(micros, hour)).to_pylist()
    label = {
        c["values"]: datetime.fromtimestamp(c["values"] * 3600, UTC).strftime("%Y-%m-%d %H:00")
        for c in counts
    }
    span = pc.min_max(micros).as_py()
    seconds = max((span["max"] - span["min"]) / 1e6, 1.0)
    hours = {label[c["values"]]: c["counts"] for c in sorted(counts, key=lambda c: c["values"])[-24:]}
    return {"rate": round(len(times) / seconds * 3600, 1), "hours": hours}


def format_stats(stats: dict[str, Any]) -> list[str]:
    lines = [
        "=== Processing statistics ===",
        f"successful: {stats['successful']:,} records",
        f"failed: {stats['failed_unique']:,} unique records ({stats['failed_records']:,} failures on record)",
    ]
    if stats["by_step"]:
        lines.append("failures by step:")
        lines += [f"  {step}: {n:,}" for step, n in stats["by_step"].items()]
    if stats["top_errors"]:
        lines.append("top error messages:")
        lines += [f"  {n:>8,}  {msg}" for msg, n in stats["top_errors"]]
    per_hour = stats.get("per_hour")
    if per_hour:
        lines.append(f"records per hour: {per_hour['rate']:,.0f}")
    return lines
