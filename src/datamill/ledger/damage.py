"""A damaged ledger file, said once: the boundary where pyarrow's, DuckDB's and
the JSON parser's errors on a ledger file become a :class:`LedgerDamaged`
that names the file and what to do, instead of a traceback."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from datamill.errors import JobError, brief

REPAIR = (
    "Run the job again (datamill run with the same recipe and --work-dir, or datamill resume JOB): "
    "it notices a damaged ledger file and redoes the partitions whose records it held."
)

_QUOTED_PATH = re.compile(r"'([^']+\.(?:parquet|json))'")


class LedgerDamaged(JobError):
    """A file of a job's record ledger cannot be read: torn, garbled, or not Parquet."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@contextmanager
def reading(path: Path | None = None) -> Iterator[None]:
    """Read ledger files inside this block; a file that turns out damaged raises
    :class:`LedgerDamaged`, naming ``path`` or else the file the reader's message names."""
    try:
        yield
    except JobError:
        raise
    except Exception as exc:
        if not _is_read_error(exc):
            raise
        raise damaged(path, exc) from exc


def _is_read_error(exc: Exception) -> bool:
    """pyarrow's, DuckDB's (only if it was imported: it is slow to import) or a decoder's."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.Error):
        return True
    return isinstance(exc, pa.ArrowException | OSError | json.JSONDecodeError | UnicodeDecodeError)


def damaged(path: Path | None, exc: BaseException) -> LedgerDamaged:
    found = _QUOTED_PATH.search(str(exc))
    name = str(path) if path is not None else found.group(1) if found else None
    what = f"The ledger file {name}" if name else "A file of the record ledger"
    return LedgerDamaged(f"{what} cannot be read ({brief(str(exc), 200)}). {REPAIR}", name)
