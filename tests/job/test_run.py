"""End-to-end runs of `datamill run` on small datasets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datamill.demo.recipe import SIX_OPS
from tests.conftest import read_jsonl, write_jsonl


def summary_of(work_dir: Path, job_id: str) -> dict:
    return json.loads((work_dir / job_id / "job_summary.json").read_text())


def test_six_ops_on_a_pool_of_two(datamill, recipe_file, corpus, tmp_path: Path) -> None:
    data = corpus(3000)
    out = tmp_path / "out" / "clean.jsonl"
    recipe = recipe_file(
        dataset_path=str(data), export_path=str(out), np=2, partition={"size": 250}, process=SIX_OPS
    )
    assert datamill("run", "--config", recipe, "--job_id", "j1") == 0
    summary = summary_of(tmp_path / "jobs", "j1")
    assert summary["status"] == "completed"
    assert summary["counts"]["partitions_total"] == summary["counts"]["partitions_done"] == 12
    assert summary["counts"]["samples_read"] == 3000
    rows = read_jsonl(out)
    assert summary["counts"]["samples_written"] == len(rows) < 3000
    assert [op["name"] for op in summary["ops"]] == [next(iter(o)) for o in SIX_OPS]
    assert summary["ops"][-1]["rows_out"] == len(rows)
    assert "--job_id j1" in summary["resume_command"] and str(recipe) in summary["resume_command"]
    for key in ("start_time", "end_time", "duration_seconds", "config_hash", "driver_pid", "startup_seconds"):
        assert summary[key]  # startup: when a worker got the first partition
    urls = [r["url"] for r in rows]
    source_order = [json.loads(line)["url"] for line in data.read_text().splitlines()]
    assert urls == [u for u in source_order if u in set(urls)], "output is not in input order"
    layout = tmp_path / "jobs" / "j1"
    assert (layout / "metadata" / "partitions.json").exists()
    assert (layout / "config.yaml").exists()
    assert len(list((layout / "results").glob("*.commit"))) == 12


def test_generated_job_id_has_the_documented_shape(datamill, recipe_file, corpus, tmp_path: Path) -> None:
    recipe = recipe_file(name="my_recipe", dataset_path=str(corpus(50)), process=[{"text_length_filter": {}}])
    assert datamill("run", "--config", recipe) == 0
    (job_dir,) = (tmp_path / "jobs").iterdir()
    assert re.fullmatch(r"\d{8}_\d{6}_my_recipe_[0-9a-f]{6}", job_dir.name)
    assert (job_dir / "output.jsonl").exists()


def test_rerun_skips_committed_partitions_and_removes_leftovers(
    datamill, recipe_file, corpus, tmp_path: Path
) -> None:
    out = tmp_path / "clean.jsonl"
    recipe = recipe_file(
        dataset_path=str(corpus(400)), export_path=str(out), partition={"size": 100}, process=SIX_OPS
    )
    assert datamill("run", "--config", recipe, "--job_id", "again") == 0
    first = out.read_bytes()
    results = tmp_path / "jobs" / "again" / "results"
    (results / "part-000009_deadbeef_0-1.jsonl").write_text("garbage from a crash")
    (results / ".tmp-part-x").write_text("half written")
    assert datamill("run", "--config", recipe, "--job_id", "again") == 0
    summary = summary_of(tmp_path / "jobs", "again")
    assert summary["counts"]["partitions_skipped"] == 4
    assert out.read_bytes() == first
    assert not (results / "part-000009_deadbeef_0-1.jsonl").exists()
    assert not (results / ".tmp-part-x").exists()


@pytest.mark.parametrize("np_", [1, 2])
def test_parquet_and_directory_exports(datamill, recipe_file, corpus, tmp_path: Path, np_: int) -> None:
    data = corpus(500)
    ops = [{"words_num_filter": {"min_num": 20}}]
    merged = tmp_path / "clean.parquet"
    recipe = recipe_file(
        dataset_path=str(data), export_path=str(merged), np=np_, partition={"size": 100}, process=ops
    )
    assert datamill("run", "--config", recipe, "--job_id", f"pq{np_}") == 0
    as_parquet = pq.read_table(merged).to_pylist()
    parts = tmp_path / "parts"
    recipe = recipe_file(
        dataset_path=str(data), export_path=str(parts), np=np_, partition={"size": 100}, process=ops
    )
    assert datamill("run", "--config", recipe, "--job_id", f"dir{np_}") == 0
    files = sorted(parts.glob("part-*.jsonl"))
    assert len(files) == 5
    as_parts = [row for f in files for row in read_jsonl(f)]
    assert as_parquet == as_parts
    assert set(as_parts[0]) == {"text", "url", "timestamp"}


def test_keep_stats_gives_data_juicer_stats_column(datamill, recipe_file, tmp_path: Path) -> None:
    data = write_jsonl(
        tmp_path / "d.jsonl", [{"text": "one two three four five six seven eight nine ten eleven"}]
    )
    out = tmp_path / "o.jsonl"
    ops = [{"text_length_filter": {}}, {"words_num_filter": {}}]
    recipe = recipe_file(dataset_path=str(data), export_path=str(out), keep_stats_in_res_ds=True, process=ops)
    assert datamill("run", "--config", recipe) == 0
    (row,) = read_jsonl(out)
    assert row["__dj__stats__"] == {"text_len": 55, "num_words": 11}


def test_bad_rows_do_not_stop_the_job_and_are_reported(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "good one"},
            "{not json",
            {"body": "no text"},
            {"text": ["not", "a", "string"]},
            {"text": "good two"},
        ],
    )
    out = tmp_path / "o.jsonl"
    recipe = recipe_file(
        dataset_path=str(data),
        export_path=str(out),
        partition={"size": 2},
        process=[{"clean_email_mapper": {}}],
    )
    assert datamill("run", "--config", recipe, "--job_id", "bad") == 0
    assert [r["text"] for r in read_jsonl(out)] == ["good one", "good two"]
    summary = summary_of(tmp_path / "jobs", "bad")
    assert summary["counts"]["samples_bad"] == 3
    assert [(r["line"], r["file"]) for r in summary["bad_rows"]["examples"]] == [
        (2, "d.jsonl"),
        (3, "d.jsonl"),
        (4, "d.jsonl"),
    ]
    assert len(read_jsonl(Path(summary["bad_rows"]["file"]))) == 3
    stdout = capsys.readouterr().out
    assert "d.jsonl line 2: malformed JSON" in stdout
    assert "d.jsonl line 4: 'text' is a list, not a string" in stdout


def test_user_op_by_import_path(datamill, recipe_file, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "hi"}])
    out = tmp_path / "o.jsonl"
    ops = [{"tests.job.user_ops:ShoutMapper": {"suffix": "?!"}}]
    recipe = recipe_file(dataset_path=str(data), export_path=str(out), process=ops)
    assert datamill("run", "--config", recipe) == 0
    assert read_jsonl(out) == [{"text": "HI?!"}]


@pytest.mark.parametrize(
    ("dataset", "message"),
    [("nowhere/missing.jsonl", "does not exist"), ("empty.jsonl", "no rows")],
)
def test_bad_input_fails_before_any_work(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: str, message: str
) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    recipe = recipe_file(dataset_path=str(tmp_path / dataset), process=[{"text_length_filter": {}}])
    assert datamill("run", "--config", recipe, "--job_id", "nope") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "jobs" / "nope" / "results").exists()


def test_a_sample_an_op_raises_on_is_set_aside(datamill, recipe_file, tmp_path: Path) -> None:
    rows = [{"text": f"row {i}"} for i in range(9)] + [{"text": "boom"}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "o.jsonl"
    ops = [{"tests.job.user_ops:FailOnMapper": {}}]
    recipe = recipe_file(
        dataset_path=str(data), export_path=str(out), np=2, partition={"size": 5}, process=ops
    )
    assert datamill("run", "--config", recipe, "--job_id", "q") == 0
    summary = summary_of(tmp_path / "jobs", "q")
    assert summary["counts"]["samples_quarantined"] == 1
    assert [r["text"] for r in read_jsonl(out)] == [f"row {i}" for i in range(9)]
    (marker,) = [
        json.loads(p.read_text())
        for p in (tmp_path / "jobs" / "q" / "results").glob("*.commit")
        if "_5-10" in p.name
    ]
    (aside,) = marker["quarantined"]
    assert aside["id"] == "d.jsonl#9" and aside["step"] == "tests.job.user_ops:FailOnMapper"
    assert "cannot handle 'boom'" in aside["error_msg"] and aside["batch_num"] == 1


def test_fail_partition_mode_fails_the_partition_and_the_rest_goes_on(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"text": f"row {i}"} for i in range(9)] + [{"text": "boom"}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "o.jsonl"
    ops = [{"tests.job.user_ops:FailOnMapper": {}}]
    recipe = recipe_file(
        dataset_path=str(data),
        export_path=str(out),
        np=2,
        partition={"size": 5},
        fault_tolerance={"on_sample_error": "fail_partition", "retry_delay_s": 0},
        process=ops,
    )
    assert datamill("run", "--config", recipe, "--job_id", "f") == 1
    summary = summary_of(tmp_path / "jobs", "f")
    assert summary["status"] == "completed_with_failures"
    assert summary["counts"]["partitions_failed"] == 1
    (failure,) = summary["failed_partitions"]
    assert "cannot handle 'boom'" in failure["error"] and failure["attempts"] == 1  # terminal: not retried
    assert [r["text"] for r in read_jsonl(out)] == [f"row {i}" for i in range(5)]
    assert "to retry: datamill run" in capsys.readouterr().out


def test_a_data_juicer_recipe_runs_unchanged(datamill, tmp_path: Path) -> None:
    data = write_jsonl(
        tmp_path / "demo.jsonl", [{"content": "Visit https://x.org/a now, mail me@x.org please ok"}]
    )
    recipe = tmp_path / "dj.yaml"
    recipe.write_text(
        f"""
project_name: 'dj-demo'
dataset_path: '{data}'
np: 1
text_keys: 'content'
export_path: '{tmp_path}/out/result.jsonl'
work_dir: '{tmp_path}/jobs'
use_cache: false
open_tracer: false
ds_cache_dir: '/tmp/unused'
executor_type: default
process:
  - clean_links_mapper:
  - clean_email_mapper:
      repl: '<EMAIL>'
  - whitespace_normalization_mapper:
  - text_length_filter:
      min_len: 5
      max_len: 10000
  - words_num_filter:
      lang: en
      tokenization: false
      min_num: 3
"""
    )
    assert datamill("run", "--config", recipe) == 0
    assert read_jsonl(tmp_path / "out" / "result.jsonl") == [
        {"content": "Visit  now, mail <EMAIL> please ok"}
    ]
