"""Partitions as Ray tasks, on a local Ray or on a cluster.

Each partition is one Ray task running :func:`~datamill.engine.partition.run_task`,
the function the local pool runs. Ray's own retries are off: a task that
raises, a worker that dies, a node that is lost come back to the driver as the
same errors the local pool reports (the op's exception, a :class:`WorkerDied`
naming the op it died in), and the driver's retry, backoff and narrowing
decide what happens next. Probes run in a fresh Ray worker each
(``max_calls=1``), as on the local pool.

Tasks stream their events while they run: each task appends them, as they
come, to a file of its own in the job directory (:data:`EVENTS_DIR`), which
the pool's thread reads on from where it stopped, four times a second and
when the task ends, and hands them to the driver, which stays the only writer
of the event log. What a worker wrote before it died is in its file: the
driver knows which op it died in.

Nothing but descriptors goes through Ray: a task reads its partition from the
input and writes its result and ledger segments to the job directory, which
must therefore be on storage every node sees. On a cluster, that is checked
when the pool starts (:func:`check_shared_storage`), before any partition
runs; a Ray the job starts itself has one node, this machine.

``address`` None or ``"local"`` starts a Ray of ``workers`` CPUs for this job
(it shuts down with the job, and dies with the driver: Ray's processes share
its fate); ``"auto"`` or ``host:port`` joins a running cluster, which is left
running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datamill.engine.results import PartitionResult
from datamill.engine.spec import PartitionTask
from datamill.errors import (
    ConfigError,
    ExecutorError,
    PartitionError,
    PartitionStalled,
    WorkerDied,
    at_op,
)
from datamill.events.log import make_event
from datamill.events.types import EventType

log = logging.getLogger(__name__)

EXTRA_HINT = 'executor_type: ray needs Ray: pip install "datamill[ray]"'
NO_FAILURE_HANDLER = "RAY_DISABLE_FAILURE_SIGNAL_HANDLER"
_handler_disabled_here = False
EVENTS_DIR = "ray-events"
"""Under the job's staging folder: one file of JSON lines per running task,
its events so far (see :func:`_run_on_ray`); removed once read to its end."""
STORAGE_CHECK_TIMEOUT_S = 120.0
POLL_S = 0.25
"""How often the pool's thread reads the running tasks' events when no task
ends: the monitor needs no fresher news."""
SHUTDOWN_GRACE_S = 5.0
"""How long shutting down waits for running tasks before cancelling them."""
LOCAL_OBJECT_STORE_BYTES = 128 * 1024**2
"""The object store of a Ray this job starts. Nothing but descriptors and
results goes through it (a few kB each), and Ray's default (30% of memory)
costs about a second and a half at start-up to map."""


def import_ray() -> Any:
    """The ``ray`` module, or a ConfigError naming the extra to install.

    Ray's core library installs a crash handler for SIGTERM in the driver
    that prints a stack and aborts the process, over the driver's own handler
    (stop scheduling, let running partitions finish). It does not when
    ``RAY_DISABLE_FAILURE_SIGNAL_HANDLER`` is set as it is first imported: set
    here for the driver, and kept from the processes a local Ray starts
    (:func:`_signals_left_to_the_driver`), whose crash reports stay."""
    global _handler_disabled_here
    if "ray" not in sys.modules and NO_FAILURE_HANDLER not in os.environ:
        os.environ[NO_FAILURE_HANDLER] = "1"
        _handler_disabled_here = True
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"{EXTRA_HINT} (Ray is not installed in this Python environment, {sys.executable})."
        ) from None
    return ray


@dataclass(frozen=True)
class TaskResources:
    """What one partition task asks Ray for: the most any of its ops needs."""

    num_cpus: float = 1.0
    memory_bytes: int = 0

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {"num_cpus": self.num_cpus}
        if self.memory_bytes:
            out["memory"] = self.memory_bytes
        return out


_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def _gigabytes(value: Any, where: str) -> float:
    """``mem_required`` as Data-Juicer reads it: a number of GB, or a size such as '512MB', '2GiB'."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: mem_required must be a number of GB or a size such as '2GB'.")
    if isinstance(value, int | float):
        return float(value)
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)i?b?\s*", str(value), re.IGNORECASE)
    if not m:
        raise ConfigError(
            f"{where}: mem_required '{value}' is not a size; "
            "write a number of GB (2) or a size ('512MB', '2GB')."
        )
    return float(m.group(1)) * _UNITS[m.group(2).lower()] / 1024**3


def task_resources(process: list[dict[str, Any]]) -> TaskResources:
    """What a partition task asks Ray for: the most CPUs (``num_cpus``, or
    Data-Juicer's older ``cpu_required``) and memory (``mem_required``, GB)
    any op of the recipe names. Ops that name none ask for 1 CPU, no memory."""
    named: list[float] = []
    memory = 0.0
    for i, entry in enumerate(process):
        for name, params in entry.items():
            params = params or {}
            where = f"process[{i}] ({name})"
            for key in ("num_cpus", "cpu_required"):
                if params.get(key) is not None:
                    try:
                        value = float(params[key])
                    except (TypeError, ValueError):
                        raise ConfigError(f"{where}: {key} must be a number of CPUs.") from None
                    if value <= 0:
                        raise ConfigError(f"{where}: {key} must be more than 0.")
                    named.append(value)
            if params.get("mem_required") is not None:
                memory = max(memory, _gigabytes(params["mem_required"], where))
    return TaskResources(max(named, default=1.0), int(memory * 1024**3))


class EventFile:
    """The driver's side of one task's events file: read on from where it was
    left, to its last whole line (a line being written is read next time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read = 0
        """How far into the file the driver has read."""

    def new_events(self) -> list[dict[str, Any]]:
        """The events written since the last call; none if the file is not there
        yet (the task has not started) or cannot be read now (read again next time)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.read)
                data = fh.read()
        except OSError:
            return []
        whole = data.rfind(b"\n") + 1
        self.read += whole
        events = []
        for line in data[:whole].splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # (torn by a node's crash: nothing the driver can use)
        return events

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class _Running:
    task: PartitionTask | _Call
    future: Future[Any]
    events: EventFile | None = None  # (a partition's; a _Call sends none)
    op_name: str | None = None
    since: float = 0.0
    pid: int | None = None
    host: str | None = None
    stalled: PartitionStalled | None = None
    cancelled: bool = False

    def take(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Note where the task is from its new ``events``; those the driver is
        to log (a probe's are its own: it commits nothing)."""
        if events:
            self.since = time.monotonic()
        for event in events:
            if self.pid is None:
                self.pid, self.host = event.get("pid"), event.get("host")
            if event["type"] == "OP_START":
                self.op_name = event.get("op_name")
            elif event["type"] == "OP_COMPLETE":
                self.op_name = None
        return [] if self.task.probe else events

    def read_events(self) -> list[dict[str, Any]]:
        return self.take(self.events.new_events()) if self.events is not None else []


@dataclass(frozen=True)
class _Call:
    """A plain function to run as a Ray task (the global phase's work), not a partition."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    probe: bool = False


@contextlib.contextmanager
def _signals_left_to_the_driver(ray: Any) -> Iterator[None]:
    """Around ``ray.init`` of a Ray this job starts for itself: keep the
    driver's signals the driver's.

    - The crash handler :func:`import_ray` keeps out of the driver is left
      to the processes Ray starts.
    - Ray's processes (GCS, raylet and, through the raylet, its workers)
      each start in a session of their own, out of the driver's process
      group: a signal to the group (Ctrl-C in a terminal, ``kill -TERM
      -PGID``, ``timeout``, batch schedulers) is the driver's to handle, and
      running partitions cannot finish if Ray's processes died of it. They
      still die with the driver: Ray ties each to it with the kernel's
      parent-death signal, whatever its session. (Ray does the same on
      Windows. This wraps the class Ray starts its processes with, when it
      is where it is expected; else Ray starts as it would, in the group.)"""
    services = getattr(getattr(ray, "_private", None), "services", None)
    popen = getattr(services, "ConsolePopen", None)
    wrap = isinstance(popen, type) and issubclass(popen, subprocess.Popen)
    if wrap:

        class Detached(popen):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs.setdefault("start_new_session", True)
                env = kwargs.get("env")
                if env is not None and _handler_disabled_here:
                    kwargs["env"] = {k: v for k, v in env.items() if k != NO_FAILURE_HANDLER}
                super().__init__(*args, **kwargs)

        services.ConsolePopen = Detached  # type: ignore[union-attr]
    try:
        yield
    finally:
        if wrap:
            services.ConsolePopen = popen  # type: ignore[union-attr]


@contextlib.contextmanager
def _lean_local_ray(ray: Any) -> Iterator[None]:
    """Around ``ray.init`` of a Ray this job starts for itself: without the
    three Python services a one-job, one-node Ray has no use for.

    - The dashboard's head process, which Ray starts even with
      ``include_dashboard=False`` (to report usage statistics), and waits for
      before it starts the raylet: 0.6 s of the start here.
    - The autoscaler's monitor: one node has nothing to scale.
    - The log monitor: with ``log_to_driver=False`` nothing reads what it
      forwards.

    Together about 1.4 CPU seconds of a two-core machine's benchmark job, and
    a second at shutdown. Reached through Ray's node class and parameters,
    when they are where they are expected; else Ray starts them as it
    would (and :func:`_end_autoscaler_monitor` ends the monitor after)."""
    private = getattr(ray, "_private", None)
    node_cls: Any = getattr(getattr(private, "node", None), "Node", None)
    params_cls: Any = getattr(getattr(private, "parameter", None), "RayParams", None)
    api_server = getattr(node_cls, "start_api_server", None)
    params_init = getattr(params_cls, "__init__", None)
    if api_server is None or params_init is None:
        yield
        return

    def no_api_server(self: Any, **kwargs: Any) -> None:
        return None

    def lean_params(self: Any, *args: Any, **kwargs: Any) -> None:
        params_init(self, *args, **kwargs)
        self.no_monitor = True
        self.include_log_monitor = False

    node_cls.start_api_server = no_api_server
    params_cls.__init__ = lean_params
    try:
        yield
    finally:
        node_cls.start_api_server = api_server
        params_cls.__init__ = params_init


def _end_autoscaler_monitor(ray: Any) -> None:
    """Kill the autoscaler's monitor of a Ray this job started, once it is up:
    on one node it has nothing to scale or save, it polls the cluster for the
    whole job (half a CPU second on the benchmark's job), and it ignores the
    SIGTERM ``ray.shutdown`` sends it, which costs a second's wait before Ray
    kills it anyway. (Reached through Ray's node object, when it is where it
    is expected; else shutdown does it, a second later.)"""
    node = getattr(getattr(getattr(ray, "_private", None), "worker", None), "_global_node", None)
    for info in (getattr(node, "all_processes", None) or {}).get("monitor", []):
        with contextlib.suppress(Exception):
            info.process.kill()
            info.process.wait(timeout=1)


def _node_name() -> str:
    import ray

    ctx = ray.get_runtime_context()
    ip = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    return f"{ip}/{ctx.get_node_id()[:8]}"


_settled = False


def _settle_worker() -> None:
    """Once per Ray worker: import the engine and the built-in ops, then freeze
    what exists (Ray's own modules included), as the local pool's fork server
    does: no garbage collection walks those objects again."""
    global _settled
    if _settled:
        return
    import gc

    gc.disable()
    try:
        import datamill.engine.partition
        import datamill.ops.builtin  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()
    _settled = True


def _run_on_ray(task: PartitionTask, events_path: str) -> PartitionResult:
    """What a Ray worker runs: the partition function, its events appended to
    ``events_path`` (in the job directory every node sees) as they come, one
    JSON line each.

    A file rather than an actor: no process of its own, no call per event
    (an actor cost 1.5 CPU seconds on the benchmark's job), and what a worker
    wrote before it died is kept, so the driver knows which op it died in.
    The file is closed after each event: on NFS, what a client writes reaches
    the server (and the driver's node, which opens the file anew at each
    read) when it closes the file, not before."""
    _settle_worker()
    from datamill.engine.partition import run_task, set_event_sink

    node = _node_name()

    def sink(event: dict[str, Any]) -> None:
        event["node"] = node
        with open(events_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(event) + "\n")

    set_event_sink(sink)
    try:
        return run_task(task)
    finally:
        set_event_sink(None)


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """What a :class:`_Call` runs in a Ray worker."""
    return fn(*args)


def _storage_probe(directory: str, token: str, expect: str) -> str:
    """On one node: read the driver's file in ``directory`` (a directory of the
    job directory's own), write this node's; '' or what failed."""
    node = _node_name()
    probe = Path(directory)
    driver, mine = probe / "driver", probe / f"node-{token}"
    try:
        seen = driver.read_text()
    except OSError as exc:
        return f"node {node} cannot read the job directory {probe.parent} ({driver}: {exc.strerror or exc})"
    if seen != expect:
        return f"node {node} sees another directory at {probe.parent} (the file {driver} differs)"
    try:
        mine.write_text(node)
    except OSError as exc:
        return f"node {node} cannot write to the job directory {probe.parent} ({mine}: {exc.strerror or exc})"
    return ""


def check_shared_storage(ray: Any, job_dir: Path) -> int:
    """Every alive node writes and reads a file in ``job_dir``; returns how many
    nodes did. Raises ExecutorError naming the nodes that cannot."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    probe_dir = job_dir / f".storage-check-{secrets.token_hex(4)}"
    probe_dir.mkdir(parents=True, exist_ok=True)
    expect = secrets.token_hex(8)
    (probe_dir / "driver").write_text(expect)
    try:
        nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
        remote = ray.remote(num_cpus=0, max_retries=0)(_storage_probe)
        refs = {}
        for n in nodes:
            token = secrets.token_hex(4)
            strategy = NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ref = remote.options(scheduling_strategy=strategy).remote(str(probe_dir), token, expect)
            refs[ref] = (n, token)
        ready, late = ray.wait(list(refs), num_returns=len(refs), timeout=STORAGE_CHECK_TIMEOUT_S)
        problems = []
        for ref in ready:
            n, token = refs[ref]
            try:
                problem = ray.get(ref)
            except Exception as exc:  # the node went away, or the task could not run there
                problem = f"node {n['NodeManagerAddress']} could not run the check: {type(exc).__name__}"
            if not problem and not (probe_dir / f"node-{token}").exists():
                problem = (
                    f"node {n['NodeManagerAddress']} wrote into {probe_dir} but the driver does not "
                    "see the file: it writes to a directory of its own"
                )
            if problem:
                problems.append(problem)
        for ref in late:
            problems.append(f"node {refs[ref][0]['NodeManagerAddress']} did not answer the check in time")
        if problems:
            raise ExecutorError(
                f"the job directory {job_dir} is not on storage every Ray node sees: "
                + "; ".join(problems)
                + ". Put work_dir (and checkpoint_dir, event_log_dir, the input and the export "
                "path) on a filesystem every node mounts at the same path (NFS, a cluster "
                "filesystem), or run on one machine with ray_address unset. Nothing was processed."
            )
        return len(nodes)
    finally:
        for p in probe_dir.iterdir():
            with contextlib.suppress(OSError):
                p.unlink()
        with contextlib.suppress(OSError):
            probe_dir.rmdir()


def _error_of(ray: Any, exc: BaseException, run: _Running) -> BaseException:
    """The error the driver sees for a task that failed on Ray."""
    assert not isinstance(run.task, _Call)
    spec = run.task.spec
    if run.stalled is not None:
        return run.stalled
    if isinstance(exc, ray.exceptions.RayTaskError):
        cause = exc.cause
        if isinstance(cause, BaseException):
            with contextlib.suppress(AttributeError, TypeError):
                cause.remote_traceback = exc.traceback_str  # type: ignore[attr-defined]
            return cause
        return PartitionError(f"partition {spec.id} failed on Ray: {exc}")
    where = f" in op '{run.op_name}'" if run.op_name else ""
    if isinstance(exc, ray.exceptions.OutOfMemoryError):
        how = "Ray worker killed by Ray's memory monitor: out of memory"
    elif isinstance(exc, ray.exceptions.NodeDiedError | ray.exceptions.LocalRayletDiedError):
        how = "the Ray node running it was lost"
    elif isinstance(exc, ray.exceptions.WorkerCrashedError):
        how = "Ray worker died"
    elif isinstance(exc, ray.exceptions.TaskCancelledError):
        how = "Ray task cancelled"
    else:
        how = f"Ray lost the task ({type(exc).__name__})"
    pid = f" {run.pid}" if run.pid else ""
    return WorkerDied(
        f"worker process{pid} died ({how}) while running partition {spec.id}{where}",
        None,
        run.op_name,
        how=how,
    )


class RayExecutor:
    """Partition tasks on Ray, at most ``2 × slots`` at once (the driver's bound).

    Ray is started (or joined) by the pool's thread, so the driver goes on
    reading the job's state meanwhile; tasks submitted before Ray is up wait in
    the queue. ``stall_timeout_s`` (0: never) is how long a task may send
    nothing before it is cancelled (its worker killed) and fails with a
    transient :class:`PartitionStalled`."""

    def __init__(
        self,
        workers: int,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        stall_timeout_s: float = 0.0,
        *,
        address: str | None = None,
        job_dir: Path,
        resources: TaskResources | None = None,
    ) -> None:
        self._ray = import_ray()
        self.slots = workers
        self.on_event = on_event
        self.stall_timeout_s = stall_timeout_s
        self.address = None if address in (None, "", "local") else address
        self.job_dir = job_dir
        self.resources = resources or TaskResources()
        self.first_dispatch: float | None = None
        self.ray_start_seconds: float | None = None
        """How long starting (or joining) Ray took."""
        self.nodes = 0
        self._queue: deque[tuple[PartitionTask | _Call, Future[Any]]] = deque()
        self._running: dict[Any, _Running] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._kill = False
        self._broken: ExecutorError | None = None
        self._wake = threading.Event()
        self._events_dir = job_dir / "staging" / EVENTS_DIR
        """Where running tasks write their events (see :func:`_run_on_ray`)."""
        self._events_dir_made = False
        self._thread = threading.Thread(target=self._run, name="datamill-ray", daemon=True)
        self._thread.start()

    # -- the driver's side

    def submit(self, task: PartitionTask) -> Future[PartitionResult]:
        return self._enqueue(task)

    def call(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` as a Ray task (one CPU, no retries): work that is no
        partition, such as grouping one band of the committed MinHash hashes.
        It shares the slots with partition tasks; its result comes back through
        Ray's object store, so it should be small."""
        return self._enqueue(_Call(fn, args))

    def _enqueue(self, work: PartitionTask | _Call) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("executor is shut down")
            if self._broken is not None:
                raise self._broken
            self._queue.append((work, future))
        self._wake.set()
        return future

    def worker_pids(self) -> list[int]:
        """Worker processes of running tasks on this machine (for the resource samples)."""
        here = socket.gethostname()
        with self._lock:
            return [r.pid for r in self._running.values() if r.pid is not None and r.host == here]

    def shutdown(self) -> None:
        """Cancel queued tasks, let running ones finish (their events all
        delivered), stop Ray if this job started it.

        Ray is stopped before this returns, not beside what the driver does
        next: a Ray object the driver's thread frees while Ray's core worker is
        shutting down makes Ray end the whole process."""
        with self._lock:
            pending = list(self._queue)
            self._queue.clear()
            self._closed = True
        for _, future in pending:
            future.cancel()
        self._wake.set()
        self._thread.join()

    def kill(self) -> None:
        """Stop at once: cancel every running task (its worker is killed)."""
        with self._lock:
            self._kill = True
        self.shutdown()

    # -- the pool's thread

    def _run(self) -> None:
        ray = self._ray
        try:
            try:
                self._start_ray()
            except ExecutorError:
                raise
            except Exception as exc:
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
                raise ExecutorError(
                    f"could not start {where}: {type(exc).__name__}: {exc}. "
                    + (
                        "Is `ray start --head` running there, and is ray_address right?"
                        if self.address
                        else "Try `ray start --head` and ray_address: auto, or executor_type: local."
                    )
                ) from exc
            self._loop()
        except BaseException as exc:
            if not isinstance(exc, ExecutorError):
                exc = ExecutorError(f"the Ray executor's thread failed: {type(exc).__name__}: {exc}")
            self._break(exc)
        finally:
            self._stop_ray(ray)
            shutil.rmtree(self._events_dir, ignore_errors=True)

    def _start_ray(self) -> None:
        started = time.perf_counter()
        quiet = logging.getLogger("ray")  # (its notes about signal handlers and tokens, at start)
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            self._init_ray()
        finally:
            quiet.setLevel(level)
        self._prepare()

        self.ray_start_seconds = time.perf_counter() - started

    def _init_ray(self) -> None:
        ray = self._ray
        if ray.is_initialized():
            self._owns_ray = False
        elif self.address is None:
            with _signals_left_to_the_driver(ray), _lean_local_ray(ray):
                ray.init(
                    num_cpus=self.slots,
                    object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                    include_dashboard=False,
                    log_to_driver=False,  # (a task's errors come back as its result)
                    configure_logging=False,
                    # Ray runs its workers at nice 15, below its own services and every
                    # other process of the machine; the Ray this job starts for itself
                    # runs the job's work at the job's priority, as the local pool does.
                    _system_config={"worker_niceness": 0},
                )
            self._owns_ray = True
            _end_autoscaler_monitor(ray)
        else:
            ray.init(address=self.address, log_to_driver=False, configure_logging=False)
            self._owns_ray = False

    def _prepare(self) -> None:
        ray = self._ray
        cpus = float(ray.cluster_resources().get("CPU", 0))  # as many tasks at once as there are CPUs for
        if cpus:
            self.slots = max(1, int(cpus // max(self.resources.num_cpus, 0.001)))
        self._check_fits(ray)
        opts = {"max_retries": 0, "retry_exceptions": False, **self.resources.options()}
        self._remote = ray.remote(**opts)(_run_on_ray)
        self._probe_remote = ray.remote(max_calls=1, **opts)(_run_on_ray)  # a fresh worker, gone after
        self._call_remote = ray.remote(num_cpus=1, max_retries=0, retry_exceptions=False)(_call)
        if self._owns_ray:  # (its only node is this machine: nothing to check)
            self.nodes = 1
        else:
            self.nodes = check_shared_storage(ray, self.job_dir)

    def _check_fits(self, ray: Any) -> None:
        """A task that no node has the CPUs or memory for waits in Ray forever,
        without a word: on the Ray this job started, that is an error now; on a
        cluster, a warning (an autoscaler may add a node that fits)."""
        need = self.resources
        nodes: list[dict[str, float]] = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
        if any(r.get("CPU", 0) >= need.num_cpus and r.get("memory", 0) >= need.memory_bytes for r in nodes):
            return
        largest = max(nodes, key=lambda r: (r.get("CPU", 0), r.get("memory", 0)), default={})
        has = f"{largest.get('CPU', 0):g} CPU(s) and {largest.get('memory', 0) / 1024**3:.1f} GB of memory"
        memory = f" and {need.memory_bytes / 1024**3:g} GB of memory" if need.memory_bytes else ""
        asks = (
            f"each partition task asks Ray for {need.num_cpus:g} CPU(s){memory} (the most an op of the "
            "recipe asks for, with num_cpus or mem_required)"
        )
        if self.address is None:
            raise ExecutorError(
                f"{asks}, but the local Ray started for this job has {has} for tasks. Raise np (it "
                "gets np CPUs) or lower what the op asks for. Nothing was processed."
            )
        log.warning(
            "%s, but no node of the Ray cluster at %s has that much (the largest: %s): its tasks "
            "wait until a node that fits joins the cluster.",
            asks,
            self.address,
            has,
        )

    def _stop_ray(self, ray: Any) -> None:
        if getattr(self, "_owns_ray", False):
            _end_autoscaler_monitor(ray)
            with contextlib.suppress(Exception):
                ray.shutdown()

    def _break(self, error: ExecutorError) -> None:
        with self._lock:
            self._broken = error
            jobs = [(t, f) for t, f in self._queue] + [(r.task, r.future) for r in self._running.values()]
            self._queue.clear()
            refs = list(self._running)
            self._running.clear()
        for ref in refs:
            with contextlib.suppress(Exception):
                self._ray.cancel(ref, force=True)
        for _, future in jobs:
            if not future.done() and (future.running() or future.set_running_or_notify_cancel()):
                future.set_exception(error)

    def _loop(self) -> None:
        ray = self._ray
        closed_at: float | None = None
        while True:
            with self._lock:
                closed, kill = self._closed, self._kill
            if closed and closed_at is None:
                closed_at = time.monotonic()
            if kill or (closed_at is not None and time.monotonic() - closed_at > SHUTDOWN_GRACE_S):
                self._cancel_all()  # (what they committed stays committed)
            if closed and not self._running:
                return
            self._dispatch()
            refs = list(self._running)
            if refs:
                ready, _ = ray.wait(refs, num_returns=1, timeout=POLL_S)
                if ready:  # and all the others that are done
                    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
            else:
                ready = []
                self._wake.wait(POLL_S)
                self._wake.clear()
            self._deliver_events()
            for ref in ready:
                self._finish(ref)
            self._check_stalls()

    def _dispatch(self) -> None:
        # No more tasks in Ray than it has CPUs for. A task waiting in Ray's queue
        # would start in a new worker process whenever a running task blocks (Ray
        # lends a blocked task's CPU out), and the extra workers are
        # killed again once idle: each new one pays for importing the engine.
        while True:
            with self._lock:
                if self._closed or not self._queue or len(self._running) >= self.slots:
                    return
                task, future = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            run = _Running(task, future, since=time.monotonic())
            try:
                if isinstance(task, _Call):
                    ref = self._call_remote.remote(task.fn, *task.args)
                else:
                    remote = self._probe_remote if task.probe else self._remote
                    run.events = EventFile(self._events_file())
                    ref = remote.remote(task, str(run.events.path))
            except Exception as exc:  # the task does not pickle
                what = "a task" if isinstance(task, _Call) else f"partition {task.spec.id}"
                future.set_exception(PartitionError(f"{what} could not be sent: {exc}"))
                continue
            with self._lock:
                self._running[ref] = run
            if self.first_dispatch is None:
                self.first_dispatch = time.time()

    def _events_file(self) -> Path:
        """A new file for a task's events (see :func:`_run_on_ray`). Its folder is
        made at the first task: a Ray started early must not make the job
        directory before the driver does; what a killed run left there is of no use."""
        if not self._events_dir_made:
            shutil.rmtree(self._events_dir, ignore_errors=True)
            self._events_dir.mkdir(parents=True)
            self._events_dir_made = True
        return self._events_dir / f"{secrets.token_hex(6)}.jsonl"

    def _deliver_events(self) -> None:
        """Hand the running tasks' new events to the driver, in the order of their times."""
        with self._lock:
            runs = list(self._running.values())
        self._pass_on([event for run in runs for event in run.read_events()])

    def _pass_on(self, events: list[dict[str, Any]]) -> None:
        if self.on_event is not None:
            for event in sorted(events, key=lambda e: e.get("epoch", 0.0)):
                self.on_event(event)

    def _finish(self, ref: Any) -> None:
        with self._lock:
            run = self._running.pop(ref, None)
        if run is None:
            return
        self._pass_on(run.read_events())  # all of them: the task has ended (or died)
        try:
            result = self._ray.get(ref)
        except Exception as exc:
            if isinstance(run.task, _Call):
                cause = getattr(exc, "cause", None)
                run.future.set_exception(cause if isinstance(cause, BaseException) else exc)
                return
            run.future.set_exception(_error_of(self._ray, exc, run))
        else:
            if run.stalled is not None:
                run.future.set_exception(run.stalled)
            else:
                run.future.set_result(result)
        finally:
            if run.events is not None:
                run.events.remove()

    def _check_stalls(self) -> None:
        if not self.stall_timeout_s:
            return
        now = time.monotonic()
        for ref, run in list(self._running.items()):
            if isinstance(run.task, _Call):
                continue  # (it sends no events to measure progress by)
            # The clock starts with the task's first event: until then it may wait
            # in Ray's queue, or for a worker process to start.
            started = run.pid is not None
            if started and run.stalled is None and now - run.since >= self.stall_timeout_s:
                where = f" in op '{run.op_name}'" if run.op_name else ""
                run.stalled = PartitionStalled(
                    f"partition {run.task.spec.id} made no progress for {self.stall_timeout_s:g}s{where} "
                    "(fault_tolerance.stall_timeout_s); its Ray task was cancelled"
                )
                if run.op_name is not None:
                    at_op(run.stalled, run.op_name)
                if self.on_event is not None:
                    self.on_event(
                        make_event(
                            run.task.pipeline.job_id,
                            EventType.WARNING,
                            partition_id=run.task.spec.id,
                            attempt=run.task.attempt,
                            op_name=run.op_name,
                            error_type="PartitionStalled",
                            message=str(run.stalled),
                        )
                    )
                with contextlib.suppress(Exception):
                    self._ray.cancel(ref, force=True)

    def _cancel_all(self) -> None:
        with self._lock:
            self._kill = False
            runs = [(ref, run) for ref, run in self._running.items() if not run.cancelled]
        for ref, run in runs:
            run.cancelled = True
            with contextlib.suppress(Exception):
                self._ray.cancel(ref, force=True)
