"""``--show-stats`` / ``datamill stats``: what the ledger says.

The failed view is every failure on record minus the records that have since
succeeded, so a record fixed by ``--retry-failed`` stops counting as failed
even while its old failure is still on disk.

Two ways to compute it, which agree (the tests hold them to it):

- the default reads the commit index of each generation of the job (one
  small file, :class:`~datamill.engine.commit.CommitIndex`) plus whatever
  ledger files no commit accounts for (merged ones). Whether a commit's
  segments were folded into the root files does not matter: its counts are
  in the index either way.
  Success counts and per-hour rates come from each commit's counts, failures
  from the commits that had any, and the records that recovered from each
  commit's ``recovered`` list. Ten million records take well under a second.
- ``exact`` scans every id in the ledger with Arrow. It also catches an id
  that appears twice in the input (once failed, once succeeded), which the
  default counts as one success and one failure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datamill.engine.commit import AnyResult, CommitIndex
from datamill.ledger import (
    FAILED_DIR,
    FAILED_FILE,
    HISTORY_FILE,
    LEDGER_DIR,
    SUCCESS_DIR,
    SUCCESS_FILE,
    segment_name,
)
from datamill.ledger.damage import reading
from datamill.ledger.segments import TIMESTAMP, latest_by_id

TOP_ERRORS = 10
HOUR_US = 3_600_000_000
FAILURE_COLUMNS = ["id", "error_msg", "step", "failed_at"]


@dataclass(frozen=True)
class Generation:
    """One run of a job directory on one input: its commits and where its segments are."""

    results: Path
    index: Path
    subdir: str
    """Its segments' folder inside each ledger folder ("" for the current run)."""


def generations(job_dir: Path) -> list[Generation]:
    """The current run of ``job_dir`` and the ones ``--skip-processed`` archived."""
    gens = [Generation(job_dir / "results", job_dir / "metadata" / "commits.tsv", "")]
    history = job_dir / "history"
    if history.is_dir():
        for gen in sorted(history.glob("gen*")):
            gens.append(Generation(gen / "results", gen / "metadata" / "commits.tsv", gen.name))
    return gens


def _files(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as it:
            return [
                e.name for e in it if e.is_file() and e.name.endswith(".parquet") and e.name[0] not in "._"
            ]
    except FileNotFoundError:
        return []


class _Tally:
    def __init__(self) -> None:
        self.successful = 0
        self.hours: dict[int, int] = {}
        self.first_us: int | None = None
        self.last_us: int | None = None
        self.failed: list[pa.Table] = []
        self.failed_rows: dict[str, list[Any]] = {"id": [], "error_msg": [], "step": [], "failed_at": []}
        self.recovered: list[str] = []
        self.id_column: str | None = None

    def success(self, rows: int, at_us: int) -> None:
        if rows <= 0:
            return  # (a commit whose every row was skipped: its segment is empty, it has no time)
        self.successful += rows
        hour = at_us // HOUR_US
        self.hours[hour] = self.hours.get(hour, 0) + rows
        self._span(at_us, at_us)

    def _span(self, first: int, last: int) -> None:
        self.first_us = first if self.first_us is None else min(first, self.first_us)
        self.last_us = last if self.last_us is None else max(last, self.last_us)

    def commit(self, result: AnyResult, ledger: Path, gen: Generation) -> None:
        at = result.ledger.get("processed_at")
        if at is None:  # a marker from before the ledger recorded its time
            at = _segment_time(ledger / SUCCESS_DIR / gen.subdir / segment_name(result.partition_id))
        self.success(result.rows_read - result.n_bad - result.n_quarantined, at)
        if result.n_bad or result.n_quarantined:
            full = result.full()
            when = datetime.fromtimestamp(at / 1e6, UTC).isoformat()
            rows = self.failed_rows
            for b in full.bad_rows:
                rows["id"].append(str(b["id"]))
                rows["error_msg"].append(b["reason"])
                rows["step"].append("read")
                rows["failed_at"].append(when)
            for q in full.quarantined:
                rows["id"].append(str(q["id"]))
                rows["error_msg"].append(q["error_msg"])
                rows["step"].append(q["step"])
                rows["failed_at"].append(q.get("failed_at") or when)
        self.recovered_only(result)

    def recovered_only(self, result: AnyResult) -> None:
        if result.n_recovered:
            self.recovered.extend(result.full().recovered)

    def failures(self) -> pa.Table:
        """Every failure on record: id, error_msg, step, failed_at."""
        rows = self.failed_rows
        from_commits = pa.Table.from_arrays(
            [
                _strings(rows["id"]),
                _strings(rows["error_msg"]),
                _strings(rows["step"]),
                _strings(rows["failed_at"]).cast(TIMESTAMP),
            ],
            names=FAILURE_COLUMNS,
        )
        return pa.concat_tables([from_commits, *self.failed])

    def success_file(self, path: Path) -> None:
        """A ledger file no commit accounts for: its rows, by hour."""
        with reading(path):
            table = pq.read_table(path, columns=["processed_at"])
            self.id_column = self.id_column or pq.read_schema(path).names[0]
        micros = table.column(0).cast(pa.int64()).combine_chunks()
        hours = pc.value_counts(pc.divide(micros, HOUR_US)).to_pylist()
        self.successful += table.num_rows
        if table.num_rows:
            span = pc.min_max(micros).as_py()
            self._span(span["min"], span["max"])
        for c in hours:
            self.hours[c["values"]] = self.hours.get(c["values"], 0) + c["counts"]

    def failed_file(self, path: Path) -> None:
        with reading(path):
            table = pq.read_table(path)
        names = table.column_names
        self.failed.append(
            pa.Table.from_arrays(
                [
                    table.column(names[0]).cast(pa.string()),
                    table.column("error_msg"),
                    table.column("step"),
                    table.column("failed_at").cast(TIMESTAMP),
                ],
                names=FAILURE_COLUMNS,
            )
        )


def _strings(values: list[str]) -> pa.Array:
    """A string array; an empty one without ``pa.array``, which imports pandas (0.1 s)."""
    return pa.array(values, pa.string()) if values else pa.nulls(0, pa.string())


def _segment_time(path: Path) -> int:
    try:
        column = pq.read_table(path, columns=["processed_at"]).column(0)
        return int(column[0].value) if len(column) else 0
    except (OSError, pa.ArrowInvalid):
        return 0


def ledger_stats(job_dir: Path, exact: bool = False) -> dict[str, Any]:
    """The statistics of the job in ``job_dir`` (see the module's docstring)."""
    if exact:
        return exact_ledger_stats(job_dir)
    return _summarise(_tally(job_dir))


def still_failed(job_dir: Path) -> pa.Array:
    """The ids of the failed view: failed, and not succeeded since."""
    failed_dir = job_dir / LEDGER_DIR / FAILED_DIR
    history = job_dir / HISTORY_FILE
    with reading(history):
        never = not history.exists() or pq.read_metadata(history).num_rows == 0
    if never and (not failed_dir.is_dir() or next(failed_dir.rglob("*.parquet"), None) is None):
        return pa.nulls(0, pa.string())  # nothing ever failed: no need to read the commits
    tally = _tally(job_dir)
    failed = tally.failures()
    ids = failed.column(0).combine_chunks()
    return pc.unique(ids.filter(pc.invert(pc.is_in(ids, value_set=_strings(tally.recovered)))))


def _tally(job_dir: Path) -> _Tally:
    ledger = job_dir / LEDGER_DIR
    tally = _Tally()
    any_commit = False
    for gen in generations(job_dir):
        commits = CommitIndex(gen.index).peek(gen.results)
        any_commit = any_commit or bool(commits)
        for result in commits.values():
            tally.commit(result, ledger, gen)
        accounted = {segment_name(cid) for cid in commits}
        for name in _files(ledger / SUCCESS_DIR / gen.subdir):
            if name not in accounted and not name.startswith("compacted-"):
                tally.success_file(ledger / SUCCESS_DIR / gen.subdir / name)
        for name in _files(ledger / FAILED_DIR / gen.subdir):
            if name not in accounted and not name.startswith("compacted-"):
                tally.failed_file(ledger / FAILED_DIR / gen.subdir / name)
    if not any_commit:  # a ledger made by `ledger merge`: its root files are all there is
        if (job_dir / SUCCESS_FILE).exists():
            tally.success_file(job_dir / SUCCESS_FILE)
        if (job_dir / FAILED_FILE).exists():
            tally.failed_file(job_dir / FAILED_FILE)
    tally.id_column = tally.id_column or _id_column(job_dir)
    return tally


def _id_column(job_dir: Path) -> str | None:
    for path in [job_dir / SUCCESS_FILE, *ledger_files(job_dir, SUCCESS_DIR)[:1]]:
        if path.exists():
            with reading(path):
                return str(pq.read_schema(path).names[0])
    return None


def ledger_files(job_dir: Path, kind: str) -> list[Path]:
    """Every file holding records of one ledger (``success`` or ``failed``): the
    root file a fold wrote, and the segments (all generations) not folded yet."""
    root = job_dir / (SUCCESS_FILE if kind == SUCCESS_DIR else HISTORY_FILE)
    folder = job_dir / LEDGER_DIR / kind
    segs = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    return [root] * root.exists() + [f for f in segs if not f.name.startswith((".", "_"))]


def _summarise(tally: _Tally) -> dict[str, Any]:
    failed = tally.failures()
    out: dict[str, Any] = {
        "successful": tally.successful,
        "failed_unique": 0,
        "failed_records": 0,
        "by_step": {},
        "top_errors": [],
    }
    if tally.id_column:
        out["id_column"] = tally.id_column
    if tally.successful:
        out["per_hour"] = _hours(tally.hours, tally.first_us or 0, tally.last_us or 0)
    if failed.num_rows:
        recovered = _strings(tally.recovered)
        _failed_view(failed, recovered, out)
    return out


def _failed_view(failed: pa.Table, succeeded: pa.Array, out: dict[str, Any]) -> None:
    """Fill ``out`` with the failures of records that never succeeded since."""
    still = failed.filter(pc.invert(pc.is_in(failed.column(0), value_set=succeeded)))
    out["failed_records"] = still.num_rows
    still = latest_by_id(still, "failed_at")  # each record's latest failure
    out["failed_unique"] = still.num_rows
    out["by_step"] = _counts(still.column("step"))
    # group messages that differ only by ids and numbers
    shapes = pc.replace_substring_regex(still.column("error_msg"), r"[0-9a-fA-F]{8,}|\d+", "#")
    kinds = pc.utf8_slice_codeunits(shapes, 0, 120)
    out["top_errors"] = [[kind, n] for kind, n in _counts(kinds).items()][:TOP_ERRORS]


def _hours(hours: dict[int, int], first_us: int, last_us: int) -> dict[str, Any]:
    """Records per hour over the time the records were processed, and the last 24 hours' counts."""
    total = sum(hours.values())
    seconds = max((last_us - first_us) / 1e6, 1.0)
    labels = {
        h: datetime.fromtimestamp(h * 3600, UTC).strftime("%Y-%m-%d %H:00") for h in sorted(hours)[-24:]
    }
    return {"rate": round(total / seconds * 3600, 1), "hours": {labels[h]: hours[h] for h in labels}}


def _load(files: list[Path], columns: list[str] | None = None) -> pa.Table | None:
    import pyarrow.dataset as ds  # imports pandas: only for the exact scan

    if not files:
        return None
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    names = dataset.schema.names
    cols = [names[0], *[c for c in (columns or []) if c in names]]
    return dataset.to_table(columns=cols)


def exact_ledger_stats(job_dir: Path) -> dict[str, Any]:
    """The statistics from a scan of every id in the ledger (all generations)."""
    success = _load(ledger_files(job_dir, SUCCESS_DIR), ["processed_at"])
    failed = _load(ledger_files(job_dir, FAILED_DIR), ["error_msg", "step", "failed_at"])
    out: dict[str, Any] = {
        "successful": 0,
        "failed_unique": 0,
        "failed_records": 0,
        "by_step": {},
        "top_errors": [],
    }
    succeeded = pa.array([], pa.string())
    if success is not None and success.num_rows:
        succeeded = success.column(0).combine_chunks().cast(pa.string())
        out["successful"] = len(pc.unique(succeeded))  # unique() is far faster than count_distinct()
        out["id_column"] = success.column_names[0]
        micros = success.column("processed_at").cast(pa.int64()).combine_chunks()
        counts = pc.value_counts(pc.divide(micros, HOUR_US)).to_pylist()
        span = pc.min_max(micros).as_py()
        out["per_hour"] = _hours({c["values"]: c["counts"] for c in counts}, span["min"], span["max"])
    if failed is not None and failed.num_rows:
        failed = failed.rename_columns(["id", "error_msg", "step", "failed_at"])
        _failed_view(failed.set_column(0, "id", failed.column(0).cast(pa.string())), succeeded, out)
    return out


def failure_history(job_dir: Path) -> dict[str, Any]:
    """Every failure ever recorded (``stats --history``): attempts, by step and by record."""
    failed = _load(ledger_files(job_dir, FAILED_DIR), ["step", "failed_at"])
    out: dict[str, Any] = {"failures": 0, "records": 0, "failed_more_than_once": 0, "by_step": {}, "days": {}}
    if failed is None or failed.num_rows == 0:
        return out
    ids = failed.column(0).combine_chunks().cast(pa.string())
    per_id = pc.value_counts(ids).field("counts")
    out["failures"] = failed.num_rows
    out["records"] = len(per_id)
    out["failed_more_than_once"] = int(pc.sum(pc.greater(per_id, 1)).as_py() or 0)
    out["by_step"] = _counts(failed.column("step"))
    day = pc.strftime(failed.column("failed_at"), format="%Y-%m-%d")
    out["days"] = dict(sorted(_counts(day).items()))
    return out


def format_history(history: dict[str, Any]) -> list[str]:
    lines = [
        "=== Failure history (every attempt on record) ===",
        f"failures: {history['failures']:,} of {history['records']:,} records "
        f"({history['failed_more_than_once']:,} failed more than once)",
    ]
    lines += _section("failures by step:", history["by_step"])
    return lines + _section("failures by day:", history["days"])


def _section(title: str, counts: dict[str, int]) -> list[str]:
    return [title, *(f"  {key}: {n:,}" for key, n in counts.items())] if counts else []


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(column.combine_chunks()).to_pylist()
    return {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: -c["counts"])}


def format_stats(stats: dict[str, Any]) -> list[str]:
    lines = [
        "=== Processing statistics ===",
        f"successful: {stats['successful']:,} records",
        f"failed: {stats['failed_unique']:,} unique records ({stats['failed_records']:,} failures on record)",
    ]
    lines += _section("failures by step:", stats["by_step"])
    if stats["top_errors"]:
        lines.append("top error messages:")
        lines += [f"  {n:>8,}  {msg}" for msg, n in stats["top_errors"]]
    per_hour = stats.get("per_hour")
    if per_hour:
        lines.append(f"records per hour: {per_hour['rate']:,.0f}")
    return lines
