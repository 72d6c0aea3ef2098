"""Event levels, ``event_logging.level``, and the events seed 001 lists, in real jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from datamill.config.loader import load_recipe
from datamill.config.models import EventLoggingConfig
from datamill.demo.recipe import SIX_OPS
from datamill.errors import ConfigError
from datamill.events import EventLog, EventType
from datamill.events.read import EventReader
from datamill.events.stats import EventStats
from datamill.events.types import LEVELS, NOTE_TYPES, STATE_TYPES, Level
from datamill.job.driver import RunRequest, run_job

SEED_001_TYPES = (
    "JOB_START JOB_COMPLETE JOB_FAILED PARTITION_START PARTITION_COMPLETE PARTITION_FAILED "
    "OP_START OP_COMPLETE OP_FAILED CHECKPOINT_SAVE CHECKPOINT_LOAD PROCESSING_START "
    "PROCESSING_COMPLETE PROCESSING_ERROR RESOURCE_USAGE PERFORMANCE_METRIC WARNING INFO DEBUG"
).split()


def read_events(job_dir: Path) -> list[dict[str, Any]]:
    path = job_dir / "event_logs" / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_at(tmp_path: Path, data: Path, level: str | None, job_id: str, **keys: Any) -> int:
    """Run a job with ``event_logging.level`` set to ``level`` (None: the default)."""
    raw = {
        "job_id": job_id,
        "dataset_path": str(data),
        "export_path": str(tmp_path / f"{job_id}.jsonl"),
        "work_dir": str(tmp_path / "jobs"),
        "np": 2,
        "partition": {"size": 100},
        "checkpoint": {"strategy": "every_op"},
        "process": SIX_OPS[:3],
        **keys,
    }
    recipe = load_recipe(None, raw=raw)
    if level is not None:  # (until the config model has the field, set it on the loaded section)
        logging = recipe.event_logging.model_copy(update={"level": level})
        recipe = recipe.model_copy(update={"event_logging": logging})
    return run_job(RunRequest(recipe, "levels"), Console(stderr=True, quiet=True)).exit_code


def test_every_documented_type_exists_and_has_a_level() -> None:
    names = {t.value for t in EventType}
    assert set(SEED_001_TYPES) <= names
    assert set(LEVELS) == names
    assert LEVELS["OP_FAILED"] is LEVELS["PROCESSING_ERROR"] is LEVELS["JOB_FAILED"] is Level.ERROR
    assert LEVELS["WARNING"] is LEVELS["PARTITION_RETRY"] is Level.WARNING
    assert LEVELS["DEBUG"] is Level.DEBUG and LEVELS["OP_START"] is Level.INFO
    assert {EventType.OP_START, EventType.OP_COMPLETE, EventType.JOB_START} <= STATE_TYPES
    assert not NOTE_TYPES & STATE_TYPES


@pytest.mark.parametrize(
    ("level", "written"),
    [
        ("DEBUG", {"OP_START", "OP_FAILED", "WARNING", "INFO", "DEBUG", "PERFORMANCE_METRIC"}),
        ("INFO", {"OP_START", "OP_FAILED", "WARNING", "INFO", "PERFORMANCE_METRIC"}),
        ("WARNING", {"OP_START", "OP_FAILED", "WARNING"}),
    ],
)
def test_the_level_leaves_out_notes_only(tmp_path: Path, level: str, written: set[str]) -> None:
    log = EventLog(tmp_path, "j", EventLoggingConfig(), level=level)
    for kind in ("OP_START", "OP_FAILED", "WARNING", "INFO", "DEBUG", "PERFORMANCE_METRIC"):
        log.emit(kind, partition_id="p", op_name="x", error_type="E", error_message="m", message="n")
    log.close()
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert {e["type"] for e in events} == written
    assert all(e["level"] == LEVELS[e["type"]].value for e in events)
    human = (tmp_path / "events.log").read_text().splitlines()
    assert len(human) == len(events)
    failed = next(line for line in human if "OP_FAILED" in line)
    assert " ERROR " in failed and "error_type=E" in failed and "| m" in failed


def test_an_unknown_level_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        EventLog(tmp_path, "j", EventLoggingConfig(), level="CHATTY")
    assert "event_logging.level 'CHATTY'" in str(caught.value)
    assert "DEBUG, INFO, WARNING" in str(caught.value)


def test_a_job_logs_its_phases_in_order(tmp_path: Path, corpus) -> None:
    assert run_at(tmp_path, corpus(500), None, "order") == 0
    events = read_events(tmp_path / "jobs" / "order")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "JOB_START" and kinds[-1] == "JOB_COMPLETE"
    assert kinds.count("JOB_START") == 1 and "JOB_RESUME" not in kinds
    start, end = kinds.index("PROCESSING_START"), kinds.index("PROCESSING_COMPLETE")
    partition_events = [i for i, k in enumerate(kinds) if k.startswith(("PARTITION_", "OP_", "CHECKPOINT_"))]
    assert start < min(partition_events) and max(partition_events) < end
    assert all(e["epoch"] >= events[0]["epoch"] for e in events), "an event predates JOB_START"
    done = events[end]
    assert (done["partitions"], done["partitions_done"], done["partitions_failed"]) == (5, 5, 0)
    assert done["duration_s"] > 0 and done["message"] == "finished"
    notes = [e["message"] for e in events if e["type"] == "INFO"]
    assert notes[0].startswith("plan: 5 partitions of at most 100 rows")
    assert any(n.startswith("exported to ") for n in notes)
    assert "DEBUG" not in kinds  # the default level is INFO
    assert all(e["level"] == LEVELS[e["type"]].value for e in events)


def test_a_resumed_run_starts_with_job_start_then_says_what_it_resumes(tmp_path: Path, corpus) -> None:
    data = corpus(400)
    assert run_at(tmp_path, data, None, "again") == 0
    results = tmp_path / "jobs" / "again" / "results"
    (marker, *_) = sorted(results.glob("*.commit"))
    marker.unlink()  # as if the first run had been killed before this partition committed
    first_run = len(read_events(tmp_path / "jobs" / "again"))
    assert run_at(tmp_path, data, None, "again") == 0
    events = read_events(tmp_path / "jobs" / "again")[first_run:]
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["JOB_START", "JOB_RESUME"] and kinds[-1] == "JOB_COMPLETE"
    assert "3 partitions committed by earlier runs are kept" in events[1]["message"]
    processing = events[kinds.index("PROCESSING_COMPLETE")]
    assert (processing["partitions"], processing["partitions_done"]) == (1, 1)


def test_level_warning_writes_no_notes_and_everything_the_monitor_reads(tmp_path: Path, corpus) -> None:
    data = corpus(500)
    assert run_at(tmp_path, data, "WARNING", "quiet") == 0
    assert run_at(tmp_path, data, None, "normal") == 0
    quiet, normal = read_events(tmp_path / "jobs" / "quiet"), read_events(tmp_path / "jobs" / "normal")
    assert not {e["type"] for e in quiet} & {"INFO", "DEBUG", "PERFORMANCE_METRIC"}
    assert {"INFO", "PERFORMANCE_METRIC"} <= {e["type"] for e in normal}
    state = [e["type"] for e in normal if e["type"] in {t.value for t in STATE_TYPES} - {"RESOURCE_USAGE"}]
    assert sorted(state) == sorted(e["type"] for e in quiet if e["type"] != "RESOURCE_USAGE")
    folded = []
    for job in ("quiet", "normal"):
        stats = EventStats()
        stats.update(EventReader(tmp_path / "jobs" / job / "event_logs" / "events.jsonl").read_new())
        folded.append(stats)
    assert folded[0].status_counts == folded[1].status_counts == {"pending": 0, "completed": 5}
    assert [(o.name, o.rows_in, o.rows_out) for o in folded[0].ops.values()] == [
        (o.name, o.rows_in, o.rows_out) for o in folded[1].ops.values()
    ]
    assert folded[0].checkpoints_saved == folded[1].checkpoints_saved > 0


def test_level_debug_adds_a_note_per_partition(tmp_path: Path, corpus) -> None:
    assert run_at(tmp_path, corpus(300), "debug", "loud") == 0
    debug = [e for e in read_events(tmp_path / "jobs" / "loud") if e["type"] == "DEBUG"]
    assert [e["rows_in"] for e in debug] == [100, 100, 100]
    assert debug[0]["message"].startswith("rows 0-100, bytes 0-") and debug[0]["level"] == "DEBUG"


def test_an_error_that_stops_the_job_ends_processing_with_processing_error(tmp_path: Path, corpus) -> None:
    op = {
        "tests.job.user_ops:RaiseOnceMapper": {
            "kind": "ModuleNotFoundError",
            "count": str(tmp_path / "n"),
            "where": "run",
        }
    }
    with pytest.raises(ConfigError, match="nowhere"):  # (the CLI prints it and exits 2)
        run_at(tmp_path, corpus(100), None, "broken", process=[op], np=1)
    events = read_events(tmp_path / "jobs" / "broken")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "JOB_START" and kinds[-2:] == ["PROCESSING_ERROR", "JOB_FAILED"]
    error = events[-2]
    assert error["level"] == "ERROR" and error["error_type"] == "ConfigError"
    assert (error["partitions"], error["partitions_done"]) == (1, 0)
    assert "PROCESSING_COMPLETE" not in kinds


def test_op_failed_events_are_counted_in_the_summary(tmp_path: Path, corpus) -> None:
    """Whatever OP_FAILED events the workers send (one each time an op raises),
    the summary counts them, and so does each partition's final report entry."""
    op = {"tests.job.user_ops:FlakyMapper": {"every": 10}}
    assert run_at(tmp_path, corpus(300), None, "flaky", process=[op]) == 0
    job = tmp_path / "jobs" / "flaky"
    failed = [e for e in read_events(job) if e["type"] == "OP_FAILED"]
    assert all(e["level"] == "ERROR" and e["partition_id"] and e["op_name"] for e in failed)
    summary = json.loads((job / "job_summary.json").read_text())
    assert summary["counts"]["op_failures"] == len(failed)
    assert summary["counts"]["samples_quarantined"] > 0  # the samples are still set aside
    report = json.loads((job / "metadata" / "final_mapping_report.json").read_text())
    assert sum(p["op_failures"] for p in report["partitions"]) == len(failed)
