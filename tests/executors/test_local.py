"""The local process pool: workers start in the pool's thread."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from datamill.engine.spec import PartitionTask
from datamill.errors import ExecutorError, WorkerDied
from datamill.executors.local import LocalExecutor
from tests.conftest import write_jsonl

NEVER_RUN = cast(PartitionTask, object())  # the pool fails before any task reaches a worker


def test_workers_that_cannot_start_fail_every_task_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork_server(self: Any) -> Any:
        raise OSError("fork server unavailable")

    monkeypatch.setattr(LocalExecutor, "_start_worker", no_fork_server)
    pool = LocalExecutor(2)
    try:
        try:  # queued before the pool's thread gave up, or refused after
            error = pool.submit(NEVER_RUN).exception(timeout=10)
        except ExecutorError as exc:
            error = exc
        assert isinstance(error, ExecutorError) and not error.transient
        assert "could not start a worker process (3 tries): OSError: fork server unavailable" in str(error)
        pool._thread.join(timeout=10)
        with pytest.raises(ExecutorError, match="could not start a worker process"):
            pool.submit(NEVER_RUN)
        assert pool.first_dispatch is None
    finally:
        pool.shutdown()


def test_the_driver_imports_no_engine() -> None:
    """A resume reads the job's state while the fork server loads the engine:
    the driver's own imports leave pyarrow, numpy and the ops out."""
    code = (
        "import sys, datamill.cli.main, datamill.cli.run, datamill.job.driver, datamill.executors.local;"
        "print(sorted(m for m in ('pyarrow', 'numpy', 'pandas', 'duckdb', 'sqlalchemy', 'datamill.ops.base',"
        " 'datamill.engine.partition') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_fork_server_preloads_modules_that_exist() -> None:
    """multiprocessing ignores a preload module that fails to import: workers
    would then load the engine on their first partition, unnoticed."""
    import importlib

    from datamill.prestart import FORKSERVER_PRELOAD

    for name in FORKSERVER_PRELOAD:
        importlib.import_module(name)


def one_partition(tmp_path: Path, process: list[dict[str, Any]]) -> PartitionTask:
    """A task for the first partition of ``row 0`` … ``row 9``, with ``process`` as its ops."""
    from datamill.config.loader import load_recipe
    from datamill.io.sources import discover
    from datamill.job.driver import pipeline_for
    from datamill.job.layout import JobLayout
    from datamill.plan.planner import make_plan

    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(10)])
    recipe = load_recipe(None, raw={"dataset_path": str(data), "work_dir": str(tmp_path), "process": process})
    layout = JobLayout.for_recipe(recipe, "j")
    layout.create()
    plan = make_plan(discover(str(data)), recipe.partition, tmp_path)
    return PartitionTask(plan.partitions[0], pipeline_for(recipe, layout, "jsonl"))


@pytest.mark.parametrize(("how", "code"), [("exit", 9), ("sigkill", -9)])
def test_a_dead_worker_says_how_it_died_and_in_which_op(tmp_path: Path, how: str, code: int) -> None:
    die = "tests.job.user_ops:AlwaysDieMapper"
    process = [{"whitespace_normalization_mapper": {}}, {die: {"needle": "row 4", "how": how}}]
    task = one_partition(tmp_path, process)
    events: list[dict[str, Any]] = []
    pool = LocalExecutor(1, events.append)
    try:
        error = pool.submit(task).exception(timeout=60)
        assert isinstance(error, WorkerDied) and error.transient
        assert (error.exitcode, error.op_name) == (code, die)
        assert f"in op '{die}'" in str(error)
        oom = "worker killed by signal 9 — possibly out of memory"
        assert error.how == ("worker exited with code 9" if how == "exit" else oom)
        assert [e["type"] for e in events][-1] == "OP_START"  # the worker's events up to its death
        survivor = pool.submit(replace(task, rows=(0, 4))).result(timeout=60)  # a probe without row 4
        assert survivor.rows_read == 4 and survivor.result_file == ""
        assert [e["type"] for e in events][-1] == "OP_START", "a probe's events are its own"
        again = pool.submit(replace(task, rows=(0, 4))).result(timeout=60)
        assert again.pid != survivor.pid  # each probe in a fresh worker
        assert not list((tmp_path / "j" / "results").glob("*")), "a probe commits nothing"
    finally:
        pool.shutdown()


def test_a_probe_whose_worker_exits_after_its_result_is_not_taken_for_dead(tmp_path: Path) -> None:
    """A probe's worker sends its events and result, then exits. When the pool's
    thread reads them only after the exit, every message still counts: the
    probe succeeded (read one message per wake-up, it once looked like a
    worker killed in its last op, and an innocent sample was set aside)."""
    import time

    task = replace(one_partition(tmp_path, [{"whitespace_normalization_mapper": {}}] * 20), rows=(0, 10))
    pool = LocalExecutor(1)
    try:
        future = pool.submit(task)
        deadline = time.monotonic() + 60
        while pool.first_dispatch is None and time.monotonic() < deadline:
            time.sleep(0.01)
        with pool._lock:  # the pool's thread reads nothing until the worker is gone
            worker = pool._workers[0].process
            while worker.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not worker.is_alive()
        result = future.result(timeout=60)
        assert result.rows_read == 10 and result.rows_out == 10
    finally:
        pool.shutdown()
