"""Nothing outlives its driver, nothing hangs: real processes, real signals."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import psutil
import pytest

from datamill.demo.recipe import SIX_OPS
from datamill.executors.local import LocalExecutor
from tests.job import jobproc
from tests.job.test_fault_tolerance import make_recipe, reference_output


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (a zombie waiting for its reaper has ended)."""
    running = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                running.append(p)
        except psutil.NoSuchProcess:
            pass
    return running


@pytest.mark.slow
def test_a_sigkilled_driver_leaves_no_process_behind_and_a_rerun_is_exact(
    datamill, corpus, tmp_path: Path
) -> None:
    data = corpus(100)  # five partitions of 20 rows, one batch each
    # Every partition takes 5 s in one op: a worker outliving its driver would run for seconds.
    process = [*SIX_OPS, {"tests.job.user_ops:SlowMapper": {"delay_s": 5.0}}]
    recipe = make_recipe(tmp_path, data, "orphans", process)
    job_dir = tmp_path / "jobs" / "orphans"
    proc = jobproc.start(recipe, "--job_id", "orphans")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 2, 60, proc)
        descendants = psutil.Process(proc.pid).children(recursive=True)
        # the fork server, its two workers (and multiprocessing's resource tracker)
        assert len(descendants) >= 3, descendants
        os.kill(proc.pid, signal.SIGKILL)  # the driver only, not its process group
        proc.wait()
        assert jobproc.wait_for(lambda: not alive(descendants), 2.0), alive(descendants)
    finally:
        jobproc.kill_group(proc)
    assert jobproc.committed(job_dir) < 5, "the job ended before the kill: the test proves nothing"
    assert datamill("run", "--config", recipe, "--job_id", "orphans") == 0
    assert (tmp_path / "orphans.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, process)


@pytest.mark.timeout(90)
def test_a_worker_that_cannot_be_replaced_fails_the_job_instead_of_hanging(
    datamill, corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[int] = []
    start_worker = LocalExecutor._start_worker

    def only_two(self: LocalExecutor) -> Any:
        if len(started) >= 2:
            raise OSError("no more processes")
        started.append(1)
        return start_worker(self)

    monkeypatch.setattr(LocalExecutor, "_start_worker", only_two)
    data = corpus(200)
    needle = json.loads(data.read_text().splitlines()[77])["text"]
    killer = {"tests.job.user_ops:DieOnceMapper": {"needle": needle, "flag": str(tmp_path / "flag")}}
    recipe = make_recipe(tmp_path, data, "broken", [killer, *SIX_OPS])
    assert datamill("run", "--config", recipe, "--job_id", "broken") != 0
    assert (tmp_path / "flag").exists(), "no worker died: the test proves nothing"
    s = jobproc.summary(tmp_path / "jobs" / "broken")
    assert s["status"] == "failed"
    assert "could not start a worker process (3 tries): OSError: no more processes" in s["error"]
    assert "error: could not start a worker process" in capsys.readouterr().err
    monkeypatch.undo()  # workers start again: the rerun completes what is left
    assert datamill("run", "--config", recipe, "--job_id", "broken") == 0
    assert (tmp_path / "broken.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, SIX_OPS)


@pytest.mark.timeout(120)
def test_a_partition_that_hangs_is_killed_recorded_and_retried(datamill, corpus, tmp_path: Path) -> None:
    data = corpus(200)
    needle = json.loads(data.read_text().splitlines()[123])["text"]
    hang = {"tests.job.user_ops:HangOnceMapper": {"needle": needle, "flag": str(tmp_path / "flag")}}
    ft = {"stall_timeout_s": 2, "retry_delay_s": 0.1}
    recipe = make_recipe(tmp_path, data, "hangs", [hang, *SIX_OPS], fault_tolerance=ft)
    assert datamill("run", "--config", recipe, "--job_id", "hangs") == 0
    assert (tmp_path / "flag").exists(), "nothing hung: the test proves nothing"
    s = jobproc.summary(tmp_path / "jobs" / "hangs")
    assert s["counts"]["partition_retries"] == 1
    events = [json.loads(line) for line in events_file(tmp_path, "hangs").read_text().splitlines()]
    stalls = [e for e in events if e["type"] == "WARNING" and e.get("error_type") == "PartitionStalled"]
    assert len(stalls) == 1
    assert "made no progress for 2s in op 'tests.job.user_ops:HangOnceMapper'" in stalls[0]["message"]
    retries = [e for e in events if e["type"] == "PARTITION_RETRY"]
    assert [e["error_type"] for e in retries] == ["PartitionStalled"]
    assert (tmp_path / "hangs.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, SIX_OPS)


def events_file(tmp_path: Path, job_id: str) -> Path:
    found = list(tmp_path.rglob(f"{job_id}/event_logs/events.jsonl"))
    assert len(found) == 1, found
    return found[0]
