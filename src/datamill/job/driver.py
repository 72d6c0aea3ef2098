"""The driver: plans a job, schedules its partitions, exports the result.

The driver is the single writer of the job's shared files (summary, plan,
export). Workers get partition descriptors and return small results; what a
partition committed is read back from its marker, so the driver's own memory
is never the record of progress.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from datamill.atomic import atomic_open
from datamill.config.models import Recipe
from datamill.engine.commit import read_markers, remove_uncommitted
from datamill.engine.partition import PartitionTask, PipelineSpec
from datamill.engine.results import PartitionResult
from datamill.executors import make_executor
from datamill.io import writers
from datamill.io.sources import discover
from datamill.job.layout import JobLayout, check_job_id, new_job_id
from datamill.job.progress import JobProgress
from datamill.job.summary import JobStatus, JobSummary
from datamill.plan.planner import PartitionSpec, Plan, load_plan, make_plan

log = logging.getLogger(__name__)

BAD_ROW_EXAMPLES = 20


@dataclass
class RunRequest:
    """A recipe to run, and how it was asked for (to print the resume command)."""

    recipe: Recipe
    config_name: str
    config_path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobOutcome:
    summary: JobSummary
    layout: JobLayout
    export_path: Path
    results: dict[str, PartitionResult]

    @property
    def exit_code(self) -> int:
        return 0 if self.summary.status is JobStatus.COMPLETED else 1


@dataclass(frozen=True)
class ExportTarget:
    path: Path
    kind: str
    """``jsonl`` or ``parquet`` (one merged file), or ``dir`` (part files)."""
    result_format: str

    @classmethod
    def for_recipe(cls, recipe: Recipe, layout: JobLayout) -> ExportTarget:
        path = (
            Path(recipe.export_path).expanduser().resolve()
            if recipe.export_path
            else layout.root / "output.jsonl"
        )
        name = path.name.lower()
        if name.endswith(".jsonl") or name.endswith(".json"):
            return cls(path, "jsonl", "jsonl")
        if name.endswith(".parquet"):
            return cls(path, "parquet", "parquet")
        return cls(path, "dir", recipe.export_format)


def config_hash(recipe: Recipe) -> str:
    blob = json.dumps(recipe.model_dump(mode="json", exclude={"job_id"}), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def resume_command(request: RunRequest, job_id: str) -> str:
    args = ["datamill", "run"]
    if request.config_path is not None:
        args += ["--config", str(request.config_path.resolve())]
    for key, value in request.overrides.items():
        if key != "job_id":
            args += [f"--{key}", value if isinstance(value, str) else json.dumps(value)]
    args += ["--job_id", job_id]
    return shlex.join(args)


class Driver:
    """Runs one job from plan to export."""

    def __init__(self, request: RunRequest, console: Console) -> None:
        self.request = request
        self.recipe = recipe = request.recipe
        self.console = console
        job_id = check_job_id(recipe.job_id) if recipe.job_id else new_job_id(request.config_name)
        self.layout = JobLayout.for_recipe(recipe, job_id)
        self.target = ExportTarget.for_recipe(recipe, self.layout)
        self.pipeline = PipelineSpec(
            process=[dict(item) for item in recipe.process],
            text_key=recipe.text_key,
            id_field=recipe.id_field,
            results_dir=str(self.layout.results),
            result_format=self.target.result_format,
            keep_stats=recipe.keep_stats_in_res_ds,
        )
        self.summary = JobSummary(
            job_id=job_id,
            config_name=request.config_name,
            config_hash=config_hash(recipe),
            dataset_path=recipe.dataset_path,
            export_path=str(self.target.path),
            job_dir=str(self.layout.root),
            event_log_dir=str(self.layout.event_logs),
            checkpoint_dir=str(self.layout.checkpoint_root),
            resume_command=resume_command(request, job_id),
        )

    def run(self) -> JobOutcome:
        layout = self.layout
        plan = self._plan()
        layout.create()
        with atomic_open(layout.config, "w") as fh:
            yaml.safe_dump(
                self.recipe.model_dump(mode="json") | {"job_id": layout.job_id}, fh, sort_keys=False
            )
        remove_uncommitted(layout.results)
        committed = read_markers(layout.results)
        pending = [p for p in plan.partitions if p.id not in committed]
        counts = self.summary.counts
        counts.partitions_total = len(plan.partitions)
        counts.samples_total = plan.total_rows
        counts.partitions_skipped = len(plan.partitions) - len(pending)
        for result in committed.values():
            self._count(result)
        self.summary.write(layout.summary)
        try:
            self._schedule(plan, pending, committed)
        except KeyboardInterrupt:
            self.summary.finish(JobStatus.STOPPED, layout.summary)
            raise
        self._export(plan, committed)
        self._report_bad_rows(plan, committed)
        self._aggregate_ops(plan, committed)
        status = JobStatus.COMPLETED_WITH_FAILURES if counts.partitions_failed else JobStatus.COMPLETED
        self.summary.finish(status, layout.summary)
        return JobOutcome(self.summary, layout, self.target.path, committed)

    def _plan(self) -> Plan:
        if self.layout.plan.exists():
            return load_plan(self.layout.plan)
        sources = discover(self.recipe.dataset_path)
        self.layout.staging.mkdir(parents=True, exist_ok=True)
        with self.console.status("Planning partitions…"):
            plan = make_plan(sources, self.recipe.partition, self.layout.staging)
        plan.save(self.layout.plan)
        return plan

    def _count(self, result: PartitionResult) -> None:
        counts = self.summary.counts
        counts.partitions_done += 1
        counts.samples_read += result.rows_read
        counts.samples_written += result.rows_out
        counts.samples_bad += len(result.bad_rows)

    def _schedule(
        self, plan: Plan, pending: list[PartitionSpec], committed: dict[str, PartitionResult]
    ) -> None:
        counts = self.summary.counts
        executor = make_executor(self.recipe.executor_type, self.recipe.np)
        queue = iter(pending)
        running: dict[Future[PartitionResult], PartitionSpec] = {}
        done_samples = sum(p.rows for p in plan.partitions if p.id in committed)
        try:
            with JobProgress(
                self.console, plan.total_rows, len(plan.partitions), len(committed), done_samples
            ) as bar:
                self._fill(executor, queue, running)
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        spec = running.pop(future)
                        try:
                            result = future.result()
                        except Exception as exc:
                            counts.partitions_failed += 1
                            self.summary.failed_partitions.append(
                                {"partition_id": spec.id, "error": f"{type(exc).__name__}: {exc}"}
                            )
                            log.error("partition %s failed: %s", spec.id, exc)
                        else:
                            committed[spec.id] = result
                            self._count(result)
                        bar.advance(spec.rows)
                    self._fill(executor, queue, running)
                    self.summary.write(self.layout.summary, force=False)
        finally:
            executor.shutdown()

    def _fill(self, executor: Any, queue: Any, running: dict[Future[PartitionResult], PartitionSpec]) -> None:
        while len(running) < 2 * executor.slots:
            spec = next(queue, None)
            if spec is None:
                return
            running[executor.submit(PartitionTask(spec, self.pipeline))] = spec

    def _export(self, plan: Plan, committed: dict[str, PartitionResult]) -> None:
        parts = [
            self.layout.results / committed[p.id].result_file for p in plan.partitions if p.id in committed
        ]
        target = self.target
        with self.console.status(f"Exporting to {target.path}…"):
            if target.kind == "jsonl":
                writers.merge_jsonl(parts, target.path)
            elif target.kind == "parquet":
                writers.merge_parquet(parts, target.path)
            else:
                writers.export_directory(parts, target.path)

    def _report_bad_rows(self, plan: Plan, committed: dict[str, PartitionResult]) -> None:
        rows = [row for p in plan.partitions if p.id in committed for row in committed[p.id].bad_rows]
        if rows:
            with atomic_open(self.layout.bad_rows, "w") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.summary.bad_rows = {
            "count": len(rows),
            "file": str(self.layout.bad_rows) if rows else None,
            "examples": rows[:BAD_ROW_EXAMPLES],
        }

    def _aggregate_ops(self, plan: Plan, committed: dict[str, PartitionResult]) -> None:
        totals: dict[int, dict[str, Any]] = {}
        for result in committed.values():
            for m in result.ops:
                t = totals.setdefault(
                    m.index,
                    {
                        "index": m.index,
                        "name": m.name,
                        "rows_in": 0,
                        "rows_out": 0,
                        "rows_changed": 0,
                        "seconds": 0.0,
                    },
                )
                t["rows_in"] += m.rows_in
                t["rows_out"] += m.rows_out
                t["rows_changed"] += m.rows_changed
                t["seconds"] = round(t["seconds"] + m.seconds, 3)
        self.summary.ops = [
            t | {"rows_removed": t["rows_in"] - t["rows_out"]} for _, t in sorted(totals.items())
        ]


def run_job(request: RunRequest, console: Console) -> JobOutcome:
    """Run the job ``request`` describes; raise DatamillError on bad input."""
    return Driver(request, console).run()
