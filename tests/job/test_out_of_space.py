"""A full disk ends the job `failed` with one paragraph; with room again, the
same command resumes and the output is as if nothing had happened."""

from __future__ import annotations

import subprocess
from pathlib import Path

from datamill.demo.recipe import SIX_OPS
from tests.conftest import read_jsonl
from tests.job import jobproc


def test_a_full_disk_fails_the_job_and_the_same_command_resumes(
    datamill, corpus, tmp_path: Path, small_disk: Path, capsys
) -> None:
    data = corpus(6000)
    keys = {"fault_tolerance": {"retry_delay_s": 0.05}, "checkpoint": {"strategy": "every_op"}}
    reference = jobproc.write_recipe(tmp_path, data, "reference", SIX_OPS, **keys)
    assert datamill("run", "--config", reference, "--job_id", "reference") == 0
    capsys.readouterr()

    recipe = jobproc.write_recipe(tmp_path, data, "full", SIX_OPS, **keys, work_dir=str(small_disk / "jobs"))
    assert datamill("run", "--config", recipe, "--job_id", "full") == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "Out of disk space writing " + str(small_disk) in err
    assert "free of 2.0 MB" in err and "run the same command again" in err
    job = small_disk / "jobs" / "full"
    assert jobproc.summary(job)["status"] in ("failed", "running")  # (its last write may not fit)
    done_before = jobproc.committed(job)
    assert 0 < done_before < 300, "the disk should fill midway: the test proves nothing"

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    assert datamill("run", "--config", recipe, "--job_id", "full") == 0
    out = tmp_path / "full.jsonl"
    assert out.read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
    ids = [r["url"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids))
    assert jobproc.summary(job)["counts"]["partitions_skipped"] == done_before
