"""``arrow_batch_size``, ``arrow_memory_mapping`` and ``OP_FAILED``, in real jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datamill.ops.base import Mapper
from tests.conftest import read_jsonl, write_jsonl


class RecordBatchMapper(Mapper):
    """Appends the size of every batch it is called with to ``log``."""

    def __init__(self, log: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log = log

    def process_batch(self, table: pa.Table) -> pa.Table:
        with open(self.log, "a") as fh:
            fh.write(f"{table.num_rows}\n")
        return table


class RaiseOnMapper(Mapper):
    """Raises a long ``ValueError`` on a text holding ``needle``."""

    def __init__(self, needle: str = "boom", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.needle = needle

    def process_text(self, text: str) -> str:
        if self.needle in text:
            raise ValueError(f"cannot handle {self.needle}: " + "x" * 5000)
        return text


RECORDER = "tests.engine.test_arrow_keys:RecordBatchMapper"


def batch_sizes(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()]


@pytest.mark.parametrize("size", [50, 500])
def test_arrow_batch_size_is_the_ops_batch_size(
    datamill, recipe_file, corpus, tmp_path: Path, size: int
) -> None:
    data = corpus(1200)
    log = tmp_path / "batches.txt"
    recipe = recipe_file(
        dataset_path=str(data),
        partition={"size": 1200, "max_size_mb": 512},
        intermediate_storage={"arrow_batch_size": size},
        process=[{RECORDER: {"log": str(log)}}],
    )
    assert datamill("run", "--config", recipe, "--job_id", "b") == 0
    sizes = batch_sizes(log)
    assert sum(sizes) == 1200 and set(sizes) == {size} | ({1200 % size} if 1200 % size else set())


def test_an_ops_own_batch_size_wins(datamill, recipe_file, corpus, tmp_path: Path) -> None:
    data = corpus(300)
    own, default = tmp_path / "own.txt", tmp_path / "default.txt"
    recipe = recipe_file(
        dataset_path=str(data),
        partition={"size": 300, "max_size_mb": 512},
        intermediate_storage={"arrow_batch_size": 50},
        process=[{RECORDER: {"log": str(own), "batch_size": 100}}, {RECORDER: {"log": str(default)}}],
    )
    assert datamill("run", "--config", recipe, "--job_id", "w") == 0
    assert batch_sizes(own) == [100, 100, 100] and batch_sizes(default) == [50] * 6


@pytest.mark.parametrize("mapped", [True, False])
def test_arrow_memory_mapping_opens_inputs_and_checkpoints_mapped(
    datamill, recipe_file, corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mapped: bool
) -> None:
    rows = read_jsonl(corpus(80))
    data = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), data)
    opened: list[str] = []
    real = pa.memory_map

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pa, "memory_map", spy)

    def run(min_len: int) -> None:
        recipe = recipe_file(
            dataset_path=str(data),
            partition={"size": 40},
            checkpoint={"strategy": "every_op"},
            intermediate_storage={
                "format": "arrow",
                "arrow_memory_mapping": mapped,
                "preserve_intermediate_data": True,
            },
            process=[{"clean_links_mapper": {}}, {"text_length_filter": {"min_len": min_len}}],
        )
        assert datamill("run", "--config", recipe, "--job_id", "m") == 0

    run(10)
    run(20)  # the last op edited: both partitions resume from their checkpoints after op 0
    checkpoints = [p for p in opened if "/checkpoints/" in p and p.endswith(".arrow")]
    inputs = [p for p in opened if p.endswith("in.parquet") or "/staging/" in p]
    if mapped:
        assert len(checkpoints) == 2 and len(inputs) >= 2, opened
    else:
        assert opened == []


def test_an_op_that_raises_emits_op_failed_and_its_samples_are_still_set_aside(
    datamill, recipe_file, tmp_path: Path
) -> None:
    data = write_jsonl(
        tmp_path / "in.jsonl", [{"text": f"row {i} " + ("boom" if i == 3 else "")} for i in range(10)]
    )
    recipe = recipe_file(
        dataset_path=str(data),
        process=[{"tests.engine.test_arrow_keys:RaiseOnMapper": {"needle": "boom"}}],
    )
    assert datamill("run", "--config", recipe, "--job_id", "f") == 0
    events = read_jsonl(tmp_path / "jobs" / "f" / "event_logs" / "events.jsonl")
    failed = [e for e in events if e["type"] == "OP_FAILED"]
    assert len(failed) == 1
    event = failed[0]
    assert (
        event["op_name"] == "tests.engine.test_arrow_keys:RaiseOnMapper"
        and event["error_type"] == "ValueError"
    )
    assert event["error_message"].startswith("cannot handle boom") and len(event["error_message"]) <= 1000
    assert event["partition_id"] and "set aside" in event["message"]
    assert any(e["type"] == "SAMPLES_QUARANTINED" for e in events)
    failed_rows = pq.read_table(tmp_path / "jobs" / "f" / "failed_tokens.parquet").to_pylist()
    assert [r["step"] for r in failed_rows] == ["tests.engine.test_arrow_keys:RaiseOnMapper"]


def test_an_op_that_fails_its_partition_emits_op_failed(datamill, recipe_file, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i} boom"} for i in range(4)])
    recipe = recipe_file(
        dataset_path=str(data),
        fault_tolerance={"on_sample_error": "fail_partition", "max_retries": 0},
        process=[{"tests.engine.test_arrow_keys:RaiseOnMapper": {}}],
    )
    datamill("run", "--config", recipe, "--job_id", "p")
    events = read_jsonl(tmp_path / "jobs" / "p" / "event_logs" / "events.jsonl")
    failed = [e for e in events if e["type"] == "OP_FAILED"]
    assert failed and all(e["error_type"] == "ValueError" for e in failed)
    assert "partition fails" in failed[0]["message"]
    assert any(e["type"] == "PARTITION_FAILED" for e in events)
    assert json.loads((tmp_path / "jobs" / "p" / "job_summary.json").read_text())["status"] != "completed"
