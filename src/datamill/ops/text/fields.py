"""specified_field_filter and specified_numeric_field_filter: filters on another field.

Both read a field of the record other than the text, named by ``field_key``;
a dotted key (``meta.lang``) walks into nested objects. As in Data-Juicer, the
field's value is also the statistic, stored under the key ``field_key`` itself
(an existing statistic of that name is used instead of the field), and a
record where the walk fails (a key that is missing, a value on the way that
is not an object) raises, so that it is set aside.

- specified_field_filter keeps a record when its value (each item of it, for
  a list) is one of ``target_value``; with no ``target_value`` it keeps all.
- specified_numeric_field_filter keeps a record when its value reads as a
  number (``float(value)``; never a false-y value such as 0 or "") inside
  ``[min_value, max_value]``. A value that does not read as a number is
  dropped, whatever ``reversed_range`` says; one that is of a type ``float()``
  refuses (a non-empty list or object) raises.

Values come from Arrow as Python objects; a column of mixed JSON types (which
the JSONL reader keeps as JSON text) is decoded first, and its statistic is
stored as JSON text too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datamill.errors import ConfigError, OpError
from datamill.io.arrays import strings
from datamill.io.readers import JSON_FIELD_META
from datamill.ops.base import STATS_PREFIX, Filter, OpResult
from datamill.ops.registry import register
from datamill.ops.text.stat_arrays import bool_array

_JSON = {JSON_FIELD_META: b"1"}


def walk(record: Any, path: Sequence[str], field_key: str) -> Any:
    """The value at ``path`` inside ``record``; OpError where the walk fails."""
    node = record
    for depth, key in enumerate(path):
        if not isinstance(node, dict):
            where = ".".join(path[:depth]) or "the record"
            raise OpError(f"field '{field_key}': {where} is {_kind(node)}, not an object")
        if key not in node:
            raise OpError(f"field '{field_key}': no key '{key}' in {'.'.join(path[:depth]) or 'the record'}")
        node = node[key]
    return node


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def _is_json(field: pa.Field) -> bool:
    return bool(field.metadata and JSON_FIELD_META in field.metadata)


def _decoded(table: pa.Table, name: str) -> list[Any]:
    values: list[Any] = table.column(name).to_pylist()
    if _is_json(table.schema.field(name)):
        return [None if v is None else json.loads(v) for v in values]
    return values


class _FieldFilter(Filter):
    """A filter on the value of ``field_key``, which is also its statistic."""

    needs_text = False

    def __init__(self, field_key: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not field_key:
            raise ConfigError(
                f"{self.name}: field_key is empty; name the field to test, with dots for a nested "
                "one (like 'meta.lang'). Data-Juicer fails on every sample without it."
            )
        self.field_key = field_key
        self.path = field_key.split(".")

    @property
    def stat_column(self) -> str:
        return STATS_PREFIX + self.field_key

    def value(self, record: dict[str, Any]) -> Any:
        """The per-sample hook: this record's value (its statistic)."""
        return walk(record, self.path, self.field_key)

    def decide(self, value: Any) -> bool:
        """Whether a record with this value is kept."""
        raise NotImplementedError

    def values(self, table: pa.Table) -> list[Any]:
        """Each row's value: the existing statistic, or the field walked to."""
        if self.stat_column in table.column_names:
            return _decoded(table, self.stat_column)
        head, *rest = self.path
        if head not in table.column_names:
            raise OpError(f"field '{self.field_key}': the data has no column '{head}'")
        return [walk(v, rest, self.field_key) for v in _decoded(table, head)]

    def _decisions(self, table: pa.Table) -> pa.Array:
        return bool_array([self.decide(v) for v in self.values(table)])

    def _stat(self, table: pa.Table) -> tuple[pa.Field, pa.Array]:
        """The statistic column: the field itself, out of its parents (rows
        whose walk failed are gone by now)."""
        head, *rest = self.path
        if table.num_rows == 0:
            return pa.field(self.stat_column, pa.null()), pa.nulls(0)
        if _is_json(table.schema.field(head)):
            values = [walk(v, rest, self.field_key) for v in _decoded(table, head)]
            text = strings([None if v is None else json.dumps(v) for v in values])
            return pa.field(self.stat_column, pa.string(), metadata=_JSON), text
        column = table.column(head).combine_chunks()
        for key in rest:
            column = pc.struct_field(column, [key])
        return pa.field(self.stat_column, column.type), column

    def run(self, table: pa.Table) -> OpResult:
        parts, covered, failures = self.isolated(table, self._decisions)
        if failures:
            table = table.take(pa.array(covered, pa.int64()))
        if self.stat_column not in table.column_names:
            table = table.append_column(*self._stat(table))
        keep = pa.concat_arrays(parts) if parts else bool_array([])
        kept = table.filter(keep)
        return OpResult(kept, rows_removed=table.num_rows - kept.num_rows, failures=tuple(failures))


@register("specified_field_filter")
class SpecifiedFieldFilter(_FieldFilter):
    def __init__(
        self, field_key: str = "", target_value: list[Any] | tuple[Any, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(field_key=field_key, **kwargs)
        self.target_value = list(target_value)

    def decide(self, value: Any) -> bool:
        if not self.target_value:
            return True
        items = value if isinstance(value, (list, tuple)) else [value]
        inside = all(item in self.target_value for item in items)
        return inside != self.reversed_range


def as_number(value: Any) -> float | None:
    """``float(value)`` if ``value`` reads as a number as Data-Juicer tests it;
    a TypeError (a list, an object) is raised."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


@register("specified_numeric_field_filter")
class SpecifiedNumericFieldFilter(_FieldFilter):
    def __init__(
        self,
        field_key: str = "",
        min_value: float = -sys.maxsize,
        max_value: float = sys.maxsize,
        **kwargs: Any,
    ) -> None:
        super().__init__(field_key=field_key, **kwargs)
        self.min_value, self.max_value = min_value, max_value

    def decide(self, value: Any) -> bool:
        number = as_number(value)
        if number is None:
            return False
        low = number >= self.min_value if self.min_closed else number > self.min_value
        high = number <= self.max_value if self.max_closed else number < self.max_value
        return (low and high) != self.reversed_range
