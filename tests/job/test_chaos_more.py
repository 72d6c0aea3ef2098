"""More chaos with real processes: a worker frozen past the stall limit, and
SIGKILLs landing while the ledger is folded. Each ends where an uninterrupted
run of the same recipe ends."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from datamill.demo.recipe import SIX_OPS
from datamill.ledger.stats import ledger_stats
from tests.conftest import write_jsonl
from tests.job import jobproc
from tests.job.test_fault_tolerance import make_recipe, reference_output
from tests.job.test_no_hang import events_file


def workers(driver: int) -> list[psutil.Process]:
    """The pool's workers: the children of the driver's fork server."""
    found = []
    for child in psutil.Process(driver).children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                found += child.children()
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_worker_frozen_past_the_stall_limit_is_replaced_and_the_output_is_exact(
    datamill, corpus, tmp_path: Path
) -> None:
    data = corpus(400)  # 20 partitions of 20 rows, 0.5 s each
    process = [*SIX_OPS, {"tests.job.user_ops:SlowMapper": {"delay_s": 0.5}}]
    ft = {"stall_timeout_s": 2, "retry_delay_s": 0.1}
    recipe = make_recipe(tmp_path, data, "frozen", process, fault_tolerance=ft)
    job_dir = tmp_path / "jobs" / "frozen"
    proc = jobproc.start(recipe, "--job_id", "frozen")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 2, 60, proc)
        pool = workers(proc.pid)
        assert len(pool) >= 2, pool
        victim = pool[0]
        victim.send_signal(signal.SIGSTOP)
        time.sleep(5)  # more than twice the stall limit
        with contextlib.suppress(psutil.NoSuchProcess):  # the watchdog killed it, as it should
            victim.send_signal(signal.SIGCONT)
        assert proc.wait(timeout=120) == 0, proc.stdout.read().decode() if proc.stdout else ""
    finally:
        jobproc.kill_group(proc)
    assert jobproc.summary(job_dir)["status"] == "completed"
    events = [json.loads(line) for line in events_file(tmp_path, "frozen").read_text().splitlines()]
    stalls = [e for e in events if e["type"] == "WARNING" and e.get("error_type") == "PartitionStalled"]
    assert len(stalls) >= 1
    assert f"its worker process {victim.pid} was killed" in stalls[0]["message"]
    assert any(e["type"] == "PARTITION_RETRY" for e in events)
    assert (tmp_path / "frozen.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, process)
    ids = pd.read_parquet(job_dir / "successful_tokens.parquet").iloc[:, 0]
    reference = pd.read_parquet(tmp_path / "jobs" / "reference" / "successful_tokens.parquet").iloc[:, 0]
    assert ids.is_unique and len(ids) == 400
    assert sorted(ids) == sorted(reference)


N_ROWS = 200_000
"""Short records in ten partitions: the fold at the end of a run takes a while."""


STAGES = ["none", "writing", "writing (temporaries)", "pending"]
"""A fold's stages, in order: each kill waits for one of the last three."""


def fold_stage(job_dir: Path) -> str | None:
    """How far a fold got, if one is underway: its index names what it writes
    or commits, or only its temporaries exist; None if no fold is underway."""
    try:
        index = json.loads((job_dir / "ledger" / "folded.json").read_text())
    except (FileNotFoundError, ValueError):
        index = {}
    temps = any(job_dir.glob(".tmp-fold-*"))
    if "pending" in index:
        return "pending"
    if "writing" in index:
        return "writing" + (" (temporaries)" if temps else "")
    return "temporaries" if temps else None


def root_files(job_dir: Path) -> dict[str, object]:
    ok = pd.read_parquet(job_dir / "successful_tokens.parquet")
    bad = pd.read_parquet(job_dir / "failed_tokens.parquet")
    history = pd.read_parquet(job_dir / "failed_history.parquet")
    key = ok.columns[0]
    assert ok[key].is_unique
    return {
        "successful": sorted(ok[key]),
        "failed": sorted(zip(bad[key], bad["step"], strict=True)),
        "history": sorted(zip(history[key], history["step"], strict=True)),
    }


def exact_stats(job_dir: Path) -> dict[str, object]:
    """``datamill stats --exact``, less when the records were processed (their count stays)."""
    stats = ledger_stats(job_dir, exact=True)
    stats["per_hour"] = sum(stats["per_hour"]["hours"].values())
    return stats


def assert_like_reference(tmp_path: Path, job_id: str) -> None:
    job_dir, reference = tmp_path / "jobs" / job_id, tmp_path / "jobs" / "reference"
    assert jobproc.summary(job_dir)["status"] == "completed"
    assert not list(job_dir.rglob(".tmp-*"))
    assert not list((job_dir / "ledger" / "success").rglob("*.parquet"))
    assert not list((job_dir / "ledger" / "failed").rglob("*.parquet"))
    assert root_files(job_dir) == root_files(reference)
    assert exact_stats(job_dir) == exact_stats(reference)
    assert (tmp_path / f"{job_id}.jsonl").read_bytes() == (tmp_path / "reference.jsonl").read_bytes()


@pytest.mark.slow
@pytest.mark.timeout(540)
def test_sigkills_during_the_ledger_fold_leave_the_ledger_of_an_uninterrupted_run(
    datamill, tmp_path: Path
) -> None:
    rows = [{"text": f"r{i}" + (" boom" if i % 997 == 0 else "")} for i in range(N_ROWS)]
    data = write_jsonl(tmp_path / "short.jsonl", rows)
    process = [{"tests.job.user_ops:FailOnMapper": {"needle": "boom"}}]

    def recipe(name: str) -> Path:
        keys = {"partition": {"size": 20_000}, "ledger": {"fold_interval_s": 1}}
        return make_recipe(tmp_path, data, name, process, **keys)

    assert datamill("run", "--config", recipe("reference"), "--job_id", "reference") == 0
    assert len(root_files(tmp_path / "jobs" / "reference")["failed"]) == 201
    kills = landed = 0
    job, killed_jobs, stages = 0, set(), []
    while landed < 6 and kills < 30:
        job_id = f"fold{job}"
        job_dir = tmp_path / "jobs" / job_id
        proc = jobproc.start(recipe(job_id), "--job_id", job_id)
        target = STAGES[1 + kills % 3]
        try:
            reached = lambda: STAGES.index(fold_stage(job_dir) or "none") >= STAGES.index(target)  # noqa: B023, E731
            recovered = (
                fold_stage(job_dir) is None
            )  # a fold the last kill stopped is first undone or completed
            while proc.poll() is None and not (recovered and reached()):
                recovered = recovered or fold_stage(job_dir) is None
                time.sleep(0.002)
        finally:
            jobproc.kill_group(proc)
        if proc.returncode == 0:  # it ended on its own: nothing was left to fold
            job += 1
            continue
        kills += 1
        killed_jobs.add(job_id)
        stage = fold_stage(job_dir)
        landed += stage is not None
        stages.append(f"{job_id}: {stage}, {jobproc.committed(job_dir)} committed")
    print(f"{landed} of {kills} kills landed during a fold:", *stages, sep="\n  ")
    assert landed >= 6, f"only {landed} of {kills} kills landed during a fold: {stages}"
    for job_id in sorted(killed_jobs):
        if (
            not (tmp_path / f"{job_id}.jsonl").exists()
            or jobproc.summary(tmp_path / "jobs" / job_id)["status"] != "completed"
        ):
            assert datamill("run", "--config", recipe(job_id), "--job_id", job_id) == 0
        assert_like_reference(tmp_path, job_id)
