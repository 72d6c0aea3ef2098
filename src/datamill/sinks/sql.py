"""The SQL sink: idempotent upserts through SQLAlchemy (SQLite, PostgreSQL).

Each partition's rows are upserted on the key in batches of ``insert_batch``,
one transaction per batch, before the partition's ledger segment and commit
marker are written: a partition replayed after a crash rewrites the same rows
and never duplicates one. The table is created with its primary key when it
is missing. Table and column names must be plain identifiers; SQLAlchemy
quotes them.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from datamill.errors import ConfigError, OpError, PartitionError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_ENGINES: dict[str, sa.Engine] = {}


def check_identifier(name: str, what: str) -> str:
    if not IDENTIFIER.match(name):
        raise ConfigError(
            f"SQL {what} name '{name}' is not allowed: use letters, digits and '_', "
            "starting with a letter or '_'."
        )
    return name


def engine(url: str) -> sa.Engine:
    """One engine per URL per process."""
    found = _ENGINES.get(url)
    if found is None:
        args: dict[str, Any] = {"timeout": 60} if url.startswith("sqlite") else {}
        found = _ENGINES[url] = sa.create_engine(url, connect_args=args, pool_pre_ping=True)
        if url.startswith("sqlite"):
            with found.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    return found


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


def _rows(table: pa.Table, batch: int) -> Iterator[list[dict[str, Any]]]:
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    for offset in range(0, table.num_rows, batch):
        rows = table.slice(offset, batch).to_pylist()
        for row in rows:
            for name in nested:
                if row[name] is not None:
                    row[name] = json.dumps(row[name], ensure_ascii=False)
        yield rows


_CREATED: set[tuple[str, str]] = set()


def _ensure_table(eng: sa.Engine, target: sa.Table) -> None:
    """Create the table if missing; workers racing to create it take turns."""
    marker = (str(eng.url), target.name)
    if marker in _CREATED:
        return
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(target.name.encode())})
        target.metadata.create_all(conn, checkfirst=True)
    _CREATED.add(marker)


def upsert(table: pa.Table, url: str, name: str, key: str, insert_batch: int) -> int:
    """Upsert ``table`` into ``name`` on ``key``; return rows written."""
    if key not in table.column_names:
        raise ConfigError(
            f"SQL export key '{key}' is not a column of the output ({', '.join(table.column_names)})."
        )
    eng = engine(url)
    target = _table(table.schema, name, key)
    try:
        _ensure_table(eng, target)
        insert = postgresql.insert if eng.dialect.name == "postgresql" else sqlite.insert
        written = 0
        for rows in _rows(table, insert_batch):
            stmt = insert(target).values(rows)
            others = {c.name: stmt.excluded[c.name] for c in target.columns if c.name != key}
            stmt = (
                stmt.on_conflict_do_update(index_elements=[key], set_=others)
                if others
                else stmt.on_conflict_do_nothing()
            )
            with eng.begin() as conn:
                conn.execute(stmt)
            written += len(rows)
        return written
    except OperationalError as exc:
        raise PartitionError(f"database unavailable while writing to {name}: {exc.orig}") from None
    except (DBAPIError, SQLAlchemyError) as exc:
        raise OpError(f"database refused rows for table {name}: {exc}") from None


def keys(url: str, name: str, key: str) -> pa.Array:
    """Every key in the table, as strings."""
    eng = engine(url)
    target = sa.table(check_identifier(name, "table"), sa.column(check_identifier(key, "column")))
    with eng.connect() as conn:
        values = [str(row[0]) for row in conn.execute(sa.select(target.c[key]))]
    return pa.array(values, pa.string())
