"""``GET /metrics``: every job's progress for Prometheus, in the OpenMetrics text format.

One collector reads the jobs at each scrape: the summary of every job (samples,
partitions, retries), and for the jobs being watched, always including the
running ones, what the monitor folds from their events (partitions running,
checkpoints, driver and worker CPU and memory). Every series has the label
``job_id``; the README lists the names ("Prometheus metrics").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from datamill.control.jobs import JobInfo
from datamill.dashboard.jobindex import JobIndex, job_row
from datamill.dashboard.watch import Watches

PREFIX = "datamill_job"


class JobCollector(Collector):
    def __init__(self, index: JobIndex, watches: Watches) -> None:
        self.index = index
        self.watches = watches

    def collect(self) -> Iterator[Metric]:
        families = _Families()
        for info in self.index.infos():
            watch = self.watches.get(info.job_dir) if info.running else self.watches.cached(info.job_dir)
            report = None
            if watch is not None:
                watch.poll()
                report = watch.report
            families.add(info, report)
        yield from families.all()


class _Families:
    def __init__(self) -> None:
        j = ["job_id"]
        self.up = GaugeMetricFamily(f"{PREFIX}_running", "1 while the job's driver holds its lock", labels=j)
        self.info = GaugeMetricFamily(f"{PREFIX}_info", "The job's status (always 1)", labels=[*j, "status"])
        self.samples = CounterMetricFamily(
            f"{PREFIX}_samples",
            "Samples by outcome: processed (read), written, failed",
            labels=[*j, "outcome"],
        )
        self.samples_total = GaugeMetricFamily(f"{PREFIX}_samples_planned", "Samples in the input", labels=j)
        self.partitions = GaugeMetricFamily(
            f"{PREFIX}_partitions",
            "Partitions by state: pending, running, completed, failed",
            labels=[*j, "state"],
        )
        self.rate = GaugeMetricFamily(
            f"{PREFIX}_rate_samples_per_second", "Samples processed per second in this run", labels=j
        )
        self.eta = GaugeMetricFamily(f"{PREFIX}_eta_seconds", "Time left at the observed rate", labels=j)
        self.progress = GaugeMetricFamily(
            f"{PREFIX}_progress_ratio", "Committed share of partitions", labels=j
        )
        self.retries = CounterMetricFamily(f"{PREFIX}_partition_retries", "Partition retries", labels=j)
        self.checkpoints = CounterMetricFamily(
            f"{PREFIX}_checkpoints", "Checkpoints saved and loaded", labels=[*j, "action"]
        )
        self.cpu = GaugeMetricFamily(
            f"{PREFIX}_cpu_percent", "CPU of the driver and of all its workers", labels=[*j, "process"]
        )
        self.memory = GaugeMetricFamily(
            f"{PREFIX}_memory_bytes",
            "Resident memory of the driver and of all its workers",
            labels=[*j, "process"],
        )
        self.workers = GaugeMetricFamily(f"{PREFIX}_workers", "Worker processes", labels=j)
        self.duration = GaugeMetricFamily(f"{PREFIX}_duration_seconds", "The job's run time so far", labels=j)

    def add(self, info: JobInfo, report: dict[str, Any] | None) -> None:
        job = info.job_id
        row = job_row(info)
        counts = info.summary.get("counts", {})
        self.up.add_metric([job], 1 if info.running else 0)
        self.info.add_metric([job, info.status], 1)
        self.samples_total.add_metric([job], row["samples_total"])
        self.samples.add_metric([job, "processed"], row["samples_processed"])
        self.samples.add_metric([job, "written"], int(counts.get("samples_written", 0)))
        self.samples.add_metric([job, "failed"], row["samples_failed"])
        self.progress.add_metric([job], row["progress_percentage"] / 100.0)
        self.duration.add_metric([job], row["duration_seconds"])
        self.retries.add_metric([job], int(counts.get("partition_retries", 0)))
        if report is not None:
            states = report["partition_status"]["counts"]
        else:
            done, failed = row["partitions_completed"], row["partitions_failed"]
            pending = max(0, row["partitions_total"] - done - failed)
            states = {"pending": pending, "running": 0, "completed": done, "failed": failed}
        for state, n in states.items():
            self.partitions.add_metric([job, state], n)
        if row["rate_samples_per_second"] is not None:
            self.rate.add_metric([job], row["rate_samples_per_second"])
        if row["eta_seconds"] is not None:
            self.eta.add_metric([job], row["eta_seconds"])
        if report is not None:
            self._from_events(job, report)

    def _from_events(self, job: str, report: dict[str, Any]) -> None:
        ckpt = report["checkpoint_summary"]
        self.checkpoints.add_metric([job, "saved"], ckpt["saved"])
        self.checkpoints.add_metric([job, "loaded"], ckpt["loaded"])
        usage = report.get("resource_usage")
        if not usage:
            return
        for process, cpu, mb in (
            ("driver", "cpu_percent", "memory_mb"),
            ("workers", "workers_cpu_percent", "workers_memory_mb"),
        ):
            if usage.get(cpu) is not None:
                self.cpu.add_metric([job, process], float(usage[cpu]))
            if usage.get(mb) is not None:
                self.memory.add_metric([job, process], float(usage[mb]) * 2**20)
        if usage.get("workers") is not None:
            self.workers.add_metric([job], int(usage["workers"]))

    def all(self) -> Iterator[Metric]:
        yield from vars(self).values()
