"""The dashboard's routes (documented in the README, "Watching jobs in a browser").

Pages: ``/`` (jobs) and ``/jobs/{job_id}``. Data: ``/api/jobs``,
``/api/jobs/{job_id}`` (``datamill monitor --json``'s report),
``/api/jobs/{job_id}/state`` (everything the job page draws),
``/api/jobs/{job_id}/events``, the live streams ``/api/jobs/stream`` and
``/api/jobs/{job_id}/stream`` (server-sent events), ``/metrics`` (OpenMetrics),
and ``POST /api/jobs/{job_id}/stop`` when control is allowed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from datamill.control.stopper import JobStopper, StopRefused
from datamill.dashboard.guard import TOKEN_HEADER, is_loopback, same_origin, token_ok
from datamill.dashboard.jobindex import JobIndex
from datamill.dashboard.metrics import JobCollector
from datamill.dashboard.watch import JobWatch, Watches
from datamill.errors import DatamillError

STATIC = resources.files("datamill.dashboard") / "static"


@dataclass
class Settings:
    base_dir: Path
    token: str
    allow_control: bool = False
    host: str = "127.0.0.1"
    interval: float = 1.0
    """Seconds between live updates."""
    stop_timeout: float = 30.0
    """Seconds a graceful stop waits before it kills (as ``datamill stop --timeout``)."""
    freeze_gc: bool = False
    """Keep what each watch read out of the garbage collector's walks (see :class:`Watches`);
    the server turns it on, an app embedded in another process may not want it."""


class Dashboard:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index = JobIndex(settings.base_dir)
        self.watches = Watches(min_interval=min(0.5, settings.interval), freeze_gc=settings.freeze_gc)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(JobCollector(self.index, self.watches))

    def routes(self) -> list[Route | Mount]:
        return [
            Route("/", self.page("index.html")),
            Route("/jobs/{job_id}", self.job_page),
            Route("/api/config", self.config),
            Route("/api/jobs", self.jobs),
            Route("/api/jobs/stream", self.jobs_stream),
            Route("/api/jobs/{job_id}", self.job),
            Route("/api/jobs/{job_id}/state", self.job_state),
            Route("/api/jobs/{job_id}/events", self.job_events),
            Route("/api/jobs/{job_id}/partitions/{index:int}", self.partition),
            Route("/api/jobs/{job_id}/stream", self.job_stream),
            Route("/api/jobs/{job_id}/stop", self.stop, methods=["POST"]),
            Route("/metrics", self.metrics),
            Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
        ]

    def page(self, name: str) -> Any:
        async def serve(request: Request) -> Response:
            return HTMLResponse((STATIC / name).read_text(encoding="utf-8"))

        return serve

    async def job_page(self, request: Request) -> Response:
        if self.index.job_dir(request.path_params["job_id"]) is None:
            return HTMLResponse("<h1>No such job</h1><p><a href='/'>All jobs</a></p>", status_code=404)
        return HTMLResponse((STATIC / "job.html").read_text(encoding="utf-8"))

    async def config(self, request: Request) -> Response:
        return JSONResponse({"allow_control": self.settings.allow_control, "token_header": TOKEN_HEADER})

    async def jobs(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self.index.rows))

    async def job(self, request: Request) -> Response:
        watch = await self._watch(request)
        detailed = request.query_params.get("detailed") in ("1", "true")

        def report() -> dict[str, Any]:
            watch.poll(force=True)
            with watch.lock:
                data: dict[str, Any] = watch.monitor.report(detailed).model_dump(mode="json")
                return data

        return JSONResponse(await run_in_threadpool(report))

    async def job_state(self, request: Request) -> Response:
        watch = await self._watch(request)
        await run_in_threadpool(watch.poll)
        return JSONResponse(await run_in_threadpool(watch.state))

    async def job_events(self, request: Request) -> Response:
        """The latest events kept for the stream, filtered by ``type``, ``partition`` and ``op``."""
        watch = await self._watch(request)
        await run_in_threadpool(watch.poll)
        q = request.query_params
        wanted = {k: q[k] for k in ("type", "partition", "op") if q.get(k)}
        limit = int(q["limit"]) if q.get("limit", "").isdigit() else 200
        fields = {"type": "type", "partition": "partition_id", "op": "op_name"}

        def matching() -> list[dict[str, Any]]:
            with watch.lock:
                events = list(watch.timeline.events)
            return [e for e in events if all(str(e.get(fields[k], "")) == v for k, v in wanted.items())]

        return JSONResponse((await run_in_threadpool(matching))[-limit:])

    async def partition(self, request: Request) -> Response:
        """One partition as ``monitor --detailed`` lists it, by its position in the plan."""
        watch = await self._watch(request)
        detail = await run_in_threadpool(watch.partition, int(request.path_params["index"]))
        return JSONResponse(detail) if detail is not None else _refuse(404, "No such partition.")

    async def job_stream(self, request: Request) -> Response:
        watch = await self._watch(request)
        return StreamingResponse(self._follow(request, watch), media_type="text/event-stream")

    async def jobs_stream(self, request: Request) -> Response:
        return StreamingResponse(self._follow_jobs(request), media_type="text/event-stream")

    async def stop(self, request: Request) -> Response:
        if not self.settings.allow_control:
            return _refuse(403, "Control is off: start the dashboard with --allow-control to stop jobs here.")
        headers = request.headers
        if not same_origin(headers.get("host"), headers.get("origin"), headers.get("referer")):
            return _refuse(403, "Refused: the request does not come from this dashboard's own page.")
        given, force = await _token_and_force(request)
        if not token_ok(self.settings.token, given):
            return _refuse(403, "Refused: a stop needs the token the dashboard printed when it started.")
        job_dir = self.index.job_dir(request.path_params["job_id"])
        if job_dir is None:
            return _refuse(404, "No such job.")
        stopper = JobStopper(str(job_dir))
        try:
            result = await run_in_threadpool(stopper.stop_job, force, self.settings.stop_timeout)
        except StopRefused as exc:
            return _refuse(409, exc.message)
        watch = self.watches.cached(job_dir)
        if watch is not None:
            await run_in_threadpool(watch.poll, True)
        return JSONResponse(result, status_code=200 if result["stopped"] else 409)

    async def metrics(self, request: Request) -> Response:
        """OpenMetrics for a scraper that asks for it (Prometheus does), else the classic text format."""
        encode, kind = choose_encoder(request.headers.get("accept", ""))
        body = await run_in_threadpool(encode, self.registry)
        return Response(body, headers={"Content-Type": kind})

    async def _watch(self, request: Request) -> JobWatch:
        job_dir = self.index.job_dir(request.path_params["job_id"])
        if job_dir is None:
            raise _NotFound()
        return await run_in_threadpool(self.watches.get, job_dir)

    async def _follow(self, request: Request, watch: JobWatch) -> AsyncIterator[str]:
        """The job's state once, then each update as it happens."""
        state = await run_in_threadpool(watch.state)
        seen = state["seq"]
        yield _sse("state", state)
        while not await request.is_disconnected():
            await asyncio.sleep(self.settings.interval)
            await run_in_threadpool(watch.poll)
            change = await run_in_threadpool(watch.since, seen)
            if change is None:
                state = await run_in_threadpool(watch.state)
                seen = state["seq"]
                yield _sse("state", state)
            elif change["seq"] != seen:
                seen = change["seq"]
                yield _sse("update", change)
            else:
                yield ": idle\n\n"

    async def _follow_jobs(self, request: Request) -> AsyncIterator[str]:
        """The jobs list once, then the rows that changed and the ids that went away."""
        last: dict[str, dict[str, Any]] = {}
        first = True
        while not await request.is_disconnected():
            rows = await run_in_threadpool(self.index.rows)
            now = {r["job_id"]: r for r in rows}
            if first:
                yield _sse("jobs", rows)
                first = False
            else:
                changed = [r for r in rows if last.get(r["job_id"]) != r]
                gone = [j for j in last if j not in now]
                if changed or gone:
                    yield _sse("update", {"changed": changed, "removed": gone})
                else:
                    yield ": idle\n\n"
            last = now
            await asyncio.sleep(max(self.settings.interval, 2.0))


class _NotFound(Exception):
    pass


async def _not_found(request: Request, exc: Exception) -> Response:
    return _refuse(404, "No such job.")


async def _datamill_error(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, DatamillError) else str(exc)
    return _refuse(500, message)


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _token_and_force(request: Request) -> tuple[str | None, bool]:
    """The token and the force flag, from the header, the query, a JSON body or a urlencoded form."""
    token = request.headers.get(TOKEN_HEADER)
    force = request.query_params.get("force") in ("1", "true")
    kind = request.headers.get("content-type", "")
    body: Any = {}
    if kind.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = {}
    elif kind.startswith("application/x-www-form-urlencoded"):  # parsed here: no python-multipart needed
        body = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    if isinstance(body, dict):
        token = token or (str(body["token"]) if body.get("token") else None)
        force = force or body.get("force") in (True, 1, "1", "true", "on")
    return token, force


def create_app(settings: Settings) -> Starlette:
    dashboard = Dashboard(settings)
    middleware = []
    if is_loopback(
        settings.host
    ):  # a page of another site resolving to 127.0.0.1 (DNS rebinding) gets nothing
        hosts = ["localhost", "127.0.0.1", "::1", "[::1]", settings.host]
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    app = Starlette(
        routes=dashboard.routes(),
        middleware=middleware,
        exception_handlers={_NotFound: _not_found, DatamillError: _datamill_error},
    )
    app.state.dashboard = dashboard
    return app
