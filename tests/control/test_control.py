"""The monitor, the stopper and the job list, against real running jobs."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from datamill.control.jobs import list_running_jobs
from datamill.control.monitor import JobProgressMonitor, show_job_progress
from datamill.control.report import ProgressReport
from datamill.control.stopper import JobStopper, StopRefused, stop_job
from datamill.demo.recipe import SIX_OPS
from datamill.job.lock import JobLock
from tests.conftest import read_jsonl
from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.3}}


recipe = jobproc.write_recipe


def monitor_json(datamill, capsys, job: str, base: Path, *flags: str) -> dict:
    capsys.readouterr()
    assert datamill("monitor", job, "--base-dir", base, "--json", *flags) == 0
    data = json.loads(capsys.readouterr().out)
    ProgressReport.model_validate(data)  # the documented fields, no others
    return data


def test_monitor_follows_a_running_job_to_completion(datamill, corpus, tmp_path: Path, capsys) -> None:
    data = corpus(400)
    path = recipe(tmp_path, data, "watched", [*SIX_OPS, NAP], checkpoint={"strategy": "every_op"})
    base = tmp_path / "jobs"
    proc = jobproc.start(path, "--job_id", "watched_job_1")
    seen = []
    try:
        assert jobproc.wait_for(lambda: (base / "watched_job_1" / "job_summary.json").exists(), 60, proc)
        while proc.poll() is None:
            report = monitor_json(datamill, capsys, "watched", base, "--detailed")  # a prefix is enough
            seen.append(report["overall_progress"]["partitions_completed"])
            if report["job_overview"]["running"]:
                assert report["job_overview"]["driver_pid"] == proc.pid
            time.sleep(0.3)
    finally:
        jobproc.kill_group(proc) if proc.poll() is None else None
    assert proc.returncode == 0
    assert len(set(seen)) >= 3 and seen == sorted(seen), seen
    final = monitor_json(datamill, capsys, "watched", base, "--detailed")
    p = final["overall_progress"]
    assert final["job_overview"]["status"] == "completed" and not final["job_overview"]["running"]
    assert p["partitions_completed"] == p["partitions_total"] == 20 and p["progress_percentage"] == 100.0
    assert [m["name"] for m in final["operation_metrics"]][:6] == [next(iter(o)) for o in SIX_OPS]
    assert final["operation_metrics"][0]["rows_in"] == 400
    assert final["checkpoint_summary"]["saved"] == 20 * 6
    details = final["partition_status"]["partitions"]
    assert len(details) == 20 and all(d["status"] == "completed" and d["ops_done"] == 7 for d in details)
    assert final["event_log"]["skipped_lines"] == 0
    data_api = show_job_progress("watched_job_1", base_dir=base)
    assert data_api["overall_progress"]["job_status"] == "completed"


def test_stop_ends_a_running_job_and_resume_completes_it(datamill, corpus, tmp_path: Path, capsys) -> None:
    data = corpus(400)
    path = recipe(tmp_path, data, "stopped", [*SIX_OPS, NAP])
    base, job = tmp_path / "jobs", tmp_path / "jobs" / "stopped"
    proc = jobproc.start(path, "--job_id", "stopped")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job) >= 2, 60, proc)
        assert [j["job_id"] for j in list_running_jobs(base)] == ["stopped"]
        started = time.monotonic()
        assert datamill("stop", "stopped", "--base-dir", base, "--timeout", "20") == 0
        assert time.monotonic() - started < 20
        assert proc.wait(timeout=5) == 130
    finally:
        jobproc.kill_group(proc)
    assert "stopped gracefully" in capsys.readouterr().out
    assert jobproc.summary(job)["status"] == "stopped"
    assert list_running_jobs(base) == []
    assert datamill("run", "--config", path, "--job_id", "stopped") == 0
    fresh = recipe(tmp_path, data, "fresh", [*SIX_OPS, NAP])
    assert datamill("run", "--config", fresh, "--job_id", "fresh") == 0
    assert (tmp_path / "stopped.jsonl").read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()


def test_force_stop_kills_driver_and_workers_and_records_stopped(corpus, tmp_path: Path) -> None:
    data = corpus(200)
    path = recipe(tmp_path, data, "forced", [{"tests.job.user_ops:SlowMapper": {"delay_s": 30}}])
    base, job = tmp_path / "jobs", tmp_path / "jobs" / "forced"
    proc = jobproc.start(path, "--job_id", "forced")
    try:
        assert jobproc.wait_for(lambda: (job / "event_logs" / "events.jsonl").exists(), 60, proc)
        time.sleep(1.5)
        import psutil

        workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        assert workers
        result = stop_job("forced", base_dir=base, force=True)
        assert result["stopped"] and proc.pid in result["signalled_pids"]
        proc.wait(timeout=10)
        time.sleep(0.5)
        assert not any(psutil.pid_exists(w) and psutil.Process(w).status() != "zombie" for w in workers)
    finally:
        jobproc.kill_group(proc)
    assert jobproc.summary(job)["status"] == "stopped"


def test_a_reused_pid_is_never_signalled(datamill, corpus, tmp_path: Path, capsys) -> None:
    data = corpus(30)
    path = recipe(tmp_path, data, "stale", [SIX_OPS[0]])
    assert datamill("run", "--config", path, "--job_id", "stale") == 0
    job = tmp_path / "jobs" / "stale"
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        summary = json.loads((job / "job_summary.json").read_text())
        summary.update(status="running", driver_pid=stranger.pid)  # as after a crash and PID reuse
        (job / "job_summary.json").write_text(json.dumps(summary))
        capsys.readouterr()
        assert datamill("stop", "stale", "--base-dir", tmp_path / "jobs") == 1
        out = capsys.readouterr().out
        assert "not running" in out and f"PID {stranger.pid} belongs to another process" in out
        # Now someone holds the lock, but the recorded driver is the stranger.
        with JobLock(job / "job.lock", "stale"):
            holder = json.loads((job / "job.lock").read_text())
            holder["pid"] = stranger.pid
            (job / "job.lock").write_text(json.dumps(holder))
            with pytest.raises(StopRefused, match=f"process {stranger.pid} .*does not hold the job's lock"):
                JobStopper("stale", tmp_path / "jobs").stop_job(force=True)
        time.sleep(0.2)
        assert stranger.poll() is None, "the unrelated process was signalled"
    finally:
        stranger.kill()


def test_monitor_and_job_list_survive_garbage_in_the_event_log(
    datamill, corpus, tmp_path: Path, capsys
) -> None:
    data = corpus(100)
    path = recipe(tmp_path, data, "dirty", SIX_OPS)
    assert datamill("run", "--config", path, "--job_id", "dirty") == 0
    events = tmp_path / "jobs" / "dirty" / "event_logs" / "events.jsonl"
    clean = monitor_json(datamill, capsys, "dirty", tmp_path / "jobs")["event_log"]["events_read"]
    lines = events.read_text().splitlines(keepends=True)
    lines.insert(len(lines) // 2, "\x00\x01 garbage {{{\n")
    events.write_text("".join(lines) + '{"type": "PARTITION_COMPL')
    report = monitor_json(datamill, capsys, "dirty", tmp_path / "jobs")
    assert report["event_log"]["skipped_lines"] == 2 and report["event_log"]["torn_tail"]
    assert report["event_log"]["events_read"] == clean
    assert report["overall_progress"]["job_status"] == "completed"
    assert datamill("monitor", "dirty", "--base-dir", tmp_path / "jobs") == 0
    assert "2 unreadable line(s) skipped" in capsys.readouterr().out
    assert datamill("jobs", "--base-dir", tmp_path / "jobs", "--json") == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["job_id"] == "dirty" and row["status"] == "completed" and row["skipped_event_lines"] == 2


def test_rotated_logs_are_counted_whole(datamill, corpus, tmp_path: Path, capsys) -> None:
    data = corpus(300)
    path = recipe(
        tmp_path, data, "rot", SIX_OPS, event_logging={"max_log_size_mb": 0.01, "backup_count": 1000}
    )
    assert datamill("run", "--config", path, "--job_id", "rot") == 0
    log_dir = tmp_path / "jobs" / "rot" / "event_logs"
    files = list(log_dir.glob("events.jsonl*"))
    assert len(files) > 3
    written = sum(len(f.read_text().splitlines()) for f in files)
    report = monitor_json(datamill, capsys, "rot", tmp_path / "jobs")
    assert report["event_log"]["events_read"] == written
    assert report["event_log"]["by_type"]["PARTITION_COMPLETE"] == 15


def test_event_logging_off_breaks_nothing(datamill, corpus, tmp_path: Path, capsys) -> None:
    path = recipe(tmp_path, corpus(60), "quiet", SIX_OPS, event_logging={"enabled": False})
    assert datamill("run", "--config", path, "--job_id", "quiet") == 0
    assert not (tmp_path / "jobs" / "quiet" / "event_logs").exists()
    report = monitor_json(datamill, capsys, "quiet", tmp_path / "jobs")
    assert report["overall_progress"]["partitions_completed"] == 3
    assert report["event_log"]["events_read"] == 0 and not report["event_log"]["enabled"]
    assert read_jsonl(tmp_path / "quiet.jsonl")
    assert (
        JobProgressMonitor("quiet", tmp_path / "jobs").get_progress_data()["job_overview"]["job_id"]
        == "quiet"
    )
