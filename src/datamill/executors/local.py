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
threads or open files, and build the pipeline's ops once.
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
from datamill.errors import PartitionError, WorkerDied, at_op, classify, how_it_died, op_of
from datamill.prestart import FORKSERVER_PRELOAD


def _worker_main(conn: Connection) -> None:
    # Imported here, not by the driver: the fork server has loaded the
    # engine already (FORKSERVER_PRELOAD), so this costs a worker nothing.
    from datamill.engine.partition import run_task, set_event_sink

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


class LocalExecutor:
    """``workers`` processes running partitions in parallel.

    Workers are started by the pool's thread, so the driver goes on (reading
    the job's state, say) while the fork server finishes loading the engine;
    tasks submitted meanwhile wait in the queue. ``first_dispatch`` is when
    the first task was handed to a worker."""

    def __init__(self, workers: int, on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.slots = workers
        self.on_event = on_event
        self.first_dispatch: float | None = None
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        self._queue: deque[tuple[PartitionTask, Future[PartitionResult]]] = deque()
        self._lock = threading.Lock()
        self._closed = False
        self._broken: PartitionError | None = None
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
        except BaseException as exc:  # no workers: every task, queued or to come, fails with this
            error = PartitionError(f"the worker processes could not be started: {exc}")
            with self._lock:
                self._broken = error
                queued = list(self._queue)
                self._queue.clear()
            for _, future in queued:
                if future.set_running_or_notify_cancel():
                    future.set_exception(error)
            return
        self._loop()

    def _spawn(self) -> _Worker:
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
                    # A result sent just before dying is still read first.
                    dead = w.process.sentinel in ready
                    if w.conn in ready and not self._receive(w):
                        dead = True
                    if dead or w.retire:
                        self._workers[i] = self._replace(w)

    def _dispatch(self) -> None:
        for w in self._workers:
            while w.job is None and self._queue:
                task, future = self._queue.popleft()
                if not future.set_running_or_notify_cancel():
                    continue
                w.job, w.op_name = (task, future), None
                w.conn.send(task)
                if self.first_dispatch is None:
                    self.first_dispatch = time.time()

    def _receive(self, w: _Worker) -> bool:
        """Deliver the worker's message; False if its pipe is closed (it died)."""
        try:
            message = w.conn.recv()
        except (EOFError, OSError):
            return False
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
