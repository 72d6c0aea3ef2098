"""monitor, stop, resume, stats and verify take a job directory's path (a --work-dir user's handle)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.3}}


def as_json(datamill, capsys: pytest.CaptureFixture[str], *args: object) -> dict:
    capsys.readouterr()
    assert datamill(*args, "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_every_command_takes_the_work_dir_of_a_job(
    datamill, corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = corpus(300)
    path = jobproc.write_recipe(tmp_path, data, "seedlike", [NAP], id_field="url", export={"table": "docs"})
    work = tmp_path / "logs" / "import_1"
    proc = jobproc.start(path, "--work-dir", str(work))
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(work) >= 2, 60, proc)
        report = as_json(datamill, capsys, "monitor", work)
        assert report["job_overview"]["job_id"] == "import_1" and report["job_overview"]["running"]
        assert datamill("stop", work, "--timeout", "20") == 0
        assert proc.wait(timeout=5) == 130
    finally:
        jobproc.kill_group(proc)
    assert "stopped gracefully" in capsys.readouterr().out
    assert jobproc.summary(work)["status"] == "stopped"

    assert datamill("resume", work) == 0
    assert jobproc.summary(work)["status"] == "completed"
    assert as_json(datamill, capsys, "monitor", work)["overall_progress"]["progress_percentage"] == 100.0
    by_path = as_json(datamill, capsys, "stats", work)
    assert by_path["successful"] == 300
    assert as_json(datamill, capsys, "stats", "import_1", "--base-dir", work.parent) == by_path
    assert as_json(datamill, capsys, "verify", work)["clean"]
    assert as_json(datamill, capsys, "verify", "import", "--base-dir", work.parent)["clean"]


@pytest.mark.parametrize("command", ["monitor", "stop", "resume", "stats", "verify"])
def test_a_path_that_is_no_job_says_so(
    datamill, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "empty").mkdir()
    assert datamill(command, tmp_path / "nowhere", "--base-dir", tmp_path) == 1
    assert "no such job directory" in capsys.readouterr().err
    if command != "stats":  # (stats also reads a bare ledger, e.g. from `ledger merge`)
        assert datamill(command, tmp_path / "empty", "--base-dir", tmp_path) == 1
        assert "is not a job directory" in capsys.readouterr().err
