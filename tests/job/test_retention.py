"""The lifecycle keys of ``intermediate_storage``, each leaving exactly the files it says."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_jsonl, write_jsonl

RAISE = "tests.engine.test_arrow_keys:RaiseOnMapper"
PROCESS = [{"clean_links_mapper": {}}, {"whitespace_normalization_mapper": {}}, {RAISE: {}}]
KEPT_ALWAYS = ("results", "job_summary.json", "event_logs/events.jsonl", "successful_tokens.parquet")


def dataset(tmp_path: Path, boom_at: int | None = None) -> Path:
    rows = [{"text": f"sample {i} " + ("boom" if i == boom_at else "ok")} for i in range(60)]
    return write_jsonl(tmp_path / "in.jsonl", rows)


def run_job(datamill, recipe_file, data: Path, job_id: str, **storage: Any) -> Path:
    recipe = recipe_file(
        job_id,
        dataset_path=str(data),
        partition={"size": 20},
        checkpoint={"strategy": "every_op"},
        intermediate_storage={"preserve_intermediate_data": True, **storage},
        process=PROCESS,
    )
    assert datamill("run", "--config", recipe, "--job_id", job_id) == 0
    return data.parent / "jobs" / job_id


def notices(job: Path) -> list[str]:
    return [e["message"] for e in read_jsonl(job / "event_logs" / "events.jsonl") if e["type"] == "INFO"]


def partitions_with_data(job: Path) -> tuple[list[str], list[str]]:
    """The partitions (by index) that have checkpoints, and that have intermediate data."""
    ckpt = job / "checkpoints"
    inter = job / "intermediate"
    with_ckpt = sorted(p.name[:6] for p in ckpt.iterdir() if any(p.iterdir())) if ckpt.is_dir() else []
    with_inter = sorted(p.name[-6:] for p in inter.iterdir() if any(p.iterdir())) if inter.is_dir() else []
    return with_ckpt, with_inter


def assert_inspectable(job: Path) -> None:
    for name in KEPT_ALWAYS:
        assert (job / name).exists(), name


def test_keep_all_keeps_every_checkpoint_and_the_seed_layout(datamill, recipe_file, tmp_path: Path) -> None:
    job = run_job(datamill, recipe_file, dataset(tmp_path), "keep", retention_policy="keep_all")
    assert partitions_with_data(job) == (["000000", "000001", "000002"], ["000000", "000001", "000002"])
    names = sorted(p.name for p in (job / "intermediate" / "partition_000001").iterdir())
    assert names == [
        "op_000_clean_links_mapper.parquet",
        "op_001_whitespace_normalization_mapper.parquet",
        f"op_002_{RAISE.replace(':', '_')}.parquet",
    ]
    assert not [m for m in notices(job) if m.startswith("removed")]


def test_keep_failed_only_on_a_clean_job_removes_all(datamill, recipe_file, tmp_path: Path) -> None:
    job = run_job(datamill, recipe_file, dataset(tmp_path), "clean", retention_policy="keep_failed_only")
    assert partitions_with_data(job) == ([], [])
    (message,) = [m for m in notices(job) if m.startswith("removed")]
    assert "keep_failed_only" in message and int(message.split(", ")[-1].split()[0]) > 0
    assert_inspectable(job)


def test_keep_failed_only_keeps_the_failed_partitions(datamill, recipe_file, tmp_path: Path) -> None:
    data = dataset(tmp_path, boom_at=25)  # partition 1
    job = run_job(datamill, recipe_file, data, "failed", retention_policy="keep_failed_only")
    assert partitions_with_data(job) == (["000001"], ["000001"])
    assert any("of 2 partitions without failures; those of 1 with failures stay" in m for m in notices(job))


def test_cleanup_all_leaves_a_resumable_job(datamill, recipe_file, tmp_path: Path) -> None:
    data = dataset(tmp_path, boom_at=25)
    job = run_job(datamill, recipe_file, data, "all", retention_policy="cleanup_all")
    assert not (job / "checkpoints").exists() and not (job / "intermediate").exists()
    assert_inspectable(job)
    output = (job / "output.jsonl").read_bytes()
    run_job(datamill, recipe_file, data, "all", retention_policy="cleanup_all")  # runs again, same output
    assert (job / "output.jsonl").read_bytes() == output


@pytest.mark.parametrize(("boom_at", "removed"), [(None, True), (25, False)])
def test_cleanup_on_success_only_on_success(
    datamill, recipe_file, tmp_path: Path, boom_at: int | None, removed: bool
) -> None:
    job = run_job(datamill, recipe_file, dataset(tmp_path, boom_at), "succ", cleanup_on_success=True)
    everything = ["000000", "000001", "000002"]
    assert partitions_with_data(job) == (([], []) if removed else (everything, everything))
    assert any("(cleanup_on_success)" in m for m in notices(job)) == removed


def plant_temporaries(job: Path) -> list[Path]:
    planted = [
        job / "staging" / "in.jsonl-0123.pieces" / ".tmp-000000000000-000000000020.parquet.abc",
        job / "intermediate" / "partition_000000" / ".tmp-op_000.parquet.def",
        job / ".storage-check-0badcafe" / "driver",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half-written")
    return planted


@pytest.mark.parametrize("cleanup", [True, False])
def test_cleanup_temp_files(datamill, recipe_file, tmp_path: Path, cleanup: bool) -> None:
    data = dataset(tmp_path)
    job = run_job(datamill, recipe_file, data, "tmp", cleanup_temp_files=cleanup)
    planted = plant_temporaries(job)
    run_job(datamill, recipe_file, data, "tmp", cleanup_temp_files=cleanup)
    assert [p.exists() for p in planted] == [not cleanup] * 3
    said = [m for m in notices(job) if "(cleanup_temp_files" in m]
    if cleanup:
        assert any(m.startswith("removed temporary files") and "3 files" in m for m in said)
    else:
        assert any(m.startswith("kept 3 temporary files") and "cleanup_temp_files: false" in m for m in said)


@pytest.mark.parametrize(("age_days", "days", "removed"), [(10, 7, True), (3, 7, False), (400, 0, False)])
def test_max_retention_days_ages_out_other_finished_jobs(
    datamill, recipe_file, tmp_path: Path, age_days: int, days: int, removed: bool
) -> None:
    data = dataset(tmp_path)
    old = run_job(datamill, recipe_file, data, "old")
    then = time.time() - age_days * 86400
    os.utime(old / "job_summary.json", (then, then))
    new = run_job(datamill, recipe_file, data, "new", max_retention_days=days)
    everything = ["000000", "000001", "000002"]
    assert partitions_with_data(old) == (([], []) if removed else (everything, everything))
    assert partitions_with_data(new) == (everything, everything)  # its own data: not its age
    assert_inspectable(old)
    said = [m for m in notices(new) if "(max_retention_days:" in m]
    assert bool(said) == removed and all("job old" in m for m in said)


def test_max_retention_days_never_touches_a_running_job(datamill, recipe_file, tmp_path: Path) -> None:
    from datamill.job.lock import JobLock

    data = dataset(tmp_path)
    old = run_job(datamill, recipe_file, data, "old")
    then = time.time() - 30 * 86400
    os.utime(old / "job_summary.json", (then, then))
    with JobLock(old / "job.lock", "old"):  # as its driver would, running again
        new = run_job(datamill, recipe_file, data, "new", max_retention_days=7)
    everything = ["000000", "000001", "000002"]
    assert partitions_with_data(old) == (everything, everything)
    assert not [m for m in notices(new) if "(max_retention_days:" in m]
