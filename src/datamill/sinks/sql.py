"""The SQL sink: idempotent upserts through SQLAlchemy (SQLite, PostgreSQL).

Each partition's rows are upserted on the key in batches of ``insert_batch``,
one transaction per batch, before the partition's ledger segment and commit
marker are written: a partition replayed after a crash rewrites the same rows
and never duplicates one. The table is created with its primary key when it
is missing. Table and column names must be plain identifiers; SQLAlchemy
quotes them.

A batch the database refuses for the data of some of its rows (a constraint,
a value out of range) is cut in halves until the refused rows stand alone;
they come back as :class:`Refused` and the rest is written. An unavailable
database (a dropped connection, a lock, a timeout) fails the partition
(transient); a refused login or a table that does not fit the output stops
the job (ConfigError), a full database disk too (OutOfSpace);
:func:`check_sink` finds a missing driver or an unreachable server before any
partition runs.

The table is created by the first partition to write (its schema is the
output's, known only once a partition has run its ops), with
``CREATE TABLE IF NOT EXISTS`` under a lock: PostgreSQL's advisory lock,
SQLite's write lock (``BEGIN IMMEDIATE``), so that workers starting together
on a new database never see each other's half-made table.
"""

from __future__ import annotations

import json
import logging
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.pool import NullPool

from datamill.engine.spec import SqlSink
from datamill.errors import (
    ConfigError,
    DatamillError,
    OpError,
    PartitionError,
    brief,
    closest,
    is_out_of_space,
    out_of_space,
)

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_ENGINES: dict[str, sa.Engine] = {}
CONNECT_TIMEOUT_S = 10
ROW_ERRORS = (IntegrityError, DataError)
"""What the database says about a row's data: that row fails, the others are written."""


def _not_pipeline_aborted(record: logging.LogRecord) -> bool:
    """psycopg sends a batch as a pipeline and, when the database refuses it,
    logs a warning of its own as it closes the pipeline. The error itself
    reaches :func:`_write`; the warning would only fill the terminal."""
    return not record.getMessage().endswith("pipeline aborted")


logging.getLogger("psycopg").addFilter(_not_pipeline_aborted)


@dataclass(frozen=True)
class Refused:
    """A row the database refused: its index in the table given to :func:`upsert`, and why."""

    row: int
    error: str


def check_identifier(name: str, what: str) -> str:
    if not IDENTIFIER.match(name):
        raise ConfigError(
            f"SQL {what} name '{name}' is not allowed: use letters, digits and '_', "
            "starting with a letter or '_'."
        )
    return name


def masked(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a URL SQLAlchemy cannot parse)"


def _create(url: str, **options: Any) -> sa.Engine:
    """An engine for ``url``; a missing driver or a bad URL is a ConfigError."""
    try:
        parsed = sa.make_url(url)
        args: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            args["timeout"] = 60
        elif parsed.get_dialect().driver in ("psycopg", "psycopg2"):
            args["connect_timeout"] = CONNECT_TIMEOUT_S
        eng = sa.create_engine(parsed, connect_args=args, **options)
    except ModuleNotFoundError as exc:
        raise ConfigError(_missing_driver(url, exc.name or "its driver")) from None
    except ArgumentError as exc:
        raise ConfigError(f"export.url {masked(url)} is not usable: {brief(str(exc))}") from None
    return eng


def _missing_driver(url: str, module: str) -> str:
    where = f"The database driver '{module}' for {masked(url)} is not installed"
    extra = 'pip install "datamill[postgres]"'
    if module == "psycopg":
        return f"{where}: {extra}."
    if module == "psycopg2":  # what a bare postgresql:// URL asks for
        return f"{where}: pip install psycopg2-binary, or write postgresql+psycopg:// and {extra}."
    return f"{where}: pip install {module}."


def check_sink(sink: SqlSink) -> None:
    """Before any partition runs: the database's driver is installed and the
    database answers. Either failing is a ConfigError (no retries)."""
    eng = _create(sink.url, poolclass=NullPool)
    try:
        with eng.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"Cannot connect to the database at {masked(sink.url)}: {db_message(exc)}"
        ) from None
    finally:
        eng.dispose()


def db_message(exc: SQLAlchemyError) -> str:
    """What the database said, on one short line: no SQL text, no parameters."""
    said = str(exc.orig) if isinstance(exc, StatementError) and exc.orig is not None else str(exc)
    lines = [line for line in said.strip().splitlines() if line.strip()]
    return brief(lines[0] if lines else type(exc).__name__)


def engine(url: str) -> sa.Engine:
    """One engine per URL per process."""
    found = _ENGINES.get(url)
    if found is None:
        found = _create(url, pool_pre_ping=True)
        if url.startswith("sqlite"):
            _write_ahead_log(found)
        _ENGINES[url] = found
    return found


def _write_ahead_log(eng: sa.Engine, patience_s: float = 60.0) -> None:
    """Put a SQLite database in WAL mode. Switching takes an exclusive lock for
    which SQLite does not wait: workers opening a new database together see
    "database is locked" at once, which is no sign of an unavailable database."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            with eng.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sql_type(t: pa.DataType) -> sa.types.TypeEngine[Any]:
    if pa.types.is_boolean(t):
        return sa.Boolean()
    if pa.types.is_integer(t):
        return sa.BigInteger()
    if pa.types.is_floating(t):
        return sa.Float()
    if pa.types.is_timestamp(t):
        return sa.DateTime(timezone=t.tz is not None)
    return sa.Text()


def _table(schema: pa.Schema, name: str, key: str) -> sa.Table:
    columns = [
        sa.Column(check_identifier(f.name, "column"), _sql_type(f.type), primary_key=f.name == key)
        for f in schema
    ]
    return sa.Table(check_identifier(name, "table"), sa.MetaData(), *columns)


def _rows(table: pa.Table, batch: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    for offset in range(0, table.num_rows, batch):
        rows = table.slice(offset, batch).to_pylist()
        for row in rows:
            for name in nested:
                if row[name] is not None:
                    row[name] = json.dumps(row[name], ensure_ascii=False)
        yield offset, rows


_CREATED: set[tuple[str, str]] = set()


def _ensure_table(eng: sa.Engine, target: sa.Table) -> None:
    """Create the table if missing; workers racing to create it take turns."""
    marker = (str(eng.url), target.name)
    if marker in _CREATED:
        return
    with eng.connect() as conn:
        if eng.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, waited for (timeout)
        else:
            conn.begin()
        if eng.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(target.name.encode())})
        conn.execute(sa.schema.CreateTable(target, if_not_exists=True))
        conn.commit()
    _CREATED.add(marker)


def upsert(table: pa.Table, url: str, name: str, key: str, insert_batch: int) -> list[Refused]:
    """Upsert ``table`` into ``name`` on ``key``; return the rows the database refused."""
    if key not in table.column_names:
        columns = ", ".join(table.column_names)
        raise ConfigError(
            f"SQL export key '{key}' is not a column of the output ({brief(columns, 200)})."
            + closest(key, table.column_names)
        )
    target = _table(table.schema, name, key)
    try:
        eng = engine(url)
        _ensure_table(eng, target)
        statement = _upsert_statement(eng, target, key)
        refused: list[Refused] = []
        for offset, rows in _rows(table, insert_batch):
            refused += _write(eng, statement, rows, offset)
        return refused
    except SQLAlchemyError as exc:
        raise translate(exc, url, name) from None


TERMINAL_SQLITE = ("no such table", "has no column named", "no such column")
"""What SQLite says, as an OperationalError, when the table does not fit the output."""


def translate(exc: SQLAlchemyError, url: str, name: str) -> DatamillError:
    """A database error as one of ours: transient (retry) or terminal, and
    whether it stops the job (the same for every partition)."""
    said = db_message(exc)
    state = str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")
    if is_out_of_space(exc):
        return out_of_space(exc, masked(url)) or OpError(said)
    if state.startswith("28") or "authentication failed" in said:
        return ConfigError(f"The database at {masked(url)} refused the login: {said}")
    if state.startswith("42") or isinstance(exc, ProgrammingError) or any(s in said for s in TERMINAL_SQLITE):
        return ConfigError(f"Table {name} at {masked(url)} does not fit the job's output: {said}")
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return PartitionError(f"Database unavailable while writing to {name}: {said}")
    return OpError(f"The database refused the rows for table {name}: {said}")


def _upsert_statement(eng: sa.Engine, target: sa.Table, key: str) -> sa.Insert:
    """An INSERT that updates the row whose key is already there. It is
    compiled once and executed with a list of rows (the driver's executemany)."""
    insert = postgresql.insert if eng.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(target)
    others = {c.name: stmt.excluded[c.name] for c in target.columns if c.name != key}
    if others:
        return stmt.on_conflict_do_update(index_elements=[key], set_=others)
    return stmt.on_conflict_do_nothing()


def _write(eng: sa.Engine, statement: sa.Insert, rows: list[dict[str, Any]], offset: int) -> list[Refused]:
    """Write ``rows`` (the table's rows from ``offset``) in one transaction; if
    the database refuses some for their data, write each half the same way."""
    try:
        with eng.begin() as conn:
            conn.execute(statement, rows)
        return []
    except ROW_ERRORS as exc:
        if len(rows) == 1:
            return [Refused(offset, db_message(exc))]
    half = len(rows) // 2
    return _write(eng, statement, rows[:half], offset) + _write(eng, statement, rows[half:], offset + half)


def keys(url: str, name: str, key: str) -> pa.Array:
    """Every key in the table, as strings."""
    eng = engine(url)
    target = sa.table(check_identifier(name, "table"), sa.column(check_identifier(key, "column")))
    with eng.connect() as conn:
        values = [str(row[0]) for row in conn.execute(sa.select(target.c[key]))]
    return pa.array(values, pa.string())
