"""The dashboard's JSON, streams and metrics against a real job, checked against its own files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from datamill.control.monitor import JobProgressMonitor
from datamill.control.report import ProgressReport
from datamill.dashboard.jobindex import JobIndex


def summary(base: Path) -> dict:
    return json.loads((base / "served" / "job_summary.json").read_text())


def test_jobs_list_reads_the_summaries(client: TestClient, finished: Path) -> None:
    rows = client.get("/api/jobs").json()
    s = summary(finished)
    assert [r["job_id"] for r in rows] == ["served"]
    row = rows[0]
    assert row["status"] == "completed" and not row["running"] and row["progress_percentage"] == 100.0
    assert row["samples_processed"] == s["counts"]["samples_read"] == 240
    assert row["samples_failed"] == s["counts"]["samples_quarantined"] > 0
    assert row["partitions_completed"] == s["counts"]["partitions_done"] == 12


def test_job_report_is_the_monitors_json(client: TestClient, finished: Path) -> None:
    served = client.get("/api/jobs/served").json()
    ProgressReport.model_validate(served)
    assert served == JobProgressMonitor("served", finished).get_progress_data()
    detailed = client.get("/api/jobs/served?detailed=1").json()
    assert len(detailed["partition_status"]["partitions"]) == 12


def test_state_has_grid_throughput_ops_and_failures(client: TestClient, finished: Path) -> None:
    state = client.get("/api/jobs/served/state").json()
    s = summary(finished)
    assert state["grid"]["codes"] == "c" * 12
    assert sum(n for _, n in state["throughput"]) == s["counts"]["samples_read"]
    ops = state["report"]["operation_metrics"]
    assert [(o["name"], o["rows_in"], o["rows_out"], o["rows_changed"]) for o in ops] == [
        (o["name"], o["rows_in"], o["rows_out"], o["rows_changed"]) for o in s["ops"]
    ]
    failures = state["failures"]
    assert failures["failed_records"] == s["counts"]["samples_quarantined"]
    (step,) = failures["by_step"]
    assert step["step"] == "tests.job.user_ops:FailOnMapper" and step["records"] == failures["failed_records"]
    failed = pq.read_table(finished / "served" / "failed_tokens.parquet").to_pydict()
    ids = set(map(str, failed[next(iter(failed))]))
    assert step["record_ids"] and set(step["record_ids"]) <= ids
    assert any("cannot handle" in m for m, _ in step["top_messages"])
    types = {e["type"] for e in state["events"]}
    assert {"JOB_START", "PARTITION_COMPLETE", "JOB_COMPLETE"} <= types


def test_events_filter_by_type_partition_and_op(client: TestClient) -> None:
    done = client.get("/api/jobs/served/events?type=PARTITION_COMPLETE").json()
    assert len(done) == 12 and {e["type"] for e in done} == {"PARTITION_COMPLETE"}
    pid = done[0]["partition_id"]
    mine = client.get(f"/api/jobs/served/events?partition={pid}&op=text_length_filter").json()
    assert mine and {(e["partition_id"], e["op_name"]) for e in mine} == {(pid, "text_length_filter")}


def test_one_partition_is_the_monitors_detail(client: TestClient, finished: Path) -> None:
    detailed = JobProgressMonitor("served", finished).get_progress_data(detailed=True)
    third = detailed["partition_status"]["partitions"][3]
    assert client.get("/api/jobs/served/partitions/3").json() == third
    assert client.get("/api/jobs/served/partitions/12").status_code == 404


def test_metrics_agree_with_the_summary(client: TestClient, finished: Path) -> None:
    s = summary(finished)
    assert client.get("/api/jobs/served/state").status_code == 200  # a page watches it: events count too
    text = client.get("/metrics").text
    samples = {
        (x.name, tuple(sorted(x.labels.items()))): x.value
        for family in text_string_to_metric_families(text)
        for x in family.samples
    }
    job = ("job_id", "served")

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted([job, *labels.items()])))]

    counts = s["counts"]
    assert value("datamill_job_samples_total", outcome="processed") == counts["samples_read"]
    assert value("datamill_job_samples_total", outcome="written") == counts["samples_written"]
    assert value("datamill_job_samples_total", outcome="failed") == counts["samples_quarantined"]
    assert value("datamill_job_partitions", state="completed") == counts["partitions_done"]
    assert value("datamill_job_partitions", state="pending") == 0
    assert value("datamill_job_partition_retries_total") == counts["partition_retries"]
    assert value("datamill_job_running") == 0
    assert value("datamill_job_info", status="completed") == 1
    saved = JobProgressMonitor("served", finished).report().checkpoint_summary.saved
    assert value("datamill_job_checkpoints_total", action="saved") == saved > 0


def test_metrics_speak_openmetrics_to_prometheus(client: TestClient) -> None:
    r = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    names = {f.name for f in openmetrics_families(r.text)}
    assert {"datamill_job_samples", "datamill_job_partitions", "datamill_job_progress_ratio"} <= names


@pytest.mark.parametrize("job", ["%2E%2E", "%2E", "nope", "serv", "..%2Fserved", "served%2F..", "a b", "~"])
def test_unknown_or_unsafe_ids_are_404(client: TestClient, job: str) -> None:
    for path in (f"/api/jobs/{job}", f"/api/jobs/{job}/state", f"/api/jobs/{job}/stream", f"/jobs/{job}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/jobs/{job}/stop", headers={"X-Datamill-Token": "test-token"}).status_code == 404


@pytest.mark.parametrize("job", ["..", ".", "", "../jobs/served", "/tmp", "served/..", "serv"])
def test_job_ids_are_checked_before_any_path_is_made(finished: Path, job: str) -> None:
    assert JobIndex(finished).job_dir(job) is None
    assert JobIndex(finished).job_dir("served") == finished / "served"


def test_a_job_directory_as_base_serves_that_job_only(finished: Path, tmp_path: Path) -> None:
    (finished / "other").mkdir(exist_ok=True)
    (finished / "other" / "job_summary.json").write_text("{}")
    try:
        index = JobIndex(finished / "served")
        assert [r["job_id"] for r in index.rows()] == ["served"]
        assert index.job_dir("other") is None and index.job_dir("served") == finished / "served"
    finally:
        (finished / "other" / "job_summary.json").unlink()
        (finished / "other").rmdir()


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    assert client.get("/api/jobs", headers={"Host": "evil.example"}).status_code == 400


def test_stream_starts_with_the_whole_state(client: TestClient) -> None:
    with client.stream("GET", "/api/jobs/served/stream") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        assert next(lines) == "event: state"
        data = json.loads(next(lines).removeprefix("data: "))
    assert data["grid"]["codes"] == "c" * 12 and data["report"]["job_overview"]["job_id"] == "served"
