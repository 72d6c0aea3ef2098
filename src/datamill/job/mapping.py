"""``metadata/dataset_mapping.json`` and ``metadata/final_mapping_report.json``.

The dataset mapping says where each partition comes from (input file, row
range, byte range for JSONL, rows); it is written when the plan is made. The
final mapping report says what became of each partition (rows in and out,
status, attempts, result file, checkpoints on disk); it is written at the end
of every run, also when the run stopped or failed, and carries the earlier
runs forward: a partition committed before keeps its entry, and attempts add
up across runs. Both are written atomically, with a format version.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datamill.atomic import write_json_atomic
from datamill.engine.commit import AnyResult, base_id, retry_round
from datamill.engine.spec import CheckpointName
from datamill.plan.planner import PartitionSpec, Plan

MAPPING_FORMAT_VERSION = 1
REPORT_FORMAT_VERSION = 1

COMPLETED, FAILED, INTERRUPTED, PENDING = "completed", "failed", "interrupted", "pending"
"""A partition's status in the report: committed; failed after its retries
(in the last run: a resume runs it again); started in the last run but neither
(the run stopped or failed meanwhile); not started in the last run (then
``previous_status`` says if an earlier run failed or interrupted it)."""


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _input_files(plan: Plan) -> dict[str, str]:
    return {s.name: s.path for s in plan.sources}


def write_dataset_mapping(path: Path, plan: Plan, job_id: str) -> None:
    files = _input_files(plan)
    partitions = []
    for spec in plan.partitions:
        entry: dict[str, Any] = {
            "partition_id": spec.id,
            "index": spec.pid.index,
            "input_file": files.get(spec.source_name, spec.source_name),
            "format": spec.read_format,
            "row_start": spec.row_start,
            "row_stop": spec.row_stop,
            "rows": spec.rows,
        }
        if spec.read_format == "jsonl":
            entry |= {
                "byte_start": spec.byte_start,
                "byte_stop": spec.byte_stop,
                "first_line": spec.first_line,
            }
        if spec.read_path != files.get(spec.source_name):
            entry["read_file"] = spec.read_path  # a staged copy or piece of the input
        partitions.append(entry)
    write_json_atomic(
        path,
        {
            "format_version": MAPPING_FORMAT_VERSION,
            "job_id": job_id,
            "created": _now(),
            "partition_size": plan.size,
            "max_size_mb": plan.max_size_mb,
            "total_rows": plan.total_rows,
            "input_files": [
                {"path": s.path, "format": s.format, "bytes": s.fingerprint.size} for s in plan.sources
            ],
            "partitions": partitions,
        },
    )


@dataclass
class RunRecord:
    """What the driver saw of its partitions during this run."""

    attempts: dict[str, int] = field(default_factory=dict)
    """Attempts started in this run (``PARTITION_START`` events), by partition."""
    op_failures: dict[str, int] = field(default_factory=dict)
    """``OP_FAILED`` events received in this run, by partition."""

    def started(self, partition_id: str) -> None:
        self.attempts[partition_id] = self.attempts.get(partition_id, 0) + 1

    def op_failed(self, partition_id: str) -> None:
        pid = base_id(partition_id)
        self.op_failures[pid] = self.op_failures.get(pid, 0) + 1


def load_report(path: Path) -> tuple[int, dict[str, dict[str, Any]]] | None:
    """The runs and partition entries of the previous run's report: none yet
    gives ``(0, {})``; an unreadable one (damaged, another format) gives None."""
    if not path.exists():
        return 0, {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != REPORT_FORMAT_VERSION:
            return None
        entries = {p["partition_id"]: p for p in data["partitions"]}
        for entry in entries.values():
            entry["attempts"] = int(entry.get("attempts", 0))
            entry["op_failures"] = int(entry.get("op_failures", 0))
        return int(data["runs"]), entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _checkpoints(root: Path) -> dict[str, list[dict[str, Any]]]:
    """The checkpoints on disk, by partition, oldest op first."""
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        folders = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return found
    for folder in folders:
        names = [(CheckpointName.parse(p.name), p) for p in folder.iterdir()]
        ops = [(n, p) for n, p in names if n is not None and n.kind == "op"]
        rows = [{"op_index": n.op_index, "file": str(p)} for n, p in ops]
        if rows:
            found[folder.name] = sorted(rows, key=lambda r: r["op_index"])
    return found


def write_final_report(
    path: Path,
    *,
    job_id: str,
    job_status: str,
    plan: Plan,
    committed: Mapping[str, AnyResult],
    failed: Collection[dict[str, Any]],
    run: RunRecord,
    results_dir: Path,
    checkpoint_root: Path,
) -> str | None:
    """What became of each partition, as of now, over every run of the job.

    Returns a note if the previous report could not be read: the counts of
    earlier runs then start again (attempts from the commit markers)."""
    before = load_report(path)
    note = None
    if before is None:
        note = f"{path} could not be read; it is written anew, without the attempts of earlier runs"
    runs, earlier = before or (0, {})
    failures = {f["partition_id"]: f for f in failed}
    rounds: dict[str, list[AnyResult]] = {}
    for cid, result in committed.items():
        if retry_round(cid):
            rounds.setdefault(base_id(cid), []).append(result)
    checkpoints = _checkpoints(checkpoint_root)
    files = _input_files(plan)
    entries = [
        _entry(spec, files, committed, failures, run, earlier.get(spec.id, {}), rounds, results_dir)
        | {"checkpoints": checkpoints.get(spec.id, [])}
        for spec in plan.partitions
    ]
    by_status: dict[str, int] = {}
    for entry in entries:
        by_status[entry["status"]] = by_status.get(entry["status"], 0) + 1
    write_json_atomic(
        path,
        {
            "format_version": REPORT_FORMAT_VERSION,
            "job_id": job_id,
            "job_status": job_status,
            "written": _now(),
            "runs": runs + 1,
            "partitions_total": len(entries),
            "partitions_by_status": by_status,
            "rows_in": sum(e["rows_in"] for e in entries if e["status"] == COMPLETED),
            "rows_out": sum(e["rows_out"] for e in entries if e["status"] == COMPLETED),
            "partitions": entries,
        },
    )
    return note


def _entry(
    spec: PartitionSpec,
    files: dict[str, str],
    committed: Mapping[str, AnyResult],
    failures: dict[str, dict[str, Any]],
    run: RunRecord,
    earlier: dict[str, Any],
    rounds: dict[str, list[AnyResult]],
    results_dir: Path,
) -> dict[str, Any]:
    attempts_now = run.attempts.get(spec.id, 0)
    attempts_before = earlier.get("attempts", 0)
    entry: dict[str, Any] = {
        "partition_id": spec.id,
        "index": spec.pid.index,
        "input_file": files.get(spec.source_name, spec.source_name),
        "rows_in": spec.rows,
        "rows_out": 0,
        "rows_failed": 0,
        "status": PENDING,
        "attempts": attempts_before + attempts_now,
        "result_file": None,
        "op_failures": earlier.get("op_failures", 0) + run.op_failures.get(spec.id, 0),
    }
    result = committed.get(spec.id)
    if result is not None:
        entry |= {
            "status": COMPLETED,
            "rows_in": result.rows_read,
            "rows_out": result.rows_out,
            "rows_failed": result.n_bad + result.n_quarantined,
            "result_file": str(results_dir / result.result_file),
            "resumed_from": result.resumed_from,
        }
        if not attempts_now:  # committed by an earlier run: its entry then, or its marker
            entry["attempts"] = max(attempts_before, result.attempt)
        extra = sorted(rounds.get(spec.id, []), key=lambda r: retry_round(r.partition_id))
        if extra:
            entry["retry_rounds"] = [
                {
                    "commit_id": r.partition_id,
                    "rows_in": r.rows_read,
                    "rows_out": r.rows_out,
                    "result_file": str(results_dir / r.result_file),
                }
                for r in extra
            ]
    elif spec.id in failures:
        failure = failures[spec.id]
        entry |= {
            "status": FAILED,
            "rows_failed": failure.get("records_failed", spec.rows),
            "step": failure.get("step"),
            "error": failure.get("error"),
        }
    elif attempts_now:
        entry["status"] = INTERRUPTED
    elif earlier.get("status") in (FAILED, INTERRUPTED):
        entry["previous_status"] = earlier["status"]  # not run again yet: this run stopped first
    return entry
