"""``datamill verify``: does the sink hold exactly what the ledger says was written?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from datamill.config import load_recipe
from datamill.errors import JobError
from datamill.job.layout import JobLayout
from datamill.ledger import SUCCESS_DIR, SUCCESS_FILE
from datamill.ledger.damage import reading
from datamill.ledger.stats import ledger_files

EXAMPLES = 10


def verify(job_dir: Path) -> dict[str, Any]:
    """Keys in the sink but not in the ledger, and written ids not in the sink."""
    from datamill.job.driver import sql_sink
    from datamill.sinks.sql import keys

    config = job_dir / "config.yaml"
    if not config.exists():
        raise JobError(f"{job_dir} is not a job directory (no config.yaml).")
    recipe = load_recipe(config)
    layout = JobLayout(job_dir.name, job_dir, job_dir, job_dir / "checkpoints")
    sink = sql_sink(recipe, layout)
    if sink is None:
        raise JobError(f"Job {job_dir.name} has no SQL export; there is nothing to verify against.")
    files = ledger_files(job_dir, SUCCESS_DIR)
    root = job_dir / SUCCESS_FILE
    # ``len(successful_tokens)`` as seed 000's check reads it (once every segment is folded)
    with reading(root):
        rows = pq.read_metadata(root).num_rows if files == [root] else None
    filtered = 0
    if files:
        success = ds.dataset([str(f) for f in files], format="parquet").to_table()
        kept = pc.fill_null(success.column("written"), True)
        written = success.filter(kept).column(0).combine_chunks().cast(pa.string())
        removed = success.filter(pc.invert(kept)).column(0).combine_chunks().cast(pa.string())
        filtered = len(pc.unique(removed))
    else:
        written = pa.array([], pa.string())
    in_db = keys(sink.url, sink.table, sink.key)
    only_db = pc.unique(in_db.filter(pc.invert(pc.is_in(in_db, value_set=written))))
    only_ledger = pc.unique(written.filter(pc.invert(pc.is_in(written, value_set=in_db))))
    from datamill.ledger import FOLD_INDEX, LEDGER_DIR, read_fold_index

    duplicates = read_fold_index(job_dir / LEDGER_DIR / FOLD_INDEX).get("duplicate_ids", 0)
    return {
        "table": sink.table,
        "sink_keys": len(in_db),
        "sink_unique_keys": pc.count_distinct(in_db).as_py(),
        "ledger_written": pc.count_distinct(written).as_py(),
        "in_sink_not_in_ledger": len(only_db),
        "in_ledger_not_in_sink": len(only_ledger),
        "examples_sink_only": only_db.slice(0, EXAMPLES).to_pylist(),
        "examples_ledger_only": only_ledger.slice(0, EXAMPLES).to_pylist(),
        "clean": len(only_db) == 0 and len(only_ledger) == 0,
        "filtered": filtered,
        "successful_tokens_rows": rows,
        "duplicate_ids": duplicates,
    }


def explain(result: dict[str, Any]) -> list[str]:
    """Why the table's row count and ``len(successful_tokens)`` differ, in words."""
    lines = []
    successful_rows = result["successful_tokens_rows"]
    if successful_rows is not None:
        diff = result["sink_keys"] - successful_rows
        lines.append(
            f"the table has {result['sink_keys']:,} rows and successful_tokens.parquet "
            f"{successful_rows:,}: a difference of {diff:,}."
        )
    if result["filtered"]:
        lines.append(
            f"{result['filtered']:,} records were processed but removed by a filter: they are in "
            "successful_tokens.parquet (written = false) and not in the table."
        )
    if result["duplicate_ids"]:
        lines.append(
            f"{result['duplicate_ids']:,} ids appeared more than once in the input: each is one row of "
            "the table (upserted on the key) and one row of successful_tokens.parquet, its latest."
        )
    if result["in_sink_not_in_ledger"]:
        lines.append(
            f"{result['in_sink_not_in_ledger']:,} keys in the table are not in the ledger as written "
            "(rows from another job, or inserted by hand?)."
        )
    if result["in_ledger_not_in_sink"]:
        lines.append(
            f"{result['in_ledger_not_in_sink']:,} records the ledger says were written are missing "
            "from the table (deleted from it since they were inserted?)."
        )
    return lines
