"""Random SIGKILLs during a job with every kind of record failure: samples an op
raises on, samples that kill their worker, rows the database refuses. The
final table, ledger files and failed set equal those of an uninterrupted run."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import write_jsonl
from tests.job import jobproc

N = 2000  # 100 partitions of 20
KILLERS = {37, 205, 206, 640, 1013, 1777}  # samples that SIGKILL their worker (two in one partition)


def text(i: int) -> str:
    """Every 50th from the 4th has 'boom' (FailOnMapper raises on it)."""
    return f"scene {i} {'boom ' if i % 50 == 3 else ''}text"


def dataset(tmp_path: Path) -> Path:
    rows = [{"scene_token": f"t{i:05d}", "text": text(i), "n": i} for i in range(N)]
    return write_jsonl(tmp_path / "scenes.jsonl", rows)


def table(url: str, name: str) -> None:
    """Refuses every 33rd row (3%), by its ``n``."""
    with sa.create_engine(url).begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {name} (scene_token TEXT PRIMARY KEY, text TEXT, n BIGINT CHECK (n % 33 <> 0))"
            )
        )


def recipe(tmp_path: Path, data: Path, name: str, executor: str = "local") -> Path:
    url = f"sqlite:///{tmp_path / 'out.db'}"
    table(url, name)
    process = [
        {
            "tests.job.user_ops:AlwaysDieMapper": {
                "needles": [text(i) for i in sorted(KILLERS)],
                "how": "sigkill",
            }
        },
        {"tests.job.user_ops:FailOnMapper": {"needle": "boom"}},
    ]
    return jobproc.write_recipe(
        tmp_path,
        data,
        name,
        process,
        id_field="scene_token",
        export={"url": url, "table": name, "insert_batch": 7},
        fault_tolerance={"max_retries": 1, "retry_delay_s": 0.05},
        executor_type=executor,
    )


def outcome(tmp_path: Path, name: str) -> dict[str, object]:
    job = tmp_path / "jobs" / name
    with sa.create_engine(f"sqlite:///{tmp_path / 'out.db'}").connect() as conn:
        rows = sorted(tuple(r) for r in conn.execute(sa.text(f"SELECT scene_token, text, n FROM {name}")))
    ok = pd.read_parquet(job / "successful_tokens.parquet")
    bad = pd.read_parquet(job / "failed_tokens.parquet")
    return {
        "table": rows,
        "successful": sorted(ok["scene_token"]),
        "written": sorted(ok.loc[ok["written"], "scene_token"]),
        "failed": sorted(zip(bad["scene_token"], bad["step"], strict=True)),
    }


@pytest.mark.slow
def test_chaos_kills_with_poison_samples_and_refused_rows(datamill, tmp_path: Path, executor: str) -> None:
    data = dataset(tmp_path)
    assert datamill("run", "--config", recipe(tmp_path, data, "reference"), "--job_id", "reference") == 0
    expected = outcome(tmp_path, "reference")
    steps = {step for _, step in expected["failed"]}  # type: ignore[attr-defined]
    assert steps == {
        "tests.job.user_ops:AlwaysDieMapper",
        "tests.job.user_ops:FailOnMapper",
        "database_insert",
    }
    assert len(expected["table"]) == N - len(expected["failed"])  # type: ignore[arg-type]

    path = recipe(tmp_path, data, "chaos", executor)
    job_dir = tmp_path / "jobs" / "chaos"
    rng = random.Random(5)
    kills = 0
    proc = None
    for _ in range(10):
        proc = jobproc.start(path, "--job_id", "chaos")
        before = jobproc.committed(job_dir) if (job_dir / "results").is_dir() else 0
        target = before + rng.randint(1, 3)
        jobproc.wait_for(lambda n=target: jobproc.committed(job_dir) >= n, 60, proc)
        jobproc.wait_for(lambda: False, rng.uniform(0.0, 0.3), proc)
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stdout.read().decode()[-3000:] if proc.stdout else ""
            break
        jobproc.kill_group(proc)
        kills += 1
    assert kills >= 8, f"only {kills} kills: make the job longer"
    if proc is None or proc.returncode != 0:
        assert datamill("run", "--config", path, "--job_id", "chaos") == 0
    assert outcome(tmp_path, "chaos") == expected  # (a SQL export: the table is the output)
