"""The partition function: the one piece of code every executor runs.

``run_partition`` reads its partition from the input, runs the pipeline over
it, writes the result file and commits it with a marker. It receives a
descriptor and returns a small :class:`PartitionResult`; data never crosses
the process boundary. Ops are built once per worker process and reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from datamill.engine.commit import result_path, write_marker
from datamill.engine.results import OpMetrics, PartitionResult
from datamill.io.readers import Columns, read_partition
from datamill.io.writers import output_table, result_suffix, write_result
from datamill.ops.base import Op
from datamill.ops.registry import build_pipeline
from datamill.plan.planner import PartitionSpec


@dataclass(frozen=True)
class PipelineSpec:
    """What every partition of a job shares: the ops and where results go."""

    process: list[dict[str, Any]]
    text_key: str
    id_field: str | None
    results_dir: str
    result_format: str
    keep_stats: bool

    @property
    def key(self) -> str:
        blob = json.dumps([self.process, self.text_key], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class PartitionTask:
    """A descriptor of work: which partition, which pipeline, which attempt."""

    spec: PartitionSpec
    pipeline: PipelineSpec
    attempt: int = 1


_PIPELINES: dict[str, list[Op]] = {}


def pipeline_ops(pipeline: PipelineSpec) -> list[Op]:
    """The ops of ``pipeline``, built once per process."""
    ops = _PIPELINES.get(pipeline.key)
    if ops is None:
        ops = _PIPELINES[pipeline.key] = build_pipeline(pipeline.process, pipeline.text_key)
    return ops


def apply_ops(table: pa.Table, ops: list[Op]) -> tuple[pa.Table, list[OpMetrics]]:
    """Run ``ops`` over ``table`` in order, measuring each."""
    metrics = []
    for index, op in enumerate(ops):
        started = time.perf_counter()
        rows_in = table.num_rows
        outcome = op.run(table)
        table = outcome.table
        metrics.append(
            OpMetrics(
                op.name,
                index,
                rows_in,
                table.num_rows,
                outcome.rows_changed,
                time.perf_counter() - started,
            )
        )
    return table, metrics


def run_partition(task: PartitionTask) -> PartitionResult:
    """Read, process, write and commit one partition."""
    started = time.perf_counter()
    pipeline, spec = task.pipeline, task.spec
    table, bad_rows = read_partition(spec, Columns(pipeline.text_key, pipeline.id_field))
    rows_good = table.num_rows
    table, metrics = apply_ops(table, pipeline_ops(pipeline))
    results_dir = Path(pipeline.results_dir)
    dest = result_path(results_dir, spec.id, result_suffix(pipeline.result_format))
    out = output_table(table, pipeline.keep_stats)
    nbytes = write_result(out, dest, pipeline.result_format)
    result = PartitionResult(
        partition_id=spec.id,
        rows_read=rows_good + len(bad_rows),
        rows_out=table.num_rows,
        result_file=dest.name,
        result_bytes=nbytes,
        seconds=time.perf_counter() - started,
        pid=os.getpid(),
        host=socket.gethostname(),
        attempt=task.attempt,
        ops=metrics,
        bad_rows=[b.to_json() for b in bad_rows],
    )
    write_marker(results_dir, result)
    return result
