"""Deduplicators in whole jobs: many partitions, hashes committed with them, a
global decision committed on its own, the export leaving the duplicates out.

The kept set of a job is Data-Juicer's on its reference cases; ops before and
after a deduplicator and a second deduplicator compose as in Data-Juicer
(a later deduplicator never sees what an earlier one dropped); a resumed job
reuses what was committed: hashes from a checkpoint after the deduplicator,
the decision after an edit of the ops after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from datamill.dedup import decide, hash_partition, parse_params
from datamill.ops.registry import build_pipeline
from tests.conftest import read_jsonl, write_jsonl
from tests.dedup.test_dj_dedup import CASES, PLACEHOLDER, corpus, sp_model  # noqa: F401 (a fixture)
from tests.job import jobproc

ROWS = 37
"""Partition size: the reference corpora become a dozen partitions and more."""


def one_case_per_kind() -> list[dict[str, Any]]:
    """The first reference case of each deduplicator and tokenization."""
    seen: set[tuple[str, str]] = set()
    picked = []
    for case in CASES:
        kind = (case["op"], str(case["params"].get("tokenization", "")))
        if kind not in seen:
            seen.add(kind)
            picked.append(case)
    return picked


def dataset(tmp_path: Path, texts: list[str]) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", [{"id": f"r{i:05d}", "text": t} for i, t in enumerate(texts)])


def recipe(tmp_path: Path, data: Path, name: str, process: list[Any], **keys: Any) -> Path:
    keys.setdefault("partition", {"size": ROWS})
    keys.setdefault("id_field", "id")
    return jobproc.write_recipe(tmp_path, data, name, process, **keys)


def run(datamill, path: Path, name: str) -> dict[str, Any]:
    assert datamill("run", "--config", path, "--job_id", name) == 0
    return jobproc.summary(path.parent / "jobs" / name)


def kept_ids(tmp_path: Path, name: str) -> list[str]:
    return [row["id"] for row in read_jsonl(tmp_path / f"{name}.jsonl")]


def events(job_dir: Path, kind: str) -> list[dict[str, Any]]:
    lines = (job_dir / "event_logs" / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["type"] == kind]


@pytest.mark.parametrize("case", one_case_per_kind(), ids=lambda c: f"{c['op']}-{c['params']}")
def test_a_job_of_many_partitions_keeps_what_data_juicer_keeps(
    datamill, tmp_path: Path, case: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    params = dict(case["params"])
    if PLACEHOLDER in params.values():
        model = request.getfixturevalue("sp_model")
        params = {k: str(model) if v == PLACEHOLDER else v for k, v in params.items()}
    texts = corpus(case["corpus_seed"])
    data = dataset(tmp_path, texts)
    s = run(datamill, recipe(tmp_path, data, "job", [{case["op"]: params}]), "job")
    assert s["counts"]["partitions_done"] >= 10
    assert kept_ids(tmp_path, "job") == [f"r{i:05d}" for i in case["kept"]]
    (report,) = s["dedup"]
    assert report["rows_in"] == len(texts)
    assert report["rows_dropped"] == len(texts) - len(case["kept"])
    assert s["counts"]["samples_written"] == len(case["kept"])
    (op,) = s["ops"]
    assert op["rows_removed"] == report["rows_dropped"]


PIPELINE = [
    {"whitespace_normalization_mapper": {}},
    {"document_minhash_deduplicator": {"jaccard_threshold": 0.9}},
    {"text_length_filter": {"min_len": 100}},
    {"document_simhash_deduplicator": {"tokenization": "character", "window_size": 4, "hamming_distance": 5}},
    {"clean_email_mapper": {}},
]


def expected_for(texts: list[str], process: list[dict[str, Any]]) -> list[int]:
    """Data-Juicer's semantics, in one process: each op over the whole dataset in turn,
    a deduplicator dropping every row that duplicates an earlier one."""
    table = pa.table({"text": texts, "row": list(range(len(texts)))})
    for entry, op in zip(process, build_pipeline(process, "text"), strict=True):
        if op.kind != "deduplicator":
            table = op.run(table).table
            continue
        ((name, values),) = entry.items()
        hashes = hash_partition(parse_params(name, values), table.column("text"))
        hashes = hashes.append_column("row_id", table.column("row"))
        dropped = decide(parse_params(name, values), hashes).column("row_id")
        table = table.filter(pc.invert(pc.is_in(table.column("row"), value_set=dropped)))
    return table.column("row").to_pylist()


def test_ops_before_between_and_after_two_deduplicators_compose_as_in_data_juicer(
    datamill, tmp_path: Path
) -> None:
    texts = corpus(CASES[0]["corpus_seed"])
    data = dataset(tmp_path, texts)
    s = run(datamill, recipe(tmp_path, data, "two", PIPELINE), "two")
    want = expected_for(texts, PIPELINE)
    assert [int(i[1:]) for i in kept_ids(tmp_path, "two")] == want
    minhash, simhash = s["dedup"]
    assert minhash["rows_dropped"] > 0 and simhash["rows_dropped"] > 0, "the corpus proves nothing"
    assert simhash["rows_in"] < minhash["rows_in"], "the second saw rows the first dropped, or none filtered"
    assert s["counts"]["samples_written"] == len(want)
    job = tmp_path / "jobs" / "two"
    done = events(job, "DEDUP_COMPLETE")
    assert [(e["op_index"], e["rows_dropped"], e["reused"]) for e in done] == [
        (1, minhash["rows_dropped"], False),
        (3, simhash["rows_dropped"], False),
    ]
    assert len(events(job, "DEDUP_START")) == 2


def test_an_edit_after_the_deduplicator_reuses_its_decision_and_one_before_does_not(
    datamill, tmp_path: Path
) -> None:
    texts = corpus(CASES[0]["corpus_seed"])
    data = dataset(tmp_path, texts)
    first = run(datamill, recipe(tmp_path, data, "edit", PIPELINE), "edit")
    assert [r["reused"] for r in first["dedup"]] == [False, False]

    after = [*PIPELINE[:4], {"clean_email_mapper": {"repl": "<email>"}}]
    again = run(datamill, recipe(tmp_path, data, "edit", after), "edit")
    assert [r["reused"] for r in again["dedup"]] == [True, True]
    assert again["counts"]["partitions_redone"] == again["counts"]["partitions_total"]
    assert [int(i[1:]) for i in kept_ids(tmp_path, "edit")] == expected_for(texts, after)

    between = [*PIPELINE[:2], {"text_length_filter": {"min_len": 200}}, *PIPELINE[3:]]
    third = run(datamill, recipe(tmp_path, data, "edit", between), "edit")
    assert [r["reused"] for r in third["dedup"]] == [True, False]
    assert [int(i[1:]) for i in kept_ids(tmp_path, "edit")] == expected_for(texts, between)
    decisions = sorted(p.name for p in (tmp_path / "jobs" / "edit" / "metadata" / "dedup").iterdir())
    assert len(decisions) == 2 and decisions[0].startswith("op001-") and decisions[1].startswith("op003-")


def test_a_run_killed_between_or_during_decisions_decides_only_what_is_missing(
    datamill, tmp_path: Path
) -> None:
    texts = corpus(CASES[0]["corpus_seed"])
    data = dataset(tmp_path, texts)
    path = recipe(tmp_path, data, "k", PIPELINE)
    run(datamill, path, "k")
    out = (tmp_path / "k.jsonl").read_bytes()
    folder = tmp_path / "jobs" / "k" / "metadata" / "dedup"
    second = next(folder.glob("op003-*.parquet"))
    second.unlink()  # killed before the second decision was committed
    (folder / "datamill-dedup-killed").mkdir()  # a DuckDB spill folder it left
    (folder / f".tmp-{second.name}.x").write_bytes(b"torn")
    (tmp_path / "k.jsonl").unlink()  # and before the export
    s = run(datamill, path, "k")
    assert [r["reused"] for r in s["dedup"]] == [True, False]
    assert (tmp_path / "k.jsonl").read_bytes() == out
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [next(folder.glob("op001-*")).name, second.name]
    )


@pytest.mark.parametrize("fmt", ["parquet", "arrow", "jsonl"])
def test_a_partition_resumed_after_the_deduplicator_commits_the_hashes_it_made_before(
    datamill, tmp_path: Path, fmt: str
) -> None:
    texts = corpus(CASES[0]["corpus_seed"])
    data = dataset(tmp_path, texts)
    die = {"tests.job.user_ops:DieOnceMapper": {"needle": texts[100], "flag": str(tmp_path / "flag")}}
    process = [{"whitespace_normalization_mapper": {}}, {"document_minhash_deduplicator": {}}, die]
    keys = {
        "checkpoint": {"strategy": "every_op"},
        "fault_tolerance": {"retry_delay_s": 0.05},
        "intermediate_storage": {"format": fmt},
    }
    run(datamill, recipe(tmp_path, data, "resumed", process, **keys), "resumed")
    assert (tmp_path / "flag").exists(), "the worker never died: the test proves nothing"
    loads = events(tmp_path / "jobs" / "resumed", "CHECKPOINT_LOAD")
    assert [e["op_index"] for e in loads] == [1]
    assert [int(i[1:]) for i in kept_ids(tmp_path, "resumed")] == expected_for(texts, process[:2])


def test_preserve_intermediate_data_lists_each_duplicate_with_the_row_it_duplicates(
    datamill, tmp_path: Path
) -> None:
    texts = corpus(CASES[0]["corpus_seed"])
    data = dataset(tmp_path, texts)
    storage = {"preserve_intermediate_data": True}
    s = run(datamill, recipe(tmp_path, data, "dups", PIPELINE, intermediate_storage=storage), "dups")
    dups = pq.read_table(tmp_path / "jobs" / "dups" / "duplicates.parquet").to_pylist()
    assert len(dups) == sum(r["rows_dropped"] for r in s["dedup"])
    kept = set(kept_ids(tmp_path, "dups"))
    for row in dups:
        assert row["id"] not in kept
        assert row["op_name"] in ("document_minhash_deduplicator", "document_simhash_deduplicator")
        assert int(row["duplicate_of"][1:]) < int(row["id"][1:]), "a row duplicates an earlier one"
        assert row["duplicate_of_row"] < row["row"]


def test_a_sql_export_with_a_deduplicator_is_refused_in_one_sentence(
    datamill, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dataset(tmp_path, ["a b c d e f g"] * 3)
    export = {"url": f"sqlite:///{tmp_path / 'out.db'}", "table": "t"}
    path = recipe(tmp_path, data, "sql", [{"document_deduplicator": {}}], export=export)
    assert datamill("run", "--config", path, "--job_id", "sql") != 0
    err = capsys.readouterr()
    assert "a SQL table receives each partition's rows as it commits" in err.out + err.err
    assert "Traceback" not in err.out + err.err


def test_the_monitor_shows_the_global_phase_and_what_each_deduplicator_dropped(
    datamill, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = corpus(CASES[0]["corpus_seed"])
    data = dataset(tmp_path, texts)
    s = run(datamill, recipe(tmp_path, data, "mon", PIPELINE), "mon")
    capsys.readouterr()
    assert datamill("monitor", "mon", "--base-dir", tmp_path / "jobs", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    shown = [(d["op_name"], d["rows_in"], d["rows_dropped"], d["done"]) for d in report["deduplication"]]
    assert shown == [(r["op_name"], r["rows_in"], r["rows_dropped"], True) for r in s["dedup"]]
    ops = {m["index"]: m for m in report["operation_metrics"]}
    assert ops[1]["rows_removed"] == s["dedup"][0]["rows_dropped"]
    assert datamill("monitor", "mon", "--base-dir", tmp_path / "jobs") == 0
    text = capsys.readouterr().out
    assert f"{s['dedup'][0]['rows_dropped']:,} of {len(texts):,} rows dropped as duplicates" in text


def test_the_phase_follows_the_global_phase_events() -> None:
    from datamill.events.log import make_event
    from datamill.events.read import SCHEMA
    from datamill.events.stats import EventStats

    stats = EventStats()

    def feed(kind: str, **fields: Any) -> None:
        event = make_event("j", kind, **fields)
        stats.update(pa.Table.from_pylist([event], schema=SCHEMA))

    feed("PROCESSING_START")
    assert stats.phase == "processing"
    feed("PROCESSING_COMPLETE")
    feed("DEDUP_START", op_name="document_deduplicator", op_index=2, rows_in=10)
    assert stats.phase == "deduplicating: document_deduplicator"
    assert stats.dedup == [{"op_index": 2, "op_name": "document_deduplicator", "done": False}]
    feed(
        "DEDUP_COMPLETE",
        op_name="document_deduplicator",
        op_index=2,
        rows_in=10,
        rows_dropped=3,
        clusters=2,
        duration_s=0.5,
        reused=False,
    )
    assert stats.phase == "finishing" and stats.dedup[0]["rows_dropped"] == 3 and stats.dedup[0]["done"]
    again = EventStats.from_json(json.loads(json.dumps(stats.to_json())))
    assert again.dedup == stats.dedup and again.phase == "finishing"


def test_the_search_reports_its_progress(datamill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("datamill.job.dedup_phase.PROGRESS_EVERY_S", 0.0)
    data = dataset(tmp_path, corpus(CASES[0]["corpus_seed"]))
    run(datamill, recipe(tmp_path, data, "prog", PIPELINE[:4]), "prog")
    steps = events(tmp_path / "jobs" / "prog", "DEDUP_PROGRESS")
    minhash = [e["value"] for e in steps if e["op_index"] == 1]
    assert minhash and minhash == sorted(minhash) and minhash[0] > 0 and minhash[-1] < 1
    assert all(e["op_index"] in (1, 3) for e in steps)
