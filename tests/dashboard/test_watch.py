"""Live updates carry only what changed, and a page that fell behind gets the whole state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datamill.config.models import EventLoggingConfig
from datamill.dashboard import watch as watch_module
from datamill.dashboard.watch import JobWatch
from datamill.events import EventLog, EventType
from datamill.job.lock import JobLock


def pid(i: int) -> str:
    return f"{i:06d}_3fa2b1c9_{i * 10}-{i * 10 + 10}"


@pytest.fixture
def job(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A running job of 8 partitions (this test holds its lock) and its event writer."""
    job = tmp_path / "jobs" / "live"
    (job / "event_logs").mkdir(parents=True)
    summary = {
        "job_id": "live",
        "status": "running",
        "event_log_dir": str(job / "event_logs"),
        "counts": {"partitions_total": 8, "samples_total": 80},
    }
    (job / "job_summary.json").write_text(json.dumps(summary))
    log = EventLog(job / "event_logs", "live", EventLoggingConfig())
    with JobLock(job / "job.lock", "live"):
        yield job, log
    log.close()


def test_updates_carry_only_what_changed(job) -> None:  # type: ignore[no-untyped-def]
    job_dir, log = job
    watch = JobWatch(job_dir)
    assert watch.state()["grid"]["codes"] == "p" * 8
    start = watch.seq
    assert watch.poll(force=True) == start  # nothing new: no update

    log.emit(EventType.PARTITION_START, partition_id=pid(3), attempt=1, rows_in=10)
    log.emit(EventType.OP_START, partition_id=pid(3), attempt=1, op_name="clean_links_mapper", op_index=0)
    first = watch.poll(force=True)
    change = watch.since(start)
    assert change is not None and change["seq"] == first
    assert change["grid_changes"] == {"states": {3: "r"}, "ops": {3: "clean_links_mapper"}}
    assert [e["type"] for e in change["events"]] == ["PARTITION_START", "OP_START"]
    assert "throughput" not in change

    log.emit(EventType.PARTITION_COMPLETE, partition_id=pid(3), attempt=1, rows_in=10, rows_out=9, at=1000.5)
    log.emit(EventType.PARTITION_RETRY, partition_id=pid(5), attempt=1, error_type="WorkerDied")
    log.emit(EventType.RESOURCE_USAGE, cpu_percent=5.0, memory_mb=100.0, workers=2, at=1001.0)
    second = watch.poll(force=True)
    change = watch.since(first)
    assert change is not None and change["seq"] == second
    assert change["grid_changes"] == {"states": {3: "c", 5: "t"}, "ops": {3: None}}
    assert change["throughput"] == [[1000, 10]]
    assert change["resources"][0][:3] == [1001.0, 5.0, 100.0]
    assert [e["type"] for e in change["events"]] == [
        "PARTITION_COMPLETE",
        "PARTITION_RETRY",
        "RESOURCE_USAGE",
    ]

    merged = watch.since(start)  # a page two updates behind gets both, merged
    assert merged is not None and merged["grid_changes"]["states"] == {3: "c", 5: "t"}
    assert len(merged["events"]) == 5
    assert watch.state()["grid"]["codes"] == "pppcptpp"


def test_a_page_too_far_behind_gets_none_and_reloads_the_state(job, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    job_dir, log = job
    monkeypatch.setattr(watch_module, "KEEP_UPDATES", 3)
    watch = JobWatch(job_dir)
    start = watch.seq
    for i in range(5):
        log.emit(EventType.PARTITION_START, partition_id=pid(i), attempt=1)
        watch.poll(force=True)
    assert watch.seq == start + 5
    assert watch.since(start) is None
    assert watch.since(start + 2) is not None
    assert watch.since(watch.seq) == {"seq": watch.seq}
    assert watch.state()["grid"]["codes"] == "rrrrrppp"


def test_a_stopped_job_shows_its_running_partitions_as_pending(tmp_path: Path) -> None:
    job_dir = tmp_path / "jobs" / "ended"
    (job_dir / "event_logs").mkdir(parents=True)
    summary = {
        "status": "stopped",
        "event_log_dir": str(job_dir / "event_logs"),
        "counts": {"partitions_total": 3},
    }
    (job_dir / "job_summary.json").write_text(json.dumps(summary))
    log = EventLog(job_dir / "event_logs", "ended", EventLoggingConfig())
    log.emit(EventType.PARTITION_START, partition_id=pid(1), attempt=1)
    log.emit(EventType.PARTITION_FAILED, partition_id=pid(2), attempt=4)
    log.close()
    assert JobWatch(job_dir).state()["grid"]["codes"] == "ppf"


def test_failures_are_read_again_when_the_summary_counts_more(job, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    job_dir, log = job
    reads: list[int] = []

    def fake(job_dir: Path, summary: dict) -> dict:
        reads.append(summary["counts"].get("samples_quarantined", 0))
        return {"read": len(reads)}

    monkeypatch.setattr(watch_module, "failures_by_step", fake)
    monkeypatch.setattr(watch_module, "FAILURES_EVERY_S", 0.0)
    watch = JobWatch(job_dir)
    assert watch.state()["failures"] == {"read": 1}
    log.emit(EventType.PARTITION_START, partition_id=pid(0), attempt=1)
    watch.poll(force=True)
    assert reads == [0]  # the same counts: not read again
    summary = json.loads((job_dir / "job_summary.json").read_text())
    summary["counts"]["samples_quarantined"] = 7
    (job_dir / "job_summary.json").write_text(json.dumps(summary))
    seen = watch.seq
    watch.poll(force=True)  # starts the read in the background
    assert watch._failures_thread is not None
    watch._failures_thread.join(10)
    log.emit(EventType.PARTITION_START, partition_id=pid(1), attempt=1)
    watch.poll(force=True)
    change = watch.since(seen)
    assert reads == [0, 7] and change is not None and change["failures"] == {"read": 2}
