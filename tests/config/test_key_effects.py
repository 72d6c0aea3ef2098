"""Keys whose effect no other test shows, each shown on a real job."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import read_jsonl, write_jsonl

OPS = [{"clean_links_mapper": {}}, {"whitespace_normalization_mapper": {}}, {"clean_email_mapper": {}}]


def data(tmp_path: Path, n: int = 40) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", [{"text": f"row  {i} https://x.org/{i}"} for i in range(n)])


def events(events_jsonl: Path) -> list[dict]:
    return read_jsonl(events_jsonl)


def test_export_format_chooses_the_part_files_format(datamill, recipe_file, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    recipe = recipe_file(
        dataset_path=str(data(tmp_path)),
        export_path=str(parts),
        export_format="parquet",
        partition={"size": 20},
    )
    assert datamill("run", "--config", recipe, "--job_id", "fmt") == 0
    files = sorted(parts.iterdir())
    assert [f.suffix for f in files] == [".parquet", ".parquet"]
    assert sum(pq.read_table(f).num_rows for f in files) == 40


def test_event_log_dir_and_checkpoint_dir_hold_the_jobs_logs_and_checkpoints(
    datamill, recipe_file, tmp_path: Path
) -> None:
    logs, ckpts = tmp_path / "logs", tmp_path / "ckpts"
    recipe = recipe_file(
        dataset_path=str(data(tmp_path)),
        partition={"size": 20},
        process=OPS,
        checkpoint={"strategy": "every_op"},
        intermediate_storage={"preserve_intermediate_data": True},
        event_log_dir=str(logs),
        checkpoint_dir=str(ckpts),
    )
    assert datamill("run", "--config", recipe, "--job_id", "dirs") == 0
    job = tmp_path / "jobs" / "dirs"
    assert (logs / "dirs" / "event_logs" / "events.jsonl").is_file()
    assert not (job / "event_logs").exists() and not (job / "checkpoints").exists()
    assert len(list((ckpts / "dirs").rglob("op*.parquet"))) == 4  # 2 partitions x ops 0 and 1


@pytest.mark.parametrize(
    ("checkpoint", "expected"),
    [
        ({"strategy": "every_op"}, ["op000", "op001"]),
        ({"strategy": "every_n_ops", "n_ops": 2}, ["op001"]),
        ({"strategy": "manual", "op_names": ["clean_links_mapper"]}, ["op000"]),
        ({"strategy": "every_op", "enabled": False}, []),
    ],
    ids=["every_op", "n_ops", "op_names", "enabled-false"],
)
def test_checkpoint_keys_choose_the_checkpoints_written(
    datamill, recipe_file, tmp_path: Path, checkpoint: dict, expected: list[str]
) -> None:
    recipe = recipe_file(
        dataset_path=str(data(tmp_path)),
        partition={"size": 40},
        process=OPS,
        checkpoint=checkpoint,
        intermediate_storage={"preserve_intermediate_data": True},
    )
    assert datamill("run", "--config", recipe, "--job_id", "ck") == 0
    folder = tmp_path / "jobs" / "ck" / "checkpoints"
    written = sorted(p.name[:5] for p in folder.rglob("op*")) if folder.is_dir() else []
    assert written == expected


@pytest.mark.parametrize("enabled", [True, False])
def test_fault_tolerance_enabled_decides_whether_a_failed_partition_is_retried(
    datamill, recipe_file, tmp_path: Path, enabled: bool
) -> None:
    count = tmp_path / "count"
    op = {"tests.job.user_ops:RaiseOnceMapper": {"kind": "TimeoutError", "count": str(count)}}
    recipe = recipe_file(
        dataset_path=str(data(tmp_path, 10)),
        process=[op],
        fault_tolerance={"enabled": enabled, "retry_delay_s": 0.01},
    )
    datamill("run", "--config", recipe, "--job_id", "ft")
    summary = json.loads((tmp_path / "jobs" / "ft" / "job_summary.json").read_text())
    retried = [
        e
        for e in events(tmp_path / "jobs" / "ft" / "event_logs" / "events.jsonl")
        if e["type"] == "PARTITION_RETRY"
    ]
    assert summary["status"] == ("completed" if enabled else "completed_with_failures")
    assert bool(retried) == enabled


@pytest.mark.parametrize(("interval", "at_least", "at_most"), [(0.1, 4, 1000), (60.0, 0, 1)])
def test_resource_interval_s_sets_how_often_usage_is_logged(
    datamill, recipe_file, tmp_path: Path, interval: float, at_least: int, at_most: int
) -> None:
    recipe = recipe_file(
        dataset_path=str(data(tmp_path, 40)),
        np=2,
        partition={"size": 5},
        process=[{"tests.job.user_ops:SlowMapper": {"delay_s": 0.2}}],
        event_logging={"resource_interval_s": interval},
    )
    assert datamill("run", "--config", recipe, "--job_id", "res") == 0
    usage = [
        e
        for e in events(tmp_path / "jobs" / "res" / "event_logs" / "events.jsonl")
        if e["type"] == "RESOURCE_USAGE"
    ]
    assert at_least <= len(usage) <= at_most
