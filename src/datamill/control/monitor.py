"""``datamill monitor``: a job's progress, from its summary and event log.

The monitor reads ``job_summary.json`` (kept current by the driver) and the
event log, incrementally: each refresh parses only the events appended since
the previous one. It never writes anything.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from datamill.control.jobs import DEFAULT_BASE_DIR, JobInfo, find_job, format_time, job_info
from datamill.control.report import (
    CheckpointSummary,
    EventLogInfo,
    JobOverview,
    OperationMetric,
    OverallProgress,
    PartitionDetail,
    PartitionStatus,
    ProgressReport,
)
from datamill.events.log import EVENTS_FILE
from datamill.events.read import EventReader
from datamill.events.snapshot import load_snapshot
from datamill.events.stats import EventStats

REPORT_FORMAT_VERSION = 1
FINAL = {"completed", "completed_with_failures", "failed", "stopped", "interrupted"}


class JobProgressMonitor:
    """Progress of one job; :meth:`refresh` reads what is new since the last call."""

    def __init__(self, job_id: str, base_dir: Path | str = DEFAULT_BASE_DIR) -> None:
        self.job_dir = find_job(job_id, base_dir)
        self.job_id = self.job_dir.name
        self.stats = EventStats()
        self._reader: EventReader | None = None
        self.info: JobInfo = job_info(self.job_dir)
        self.refresh()

    def refresh(self) -> None:
        self.info = job_info(self.job_dir)
        log_dir = self.info.summary.get("event_log_dir")
        if log_dir and self._reader is None:
            self._reader, self.stats = load_snapshot(Path(log_dir) / EVENTS_FILE)
        if self._reader is not None:
            self.stats.update(self._reader.read_new())

    def get_progress_data(self, detailed: bool = False) -> dict[str, Any]:
        """The report as a dict: the same data as ``datamill monitor --json``."""
        return self.report(detailed).model_dump(mode="json")

    def report(self, detailed: bool = False) -> ProgressReport:
        s, info, stats = self.info.summary, self.info, self.stats
        counts = s.get("counts", {})
        total = int(counts.get("partitions_total", 0))
        done = int(counts.get("partitions_done", 0))
        failed = int(counts.get("partitions_failed", 0))
        by_status = stats.status_counts
        running = by_status.get("running", 0) + by_status.get("retrying", 0) if info.running else 0
        pending = max(0, total - done - failed - running)
        rate, eta = _rate_and_eta(s, info)
        overall = OverallProgress(
            job_status=info.status,
            progress_percentage=round(100.0 * done / total, 2) if total else 0.0,
            partitions_total=total,
            partitions_completed=done,
            partitions_running=running,
            partitions_failed=failed,
            partitions_pending=pending,
            samples_total=int(counts.get("samples_total", 0)),
            samples_processed=int(counts.get("samples_read", 0)),
            samples_written=int(counts.get("samples_written", 0)),
            samples_set_aside=int(counts.get("samples_quarantined", 0)),
            elapsed_time_seconds=round(info.duration, 3),
            rate_samples_per_second=rate,
            eta_seconds=eta,
        )
        status_counts = {"pending": pending, "running": running, "completed": done, "failed": failed}
        return ProgressReport(
            format_version=REPORT_FORMAT_VERSION,
            job_overview=JobOverview(
                job_id=self.job_id,
                status=info.status,
                running=info.running,
                dataset_path=s.get("dataset_path"),
                job_dir=str(self.job_dir),
                start_time=s.get("start_time"),
                end_time=s.get("end_time"),
                duration_seconds=round(info.duration, 3),
                driver_pid=s.get("driver_pid"),
                host=s.get("host"),
                config_hash=s.get("config_hash"),
                resume_command=s.get("resume_command"),
            ),
            overall_progress=overall,
            partition_status=PartitionStatus(
                counts=status_counts, partitions=self._details(info.running) if detailed else None
            ),
            operation_metrics=[
                OperationMetric(
                    index=op.index,
                    name=op.name,
                    seconds=round(op.seconds, 3),
                    rows_in=op.rows_in,
                    rows_out=op.rows_out,
                    rows_removed=op.rows_in - op.rows_out,
                    rows_per_second=round(op.rows_in / op.seconds, 1) if op.seconds else None,
                    runs=op.runs,
                )
                for _, op in sorted(stats.ops.items())
            ],
            checkpoint_summary=CheckpointSummary(
                saved=stats.checkpoints_saved,
                loaded=stats.checkpoints_loaded,
                partitions_with_checkpoints=stats.partitions_with_checkpoints,
            ),
            recent_failures=list(stats.recent_failures),
            resource_usage=stats.last_resource,
            event_log=EventLogInfo(
                path=str(self._reader.path) if self._reader else None,
                enabled=self._reader is not None and self._reader.path.exists(),
                events_read=stats.events,
                skipped_lines=self._reader.skipped_lines if self._reader else 0,
                torn_tail=self._reader.stats.torn_tail if self._reader else False,
                by_type=dict(sorted(stats.by_type.items())),
            ),
        )

    def _details(self, job_running: bool) -> list[PartitionDetail]:
        out = []
        for pid, v in sorted(self.stats.partitions.items()):
            status = v.status if job_running or v.status in ("completed", "failed") else "pending"
            out.append(
                PartitionDetail(
                    partition_id=pid,
                    status=status,
                    samples=v.samples,
                    current_op=v.current_op if status == "running" else None,
                    ops_done=v.ops_done,
                    checkpoints=v.checkpoints,
                    retries=v.retries,
                    attempt=v.attempt,
                    node=v.node,
                )
            )
        return out

    def display_progress(self, detailed: bool = False, console: Console | None = None) -> dict[str, Any]:
        """Print the report; return it as a dict."""
        report = self.report(detailed)
        (console or Console()).print(render(report))
        return report.model_dump(mode="json")


def _rate_and_eta(s: dict[str, Any], info: JobInfo) -> tuple[float | None, float | None]:
    if not info.running:
        return None, None
    counts = s.get("counts", {})
    elapsed = time.time() - float(s.get("run_started_epoch") or time.time())
    processed = int(counts.get("samples_read", 0)) - int(s.get("samples_at_run_start", 0))
    if elapsed <= 0 or processed <= 0:
        return None, None
    rate = processed / elapsed
    left = max(0, int(counts.get("samples_total", 0)) - int(counts.get("samples_read", 0)))
    return round(rate, 1), round(left / rate, 1)


def show_job_progress(
    job_id: str, base_dir: Path | str = DEFAULT_BASE_DIR, detailed: bool = False
) -> dict[str, Any]:
    """Print a job's progress and return it (the data of ``--json``)."""
    return JobProgressMonitor(job_id, base_dir).display_progress(detailed)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, secs = divmod(int(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def render(r: ProgressReport) -> Group:
    o, p = r.job_overview, r.overall_progress
    head = Table.grid(padding=(0, 2))
    head.add_row(
        "status", f"[bold]{o.status}[/]" + (f" (PID {o.driver_pid} on {o.host})" if o.running else "")
    )
    head.add_row("dataset", str(o.dataset_path))
    verb = "running for" if o.running else "ran for"
    head.add_row("started", f"{format_time(o.start_time)}, {verb} {_seconds(o.duration_seconds)}")
    head.add_row(
        "progress",
        f"{p.progress_percentage:.1f}% ({p.partitions_completed}/{p.partitions_total} partitions: "
        f"{p.partitions_running} running, {p.partitions_failed} failed, {p.partitions_pending} pending)",
    )
    head.add_row(
        "samples",
        f"{p.samples_processed:,}/{p.samples_total:,} processed, {p.samples_written:,} written, "
        f"{p.samples_set_aside:,} set aside",
    )
    if p.rate_samples_per_second:
        head.add_row("rate", f"{p.rate_samples_per_second:,.0f} samples/s, ETA {_seconds(p.eta_seconds)}")
    parts: list[Any] = [Panel(head, title=f"datamill job {o.job_id}", title_align="left")]
    if r.partition_status.partitions is not None:
        parts.append(_partition_table(r))
    if r.operation_metrics:
        ops = Table(title="Ops", title_justify="left")
        for col in ("#", "op", "seconds", "rows in", "rows out", "removed", "rows/s"):
            ops.add_column(col, justify="left" if col == "op" else "right")
        for m in r.operation_metrics:
            rate = f"{m.rows_per_second:,.0f}" if m.rows_per_second else "-"
            ops.add_row(
                str(m.index),
                m.name,
                f"{m.seconds:.2f}",
                f"{m.rows_in:,}",
                f"{m.rows_out:,}",
                f"{m.rows_removed:,}",
                rate,
            )
        parts.append(ops)
    c = r.checkpoint_summary
    parts.append(
        f"checkpoints: {c.saved} saved, {c.loaded} loaded, "
        f"{c.partitions_with_checkpoints} partitions with checkpoints"
    )
    if r.resource_usage:
        u = r.resource_usage
        parts.append(
            f"resources: driver {u['cpu_percent']:.0f}% CPU {u['memory_mb']:.0f} MB; "
            f"{u['workers']} workers {u['workers_cpu_percent']:.0f}% CPU {u['workers_memory_mb']:.0f} MB"
        )
    for f in r.recent_failures[-5:]:
        where = f.get("partition_id", "")
        parts.append(f"[red]{f.get('type')}[/] {where} {f.get('error_message') or f.get('message') or ''}")
    e = r.event_log
    if e.skipped_lines:
        parts.append(f"[yellow]event log: {e.skipped_lines} unreadable line(s) skipped[/] ({e.path})")
    if not e.enabled:
        parts.append("event log: none (event_logging is off); per-partition detail is not available")
    return Group(*parts)


def _partition_table(r: ProgressReport) -> Table:
    table = Table(title="Partitions", title_justify="left")
    for col in ("partition", "status", "node", "samples", "current op", "ops done", "checkpoints", "retries"):
        table.add_column(col, no_wrap=col == "partition")
    details = r.partition_status.partitions or []
    order = {"running": 0, "retrying": 0, "failed": 1, "pending": 2, "completed": 3}
    for d in sorted(details, key=lambda d: (order.get(d.status, 9), d.partition_id))[:40]:
        table.add_row(
            d.partition_id,
            d.status,
            d.node or "-",
            f"{d.samples:,}" if d.samples is not None else "-",
            d.current_op or "-",
            str(d.ops_done),
            str(d.checkpoints),
            str(d.retries),
        )
    if len(details) > 40:
        table.caption = f"{len(details) - 40} more partitions not shown (use --json for all)"
    return table


def watch(monitor: JobProgressMonitor, interval: float, detailed: bool, console: Console) -> None:
    """Refresh every ``interval`` seconds until the job is no longer running."""
    while True:
        console.clear()
        monitor.display_progress(detailed, console)
        if monitor.info.status in FINAL and not monitor.info.running:
            return
        time.sleep(interval)
        monitor.refresh()
