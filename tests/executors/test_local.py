"""The local process pool: workers start in the pool's thread."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, cast

import pytest

from datamill.engine.spec import PartitionTask
from datamill.errors import PartitionError
from datamill.executors.local import LocalExecutor

NEVER_RUN = cast(PartitionTask, object())  # the pool fails before any task reaches a worker


def test_workers_that_cannot_start_fail_every_task_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork_server(self: Any) -> Any:
        raise OSError("fork server unavailable")

    monkeypatch.setattr(LocalExecutor, "_spawn", no_fork_server)
    pool = LocalExecutor(2)
    try:
        try:  # queued before the pool's thread gave up, or refused after
            error = pool.submit(NEVER_RUN).exception(timeout=10)
        except PartitionError as exc:
            error = exc
        assert isinstance(error, PartitionError)
        assert "could not be started: fork server unavailable" in str(error)
        pool._thread.join(timeout=10)
        with pytest.raises(PartitionError, match="could not be started"):
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
