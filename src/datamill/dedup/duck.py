"""DuckDB over the committed hash files, with bounded memory.

The global phase groups hashes of the whole dataset, which may not fit in
memory: DuckDB does the grouping and spills to a private temporary directory
beyond ``memory_limit``. Hashes come either as Parquet files (the partitions'
side files) or, for tests and small jobs, as one Arrow table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa

from datamill.errors import InputError

Hashes: TypeAlias = pa.Table | Sequence[Path] | Sequence[str]
"""Per-partition hashes: one table, or the Parquet files holding them."""
Progress: TypeAlias = Callable[[int, int], None]
"""Told (steps done, steps) as a decision goes."""

DEFAULT_MEMORY_LIMIT = "512MB"
"""DuckDB's own budget: exact dedup of 10M ids then peaks near 600 MB of resident memory."""
THREADS = 2


def sql_str(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def connect(
    hashes: Hashes, memory_limit: str = DEFAULT_MEMORY_LIMIT, spill_dir: Path | None = None
) -> Iterator[tuple[Any, str]]:
    """A DuckDB connection and the SQL expression that reads ``hashes``; spills go under ``spill_dir``."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="datamill-dedup-", dir=spill_dir) as spill:
        con = duckdb.connect()
        try:
            for setting in (
                f"memory_limit={sql_str(memory_limit)}",
                f"temp_directory={sql_str(Path(spill) / 'duckdb.tmp')}",
                f"threads={THREADS}",
                "preserve_insertion_order=false",
                "enable_progress_bar=false",
            ):
                run(con, f"SET {setting}")
            yield con, _source(con, hashes)
        except duckdb.Error as exc:
            raise InputError(f"deduplication could not read the partitions' hashes: {exc}") from None
        finally:
            con.close()


def _source(con: Any, hashes: Hashes) -> str:
    if isinstance(hashes, pa.Table):
        con.register("hashes_table", hashes)
        return "hashes_table"
    files = [str(f) for f in hashes]
    return "read_parquet([" + ", ".join(sql_str(f) for f in files) + "])"


def run(con: Any, statement: str) -> list[tuple[Any, ...]]:
    """Execute ``statement`` to the end; its rows, if any."""
    rows: list[tuple[Any, ...]] = con.execute(statement).fetchall()
    return rows


def columns_of(con: Any, source: str) -> list[str]:
    """The column names of ``source``."""
    return [row[0] for row in run(con, f"DESCRIBE SELECT * FROM {source}")]


def int_pairs(con: Any, query: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The two integer columns of ``query``'s result as int64 arrays."""
    table = con.sql(query).to_arrow_table()
    first = table.column(0).to_numpy().astype(np.int64, copy=False)
    second = table.column(1).to_numpy().astype(np.int64, copy=False)
    return first, second


def require_columns(con: Any, source: str, names: Sequence[str]) -> None:
    """Raise an InputError naming the first of ``names`` that ``source`` lacks."""
    present = set(columns_of(con, source))
    for name in names:
        if name not in present:
            have = ", ".join(sorted(present))
            raise InputError(
                f"the deduplication hashes have no column '{name}' (they have: {have}); "
                "were they made by the same deduplicator with the same parameters?"
            )
