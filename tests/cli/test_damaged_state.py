"""Damaged state is reported, not traced: every command that reads a job's
files meets a truncated or garbled one with a message naming it (issue 12.5)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from datamill.engine.checkpoint import CheckpointStore
from datamill.job.driver import Driver
from tests.conftest import write_jsonl

FLAKY = {"tests.job.user_ops:FlakyMapper": {"every": 10}}


def _write_recipe(tmp: Path, data: Path) -> Path:
    raw = {
        "dataset_path": str(data),
        "export_path": str(tmp / "out.jsonl"),
        "work_dir": str(tmp / "jobs"),
        "np": 1,
        "id_field": "scene_token",
        "partition": {"size": 50},
        "checkpoint": {"strategy": "every_op"},
        "process": [FLAKY, {"text_length_filter": {"min_len": 25}}],
    }
    path = tmp / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A job with every kind of state file: root ledger files, unfolded segments of a
    later run, commit markers, the commit index, a checkpoint, events, summary, config;
    and a copy of it to restore it from (resume checks the input's path: it stays put)."""
    from datamill.cli.main import main

    tmp = tmp_path_factory.mktemp("pristine")
    rows = [{"scene_token": f"tok{i:04d}", "text": f"scene number {i} has some text"} for i in range(200)]
    data = write_jsonl(tmp / "scenes.jsonl", rows)
    recipe = _write_recipe(tmp, data)
    job = tmp / "jobs" / "j"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(CheckpointStore, "clear", lambda self, pid: None)  # keep every checkpoint
        assert main(["run", "--config", str(recipe), "--job_id", "j"]) == 0
        sorted((job / "results").glob("*.commit"))[0].unlink()  # redone: fresh segments
        m.setattr(Driver, "_fold", lambda self: None)
        assert main(["run", "--config", str(recipe), "--job_id", "j"]) == 0
    sorted((job / "results").glob("*.commit"))[-1].unlink()  # resume reads its checkpoint
    backup = tmp_path_factory.mktemp("backup")
    shutil.copytree(tmp, backup, dirs_exist_ok=True)
    return tmp, backup


def state_files(job: Path) -> dict[str, Path]:
    def first(pattern: str) -> Path:
        found = sorted(job.glob(pattern))
        assert found, f"no {pattern} in the pristine job"
        return found[0]

    return {
        "success segment": first("ledger/success/part-*"),
        "failed segment": first("ledger/failed/part-*"),
        **{
            name: job / name
            for name in (
                "successful_tokens.parquet",
                "failed_tokens.parquet",
                "failed_history.parquet",
                "progress.json",
            )
        },
        "folded.json": job / "ledger" / "folded.json",
        "job_summary.json": job / "job_summary.json",
        "events.jsonl": job / "event_logs" / "events.jsonl",
        "commit marker": first("results/*.commit"),
        "commits.tsv": job / "metadata" / "commits.tsv",
        "checkpoint": first("checkpoints/*/*"),
        "config.yaml": job / "config.yaml",
    }


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


def garble(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    for i in range(0, len(raw), 7):
        raw[i] = (raw[i] * 31 + 17) % 256
    path.write_bytes(bytes(raw))


COMMANDS: list[list[str]] = [
    ["stats", "{job}"],
    ["stats", "{job}", "--exact"],
    ["stats", "{job}", "--history"],
    ["stats", "{job}", "--json"],
    ["verify", "{job}"],
    ["ledger", "compact", "{job}"],
    ["ledger", "merge", "{job}", "--out", "{tmp}/merged"],
    ["monitor", "{job}"],
    ["monitor", "{job}", "--json"],
    ["jobs", "--base-dir", "{tmp}/jobs"],
    ["jobs", "--base-dir", "{tmp}/jobs", "--json"],
    ["stop", "{job}"],
    ["resume", "{job}"],
]


@pytest.mark.parametrize("damage", [truncate, garble], ids=["truncated", "garbled"])
@pytest.mark.parametrize(
    "kind",
    [
        "success segment",
        "failed segment",
        "successful_tokens.parquet",
        "failed_tokens.parquet",
        "failed_history.parquet",
        "progress.json",
        "folded.json",
        "job_summary.json",
        "events.jsonl",
        "commit marker",
        "commits.tsv",
        "checkpoint",
        "config.yaml",
    ],
)
def test_every_read_command_reports_a_damaged_file(
    datamill: Callable[..., int],
    pristine: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    kind: str,
    damage: Callable[[Path], None],
) -> None:
    tmp, backup = pristine
    shutil.rmtree(tmp)
    shutil.copytree(backup, tmp)
    job = tmp / "jobs" / "j"
    target = state_files(job)[kind]
    damage(target)
    capsys.readouterr()
    for command in COMMANDS:
        args = [a.format(job=job, tmp=tmp) for a in command]
        code = datamill(*args)
        err = capsys.readouterr().err
        assert "Traceback" not in err, f"{args}: {err}"
        assert code in (0, 1, 2), f"{args} exited {code}: {err}"
        if code != 0 and "error:" in err and "no SQL export" not in err:
            assert target.name in err, f"{args}: {err}"
