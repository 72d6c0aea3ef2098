"""The SQL sink: idempotent upserts, verified against the ledger, killed for real."""

from __future__ import annotations

import json
import random
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
import yaml

from datamill.engine.spec import SqlSink
from datamill.errors import ConfigError, PartitionError
from datamill.ledger.stats import ledger_stats
from datamill.sinks.sql import check_sink, upsert
from tests.conftest import write_jsonl
from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.05}}


def scenes(tmp_path: Path, n: int) -> Path:
    return write_jsonl(
        tmp_path / "scenes.jsonl",
        [{"scene_token": f"tok{i:05d}", "text": f"scene {i} " + "word " * (i % 7), "n": i} for i in range(n)],
    )


def recipe(tmp_path: Path, data: Path, export: dict, process: list | None = None, **keys: object) -> Path:
    raw = {
        "dataset_path": str(data),
        "work_dir": str(tmp_path / "jobs"),
        "np": 2,
        "id_field": "scene_token",
        "partition": {"size": 25},
        "export": export,
        "process": process if process is not None else [{"words_num_filter": {"min_num": 3}}],
        "fault_tolerance": {"retry_delay_s": 0.05},
        **keys,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def table_keys(url: str, table: str) -> list[str]:
    return table_keys_of(url, table, "scene_token")


def table_keys_of(url: str, table: str, key: str) -> list[str]:
    with sa.create_engine(url).connect() as conn:
        return [r[0] for r in conn.execute(sa.text(f'SELECT {key} FROM "{table}"'))]


def test_sqlite_by_default_upserts_and_verify_is_clean(datamill, tmp_path: Path, capsys) -> None:
    path = recipe(tmp_path, scenes(tmp_path, 200), {"table": "clips", "insert_batch": 7})
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    url = f"sqlite:///{work / 'output.db'}"
    keys = table_keys(url, "clips")
    expected = [f"tok{i:05d}" for i in range(200) if i % 7 >= 2]  # 3+ words: 'scene' + i%7 × 'word'
    assert sorted(keys) == expected
    # replaying every partition (as after a crash) writes the same rows again: no duplicates
    for marker in (work / "results").glob("*.commit"):
        marker.unlink()
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert sorted(table_keys(url, "clips")) == expected
    capsys.readouterr()
    assert datamill("verify", work, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["clean"] and result["sink_keys"] == result["ledger_written"] == len(expected)


def test_verify_reports_differences_both_ways(datamill, tmp_path: Path, capsys) -> None:
    path = recipe(tmp_path, scenes(tmp_path, 50), {"table": "clips"})
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    with sa.create_engine(f"sqlite:///{work / 'output.db'}").begin() as conn:
        conn.execute(sa.text("DELETE FROM clips WHERE scene_token = 'tok00003'"))
        conn.execute(sa.text("INSERT INTO clips (scene_token, text, n) VALUES ('stranger', 'x', 0)"))
    capsys.readouterr()
    assert datamill("verify", work, "--json") == 1
    result = json.loads(capsys.readouterr().out)
    assert result["examples_ledger_only"] == ["tok00003"] and result["examples_sink_only"] == ["stranger"]


def test_bad_table_name_is_refused_before_work(datamill, tmp_path: Path, capsys) -> None:
    path = recipe(tmp_path, scenes(tmp_path, 5), {"table": "clips; DROP TABLE x"})
    assert datamill("run", "--config", path, "--work-dir", tmp_path / "w") == 2
    assert "SQL table name 'clips; DROP TABLE x' is not allowed" in capsys.readouterr().err


def test_postgresql_upsert(datamill, tmp_path: Path, pg_url: str, pg_table: str) -> None:
    path = recipe(tmp_path, scenes(tmp_path, 120), {"url": pg_url, "table": pg_table, "insert_batch": 10})
    assert datamill("run", "--config", path, "--work-dir", tmp_path / "w", "--insert-batch", "11") == 0
    assert len(table_keys(pg_url, pg_table)) == sum(1 for i in range(120) if i % 7 >= 2)


@pytest.mark.slow
def test_killed_at_random_writing_to_postgresql_each_key_once(
    datamill, tmp_path: Path, pg_url: str, pg_table: str, capsys
) -> None:
    n = 3000
    path = recipe(tmp_path, scenes(tmp_path, n), {"url": pg_url, "table": pg_table, "insert_batch": 9}, [NAP])
    work = tmp_path / "w"
    rng = random.Random(5)
    kills = 0
    for _ in range(30):
        proc = jobproc.start(path, "--work-dir", str(work))
        before = jobproc.committed(work) if (work / "results").is_dir() else 0
        jobproc.wait_for(lambda b=before: jobproc.committed(work) >= b + rng.randint(1, 12), 60, proc)
        if proc.poll() is not None:
            assert proc.returncode == 0
            break
        jobproc.kill_group(proc)
        kills += 1
    assert kills >= 5
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    keys = table_keys(pg_url, pg_table)
    assert len(keys) == len(set(keys)) == n
    capsys.readouterr()
    assert datamill("verify", work, "--json") == 0
    assert json.loads(capsys.readouterr().out)["clean"]


def kept(n: int) -> list[str]:
    """The ids words_num_filter keeps (3+ words: 'scene' + i%7 × 'word')."""
    return [f"tok{i:05d}" for i in range(n) if i % 7 >= 2]


def set_aside(work: Path) -> list[dict]:
    """The failed records of every commit marker."""
    return [
        r
        for p in sorted((work / "results").glob("*.commit"))
        for r in json.loads(p.read_text())["quarantined"]
    ]


def events(root: Path) -> list[dict]:
    return [
        json.loads(line) for p in root.rglob("events.jsonl") for line in p.read_text().splitlines() if line
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'out.db'}"
    return request.getfixturevalue("pg_url")


def test_rows_the_database_refuses_are_set_aside_alone(db_url: str, datamill, tmp_path: Path, capsys) -> None:
    n, table = 1000, f"c_{random.randrange(16**8):08x}"
    check = "CHECK (n % 33 <> 0)"  # refuses every 33rd row: 3%
    with sa.create_engine(db_url).begin() as conn:
        conn.execute(
            sa.text(f"CREATE TABLE {table} (scene_token TEXT PRIMARY KEY, text TEXT, n BIGINT {check})")
        )
    try:
        path = recipe(
            tmp_path,
            scenes(tmp_path, n),
            {"url": db_url, "table": table, "insert_batch": 50},
            partition={"size": 100},
        )
        work = tmp_path / "w"
        refused = {t for t in kept(n) if int(t[3:]) % 33 == 0}
        written = sorted(set(kept(n)) - refused)
        assert datamill("run", "--config", path, "--work-dir", work) == 0
        assert sorted(table_keys(db_url, table)) == written
        aside = set_aside(work)
        assert {r["id"] for r in aside} == refused and len(aside) == len(refused)
        assert 0.02 < len(refused) / len(kept(n)) < 0.04
        assert {r["step"] for r in aside} == {"database_insert"}
        assert all("check constraint" in r["error_msg"].lower() and len(r["error_msg"]) < 200 for r in aside)
        stats = ledger_stats(work)
        assert stats["by_step"] == {"database_insert": len(refused)} and stats["failed_unique"] == len(
            refused
        )
        exact = ledger_stats(work, exact=True)  # the success segments hold no refused id
        assert exact["failed_unique"] == len(refused) and exact["successful"] == n - len(refused)
        summary = json.loads((work / "job_summary.json").read_text())
        assert summary["counts"]["samples_written"] == len(written)
        assert summary["counts"]["samples_quarantined"] == len(refused)
        assert len((work / "job_summary.json").read_bytes()) < 8_000
        captured = capsys.readouterr()
        assert len(captured.out) + len(captured.err) < 4_000
        # the same command again: nothing redone, nothing added, nothing twice
        assert datamill("run", "--config", path, "--work-dir", work) == 0
        again = table_keys(db_url, table)
        assert sorted(again) == written and len(again) == len(set(again))
        assert ledger_stats(work) == stats and len(set_aside(work)) == len(refused)
    finally:
        with sa.create_engine(db_url).begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))


def test_upsert_bisects_a_refused_batch_down_to_its_bad_rows(db_url: str) -> None:
    table = f"u_{random.randrange(16**8):08x}"
    with sa.create_engine(db_url).begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, n BIGINT CHECK (n >= 0))"))
    try:
        ns = [-1 if i in (0, 7, 8, 40, 99) else i for i in range(100)]
        rows = pa.table({"k": [f"k{i}" for i in range(100)], "n": ns})
        for _ in range(2):  # the second time over rows already there: the same answer, no duplicate
            refused = upsert(rows, db_url, table, "k", 16)
            assert [r.row for r in refused] == [0, 7, 8, 40, 99]
            assert all("check constraint" in r.error.lower() and "INSERT" not in r.error for r in refused)
            with sa.create_engine(db_url).connect() as conn:
                assert conn.execute(sa.text(f"SELECT count(*), count(DISTINCT k) FROM {table}")).one() == (
                    95,
                    95,
                )
    finally:
        with sa.create_engine(db_url).begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))


def test_a_value_postgresql_cannot_store_is_refused_alone(pg_url: str, pg_table: str) -> None:
    rows = pa.table({"k": ["a", "b", "c"], "text": ["ok", "nul \x00 byte", "ok"]})
    (refused,) = upsert(rows, pg_url, pg_table, "k", 10)
    assert refused.row == 1 and "NUL" in refused.error
    assert sorted(table_keys_of(pg_url, pg_table, "k")) == ["a", "c"]


def test_a_database_gone_while_writing_fails_the_partition_as_transient(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gone' / 'out.db'}"
    with pytest.raises(PartitionError) as caught:
        upsert(pa.table({"k": ["a"]}), url, "t", "k", 10)
    assert caught.value.transient and "unable to open database file" in caught.value.message
    assert "\n" not in caught.value.message and len(caught.value.message) < 300


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("kind", ["closed_port", "no_such_directory"])
def test_an_unreachable_database_is_one_message_before_work(
    datamill, tmp_path: Path, capsys, kind: str
) -> None:
    if kind == "closed_port":
        url, shown = (
            f"postgresql+psycopg://me:s3cret@127.0.0.1:{closed_port()}/db",
            "postgresql+psycopg://me:***@",
        )
    else:
        url = shown = f"sqlite:///{tmp_path / 'missing' / 'out.db'}"
    path = recipe(tmp_path, scenes(tmp_path, 100), {"url": url, "table": "clips"})
    started = time.monotonic()
    assert datamill("run", "--config", path, "--work-dir", tmp_path / "w") == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert err.count("Cannot connect to the database at") == 1 and shown in err and "s3cret" not in err
    assert len(err) < 1_000
    assert not [e for e in events(tmp_path) if e["type"].startswith("PARTITION")]


def test_a_missing_driver_names_the_extra(datamill, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now fails
    url = f"postgresql+psycopg://me:s3cret@127.0.0.1:{closed_port()}/db"
    path = recipe(tmp_path, scenes(tmp_path, 100), {"url": url, "table": "clips"})
    assert datamill("run", "--config", path, "--work-dir", tmp_path / "w") == 2
    err = capsys.readouterr().err
    assert err.count("The database driver 'psycopg' for postgresql+psycopg://me:***@") == 1, err
    assert "s3cret" not in err and len(err) < 1_000
    with pytest.raises(ConfigError, match=re.escape('is not installed: pip install "datamill[postgres]".')):
        check_sink(SqlSink(url, "clips", "scene_token", 10))  # (the terminal shows no [...]: rich markup)
    assert not [e for e in events(tmp_path) if e["type"].startswith("PARTITION")]


def test_an_export_key_that_is_no_column_stops_the_job(datamill, tmp_path: Path, capsys) -> None:
    path = recipe(
        tmp_path, scenes(tmp_path, 500), {"table": "clips", "key": "scene_id"}, partition={"size": 10}
    )
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 2
    err = capsys.readouterr().err
    assert err.count("SQL export key 'scene_id' is not a column of the output") == 1, err
    assert "Did you mean 'scene_token'?" in err and len(err) < 1_000
    seen = events(tmp_path)
    assert not [e for e in seen if e["type"] == "PARTITION_RETRY"]
    started = [e for e in seen if e["type"] == "PARTITION_START"]
    assert 1 <= len(started) < 10  # of 50 partitions
    assert json.loads((work / "job_summary.json").read_text())["status"] == "failed"


def test_refused_rows_go_in_with_retry_failed_once_the_table_takes_them(
    datamill, tmp_path: Path, pg_url: str, pg_table: str
) -> None:
    with sa.create_engine(pg_url).begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {pg_table} (scene_token TEXT PRIMARY KEY, text TEXT, n BIGINT "
                "CONSTRAINT picky CHECK (n % 33 <> 0))"
            )
        )
    path = recipe(tmp_path, scenes(tmp_path, 300), {"url": pg_url, "table": pg_table, "insert_batch": 20})
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    refused = [t for t in kept(300) if int(t[3:]) % 33 == 0]
    assert ledger_stats(work)["failed_unique"] == len(refused) > 0
    with sa.create_engine(pg_url).begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {pg_table} DROP CONSTRAINT picky"))
    assert datamill("run", "--config", path, "--work-dir", work, "--retry-failed") == 0
    keys = table_keys(pg_url, pg_table)
    assert sorted(keys) == kept(300) and len(keys) == len(set(keys))
    assert ledger_stats(work)["failed_unique"] == 0


def test_two_workers_on_a_new_sqlite_database_create_its_table_once(datamill, tmp_path: Path) -> None:
    """Both workers' first partitions reach a new database together; neither
    may see the other's table half made (a false 'database unavailable')."""
    data = scenes(tmp_path, 100)
    for run in range(4):
        url = f"sqlite:///{tmp_path / f'new{run}.db'}"
        path = recipe(tmp_path, data, {"url": url, "table": "clips"}, process=[], partition={"size": 10})
        assert datamill("run", "--config", path, "--job_id", f"race{run}") == 0
        retries = [e for e in events(tmp_path / "jobs" / f"race{run}") if e["type"] == "PARTITION_RETRY"]
        assert retries == []
        assert sorted(table_keys(url, "clips")) == [f"tok{i:05d}" for i in range(100)]


def _upsert_at_once(url: str, barrier: Any, n: int) -> str:
    rows = pa.table({"k": [f"{n}-{i}" for i in range(5)], "text": ["x"] * 5})
    barrier.wait()
    try:
        upsert(rows, url, "t", "k", 10)
        return ""
    except Exception as exc:  # what the worker would have sent back
        return f"{type(exc).__name__}: {exc}"


def test_workers_racing_to_create_a_new_sqlite_table_all_write(tmp_path: Path) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    context = mp.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(4, mp_context=context) as pool:
        for run in range(5):
            url = f"sqlite:///{tmp_path / f'new{run}.db'}"
            barrier = manager.Barrier(4)
            errors = list(pool.map(_upsert_at_once, [url] * 4, [barrier] * 4, range(4)))
            assert errors == [""] * 4
            assert len(table_keys_of(url, "t", "k")) == 20
