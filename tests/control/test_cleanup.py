"""`datamill cleanup` lists what it would remove, and what stays, before it removes anything."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import write_jsonl


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
    assert inside_lines[1].endswith(f"its output {inside / 'output.jsonl'}")
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
