"""The global phase of deduplication: after every partition has committed, before export.

Each deduplicator's hashes of a partition were committed with the partition
(side files named in its marker). Here the driver takes the deduplicators in
pipeline order and, from those files alone (no text is read again), decides
which rows duplicate an earlier row (:func:`datamill.dedup.decide`: DuckDB
groups out of core, union-find over integer row ids in numpy). Each decision
is committed on its own, written atomically to
``metadata/dedup/op{KKK}-{key}.parquet``, where the key covers everything it
was decided from: the deduplicator's prefix hash (its parameters and the ops
before it), every commit's side file with its row count, and the decision
before it. A run that finds its key's file reuses it. So a kill during the
phase redoes only the deduplicators not yet decided, and an edit of the ops
after a deduplicator, which redoes the partitions but hashes the same rows to
the same values, keeps its decision.

A later deduplicator does not see the rows an earlier one dropped (in
Data-Juicer they are gone before it runs). The export leaves out every
dropped row (:func:`export_masks`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.atomic import TMP_PREFIX, atomic_path
from datamill.dedup import DocumentMinhashDeduplicatorParams as MinhashParams
from datamill.dedup import decide, minhash
from datamill.dedup.components import ClusterBuilder
from datamill.dedup.duck import DEFAULT_MEMORY_LIMIT
from datamill.engine.commit import AnyResult
from datamill.engine.partition import pipeline_ops
from datamill.engine.spec import PipelineSpec
from datamill.events import EventType
from datamill.io.readers import ROW_ID
from datamill.ops.dedup import RECORD_ID, Deduplicator, dedup_positions

Emit = Callable[..., Any]
Calls = Callable[[Callable[..., Any], list[tuple[Any, ...]]], Iterator[Any]]
"""Runs ``fn(*args)`` for each args elsewhere (Ray tasks), yielding results as they come."""
RowIds = npt.NDArray[np.int64]
_META = b"datamill.dedup"


@dataclass
class DedupReport:
    """One deduplicator's global phase, as the summary and the events tell it."""

    op_name: str
    op_index: int
    rows_in: int
    """Rows hashed (less those an earlier deduplicator dropped)."""
    clusters: int
    """Groups of duplicates: each keeps its first row."""
    rows_dropped: int
    seconds: float
    decision: str
    reused: bool
    """Decided by an earlier run, and read back."""
    ran_on: str = "driver"
    """Where the grouping ran: the driver (DuckDB), or ``ray: N band tasks``."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DedupOutcome:
    reports: list[DedupReport]
    dropped: RowIds
    """Every row id some deduplicator dropped, sorted."""


@dataclass(frozen=True)
class _Phase:
    """How this run's global phase works: where it tells, spills and groups."""

    emit: Emit
    memory_limit: str
    spill: Path
    calls: Calls | None
    """Runs MinHash's bands as tasks elsewhere (a job on Ray); None: in the driver."""


@dataclass(frozen=True)
class _Step:
    """One deduplicator's decision: what it is made from."""

    op: Deduplicator
    index: int
    files: list[Path]
    """The commits' side files holding its hashes."""
    rows: int
    dropped: RowIds
    """Rows earlier deduplicators dropped: not seen by this one."""


def has_dedup(pipeline: PipelineSpec) -> bool:
    return bool(pipeline.process) and bool(dedup_positions(pipeline_ops(pipeline)[0]))


def global_phase(
    folder: Path,
    results_dir: Path,
    pipeline: PipelineSpec,
    commits: Sequence[AnyResult],
    emit: Emit,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    calls: Calls | None = None,
) -> DedupOutcome:
    """Decide (or read back) every deduplicator's drops from ``commits``' side files.

    With ``calls`` (a job on Ray), MinHash's bands are grouped by tasks, one band
    each, read from every committed file; the driver links the clusters."""
    ops, prefixes = pipeline_ops(pipeline)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.iterdir():  # a killed run's spill folders and temporaries
        if leftover.name.startswith(("datamill-dedup-", TMP_PREFIX)):
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
    phase = _Phase(emit, memory_limit, folder, calls)
    reports: list[DedupReport] = []
    dropped: RowIds = np.empty(0, dtype=np.int64)
    key = ""
    current: set[str] = set()
    for index in dedup_positions(ops):
        op = ops[index]
        assert isinstance(op, Deduplicator)
        entries = [r.dedup[str(index)] for r in commits if str(index) in r.dedup]
        key = _key(prefixes[index], key, entries)
        path = folder / f"op{index:03d}-{key}.parquet"
        current.add(path.name)
        files = [results_dir / entry[0] for entry in entries]
        rows = sum(int(entry[1]) for entry in entries)
        report, decided = _decide(phase, _Step(op, index, files, rows, dropped), path)
        reports.append(report)
        dropped = np.union1d(dropped, decided)
    for stale in folder.glob("op*.parquet"):
        if stale.name not in current:
            stale.unlink(missing_ok=True)
    return DedupOutcome(reports, dropped)


def _key(prefix: str, before: str, sides: list[list[Any]]) -> str:
    """What a decision is made from: the deduplicator and the ops before it, each
    commit's side file (name, rows, digest of its bytes), the decision before it."""
    blob = json.dumps([prefix, before, sides], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _decide(phase: _Phase, step: _Step, path: Path) -> tuple[DedupReport, RowIds]:
    """Read back the decision at ``path``, or make and commit it; the report and the rows dropped."""
    started = time.monotonic()
    op, index, files, rows, emit = step.op, step.index, step.files, step.rows, phase.emit
    meta = _read_meta(path)
    reused = meta is not None
    emit(
        EventType.DEDUP_START,
        op_name=op.name,
        op_index=index,
        rows_in=meta["rows_in"] if meta else rows,
        partitions=len(files),
        message=f"{op.name}: {'reading the decision of an earlier run' if reused else 'grouping'} "
        f"the hashes of {meta['rows_in'] if meta else rows} rows from {len(files)} commits",
    )
    if meta is None:
        decision, meta = _make_decision(phase, step)
        with atomic_path(path) as tmp:
            pq.write_table(decision.replace_schema_metadata({_META: json.dumps(meta)}), tmp)
    else:
        decision = pq.read_table(path, columns=[ROW_ID])
    report = DedupReport(
        op_name=op.name,
        op_index=index,
        rows_in=int(meta["rows_in"]),
        clusters=int(meta["clusters"]),
        rows_dropped=decision.num_rows,
        seconds=round(time.monotonic() - started, 3),
        decision=str(path),
        reused=reused,
        ran_on=str(meta.get("ran_on", "driver")),
    )
    emit(
        EventType.DEDUP_COMPLETE,
        op_name=op.name,
        op_index=index,
        rows_in=report.rows_in,
        rows_out=report.rows_in - report.rows_dropped,
        clusters=report.clusters,
        rows_dropped=report.rows_dropped,
        duration_s=report.seconds,
        reused=report.reused,
        message=f"{op.name}: {report.rows_dropped} of {report.rows_in} rows dropped as duplicates "
        f"({report.clusters} clusters){', decided by an earlier run' if report.reused else ''}",
    )
    return report, decision.column(ROW_ID).to_numpy()


def _make_decision(phase: _Phase, step: _Step) -> tuple[pa.Table, dict[str, Any]]:
    """Group the step's hashes (less the rows earlier deduplicators dropped): the rows to
    drop, and the facts the decision file keeps beside them."""
    op, index, files, rows = step.op, step.index, step.files, step.rows
    source: pa.Table | list[Path] = files
    if len(step.dropped):
        source = _without(files, step.dropped)
        rows = source.num_rows
    progress = _progress(op, index, rows, phase.emit)
    ran_on = "driver"
    if phase.calls is not None and isinstance(source, list) and isinstance(op.dedup, MinhashParams):
        bands = minhash.band_columns(op.dedup)
        decision = _bands_as_tasks(phase.calls, bands, [str(f) for f in files], phase.memory_limit, progress)
        ran_on = f"ray: {len(bands)} band tasks"
    else:
        decision = decide(
            op.dedup,
            source,
            ROW_ID,
            memory_limit=phase.memory_limit,
            spill_dir=phase.spill,
            progress=progress,
        )
    clusters = len(pc.unique(decision.column("dup_of"))) if decision.num_rows else 0
    meta = {"op_name": op.name, "op_index": index, "rows_in": rows, "clusters": clusters, "ran_on": ran_on}
    return decision, meta


PROGRESS_EVERY_S = 1.0
"""At most one ``DEDUP_PROGRESS`` event per this many seconds."""


def _progress(op: Deduplicator, index: int, rows_in: int, emit: Emit) -> Callable[[int, int], None]:
    """A ``DEDUP_PROGRESS`` event as the search goes (bands grouped, SimHash block choices searched)."""
    last = time.monotonic()

    def tell(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY_S:
            return
        last = time.monotonic()
        emit(
            EventType.DEDUP_PROGRESS,
            op_name=op.name,
            op_index=index,
            rows_in=rows_in,
            value=round(done / total, 4),
            message=f"{op.name}: {done} of {total} {'bands' if 'minhash' in op.name else 'block choices'} "
            "searched",
        )

    return tell


def _bands_as_tasks(
    calls: Calls, bands: list[str], files: list[str], memory_limit: str, progress: Callable[[int, int], None]
) -> pa.Table:
    """MinHash's decision with each band grouped by a task of its own; clusters linked here."""
    clusters = ClusterBuilder()
    tasks = [(files, ROW_ID, band, memory_limit) for band in bands]
    for done, (u, v) in enumerate(calls(minhash.band_task, tasks), 1):
        clusters.add(u, v)
        if done < len(bands):
            progress(done, len(bands))
    return clusters.drops(ROW_ID)


def _read_meta(path: Path) -> dict[str, Any] | None:
    """A committed decision's facts, or None if there is none (or it does not read)."""
    try:
        meta = pq.read_schema(path).metadata or {}
        facts: dict[str, Any] = json.loads(meta[_META])
        return facts
    except FileNotFoundError:
        return None
    except Exception:  # a damaged file: decide again
        path.unlink(missing_ok=True)
        return None


def _without(files: list[Path], dropped: RowIds) -> pa.Table:
    """The hashes in ``files`` of the rows not in ``dropped``."""
    tables = [pq.read_table(f) for f in files]
    if not tables:
        return pa.table({ROW_ID: pa.array([], pa.int64())})
    table = pa.concat_tables(tables)
    gone = pc.is_in(table.column(ROW_ID), value_set=pa.array(dropped))
    return table.filter(pc.invert(gone))


def export_masks(results_dir: Path, parts: Sequence[AnyResult], dropped: RowIds) -> list[Any]:
    """For each part, None (keep every row) or a boolean mask of the rows to keep."""
    masks: list[Any] = []
    for result in parts:
        if not result.rows_file or not len(dropped):
            masks.append(None)
            continue
        rows = pq.read_table(results_dir / result.rows_file).column(0).to_numpy()
        keep = ~np.isin(rows, dropped)
        masks.append(None if keep.all() else keep)
    return masks


def write_duplicates(
    dest: Path, results_dir: Path, pipeline: PipelineSpec, commits: Sequence[AnyResult], outcome: DedupOutcome
) -> int:
    """``duplicates.parquet``: each dropped row (record id and row id) with the row
    it duplicates, and the deduplicator that dropped it. Returns its rows."""
    import duckdb

    from datamill.dedup.duck import sql_name, sql_str

    selects = []
    for report in outcome.reports:
        op = str(report.op_index)
        files = [results_dir / r.dedup[op][0] for r in commits if op in r.dedup]
        if not files or not report.rows_dropped:
            continue
        side = f"read_parquet([{', '.join(sql_str(f) for f in files)}])"
        rid, rec = sql_name(ROW_ID), sql_name(RECORD_ID)
        selects.append(
            f"""SELECT {report.op_index}::INTEGER AS op_index, {sql_str(report.op_name)} AS op_name,
                   a.{rec} AS id, b.{rec} AS duplicate_of, d.{rid} AS "row", d.dup_of AS duplicate_of_row
            FROM read_parquet({sql_str(report.decision)}) d
            JOIN (SELECT {rid}, {rec} FROM {side}) a ON a.{rid} = d.{rid}
            JOIN (SELECT {rid}, {rec} FROM {side}) b ON b.{rid} = d.dup_of"""
        )
    con = duckdb.connect()
    try:
        con.execute("SET threads=2")
        if not selects:
            table = pa.table(
                {
                    "op_index": pa.array([], pa.int32()),
                    "op_name": pa.array([], pa.string()),
                    "id": pa.array([], pa.string()),
                    "duplicate_of": pa.array([], pa.string()),
                    "row": pa.array([], pa.int64()),
                    "duplicate_of_row": pa.array([], pa.int64()),
                }
            )
        else:
            query = " UNION ALL ".join(selects) + ' ORDER BY op_index, "row"'
            table = con.sql(query).to_arrow_table()
    finally:
        con.close()
    with atomic_path(dest) as tmp:
        pq.write_table(table, tmp)
    return int(table.num_rows)
