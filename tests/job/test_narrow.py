"""Samples that kill their worker fail alone; a partition that fails whole is on record."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import NamedTuple

import pytest

from datamill.demo.recipe import SIX_OPS
from datamill.ledger.stats import ledger_stats
from tests.conftest import read_jsonl, write_jsonl
from tests.job import jobproc
from tests.job.test_fault_tolerance import make_recipe

DIE = "tests.job.user_ops:AlwaysDieMapper"
BROKEN = "tests.job.user_ops:BrokenUntilFixedMapper"
FAST = {"max_retries": 1, "retry_delay_s": 0.05}


def markers(job_dir: Path) -> dict[str, dict]:
    return {
        p.name.removeprefix("part-").removesuffix(".commit"): json.loads(p.read_text())
        for p in (job_dir / "results").glob("*.commit")
    }


def events(job_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (job_dir / "event_logs" / "events.jsonl").open()]


def rows(tmp_path: Path, n: int = 60) -> Path:
    return write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(n)])


HOW_IT_DIED = {
    ("local", "exit"): "worker exited with code 9",
    ("local", "sigkill"): "worker killed by signal 9 — possibly out of memory",
    ("ray", "exit"): "Ray worker died",  # Ray tells neither the exit code nor the signal
    ("ray", "sigkill"): "Ray worker died",
}


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_samples_that_kill_their_worker_are_set_aside_alone(
    datamill, tmp_path: Path, how: str, executor: str
) -> None:
    data = rows(tmp_path)
    killers = {5: "d.jsonl#5", 33: "d.jsonl#33", 37: "d.jsonl#37"}  # two in one partition
    die = {DIE: {"needles": [f"row {i}" for i in killers], "how": how}}
    recipe = make_recipe(tmp_path, data, "poison", [die], fault_tolerance=FAST, executor_type=executor)
    assert datamill("run", "--config", recipe, "--job_id", "poison") == 0
    job_dir = tmp_path / "jobs" / "poison"
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed" and not s["failed_partitions"]  # as samples an op raises on
    assert s["counts"]["samples_quarantined"] == 3 and s["counts"]["partitions_done"] == 3
    assert s["counts"]["partition_retries"] == 2  # the probes are not retries
    out = [r["text"] for r in read_jsonl(tmp_path / "poison.jsonl")]
    assert out == [f"row {i}" for i in range(60) if i not in killers]
    aside = [q for m in markers(job_dir).values() for q in m["quarantined"]]
    assert sorted(q["id"] for q in aside) == sorted(killers.values())
    assert {(q["step"], q["error_msg"]) for q in aside} == {(DIE, HOW_IT_DIED[executor, how])}
    stats = ledger_stats(job_dir)
    assert stats["successful"] == 57 and stats["failed_unique"] == 3 and stats["by_step"] == {DIE: 3}
    log = events(job_dir)
    warned = [e["message"] for e in log if e["type"] == "WARNING"]
    assert any("narrowing it down" in m and "_20-40" in m for m in warned)
    assert any("2 sample(s) kill its worker (rows 13, 17 of the partition" in m for m in warned)
    named = [e["message"] for e in log if e["type"] == "SAMPLES_QUARANTINED"]
    assert any("d.jsonl#33, d.jsonl#37" in m for m in named)
    starts = [e for e in log if e["type"] == "PARTITION_START" and e["partition_id"].endswith("_20-40")]
    assert len(starts) == 3  # two attempts and the run without the killers: probes log nothing


def test_a_partition_no_single_sample_kills_fails_whole_with_its_records_on_record(
    datamill, tmp_path: Path, capsys
) -> None:
    data = rows(tmp_path)
    pair = {"tests.job.user_ops:DieOnPairMapper": {"pair": ["row 25", "row 35"]}}
    recipe = make_recipe(
        tmp_path, data, "doomed", [pair], fault_tolerance={"max_retries": 2, "retry_delay_s": 0.05}
    )
    assert datamill("run", "--config", recipe, "--job_id", "doomed") == 1
    job_dir = tmp_path / "jobs" / "doomed"
    s = jobproc.summary(job_dir)
    assert s["status"] == "completed_with_failures"
    (failure,) = s["failed_partitions"]
    assert failure["partition_id"].endswith("_20-40") and failure["attempts"] == 4  # 3 + once narrowed
    assert "died (worker exited with code 9)" in failure["error"] and failure["records_failed"] == 20
    assert failure["step"] == "tests.job.user_ops:DieOnPairMapper"
    assert s["counts"]["partition_retries"] == 2
    assert len(read_jsonl(tmp_path / "doomed.jsonl")) == 40
    stats = ledger_stats(job_dir)
    assert stats["failed_unique"] == 20 and stats["successful"] == 40
    assert "Running the same command again retries exactly those partitions" in capsys.readouterr().out


def test_a_partition_that_fails_whole_is_in_the_failed_view_until_a_rerun_commits_it(
    datamill, tmp_path: Path
) -> None:
    data = rows(tmp_path)
    fixed = tmp_path / "fixed"
    recipe = make_recipe(
        tmp_path, data, "broken", [{BROKEN: {"needle": "row 33", "fixed": str(fixed)}}], fault_tolerance=FAST
    )
    job_dir = tmp_path / "jobs" / "broken"
    for _ in range(2):  # a plain rerun retries the partition, and records it once
        assert datamill("run", "--config", recipe, "--job_id", "broken") == 1
        s = jobproc.summary(job_dir)
        assert s["status"] == "completed_with_failures" and s["counts"]["partitions_failed"] == 1
        assert s["counts"]["samples_quarantined"] == 20  # in the job's failed counts
        (failed,) = [m for m in markers(job_dir).values() if m["rows_out"] == 0]
        assert sorted(q["id"] for q in failed["quarantined"]) == sorted(f"d.jsonl#{i}" for i in range(20, 40))
        assert {q["step"] for q in failed["quarantined"]} == {BROKEN}
        reason = failed["quarantined"][0]["error_msg"]
        assert reason == (
            "partition failed after 2 attempt(s): ConnectionError: the metadata service is unavailable"
        )
        stats = ledger_stats(job_dir)
        assert stats["successful"] == 40 and stats["failed_unique"] == stats["failed_records"] == 20
        assert stats["by_step"] == {BROKEN: 20}
        assert len(read_jsonl(tmp_path / "broken.jsonl")) == 40
    fixed.touch()
    assert datamill("run", "--config", recipe, "--job_id", "broken") == 0
    s = jobproc.summary(job_dir)
    assert "1 partitions failed in an earlier run; they run again." in s["resume_notes"]
    assert s["counts"]["partitions_skipped"] == 2 and s["counts"]["samples_quarantined"] == 0
    stats = ledger_stats(job_dir)
    assert stats["successful"] == 60 and stats["failed_unique"] == 0
    assert [r["text"] for r in read_jsonl(tmp_path / "broken.jsonl")] == [f"row {i}" for i in range(60)]


def test_a_failed_partition_whose_records_cannot_be_read_says_so(
    datamill, tmp_path: Path, monkeypatch
) -> None:
    from datamill.engine import partition

    def unreadable(task):  # type: ignore[no-untyped-def]
        raise OSError("input vanished")

    monkeypatch.setattr(partition, "record_failure", unreadable)  # np: 1 runs it in this process
    broken = {BROKEN: {"needle": "row 33", "fixed": str(tmp_path / "fixed")}}
    recipe = make_recipe(tmp_path, rows(tmp_path), "gone", [broken], np=1, fault_tolerance=FAST)
    assert datamill("run", "--config", recipe, "--job_id", "gone") == 1
    (failure,) = jobproc.summary(tmp_path / "jobs" / "gone")["failed_partitions"]
    assert failure["records"] == "its records could not be listed: OSError: input vanished"
    assert "ConnectionError: the metadata service is unavailable" in failure["error"]
    assert ledger_stats(tmp_path / "jobs" / "gone")["failed_unique"] == 0


NARROWING = "narrowing it down"


def narrowings(job_dir: Path) -> int:
    """How many narrowings the job's runs started (a torn last line is not counted)."""
    try:
        text = (job_dir / "event_logs" / "events.jsonl").read_text()
    except FileNotFoundError:
        return 0
    return sum(1 for line in text.splitlines() if NARROWING in line and line.endswith("}"))


class ChaosSize(NamedTuple):
    sampled: int
    """Partitions given a poison sample, drawn at random (partition 7 always has one)."""
    runs: int
    """Runs started at most; a run that is not killed ends the loop."""
    kills: int
    """Kills the test needs to prove something."""
    commits: int
    """New commits a run makes at most before the kills that wait for commits."""


NARROWING_CHAOS = {
    "local": ChaosSize(sampled=16, runs=16, kills=8, commits=4),
    # Each probe on Ray starts a fresh Ray worker (a second or two), each run a Ray.
    "ray": ChaosSize(sampled=6, runs=5, kills=4, commits=2),
}


@pytest.mark.slow
def test_chaos_kills_while_poison_samples_are_narrowed_down(
    datamill, corpus, tmp_path: Path, executor: str
) -> None:
    data = corpus(1200)
    texts = [json.loads(line)["text"] for line in data.read_text().splitlines()]
    size = NARROWING_CHAOS[executor]
    rng = random.Random(3)  # a poison sample in `size.sampled` of the 60 partitions, and in partition 7
    poison = sorted({p * 20 + rng.randrange(20) for p in [*rng.sample(range(60), size.sampled), 7]})
    assert len(poison) == size.sampled + 1
    die = {DIE: {"needles": [texts[i] for i in poison], "how": "sigkill"}}
    process = [die, *SIX_OPS]
    reference = make_recipe(tmp_path, data, "reference", process, fault_tolerance=FAST)
    assert datamill("run", "--config", reference, "--job_id", "reference") == 0
    poisoned = {i // 20 for i in poison}
    assert narrowings(tmp_path / "jobs" / "reference") == len(poisoned)
    recipe = make_recipe(tmp_path, data, "chaos", process, fault_tolerance=FAST, executor_type=executor)
    job_dir = tmp_path / "jobs" / "chaos"
    rng = random.Random(17)
    kills = 0  # failed partitions go to the back of the queue: most runs end narrowing
    for _ in range(size.runs):
        proc = jobproc.start(recipe, "--job_id", "chaos")
        if kills % 2 == 0:  # while a partition is narrowed down: its probes run
            seen = narrowings(job_dir)
            jobproc.wait_for(lambda n=seen: narrowings(job_dir) > n, 60, proc)
            jobproc.wait_for(lambda: False, rng.uniform(0.0, 1.0), proc)
        else:
            before = jobproc.committed(job_dir) if (job_dir / "results").is_dir() else 0
            target = before + rng.randint(1, size.commits)
            jobproc.wait_for(lambda n=target: jobproc.committed(job_dir) >= n, 60, proc)
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stdout.read().decode() if proc.stdout else ""
            break
        jobproc.kill_group(proc)
        kills += 1
    assert kills >= size.kills, f"only {kills} kills: make the job longer"
    assert narrowings(job_dir) > len(poisoned), "no narrowing was interrupted: the test proves nothing"
    if proc.returncode != 0:
        assert datamill("run", "--config", recipe, "--job_id", "chaos") == 0

    def aside(job: Path) -> list[str]:
        return sorted(q["id"] for m in markers(job).values() for q in m["quarantined"])

    expected = sorted(f"{data.name}#{i}" for i in poison)
    assert aside(tmp_path / "jobs" / "reference") == expected
    assert aside(job_dir) == expected
    assert (tmp_path / "chaos.jsonl").read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
    stats = ledger_stats(job_dir)
    assert stats["failed_unique"] == len(poison) and stats["successful"] == len(texts) - len(poison)
    assert jobproc.summary(job_dir)["status"] == "completed"
