"""The driver: plans a job, schedules its partitions, exports the result.

The driver is the single writer of the job's shared files (summary, plan,
export) and holds the job's lock while it runs. Workers get partition
descriptors and return small results; what a partition committed is read
back from its marker, so resuming is a pure function of what is on disk.

Stopping: the first SIGTERM/SIGINT stops scheduling and gives running
partitions ``fault_tolerance.stop_timeout_s`` to finish; a second one (or the
timeout) abandons them at once. Either way the job ends ``stopped`` and the
same command resumes it.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import os
import queue
import shlex
import signal
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

import yaml
from rich.console import Console

import datamill
from datamill.atomic import TMP_PREFIX, atomic_open
from datamill.config.models import FaultToleranceConfig, Recipe
from datamill.control.procs import identity
from datamill.engine.commit import AnyResult, CommitIndex, ResultsScan, base_id, retry_round
from datamill.engine.memory import Releaser, release_memory
from datamill.engine.results import PartitionResult
from datamill.engine.spec import CheckpointPolicy, PartitionTask, PipelineSpec, SqlSink, pipeline_hash
from datamill.errors import (
    ConfigError,
    ExecutorError,
    InputError,
    OutOfSpace,
    brief,
    classify,
    op_of,
    out_of_space,
    stops_job,
)
from datamill.events import EventLog, EventType
from datamill.executors import Executor, make_executor
from datamill.io.pieces import PieceStager, is_piece
from datamill.io.sources import discover
from datamill.job import retention
from datamill.job.folding import Folder
from datamill.job.layout import JobLayout, check_job_id, new_job_id
from datamill.job.lock import JobLock
from datamill.job.mapping import RunRecord, write_dataset_mapping, write_final_report
from datamill.job.narrow import Narrower
from datamill.job.preflight import check_before_work, check_destination
from datamill.job.progress import JobProgress
from datamill.job.resources import ResourceSampler, peak_rss_mb
from datamill.job.resume import clear_segments, prepare_resume, verify_inputs
from datamill.job.summary import JobStatus, JobSummary
from datamill.ledger import FAILED_DIR, FAILED_FILE, finish_fold, id_column, skip_head, upgrade_layout
from datamill.plan.planner import PartitionSpec, Plan, load_plan, make_plan
from datamill.plan.sample import SampleKeys

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from datamill.executors.ray import RayExecutor
    from datamill.job.dedup_phase import Calls, DedupOutcome
    from datamill.ledger.skip import SkipJoin

log = logging.getLogger(__name__)

BAD_ROW_EXAMPLES = 20
MAX_BACKOFF_S = 60.0
IN_FLIGHT_PER_WORKER = 2
"""Partitions handed to the executor per worker: one running, one queued behind it."""
STOPPED_EXIT_CODE = 130


@dataclass
class RunRequest:
    """A recipe to run, and how it was asked for (to print the resume command)."""

    recipe: Recipe
    config_name: str
    config_path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    """Resume even though the input changed since the plan was made."""
    retry_failed: bool = False
    """Also rerun the failed samples of committed partitions."""
    skip_processed: bool = False
    """Skip input records the success ledger already holds (a new input on an old job)."""
    process_ends_with_job: bool = False
    """The process exits after this job (a ``datamill`` command): its last ledger fold
    runs alone, the workers' fork server stopped first (:class:`Folder`)."""


@dataclass
class JobOutcome:
    summary: JobSummary
    layout: JobLayout
    export_path: Path
    results: dict[str, AnyResult]

    @property
    def exit_code(self) -> int:
        status = self.summary.status
        if status is JobStatus.COMPLETED:
            return 0
        return STOPPED_EXIT_CODE if status is JobStatus.STOPPED else 1


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


def backoff_delay(ft: FaultToleranceConfig, attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1`` of a partition."""
    if ft.retry_backoff == "exponential":
        delay = ft.retry_delay_s * 2 ** (attempt - 1)
    elif ft.retry_backoff == "linear":
        delay = ft.retry_delay_s * attempt
    else:
        delay = ft.retry_delay_s
    return float(min(delay, MAX_BACKOFF_S))


class AbandonNow(BaseException):
    """Raised by the second stop signal: abandon running partitions."""


def pipeline_for(recipe: Recipe, layout: JobLayout, result_format: str) -> PipelineSpec:
    storage = recipe.intermediate_storage
    strategy = recipe.checkpoint.strategy if recipe.checkpoint.enabled else "disabled"
    policy = CheckpointPolicy(
        strategy=strategy,
        n_ops=recipe.checkpoint.n_ops,
        op_names=tuple(recipe.checkpoint.op_names),
        root=str(layout.checkpoint_root),
        format=storage.format,
        compression=storage.compression,
        keep_all=storage.preserve_intermediate_data,
        memory_map=storage.arrow_memory_mapping,
    )
    return PipelineSpec(
        process=[dict(item) for item in recipe.process],
        text_key=recipe.text_key,
        id_field=recipe.id_field,
        results_dir=str(layout.results),
        result_format=result_format,
        keep_stats=recipe.keep_stats_in_res_ds,
        checkpoint=policy,
        on_sample_error=recipe.fault_tolerance.on_sample_error,
        intermediate_dir=str(layout.intermediate) if storage.preserve_intermediate_data else None,
        job_id=layout.job_id,
        progress_dir=str(layout.progress),
        sink=sql_sink(recipe, layout),
        batch_size=storage.arrow_batch_size,
        memory_map=storage.arrow_memory_mapping,
    )


def retry_rounds(
    layout: JobLayout, plan: Plan, committed: dict[str, AnyResult]
) -> list[tuple[PartitionSpec, int]]:
    """Committed partitions with failed samples on record, each with its next round."""
    folder = layout.progress / FAILED_DIR
    with_failures: set[str] = set()
    if folder.is_dir():  # committed since the last fold
        for path in folder.glob("part-*.parquet"):
            with_failures.add(base_id(path.name.removeprefix("part-").removesuffix(".parquet")))
    current = layout.ledger_file(FAILED_FILE)  # the failed set as of the last fold
    if current.exists():
        import pyarrow.parquet as pq

        by_index = {p.pid.index: p.id for p in plan.partitions}
        nums = pq.read_table(current, columns=["batch_num"]).column(0).unique().to_pylist()
        with_failures |= {by_index[n] for n in nums if n in by_index}
    last: dict[str, int] = {}
    for cid in committed:
        last[base_id(cid)] = max(last.get(base_id(cid), 0), retry_round(cid))
    return [
        (p, last.get(p.id, 0) + 1) for p in plan.partitions if p.id in with_failures and p.id in committed
    ]


def sa_url_masked(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def sql_sink(recipe: Recipe, layout: JobLayout) -> SqlSink | None:
    export = recipe.export
    if export is None:
        return None
    key = export.key or recipe.id_field
    if key is None:
        raise ConfigError("export: a SQL table needs a key: set 'id_field' or 'export.key'.")
    url = export.url or f"sqlite:///{layout.root / 'output.db'}"
    return SqlSink(url, export.table, key, export.insert_batch)


class Driver:
    """Runs one job from plan to export."""

    def __init__(self, request: RunRequest, console: Console) -> None:
        self.request = request
        self.recipe = recipe = request.recipe
        self.console = console
        job_id = check_job_id(recipe.job_id) if recipe.job_id else new_job_id(request.config_name)
        self.layout = JobLayout.for_recipe(recipe, job_id)
        self.target = ExportTarget.for_recipe(recipe, self.layout)
        self.pipeline = pipeline_for(recipe, self.layout, self.target.result_format)
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
        if self.pipeline.sink is not None:
            masked = sa_url_masked(self.pipeline.sink.url)
            self.summary.export_path = f"table {self.pipeline.sink.table} in {masked}"
        self._stop_deadline: float | None = None
        self._retries: list[tuple[PartitionSpec, int]] = []
        self._skip_join: SkipJoin | None = None
        self._executor: Executor | None = None
        """The run's executor, while a phase has work for it (see :meth:`_pool`)."""
        self._early: dict[Future[PartitionResult], PartitionTask] = {}
        self._inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.events = EventLog(self.layout.event_logs, job_id, recipe.event_logging)
        self._narrower = Narrower(self.events.emit)
        self._seq = itertools.count()
        self.index = CommitIndex(self.layout.commit_index)
        self.folder = Folder(
            self.layout.root,
            id_column(recipe.id_field),
            recipe.ledger.fold_interval_s,
            last_alone=request.process_ends_with_job,
        )
        self._abandoned = False
        self._cleanups: list[retention.Cleanup] = []
        self._began = time.time()
        self._processing_began: float | None = None
        """When the first partition of this run went to a worker."""
        self._plan_made: Plan | None = None
        self._done: dict[str, AnyResult] = {}
        """The committed partitions, as the run goes (the final report's source)."""
        self._run_record = RunRecord()
        self._in_retry_round: set[str] = set()
        self._commits_this_run = 0
        self._dedup_outcome: DedupOutcome | None = None
        me = identity()
        self.summary.driver_create_time, self.summary.driver_cmdline = me["create_time"], me["cmdline"]

    def run(self) -> JobOutcome:
        layout = self.layout
        self._began = time.time()  # JOB_START's time: before any partition's, though written after
        with JobLock(layout.lock, layout.job_id):
            upgrade_layout(layout.root)  # (a job directory of an older release)
            finish_fold(layout.root)  # (a fold stopped halfway)
            if self._start_ray_first():
                self._pool()
            try:
                return self._checked_run()
            finally:
                self._close_pool(kill=True)  # (if a phase that uses it did not: the run failed)

    def _start_ray_first(self) -> bool:
        """Whether a local Ray is to start (1.6 s) while the job's plan is made:
        yes, unless the job's last run completed, when a rerun most likely has
        nothing to run and would only wait for Ray to start and stop. (Joining
        a cluster is quick, and its storage check must wait for the job
        directory's cleanup at start, which removes a killed run's probes.)"""
        if self.recipe.executor_type != "ray" or self.recipe.ray_cluster is not None:
            return False
        try:
            last = json.loads(self.layout.summary.read_text(encoding="utf-8"))["status"]
        except (OSError, ValueError, KeyError, TypeError):
            return True  # (a first run, or a summary no one can read: the run will say)
        return bool(last != JobStatus.COMPLETED.value)

    def _checked_run(self) -> JobOutcome:
        """The job once its directory is locked: planned, checked, then run."""
        layout = self.layout
        plan = self._plan()
        self.pipeline = check_before_work(self.pipeline, plan, layout.input_columns)
        release_memory()  # (what scanning the input left behind, before the workers start)
        if self.pipeline.sink is None:
            check_destination(self.target.path, directory=self.target.kind == "dir")
        layout.create()
        self._cleanups = retention.at_start(layout, self.recipe.intermediate_storage)
        scan = ResultsScan.of(layout.results)
        join = self._skip_join_needed()
        if not join and layout.skip_list.exists():
            self.pipeline = replace(self.pipeline, skip_file=str(layout.skip_list))
        if self.pipeline.sink is not None:
            from datamill.job.dedup_phase import has_dedup
            from datamill.sinks.sql import check_sink

            if has_dedup(self.pipeline):
                raise ConfigError(
                    "export: a deduplicator decides which rows to drop only after every partition "
                    "committed, but a SQL table receives each partition's rows as it commits. "
                    "Export to a file (export_path: out.jsonl or .parquet) with a deduplicator in "
                    "the recipe, or run the deduplication as a job of its own before the one that "
                    "writes the table."
                )

            check_sink(self.pipeline.sink)  # a missing driver or a closed port costs a second
        self._start_early(plan, scan, join)
        return self._run(plan, scan, join)

    def _run(self, plan: Plan, scan: ResultsScan, join: bool) -> JobOutcome:
        layout = self.layout
        busy = {task.spec.id for task in self._early.values()}
        committed = prepare_resume(
            layout, plan, self.pipeline, pipeline_hash(self.pipeline), self.summary, scan, busy
        )
        if join:
            self._start_skip_join(plan)
        for note in self.summary.resume_notes:
            self.console.print(note, highlight=False)
        if plan.auto is not None:
            self.summary.partition_auto = plan.auto.to_json()
            for line in plan.auto.describe():
                self.console.print(line, highlight=False)
            for note in plan.auto.notes:
                self.console.print(f"[yellow]note: {note}[/]", highlight=False)
        with atomic_open(layout.config, "w") as fh:
            yaml.safe_dump(
                self.recipe.model_dump(mode="json") | {"job_id": layout.job_id}, fh, sort_keys=False
            )
        pending = [p for p in plan.partitions if p.id not in committed and p.id not in busy]
        counts = self.summary.counts
        counts.partitions_total = len(plan.partitions)
        counts.samples_total = plan.total_rows
        counts.partitions_skipped = len(plan.partitions) - len(pending) - len(busy)
        self._retries = retry_rounds(layout, plan, committed) if self.request.retry_failed else []
        self._in_retry_round = {spec.id for spec, _ in self._retries}
        for result in committed.values():
            self._count(result)
        self.summary.samples_at_run_start = counts.samples_read
        self.summary.write(layout.summary)
        self._done = committed
        to_run = f"{len(pending) + len(busy)} of {len(plan.partitions)} partitions to run"
        # (the partitions started early wait in the inbox: these come first, at the run's start)
        self.events.emit(EventType.JOB_START, at=self._began, message=to_run)
        if committed or self.summary.resume_notes:
            self.events.emit(
                EventType.JOB_RESUME,
                at=self._began,
                message=f"resuming: {counts.partitions_skipped} partitions committed by earlier runs "
                f"are kept, {counts.partitions_redone} redone; {to_run}",
            )
        self._emit_plan(plan)
        for note in self.summary.resume_notes:
            self.events.emit(EventType.WARNING, message=note)
        if plan.auto is not None:
            for line in plan.auto.describe():
                self.events.emit(EventType.INFO, message=line)
            for note in plan.auto.notes:
                self.events.emit(EventType.WARNING, message=note)
        retention.announce(self._cleanups, self.events.emit)
        try:
            outcome = self._finish(plan, pending, committed)
        except BaseException as exc:
            full = out_of_space(exc, layout.root)  # (the driver's own writes: events, summary, index)
            self._record_failure(full or exc)
            if full is None or full is exc:
                raise
            raise full from exc
        storage = self.recipe.intermediate_storage
        ended = retention.at_end(layout, storage, outcome.summary.status.value, outcome.results)
        retention.announce(ended, self.events.emit)
        self._emit_end(outcome)
        return outcome

    def _record_failure(self, exc: BaseException) -> None:
        """Mark the job failed in its summary and event log, as far as the disk allows."""
        self.folder.kill()
        self.summary.error = f"{type(exc).__name__}: {exc}"
        try:
            self.summary.finish(JobStatus.FAILED, self.layout.summary)
            try:
                self._write_report()
            except Exception as unwritten:  # (the job's own error is the one to raise)
                log.warning("%s could not be written: %s", self.layout.final_mapping_report, unwritten)
            self.events.emit(EventType.JOB_FAILED, error_type=type(exc).__name__, error_message=str(exc))
            self.events.close()
        except (OSError, OutOfSpace):
            if not isinstance(exc, OutOfSpace):
                raise
            log.warning("the job's failure could not be recorded: the disk is full")

    def _start_early(self, plan: Plan, scan: ResultsScan, join: bool) -> None:
        """Hand the first partitions to workers before the job's state is read.

        Reading what earlier runs committed (ten thousand commits, their
        ledger segments, the counts) takes a good part of a second on a big
        job, and none of it changes what a partition without a commit marker
        does: such a partition runs from its input either way. So, on a plain
        run, the first of them (as many as the loop keeps in flight) go to
        workers at once, and the reading happens while they run, leaving
        their files alone (``busy`` in :func:`prepare_resume`).

        Not when the run must first change the job's state: ``--retry-failed``
        (its rounds are cut from the committed results), the ``--skip-processed``
        join (it reads the ledger that resuming cleans), or checkpoints
        ``disabled`` (the state is wiped); nor with one worker in the driver's
        own process, where a partition would run before anything else."""
        recipe = self.recipe
        if (
            join
            or self.request.retry_failed
            or self.pipeline.checkpoint.strategy == "disabled"
            or (recipe.executor_type == "local" and recipe.np == 1)
        ):
            return
        early: list[PartitionSpec] = []
        for spec in plan.partitions:
            if spec.id in scan.markers:
                continue
            if is_piece(spec) and not os.path.exists(spec.read_path):
                break  # the stager writes it, once the job's state is read
            early.append(spec)
            if len(early) == IN_FLIGHT_PER_WORKER * recipe.np:
                break
        if early:
            clear_segments(self.layout, [spec.id for spec in early])
            executor = self._pool()
            self._processing_began = time.time()
            for spec in early:
                self._submit(executor, self._task(spec), self._early)

    def _emit_end(self, outcome: JobOutcome) -> None:
        s = outcome.summary
        s.driver_peak_rss_mb = peak_rss_mb()
        s.write(self.layout.summary)
        self._write_report()
        run_samples = s.counts.samples_read - s.samples_at_run_start
        if s.duration_seconds > 0:
            self.events.emit(
                EventType.PERFORMANCE_METRIC,
                metric="samples_per_second",
                value=round(run_samples / s.duration_seconds, 3),
                duration_s=s.duration_seconds,
                rows_in=run_samples,
            )
        kind = EventType.JOB_STOPPED if s.status is JobStatus.STOPPED else EventType.JOB_COMPLETE
        self.events.emit(kind, message=s.status.value, duration_s=s.duration_seconds)
        self.events.close()

    def _finish(
        self, plan: Plan, pending: list[PartitionSpec], committed: dict[str, AnyResult]
    ) -> JobOutcome:
        """Run the pending partitions, then export (or record that the job stopped)."""
        layout, counts = self.layout, self.summary.counts
        self._processing(plan, pending, committed)
        if not self._abandoned:
            release_memory()  # (before the fold process starts: the run's peak is often then)
            self._fold()
        if self._stop_deadline is not None and counts.partitions_done < counts.partitions_total:
            self._aggregate(plan, committed)
            self.summary.finish(JobStatus.STOPPED, layout.summary)
            return JobOutcome(self.summary, layout, self.target.path, committed)
        ordered = self._ordered(plan, committed)
        dedup = self._dedup(ordered)
        exporting = time.monotonic()
        self._export(ordered, dedup)
        self._emit_export(time.monotonic() - exporting)
        self._aggregate(plan, committed)
        status = JobStatus.COMPLETED_WITH_FAILURES if counts.partitions_failed else JobStatus.COMPLETED
        self.summary.finish(status, layout.summary)
        return JobOutcome(self.summary, layout, self.target.path, committed)

    def _processing(self, plan: Plan, pending: list[PartitionSpec], committed: dict[str, AnyResult]) -> None:
        """The processing phase: partitions run, between planning and export,
        bracketed by ``PROCESSING_START`` and ``PROCESSING_COMPLETE`` (or ``_ERROR``)."""
        to_run = len(pending) + len(self._early) + len(self._retries)
        done_before = len(plan.partitions) - len(pending) - len(self._early)
        began = self._processing_began or time.time()
        self.events.emit(
            EventType.PROCESSING_START,
            at=began,
            partitions=to_run,
            message=f"{to_run} partitions to run on {self.recipe.executor_type} "
            f"({done_before} of {len(plan.partitions)} done before)",
        )

        def counts() -> dict[str, Any]:
            return {
                "partitions": to_run,
                "partitions_done": self._commits_this_run,
                "partitions_failed": self.summary.counts.partitions_failed,
                "duration_s": round(time.time() - began, 3),
            }

        try:
            self._schedule(plan, pending, committed)
        except BaseException as exc:
            self.events.emit(
                EventType.PROCESSING_ERROR,
                error_type=type(exc).__name__,
                error_message=brief(str(exc)),
                **counts(),
            )
            raise
        ended = "stopped" if self._stop_deadline is not None else "finished"
        self.events.emit(EventType.PROCESSING_COMPLETE, message=ended, **counts())

    def _emit_plan(self, plan: Plan) -> None:
        """An INFO note with the plan's shape; at DEBUG, one note per partition."""
        self.events.emit(
            EventType.INFO,
            partitions=len(plan.partitions),
            rows_in=plan.total_rows,
            message=f"plan: {len(plan.partitions)} partitions of at most {plan.size} rows or "
            f"{plan.max_size_mb:g} MB, from {len(plan.sources)} input files; "
            f"see {self.layout.dataset_mapping}",
        )
        if not self.events.wanted(EventType.DEBUG):
            return
        names = {s.name: s.path for s in plan.sources}
        for spec in plan.partitions:
            where = f", bytes {spec.byte_start}-{spec.byte_stop}" if spec.read_format == "jsonl" else ""
            self.events.emit(
                EventType.DEBUG,
                partition_id=spec.id,
                rows_in=spec.rows,
                message=f"rows {spec.row_start}-{spec.row_stop}{where} of {names.get(spec.source_name)}",
            )

    def _emit_export(self, seconds: float) -> None:
        where = self.summary.export_path
        self.events.emit(
            EventType.INFO,
            rows_out=self.summary.counts.samples_written,
            duration_s=round(seconds, 3),
            message=f"exported to {where}"
            if self.pipeline.sink is None
            else f"rows upserted into {where} as partitions committed",
        )

    def _write_report(self) -> None:
        """``metadata/final_mapping_report.json``, as things stand now."""
        plan = self._plan_made
        if plan is None:
            return
        note = write_final_report(
            self.layout.final_mapping_report,
            job_id=self.layout.job_id,
            job_status=self.summary.status.value,
            plan=plan,
            committed=self._done,
            failed=self.summary.failed_partitions,
            run=self._run_record,
            results_dir=self.layout.results,
            checkpoint_root=self.layout.checkpoint_root,
        )
        if note:
            self.events.emit(EventType.WARNING, message=note)

    def _fold(self) -> None:
        """Bring the ledger's root files up to date (the end of a run, or a graceful stop)."""
        from datamill.ledger import read_fold_index

        def abandon(signum: int, frame: FrameType | None) -> None:
            raise AbandonNow()

        previous = {sig: signal.signal(sig, abandon) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            with self.console.status("Writing successful_tokens.parquet and failed_tokens.parquet…"):
                report = self.folder.finish()
        except AbandonNow:  # a stop signal while folding: the next run folds
            self.folder.kill()
            self.console.print("[yellow]stopping at once; the ledger's files are folded by the next run.[/]")
            report = None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        ledger = self.summary.ledger
        if report is not None:
            ledger.update(
                successful=report["successful"],
                failed=report["failed"],
                failures_on_record=report["history"],
                last_fold_seconds=report["seconds"],
            )
        ledger["folds"] = self.folder.folds
        ledger["duplicate_ids"] = read_fold_index(self.layout.fold_index).get("duplicate_ids", 0)
        if self.folder.error:
            ledger["fold_error"] = self.folder.error
            note = (
                f"The ledger's root files could not be brought up to date ({self.folder.error}); "
                "its segments under ledger/ hold every record, and the next run folds them."
            )
            self.console.print(f"[yellow]{note}[/]", highlight=False)
            self.events.emit(EventType.WARNING, message=note)

    def _plan(self) -> Plan:
        if self.layout.plan.exists():
            plan = load_plan(self.layout.plan)
            try:
                self._same_files(plan)
                verify_inputs(plan, force=self.request.force, job_id=self.layout.job_id)
                if not self.layout.dataset_mapping.exists():  # (a job of an older release)
                    write_dataset_mapping(self.layout.dataset_mapping, plan, self.layout.job_id)
                self._plan_made = plan
                return plan
            except InputError:
                if not self.request.skip_processed:
                    raise
            from datamill.ledger.skip import archive_generation

            gen = archive_generation(self.layout)
            self.summary.resume_notes.append(
                f"The input changed: the previous run on this directory was archived as history/gen{gen}; "
                "its ledger stays, and records it processed are skipped."
            )
        recipe = self.recipe
        sources = discover(recipe.dataset_path)
        self.layout.staging.mkdir(parents=True, exist_ok=True)
        with self.console.status("Planning partitions…"):
            plan = make_plan(
                sources,
                recipe.partition,
                self.layout.staging,
                process=recipe.process,
                keys=SampleKeys(recipe.text_key, recipe.image_key, recipe.audio_key, recipe.video_key),
            )
        plan.save(self.layout.plan)
        write_dataset_mapping(self.layout.dataset_mapping, plan, self.layout.job_id)
        self._plan_made = plan
        return plan

    def _same_files(self, plan: Plan) -> None:
        """A resumed job must read the files it was planned on."""
        if self.request.force:
            return
        now = [s.path for s in discover(self.recipe.dataset_path)]
        before = [s.path for s in plan.sources]
        if now != before:
            raise InputError(
                f"dataset_path '{self.recipe.dataset_path}' now names other files than job "
                f"{self.layout.job_id} was planned on ({len(before)} then, {len(now)} now). Start a new "
                "job, or pass --skip-processed to process the new input, skipping what is done."
            )

    def _skip_join_needed(self) -> bool:
        """Whether this run matches its input with the ledger (``--skip-processed``,
        or a run stopped during that join: a head list without the whole one)."""
        skip = self.layout.skip_list
        return not skip.exists() and (self.request.skip_processed or skip_head(skip).exists())

    def _start_skip_join(self, plan: Plan) -> None:
        from datamill.ledger.skip import SkipJoin

        with self.console.status("Finding records already processed…"):
            join = self._skip_join = SkipJoin(self.layout, plan, self.recipe.id_field)
            join.wait_head()
        self.summary.resume_notes.append(
            f"--skip-processed: the first {join.head_end} partitions start while the rest of the input "
            "is matched with the ledger."
            if join.head_end
            else f"--skip-processed: {join.skipped:,} input records are already in the ledger."
        )
        self.pipeline = replace(self.pipeline, skip_file=str(self.layout.skip_list))

    def _count(self, result: AnyResult) -> None:
        counts = self.summary.counts
        if retry_round(result.partition_id):
            failed_again = result.n_quarantined + result.n_bad
            counts.samples_written += result.rows_out
            counts.samples_recovered += result.rows_read - failed_again
            return
        counts.partitions_done += 1
        counts.samples_read += result.rows_read
        counts.samples_written += result.rows_out
        counts.samples_bad += result.n_bad
        counts.samples_quarantined += result.n_quarantined
        counts.samples_skipped += result.rows_skipped

    # -- scheduling ---------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_deadline is not None:
            raise AbandonNow()
        timeout = self.recipe.fault_tolerance.stop_timeout_s
        self._stop_deadline = time.monotonic() + timeout
        name = signal.Signals(signum).name
        self.console.print(
            f"[yellow]{name}: stopping. Running partitions get {timeout:g}s to finish; "
            "send the signal again to stop at once.[/]"
        )

    def _schedule(self, plan: Plan, pending: list[PartitionSpec], committed: dict[str, AnyResult]) -> None:
        if not pending and not self._retries and not self._early:
            if self.summary.startup_seconds is None:
                self.summary.startup_seconds = round(time.time() - datamill.STARTED, 3)
            return  # nothing to run: no workers to start
        # Pieces of the input still to stage are written beside the workers (datamill.io.pieces).
        stager = PieceStager(plan, [*pending, *(spec for spec, _ in self._retries)])
        executor = self._pool()
        self._sampler = ResourceSampler(executor, self.recipe.event_logging.resource_interval_s)
        self._releaser = Releaser()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        done_samples = sum(p.rows for p in plan.partitions if p.id in committed)
        ran_through = False
        try:
            with JobProgress(
                self.console, plan.total_rows, len(plan.partitions), len(committed), done_samples
            ) as bar:
                self._loop(executor, stager, pending, committed, bar)
            ran_through = self._stop_deadline is None
        except (ConfigError, ExecutorError, OutOfSpace):
            executor.kill()  # (the job stops: its running partitions need not finish)
            raise
        except AbandonNow:
            self.console.print("[yellow]stopping at once; running partitions are abandoned.[/]")
            self._abandoned = True
            self.folder.kill()
            executor.kill()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            stager.close()
            if self._skip_join is not None:
                self._skip_join.close()
            if not (ran_through and self._pool_lent_to_dedup()):
                self._close_pool()  # (every event its tasks sent is in the inbox once it is)
            self._note_startup(executor)
            self._drain()
            self.index.close()

    def _pool(self) -> Executor:
        """The run's executor, made at its first use: one per run, lent to the
        phases that run work on it (the partitions, the deduplicators' global
        phase on Ray) and closed by :meth:`_close_pool`."""
        if self._executor is None:
            self._executor = self._make_executor()
        return self._executor

    def _close_pool(self, *, kill: bool = False) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            if kill:
                executor.kill()
            else:
                executor.shutdown()

    def _pool_lent_to_dedup(self) -> bool:
        """Whether the deduplicators' global phase runs on the partitions' pool
        once they are done: on Ray, whose start costs seconds (on the local pool
        it runs in the driver)."""
        from datamill.job.dedup_phase import has_dedup

        return self.recipe.executor_type == "ray" and has_dedup(self.pipeline)

    def _make_executor(self) -> Executor:
        recipe = self.recipe
        stall = recipe.fault_tolerance.stall_timeout_s
        return make_executor(
            recipe.executor_type,
            recipe.np,
            self._inbox.put,
            stall,
            ray_address=recipe.ray_address,
            job_dir=self.layout.root,
            process=recipe.process,
        )

    def _note_startup(self, executor: Executor) -> None:
        """``startup_seconds``: from this process's start to its first partition
        in a worker's hands; and where partitions run (``executor``)."""
        first_dispatch = executor.first_dispatch
        if self.summary.startup_seconds is None and first_dispatch is not None:
            self.summary.startup_seconds = round(first_dispatch - datamill.STARTED, 3)
            facts: dict[str, Any] = {"type": self.recipe.executor_type, "slots": executor.slots}
            if self.recipe.executor_type == "ray":
                facts["ray_address"] = self.recipe.ray_address or "local"
            for key in ("nodes", "ray_start_seconds"):
                value = getattr(executor, key, None)
                if value is not None:
                    facts[key] = round(value, 3) if isinstance(value, float) else value
            self.summary.executor = facts

    def _loop(
        self,
        executor: Executor,
        stager: PieceStager,
        pending: list[PartitionSpec],
        committed: dict[str, AnyResult],
        bar: JobProgress,
    ) -> None:
        queue: deque[PartitionTask] = deque(self._task(spec) for spec in pending)
        queue.extend(self._task(spec, k) for spec, k in self._retries)
        delayed: list[tuple[float, int, PartitionTask]] = []
        running, self._early = self._early, {}  # (handed out while the job's state was read)
        while queue or delayed or running:
            stopping = self._stop_deadline is not None
            if stopping:
                if not running:
                    return
                if time.monotonic() > (self._stop_deadline or 0):
                    raise AbandonNow()
            else:
                now = time.monotonic()
                while delayed and delayed[0][0] <= now:
                    queue.append(heapq.heappop(delayed)[2])
                while (
                    queue
                    and len(running) < IN_FLIGHT_PER_WORKER * executor.slots
                    and self._can_start(stager, queue[0])
                ):
                    self._submit(executor, queue.popleft(), running)
            timeout = 0.5 if not delayed else max(0.0, min(0.5, delayed[0][0] - time.monotonic()))
            if queue and not stopping and not self._can_start(stager, queue[0]):
                timeout = min(timeout, 0.05)  # its piece is being staged, or its skip list made
            if not running:
                stager.wait(timeout)  # (wakes as soon as a piece is staged)
                continue
            finished, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
            self._note_startup(executor)
            self._drain()
            for future in finished:
                task = running.pop(future)
                queue.extendleft(reversed(self._finished(task, future, committed, delayed, bar)))
            self._sampler.maybe_emit(self.events)
            self.folder.maybe_start()
            self._releaser.maybe_release()
            self.summary.write(self.layout.summary, force=False)

    def _finished(
        self,
        task: PartitionTask,
        future: Future[PartitionResult],
        committed: dict[str, AnyResult],
        delayed: list[tuple[float, int, PartitionTask]],
        bar: JobProgress,
    ) -> list[PartitionTask]:
        """Act on a task's outcome; return the tasks to run next, before the queue."""
        error = future.exception()
        spec = task.spec
        if task.probe:
            return self._narrower.probed(task, error)
        if task.failure is not None:
            self._recorded(task, future)
        elif error is None:
            self._committed(spec, future.result(), committed)
            if not task.retry_round:
                bar.advance(spec.rows)
        elif stops_job(error):  # the recipe is wrong, the disk full, the executor broken: every partition
            self._emit_error(EventType.PARTITION_FAILED, spec, task.attempt, error, "stopping the job")
            raise error
        elif self._should_retry(error, task.attempt, self.recipe.fault_tolerance):
            self._retry(task, error, delayed)
        elif self._stop_deadline is None:
            probes = self._narrower.start(task, error)
            if probes:
                return probes
            self._fail(task, error)
            if not task.retry_round:
                bar.advance(spec.rows)
                step = op_of(error) or "partition"
                reason = brief(
                    f"partition failed after {task.attempt} attempt(s): {type(error).__name__}: {error}"
                )
                return [replace(task, failure=(step, reason), set_aside=())]
        return []

    def _task(self, spec: PartitionSpec, retry_round: int = 0) -> PartitionTask:
        """The first attempt at a partition (or at its retry round)."""
        return PartitionTask(spec, self.pipeline, 1, retry_round=retry_round)

    def _submit(
        self,
        executor: Executor,
        task: PartitionTask,
        running: dict[Future[PartitionResult], PartitionTask],
    ) -> None:
        running[executor.submit(task)] = task

    def _can_start(self, stager: PieceStager, task: PartitionTask) -> bool:
        """Whether the partition's input piece and skip list are on disk (a retry round skips nothing)."""
        join = self._skip_join
        return stager.ready(task.spec) and (join is None or bool(task.retry_round) or join.ready(task.spec))

    def _drain(self) -> None:
        """Write the events workers sent since the last call."""
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._note(event)
            self.events.write(event)

    def _note(self, event: dict[str, Any]) -> None:
        """What the final report and the summary learn from a worker's event."""
        kind, pid = event["type"], event.get("partition_id") or ""
        if kind == EventType.PARTITION_START.value and pid not in self._in_retry_round:
            self._run_record.started(pid)  # an attempt (a retry round's run is not one)
        elif kind == EventType.OP_FAILED.value:
            self.summary.counts.op_failures += 1
            self._run_record.op_failed(pid)

    def _committed(
        self, spec: PartitionSpec, result: PartitionResult, committed: dict[str, AnyResult]
    ) -> None:
        committed[result.partition_id] = result
        self._commits_this_run += 1
        self.index.append(self.layout.results, result)
        self._count(result)
        self.events.emit(
            EventType.PARTITION_COMPLETE,
            partition_id=spec.id,
            attempt=result.attempt,
            rows_in=result.rows_read,
            rows_out=result.rows_out,
            bytes=result.result_bytes,
            duration_s=round(result.seconds, 6),
            pid=result.pid,
            host=result.host,
        )

    def _retry(
        self, task: PartitionTask, error: BaseException, delayed: list[tuple[float, int, PartitionTask]]
    ) -> None:
        spec, attempt = task.spec, task.attempt
        delay = backoff_delay(self.recipe.fault_tolerance, attempt)
        self.summary.counts.partition_retries += 1
        log.warning(
            "partition %s failed (attempt %d), retrying in %.1fs: %s",
            spec.id,
            attempt,
            delay,
            brief(str(error)),
        )
        self._emit_error(EventType.PARTITION_RETRY, spec, attempt, error, f"retrying in {delay:.1f}s")
        again = replace(task, attempt=attempt + 1)
        heapq.heappush(delayed, (time.monotonic() + delay, next(self._seq), again))

    def _emit_error(
        self, kind: EventType, spec: PartitionSpec, attempt: int, error: BaseException, message: str
    ) -> None:
        self.events.emit(
            kind,
            partition_id=spec.id,
            attempt=attempt,
            error_type=type(error).__name__,
            error_message=brief(str(error)),
            traceback=getattr(error, "remote_traceback", None),
            message=message,
        )

    def _should_retry(self, error: BaseException, attempt: int, ft: FaultToleranceConfig) -> bool:
        if self._stop_deadline is not None or not ft.enabled or attempt > ft.max_retries:
            return False
        return classify(error)

    def _fail(self, task: PartitionTask, error: BaseException) -> None:
        spec, attempt = task.spec, task.attempt
        self.summary.counts.partitions_failed += 1
        self.summary.failed_partitions.append(
            {
                "partition_id": spec.id,
                "attempts": attempt,
                "step": op_of(error) or "partition",
                "error": brief(f"{type(error).__name__}: {error}"),
            }
        )
        log.error("partition %s failed after %d attempt(s): %s", spec.id, attempt, brief(str(error)))
        self._emit_error(
            EventType.PARTITION_FAILED, spec, attempt, error, f"failed after {attempt} attempt(s)"
        )

    def _recorded(self, task: PartitionTask, future: Future[PartitionResult]) -> None:
        """A failed partition's records are in the failed ledger (or could not be listed)."""
        entry: dict[str, Any] = next(
            (e for e in reversed(self.summary.failed_partitions) if e["partition_id"] == task.spec.id), {}
        )
        error = future.exception()
        if error is not None:
            entry["records"] = f"its records could not be listed: {type(error).__name__}: {error}"
            self._emit_error(EventType.WARNING, task.spec, task.attempt, error, entry["records"])
            return
        result = future.result()
        counts = self.summary.counts
        counts.samples_read += result.rows_read
        counts.samples_bad += result.n_bad
        counts.samples_quarantined += result.n_quarantined
        counts.samples_skipped += result.rows_skipped
        entry["records_failed"] = result.n_bad + result.n_quarantined
        self.events.emit(
            EventType.SAMPLES_QUARANTINED,
            partition_id=task.spec.id,
            attempt=task.attempt,
            rows_in=result.n_quarantined,
            op_name=task.failure[0] if task.failure else None,
            message=f"the {result.n_quarantined} records of failed partition {task.commit_id} are in the "
            "failed ledger; running the same command again retries the partition",
        )

    # -- the end --------------------------------------------------------------

    @staticmethod
    def _ordered(plan: Plan, committed: dict[str, AnyResult]) -> list[AnyResult]:
        """The commits in export order: partitions in plan order, each followed by its retry rounds."""
        rounds: dict[str, list[AnyResult]] = {}
        for cid, result in committed.items():
            if retry_round(cid):
                rounds.setdefault(base_id(cid), []).append(result)
        ordered: list[AnyResult] = []
        for p in plan.partitions:
            if p.id in committed:
                extra = sorted(rounds.get(p.id, []), key=lambda r: retry_round(r.partition_id))
                ordered += [committed[p.id], *extra]
        return ordered

    def _dedup(self, ordered: list[AnyResult]) -> DedupOutcome | None:
        """The deduplicators' global phase, between the partitions and the export."""
        from datamill.job.dedup_phase import global_phase, has_dedup, write_duplicates

        if not has_dedup(self.pipeline):
            return None
        layout = self.layout
        try:
            with self.console.status("Deduplicating: grouping the committed hashes…"):
                outcome = global_phase(
                    layout.dedup,
                    layout.results,
                    self.pipeline,
                    ordered,
                    self.events.emit,
                    calls=_calls_on(self._pool) if self._pool_lent_to_dedup() else None,
                )
        finally:
            self._close_pool()
        self.summary.dedup = [report.to_json() for report in outcome.reports]
        for report in outcome.reports:
            self.console.print(
                f"{report.op_name}: {report.rows_dropped} of {report.rows_in} rows are duplicates "
                f"({report.clusters} clusters){'; decided by an earlier run' if report.reused else ''}",
                highlight=False,
            )
        if self.recipe.intermediate_storage.preserve_intermediate_data:
            rows = write_duplicates(layout.duplicates, layout.results, self.pipeline, ordered, outcome)
            self.events.emit(
                EventType.INFO, rows_out=rows, message=f"{layout.duplicates}: {rows} duplicate rows listed"
            )
        self._dedup_outcome = outcome
        return outcome

    def _export(self, ordered: list[AnyResult], dedup: DedupOutcome | None) -> None:
        if self.pipeline.sink is not None:
            return  # every partition upserted its rows before it committed
        from datamill.io import writers

        parts = [self.layout.results / r.result_file for r in ordered]
        masks = None
        if dedup is not None:
            from datamill.job.dedup_phase import export_masks

            masks = export_masks(self.layout.results, ordered, dedup.dropped)
            self.summary.counts.samples_written -= sum(int((~m).sum()) for m in masks if m is not None)
        target = self.target
        for leftover in target.path.parent.glob(f"{TMP_PREFIX}{target.path.name}.*"):
            leftover.unlink(missing_ok=True)  # an export interrupted by a crash
        with self.console.status(f"Exporting to {target.path}…"):
            if target.kind == "jsonl":
                writers.merge_jsonl(parts, target.path, masks)
            elif target.kind == "parquet":
                writers.merge_parquet(parts, target.path, masks)
            else:
                writers.export_directory(parts, target.path, masks)

    def _aggregate(self, plan: Plan, committed: dict[str, AnyResult]) -> None:
        ordered = [committed[p.id] for p in plan.partitions if p.id in committed]
        rows = [row for result in ordered for row in result.bad_rows]
        if rows:
            with atomic_open(self.layout.bad_rows, "w") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.summary.bad_rows = {
            "count": len(rows),
            "file": str(self.layout.bad_rows) if rows else None,
            "examples": rows[:BAD_ROW_EXAMPLES],
        }
        totals: dict[int, dict[str, Any]] = {}
        for result in ordered:
            for m in result.ops:
                t = totals.setdefault(
                    m.index,
                    {
                        "index": m.index,
                        "name": m.name,
                        "rows_in": 0,
                        "rows_out": 0,
                        "rows_changed": 0,
                        "rows_failed": 0,
                        "seconds": 0.0,
                    },
                )
                t["rows_in"] += m.rows_in
                t["rows_out"] += m.rows_out
                t["rows_changed"] += m.rows_changed
                t["rows_failed"] += m.rows_failed
                t["seconds"] = round(t["seconds"] + m.seconds, 3)
        outcome = self._dedup_outcome
        for report in outcome.reports if outcome is not None else ():
            if report.op_index in totals:  # its partitions pass every row on; the export drops these
                totals[report.op_index]["rows_out"] -= report.rows_dropped
        self.summary.ops = [
            t | {"rows_removed": t["rows_in"] - t["rows_out"] - t["rows_failed"]}
            for _, t in sorted(totals.items())
        ]


def _calls_on(pool: Callable[[], Executor]) -> Calls:
    """Run plain functions as tasks of the Ray executor ``pool`` gives (asked
    for at the first call: a decision an earlier run made needs no Ray),
    results as they come."""
    from concurrent.futures import as_completed

    def run(fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> Iterator[Any]:
        executor = cast("RayExecutor", pool())
        for future in as_completed([executor.call(fn, *a) for a in args]):
            yield future.result()

    return run


def run_job(request: RunRequest, console: Console) -> JobOutcome:
    """Run the job ``request`` describes; raise DatamillError on bad input."""
    return Driver(request, console).run()
