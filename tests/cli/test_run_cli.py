"""`datamill run` as seed 000's users type it: no recipe, --input, --work-dir, --batch."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

WORK = "./logs/import_20231201_143025"
INPUT = "output/large_dataset.parquet"


@pytest.fixture
def seed_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory like a seed user's: output/large_dataset.parquet, scene tokens and no text."""
    # The workers' fork server may start after the chdir: a relative PYTHONPATH must not move.
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(os.path.abspath(p) for p in paths if p))
    monkeypatch.chdir(tmp_path)
    tokens: list[str | None] = [f"scene_{i:05d}" for i in range(2500)]
    tokens[7] = tokens[1500] = None  # two records without an id: failed at step read
    (tmp_path / "output").mkdir()
    pq.write_table(pa.table({"scene_token": tokens, "city": ["sh"] * 2500}), tmp_path / INPUT)
    return tmp_path


def summary(job: Path) -> dict:
    return json.loads((job / "job_summary.json").read_text())


def event_types(job: Path) -> list[str]:
    lines = (job / "event_logs" / "events.jsonl").read_text().splitlines()
    return [json.loads(line)["type"] for line in lines]


def test_seed_000_commands_as_written(datamill, seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = seed_dir / WORK
    first = ["run", "--input", INPUT, "--batch", "1000", "--insert-batch", "1000", "--work-dir", WORK]
    assert datamill(*first, "--id_field", "scene_token") == 0
    s = summary(job)
    assert s["status"] == "completed"
    assert s["counts"]["partitions_total"] == 3 and s["counts"]["samples_bad"] == 2
    output = (job / "output.jsonl").read_bytes()
    assert len(output.splitlines()) == 2498

    assert datamill(*first) == 0  # the rerun: the job's saved config, nothing redone
    s = summary(job)
    assert s["counts"]["partitions_skipped"] == 3 and (job / "output.jsonl").read_bytes() == output
    assert event_types(job).count("PARTITION_COMPLETE") == 3

    capsys.readouterr()
    assert datamill("run", "--input", INPUT, "--show-stats", "--work-dir", WORK) == 0
    out = capsys.readouterr().out
    assert "successful: 2,498 records" in out and "failed: 2 unique records" in out

    assert datamill("run", "--input", INPUT, "--retry-failed", "--batch", "200", "--work-dir", WORK) == 0
    err = capsys.readouterr().err
    assert "keeps the partitions it was planned with (1,000 records" in err
    assert yaml.safe_load((job / "config.yaml").read_text())["partition"]["size"] == 1000
    assert json.loads((job / "metadata" / "partitions.json").read_text())["partition_size"] == 1000
    assert "PARTITION_RETRY" not in event_types(job)
    assert (job / "output.jsonl").read_bytes() == output

    resume = shlex.split(summary(job)["resume_command"])  # what a stopped run would tell the user
    assert resume[:2] == ["datamill", "run"] and "--config" not in resume
    assert datamill(*resume[1:]) == 0
    assert summary(job)["counts"]["partitions_skipped"] == 3


def test_batch_on_an_existing_job_is_noted_and_the_config_says_the_plans_size(
    datamill, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = seed_dir / WORK
    assert datamill("run", "--input", INPUT, "--batch", "1000", "--work-dir", WORK) == 0
    capsys.readouterr()
    assert datamill("run", "--input", INPUT, "--batch", "300", "--work-dir", WORK) == 0
    err = capsys.readouterr().err
    assert err.count("keeps the partitions it was planned with") == 1
    assert "a partition size of 300 applies to a new job only" in err
    assert yaml.safe_load((job / "config.yaml").read_text())["partition"]["size"] == 1000
    assert summary(job)["counts"]["partitions_skipped"] == 3
    assert "partition.size" not in summary(job)["resume_command"]
    assert datamill("run", "--input", INPUT, "--batch", "300", "--work-dir", "./logs/new") == 0
    assert yaml.safe_load((seed_dir / "logs/new/config.yaml").read_text())["partition"]["size"] == 300


@pytest.mark.parametrize(
    ("flag", "suggestion"),
    [
        (["--btach", "1000"], "did you mean --batch?"),
        (["--retry_failed"], "did you mean --retry-failed?"),
        (["--partition.sise", "10"], "did you mean --partition.size?"),
        (["--idfield", "x"], "did you mean --id_field?"),
    ],
)
def test_a_mistyped_flag_is_reported_as_a_flag_with_the_closest_one(
    datamill, seed_dir: Path, capsys: pytest.CaptureFixture[str], flag: list[str], suggestion: str
) -> None:
    assert datamill("run", "--input", INPUT, *flag, "--work-dir", WORK) == 2
    err = capsys.readouterr().err
    assert f"unknown flag {flag[0]}: {suggestion}" in err and "recipe.yaml" not in err
    assert not (seed_dir / WORK).exists()


def test_without_recipe_input_or_job_there_is_nothing_to_run(
    datamill, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert datamill("run", "--work-dir", WORK) == 2
    assert "Nothing to run" in capsys.readouterr().err
    assert datamill("run", "--show-stats", "--work-dir", WORK) == 1
    assert "No job in" in capsys.readouterr().err


def test_a_rerun_with_only_the_work_dir_uses_the_saved_config(datamill, seed_dir: Path) -> None:
    assert datamill("run", "--input", INPUT, "--batch", "700", "--work-dir", WORK, "--np", "1") == 0
    assert datamill("run", "--work-dir", WORK) == 0
    s = summary(seed_dir / WORK)
    assert s["counts"]["partitions_total"] == 4 and s["counts"]["partitions_skipped"] == 4
