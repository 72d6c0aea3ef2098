"""The monitor's report is right however the log rotated, lists every partition,
and says in plain text what seed 001's example output says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datamill.control.monitor import JobProgressMonitor
from datamill.demo.recipe import SIX_OPS
from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.3}}


def monitor_json(datamill, capsys: pytest.CaptureFixture[str], job: str, base: Path, *flags: str) -> dict:
    capsys.readouterr()
    assert datamill("monitor", job, "--base-dir", base, "--json", *flags) == 0
    return json.loads(capsys.readouterr().out)


def module(name: str, *args: object) -> subprocess.CompletedProcess[str]:
    """``python -m datamill.control.NAME ARGS``, its output piped (not a terminal)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(jobproc.REPO / "src"), str(jobproc.REPO)])}
    cmd = [sys.executable, "-m", f"datamill.control.{name}", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_ops_table_matches_the_summary_after_the_log_rotated_away(
    datamill, corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logging = {"max_log_size_mb": 0.004, "backup_count": 1}
    path = jobproc.write_recipe(tmp_path, corpus(400), "rot", SIX_OPS, event_logging=logging)
    assert datamill("run", "--config", path, "--job_id", "rot") == 0
    events = sorted((tmp_path / "jobs" / "rot" / "event_logs").glob("events.jsonl*"))
    assert len(events) == 2
    kept = [json.loads(line) for f in events for line in f.read_text().splitlines()]
    assert sum(e["type"] == "PARTITION_COMPLETE" for e in kept) < 20  # most of the log is gone

    report = monitor_json(datamill, capsys, "rot", tmp_path / "jobs", "--detailed")
    summary = jobproc.summary(tmp_path / "jobs" / "rot")
    ops = report["operation_metrics"]
    assert [(m["index"], m["name"]) for m in ops] == [(o["index"], o["name"]) for o in summary["ops"]]
    for mine, theirs in zip(ops, summary["ops"], strict=True):
        assert (mine["rows_in"], mine["rows_out"], mine["rows_failed"]) == (
            theirs["rows_in"],
            theirs["rows_out"],
            theirs["rows_failed"],
        )
        assert mine["rows_removed"] == theirs["rows_removed"] and mine["runs"] == 20
        assert mine["seconds"] == pytest.approx(theirs["seconds"], abs=0.02)
    assert ops[0]["rows_in"] == 400
    details = report["partition_status"]["partitions"]
    assert len(details) == 20 and all(d["status"] == "completed" and d["ops_done"] == 6 for d in details)
    assert sum(d["samples"] for d in details) == 400
    assert sum(d["rows_out"] for d in details) == summary["counts"]["samples_written"]


def test_detailed_lists_pending_partitions_compactly_with_timings_and_checkpoints(
    datamill, corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = jobproc.write_recipe(
        tmp_path,
        corpus(600),
        "half",
        [*SIX_OPS, NAP],
        partition={"size": 10},
        checkpoint={"strategy": "every_n_ops", "n_ops": 3},
    )
    base, job = tmp_path / "jobs", tmp_path / "jobs" / "half"
    proc = jobproc.start(path, "--job_id", "half")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job) >= 3, 60, proc)
        assert datamill("stop", "half", "--base-dir", base, "--timeout", "20") == 0
        assert proc.wait(timeout=10) == 130
    finally:
        jobproc.kill_group(proc)

    report = monitor_json(datamill, capsys, "half", base, "--detailed")
    details = report["partition_status"]["partitions"]
    assert len(details) == 60 and [d["index"] for d in details] == list(range(60))
    done = [d for d in details if d["status"] == "completed"]
    pending = [d for d in details if d["status"] == "pending"]
    assert len(done) == report["overall_progress"]["partitions_completed"] >= 3
    assert len(done) + len(pending) == 60 and len(pending) > 50
    assert all(d["samples"] == 10 and d["ops"] is None for d in pending)
    for d in done:
        assert [m["name"] for m in d["ops"]] == [
            *(next(iter(o)) for o in SIX_OPS),
            "tests.job.user_ops:SlowMapper",
        ]
        assert all(m["seconds"] > 0 and m["rows_per_second"] for m in d["ops"])
        assert [c["op_index"] for c in d["checkpoint_saves"]] == [2, 5]
        assert d["checkpoints"] == 2 and d["seconds"] > 0
    by_op = report["checkpoint_summary"]["by_op"]
    assert [(c["op_index"], c["op_name"]) for c in by_op] == [
        (2, "whitespace_normalization_mapper"),
        (5, "words_num_filter"),
    ]
    assert report["job_overview"]["partition_size"] == 10

    capsys.readouterr()
    assert datamill("monitor", "half", "--base-dir", base, "--detailed") == 0
    text = capsys.readouterr().out
    first = pending[0]["index"]
    assert f"   pending: {len(pending)} partitions (plan positions {first}-59)" in text
    assert "(000000_" in text and "op 6 tests.job.user_ops:SlowMapper: " in text and " rows/s" in text
    assert "checkpoint after op 5 words_num_filter: " in text
    assert "to resume: datamill run --config" in text


def test_piped_output_is_plain_and_maps_to_the_documents_example(corpus, tmp_path: Path) -> None:
    path = jobproc.write_recipe(
        tmp_path, corpus(300), "doc", SIX_OPS, checkpoint={"strategy": "every_n_ops", "n_ops": 2}
    )
    run = subprocess.run(
        [sys.executable, "-m", "datamill", "run", "--config", path, "--job_id", "doc_job"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(jobproc.REPO / "src"), str(jobproc.REPO)])},
        timeout=300,
    )
    assert run.returncode == 0, run.stdout
    done = module("monitor", "doc_job", "--base-dir", tmp_path / "jobs")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    summary = jobproc.summary(tmp_path / "jobs" / "doc_job")
    # Seed 001's example, fact by fact: job overview, overall progress, partitions, checkpoints.
    for fact in (
        "job id: doc_job",
        "   status: completed",
        f"   dataset: {tmp_path / 'data'}",
        "   total samples: 300",
        "   partition size: 20 samples",
        f"   start time: {summary['start_time'][:10]} ",
        "   duration: ",
        "   progress: 100.0% (15/15 partitions)",
        "   partitions: 15 completed, 0 running, 0 failed, 0 pending",
        "   samples: 300/300 processed",
        "   partition 0: completed, samples 20, 6 ops done, 2 checkpoints saved",
        "   partition 14: completed, samples 20, 6 ops done, 2 checkpoints saved",
        "   total checkpoints: 30 saved",
    ):
        assert fact in out, fact
    assert "\x1b[" not in out and "…" not in out  # no colours, nothing cut short in a pipe
    assert "   2  whitespace_normalization_mapper  " in out
    assert max(map(len, out.splitlines())) > 80  # wider than the 80 columns rich assumes for a pipe


def test_monitor_refreshes_on_every_call_and_a_missing_job_is_file_not_found(corpus, tmp_path: Path) -> None:
    path = jobproc.write_recipe(tmp_path, corpus(200), "live", [*SIX_OPS, NAP])
    base = tmp_path / "jobs"
    proc = jobproc.start(path, "--job_id", "live")
    try:
        assert jobproc.wait_for(lambda: (base / "live" / "job_summary.json").exists(), 60, proc)
        monitor = JobProgressMonitor("live", base_dir=base)
        first = monitor.get_progress_data()["overall_progress"]
        assert proc.wait(timeout=120) == 0
    finally:
        jobproc.kill_group(proc)
    assert first["job_status"] == "running" and first["progress_percentage"] < 100
    last = monitor.get_progress_data()["overall_progress"]
    assert last["job_status"] == "completed" and last["progress_percentage"] == 100.0
    with pytest.raises(FileNotFoundError, match="No job 'nothing'"):
        JobProgressMonitor("nothing", base_dir=base)


def test_python_m_monitor_and_stopper_are_the_cli(datamill, corpus, tmp_path: Path) -> None:
    path = jobproc.write_recipe(tmp_path, corpus(40), "mod", SIX_OPS)
    assert datamill("run", "--config", path, "--job_id", "mod") == 0
    base = tmp_path / "jobs"
    shown = module("monitor", "mod", "--base-dir", base, "--detailed")
    assert shown.returncode == 0 and "   status: completed" in shown.stdout
    assert "   partition 1 (000001_" in shown.stdout
    watched = module("monitor", "mod", "--base-dir", base, "--watch", "--interval", "0.1")
    assert watched.returncode == 0 and watched.stdout.count("   status: completed") == 1
    missing = module("monitor", "nope", "--base-dir", base)
    assert missing.returncode == 1 and "No job 'nope'" in missing.stderr and "Traceback" not in missing.stderr
    listed = module("stopper", "--list", "--base-dir", base)
    assert listed.returncode == 0 and listed.stdout.strip() == "no running jobs"
    idle = module("stopper", "mod", "--base-dir", base, "--timeout", "5")
    assert idle.returncode == 1 and "is not running" in idle.stdout
    bare = module("stopper")
    assert bare.returncode == 2 and "or --list" in bare.stderr
