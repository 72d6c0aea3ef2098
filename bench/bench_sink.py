"""Benchmark: the SQL sink when the database refuses some rows.

Rows are upserted in batches into a table with a CHECK constraint that
refuses ``--bad`` of them (spread at random). Three ways to find the refused
rows of a batch the database rejected are timed, on SQLite and (with
``DATAMILL_TEST_PG_URL``) PostgreSQL:
- ``bisect``: the sink's own (cut the batch in halves until the refused rows
  stand alone);
- ``row_by_row``: write each row of a rejected batch in its own transaction;
- ``clean``: the same rows, none refused (the floor).

Wall times on a shared machine swing with its disk (every commit is an
fsync); the commits and rollbacks counted beside them do not.

    python bench/bench_sink.py [--rows 20000] [--batch 1000] [--bad 0.03] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from datamill.sinks import sql


def row_by_row(
    eng: sa.Engine, statement: sa.Insert, rows: list[dict[str, Any]], offset: int
) -> list[sql.Refused]:
    try:
        with eng.begin() as conn:
            conn.execute(statement, rows)
        return []
    except sql.ROW_ERRORS:
        pass
    refused = []
    for i, row in enumerate(rows):
        try:
            with eng.begin() as conn:
                conn.execute(statement, [row])
        except sql.ROW_ERRORS as exc:
            refused.append(sql.Refused(offset + i, sql.db_message(exc)))
    return refused


def run(url: str, table: pa.Table, batch: int, strategy: str) -> tuple[float, int, int, int]:
    name = f"b_{uuid.uuid4().hex[:8]}"
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(
            sa.text(f"CREATE TABLE {name} (id TEXT PRIMARY KEY, n BIGINT CHECK (n >= 0), text TEXT)")
        )
    original = sql._write
    if strategy == "row_by_row":
        sql._write = row_by_row
    ends = {"commit": 0, "rollback": 0}
    listeners = {kind: (lambda *_, k=kind: ends.__setitem__(k, ends[k] + 1)) for kind in ends}
    for kind, fn in listeners.items():
        sa.event.listen(sql.engine(url), kind, fn)
    try:
        started = time.perf_counter()
        refused = sql.upsert(table, url, name, "id", batch)
        seconds = time.perf_counter() - started
    finally:
        sql._write = original
        for kind, fn in listeners.items():
            sa.event.remove(sql.engine(url), kind, fn)
        with eng.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {name}"))
        eng.dispose()
    return seconds, len(refused), ends["commit"], ends["rollback"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--bad", type=float, default=0.03)
    p.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is shown")
    args = p.parse_args()
    rng = random.Random(11)
    ns = [-1 if rng.random() < args.bad else i for i in range(args.rows)]
    text = [f"row {i} " + "word " * 20 for i in range(args.rows)]
    ids = [f"id{i:07d}" for i in range(args.rows)]
    dirty = pa.table({"id": ids, "n": ns, "text": text})
    clean = pa.table({"id": ids, "n": list(range(args.rows)), "text": text})
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        if os.environ.get("DATAMILL_TEST_PG_URL"):
            urls["postgresql"] = os.environ["DATAMILL_TEST_PG_URL"]
        print(f"{args.rows:,} rows, batches of {args.batch}, {sum(n < 0 for n in ns):,} refused")
        for db, url in urls.items():
            for strategy, data in (("clean", clean), ("bisect", dirty), ("row_by_row", dirty)):
                runs = [run(url, data, args.batch, strategy) for _ in range(args.repeat)]
                seconds, refused, commits, rollbacks = min(runs)
                rate = f"{args.rows / seconds:9,.0f} rows/s"
                ends = f"{commits:6,} commits {rollbacks:6,} rollbacks"
                print(f"  {db:10} {strategy:10} {seconds:7.2f}s {rate} {ends}  {refused} refused", flush=True)


if __name__ == "__main__":
    main()
