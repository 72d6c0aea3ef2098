"""The monitor's report as plain text lines, in the sections of seed 001's example output.

Plain text on purpose: piped into a file or ``grep`` nothing is cut to the
terminal's width, and columns are as wide as their widest value. Each line
comes with a style (bold headings, red failures) that a terminal shows and a
pipe drops.
"""

from __future__ import annotations

from collections.abc import Sequence

from datamill.control.jobs import format_time
from datamill.control.partitions import pending_ranges
from datamill.control.report import PartitionDetail, ProgressReport

Line = tuple[str, str]
RULE = "=" * 80
LIST_UP_TO = 50
"""Partitions listed one by one without --detailed; pending ones listed one by one with it."""


def render(r: ProgressReport, detailed: bool = False) -> list[Line]:
    lines: list[Line] = [
        (RULE, ""),
        ("datamill job progress", "bold"),
        (f"job id: {r.job_overview.job_id}", ""),
    ]
    lines += [(RULE, ""), *_overview(r), *_progress(r), *_partitions(r, detailed), *_ops(r)]
    lines += [*_dedup(r), *_checkpoints(r, detailed), *_notes(r)]
    return lines


def _overview(r: ProgressReport) -> list[Line]:
    o = r.job_overview
    total = r.overall_progress.samples_total
    size = (
        f"{o.partition_size:,} samples (at most {o.max_partition_size_mb:g} MB)"
        if o.partition_size is not None
        else "- (no plan yet)"
    )
    lines = [("", ""), ("Job overview", "bold"), (f"   status: {o.status}", "bold")]
    if o.running:
        lines.append((f"   driver: PID {o.driver_pid} on {o.host}", ""))
        if o.phase:
            lines.append((f"   phase: {o.phase}", "bold"))
    lines += [
        (f"   dataset: {o.dataset_path}", ""),
        (f"   total samples: {total:,}", ""),
        (f"   partition size: {size}", ""),
        (f"   start time: {format_time(o.start_time)}", ""),
        (f"   duration: {o.duration_seconds:,.1f} s ({_hms(o.duration_seconds)})", ""),
    ]
    if o.status in ("stopped", "interrupted", "failed") and o.resume_command:
        lines.append((f"   to resume: {o.resume_command}", ""))
    return lines


def _progress(r: ProgressReport) -> list[Line]:
    p = r.overall_progress
    done = p.partitions_completed
    lines = [
        ("", ""),
        ("Overall progress", "bold"),
        (f"   progress: {p.progress_percentage:.1f}% ({done}/{p.partitions_total} partitions)", ""),
        (
            f"   partitions: {p.partitions_completed} completed, {p.partitions_running} running, "
            f"{p.partitions_failed} failed, {p.partitions_pending} pending",
            "",
        ),
        (
            f"   samples: {p.samples_processed:,}/{p.samples_total:,} processed, "
            f"{p.samples_written:,} written, {p.samples_set_aside:,} set aside",
            "",
        ),
    ]
    if p.rate_samples_per_second:
        lines.append((f"   rate: {p.rate_samples_per_second:,.0f} samples/s, ETA {_hms(p.eta_seconds)}", ""))
    return lines


def _partitions(r: ProgressReport, detailed: bool) -> list[Line]:
    details = r.partition_status.partitions
    lines: list[Line] = [("", ""), ("Partition status", "bold")]
    if details is None or (not detailed and len(details) > LIST_UP_TO):
        counts = ", ".join(f"{n:,} {status}" for status, n in r.partition_status.counts.items())
        total = r.overall_progress.partitions_total
        return [*lines, (f"   {total:,} partitions ({counts}); --detailed lists each", "")]
    pending = [d for d in details if d.status == "pending"]
    compact = detailed and len(pending) > LIST_UP_TO
    for d in details:
        if compact and d.status == "pending":
            continue
        lines += _detailed(d) if detailed else [(f"   {_one_line(d)}", _style(d))]
    if compact:
        where = pending_ranges([d.index for d in pending if d.index is not None])
        lines.append((f"   pending: {len(pending):,} partitions (plan positions {where})", ""))
    return lines


def _one_line(d: PartitionDetail) -> str:
    text = f"partition {_name(d)}: {d.status}, samples {_count(d.samples)}, {d.ops_done} ops done"
    text += f", {d.checkpoints} checkpoints saved"
    if d.status in ("running", "retrying") and d.current_op:
        text += f", now {d.current_op}"
    return text


def _detailed(d: PartitionDetail) -> list[Line]:
    head = f"   partition {_name(d)} ({d.partition_id}): {d.status}"
    if d.status != "pending":
        head += f", attempt {d.attempt}" + (f", on {d.node}" if d.node else "")
    if d.seconds is not None:
        head += f", {d.seconds:,.3f} s"
    samples = f"      samples: {_count(d.samples)}" + (
        f" in, {d.rows_out:,} out" if d.rows_out is not None else ""
    )
    lines = [(head, _style(d)), (samples, "")]
    if d.status == "pending":
        return lines
    now = f"; now {d.current_op}" if d.current_op else ""
    lines.append(
        (f"      ops done: {d.ops_done}{now}; checkpoints: {d.checkpoints} saved; retries: {d.retries}", "")
    )
    for m in d.ops or []:
        rate = f", {m.rows_per_second:,.0f} rows/s" if m.rows_per_second else ""
        text = f"      op {m.index} {m.name}: {m.seconds:.4f} s, {m.rows_in:,} -> {m.rows_out:,} rows{rate}"
        lines.append((text, ""))
    for c in d.checkpoint_saves:
        lines.append((f"      checkpoint after op {c.op_index} {c.op_name or ''}: {format_time(c.time)}", ""))
    return lines


def _ops(r: ProgressReport) -> list[Line]:
    if not r.operation_metrics:
        return []
    head = (
        "#",
        "op",
        "seconds",
        "rows in",
        "rows out",
        "changed",
        "removed",
        "failed",
        "rows/s",
        "partitions",
    )
    rows = [
        (
            str(m.index),
            m.name,
            f"{m.seconds:,.2f}",
            f"{m.rows_in:,}",
            f"{m.rows_out:,}",
            f"{m.rows_changed:,}",
            f"{m.rows_removed:,}",
            f"{m.rows_failed:,}",
            f"{m.rows_per_second:,.0f}" if m.rows_per_second else "-",
            f"{m.runs:,}",
        )
        for m in r.operation_metrics
    ]
    lines: list[Line] = [("", ""), ("Ops (totals over committed partitions)", "bold")]
    return lines + [("   " + line, "") for line in columns(head, rows, left={1})]


def columns(head: Sequence[str], rows: Sequence[Sequence[str]], left: set[int]) -> list[str]:
    """Rows of cells as aligned text, each column as wide as its widest cell (nothing cut)."""
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    out = []
    for row in [head, *rows]:
        cells = [
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _checkpoints(r: ProgressReport, detailed: bool) -> list[Line]:
    c = r.checkpoint_summary
    n = c.partitions_with_checkpoints
    lines: list[Line] = [
        ("", ""),
        ("Checkpoint summary", "bold"),
        (f"   total checkpoints: {c.saved} saved, {c.loaded} loaded, in {n} partitions", ""),
    ]
    for op in c.by_op:
        lines.append((f"   after op {op.op_index} {op.op_name or ''}: {op.partitions} partitions", ""))
    if c.last_saved_time:
        lines.append((f"   last saved: {format_time(c.last_saved_time)}", ""))
    return lines


def _notes(r: ProgressReport) -> list[Line]:
    lines: list[Line] = []
    if r.resource_usage:
        u = r.resource_usage
        lines.append(
            (
                f"resources: driver {u['cpu_percent']:.0f}% CPU {u['memory_mb']:.0f} MB; "
                f"{u['workers']} workers {u['workers_cpu_percent']:.0f}% CPU {u['workers_memory_mb']:.0f} MB",
                "",
            )
        )
    for f in r.recent_failures[-5:]:
        where = f.get("partition_id", "")
        lines.append((f"{f.get('type')} {where} {f.get('error_message') or f.get('message') or ''}", "red"))
    e = r.event_log
    if e.skipped_lines:
        lines.append((f"event log: {e.skipped_lines} unreadable line(s) skipped ({e.path})", "yellow"))
    if not e.enabled:
        lines.append(
            ("event log: none (event_logging is off); running partitions and checkpoints are not shown", "")
        )
    return [("", ""), *lines] if lines else []


def _dedup(r: ProgressReport) -> list[Line]:
    """Each deduplicator's global phase: running, or what it dropped."""
    if not r.deduplication:
        return []
    lines: list[Line] = [("", ""), ("Deduplication (after every partition committed)", "bold")]
    for d in r.deduplication:
        head = f"   op {d['op_index']} {d['op_name']}: "
        if not d["done"]:
            lines.append((head + "grouping the committed hashes…", "cyan"))
            continue
        reused = ", decided by an earlier run" if d.get("reused") else ""
        lines.append(
            (
                head + f"{d.get('rows_dropped', 0):,} of {d.get('rows_in', 0):,} rows dropped as duplicates, "
                f"{d.get('clusters', 0):,} clusters, {d.get('duration_s', 0):.2f} s{reused}",
                "",
            )
        )
    return lines


def _name(d: PartitionDetail) -> str:
    return str(d.index) if d.index is not None else d.partition_id


def _style(d: PartitionDetail) -> str:
    return {"failed": "red", "running": "cyan", "retrying": "yellow"}.get(d.status, "")


def _count(n: int | None) -> str:
    return f"{n:,}" if n is not None else "-"


def _hms(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, secs = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
