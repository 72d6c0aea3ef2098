"""Checks before any partition runs: one message and exit 2, never a retry storm."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import read_jsonl, write_jsonl


def events(job_dir: Path) -> list[str]:
    path = job_dir / "event_logs" / "events.jsonl"
    return [json.loads(line)["type"] for line in path.read_text().splitlines()] if path.exists() else []


def tokens(path: Path, n: int) -> Path:
    pq.write_table(pa.table({"scene_token": [f"t{i}" for i in range(n)], "n": list(range(n))}), path)
    return path


def test_a_missing_id_column_is_one_error_naming_the_file_and_the_columns(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = recipe_file(dataset_path=str(tokens(tmp_path / "scenes.parquet", 50)), id_field="token")
    assert datamill("run", "--config", recipe, "--job_id", "j") == 2
    err = capsys.readouterr().err
    assert "id_field 'token' is not a column of the input file scenes.parquet" in err
    assert "its columns: scene_token, n" in err
    assert not (tmp_path / "jobs" / "j" / "results").exists()
    assert events(tmp_path / "jobs" / "j") == []


def test_a_text_op_on_a_csv_without_the_text_column_is_one_error(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "scenes.csv"
    data.write_text("scene_token,city\n" + "".join(f"t{i},x\n" for i in range(30)))
    recipe = recipe_file(dataset_path=str(data), process=[{"words_num_filter": {}}])
    assert datamill("run", "--config", recipe, "--job_id", "j") == 2
    err = capsys.readouterr().err
    assert "'words_num_filter' reads the text column 'text'" in err
    assert "scenes.csv (its columns: scene_token, city)" in err
    assert events(tmp_path / "jobs" / "j") == []


def test_ops_that_read_no_text_run_on_data_without_a_text_column(
    datamill, recipe_file, tmp_path: Path
) -> None:
    out = tmp_path / "o.jsonl"
    data = tokens(tmp_path / "scenes.parquet", 40)
    op = {"tests.job.user_ops:CountColumnsMapper": {}}
    recipe = recipe_file(dataset_path=str(data), export_path=str(out), id_field="scene_token", process=[op])
    assert datamill("run", "--config", recipe, "--job_id", "j") == 0
    rows = read_jsonl(out)
    assert [r["scene_token"] for r in rows] == [f"t{i}" for i in range(40)]
    assert {r["columns"] for r in rows} == {2}
    summary = json.loads((tmp_path / "jobs" / "j" / "job_summary.json").read_text())
    assert summary["counts"]["samples_bad"] == 0


def test_a_file_of_garbage_lines_is_one_error(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "junk.jsonl", [f"garbage {i} {{" for i in range(25)])
    recipe = recipe_file(dataset_path=str(data), id_field="scene_token", partition={"size": 10})
    assert datamill("run", "--config", recipe, "--job_id", "j") == 2
    err = capsys.readouterr().err
    assert "junk.jsonl is not JSONL: none of its first 25 line(s) is a JSON object" in err
    assert "malformed JSON" in err
    assert events(tmp_path / "jobs" / "j") == []


def test_a_partition_of_unparseable_lines_commits_them_as_bad_rows(
    datamill, recipe_file, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [{"scene_token": f"t{i}"} for i in range(10)]
    data = write_jsonl(tmp_path / "d.jsonl", [*good, *(f"garbage {i} {{" for i in range(10))])
    out = tmp_path / "o.jsonl"
    recipe = recipe_file(
        dataset_path=str(data), export_path=str(out), id_field="scene_token", partition={"size": 10}
    )
    assert datamill("run", "--config", recipe, "--job_id", "j") == 0
    job = tmp_path / "jobs" / "j"
    kinds = events(job)
    assert kinds.count("PARTITION_COMPLETE") == 2
    assert "PARTITION_RETRY" not in kinds and "PARTITION_FAILED" not in kinds
    assert [r["scene_token"] for r in read_jsonl(out)] == [f"t{i}" for i in range(10)]
    capsys.readouterr()
    assert datamill("stats", job, "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["by_step"] == {"read": 10}
