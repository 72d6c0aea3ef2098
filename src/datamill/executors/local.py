"""A pool of worker processes on this machine.

Each worker is a process of its own with a pipe to the driver, so the driver
always knows which partition a worker is running, and, from the events the
worker streams, which op. A worker that dies (killed, out of memory, an op
calling ``os._exit``) fails only that partition with a transient
:class:`WorkerDied` that says how it died and in which op; a new worker takes
its place and the other workers go on. A probe runs in a fresh worker, which
exits after it; its events are not passed on (it commits nothing). Workers
ignore SIGINT, so Ctrl-C reaches only the driver, which decides how to stop.
They are started with ``forkserver``: they inherit none of the driver's
threads or open files, and build the pipeline's ops once. They die with the
driver, however it dies (:mod:`datamill.lifeline`).

Nothing hangs: a partition that sends nothing (no event, no result) for
``stall_timeout_s`` has its worker killed and fails with a transient
:class:`PartitionStalled`; a worker that cannot be started, or a failure of
the pool's own thread, fails every task, queued or to come, with an
:class:`ExecutorError`, which stops the job.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from datamill.engine.results import PartitionResult
from datamill.engine.spec import PartitionTask
from datamill.errors import (
    ExecutorError,
    PartitionError,
    PartitionStalled,
    WorkerDied,
    at_op,
    classify,
    how_it_died,
    op_of,
)
from datamill.events.log import make_event
from datamill.events.types import EventType
from datamill.prestart import start_forkserver

SPAWN_ATTEMPTS = 3
"""Tries at starting a worker (a second apart) before the pool gives up."""


def _worker_main(conn: Connection) -> None:
    # Imported here, not by the driver: the fork server has loaded the
    # engine already (FORKSERVER_PRELOAD), so this costs a worker nothing.
    from datamill.engine.memory import release_memory
    from datamill.engine.partition import run_task, set_event_sink
    from datamill.lifeline import die_with_parent, watch_parent

    die_with_parent()  # (the fork server, which dies with the driver)
    driver = multiprocessing.parent_process()
    if driver is not None:
        watch_parent(driver.sentinel)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_event_sink(lambda event: conn.send(("event", event)))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            conn.send(("ok", run_task(task)))
        except BaseException as exc:  # everything goes back to the driver
            conn.send(("error", _picklable(exc), traceback.format_exc()))
        if task.probe:
            return  # the next probe gets a fresh worker: nothing left over from this one
        release_memory()


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        error = PartitionError(f"{type(exc).__name__}: {exc}")
        error.transient = classify(exc)
        op_name = op_of(exc)
        if op_name is not None:
            at_op(error, op_name)
        return error


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    job: tuple[PartitionTask, Future[PartitionResult]] | None = None
    op_name: str | None = None
    """The op its task is running (from the task's OP_START and OP_COMPLETE events)."""
    retire: bool = False
    """It ran a probe and exits: replace it, give it nothing more."""
    since: float = 0.0
    """When (monotonic) its task last made progress: was handed out, or sent a message."""


class LocalExecutor:
    """``workers`` processes running partitions in parallel.

    Workers are started by the pool's thread, so the driver goes on (reading
    the job's state, say) while the fork server finishes loading the engine;
    tasks submitted meanwhile wait in the queue. ``first_dispatch`` is when
    the first task was handed to a worker.

    ``stall_timeout_s`` (0: never) is how long a running task may send
    nothing before its worker is killed. Every message counts as progress:
    the partition's start, each op's start and end, checkpoints, samples set
    aside, its result."""

    def __init__(
        self,
        workers: int,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        stall_timeout_s: float = 0.0,
    ) -> None:
        self.slots = workers
        self.on_event = on_event
        self.stall_timeout_s = stall_timeout_s
        self.first_dispatch: float | None = None
        # Started from this thread, not the pool's: the fork server lives as
        # long as the thread that started it (datamill.lifeline).
        start_forkserver()
        self._ctx = multiprocessing.get_context("forkserver")
        self._queue: deque[tuple[PartitionTask, Future[PartitionResult]]] = deque()
        self._lock = threading.Lock()
        self._closed = False
        self._broken: ExecutorError | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._workers: list[_Worker] = []
        self._thread = threading.Thread(target=self._run, name="datamill-pool", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for _ in range(self.slots):
                worker = self._spawn()
                with self._lock:
                    self._workers.append(worker)
            self._loop()
        except BaseException as exc:
            if not isinstance(exc, ExecutorError):
                exc = ExecutorError(f"the worker pool's thread failed: {type(exc).__name__}: {exc}")
            self._break(exc)

    def _break(self, error: ExecutorError) -> None:
        """The pool can run nothing more: fail every task, running, queued or to come."""
        with self._lock:
            self._broken = error
            jobs = list(self._queue)
            self._queue.clear()
            for w in self._workers:
                if w.job is not None:
                    jobs.append(w.job)
                    w.job = None
                if w.process.is_alive():
                    w.process.kill()  # nobody reads its pipe any more
        for _, future in jobs:
            if not future.done() and (future.running() or future.set_running_or_notify_cancel()):
                future.set_exception(error)

    def _spawn(self) -> _Worker:
        for attempt in range(1, SPAWN_ATTEMPTS + 1):
            try:
                return self._start_worker()
            except Exception as exc:
                if attempt == SPAWN_ATTEMPTS:
                    raise ExecutorError(
                        f"could not start a worker process ({SPAWN_ATTEMPTS} tries): "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                time.sleep(1.0)
        raise AssertionError("unreachable")

    def _start_worker(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child,), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, task: PartitionTask) -> Future[PartitionResult]:
        future: Future[PartitionResult] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("executor is shut down")
            if self._broken is not None:
                raise self._broken
            self._queue.append((task, future))
        os.write(self._wake_w, b"x")
        return future

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                self._dispatch()
                waitables: list[Any] = [self._wake_r]
                for w in self._workers:
                    waitables += [w.conn, w.process.sentinel]
            ready = wait(waitables, timeout=1.0)
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            with self._lock:
                if self._closed:
                    return
                for i, w in enumerate(self._workers):
                    # Everything sent before dying is read first: a probe's worker
                    # exits after its result, often with events still unread.
                    dead = w.process.sentinel in ready
                    if (w.conn in ready or dead) and not self._receive_all(w):
                        dead = True
                    if dead or w.retire or self._stalled(w):
                        self._workers[i] = self._replace(w)

    def _dispatch(self) -> None:
        for w in self._workers:
            while w.job is None and self._queue:
                task, future = self._queue.popleft()
                if not future.set_running_or_notify_cancel():
                    continue
                w.job, w.op_name, w.since = (task, future), None, time.monotonic()
                try:
                    w.conn.send(task)
                except OSError:
                    break  # its pipe is closed: it died, and the loop fails its task (WorkerDied)
                except Exception as exc:  # the task does not pickle
                    w.job = None
                    future.set_exception(PartitionError(f"partition {task.spec.id} could not be sent: {exc}"))
                    continue
                if self.first_dispatch is None:
                    self.first_dispatch = time.time()

    def _receive_all(self, w: _Worker) -> bool:
        """Deliver every message waiting in the worker's pipe; False if it is closed."""
        try:
            while w.conn.poll():
                if not self._receive(w):
                    return False
        except (EOFError, OSError):
            return False
        return True

    def _receive(self, w: _Worker) -> bool:
        """Deliver the worker's message; False if its pipe is closed (it died)."""
        try:
            message = w.conn.recv()
        except (EOFError, OSError):
            return False
        w.since = time.monotonic()
        if message[0] == "event":
            self._event(w, message[1])
            return True
        job, w.job = w.job, None
        if job is not None:
            w.retire = job[0].probe
            if message[0] == "ok":
                job[1].set_result(message[1])
            else:
                with contextlib.suppress(AttributeError, TypeError):
                    message[1].remote_traceback = message[2]
                job[1].set_exception(message[1])
        return True

    def _event(self, w: _Worker, event: dict[str, Any]) -> None:
        """Note which op the worker is in; pass the event on, unless a probe sent it."""
        if event["type"] == "OP_START":
            w.op_name = event.get("op_name")
        elif event["type"] == "OP_COMPLETE":
            w.op_name = None
        if self.on_event is not None and not (w.job is not None and w.job[0].probe):
            self.on_event(event)

    def _stalled(self, w: _Worker) -> bool:
        """Kill the worker if its task sent nothing for ``stall_timeout_s``; fail the task."""
        if w.job is None or not self.stall_timeout_s:
            return False
        if time.monotonic() - w.since < self.stall_timeout_s:
            return False
        (task, future), w.job = w.job, None
        w.process.kill()
        where = f" in op '{w.op_name}'" if w.op_name else ""
        error = PartitionStalled(
            f"partition {task.spec.id} made no progress for {self.stall_timeout_s:g}s{where} "
            f"(fault_tolerance.stall_timeout_s); its worker process {w.process.pid} was killed"
        )
        if w.op_name is not None:
            at_op(error, w.op_name)
        if self.on_event is not None:
            self.on_event(
                make_event(
                    task.pipeline.job_id,
                    EventType.WARNING,
                    partition_id=task.spec.id,
                    attempt=task.attempt,
                    op_name=w.op_name,
                    error_type=type(error).__name__,
                    message=str(error),
                )
            )
        future.set_exception(error)
        return True

    def _replace(self, w: _Worker) -> _Worker:
        w.process.join(timeout=1)
        if w.process.is_alive():  # (a retired worker that does not exit)
            w.process.kill()
            w.process.join()
        code = w.process.exitcode
        if w.job is not None:
            task, future = w.job
            where = f" in op '{w.op_name}'" if w.op_name else ""
            future.set_exception(
                WorkerDied(
                    f"worker process {w.process.pid} died ({how_it_died(code)}) while running "
                    f"partition {task.spec.id}{where}",
                    code,
                    w.op_name,
                )
            )
        w.conn.close()
        return self._spawn()

    def shutdown(self) -> None:
        """Stop the workers, cancelling queued tasks; a worker still busy after a
        few seconds is killed (what it committed stays committed)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._queue)
            self._queue.clear()
        os.write(self._wake_w, b"x")
        self._thread.join()
        for _, future in pending:
            future.cancel()
        for w in self._workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
        for w in self._workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def kill(self) -> None:
        """Stop at once: SIGKILL every worker. Nothing committed is lost."""
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            if w.process.is_alive():
                w.process.kill()
        self.shutdown()
