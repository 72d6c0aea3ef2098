"""The partition function: the one piece of code every executor runs.

``run_partition`` starts from the partition's newest valid checkpoint (or
reads it from the input), runs the remaining ops, checkpointing as the policy
says, then writes the result file and commits it with a marker. It receives a
descriptor and returns a small :class:`PartitionResult`; data never crosses
the process boundary. Ops are built once per worker process and reused.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datamill import ledger
from datamill.engine.checkpoint import CheckpointStore, PartitionState, write_table
from datamill.engine.commit import result_path, write_marker
from datamill.engine.memory import release_memory
from datamill.engine.results import FAILED_PARTITION, OpMetrics, PartitionResult
from datamill.engine.spec import (
    EventSink,
    PartitionTask,
    PipelineSpec,
    SqlSink,
    pipeline_hash,
    prefix_hashes,
)
from datamill.errors import OpError, at_op, brief
from datamill.events.log import make_event
from datamill.events.types import EventType
from datamill.io.arrays import flags, strings
from datamill.io.readers import ROW_ID, ROW_ID_SHIFT, BadRow, read_partition
from datamill.io.writers import output_table, result_suffix, write_result
from datamill.ledger import segments
from datamill.ops.base import Op, OpResult, missing_module
from datamill.ops.dedup import RECORD_ID, dedup_positions
from datamill.ops.registry import build_pipeline
from datamill.plan.planner import PartitionSpec

_PIPELINES: dict[str, tuple[list[Op], list[str]]] = {}
SINK_STEP = "database_insert"
"""The failed ledger's step for a row the database refused."""

_sink: EventSink | None = None


def set_event_sink(sink: EventSink | None) -> None:
    """Where this process's partition events go (the driver writes them)."""
    global _sink
    _sink = sink


def _emit(task: PartitionTask, type_: EventType, **fields: Any) -> None:
    if _sink is not None:
        _sink(
            make_event(task.pipeline.job_id, type_, partition_id=task.spec.id, attempt=task.attempt, **fields)
        )


def pipeline_ops(pipeline: PipelineSpec) -> tuple[list[Op], list[str]]:
    """The ops of ``pipeline`` and their prefix hashes, built once per process."""
    cached = _PIPELINES.get(pipeline.key)
    if cached is None:
        ops = build_pipeline(pipeline.process, pipeline.text_key)
        for op, entry in zip(ops, pipeline.process, strict=True):
            params = next(iter(entry.values())) or {}
            if "batch_size" not in params:
                op.batch_size = pipeline.batch_size  # arrow_batch_size; an op's own batch_size wins
        cached = _PIPELINES[pipeline.key] = (ops, prefix_hashes(ops, pipeline.text_key, pipeline.id_field))
    return cached


def run_op(
    op: Op,
    index: int,
    table: pa.Table,
    state: PartitionState,
    task: PartitionTask,
    hashes: dict[int, pa.Table] | None = None,
) -> pa.Table:
    """Run one op, setting aside the samples it raises on; a deduplicator's
    hashes of the rows go to ``hashes[index]``, with the rows' record ids."""
    started = time.perf_counter()
    _emit(task, EventType.OP_START, op_name=op.name, op_index=index, rows_in=table.num_rows)
    try:
        outcome = op.run(table)
    except ImportError as exc:
        missing = missing_module(op.name, exc)
        at_op(missing, op.name)
        _op_failed(task, op.name, index, type(missing).__name__, str(missing), "the job stops")
        raise missing from exc
    except Exception as exc:
        at_op(exc, op.name)
        _op_failed(task, op.name, index, type(exc).__name__, str(exc), "this attempt at the partition fails")
        raise
    if outcome.hashes is not None and hashes is not None:
        ids = table.column(task.pipeline.columns.id_column).combine_chunks().cast(pa.string())
        hashes[index] = outcome.hashes.add_column(1, RECORD_ID, ids)
    if outcome.rows_removed:
        state.filtered_ids.extend(_removed_ids(table, outcome, task.pipeline.columns.id_column))
    if outcome.failures:
        first = outcome.failures[0]
        error_type, _, error_message = first.error.partition(": ")
        if task.pipeline.on_sample_error == "fail_partition":
            _op_failed(task, op.name, index, error_type, error_message, "the partition fails")
            error = OpError(f"op '{op.name}' failed on a sample of partition {task.spec.id}: {first.error}")
            at_op(error, op.name)
            raise error
        _op_failed(
            task,
            op.name,
            index,
            error_type,
            error_message,
            f"{len(outcome.failures)} samples set aside, the others go on",
        )
        ids = table.column(task.pipeline.columns.id_column)
        now = datetime.now(UTC).isoformat()
        for failure in outcome.failures:
            state.quarantined.append(
                {
                    "id": str(ids[failure.row].as_py()),
                    "step": op.name,
                    "error_msg": brief(failure.error),
                    "batch_num": task.spec.pid.index,
                    "failed_at": now,
                }
            )
    metrics = OpMetrics(
        op.name,
        index,
        table.num_rows,
        outcome.table.num_rows,
        outcome.rows_changed,
        time.perf_counter() - started,
        rows_failed=len(outcome.failures),
    )
    state.ops.append(metrics.to_json())
    if outcome.failures:
        _emit(
            task,
            EventType.SAMPLES_QUARANTINED,
            op_name=op.name,
            op_index=index,
            rows_in=len(outcome.failures),
            message=f"{len(outcome.failures)} samples set aside; first: {outcome.failures[0].error}",
        )
    _emit(
        task,
        EventType.OP_COMPLETE,
        op_name=op.name,
        op_index=index,
        rows_in=metrics.rows_in,
        rows_out=metrics.rows_out,
        duration_s=round(metrics.seconds, 6),
    )
    return outcome.table


ERROR_MESSAGE_CHARS = 1000
"""An ``OP_FAILED`` event's error message is cut to this many characters."""


def _op_failed(task: PartitionTask, op_name: str, index: int, error_type: str, error: str, then: str) -> None:
    """Say that op ``op_name`` raised in this partition, and what happens next."""
    if len(error) > ERROR_MESSAGE_CHARS:
        error = error[: ERROR_MESSAGE_CHARS - 1] + "…"
    _emit(
        task,
        EventType.OP_FAILED,
        op_name=op_name,
        op_index=index,
        error_type=error_type,
        error_message=error,
        message=f"op '{op_name}' raised {error_type}: {then}",
    )


def _removed_ids(before: pa.Table, outcome: OpResult, id_col: str) -> list[str]:
    ids = before.column(id_col)
    gone = pc.invert(pc.is_in(ids, value_set=outcome.table.column(id_col).combine_chunks()))
    failed = {before.column(id_col)[f.row].as_py() for f in outcome.failures}
    return [str(i) for i in ids.filter(gone).to_pylist() if i not in failed]


def _filter_ids(
    table: pa.Table, bad: list[BadRow], id_column: str, ids: pa.Array, keep: bool
) -> tuple[pa.Table, list[BadRow]]:
    """Keep only (``keep``) or drop the rows and bad rows whose id is in ``ids``."""
    hit = pc.is_in(table.column(id_column).cast(pa.string()), value_set=ids)
    listed = set(ids.to_pylist())  # at most one partition's ids
    return table.filter(hit if keep else pc.invert(hit)), [b for b in bad if (b.id in listed) == keep]


def _not_processed(
    skip_file: str, spec: PartitionSpec, table: pa.Table, bad: list[BadRow], pipeline: PipelineSpec
) -> tuple[pa.Table, list[BadRow], pa.Array]:
    """Drop the rows whose ids the success ledger already holds; also return
    the partition's ids that failed in an earlier run, to see if they succeed."""
    from datamill.ledger.skip import skipped_ids

    skip, watch = skipped_ids(skip_file, spec, pipeline.columns)
    if len(skip) == 0:
        return table, bad, watch
    return (*_filter_ids(table, bad, pipeline.columns.id_column, skip, keep=False), watch)


def _only_failed(task: PartitionTask, table: pa.Table, bad: list[BadRow]) -> tuple[pa.Table, list[BadRow]]:
    """The rows of a retry round: those still in the partition's failed view."""
    failed = segments.failed_view(Path(task.pipeline.progress_dir), task.spec.id, task.spec.pid.index)
    return _filter_ids(table, bad, task.pipeline.columns.id_column, failed, keep=True)


def _write_ledger(
    task: PartitionTask, table: pa.Table, state: PartitionState, watch: pa.Array | None
) -> tuple[dict[str, int], list[str]]:
    """The partition's ledger segments; returns their sizes and timestamp for
    the marker, and the ids that had failed before (``recovered``)."""
    pipeline, spec = task.pipeline, task.spec
    id_col = ledger.id_column(pipeline.id_field)
    progress = Path(pipeline.progress_dir)
    index = spec.pid.index
    written = table.column(pipeline.columns.id_column).combine_chunks().cast(pa.string())
    ids = pa.concat_arrays([written, strings(state.filtered_ids)])
    written_flags = flags(len(written), len(state.filtered_ids))
    name = task.commit_id
    success = progress / ledger.SUCCESS_DIR
    segment = segments.success_table(ids, index, id_col, written_flags)
    segments.write_segment(success, name, segment)
    sizes = {
        "success_bytes": (success / ledger.segment_name(name)).stat().st_size,
        "processed_at": segments.segment_time(segment),
    }
    if task.retry_round:
        recovered = ids.to_pylist()  # a round reruns failed records only
    elif watch is not None and len(watch):
        recovered = ids.filter(pc.is_in(ids, value_set=watch)).to_pylist()
    else:
        recovered = []
    failed = [
        {
            "id": b["id"],
            "error_msg": brief(b["reason"]),
            "batch_num": index,
            "step": "read",
            "failed_at": None,
        }
        for b in state.bad_rows
    ] + state.quarantined
    failed_path = progress / ledger.FAILED_DIR / ledger.segment_name(name)
    if failed:
        segments.write_segment(failed_path.parent, name, segments.failed_table(failed, id_col))
        sizes["failed_bytes"] = failed_path.stat().st_size
    else:
        failed_path.unlink(missing_ok=True)
    return sizes, recovered


def _read_input(task: PartitionTask) -> tuple[pa.Table, PartitionState, pa.Array | None]:
    """The partition's rows as read: the input, less what a retry round or
    ``--skip-processed`` leaves out (the rows probes and set-aside positions
    refer to); with its state, and the ids to watch for recovery."""
    pipeline, spec = task.pipeline, task.spec
    table, bad_rows = read_partition(spec, pipeline.columns)
    if dedup_positions(pipeline_ops(pipeline)[0]):
        first = spec.pid.index << ROW_ID_SHIFT
        table = table.append_column(ROW_ID, pa.array(range(first, first + table.num_rows), pa.int64()))
    if task.retry_round:
        table, bad_rows = _only_failed(task, table, bad_rows)
    before = table.num_rows + len(bad_rows)
    watch = None
    if pipeline.skip_file and not task.retry_round:
        table, bad_rows, watch = _not_processed(pipeline.skip_file, spec, table, bad_rows, pipeline)
    state = PartitionState(
        rows_read=table.num_rows + len(bad_rows),
        bad_rows=[b.to_json() for b in bad_rows],
        rows_skipped=before - table.num_rows - len(bad_rows),
    )
    return table, state, watch


def _fail_rows(
    task: PartitionTask, table: pa.Table, state: PartitionState, rows: list[tuple[int, str, str]]
) -> pa.Table:
    """Record the rows at ``rows`` (position, step, error) as failed; return the others."""
    if not rows:
        return table
    ids = table.column(task.pipeline.columns.id_column)
    now = datetime.now(UTC).isoformat()
    for position, step, error in rows:
        state.quarantined.append(
            {
                "id": str(ids[position].as_py()),
                "step": step,
                "error_msg": brief(error),
                "batch_num": task.spec.pid.index,
                "failed_at": now,
            }
        )
    drop = pa.array([position for position, _, _ in rows], pa.int64())
    keep = pc.invert(pc.is_in(pa.array(range(table.num_rows), pa.int64()), value_set=drop))
    return table.filter(keep)


def _set_aside(task: PartitionTask, table: pa.Table, state: PartitionState) -> pa.Table:
    """Leave out the samples that kill the worker, recorded as failed with the op and how."""
    rows = [(s.position, s.step, s.error) for s in task.set_aside if s.position < table.num_rows]
    if not rows:
        return table
    table = _fail_rows(task, table, state, rows)
    named = [q["id"] for q in state.quarantined[-len(rows) :]]
    _emit(
        task,
        EventType.SAMPLES_QUARANTINED,
        op_name=rows[0][1],
        rows_in=len(rows),
        message=f"{len(rows)} samples kill their worker and were set aside: {', '.join(named[:20])}"
        f"{'…' if len(named) > 20 else ''}; {rows[0][2]}",
    )
    return table


def probe_partition(task: PartitionTask) -> PartitionResult:
    """Run the ops on some rows of the partition and commit nothing: whether
    the worker survives them is the answer (the driver narrows down samples
    that kill their worker this way)."""
    started = time.perf_counter()
    assert task.rows is not None
    start, stop = task.rows
    table, state, _ = _read_input(task)
    table = table.slice(start, max(0, stop - start))
    rows = table.num_rows
    ops, _ = pipeline_ops(task.pipeline)
    for index, op in enumerate(ops):
        table = run_op(op, index, table, state, task, {})  # (hashes made, as a run would, and dropped)
    return PartitionResult(
        partition_id=task.commit_id,
        rows_read=rows,
        rows_out=table.num_rows,
        result_file="",
        result_bytes=0,
        seconds=time.perf_counter() - started,
        pid=os.getpid(),
        host=socket.gethostname(),
        attempt=task.attempt,
    )


def record_failure(task: PartitionTask) -> PartitionResult:
    """Commit a partition that failed as a whole as failed: every record it
    read goes to the failed ledger with the step and error, nothing to the
    output. The marker's hash is :data:`FAILED_PARTITION`, so the next run
    removes it and runs the partition again."""
    assert task.failure is not None
    step, error = task.failure
    pipeline = task.pipeline
    started = time.perf_counter()
    table, state, _ = _read_input(task)
    _fail_rows(task, table, state, [(i, step, error) for i in range(table.num_rows)])
    empty = table.slice(0, 0)
    results_dir = Path(pipeline.results_dir)
    dest = result_path(results_dir, task.commit_id, result_suffix(pipeline.result_format))
    nbytes = write_result(output_table(empty, pipeline.keep_stats), dest, pipeline.result_format)
    segments, _ = _write_ledger(task, empty, state, None)
    result = PartitionResult(
        partition_id=task.commit_id,
        rows_read=state.rows_read,
        rows_out=0,
        result_file=dest.name,
        result_bytes=nbytes,
        seconds=time.perf_counter() - started,
        pid=os.getpid(),
        host=socket.gethostname(),
        attempt=task.attempt,
        bad_rows=state.bad_rows,
        quarantined=state.quarantined,
        pipeline_hash=FAILED_PARTITION,
        rows_skipped=state.rows_skipped,
        ledger=segments,
    )
    write_marker(results_dir, result)
    return result


def run_task(task: PartitionTask) -> PartitionResult:
    """What a worker runs: a partition, a probe or a failure record."""
    if task.probe:
        return probe_partition(task)
    if task.failure is not None:
        return record_failure(task)
    return run_partition(task)


def run_partition(task: PartitionTask) -> PartitionResult:
    """Read (or resume), process, write and commit one partition."""
    started = time.perf_counter()
    pipeline, spec = task.pipeline, task.spec
    _emit(task, EventType.PARTITION_START, rows_in=spec.rows)
    ops, hashes = pipeline_ops(pipeline)
    dedups = dedup_positions(ops)
    store = CheckpointStore(pipeline.checkpoint)
    # Set-aside positions are in the rows as read: such a run starts from the input.
    use_checkpoints = pipeline.checkpoint.enabled and not task.retry_round
    load = use_checkpoints and not task.set_aside
    resumed = store.latest(spec.id, hashes, pipeline.columns, dedups) if load else None
    watch: list[pa.Array] = []
    side: dict[int, pa.Table] = {}
    """Each deduplicator's hashes of the partition, by op index."""
    if resumed:
        table, state, checkpoint, side = resumed.table, resumed.state, resumed.path, resumed.hashes
        first = resumed.op_index + 1
        kept_hashes = set(side)
        _emit(task, EventType.CHECKPOINT_LOAD, op_index=resumed.op_index, checkpoint_path=str(checkpoint))
    else:
        table, state, watched = _read_input(task)
        if watched is not None:
            watch.append(watched)
        table = _set_aside(task, table, state)
        first, checkpoint, kept_hashes = 0, None, set()
    release_memory()  # what parsing the input left behind
    for index in range(first, len(ops)):
        table = run_op(ops[index], index, table, state, task, side)
        release_memory()  # the op's input and working copies: the peak stays one op's
        _keep_intermediate(task, index, ops[index].name, hashes[index], table)
        if use_checkpoints and pipeline.checkpoint.after(index, ops[index].name, len(ops) - 1):
            for d in sorted(set(side) - kept_hashes):
                store.save_hashes(spec.id, d, hashes[d], side[d])
                kept_hashes.add(d)
            saved = store.save(spec.id, index, hashes[index], table, state)
            _emit(
                task,
                EventType.CHECKPOINT_SAVE,
                op_name=ops[index].name,
                op_index=index,
                checkpoint_path=str(saved),
                bytes=saved.stat().st_size,
            )
    results_dir = Path(pipeline.results_dir)
    dest = result_path(results_dir, task.commit_id, result_suffix(pipeline.result_format))
    out = output_table(table, pipeline.keep_stats)
    if pipeline.sink is not None:
        table, out = _to_sink(task, pipeline.sink, table, out, state)
    nbytes = write_result(out, dest, pipeline.result_format)
    dedup_files, rows_file = _write_hashes(task, dedups, side, table)
    if resumed and pipeline.skip_file and not task.retry_round:
        from datamill.ledger.skip import skipped_ids

        watch.append(skipped_ids(pipeline.skip_file, spec, pipeline.columns)[1])
    segments, recovered = _write_ledger(task, table, state, watch[0] if watch else None)
    result = PartitionResult(
        partition_id=task.commit_id,
        rows_read=state.rows_read,
        rows_out=table.num_rows,
        result_file=dest.name,
        result_bytes=nbytes,
        seconds=time.perf_counter() - started,
        pid=os.getpid(),
        host=socket.gethostname(),
        attempt=task.attempt,
        ops=[OpMetrics.from_json(m) for m in state.ops],
        bad_rows=state.bad_rows,
        quarantined=state.quarantined,
        pipeline_hash=pipeline_hash(pipeline),
        resumed_from=str(checkpoint) if checkpoint else None,
        rows_skipped=state.rows_skipped,
        ledger=segments,
        recovered=recovered,
        dedup=dedup_files,
        rows_file=rows_file,
    )
    write_marker(results_dir, result)
    if not pipeline.checkpoint.keep_all and not task.retry_round:
        store.clear(spec.id)
    return result


def _write_hashes(
    task: PartitionTask, dedups: list[int], side: dict[int, pa.Table], table: pa.Table
) -> tuple[dict[str, list[Any]], str | None]:
    """Commit each deduplicator's hashes of the partition, and the row ids of
    its result (in order), as side files named in the marker."""
    if not dedups:
        return {}, None
    results_dir = Path(task.pipeline.results_dir)
    files: dict[str, list[Any]] = {}
    for d in dedups:
        name = f"part-{task.commit_id}.dedup{d:03d}.parquet"
        digest = _write_side(side[d], results_dir / name)
        files[str(d)] = [name, side[d].num_rows, digest]
    rows_name = f"part-{task.commit_id}.rows.parquet"
    _write_side(table.select([ROW_ID]), results_dir / rows_name)
    return files, rows_name


def _write_side(table: pa.Table, dest: Path) -> str:
    """Write a side file atomically; return a digest of its bytes."""
    import hashlib

    import pyarrow.parquet as pq

    from datamill.atomic import atomic_path

    with atomic_path(dest) as tmp:
        pq.write_table(table, tmp, compression="none")
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()[:16]
    return digest


def _to_sink(
    task: PartitionTask, sink: SqlSink, table: pa.Table, out: pa.Table, state: PartitionState
) -> tuple[pa.Table, pa.Table]:
    """Upsert ``out`` into the job's table. The rows the database refuses are
    set aside like an op's failed samples (step ``database_insert``) and
    dropped from ``table`` and ``out``, which are returned."""
    from datamill.sinks.sql import upsert

    refused = upsert(out, sink.url, sink.table, sink.key, sink.insert_batch)
    if not refused:
        return table, out
    ids = table.column(task.pipeline.columns.id_column)
    now = datetime.now(UTC).isoformat()
    for r in refused:
        state.quarantined.append(
            {
                "id": str(ids[r.row].as_py()),
                "step": SINK_STEP,
                "error_msg": r.error,
                "batch_num": task.spec.pid.index,
                "failed_at": now,
            }
        )
    _emit(
        task,
        EventType.SAMPLES_QUARANTINED,
        op_name=SINK_STEP,
        rows_in=len(refused),
        message=f"{len(refused)} rows refused by the database; first: {refused[0].error}",
    )
    gone = {r.row for r in refused}
    mask = pa.array([row not in gone for row in range(table.num_rows)])
    return table.filter(mask), out.filter(mask)


def intermediate_path(root: Path, partition_index: int, op_index: int, op_name: str, ext: str) -> Path:
    """``partition_{NNNNNN}/op_{KKK}_{op_name}{ext}``, as seed 001 names them."""
    safe = op_name.replace(":", "_").replace("/", "_")
    return root / f"partition_{partition_index:06d}" / f"op_{op_index:03d}_{safe}{ext}"


def _keep_intermediate(task: PartitionTask, index: int, name: str, prefix: str, table: pa.Table) -> None:
    """Keep op ``index``'s output (``preserve_intermediate_data``). The file's
    metadata says what made it (partition id, prefix hash, attempt), since the
    name alone no longer tells a new plan or pipeline from an old one; a retry
    round's subset goes in ``retry_round_{k}/`` so it does not replace the
    partition's full output."""
    pipeline = task.pipeline
    if pipeline.intermediate_dir is None:
        return
    policy = pipeline.checkpoint
    root = Path(pipeline.intermediate_dir)
    dest = intermediate_path(root, task.spec.pid.index, index, name, policy.extension)
    if task.retry_round:
        dest = dest.parent / f"retry_round_{task.retry_round}" / dest.name
    made_by = {
        "partition_id": task.spec.id,
        "op_index": index,
        "op_name": name,
        "prefix_hash": prefix,
        "attempt": task.attempt,
        "retry_round": task.retry_round,
    }
    write_table(table, dest, policy.format, policy.compression, json.dumps(made_by).encode())
