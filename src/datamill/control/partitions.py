"""The monitor's view of each partition, and of the checkpoints saved.

Every partition of the plan is listed, pending ones too. A committed
partition's facts (rows, attempt, seconds, each op's metrics) come from the
commit index; a running one's (current op, node, retries) from the events;
checkpoints from the events (``CHECKPOINT_SAVE``), per partition and op.
"""

from __future__ import annotations

from datetime import datetime

from datamill.control.commits import CommitReader
from datamill.control.report import (
    CheckpointByOp,
    CheckpointSave,
    CheckpointSummary,
    PartitionDetail,
    PartitionOp,
)
from datamill.engine.results import PartitionResult
from datamill.events.stats import EventStats, PartitionView
from datamill.plan.ids import PartitionId
from datamill.plan.planner import Plan


def partition_details(
    plan: Plan | None, commits: CommitReader, stats: EventStats, job_running: bool, names: dict[int, str]
) -> list[PartitionDetail]:
    """Every partition in plan order (without a plan yet: those the events name)."""
    ids = [p.id for p in plan.partitions] if plan else sorted({*stats.partitions, *commits.committed})
    rows = {p.id: p.rows for p in plan.partitions} if plan else {}
    out = []
    for pid in ids:
        view = stats.partitions.get(pid) or PartitionView()
        result = commits.committed.get(pid)
        detail = (
            _committed(pid, result, view, commits.failed(pid))
            if result is not None
            else _uncommitted(pid, rows.get(pid), view, job_running)
        )
        detail.index = _index(pid)
        detail.checkpoint_saves = [
            CheckpointSave(op_index=int(i), op_name=names.get(int(i)), time=_iso(at)) for i, at in view.saves
        ]
        out.append(detail)
    return out


def _committed(pid: str, r: PartitionResult, view: PartitionView, failed: bool) -> PartitionDetail:
    return PartitionDetail(
        partition_id=pid,
        status="failed" if failed else "completed",
        samples=r.rows_read,
        current_op=None,
        ops_done=len(r.ops),
        checkpoints=view.checkpoints,
        retries=max(view.retries, r.attempt - 1),
        attempt=r.attempt,
        node=view.node or r.host,
        rows_out=r.rows_out,
        seconds=round(r.seconds, 3),
        ops=[
            PartitionOp(
                index=m.index,
                name=m.name,
                seconds=round(m.seconds, 4),
                rows_in=m.rows_in,
                rows_out=m.rows_out,
                rows_per_second=round(m.rows_in / m.seconds, 1) if m.seconds else None,
            )
            for m in r.ops
        ],
    )


def _uncommitted(pid: str, rows: int | None, view: PartitionView, job_running: bool) -> PartitionDetail:
    status = view.status if job_running and view.status in ("running", "retrying") else "pending"
    live = status != "pending"
    return PartitionDetail(
        partition_id=pid,
        status=status,
        samples=view.samples if live and view.samples is not None else rows,
        current_op=view.current_op if live else None,
        ops_done=view.ops_done if live else 0,
        checkpoints=view.checkpoints,
        retries=view.retries,
        attempt=view.attempt,
        node=view.node if live else None,
    )


def checkpoint_summary(stats: EventStats, names: dict[int, str]) -> CheckpointSummary:
    by_op: dict[int, int] = {}
    last = None
    for view in stats.partitions.values():
        for index, at in view.saves:
            by_op[int(index)] = by_op.get(int(index), 0) + 1
            last = at if last is None else max(last, at)
    return CheckpointSummary(
        saved=stats.checkpoints_saved,
        loaded=stats.checkpoints_loaded,
        partitions_with_checkpoints=stats.partitions_with_checkpoints,
        by_op=[
            CheckpointByOp(op_index=i, op_name=names.get(i), partitions=n) for i, n in sorted(by_op.items())
        ],
        last_saved_time=_iso(last) if last is not None else None,
    )


def pending_ranges(indexes: list[int]) -> str:
    """``3-7, 9, 12-4000``: sorted plan positions as ranges."""
    spans: list[list[int]] = []
    for i in indexes:
        if spans and i == spans[-1][1] + 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _index(pid: str) -> int | None:
    try:
        return PartitionId.parse(pid).index
    except ValueError:
        return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")
