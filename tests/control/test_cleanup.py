"""`datamill cleanup` lists what it would remove, and what stays, before it removes anything."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import write_jsonl
from tests.job import jobproc


def age(job: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(job / "job_summary.json", (then, then))


@pytest.fixture
def two_old_jobs(datamill, tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two finished jobs eight days old: one exports outside its directory, one inside."""
    data = write_jsonl(tmp_path / "d.jsonl", [{"scene_token": f"t{i}"} for i in range(5)])
    export = tmp_path / "exports" / "clean.jsonl"
    outside, inside = tmp_path / "logs" / "a", tmp_path / "logs" / "b"
    assert datamill("run", "--input", data, "--export_path", export, "--work-dir", outside, "--np", "1") == 0
    assert datamill("run", "--input", data, "--work-dir", inside, "--np", "1") == 0
    for job in (outside, inside):
        age(job, 8)
    return outside, inside, export


def test_cleanup_without_yes_lists_and_removes_nothing(
    datamill, two_old_jobs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    outside, inside, export = two_old_jobs
    capsys.readouterr()
    assert datamill("cleanup", outside.parent) == 0
    out = capsys.readouterr().out
    assert "Would remove 2 finished job(s)" in out and "Nothing was removed. Run again with --yes" in out
    assert out.count("its record ledger") == 2
    assert f"stays: its output {export} (outside the job directory: not removed)" in out
    inside_lines = out.split(f"  {inside} (")[1].splitlines()
    assert inside_lines[1].endswith(
        "its record ledger (successful and failed records; the only copy unless you copied it)"
    )
    assert inside_lines[2] == f"      and its output {inside / 'output.jsonl'}"
    assert outside.exists() and inside.exists()


def test_cleanup_with_yes_removes_the_job_directories_and_keeps_an_outside_export(
    datamill, two_old_jobs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    outside, inside, export = two_old_jobs
    assert datamill("cleanup", outside.parent, "--yes", "--dry-run") == 0
    assert outside.exists() and inside.exists()
    assert datamill("cleanup", inside, "--yes") == 0  # one job's directory
    assert not inside.exists() and outside.exists()
    assert datamill("cleanup", outside.parent, "--yes") == 0
    assert "1 job(s) removed." in capsys.readouterr().out
    assert not outside.exists() and export.exists()


def test_cleanup_removes_event_logs_and_checkpoints_kept_elsewhere(
    datamill, corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """event_log_dir and checkpoint_dir outside the job directory: the job's folders there go
    with it (and --dry-run says so); another job's folders in the same places stay."""
    elsewhere = {
        "event_log_dir": str(tmp_path / "events"),
        "checkpoint_dir": str(tmp_path / "ckpt"),
        "checkpoint": {"strategy": "every_op"},
    }
    for name in ("old", "young"):
        ops = [{"clean_email_mapper": {}}, {"clean_links_mapper": {}}]
        path = jobproc.write_recipe(tmp_path, corpus(40), name, ops, **elsewhere)
        assert datamill("run", "--config", path, "--job_id", name) == 0
    jobs = tmp_path / "jobs"
    age(jobs / "old", 8)
    old_logs, old_ckpt = tmp_path / "events" / "old", tmp_path / "ckpt" / "old"
    assert (old_logs / "event_logs" / "events.jsonl").exists() and old_ckpt.is_dir()

    capsys.readouterr()
    assert datamill("cleanup", jobs, "--yes", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Would remove 1 finished job(s)" in out and f"  {jobs / 'old'} (" in out
    assert f"      and its event logs in {old_logs}\n" in out
    assert f"      and its checkpoints in {old_ckpt}\n" in out
    assert "young" not in out and old_logs.exists() and old_ckpt.exists()

    assert datamill("cleanup", jobs, "--yes") == 0
    assert not (jobs / "old").exists() and not old_logs.exists() and not old_ckpt.exists()
    assert (jobs / "young").exists()
    assert (tmp_path / "events" / "young" / "event_logs" / "events.jsonl").exists()
    assert (tmp_path / "ckpt" / "young").is_dir()
