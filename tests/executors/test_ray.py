"""The Ray executor's checks before work: Ray installed, the job directory on
storage every node sees."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datamill.errors import ExecutorError
from datamill.executors.ray import check_shared_storage
from tests.conftest import OBJECT_STORE_BYTES, write_jsonl
from tests.job import jobproc


def test_executor_type_ray_without_ray_says_what_to_install(
    datamill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as without Ray installed
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(10)])
    recipe = jobproc.write_recipe(tmp_path, data, "noray", [], executor_type="ray")
    assert datamill("run", "--config", recipe, "--job_id", "noray") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        'error: executor_type: ray needs Ray: pip install "datamill[ray]" '
        f"(Ray is not installed in this Python environment, {sys.executable}). Nothing was done.\n"
    )
    assert not (tmp_path / "noray.jsonl").exists()
    assert not (tmp_path / "jobs" / "noray").exists()  # (refused before the job directory is made)


@pytest.mark.slow
def test_an_op_asking_for_more_cpus_than_the_local_ray_has_stops_the_job_at_once(
    datamill, tmp_path: Path, ray_tmpdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ray would keep such a task waiting for a node that fits, forever, without a word."""
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(40)])
    greedy = [{"text_length_filter": {"num_cpus": 4}}]
    recipe = jobproc.write_recipe(tmp_path, data, "greedy", greedy, executor_type="ray")  # np: 2
    assert datamill("run", "--config", recipe, "--job_id", "greedy") == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "error: each partition task asks Ray for 4 CPU(s) (the most an op of the recipe asks for" in err
    assert "the local Ray started for this job has 2 CPU(s) and" in err and "Raise np" in err
    assert jobproc.committed(tmp_path / "jobs" / "greedy") == 0


@pytest.fixture
def ray_driver(ray_cluster: Any) -> Iterator[Any]:
    """This process, a driver connected to ``ray_cluster``: the ``ray`` module."""
    import ray

    ray.init(address=ray_cluster.address, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def node_names(ray: Any) -> dict[str, str]:
    """Alive nodes that run tasks, by id: the name a storage check gives them (ip/id prefix)."""
    return {
        n["NodeID"]: f"{n['NodeManagerAddress']}/{n['NodeID'][:8]}"
        for n in ray.nodes()
        if n["Alive"] and n["Resources"].get("CPU", 0) > 0
    }


@pytest.mark.slow
def test_the_storage_check_passes_on_every_node_of_a_cluster(ray_driver: Any, tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    assert check_shared_storage(ray_driver, job_dir) == len(node_names(ray_driver)) == 2
    assert list(job_dir.iterdir()) == []  # its files are gone


@pytest.fixture
def private_storage_node(ray_cluster: Any, tmp_path: Path) -> Iterator[Path]:
    """A third node, started with ``ray start``, that sees an empty directory
    at ``tmp_path / "shared"`` (a tmpfs over it, in a mount namespace of its
    own), as a node of a cluster without shared storage does."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs in a mount namespace needs root")
    shared = tmp_path / "shared"
    shared.mkdir()
    ray_start = Path(sys.executable).parent / "ray"
    node = (
        f"mount -t tmpfs tmpfs {shared} && exec {ray_start} start --address={ray_cluster.address} "
        f"--num-cpus=1 --object-store-memory={OBJECT_STORE_BYTES} --block"
    )
    proc = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", node],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield shared
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # `ray start --block` stops its node
        proc.wait(timeout=60)


@pytest.mark.slow
def test_a_node_that_sees_another_job_directory_fails_the_check_named_with_what_to_do(
    ray_driver: Any, ray_cluster: Any, private_storage_node: Path, tmp_path: Path
) -> None:
    shared = private_storage_node
    before = node_names(ray_driver)
    assert jobproc.wait_for(lambda: len(node_names(ray_driver)) == 3, 60), "the third node did not join"
    (private,) = set(node_names(ray_driver).values()) - set(before.values())
    job_dir = shared / "job"
    job_dir.mkdir()
    with pytest.raises(ExecutorError) as raised:
        check_shared_storage(ray_driver, job_dir)
    message = str(raised.value)
    assert message.startswith(f"the job directory {job_dir} is not on storage every Ray node sees: ")
    assert f"node {private} cannot read the job directory {job_dir} ({job_dir}/.storage-check-" in message
    assert "/driver: No such file or directory)" in message
    assert not any(name in message for name in before.values())  # the nodes that see it are not blamed
    assert "a filesystem every node mounts at the same path" in message and "\n" not in message

    # A job on that cluster stops there, before its first partition, saying so.
    data = write_jsonl(shared / "d.jsonl", [{"text": f"row {i}"} for i in range(40)])
    work = {"work_dir": str(shared / "jobs"), "ray_address": ray_cluster.address}
    recipe = jobproc.write_recipe(shared, data, "unshared", [], executor_type="ray", **work)
    proc = jobproc.start(recipe, "--job_id", "unshared")
    out, _ = proc.communicate(timeout=120)
    said = " ".join(out.decode().split())  # (as one paragraph, however the console wrapped it)
    assert proc.returncode != 0
    assert f"node {private} cannot read the job directory" in said and "Nothing was processed." in said
    assert jobproc.committed(shared / "jobs" / "unshared") == 0


def reader(*files: Path, probe: bool = False) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    """A pool (no Ray behind it) running a task per file, whose events go to that file."""
    import threading
    from types import SimpleNamespace

    from datamill.executors.ray import EventFile, RayExecutor, _Running

    passed: list[dict[str, Any]] = []
    pool = RayExecutor.__new__(RayExecutor)  # (only the driver's reading of the files is tried)
    pool.on_event, pool._lock = passed.append, threading.Lock()
    task = SimpleNamespace(probe=probe)
    runs = [_Running(task, None, EventFile(f)) for f in files]  # type: ignore[arg-type]
    pool._running = dict(enumerate(runs))
    return pool, runs, passed


def event(kind: str, epoch: float = 0.0, **fields: Any) -> str:
    fields = {
        "type": kind,
        "epoch": epoch,
        "partition_id": "000003_ab_60-80",
        "pid": 41,
        "host": "h",
        **fields,
    }
    return json.dumps(fields) + "\n"


def test_a_task_s_events_are_read_on_from_where_they_were_left_whole_lines_only(tmp_path: Path) -> None:
    events = tmp_path / "t0.jsonl"
    pool, (run,), passed = reader(events)
    pool._deliver_events()  # (not started: no file yet)
    assert passed == [] and run.pid is None
    lines = [event("PARTITION_START"), event("OP_START", op_name="clean_links_mapper")]
    events.write_text("".join(lines) + event("OP_COMPLETE")[:20], encoding="utf-8")  # a line being written
    pool._deliver_events()
    assert [e["type"] for e in passed] == ["PARTITION_START", "OP_START"]
    assert run.op_name == "clean_links_mapper" and (run.pid, run.host) == (41, "h")
    with events.open("a", encoding="utf-8") as fh:  # the line finished, the next op entered
        fh.write(event("OP_COMPLETE")[20:] + event("OP_START", op_name="clean_email_mapper"))
    pool._deliver_events()
    assert [e["type"] for e in passed] == ["PARTITION_START", "OP_START", "OP_COMPLETE", "OP_START"]
    assert run.op_name == "clean_email_mapper"  # where a death now is charged
    assert run.events.read == events.stat().st_size
    with events.open("a", encoding="utf-8") as fh:
        fh.write(event("OP_COMPLETE"))
    pool._deliver_events()
    assert run.op_name is None and len(passed) == 5  # between ops: a death now is no op's


def test_the_events_of_tasks_read_together_are_passed_on_in_the_order_of_their_times(tmp_path: Path) -> None:
    a, b = tmp_path / "t0.jsonl", tmp_path / "t1.jsonl"
    a.write_text(event("OP_START", 10.0, op_name="x") + event("OP_COMPLETE", 12.0), encoding="utf-8")
    b.write_text(event("OP_START", 11.0, op_name="y") + event("OP_COMPLETE", 13.0), encoding="utf-8")
    pool, _, passed = reader(a, b)
    pool._deliver_events()
    assert [e["epoch"] for e in passed] == [10.0, 11.0, 12.0, 13.0]


def test_a_probe_s_events_say_where_it_is_but_are_not_passed_on(tmp_path: Path) -> None:
    events = tmp_path / "t0.jsonl"
    events.write_text(event("PARTITION_START") + event("OP_START", op_name="m"), encoding="utf-8")
    pool, (run,), passed = reader(events, probe=True)
    pool._deliver_events()
    assert passed == [] and run.op_name == "m"


@pytest.mark.slow
def test_the_global_phase_runs_on_the_run_s_one_ray_a_rerun_left_with_it_alone_too(
    tmp_path: Path, ray_tmpdir: Path
) -> None:
    """The deduplicator's global phase runs on the Ray its partitions ran on,
    not on a second one started after it (seconds). A rerun starts its local
    Ray before its plan; when every partition was committed by then, the phase
    runs on that Ray (a second one, starting beside it, broke the first)."""
    texts = [
        "the same few words for every copy of it " * 3
        if i % 7 == 0
        else f"row {i} has words of its own {i} " * 3
        for i in range(200)
    ]
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": t} for t in texts])
    process = [{"document_minhash_deduplicator": {}}]
    recipe = jobproc.write_recipe(tmp_path, data, "dd", process, executor_type="ray", partition={"size": 50})

    def run() -> tuple[int, str]:
        proc = jobproc.start(recipe, "--job_id", "dd")
        out, _ = proc.communicate(timeout=180)
        return proc.returncode, out.decode()

    sessions = lambda: len(list(ray_tmpdir.glob("ray/session_2*")))  # noqa: E731 (a Ray each)
    code, out = run()
    assert code == 0, out
    assert sessions() == 1
    first = (tmp_path / "dd.jsonl").read_bytes()
    assert 150 < first.count(b"\n") < 200  # (the copies are gone)
    summary = tmp_path / "jobs" / "dd" / "job_summary.json"
    stopped = json.loads(summary.read_text()) | {
        "status": "stopped"
    }  # as a run stopped in the phase leaves it
    summary.write_text(json.dumps(stopped))
    code, out = run()
    assert code == 0, out
    assert "4 of 4 partitions were committed earlier" in " ".join(out.split())
    assert (tmp_path / "dd.jsonl").read_bytes() == first
    assert sessions() == 2
