"""The SQL sink: idempotent upserts, verified against the ledger, killed for real."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import write_jsonl
from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.05}}


def scenes(tmp_path: Path, n: int) -> Path:
    return write_jsonl(
        tmp_path / "scenes.jsonl",
        [{"scene_token": f"tok{i:05d}", "text": f"scene {i} " + "word " * (i % 7), "n": i} for i in range(n)],
    )


def recipe(tmp_path: Path, data: Path, export: dict, process: list | None = None) -> Path:
    raw = {
        "dataset_path": str(data),
        "work_dir": str(tmp_path / "jobs"),
        "np": 2,
        "id_field": "scene_token",
        "partition": {"size": 25},
        "export": export,
        "process": process if process is not None else [{"words_num_filter": {"min_num": 3}}],
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def table_keys(url: str, table: str) -> list[str]:
    with sa.create_engine(url).connect() as conn:
        return [r[0] for r in conn.execute(sa.text(f'SELECT scene_token FROM "{table}"'))]


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
