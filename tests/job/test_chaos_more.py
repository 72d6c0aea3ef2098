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
