"""The executor interface: submit a task, get a future of its result."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from datamill.engine.results import PartitionResult
from datamill.engine.spec import EventSink, PartitionTask


class Executor(Protocol):
    """Runs partition tasks somewhere and reports each through a future."""

    slots: int
    """How many tasks it runs at once; the driver keeps about twice that queued."""
    first_dispatch: float | None
    """When (epoch seconds) the first task reached a worker; None until then."""

    def submit(self, task: PartitionTask) -> Future[PartitionResult]: ...

    def shutdown(self) -> None:
        """Cancel queued tasks, let running ones finish; their events are all
        delivered, and every process the executor started is gone, when it
        returns."""
        ...

    def kill(self) -> None:
        """Stop at once, abandoning running tasks."""
        ...

    def worker_pids(self) -> list[int]: ...


def require_executor(kind: str) -> None:
    """Refuse, before a job directory is made, an executor whose library is
    missing (found without importing it: importing Ray takes half a second)."""
    if kind == "ray":
        import importlib.util
        import sys

        from datamill.errors import ConfigError

        if importlib.util.find_spec("ray") is None:
            raise ConfigError(
                'executor_type: ray needs Ray: pip install "datamill[ray]" (Ray is not installed '
                f"in this Python environment, {sys.executable}). Nothing was done."
            )


def make_executor(
    kind: str,
    workers: int,
    on_event: EventSink | None = None,
    stall_timeout_s: float = 0.0,
    *,
    ray_address: str | None = None,
    job_dir: Path | None = None,
    process: list[dict[str, Any]] | None = None,
) -> Executor:
    """An executor of ``kind`` with ``workers`` processes (1: in the driver).

    ``ray``: on the cluster at ``ray_address`` (None: a local Ray of
    ``workers`` CPUs), after checking every node sees ``job_dir``; each task
    asks for the CPUs and memory the recipe's ops (``process``) need.

    ``on_event`` receives the events partitions emit while they run; it may be
    called from another thread. A partition that sends no event for
    ``stall_timeout_s`` (0: never) has its worker killed (not in the driver's
    own process: nothing there can be killed apart from the driver).
    """
    if kind == "local" and workers == 1:
        from datamill.executors.inline import InlineExecutor

        return InlineExecutor(on_event)
    if kind == "local":
        from datamill.executors.local import LocalExecutor

        return LocalExecutor(workers, on_event, stall_timeout_s)
    if kind == "ray":
        from datamill.executors.ray import RayExecutor, task_resources

        if job_dir is None:
            raise TypeError("a Ray executor needs the job directory: its tasks write their events there")
        return RayExecutor(
            workers,
            on_event,
            stall_timeout_s,
            address=ray_address,
            job_dir=job_dir,
            resources=task_resources(process or []),
        )
    from datamill.errors import ConfigError

    raise ConfigError(f"executor_type '{kind}' is not available; use 'local' or 'ray'.")
