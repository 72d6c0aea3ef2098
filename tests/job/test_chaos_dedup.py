"""Random SIGKILLs during a job with a MinHash deduplicator in the middle of its
pipeline: while partitions hash and commit, while checkpoints after the
deduplicator are resumed, during the global phase and the export. The output,
the ledger and the decision equal those of an uninterrupted run."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import write_jsonl
from tests.job import jobproc
from tests.job.test_chaos_ray import events, ledger

pytestmark = pytest.mark.slow

N = 2400  # 120 partitions of 20
PROCESS = [
    {"whitespace_normalization_mapper": {}},
    {"document_minhash_deduplicator": {}},
    {"clean_email_mapper": {}},
    {"text_length_filter": {"min_len": 120}},
]


def dataset(tmp_path: Path) -> Path:
    """Documents of random words; one in eight a near copy of an earlier one
    (a word changed, case, doubled spaces), some of them in other partitions."""
    rng = random.Random(17)
    words = [f"w{i}" for i in range(3000)]
    texts: list[str] = []
    for i in range(N):
        if i > 40 and rng.random() < 0.125:
            tokens = texts[rng.randrange(i)].split()
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
            text = " ".join(tokens)
            text = text.upper() if rng.random() < 0.2 else text.replace(" ", "  ", 2)
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(15, 90)))
            if rng.random() < 0.1:
                text += f" mail me at someone{i}@example.com"
        texts.append(text)
    return write_jsonl(
        tmp_path / "docs.jsonl", [{"sample_id": f"d{i:05d}", "text": t} for i, t in enumerate(texts)]
    )


def recipe(tmp_path: Path, data: Path, name: str, executor: str = "local") -> Path:
    return jobproc.write_recipe(
        tmp_path,
        data,
        name,
        PROCESS,
        id_field="sample_id",
        checkpoint={"strategy": "every_op"},
        fault_tolerance={"retry_delay_s": 0.05},
        executor_type=executor,
    )


def test_chaos_kills_around_a_minhash_deduplicator(datamill, tmp_path: Path, executor: str) -> None:
    data = dataset(tmp_path)
    assert datamill("run", "--config", recipe(tmp_path, data, "reference"), "--job_id", "reference") == 0
    expected = (tmp_path / "reference.jsonl").read_bytes()
    reference = jobproc.summary(tmp_path / "jobs" / "reference")
    (decided,) = reference["dedup"]
    assert decided["rows_dropped"] > 100, "too few duplicates: the test proves little"

    path = recipe(tmp_path, data, "chaos", executor)
    job_dir = tmp_path / "jobs" / "chaos"
    rng = random.Random(11)
    kills = in_global = 0
    proc = None
    for _ in range(40):
        if kills >= 10 and in_global >= 2:
            break
        proc = jobproc.start(path, "--job_id", "chaos")
        before = jobproc.committed(job_dir) if (job_dir / "results").is_dir() else 0
        if before >= N // 20:  # every partition committed: kill in the global phase or the export
            seen = len(events(job_dir, "DEDUP_START"))
            jobproc.wait_for(lambda s=seen: len(events(job_dir, "DEDUP_START")) > s, 60, proc)
            jobproc.wait_for(lambda: False, rng.uniform(0.0, 0.02), proc)
        else:
            target = before + rng.randint(2, 8)
            jobproc.wait_for(lambda n=target: jobproc.committed(job_dir) >= n, 120, proc)
            jobproc.wait_for(lambda: False, rng.uniform(0.0, 0.05), proc)
        if proc.poll() is not None:
            assert proc.returncode == 0, proc.stdout.read().decode()[-3000:] if proc.stdout else ""
            break
        in_global += before >= N // 20
        jobproc.kill_group(proc)
        kills += 1
    assert kills >= 8, f"only {kills} kills: make the job longer"
    if proc is None or proc.returncode is None or proc.returncode != 0:
        assert datamill("run", "--config", path, "--job_id", "chaos") == 0
    assert (tmp_path / "chaos.jsonl").read_bytes() == expected
    assert ledger(job_dir) == ledger(tmp_path / "jobs" / "reference")
    (again,) = jobproc.summary(job_dir)["dedup"]
    assert (again["rows_in"], again["rows_dropped"], again["clusters"]) == (
        decided["rows_in"],
        decided["rows_dropped"],
        decided["clusters"],
    )
    # On Ray the grouping runs as Ray tasks, one per band (25 with the default parameters).
    assert again["ran_on"] == ("driver" if executor == "local" else "ray: 25 band tasks")
    loads = [e for e in events(job_dir, "CHECKPOINT_LOAD") if e["op_index"] >= 1]
    print(f"{kills} kills, {in_global} after every partition committed, {len(loads)} resumed past the dedup")
