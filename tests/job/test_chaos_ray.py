"""Ray's own ways to fail: a Ray worker killed from outside, a driver killed
with the Ray it started, nodes of a cluster lost, a signal to the driver's
process group. Each test ends with the output of an uninterrupted run on the
local pool, byte for byte, and its ledger: nothing lost, nothing written twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest

from datamill.demo.recipe import SIX_OPS
from tests.conftest import OBJECT_STORE_BYTES, RAY_OUTLIVES_S, lingers, ray_processes
from tests.job import jobproc
from tests.job.test_fault_tolerance import make_recipe, reference_output
from tests.job.test_no_hang import alive

pytestmark = pytest.mark.slow

HOLD = "tests.job.user_ops:HoldWhileFileMapper"


def events(job_dir: Path, kind: str) -> list[dict[str, Any]]:
    """The job's events of one type so far (a torn last line is left out)."""
    try:
        lines = (job_dir / "event_logs" / "events.jsonl").read_text().splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event["type"] == kind:
            found.append(event)
    return found


def held(job_dir: Path) -> list[dict[str, Any]]:
    """The OP_START events of partitions that reached the op holding them."""
    return [e for e in events(job_dir, "OP_START") if e["op_name"] == HOLD]


def retries(job_dir: Path) -> list[dict[str, Any]]:
    return events(job_dir, "PARTITION_RETRY")


def ran_on(job_dir: Path, partition_id: str) -> list[str]:
    """The nodes a partition started on, in order."""
    return [e["node"] for e in events(job_dir, "PARTITION_START") if e["partition_id"] == partition_id]


def ledger(job_dir: Path) -> list[tuple[str, bool]]:
    """The successful records on record, (id, written), sorted; none may be there twice."""
    ok = pd.read_parquet(job_dir / "successful_tokens.parquet")
    assert not ok["sample_id"].duplicated().any(), "a record is on record twice"
    return sorted(zip(ok["sample_id"], ok["written"], strict=True))


def assert_as_uninterrupted(datamill, tmp_path: Path, data: Path, process: list, name: str) -> None:
    """The job's output and ledger are those of an uninterrupted run on the local pool."""
    assert (tmp_path / f"{name}.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, process)
    assert ledger(tmp_path / "jobs" / name) == ledger(tmp_path / "jobs" / "reference")


def finish(proc: subprocess.Popen[bytes], timeout: float = 300) -> str:
    """Wait for the run to end; its output."""
    out, _ = proc.communicate(timeout=timeout)
    text: str = out.decode()
    assert proc.returncode == 0, text[-3000:]
    return text


def test_a_ray_worker_killed_mid_partition_costs_its_partition_one_retry(
    datamill, corpus, tmp_path: Path, ray_tmpdir: Path
) -> None:
    data = corpus(200)
    hold = tmp_path / "hold"
    hold.touch()  # partitions wait in the last op while it exists
    process = [*SIX_OPS, {HOLD: {"hold": str(hold)}}]
    recipe = make_recipe(tmp_path, data, "killed", process, executor_type="ray")
    job_dir = tmp_path / "jobs" / "killed"
    proc = jobproc.start(recipe, "--job_id", "killed")
    try:
        assert jobproc.wait_for(lambda: bool(held(job_dir)), 120, proc), "no partition reached the op"
        victim = held(job_dir)[0]
        worker = psutil.Process(victim["pid"])
        assert worker.name().startswith("ray::"), f"pid {worker.pid} is not a Ray worker: {worker}"
        worker.kill()
        assert jobproc.wait_for(lambda: bool(retries(job_dir)), 60, proc), "the partition was not retried"
        hold.unlink()
        finish(proc)
    finally:
        if proc.poll() is None:
            jobproc.kill_group(proc)
    (retry,) = retries(job_dir)
    assert retry["partition_id"] == victim["partition_id"]
    assert retry["error_message"] == (
        f"worker process {victim['pid']} died (Ray worker died) while running partition "
        f"{victim['partition_id']} in op '{HOLD}'"
    )
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed" and s["counts"]["partition_retries"] == 1
    assert_as_uninterrupted(datamill, tmp_path, data, process, "killed")


DRIVER_KILLS = 4
FIRST_TASKS = 3  # commits a kill "while Ray starts" waits for at most


def outlived(ray: list[psutil.Process], ray_tmpdir: Path) -> list[psutil.Process]:
    """Those of ``ray`` and of the test's Rays still running RAY_OUTLIVES_S from now
    (but for those that linger); none, as soon as none is."""
    left = lambda: alive(ray) + ray_processes(ray_tmpdir, lingering=False)  # noqa: E731
    jobproc.wait_for(lambda: not left(), RAY_OUTLIVES_S)
    return left()


def test_a_killed_driver_takes_its_ray_along_and_the_rerun_is_exact(
    datamill, corpus, tmp_path: Path, ray_tmpdir: Path
) -> None:
    """Runs SIGKILLed at random moments: while Ray starts, or after some commits;
    every other time the driver's process group (Ray's workers are not in it),
    else the driver alone (Ray's servers are). Each time, the processes of that
    run's Ray are gone within RAY_OUTLIVES_S, but for those that linger, which
    must be gone when the test ends (``ray_tmpdir``)."""
    data = corpus(2000)
    checkpoint = {"strategy": "every_op"}
    recipe = make_recipe(tmp_path, data, "chaos", SIX_OPS, executor_type="ray", checkpoint=checkpoint)
    job_dir = tmp_path / "jobs" / "chaos"
    rng = random.Random(23)
    for kill in range(DRIVER_KILLS):
        proc = jobproc.start(recipe, "--job_id", "chaos")
        try:
            before = jobproc.committed(job_dir)
            if rng.random() < 0.4:  # Ray starting, the storage check, the first tasks
                # (a few commits at most: a Ray up in a second commits the whole job in a few)
                first = lambda n=before + FIRST_TASKS: jobproc.committed(job_dir) >= n  # noqa: E731
                jobproc.wait_for(first, rng.uniform(1.0, 8.0), proc)
            else:
                target = before + rng.randint(1, 15)
                jobproc.wait_for(lambda n=target: jobproc.committed(job_dir) >= n, 90, proc)
            assert proc.poll() is None, "the run ended before its kill: make the job longer"
            ray = [p for p in psutil.Process(proc.pid).children(recursive=True) if not lingers(p)]
            if kill % 2:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            else:
                jobproc.kill_group(proc)
            assert not outlived(ray, ray_tmpdir), f"kill {kill + 1}: Ray processes outlived the driver"
        finally:
            jobproc.kill_group(proc)
    assert jobproc.committed(job_dir) < 100, "the job completed before its last kill"
    finish(jobproc.start(recipe, "--job_id", "chaos"))
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed" and s["counts"]["partitions_total"] == 100
    assert_as_uninterrupted(datamill, tmp_path, data, SIX_OPS, "chaos")


def test_lost_nodes_cost_the_partitions_they_ran_a_retry_on_the_nodes_left(
    datamill, corpus, tmp_path: Path, ray_cluster: Any
) -> None:
    """Both worker nodes are lost, one after the other, each while it runs a
    partition (a new node joins in between): nothing the job keeps on a node
    but its partitions' work may be lost with it."""
    data = corpus(200)
    hold = tmp_path / "hold"
    hold.touch()  # a partition waits on each node while it exists
    process = [*SIX_OPS, {HOLD: {"hold": str(hold)}}]
    address = ray_cluster.address
    recipe = make_recipe(tmp_path, data, "lost", process, executor_type="ray", ray_address=address)
    job_dir = tmp_path / "jobs" / "lost"
    proc = jobproc.start(recipe, "--job_id", "lost")
    try:
        on_both = lambda: len({e["node"] for e in held(job_dir)}) == 2  # noqa: E731
        assert jobproc.wait_for(on_both, 120, proc), "no partition reached the op on both nodes"
        victims = list({e["node"]: e for e in held(job_dir)}.values())
        for lost, victim in enumerate(victims, start=1):
            node = next(n for n in ray_cluster.worker_nodes if victim["node"].endswith(n.node_id[:8]))
            ray_cluster.remove_node(node, allow_graceful=False)  # its raylet SIGKILLed: the machine is gone
            assert jobproc.wait_for(lambda n=lost: len(retries(job_dir)) == n, 60, proc), "no retry"
            # (a node cut off by the network would run it on: here its worker must be gone)
            assert jobproc.wait_for(lambda v=victim: not psutil.pid_exists(v["pid"]), 15)
            if lost == 1:
                ray_cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE_BYTES)
        hold.unlink()
        finish(proc)
    finally:
        if proc.poll() is None:
            jobproc.kill_group(proc)
    assert [r["partition_id"] for r in retries(job_dir)] == [v["partition_id"] for v in victims]
    for retry, victim in zip(retries(job_dir), victims, strict=True):
        assert retry["error_message"].startswith(
            f"worker process {victim['pid']} died (the Ray node running it was lost) while running partition "
        )
        nodes = ran_on(job_dir, victim["partition_id"])
        assert nodes[0] == victim["node"] and nodes[-1] != victim["node"]
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed" and s["counts"]["partition_retries"] == 2
    assert_as_uninterrupted(datamill, tmp_path, data, process, "lost")


@pytest.mark.parametrize(
    ("sig", "group"),
    [
        pytest.param(signal.SIGINT, True, id="ctrl-c"),
        pytest.param(signal.SIGTERM, True, id="sigterm-to-the-group"),
        pytest.param(signal.SIGTERM, False, id="sigterm-to-the-driver"),
    ],
)
def test_a_signal_to_the_drivers_process_group_stops_the_job_gracefully(
    datamill, corpus, tmp_path: Path, ray_tmpdir: Path, sig: signal.Signals, group: bool
) -> None:
    """Ctrl-C in a terminal signals the whole foreground process group; so do
    `timeout`, batch schedulers and process managers with SIGTERM. The
    driver's stop must not be undone by Ray's own processes dying of it, nor
    by the crash handler Ray's core library installs in the driver."""
    data = corpus(200)
    process = [*SIX_OPS, {"tests.job.user_ops:SlowMapper": {"delay_s": 1.0}}]
    stop = {"stop_timeout_s": 20}
    recipe = make_recipe(tmp_path, data, "signal", process, executor_type="ray", fault_tolerance=stop)
    job_dir = tmp_path / "jobs" / "signal"
    proc = jobproc.start(recipe, "--job_id", "signal")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 2, 90, proc)
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        assert proc.wait(timeout=30) == 130
    finally:
        jobproc.kill_group(proc)
    s = jobproc.summary(job_dir)
    assert s["status"] == "stopped" and s["counts"]["partitions_failed"] == 0
    assert 2 <= s["counts"]["partitions_done"] < 10
    assert not retries(job_dir)  # the partitions running at the signal finished
    finish(jobproc.start(recipe, "--job_id", "signal"))
    assert_as_uninterrupted(datamill, tmp_path, data, process, "signal")
