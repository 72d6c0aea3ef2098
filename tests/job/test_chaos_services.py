"""Chaos in the services a job leans on: its database restarted midway, its disk
full between SIGKILLs. Each ends as an uninterrupted run does."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from datamill.demo.recipe import SIX_OPS
from tests.conftest import read_jsonl
from tests.job import jobproc
from tests.sinks.test_sql import NAP, recipe, scenes

PG_ROOT = Path("/usr/lib/postgresql")


def pg_version() -> str:
    """The cluster ``main`` of the newest installed PostgreSQL, as .ci/run starts it."""
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None or not PG_ROOT.is_dir():
        pytest.skip("restarting PostgreSQL needs root and pg_ctlcluster")
    versions = sorted((p.name for p in PG_ROOT.iterdir()), key=lambda v: [int(x) for x in v.split(".")])
    if not versions:
        pytest.skip(f"no PostgreSQL under {PG_ROOT}")
    status = subprocess.run(["pg_ctlcluster", versions[-1], "main", "status"], capture_output=True)
    if status.returncode != 0:
        pytest.skip(f"no running cluster {versions[-1]} main to restart")
    return versions[-1]


def rows(url: str, table: str) -> list[tuple]:
    with sa.create_engine(url).connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{table}"')))


def pg_recipe(tmp_path: Path, data: Path, url: str, table: str) -> Path:
    path = recipe(
        tmp_path,
        data,
        {"type": "sql", "url": url, "table": table, "key": "scene_token", "insert_batch": 50},
        [NAP],
        fault_tolerance={"retry_delay_s": 0.5, "retry_backoff": "fixed", "max_retries": 10},
    )
    return path.rename(tmp_path / f"{table}.yaml")


@pytest.mark.slow
def test_postgresql_restarted_mid_job_every_row_once(
    datamill, tmp_path: Path, pg_url: str, pg_table: str
) -> None:
    version = pg_version()
    n = 3000
    data = scenes(tmp_path, n)
    reference = f"t_{uuid.uuid4().hex[:10]}"
    try:
        assert (
            datamill(
                "run",
                "--config",
                pg_recipe(tmp_path, data, pg_url, reference),
                "--work-dir",
                tmp_path / "ref",
            )
            == 0
        )
        expected = rows(pg_url, reference)
    finally:
        with sa.create_engine(pg_url).begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{reference}"'))
    assert len(expected) == n

    work = tmp_path / "w"
    proc = jobproc.start(pg_recipe(tmp_path, data, pg_url, pg_table), "--work-dir", str(work))
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(work) >= 10, 120, proc)
        assert proc.poll() is None, "the job ended before the restart: the test proves nothing"
        subprocess.run(["pg_ctlcluster", version, "main", "restart"], check=True, capture_output=True)
        before = jobproc.committed(work)
        out, _ = proc.communicate(timeout=540)
    finally:
        subprocess.run(["pg_ctlcluster", version, "main", "start"], check=False, capture_output=True)
        jobproc.kill_group(proc)
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    summary = jobproc.summary(work)
    assert before < summary["counts"]["partitions_total"], "all committed before the restart: proves nothing"
    assert summary["status"] == "completed" and summary["counts"]["partitions_failed"] == 0
    assert summary["counts"]["partition_retries"] > 0, "no write met the restart: the test proves nothing"
    assert "Database unavailable while writing to " + pg_table in " ".join(
        out.decode(errors="replace").split()
    )
    with sa.create_engine(pg_url).connect() as conn:
        count, distinct = conn.execute(
            sa.text(f'SELECT count(*), count(DISTINCT scene_token) FROM "{pg_table}"')
        ).one()
    assert count == distinct == len(expected)
    assert rows(pg_url, pg_table) == expected


def run_killed(recipe_path: Path, job: Path, rng: random.Random) -> subprocess.Popen[bytes]:
    """Start the job and SIGKILL it a few partitions on; it may end first."""
    proc = jobproc.start(recipe_path, "--job_id", "full")
    before = jobproc.committed(job) if (job / "results").is_dir() else 0
    jobproc.wait_for(lambda: jobproc.committed(job) >= before + rng.randint(1, 12), 120, proc)
    if proc.poll() is None:
        jobproc.kill_group(proc)
    return proc


@pytest.mark.slow
def test_killed_on_a_filling_disk_then_resumed_with_room(
    datamill, corpus, tmp_path: Path, small_disk: Path, capsys
) -> None:
    data = corpus(6000)
    keys = {"fault_tolerance": {"retry_delay_s": 0.05}, "checkpoint": {"strategy": "every_op"}}
    reference = jobproc.write_recipe(tmp_path, data, "reference", SIX_OPS, **keys)
    assert datamill("run", "--config", reference, "--job_id", "reference") == 0
    capsys.readouterr()

    recipe_path = jobproc.write_recipe(
        tmp_path, data, "full", SIX_OPS, **keys, work_dir=str(small_disk / "jobs")
    )
    job = small_disk / "jobs" / "full"
    rng = random.Random(12)
    killed = 0
    for _ in range(3):
        proc = run_killed(recipe_path, job, rng)
        if proc.returncode != -9:
            break
        killed += 1
    else:
        proc = jobproc.start(recipe_path, "--job_id", "full")
    raw, _ = proc.communicate(timeout=540)
    assert killed >= 2, "the disk filled before the kills: the test proves nothing"
    out = " ".join(raw.decode(errors="replace").split())
    assert proc.returncode == 1, out[-3000:]
    assert "Out of disk space writing " + str(small_disk) in out
    full_at = jobproc.committed(job)
    assert 0 < full_at < jobproc.summary(job)["counts"]["partitions_total"]

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    proc = run_killed(recipe_path, job, rng)
    assert proc.returncode in (-9, 0)
    assert datamill("run", "--config", recipe_path, "--job_id", "full") == 0
    output = tmp_path / "full.jsonl"
    assert output.read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
    ids = [r["url"] for r in read_jsonl(output)]
    assert len(ids) == len(set(ids))
    ok = pd.read_parquet(job / "successful_tokens.parquet")
    assert len(ok) == ok["sample_id"].nunique() == 6000
    assert ok["written"].sum() == len(ids)
    ref = pd.read_parquet(tmp_path / "jobs" / "reference" / "successful_tokens.parquet")
    assert sorted(ok.loc[ok["written"], "sample_id"]) == sorted(ref.loc[ref["written"], "sample_id"])
