"""Base classes of ops.

An op implements one hook; the base class owns everything around it: cutting
a partition into record batches, counting what changed, and the filter
statistics. Ops work on Arrow tables; a text op may instead implement the
per-sample hook, which the base applies to the text column.

- :class:`Mapper`: rows in = rows out. Implement ``process_text(text)`` or,
  for ops that touch more than the text, ``process_batch(table)``.
- :class:`Filter`: computes a statistic per row, then keeps a mask. Implement
  ``compute_stat(text)`` (or ``compute_stats(table)``) and set ``stat_key``;
  rows whose statistic lies in ``[min, max]`` are kept, or override ``keep``.

An op reads the text column unless it says otherwise: ``needs_text`` is True
on the base class, and a user op that works on other columns (through
``process_batch``) sets it to False, so that it runs on a dataset with no text
column at all (the job checks this before any work).

An exception an op raises on a batch is tried again sample by sample, and the
samples that raise on their own are set aside, unless it is transient
(:func:`datamill.errors.classify`: marked with the ``Transient`` mixin or
``transient = True``, a timeout, a dropped connection): then the partition
fails and is retried with backoff. A missing module stops the job.

Statistics live in columns named ``__dj__stats__.{key}`` while a partition is
processed, and become Data-Juicer's ``__dj__stats__`` struct on export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from datamill.errors import ConfigError, classify, stops_job
from datamill.io.arrays import scalar, strings

T = TypeVar("T")

STATS_PREFIX = "__dj__stats__."
"""Column prefix of filter statistics during processing."""

IGNORED_COMMON_PARAMS = frozenset(
    {
        "accelerator",
        "num_proc",
        "cpu_required",
        "num_cpus",
        "mem_required",
        "turbo",
        "skip_op_error",
        "work_dir",
        "index_key",
        "image_key",
        "audio_key",
        "video_key",
        "query_key",
        "response_key",
        "history_key",
        "stats_export_path",
    }
)
"""Parameters every Data-Juicer op accepts that the op itself ignores. Of them,
``num_cpus`` (or ``cpu_required``) and ``mem_required`` are what a partition
task asks Ray for (:func:`datamill.executors.ray.task_resources`)."""


@dataclass(frozen=True)
class SampleFailure:
    """A row an op raised on, by its position in the op's input table."""

    row: int
    error: str


@dataclass(frozen=True)
class OpResult:
    """What one op did to one table."""

    table: pa.Table
    rows_changed: int = 0
    rows_removed: int = 0
    failures: tuple[SampleFailure, ...] = ()
    hashes: pa.Table | None = None
    """A deduplicator's hashes of the rows, for the global phase."""


class Op:
    """Common behaviour of all ops: name, parameters, batching."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    needs_text: ClassVar[bool] = True
    """Whether the op reads the ``text_key`` column; False for ops that work on other columns."""

    def __init__(self, text_key: str = "text", batch_size: int = 1000, **ignored: Any) -> None:
        self.text_key = text_key
        self.batch_size = max(1, int(batch_size))
        self.params: dict[str, Any] = {}

    def signature(self) -> str:
        """A stable digest of this op's name and parameters."""
        blob = json.dumps([self.name, self.params], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def batches(self, table: pa.Table) -> Iterator[tuple[int, pa.Table]]:
        for offset in range(0, table.num_rows, self.batch_size):
            yield offset, table.slice(offset, self.batch_size)

    def isolated(
        self, table: pa.Table, fn: Callable[[pa.Table], T]
    ) -> tuple[list[T], list[int], list[SampleFailure]]:
        """Apply ``fn`` batch by batch; a batch that raises is redone row by row.

        Returns the outputs, the positions of the rows they cover, and the rows
        that raised on their own.
        """
        outputs: list[T] = []
        covered: list[int] = []
        failures: list[SampleFailure] = []
        for offset, batch in self.batches(table):
            try:
                outputs.append(fn(batch))
                covered.extend(range(offset, offset + batch.num_rows))
                continue
            except Exception as exc:
                self._not_about_samples(exc)
            for i in range(batch.num_rows):
                try:
                    outputs.append(fn(batch.slice(i, 1)))
                    covered.append(offset + i)
                except Exception as exc:
                    self._not_about_samples(exc)
                    failures.append(SampleFailure(offset + i, f"{type(exc).__name__}: {exc}"))
        return outputs, covered, failures

    def _not_about_samples(self, exc: Exception) -> None:
        """Raise ``exc`` again if it says nothing about the samples: a missing
        module or model (every partition would hit it: the job stops) or a
        transient error (the partition is retried)."""
        if isinstance(exc, ImportError):
            raise missing_module(self.name, exc) from exc
        if stops_job(exc) or classify(exc):
            raise exc

    def run(self, table: pa.Table) -> OpResult:
        """Apply the op to ``table``, batch by batch."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"


class Mapper(Op):
    """An op that rewrites rows and keeps their number."""

    kind = "mapper"

    def process_text(self, text: str) -> str:
        """The per-sample hook of a text mapper."""
        raise NotImplementedError(f"{type(self).__name__} implements neither hook")

    def process_batch(self, table: pa.Table) -> pa.Table:
        """The batch hook; by default applies ``process_text`` to the text column."""
        texts = table.column(self.text_key).to_pylist()
        out = strings([self.process_text(t) for t in texts])
        index = table.schema.get_field_index(self.text_key)
        return table.set_column(index, self.text_key, out)

    def run(self, table: pa.Table) -> OpResult:
        parts, covered, failures = self.isolated(table, self.process_batch)
        result = pa.concat_tables(parts) if parts else table.slice(0, 0)
        before = table.take(pa.array(covered, pa.int64())) if failures else table
        changed = _count_changed(before, result, self.text_key)
        return OpResult(result, rows_changed=changed, failures=tuple(failures))


class Filter(Op):
    """An op that computes one statistic per row and keeps a subset of rows."""

    kind = "filter"
    stat_key: ClassVar[str] = ""
    min_value: float | int = 0
    max_value: float | int = 0

    def __init__(
        self,
        min_closed_interval: bool = True,
        max_closed_interval: bool = True,
        reversed_range: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # As in Data-Juicer: a reversed range keeps what lies outside [min, max],
        # so the bounds' closedness flips with it.
        self.min_closed = min_closed_interval != reversed_range
        self.max_closed = max_closed_interval != reversed_range
        self.reversed_range = reversed_range

    @property
    def stat_column(self) -> str:
        return STATS_PREFIX + self.stat_key

    def compute_stat(self, text: str) -> float | int:
        """The per-sample hook: this row's statistic."""
        raise NotImplementedError(f"{type(self).__name__} implements neither hook")

    def compute_stats(self, table: pa.Table) -> pa.Array:
        """The batch hook; by default applies ``compute_stat`` to the text column."""
        return pa.array([self.compute_stat(t) for t in table.column(self.text_key).to_pylist()])

    def keep(self, stats: pa.Array) -> pa.Array:
        """Rows to keep: those whose statistic lies in ``[min_value, max_value]``."""
        low = (pc.greater_equal if self.min_closed else pc.greater)(stats, scalar(self.min_value))
        high = (pc.less_equal if self.max_closed else pc.less)(stats, scalar(self.max_value))
        inside = pc.and_(low, high)
        return pc.invert(inside) if self.reversed_range else inside

    def run(self, table: pa.Table) -> OpResult:
        failures: list[SampleFailure] = []
        if self.stat_column in table.column_names:
            stats = table.column(self.stat_column).combine_chunks()
        else:
            arrays, covered, failures = self.isolated(table, self.compute_stats)
            if failures:
                table = table.take(pa.array(covered, pa.int64()))
            stats = pa.concat_arrays(arrays) if arrays else pa.array([], pa.int64())
            table = table.append_column(self.stat_column, stats)
        kept = table.filter(self.keep(stats))
        return OpResult(kept, rows_removed=table.num_rows - kept.num_rows, failures=tuple(failures))


def missing_module(op_name: str, exc: ImportError) -> ConfigError:
    """An op's import that fails fails on every partition: the job stops, with this."""
    module = exc.name or "a module"
    return ConfigError(
        f"op '{op_name}' needs {module}, which cannot be imported ({exc}). Install it, "
        "then run the same command again."
    )


def _count_changed(before: pa.Table, after: pa.Table, key: str) -> int:
    if key not in before.column_names or before.num_rows != after.num_rows:
        return 0
    differs = pc.not_equal(before.column(key), after.column(key))
    return int(pc.sum(differs).as_py() or 0)
