"""``metadata/dataset_mapping.json`` and ``metadata/final_mapping_report.json`` of real jobs."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datamill.demo.recipe import SIX_OPS
from tests.conftest import read_jsonl, write_jsonl
from tests.job import jobproc

BROKEN = "tests.job.user_ops:BrokenUntilFixedMapper"
HOLD = "tests.job.user_ops:HoldWhileFileMapper"
FAST = {"max_retries": 1, "retry_delay_s": 0.05}


def metadata(job_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((job_dir / "metadata" / f"{name}.json").read_text())


def test_the_dataset_mapping_says_where_each_partition_comes_from(datamill, corpus, tmp_path: Path) -> None:
    data = corpus(450)
    recipe = jobproc.write_recipe(tmp_path, data, "map", SIX_OPS[:2], partition={"size": 100})
    assert datamill("run", "--config", recipe, "--job_id", "map") == 0
    mapping = metadata(tmp_path / "jobs" / "map", "dataset_mapping")
    assert mapping["format_version"] == 1 and mapping["total_rows"] == 450
    parts = mapping["partitions"]
    assert [p["rows"] for p in parts] == [100, 100, 100, 100, 50]
    assert [p["index"] for p in parts] == list(range(5))
    raw = data.read_bytes()
    lines = raw.splitlines(keepends=True)
    for p in parts:
        assert p["input_file"] == str(data) and p["format"] == "jsonl"
        assert raw[p["byte_start"] : p["byte_stop"]] == b"".join(lines[p["row_start"] : p["row_stop"]])
        assert p["first_line"] == p["row_start"] + 1
    assert parts[-1]["byte_stop"] == len(raw)
    plan = metadata(tmp_path / "jobs" / "map", "partitions")
    assert [p["partition_id"] for p in parts] == [row[0] for row in plan["partitions"]]


def test_the_mapping_of_parquet_input_gives_row_ranges(datamill, tmp_path: Path) -> None:
    data = tmp_path / "scenes.parquet"
    pq.write_table(pa.table({"text": [f"scene {i}" for i in range(250)]}), data, row_group_size=50)
    recipe = jobproc.write_recipe(tmp_path, data, "pq", [{"text_length_filter": {}}], partition={"size": 100})
    assert datamill("run", "--config", recipe, "--job_id", "pq") == 0
    parts = metadata(tmp_path / "jobs" / "pq", "dataset_mapping")["partitions"]
    assert [(p["row_start"], p["row_stop"]) for p in parts] == [(0, 100), (100, 200), (200, 250)]
    assert all(p["format"] == "parquet" and "byte_start" not in p for p in parts)


def test_the_final_report_of_a_completed_job(datamill, corpus, tmp_path: Path, executor: str) -> None:
    recipe = jobproc.write_recipe(
        tmp_path,
        corpus(300),
        "done",
        SIX_OPS,
        partition={"size": 100},
        checkpoint={"strategy": "every_op"},
        intermediate_storage={"preserve_intermediate_data": True},
        executor_type=executor,
    )
    assert datamill("run", "--config", recipe, "--job_id", "done") == 0
    job = tmp_path / "jobs" / "done"
    lines = (job / "event_logs" / "events.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["type"] for line in lines]
    assert kinds[0] == "JOB_START" and kinds[-1] == "JOB_COMPLETE"
    work = [i for i, k in enumerate(kinds) if k.startswith(("PARTITION_", "OP_", "CHECKPOINT_"))]
    assert kinds.index("PROCESSING_START") < min(work) < max(work) < kinds.index("PROCESSING_COMPLETE")
    report = metadata(job, "final_mapping_report")
    assert report["job_status"] == "completed" and report["runs"] == 1
    assert report["partitions_by_status"] == {"completed": 3}
    parts = report["partitions"]
    assert sum(p["rows_out"] for p in parts) == report["rows_out"] == len(read_jsonl(tmp_path / "done.jsonl"))
    assert sum(p["rows_in"] for p in parts) == report["rows_in"] == 300
    for p in parts:
        assert p["status"] == "completed" and p["attempts"] == 1
        assert Path(p["result_file"]).exists()
        kept = p["checkpoints"]  # every op but the last (the commit is that one's checkpoint)
        assert [c["op_index"] for c in kept] == list(range(len(SIX_OPS) - 1))
        assert all(Path(c["file"]).exists() for c in kept)


def test_the_report_adds_up_runs_a_failed_partition_then_its_rerun(datamill, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(60)])
    fixed = tmp_path / "fixed"
    process = [{BROKEN: {"needle": "row 33", "fixed": str(fixed)}}]
    recipe = jobproc.write_recipe(tmp_path, data, "broken", process, fault_tolerance=FAST)
    job = tmp_path / "jobs" / "broken"
    assert datamill("run", "--config", recipe, "--job_id", "broken") == 1
    report = metadata(job, "final_mapping_report")
    assert report["job_status"] == "completed_with_failures"
    by_status = {p["partition_id"]: p for p in report["partitions"]}
    (failed,) = [p for p in report["partitions"] if p["status"] == "failed"]
    assert failed["index"] == 1 and failed["attempts"] == 2 and failed["rows_out"] == 0
    assert failed["rows_failed"] == 20 and "ConnectionError" in failed["error"]
    assert failed["result_file"] is None
    fixed.touch()
    assert datamill("run", "--config", recipe, "--job_id", "broken") == 0
    report = metadata(job, "final_mapping_report")
    assert report["job_status"] == "completed" and report["runs"] == 2
    assert report["partitions_by_status"] == {"completed": 3}
    again = {p["partition_id"]: p for p in report["partitions"]}
    assert again[failed["partition_id"]]["attempts"] == 3  # two in the first run, one now
    assert again[failed["partition_id"]]["rows_out"] == 20
    for pid, before in by_status.items():
        if pid != failed["partition_id"]:  # committed by the first run, kept as it was
            assert again[pid]["attempts"] == 1 and again[pid]["result_file"] == before["result_file"]
    assert report["rows_out"] == 60


def test_a_stopped_run_leaves_its_report_and_the_resume_completes_it(
    datamill, corpus, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    data = corpus(200)
    recipe = jobproc.write_recipe(
        tmp_path, data, "term", [{HOLD: {"hold": str(hold)}}], partition={"size": 20}
    )
    job = tmp_path / "jobs" / "term"
    proc = jobproc.start(recipe, "--job_id", "term")
    try:
        events = job / "event_logs" / "events.jsonl"
        assert jobproc.wait_for(
            lambda: events.exists() and b"PARTITION_START" in events.read_bytes(), 60, proc
        )
        proc.send_signal(signal.SIGTERM)
        hold.unlink()  # the running partition finishes within the stop timeout
        assert proc.wait(timeout=60) == 130
    finally:
        jobproc.kill_group(proc)
    report = metadata(job, "final_mapping_report")
    assert report["job_status"] == "stopped" and report["runs"] == 1
    statuses = [p["status"] for p in report["partitions"]]
    assert statuses.count("completed") == jobproc.committed(job) >= 1
    assert statuses.count("pending") >= 1 and "failed" not in statuses
    started = [p for p in report["partitions"] if p["status"] != "pending"]
    assert all(p["attempts"] == 1 for p in started)
    assert datamill("run", "--config", recipe, "--job_id", "term") == 0
    report = metadata(job, "final_mapping_report")
    assert report["job_status"] == "completed" and report["runs"] == 2
    assert report["partitions_by_status"] == {"completed": 10}
    assert all(p["attempts"] == 1 for p in report["partitions"])
    assert report["rows_in"] == 200


def test_a_damaged_report_is_written_anew_and_said_so(datamill, corpus, tmp_path: Path) -> None:
    recipe = jobproc.write_recipe(tmp_path, corpus(100), "dmg", SIX_OPS[:2], partition={"size": 50})
    assert datamill("run", "--config", recipe, "--job_id", "dmg") == 0
    job = tmp_path / "jobs" / "dmg"
    path = job / "metadata" / "final_mapping_report.json"
    path.write_bytes(path.read_bytes()[:200])
    sorted((job / "results").glob("*.commit"))[1].unlink()  # one partition to redo
    assert datamill("run", "--config", recipe, "--job_id", "dmg") == 0
    report = metadata(job, "final_mapping_report")
    assert report["runs"] == 1 and report["partitions_by_status"] == {"completed": 2}
    assert [p["attempts"] for p in report["partitions"]] == [1, 1]
    lines = (job / "event_logs" / "events.jsonl").read_text().splitlines()
    warnings = [json.loads(line)["message"] for line in lines if '"WARNING"' in line]
    assert any("final_mapping_report.json could not be read" in w for w in warnings)
    assert json.loads(lines[-1])["type"] == "JOB_COMPLETE"
