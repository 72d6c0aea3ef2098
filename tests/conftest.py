"""Shared fixtures: small datasets and a way to run the CLI in-process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy as sa
import yaml

from datamill.cli.main import main
from datamill.demo.corpus import write_corpus


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | str]) -> Path:
    """Rows are dicts (encoded as JSON) or raw strings (written as they are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture
def corpus(tmp_path: Path) -> Callable[[int], Path]:
    def make(n: int, seed: int = 7) -> Path:
        return write_corpus(tmp_path / "data" / f"c4_{n}_{seed}.jsonl", n, seed)

    return make


@pytest.fixture
def recipe_file(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "recipe", **keys: Any) -> Path:
        data = {"work_dir": str(tmp_path / "jobs"), "np": 1, **keys}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return make


@pytest.fixture
def datamill() -> Callable[..., int]:
    """Run ``datamill ARGS`` in this process and return its exit code."""

    def run(*args: str) -> int:
        return main([str(a) for a in args])

    return run


# A real PostgreSQL server for the SQL tests. CI starts one (see .ci/run) and sets
# DATAMILL_TEST_PG_URL; outside CI a test that needs it is skipped, loudly, when
# no server answers; in CI it fails.
DEFAULT_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/postgres"


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("DATAMILL_TEST_PG_URL", DEFAULT_URL)
    try:
        with sa.create_engine(url).connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide PostgreSQL at {url}: {exc}")
        pytest.skip(f"NO POSTGRESQL at {url} ({type(exc).__name__}); PostgreSQL tests skipped")
    return url


@pytest.fixture
def pg_table(pg_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield name
    with sa.create_engine(pg_url).begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))


# Ray: the tests that start one give it a directory of their own (RAY_TMPDIR),
# which every process of that Ray inherits in its environment. That finds them
# all (workers rename themselves, and leave the driver's process group), and
# never another test's or another user's.
RAY_OUTLIVES_S = 15.0
"""How long a Ray's processes may outlive the run that started it..."""
RAY_LINGERS_S = 75.0
"""...except those that :func:`linger`."""
_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")
_STARTING = ("workers/default_worker.py", "dashboard/agent.py", "runtime_env/agent/main.py")


def lingers(p: psutil.Process) -> bool:
    """Ray's agents, and a worker or agent still starting (not yet named
    ``ray::…``): when their Ray dies at once (its driver SIGKILLed), they retry
    its dead GCS for up to a minute before they give up (Ray's own budgets).
    None of them runs a task or writes to a job meanwhile."""
    try:
        args = p.cmdline()
    except psutil.Error:
        return False
    return bool(args) and (args[0] in _AGENTS or any(a.endswith(_STARTING) for a in args[1:3]))


def ray_processes(ray_tmpdir: Path, *, lingering: bool = True) -> list[psutil.Process]:
    """The running processes of the Rays started with ``RAY_TMPDIR=ray_tmpdir``:
    Ray's servers (programs and scripts of the ``ray`` package) and workers
    (``ray::…``), not other processes that inherited the variable. With
    ``lingering=False``, not those that :func:`linger <lingers>` either."""
    import ray

    package = os.path.dirname(ray.__file__) + os.sep
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        args = p.info["cmdline"] or []
        if p.info["status"] == psutil.STATUS_ZOMBIE or not (
            args and (args[0].startswith("ray::") or any(a.startswith(package) for a in args[:3]))
        ):
            continue
        try:
            if p.environ().get("RAY_TMPDIR") == str(ray_tmpdir):
                found.append(p)
        except psutil.Error:  # gone meanwhile, or not ours to read
            pass
    return found if lingering else [p for p in found if not lingers(p)]


@pytest.fixture
def ray_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Ray's files for this test in a directory of its own. Afterwards every
    process of the Rays the test started must be gone within RAY_OUTLIVES_S
    (RAY_LINGERS_S for those that :func:`linger <lingers>`): one that is not
    fails the test, and is killed.

    Without Ray installed the test is skipped, loudly; in CI it fails."""
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must have Ray installed (the dev extra)")
        pytest.skip("NO RAY in this environment; Ray tests skipped")
    # Short: Ray's socket paths under it must fit in 107 bytes.
    directory = Path(tempfile.mkdtemp(prefix="dmray-", dir="/tmp"))
    monkeypatch.setenv("RAY_TMPDIR", str(directory))
    try:
        yield directory
    finally:
        ended = time.monotonic()
        while (left := ray_processes(directory)) and time.monotonic() < ended + RAY_LINGERS_S:
            if time.monotonic() > ended + RAY_OUTLIVES_S and ray_processes(directory, lingering=False):
                break
            time.sleep(0.2)
        for p in left:  # (the test fails: leave nothing running on the machine)
            with contextlib.suppress(psutil.Error):
                p.kill()
        shutil.rmtree(directory, ignore_errors=True)
    assert not left, f"Ray processes outlived their run by {time.monotonic() - ended:.0f}s: {left}"


OBJECT_STORE_BYTES = 100 * 1024**2
"""Each test node's object store: tasks pass descriptors, not data."""


@pytest.fixture
def ray_cluster(ray_tmpdir: Path) -> Iterator[Any]:
    """A Ray cluster on this machine, laid out as production clusters are: a
    head that runs no task (no CPU) and two worker nodes of one CPU each."""
    from ray.cluster_utils import Cluster

    small = {"object_store_memory": OBJECT_STORE_BYTES}
    head = {"num_cpus": 0, "include_dashboard": False, **small}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        for _ in range(2):
            cluster.add_node(num_cpus=1, **small)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()
