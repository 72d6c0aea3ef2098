"""``datamill.control.common``: JobUtils and list_running_jobs, call by call, on real jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datamill.control.common import JobNotFound, JobUtils, is_final, list_running_jobs
from datamill.demo.recipe import SIX_OPS
from datamill.errors import JobError
from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.3}}


def test_job_utils_reads_summary_every_rotated_event_and_every_partition(
    datamill, corpus, tmp_path: Path
) -> None:
    logging = {"max_log_size_mb": 0.01, "backup_count": 1000}
    path = jobproc.write_recipe(tmp_path, corpus(200), "utils", SIX_OPS, event_logging=logging)
    assert datamill("run", "--config", path, "--job_id", "utils") == 0
    utils = JobUtils("utils", base_dir=tmp_path / "jobs")

    summary = utils.load_job_summary()
    assert summary["job_id"] == "utils" and is_final(summary["status"]) and summary["status"] == "completed"

    files = sorted((tmp_path / "jobs" / "utils" / "event_logs").glob("events.jsonl*"))
    assert len(files) > 2  # rotated
    written = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    events = utils.load_event_logs()
    assert len(events) == len(written)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in written)  # oldest file first, in order
    assert events[0]["type"] == "JOB_START" and events[-1]["type"] == "JOB_COMPLETE"
    assert events[-1] == written[[e["seq"] for e in written].index(events[-1]["seq"])]  # fields as written

    partitions = utils.get_partition_status()
    assert len(partitions) == 10 and all(p["status"] == "completed" for p in partitions.values())
    assert sum(p["samples"] for p in partitions.values()) == 200
    assert all(len(p["ops"]) == 6 for p in partitions.values())


def test_job_utils_without_event_log_and_for_a_missing_job(datamill, corpus, tmp_path: Path) -> None:
    path = jobproc.write_recipe(tmp_path, corpus(40), "quiet", SIX_OPS, event_logging={"enabled": False})
    assert datamill("run", "--config", path, "--job_id", "quiet") == 0
    utils = JobUtils("quiet", base_dir=tmp_path / "jobs")
    assert utils.load_event_logs() == []
    assert [p["status"] for p in utils.get_partition_status().values()] == ["completed", "completed"]
    with pytest.raises(JobNotFound) as caught:
        JobUtils("absent", base_dir=tmp_path / "jobs")
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, JobError)
    assert "datamill jobs --base-dir" in str(caught.value)


def test_list_running_jobs_and_stop_list_see_only_running_jobs(
    datamill, corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "jobs"
    done = jobproc.write_recipe(tmp_path, corpus(20), "done", SIX_OPS)
    assert datamill("run", "--config", done, "--job_id", "done") == 0
    proc = jobproc.start(
        jobproc.write_recipe(tmp_path, corpus(200), "busy", [*SIX_OPS, NAP]), "--job_id", "busy"
    )
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(base / "busy") >= 1, 60, proc)
        running = list_running_jobs(base)
        assert [j["job_id"] for j in running] == ["busy"] and running[0]["status"] == "running"
        assert running[0]["driver_pid"] == proc.pid
        capsys.readouterr()
        assert datamill("stop", "--list", "--base-dir", base) == 0
        listed = capsys.readouterr().out
        assert "done" not in listed
        assert [line.split()[:2] for line in listed.splitlines()] == [["job", "id"], ["busy", "running"]]
        assert datamill("stop", "busy", "--base-dir", base, "--timeout", "20") == 0
        assert proc.wait(timeout=10) == 130
    finally:
        jobproc.kill_group(proc)
    assert list_running_jobs(base) == []
    capsys.readouterr()
    assert datamill("stop", "--list", "--base-dir", base) == 0
    assert capsys.readouterr().out.strip() == "no running jobs"
