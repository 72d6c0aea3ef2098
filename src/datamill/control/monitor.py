"""``datamill monitor``: a job's progress, from its summary, plan, commit index and event log.

Every call of :meth:`JobProgressMonitor.get_progress_data` or
:meth:`~JobProgressMonitor.display_progress` reads the job's current state,
incrementally: the summary (small, rewritten by the driver), the commit index
and the event log from where the previous call stopped. Totals (samples,
partitions, each op's rows and seconds) come from the summary and the commit
index, which never rotate; the event log adds what only it knows (running
partitions, their current op, checkpoints, failures). The monitor never
writes anything.

``python -m datamill.control.monitor JOB [--detailed] [--watch] ...`` is
``datamill monitor``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from datamill.control.commits import CommitReader
from datamill.control.jobs import (
    DEFAULT_BASE_DIR,
    FINAL_STATES,
    JobInfo,
    find_job,
    is_final,
    job_info,
)
from datamill.control.partitions import checkpoint_summary, partition_details
from datamill.control.render import LIST_UP_TO, render
from datamill.control.report import (
    EventLogInfo,
    JobOverview,
    OperationMetric,
    OverallProgress,
    PartitionStatus,
    ProgressReport,
)
from datamill.events.log import EVENTS_FILE
from datamill.events.read import EventReader
from datamill.events.snapshot import load_snapshot
from datamill.events.stats import EventStats
from datamill.plan.planner import Plan, load_plan

__all__ = ["FINAL_STATES", "JobProgressMonitor", "is_final", "show_job_progress", "watch"]

REPORT_FORMAT_VERSION = 2
"""2: partition size, per-partition ops and checkpoints, ops' failed rows."""


class JobProgressMonitor:
    """Progress of one job. A missing job raises :class:`~datamill.control.jobs.JobNotFound`
    (a ``FileNotFoundError``)."""

    def __init__(self, job_id: str, base_dir: Path | str = DEFAULT_BASE_DIR) -> None:
        self.job_dir = find_job(job_id, base_dir)
        self.job_id = self.job_dir.name
        self.stats = EventStats()
        self.commits = CommitReader(self.job_dir / "metadata" / "commits.tsv")
        self.plan: Plan | None = None
        self._reader: EventReader | None = None
        self.info: JobInfo = job_info(self.job_dir)
        self.refresh()

    def refresh(self) -> None:
        """Read what changed since the last refresh."""
        self.info = job_info(self.job_dir)
        log_dir = self.info.summary.get("event_log_dir")
        if log_dir and self._reader is None:
            self._reader, self.stats = load_snapshot(Path(log_dir) / EVENTS_FILE)
        if self._reader is not None:
            self.stats.update(self._reader.read_new())
        self.commits.refresh()
        if self.plan is None and (self.job_dir / "metadata" / "partitions.json").exists():
            self.plan = load_plan(self.job_dir / "metadata" / "partitions.json")

    def get_progress_data(self, detailed: bool = False) -> dict[str, Any]:
        """The job's current progress as a dict: the data of ``datamill monitor --json``."""
        self.refresh()
        return self.report(detailed).model_dump(mode="json")

    def display_progress(self, detailed: bool = False, console: Console | None = None) -> dict[str, Any]:
        """Print the job's current progress; return it as a dict."""
        self.refresh()
        few = self.plan is not None and len(self.plan.partitions) <= LIST_UP_TO
        report = self.report(detailed or few)  # the text lists a few partitions even without --detailed
        out = console or Console(soft_wrap=True)
        for text, style in render(report, detailed):
            out.print(text, style=style or None, markup=False, highlight=False, soft_wrap=True)
        data = report.model_dump(mode="json")
        if not detailed:
            data["partition_status"]["partitions"] = None
        return data

    def report(self, detailed: bool = False) -> ProgressReport:
        """The report from what was read so far (:meth:`refresh` reads more)."""
        s, info, stats = self.info.summary, self.info, self.stats
        counts = s.get("counts", {})
        total = int(counts.get("partitions_total", 0))
        done = int(counts.get("partitions_done", 0))
        failed = int(counts.get("partitions_failed", 0))
        by_status = stats.status_counts
        running = by_status.get("running", 0) + by_status.get("retrying", 0) if info.running else 0
        pending = max(0, total - done - failed - running)
        rate, eta = rate_and_eta(s, info)
        names = self._op_names()
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
                partition_size=self.plan.size if self.plan else None,
                max_partition_size_mb=self.plan.max_size_mb if self.plan else None,
                phase=stats.phase if info.running else None,
            ),
            overall_progress=OverallProgress(
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
            ),
            partition_status=PartitionStatus(
                counts={"pending": pending, "running": running, "completed": done, "failed": failed},
                partitions=partition_details(self.plan, self.commits, stats, info.running, names)
                if detailed
                else None,
            ),
            operation_metrics=self._op_metrics(),
            checkpoint_summary=checkpoint_summary(stats, names),
            recent_failures=list(stats.recent_failures),
            resource_usage=stats.last_resource,
            event_log=self._event_log_info(),
            deduplication=stats.dedup,
        )

    def _op_metrics(self) -> list[OperationMetric]:
        """Each op's totals over the committed partitions: the commit index, else the summary's."""
        totals = [dict(vars(t)) for t in self.commits.op_totals()]
        if totals:  # a deduplicator passes every row on in its partitions; the export drops these
            dropped = {d["op_index"]: d.get("rows_dropped", 0) for d in self.stats.dedup if d["done"]}
            for t in totals:
                t["rows_out"] -= dropped.get(t["index"], 0)
        else:
            totals = [{**op, "partitions": None} for op in self.info.summary.get("ops") or []]
        return [
            OperationMetric(
                index=t["index"],
                name=t["name"],
                seconds=round(t["seconds"], 3),
                rows_in=t["rows_in"],
                rows_out=t["rows_out"],
                rows_removed=t["rows_in"] - t["rows_out"] - t.get("rows_failed", 0),
                rows_failed=t.get("rows_failed", 0),
                rows_changed=t.get("rows_changed", 0),
                rows_per_second=round(t["rows_in"] / t["seconds"], 1) if t["seconds"] else None,
                runs=t["partitions"] if t["partitions"] is not None else len(self.commits.committed),
            )
            for t in totals
        ]

    def _op_names(self) -> dict[int, str]:
        names = {op.index: op.name for op in self.stats.ops.values()}
        names.update((t.index, t.name) for t in self.commits.op_totals())
        return names

    def _event_log_info(self) -> EventLogInfo:
        r, stats = self._reader, self.stats
        return EventLogInfo(
            path=str(r.path) if r else None,
            enabled=r is not None and r.path.exists(),
            events_read=stats.events,
            skipped_lines=r.skipped_lines if r else 0,
            torn_tail=r.stats.torn_tail if r else False,
            by_type=dict(sorted(stats.by_type.items())),
        )


def rate_and_eta(s: dict[str, Any], info: JobInfo) -> tuple[float | None, float | None]:
    """A running job's samples per second over this run so far, and the seconds
    left at that rate, from its summary ``s``; (None, None) for a job not running."""
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


def watch(monitor: JobProgressMonitor, interval: float, detailed: bool, console: Console) -> None:
    """Show the job's progress every ``interval`` seconds until it has ended."""
    while True:
        if console.is_terminal:
            console.clear()
        monitor.display_progress(detailed, console)
        if is_final(monitor.info.status):
            return
        time.sleep(interval)


if __name__ == "__main__":
    from datamill.cli.main import main

    sys.exit(main(["monitor", *sys.argv[1:]]))
