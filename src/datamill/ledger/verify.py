"""``datamill verify``: does the sink hold exactly what the ledger says was written?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import yaml

from datamill.config import load_recipe
from datamill.errors import JobError
from datamill.job.layout import JobLayout
from datamill.ledger import SUCCESS_DIR

EXAMPLES = 10


def verify(job_dir: Path) -> dict[str, Any]:
    """Keys in the sink but not in the ledger, and written ids not in the sink."""
    from datamill.job.driver import sql_sink
    from datamill.sinks.sql import keys

    config = job_dir / "config.yaml"
    if not config.exists():
        raise JobError(f"{job_dir} is not a job directory (no config.yaml).")
    recipe = load_recipe(config, raw=yaml.safe_load(config.read_text(encoding="utf-8")))
    layout = JobLayout(job_dir.name, job_dir, job_dir, job_dir / "checkpoints")
    sink = sql_sink(recipe, layout)
    if sink is None:
        raise JobError(f"Job {job_dir.name} has no SQL export; there is nothing to verify against.")
    folder = job_dir / "progress" / SUCCESS_DIR
    if folder.is_dir() and any(folder.glob("*.parquet")):
        success = ds.dataset(folder, format="parquet").to_table()
        written = success.filter(pc.fill_null(success.column("written"), True)).column(0).combine_chunks()
    else:
        written = pa.array([], pa.string())
    in_db = keys(sink.url, sink.table, sink.key)
    only_db = pc.unique(in_db.filter(pc.invert(pc.is_in(in_db, value_set=written))))
    only_ledger = pc.unique(written.filter(pc.invert(pc.is_in(written, value_set=in_db))))
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
    }
