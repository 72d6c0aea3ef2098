"""Kill it anywhere, lose nothing: real processes, real signals."""

from __future__ import annotations

import json
import random
import signal
import subprocess
from pathlib import Path

import pytest

from datamill.config.models import FaultToleranceConfig
from datamill.demo.recipe import SIX_OPS
from datamill.engine.spec import CheckpointPolicy
from datamill.job.driver import backoff_delay
from tests.conftest import read_jsonl, write_jsonl
from tests.job import jobproc

SLOW = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.05}}


def policy(strategy: str, n_ops: int = 1, op_names: tuple[str, ...] = ()) -> CheckpointPolicy:
    return CheckpointPolicy(strategy, n_ops, op_names, "/x", "parquet", "snappy", False)


@pytest.mark.parametrize(
    ("strategy", "n_ops", "names", "expected"),
    [
        ("every_op", 1, (), [0, 1, 2, 3, 4]),
        ("every_n_ops", 2, (), [1, 3]),
        ("every_n_ops", 3, (), [2]),
        ("manual", 1, ("b", "e"), [1, 4]),
        ("every_partition", 1, (), []),
        ("disabled", 1, (), []),
    ],
)
def test_checkpoint_strategies_choose_ops(
    strategy: str, n_ops: int, names: tuple, expected: list[int]
) -> None:
    p = policy(strategy, n_ops, names)
    chosen = [i for i, name in enumerate("abcdef") if p.after(i, name, last=5)]
    assert chosen == expected  # never after the last op: the commit is the checkpoint


def test_backoff_kinds() -> None:
    delays = {
        kind: [backoff_delay(FaultToleranceConfig(retry_backoff=kind, retry_delay_s=2), a) for a in (1, 2, 3)]
        for kind in ("exponential", "linear", "fixed")
    }
    assert delays == {"exponential": [2, 4, 8], "linear": [2, 4, 6], "fixed": [2, 2, 2]}


def make_recipe(tmp_path: Path, data: Path, name: str, process: list, **keys) -> Path:
    keys.setdefault("fault_tolerance", {"retry_delay_s": 0.1})
    return jobproc.write_recipe(tmp_path, data, name, process, **keys)


def reference_output(datamill, tmp_path: Path, data: Path, process: list) -> bytes:
    """The output of an uninterrupted run on the local pool: every executor's runs must match it."""
    recipe = make_recipe(tmp_path, data, "reference", process)
    assert datamill("run", "--config", recipe, "--job_id", "reference") == 0
    return (tmp_path / "reference.jsonl").read_bytes()


@pytest.mark.parametrize("how", ["sigkill", "exit"])
def test_a_worker_that_dies_takes_only_its_partition_which_is_retried(
    datamill, corpus, tmp_path: Path, how: str, executor: str
) -> None:
    data = corpus(200)
    needle = json.loads(data.read_text().splitlines()[77])["text"]
    killer = {
        "tests.job.user_ops:DieOnceMapper": {"needle": needle, "flag": str(tmp_path / "flag"), "how": how}
    }
    recipe = make_recipe(tmp_path, data, "dies", [killer, *SIX_OPS], executor_type=executor)
    assert datamill("run", "--config", recipe, "--job_id", "dies") == 0
    assert (tmp_path / "flag").exists(), "the worker never died: the test proves nothing"
    s = jobproc.summary(tmp_path / "jobs" / "dies")
    assert s["counts"]["partition_retries"] == 1
    assert (tmp_path / "dies.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, SIX_OPS)


def test_an_op_raising_on_one_percent_sets_exactly_those_aside(
    datamill, corpus, tmp_path: Path, executor: str
) -> None:
    data = corpus(2000)
    import zlib

    docs = [json.loads(line) for line in data.read_text().splitlines()]
    failing = {f"{data.name}#{i}" for i, d in enumerate(docs) if zlib.crc32(d["text"].encode()) % 100 == 0}
    assert 5 < len(failing) < 60
    flaky = {"tests.job.user_ops:FlakyMapper": {"every": 100}}
    recipe = make_recipe(tmp_path, data, "flaky", [flaky], executor_type=executor)
    assert datamill("run", "--config", recipe, "--job_id", "flaky") == 0
    markers = [json.loads(p.read_text()) for p in (tmp_path / "jobs" / "flaky" / "results").glob("*.commit")]
    aside = [q for m in markers for q in m["quarantined"]]
    assert {q["id"] for q in aside} == failing
    assert {q["step"] for q in aside} == {"tests.job.user_ops:FlakyMapper"}
    assert all("flaky op refuses" in q["error_msg"] for q in aside)
    out = [r["url"] for r in read_jsonl(tmp_path / "flaky.jsonl")]
    expected = [d["url"] for i, d in enumerate(docs) if f"{data.name}#{i}" not in failing]
    assert out == expected


def kill_when_checkpointed(recipe: Path, job_dir: Path, job_id: str) -> None:
    proc = jobproc.start(recipe, "--job_id", job_id)
    ckpts = job_dir / "checkpoints"
    ok = jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 2 and any(ckpts.rglob("op002-*")), 60, proc)
    jobproc.kill_group(proc)
    assert ok, proc.stdout.read().decode() if proc.stdout else "job ended early"


LINKS, EMAIL, SPACES, UNICODE, LENGTH, WORDS = SIX_OPS
NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.3}}


@pytest.mark.parametrize(
    ("edited", "note"),
    [
        pytest.param(
            [LINKS, EMAIL, {"fix_unicode_mapper": {"normalization": "NFKC"}}, NAP, LENGTH],
            "Checkpoints dropped, made by a different recipe: ",
            id="op-2-changed",
        ),
        pytest.param(
            [LINKS, EMAIL, SPACES, NAP, {"text_length_filter": {"min_len": 300}}],
            "Checkpoints kept: ",
            id="last-op-changed",
        ),
    ],
)
def test_recipe_edit_uses_only_checkpoints_whose_prefix_matches(
    datamill, corpus, tmp_path: Path, capsys, edited: list, note: str
) -> None:
    data = corpus(400)
    first = [LINKS, EMAIL, SPACES, NAP, LENGTH]
    recipe = make_recipe(tmp_path, data, "edit", first, checkpoint={"strategy": "every_op"})
    job_dir = tmp_path / "jobs" / "edit"
    kill_when_checkpointed(recipe, job_dir, "edit")
    recipe = make_recipe(tmp_path, data, "edit", edited, checkpoint={"strategy": "every_op"})
    assert datamill("run", "--config", recipe, "--job_id", "edit") == 0
    captured = capsys.readouterr()
    notes = captured.out + captured.err
    assert "committed partitions were made by a different recipe and will be redone" in notes
    assert note + "" in notes and "after op 2 (" in notes.split(note)[1].splitlines()[0]
    markers = [json.loads(p.read_text()) for p in (job_dir / "results").glob("*.commit")]
    resumed_ops = [int(Path(m["resumed_from"]).name[2:5]) for m in markers if m["resumed_from"]]
    if note.startswith("Checkpoints kept"):
        assert 2 in resumed_ops  # the checkpoint after op 2 was reused
    else:
        assert all(op < 2 for op in resumed_ops)  # nothing made by the old op 2 was reused
    fresh = make_recipe(tmp_path, data, "fresh", edited)
    assert datamill("run", "--config", fresh, "--job_id", "fresh") == 0
    assert (tmp_path / "edit.jsonl").read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()


def test_sigterm_stops_within_the_timeout_and_resume_completes(
    datamill, corpus, tmp_path: Path, executor: str
) -> None:
    data = corpus(400)
    process = [*SIX_OPS, SLOW]
    stop = {"stop_timeout_s": 20}
    recipe = make_recipe(tmp_path, data, "term", process, fault_tolerance=stop, executor_type=executor)
    job_dir = tmp_path / "jobs" / "term"
    proc = jobproc.start(recipe, "--job_id", "term")
    assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 3, 60, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=25) == 130
    s = jobproc.summary(job_dir)
    assert s["status"] == "stopped"
    assert s["counts"]["partitions_done"] < s["counts"]["partitions_total"]
    assert "--job_id term" in s["resume_command"]
    assert datamill("run", "--config", recipe, "--job_id", "term") == 0
    assert jobproc.summary(job_dir)["counts"]["partitions_skipped"] >= 3
    assert (tmp_path / "term.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, process)


def test_a_second_runner_is_refused_with_the_pid(datamill, corpus, tmp_path: Path, capsys) -> None:
    data = corpus(300)
    recipe = make_recipe(tmp_path, data, "locked", [*SIX_OPS, SLOW])
    job_dir = tmp_path / "jobs" / "locked"
    proc = jobproc.start(recipe, "--job_id", "locked")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 1, 60, proc)
        assert datamill("run", "--config", recipe, "--job_id", "locked") == 3
        assert f"already running (PID {proc.pid}" in capsys.readouterr().err
    finally:
        jobproc.kill_group(proc)


def test_changed_input_is_refused_unless_forced(datamill, recipe_file, tmp_path: Path, capsys) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row number {i}"} for i in range(10)])
    recipe = recipe_file(dataset_path=str(data), process=[{"text_length_filter": {}}])
    assert datamill("run", "--config", recipe, "--job_id", "fp") == 0
    with open(data, "a") as fh:
        fh.write(json.dumps({"text": "a new row appears"}) + "\n")
    assert datamill("run", "--config", recipe, "--job_id", "fp") == 2
    err = capsys.readouterr().err
    assert str(data) in err and "has changed" in err and "--force" in err
    assert datamill("run", "--config", recipe, "--job_id", "fp", "--force") == 0


def test_disabled_strategy_starts_over(datamill, recipe_file, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row number {i}"} for i in range(10)])
    recipe = recipe_file(dataset_path=str(data), partition={"size": 3}, checkpoint={"strategy": "disabled"})
    assert datamill("run", "--config", recipe, "--job_id", "off") == 0
    assert datamill("run", "--config", recipe, "--job_id", "off") == 0
    assert jobproc.summary(tmp_path / "jobs" / "off")["counts"]["partitions_skipped"] == 0


CHAOS_RUNS = {"local": 40, "ray": 8}
"""Runs the chaos test starts at most. A run on Ray starts a Ray (seconds): eight
runs of at most 25 new commits each leave most of the 300 partitions to the last."""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("checkpoint", "executor"),
    [
        pytest.param({"strategy": "every_op"}, "local", id="every_op"),
        pytest.param({"strategy": "every_n_ops", "n_ops": 2}, "local", id="every_n_ops"),
        pytest.param({"strategy": "every_partition"}, "local", id="every_partition"),
        # On Ray, the strategy that leaves the most checkpoints to resume from.
        pytest.param({"strategy": "every_op"}, "ray", id="every_op-ray"),
    ],
    indirect=["executor"],
)
def test_chaos_kills_lose_and_duplicate_nothing(
    datamill, corpus, tmp_path: Path, checkpoint: dict, executor: str
) -> None:
    data = corpus(6000)
    recipe = make_recipe(tmp_path, data, "chaos", SIX_OPS, checkpoint=checkpoint, executor_type=executor)
    job_dir = tmp_path / "jobs" / "chaos"
    rng = random.Random(hash(checkpoint["strategy"]) & 0xFFFF)
    kills = 0
    for _ in range(CHAOS_RUNS[executor]):
        proc = jobproc.start(recipe, "--job_id", "chaos")
        before = jobproc.committed(job_dir) if (job_dir / "results").is_dir() else 0
        # Kill once the job is surely past start-up: after a random number of new commits.
        target = before + rng.randint(1, 25)
        jobproc.wait_for(lambda n=target: jobproc.committed(job_dir) >= n, 60, proc)
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stdout.read().decode() if proc.stdout else ""
            break
        jobproc.kill_group(proc)
        kills += 1
    assert kills >= 8, f"only {kills} kills: make the job longer"
    if proc.returncode != 0:
        assert datamill("run", "--config", recipe, "--job_id", "chaos") == 0
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed" and s["counts"]["partitions_total"] == 300
    assert (tmp_path / "chaos.jsonl").read_bytes() == reference_output(datamill, tmp_path, data, SIX_OPS)


def test_a_second_signal_stops_at_once_and_the_job_stays_resumable(datamill, corpus, tmp_path: Path) -> None:
    data = corpus(200)
    process = [{"tests.job.user_ops:SlowMapper": {"delay_s": 5}}]
    recipe = make_recipe(tmp_path, data, "twice", process, fault_tolerance={"stop_timeout_s": 60})
    job_dir = tmp_path / "jobs" / "twice"
    proc = jobproc.start(recipe, "--job_id", "twice")
    assert jobproc.wait_for(lambda: (job_dir / "job_summary.json").exists(), 60, proc)
    import time

    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 130
    assert jobproc.summary(job_dir)["status"] == "stopped"
    assert jobproc.committed(job_dir) == 0


def test_resume_by_job_id_reads_the_saved_config(datamill, corpus, tmp_path: Path) -> None:
    data = corpus(300)
    recipe = make_recipe(tmp_path, data, "saved", [*SIX_OPS, NAP])
    job_dir = tmp_path / "jobs" / "saved"
    proc = jobproc.start(recipe, "--job_id", "saved")
    assert jobproc.wait_for(lambda: jobproc.committed(job_dir) >= 2, 60, proc)
    jobproc.kill_group(proc)
    recipe.unlink()  # the recipe is gone; the job directory has what it needs
    assert datamill("resume", "saved", "--base-dir", tmp_path / "jobs") == 0
    assert jobproc.summary(job_dir)["counts"]["partitions_skipped"] >= 2
    fresh = make_recipe(tmp_path, data, "fresh", [*SIX_OPS, NAP])
    assert datamill("run", "--config", fresh, "--job_id", "fresh") == 0
    assert (tmp_path / "saved.jsonl").read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()


def test_preserve_intermediate_data_keeps_every_ops_output(datamill, recipe_file, tmp_path: Path) -> None:
    data = write_jsonl(
        tmp_path / "d.jsonl", [{"text": f"Row number {i} at https://x.org/{i}"} for i in range(6)]
    )
    recipe = recipe_file(
        dataset_path=str(data),
        partition={"size": 3},
        checkpoint={"strategy": "every_op"},
        intermediate_storage={"preserve_intermediate_data": True, "format": "arrow"},
        process=[LINKS, SPACES, LENGTH],
    )
    assert datamill("run", "--config", recipe, "--job_id", "keep") == 0
    job = tmp_path / "jobs" / "keep"
    for part in (job / "results").glob("*.commit"):
        pid = part.name[len("part-") : -len(".commit")]
        names = sorted(p.name for p in (job / "intermediate" / f"partition_{pid[:6]}").iterdir())
        assert names == [
            "op_000_clean_links_mapper.arrow",
            "op_001_whitespace_normalization_mapper.arrow",
            "op_002_text_length_filter.arrow",
        ]
        assert len(list((job / "checkpoints" / pid).iterdir())) == 2  # after ops 0 and 1, all kept


def _kill_at_random(recipe: Path, job_dir: Path, rng: random.Random, *args: str, kills: int = 8) -> int:
    """SIGKILL runs of ``recipe`` at random moments (sometimes before the first commit:
    while it stages or joins), ``kills`` times unless it completes first; then let one
    run finish. Return how many runs were killed.

    The kills are counted, not the commits: how many partitions a run commits before
    its kill depends on the machine's speed, and a bounded loop of kills would make
    the test fail on a slow machine."""
    for done in range(kills):
        proc = jobproc.start(recipe, *args)
        before = jobproc.committed(job_dir) if (job_dir / "results").is_dir() else 0
        if rng.random() < 0.4:
            jobproc.wait_for(lambda: False, rng.uniform(0.3, 1.5), proc)
        else:
            target = before + rng.randint(1, 40)
            jobproc.wait_for(lambda n=target: jobproc.committed(job_dir) >= n, 60, proc)
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stdout.read().decode() if proc.stdout else ""
            return done
        jobproc.kill_group(proc)
    proc = jobproc.start(recipe, *args)
    try:
        out, _ = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        jobproc.kill_group(proc)
        raise AssertionError(f"the run after {kills} kills did not finish in 10 minutes") from None
    assert proc.returncode == 0, out.decode()
    return kills


@pytest.mark.slow
def test_chaos_kills_while_a_parquet_input_is_staged_in_pieces(datamill, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 30_000
    data = tmp_path / "one_group.parquet"  # one row group: partitions read staged pieces
    pq.write_table(
        pa.table({"id": [f"r{i:06d}" for i in range(n)], "text": [f"text {i} " * 8 for i in range(n)]}), data
    )
    recipe = make_recipe(tmp_path, data, "chaos", [{"text_length_filter": {"min_len": 10}}], id_field="id")
    job_dir = tmp_path / "jobs" / "chaos"
    kills = _kill_at_random(recipe, job_dir, random.Random(5), "--job_id", "chaos")
    assert kills >= 5, f"only {kills} kills: make the job longer"
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed" and s["counts"]["samples_read"] == n
    assert (tmp_path / "chaos.jsonl").read_bytes() == reference_output(
        datamill, tmp_path, data, [{"text_length_filter": {"min_len": 10}}]
    )


@pytest.mark.slow
def test_chaos_kills_during_skip_processed_skip_and_redo_nothing(datamill, tmp_path: Path) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [f"r{i:06d}" for i in range(30_000)]
    first = tmp_path / "first.parquet"
    pq.write_table(pa.table({"id": ids[:18_000], "text": ["some text here"] * 18_000}), first)
    superset = tmp_path / "superset.parquet"
    pq.write_table(pa.table({"id": ids[::-1], "text": ["some text here"] * 30_000}), superset)
    job_dir = tmp_path / "w"
    assert (
        datamill(
            "run", "--config", make_recipe(tmp_path, first, "first", [], id_field="id"), "--work-dir", job_dir
        )
        == 0
    )
    recipe = make_recipe(tmp_path, superset, "chaos", [], id_field="id")
    kills = _kill_at_random(
        recipe, job_dir, random.Random(11), "--work-dir", str(job_dir), "--skip-processed"
    )
    assert kills >= 5, f"only {kills} kills: make the job longer"
    ok = pd.read_parquet(job_dir / "successful_tokens.parquet")
    assert sorted(ok["id"]) == ids  # every id once: none skipped wrongly, none processed twice
    out = pd.read_json(tmp_path / "chaos.jsonl", lines=True)
    assert sorted(out["id"]) == ids[18_000:]  # this input's new records, each once
