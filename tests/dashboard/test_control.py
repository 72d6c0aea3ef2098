"""Who may stop a job from the dashboard, and how the command refuses to start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from datamill.cli.main import main
from datamill.dashboard.app import Settings, create_app
from datamill.dashboard.guard import check_bind, same_origin
from datamill.errors import ConfigError
from tests.dashboard.conftest import TOKEN, free_port
from tests.job import jobproc

STOP = "/api/jobs/served/stop"
ORIGIN = "http://127.0.0.1:8765"


def test_stop_is_refused_when_control_is_off(finished: Path) -> None:
    with TestClient(create_app(Settings(finished, TOKEN)), base_url=ORIGIN) as c:
        r = c.post(STOP, headers={"X-Datamill-Token": TOKEN})
        assert r.status_code == 403 and "--allow-control" in r.json()["error"]
        assert c.get("/api/config").json()["allow_control"] is False


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Datamill-Token": "wrong"},
        {"X-Datamill-Token": TOKEN, "Origin": "http://evil.example"},
        {"X-Datamill-Token": TOKEN, "Origin": "null"},
        {"X-Datamill-Token": TOKEN, "Referer": "http://127.0.0.1:9999/jobs/served"},
    ],
)
def test_stop_needs_the_token_and_the_same_origin(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post(STOP, headers=headers)
    assert r.status_code == 403, r.text
    assert "token" in r.json()["error"] or "own page" in r.json()["error"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"X-Datamill-Token": TOKEN, "Origin": ORIGIN}},
        {"headers": {"Referer": f"{ORIGIN}/jobs/served"}, "data": {"token": TOKEN}},
        {"json": {"token": TOKEN, "force": True}},
    ],
)
def test_a_stop_with_the_token_reaches_the_stopper(client: TestClient, kwargs: dict) -> None:
    r = client.post(STOP, **kwargs)
    assert r.status_code == 409  # the stopper answered: the job is not running, nothing was signalled
    assert "is not running" in r.json()["message"] and r.json()["signalled_pids"] == []


def test_same_origin() -> None:
    assert same_origin("127.0.0.1:8765", "http://127.0.0.1:8765", None)
    assert same_origin("127.0.0.1:8765", None, "http://127.0.0.1:8765/jobs/x")
    assert same_origin("127.0.0.1:8765", None, None)  # not a browser: the token decides
    assert not same_origin("127.0.0.1:8765", "http://localhost:8765", None)
    assert not same_origin("127.0.0.1:8765", "null", None)
    assert not same_origin(None, "http://127.0.0.1:8765", None)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_binding_beyond_loopback_needs_a_token(host: str) -> None:
    with pytest.raises(ConfigError, match="--token"):
        check_bind(host, None)
    check_bind(host, "my-secret")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    check_bind(host, None)


def test_the_command_refuses_a_public_host_without_token(finished: Path, capsys) -> None:
    assert main(["dashboard", "--base-dir", str(finished), "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "--token" in err and "ssh -L" in err


@pytest.mark.parametrize("module", ["starlette", "uvicorn", "prometheus_client"])
def test_without_the_extra_the_command_says_what_to_install(
    finished: Path, monkeypatch: pytest.MonkeyPatch, capsys, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed: importing it raises ImportError
    assert main(["dashboard", "--base-dir", str(finished)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert 'pip install "datamill[dashboard]"' in err and module in err


def test_the_command_serves_and_prints_its_token(finished: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(jobproc.REPO / "src"), str(jobproc.REPO)])}
    cmd = [sys.executable, "-m", "datamill", "dashboard", "--base-dir", str(finished), "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--allow-control"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[0].startswith(f"datamill dashboard: http://127.0.0.1:{port}/")
        token = lines[2].split("stop token: ")[1].strip()
        assert len(token) >= 20 and f"#token={token}" in lines[3]

        def answered() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/jobs", timeout=2) as r:
                    return [j["job_id"] for j in json.load(r)] == ["served"]
            except OSError:
                return False

        assert jobproc.wait_for(answered, 30, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
