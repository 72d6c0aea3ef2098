"""Output hygiene (issue 12.7): quiet on a closed pipe, times for people,
exit codes documented and held."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datamill.cli.common import EXIT_CODES
from datamill.job.lock import JobLock
from tests.conftest import write_jsonl

SRC = Path(__file__).resolve().parents[2] / "src"


def fake_jobs(base: Path, n: int) -> Path:
    for i in range(n):
        job = base / f"job{i:04d}"
        job.mkdir(parents=True)
        summary = {"status": "completed", "start_time": "2025-01-01T00:00:00+00:00", "counts": {}}
        (job / "job_summary.json").write_text(json.dumps(summary))
    return base


@pytest.mark.parametrize("command", ["jobs --json", "jobs"])
def test_a_closed_pipe_ends_quietly(tmp_path: Path, command: str) -> None:
    base = fake_jobs(tmp_path / "jobs", 400)
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    shell = f"{sys.executable} -m datamill {command} --base-dir {base} | head -1"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip()
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_exit_codes_are_in_the_help(datamill, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["run", "--help"]):
        with pytest.raises(SystemExit):
            datamill(*args)
        out = capsys.readouterr().out
        assert EXIT_CODES.splitlines()[0] in out
        for code in ("0 ", "1 ", "2 ", "3 ", "130"):
            assert f"\n  {code}" in out
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "## Exit codes" in readme and "| 130" in readme and "| 3 " in readme


def test_exit_codes_held(datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(10)])
    recipe = recipe_file(dataset_path=str(data), process=[{"text_length_filter": {}}])
    assert datamill("run", "--config", recipe, "--job_id", "ok") == 0
    assert datamill("run", "--config", recipe, "--job_id", "bad", "--np", "0") == 2
    missing = recipe_file(name="missing", dataset_path=str(tmp_path / "nowhere.jsonl"))
    assert datamill("run", "--config", missing, "--job_id", "gone") == 2
    with JobLock(tmp_path / "jobs" / "ok" / "job.lock", "ok"):
        assert datamill("run", "--config", recipe, "--job_id", "ok") == 3
    err = capsys.readouterr().err
    assert "already running" in err and "Traceback" not in err


def test_a_locked_job_says_when_it_started_as_a_local_time(tmp_path: Path) -> None:
    from datamill.job.lock import JobLockedError

    with JobLock(tmp_path / "job.lock", "j"), pytest.raises(JobLockedError) as info:
        JobLock(tmp_path / "job.lock", "j").acquire()
    started = info.value.message.split("started ")[1].split(")")[0]
    from datetime import datetime

    assert datetime.fromisoformat(started).tzinfo is not None  # ISO, with the local offset


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_an_unwritable_export_is_refused_before_any_partition_runs(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(10)])
    (tmp_path / "a_file").write_text("x")
    out = tmp_path / "a_file" / "o.jsonl" if where == "under_a_file" else Path("/proc/datamill-o.jsonl")
    recipe = recipe_file(dataset_path=str(data), export_path=str(out), process=[{"text_length_filter": {}}])
    assert datamill("run", "--config", recipe, "--job_id", "nowrite") == 2
    err = capsys.readouterr().err
    assert "cannot be written" in err and str(out) in err and "Traceback" not in err
    assert not list((tmp_path / "jobs" / "nowrite" / "results").glob("*.commit"))
