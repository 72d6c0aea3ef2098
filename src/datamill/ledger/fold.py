"""Folding the ledger's segments into seed 000's three files at the job's root.

A commit writes one success segment (and, if any record failed, one failed
segment) under ``ledger/``. A fold takes the segments of committed
partitions, with the root files as they are, and writes:

- ``successful_tokens.parquet``: one row per record id (the latest, when an id
  was processed twice: a duplicate id in the input, or a partition redone);
- ``failed_history.parquet``: every failure ever recorded, one row per attempt;
- ``failed_tokens.parquet``: the current failed set, derived from the two
  above: each id's latest failure, unless the id succeeded since.

Then it removes the segments it folded. The three files are written under
temporary names and committed together through the fold index (see
:func:`datamill.ledger.finish_fold`), so a fold stopped anywhere is completed
or undone by the next one, and no row is ever in both a segment and a root
file once a fold has committed. DuckDB does the reading, the deduplication
and the anti-join, with its memory capped; pyarrow writes the files, in the
ledger's compact encoding. A fold reads and rewrites the whole ledger, so the
driver spaces its folds (see :class:`datamill.job.folding.Folder`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datamill.atomic import TMP_PREFIX, write_json_atomic
from datamill.engine.commit import ResultsScan, part_id
from datamill.errors import JobError
from datamill.ledger import (
    FAILED_DIR,
    FAILED_FILE,
    FOLD_FORMAT_VERSION,
    FOLD_INDEX,
    HISTORY_FILE,
    LEDGER_DIR,
    SUCCESS_DIR,
    SUCCESS_FILE,
    finish_fold,
    read_fold_index,
)
from datamill.ledger.damage import reading
from datamill.ledger.segments import failed_schema, ledger_write_options, success_schema
from datamill.ledger.state import root_files_damaged

DUCKDB_MEMORY = "1000MB"
ROW_GROUP = 1 << 20
"""Rows per row group of a root file (segments hold one partition each)."""
ROOT_FILES = (SUCCESS_FILE, HISTORY_FILE, FAILED_FILE)
READ = "read_parquet($files, filename=true, union_by_name=true)"
"""The ledger files of a query, given as its ``files`` parameter."""


@dataclass(frozen=True)
class FoldReport:
    """What one fold did."""

    commits: int
    """Commits whose segments it took in."""
    successful: int
    failed: int
    """Rows of the current failed set."""
    history: int
    duplicate_ids: int
    """Ids this fold found processed in two different partitions (or twice in one)."""
    seconds: float


@dataclass
class _Sources:
    success: list[Path]
    failed: list[Path]
    segments: list[Path]
    """What the fold replaces: segments and the compacted files of older releases."""
    commits: list[str]


def fold(job_dir: Path, id_col: str) -> FoldReport | None:
    """Fold what was committed since the last fold; None if the root files are up to date.

    The caller holds the job's lock (the driver, or a ``ledger`` command), or
    is the driver's fold process: no other fold runs meanwhile."""
    started = time.monotonic()
    finish_fold(job_dir)
    index_path = job_dir / LEDGER_DIR / FOLD_INDEX
    index = read_fold_index(index_path)
    recorded: dict[str, int] = index.get("files", {})
    lost = root_files_damaged(job_dir)
    if lost:
        raise JobError(lost.replace("are done again", "are done again by the next run of the job"))
    new = _new_sources(job_dir)
    if not new.segments and all(_size(job_dir / n) == recorded.get(n) for n in ROOT_FILES):
        return None
    success = [job_dir / SUCCESS_FILE] if SUCCESS_FILE in recorded else []
    history = [job_dir / HISTORY_FILE] if HISTORY_FILE in recorded else []
    temps = {name: job_dir / f"{TMP_PREFIX}fold-{name}" for name in ROOT_FILES}
    write_json_atomic(index_path, index | {"writing": [t.name for t in temps.values()]})
    id_col = _id_column([*success, *new.success], id_col)
    counts = write_root_files(
        [*success, *new.success], [*history, *new.failed], temps, id_col, job_dir / "staging"
    )
    index.pop("writing", None)
    index["format_version"] = FOLD_FORMAT_VERSION
    index["partitions"] = sorted(set(index.get("partitions", [])) | set(new.commits))
    index["files"] = {name: temps[name].stat().st_size for name in ROOT_FILES}
    index["duplicate_ids"] = index.get("duplicate_ids", 0) + counts["duplicate_ids"]
    index["pending"] = {
        "rename": [[temps[name].name, name] for name in ROOT_FILES],
        "remove": [str(p.relative_to(job_dir)) for p in new.segments],
    }
    write_json_atomic(index_path, index)  # the commit point
    finish_fold(job_dir)
    return FoldReport(
        len(new.commits),
        counts["successful"],
        counts["failed"],
        counts["history"],
        counts["duplicate_ids"],
        round(time.monotonic() - started, 3),
    )


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _id_column(sources: list[Path], default: str) -> str:
    if not sources:
        return default
    with reading(sources[0]):
        return str(pq.read_schema(sources[0]).names[0])


def _new_sources(job_dir: Path) -> _Sources:
    """Segments of committed partitions (all generations) not folded yet."""
    ledger = job_dir / LEDGER_DIR
    found = _Sources([], [], [], [])
    generations = [(ledger, job_dir / "results", "")]
    history = job_dir / "history"
    if history.is_dir():
        generations += [(ledger, gen / "results", gen.name) for gen in sorted(history.glob("gen*"))]
    for root, results, sub in generations:
        committed = set(ResultsScan.of(results).markers)
        for kind, out in ((SUCCESS_DIR, found.success), (FAILED_DIR, found.failed)):
            for path in _parquet_files(root / kind / sub):
                cid = part_id(path.name)
                if path.name.startswith("compacted-") or cid in committed:
                    out.append(path)
                    found.segments.append(path)
                    if not sub and not path.name.startswith("compacted-"):
                        found.commits.append(cid)
    found.commits = sorted(set(found.commits))
    return found


def _parquet_files(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as it:
            return sorted(
                Path(e.path)
                for e in it
                if e.is_file() and e.name.endswith(".parquet") and not e.name.startswith((".", "_"))
            )
    except FileNotFoundError:
        return []


def connect(spill_dir: Path) -> Any:
    """A DuckDB connection for the ledger: memory capped, UTC, no progress bar."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit='{DUCKDB_MEMORY}'")
    spill_dir.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory='{str(spill_dir / 'duckdb.tmp')!s}'".replace("\\", "/"))
    con.execute("SET preserve_insertion_order=false")
    con.execute("SET enable_progress_bar=false")
    con.execute("SET TimeZone='UTC'")
    con.execute("SET threads=1")
    return con


def write_root_files(
    success: list[Path], failed: list[Path], dest: dict[str, Path], id_col: str, spill_dir: Path
) -> dict[str, int]:
    """Write the three root files from ledger files (segments, earlier root
    files, other jobs' root files) to ``dest``; return their row counts."""
    con = connect(spill_dir)
    try:
        q = _quote(id_col)
        counts = {"duplicate_ids": 0}
        if success:
            src = READ
            dups = con.sql(
                f"SELECT hash({q}) AS h FROM {src} GROUP BY h HAVING count(*) > 1", params=_params(success)
            ).to_arrow_table()
            if dups.num_rows:
                counts["duplicate_ids"], query = _deduplicated(con, src, q, dups, success)
            else:
                query = f"SELECT {q}, processed_at, batch_num, written FROM {src}"
            counts["successful"] = _write(
                con, query, _params(success), dest[SUCCESS_FILE], success_schema(id_col)
            )
        else:
            counts["successful"] = _write_empty(dest[SUCCESS_FILE], success_schema(id_col))
        fschema = failed_schema(id_col)
        if failed:
            cols = f"{q}, error_msg, batch_num, step, failed_at"
            counts["history"] = _write(
                con, f"SELECT {cols} FROM {READ}", _params(failed), dest[HISTORY_FILE], fschema
            )
            done = f"read_parquet('{_sql_path(dest[SUCCESS_FILE])}')"
            current = (
                f"SELECT {cols} FROM read_parquet('{_sql_path(dest[HISTORY_FILE])}') AS f "
                f"WHERE NOT EXISTS (SELECT 1 FROM {done} AS s "
                f"WHERE s.{q} = f.{q} AND s.processed_at >= f.failed_at) "
                f"QUALIFY row_number() OVER (PARTITION BY f.{q} ORDER BY f.failed_at DESC) = 1"
            )
            counts["failed"] = _write(con, current, {}, dest[FAILED_FILE], fschema)
        else:
            counts["history"] = _write_empty(dest[HISTORY_FILE], fschema)
            counts["failed"] = _write_empty(dest[FAILED_FILE], fschema)
        return counts
    finally:
        con.close()


def _deduplicated(con: Any, src: str, q: str, dups: pa.Table, files: list[Path]) -> tuple[int, str]:
    """The success query keeping one row per id (its latest), and how many ids
    were processed in two partitions or twice in one file. (A partition
    redone after a fold gives its ids again with the same ``batch_num``, in
    another file: not a duplicate of the input.)"""
    con.register("dup_hashes", dups)
    params = _params(files)
    rows = con.sql(
        f"SELECT {q}, processed_at, batch_num, written, filename FROM {src} "
        "WHERE hash(" + q + ") IN (SELECT h FROM dup_hashes)",
        params=params,
    ).to_arrow_table()
    con.register("dup_rows", rows)
    found = con.sql(
        f"SELECT count(*) FROM (SELECT {q} FROM dup_rows GROUP BY {q} "
        "HAVING count(DISTINCT batch_num) > 1 OR count(*) > count(DISTINCT filename))"
    ).fetchall()[0]
    query = (
        f"SELECT {q}, processed_at, batch_num, written FROM {src} "
        f"WHERE hash({q}) NOT IN (SELECT h FROM dup_hashes) "
        f"UNION ALL SELECT {q}, processed_at, batch_num, written FROM dup_rows "
        f"QUALIFY row_number() OVER (PARTITION BY {q} ORDER BY processed_at DESC, batch_num DESC) = 1"
    )
    return int(found[0] if found else 0), query


def _params(files: list[Path]) -> dict[str, Any]:
    return {"files": [str(p) for p in files]}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _write(con: Any, query: str, params: dict[str, Any], dest: Path, schema: pa.Schema) -> int:
    """Stream a query's rows into a Parquet file in the ledger's encoding."""
    reader = con.sql(query, params=params or None).to_arrow_reader(ROW_GROUP)
    rows = 0
    with pq.ParquetWriter(dest, schema, **ledger_write_options(schema)) as writer:
        for batch in reader:
            table = pa.Table.from_batches([batch]).rename_columns(schema.names).cast(schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
            rows += table.num_rows
    _fsync(dest)
    return rows


def _write_empty(dest: Path, schema: pa.Schema) -> int:
    pq.write_table(schema.empty_table(), dest, **ledger_write_options(schema))
    _fsync(dest)
    return 0


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _die_with_driver(driver: int) -> None:
    """Be killed when the fork server that started this process dies, which it
    does when the driver dies (:mod:`datamill.lifeline`): a fold outliving its
    driver would race the next run's. (The fold index makes a fold killed
    anywhere harmless.)"""
    from datamill.lifeline import die_with_parent

    die_with_parent()
    try:
        os.kill(driver, 0)
    except ProcessLookupError:
        raise SystemExit(1) from None  # the driver died before the line above


def fold_child(job_dir: str, id_col: str, driver: int, umask: int, conn: Any) -> None:
    """The driver's fold process: fold, and send back the report (or one line of error)."""
    from dataclasses import asdict

    from datamill.errors import brief

    _die_with_driver(driver)
    os.umask(umask)
    try:
        report = fold(Path(job_dir), id_col)
    except Exception as exc:  # the driver keeps the segments, says so, and goes on
        conn.send(("error", brief(f"{type(exc).__name__}: {exc}")))
    else:
        conn.send(("ok", asdict(report) if report else None))
    finally:
        conn.close()
