"""A real finished job to serve, and a client of the dashboard over its base directory."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("prometheus_client")

from starlette.testclient import TestClient

from datamill.cli.main import main
from datamill.dashboard.app import Settings, create_app
from datamill.demo.corpus import write_corpus
from datamill.demo.recipe import SIX_OPS
from tests.job import jobproc

TOKEN = "test-token"
FAIL = {"tests.job.user_ops:FailOnMapper": {"needle": "Zürich"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A completed job of 12 partitions whose last op sets some samples aside."""
    tmp = tmp_path_factory.mktemp("dash")
    data = write_corpus(tmp / "data" / "c4.jsonl", 240, 7)
    recipe = jobproc.write_recipe(tmp, data, "served", [*SIX_OPS, FAIL], checkpoint={"strategy": "every_op"})
    assert main(["run", "--config", str(recipe), "--job_id", "served"]) == 0
    return tmp / "jobs"


@pytest.fixture
def client(finished: Path) -> Iterator[TestClient]:
    app = create_app(Settings(finished, TOKEN, allow_control=True))
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c
