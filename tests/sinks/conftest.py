"""A real PostgreSQL server for the sink tests.

CI starts one (see .ci/run) and sets DATAMILL_TEST_PG_URL. Outside CI, a test
that needs it is skipped, loudly, when no server answers; in CI it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/postgres"


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("DATAMILL_TEST_PG_URL", DEFAULT_URL)
    try:
        with sa.create_engine(url).connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide PostgreSQL at {url}: {exc}")
        pytest.skip(f"NO POSTGRESQL at {url} ({type(exc).__name__}); PostgreSQL tests skipped")
    return url


@pytest.fixture
def pg_table(pg_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield name
    with sa.create_engine(pg_url).begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
