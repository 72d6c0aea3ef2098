"""Seed 000's three files at the job's root, folded from the commits' segments."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil

from tests.conftest import write_jsonl
from tests.ledger.test_ledger import recipe, scenes, stats_of

UNTIL_FIXED = "tests.job.user_ops:FailUntilFixedMapper"


def files(work: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """successful_tokens, failed_tokens, failed_history, as seed 000's snippets read them."""
    return (
        pd.read_parquet(work / "successful_tokens.parquet"),
        pd.read_parquet(work / "failed_tokens.parquet"),
        pd.read_parquet(work / "failed_history.parquet"),
    )


def test_the_root_files_are_regular_files_the_seed_reads(datamill, tmp_path: Path) -> None:
    work = tmp_path / "logs" / "import_1"
    assert datamill("run", "--config", recipe(tmp_path, scenes(tmp_path)), "--work-dir", work) == 0
    for name in ("successful_tokens.parquet", "failed_tokens.parquet", "progress.json"):
        mode = (work / name).stat().st_mode
        assert stat.S_ISREG(mode), f"{name} is not a regular file"
    ok, bad, history = files(work)
    progress = json.loads((work / "progress.json").read_text())
    assert progress["successful_count"] == len(ok) and progress["failed_count"] == len(bad)
    assert len(history) == len(bad) and ok["scene_token"].is_unique
    assert not list((work / "ledger" / "success").iterdir())  # folded: no record is kept twice


def test_failed_tokens_is_the_current_failed_set_through_retries(datamill, tmp_path: Path, capsys) -> None:
    """Each unsuccessful --retry-failed replaces a record's row (latest failure);
    once the cause is fixed the file is empty; the history keeps every attempt."""
    fixed = tmp_path / "fixed"
    data = scenes(tmp_path, 300)
    path = recipe(tmp_path, data, [{UNTIL_FIXED: {"fixed": str(fixed)}}])
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    _, bad, _ = files(work)
    n = len(bad)
    assert n > 20 and bad["scene_token"].is_unique
    first_seen = bad.set_index("scene_token")["failed_at"]
    for attempt in (2, 3):
        assert datamill("run", "--config", path, "--work-dir", work, "--retry-failed") == 0
        _, bad, history = files(work)
        assert len(bad) == n and bad["scene_token"].is_unique  # replaced, never added
        assert len(history) == attempt * n  # (the two unreadable lines are read again, and fail again)
        latest = bad.set_index("scene_token")["failed_at"]
        flaky = bad.loc[bad["step"] == UNTIL_FIXED, "scene_token"]
        assert (latest[flaky] > first_seen[flaky]).all()  # the row is the latest failure
        assert json.loads((work / "progress.json").read_text())["failed_count"] == n
    fixed.touch()
    assert datamill("run", "--config", path, "--work-dir", work, "--retry-failed") == 0
    ok, bad, history = files(work)
    assert sorted(bad["step"]) == ["read", "read"]  # only the unreadable lines are left
    assert len(ok) == 298 and ok["scene_token"].is_unique
    assert len(history) == 3 * n + 2  # (the unreadable lines were read a fourth time)
    assert stats_of(work)["failed_unique"] == 2
    capsys.readouterr()
    assert datamill("stats", work, "--history", "--json") == 0
    past = json.loads(capsys.readouterr().out)
    assert past["failures"] == len(history) and past["records"] == n
    assert past["failed_more_than_once"] == n and past["by_step"][UNTIL_FIXED] == 3 * (n - 2)


def test_duplicate_ids_are_counted_once_in_the_ledger_and_explained(datamill, tmp_path: Path, capsys) -> None:
    rows = [{"scene_token": f"t{i:03d}", "text": "x" * 30} for i in range(100)]
    rows += [{"scene_token": f"t{i:03d}", "text": "y" * 30} for i in range(0, 100, 10)]  # 10 ids twice
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    work = tmp_path / "w"
    path = recipe(tmp_path, data, [], export={"table": "clips"})
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert "10 ids appeared more than once" in capsys.readouterr().out
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert len(ok) == 100 and ok["scene_token"].is_unique
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["ledger"]["duplicate_ids"] == 10
    import sqlalchemy as sa

    with sa.create_engine(f"sqlite:///{work / 'output.db'}").connect() as conn:
        db_count = conn.execute(sa.text("SELECT count(*) FROM clips")).scalar()
    assert db_count - len(ok) == 0  # seed 000's consistency check
    assert datamill("verify", work) == 0
    said = capsys.readouterr().out
    assert "a difference of 0" in said and "10 ids appeared more than once" in said


def test_verify_explains_records_a_filter_removed(datamill, tmp_path: Path, capsys) -> None:
    rows = [{"scene_token": f"t{i:03d}", "text": "x" * (10 if i % 4 == 0 else 40)} for i in range(100)]
    work = tmp_path / "w"
    ops = [{"text_length_filter": {"min_len": 20}}]
    path = recipe(tmp_path, write_jsonl(tmp_path / "d.jsonl", rows), ops, export={"table": "clips"})
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    capsys.readouterr()
    assert datamill("verify", work) == 0
    said = capsys.readouterr().out
    assert "a difference of -25" in said and "25 records were processed but removed by a filter" in said


def test_folds_happen_while_a_long_run_goes_on(datamill, tmp_path: Path, monkeypatch) -> None:
    from datamill.job import folding

    monkeypatch.setattr(folding, "SPACING", 1.0)  # (20 times a small fold's time is most of this run)
    data = scenes(tmp_path, 400)
    ops = [{"tests.job.user_ops:SlowMapper": {"delay_s": 0.25}}]
    path = recipe(tmp_path, data, ops, partition={"size": 10}, ledger={"fold_interval_s": 0.5})
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["ledger"]["folds"] >= 3  # periodic ones, then the last
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert len(ok) == 398 and ok["scene_token"].is_unique


def test_merge_keeps_records_recovered_elsewhere_out_of_the_failed_set(datamill, tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    data = scenes(tmp_path, 200)
    ops = [{UNTIL_FIXED: {"fixed": str(fixed)}}]
    assert datamill("run", "--config", recipe(tmp_path, data, ops), "--work-dir", tmp_path / "a") == 0
    _, failed_a, _ = files(tmp_path / "a")
    fixed.touch()
    assert datamill("run", "--config", recipe(tmp_path, data, ops), "--work-dir", tmp_path / "b") == 0
    assert datamill("ledger", "merge", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "m") == 0
    ok, bad, history = files(tmp_path / "m")
    assert sorted(bad["step"]) == ["read", "read"]  # a's failures succeeded later, in b
    assert len(history) == len(failed_a) + 2
    assert len(ok) == 198 and ok["scene_token"].is_unique
    # the seed's merge_progress_files reads the same files
    assert (
        len(pd.concat([files(tmp_path / d)[0] for d in "ab"]).drop_duplicates(subset=["scene_token"])) == 198
    )


def test_a_job_directory_of_the_old_layout_is_upgraded(datamill, tmp_path: Path) -> None:
    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data)
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    # the layout of the previous release: segment folders under progress/, named like the files
    progress = work / "progress"
    progress.mkdir()
    os.rename(work / "ledger" / "success", progress / "successful_tokens.parquet")
    os.rename(work / "ledger" / "failed", progress / "failed_tokens.parquet")
    os.replace(
        work / "successful_tokens.parquet", progress / "successful_tokens.parquet" / "compacted-1.parquet"
    )
    os.replace(work / "failed_history.parquet", progress / "failed_tokens.parquet" / "compacted-1.parquet")
    (work / "failed_tokens.parquet").unlink()
    index = json.loads((work / "ledger" / "folded.json").read_text())
    (progress / "compacted.json").write_text(json.dumps({"partitions": index["partitions"]}))
    os.rename(work / "ledger", tmp_path / "gone")
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert not progress.exists()
    again = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(again["scene_token"]) == sorted(ok["scene_token"])
    assert json.loads((work / "job_summary.json").read_text())["counts"]["partitions_redone"] == 0


def test_a_stop_signal_while_folding_ends_the_run_and_the_next_run_folds(
    datamill, tmp_path: Path, monkeypatch
) -> None:
    import signal
    import time

    from datamill.job.folding import Folder

    real = Folder.finish

    def interrupted(self: Folder) -> object:
        os.kill(os.getpid(), signal.SIGTERM)  # as `datamill stop` would, while the fold runs
        time.sleep(5)
        raise AssertionError("the signal did not stop the fold")

    work = tmp_path / "w"
    path = recipe(tmp_path, scenes(tmp_path))
    monkeypatch.setattr(Folder, "finish", interrupted)
    assert datamill("run", "--config", path, "--work-dir", work) == 0  # every partition had committed
    assert not (work / "successful_tokens.parquet").exists()
    monkeypatch.setattr(Folder, "finish", real)
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    ok, bad, _ = files(work)
    assert len(ok) + len(bad) == 200 and ok["scene_token"].is_unique


def test_a_datamill_command_folds_last_alone_and_leaves_no_process(tmp_path: Path) -> None:
    """`datamill run` as its own process: its last fold runs in a fresh process, the
    workers' fork server stopped first, and the root files are the same as in-process."""
    work = tmp_path / "logs" / "import_2"
    path = recipe(tmp_path, scenes(tmp_path), [{"text_length_filter": {"min_len": 25}}])
    cmd = [sys.executable, "-m", "datamill", "run", "--config", str(path), "--work-dir", str(work)]
    run = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    ok, bad, _ = files(work)
    assert len(ok) == 198 and sorted(bad["step"]) == ["read", "read"]
    assert not list((work / "ledger" / "success").iterdir())
    deadline = time.monotonic() + 10  # (multiprocessing's resource tracker ends after its parent)
    while (left := [p.pid for p in psutil.process_iter() if _session(p.pid) == run.pid]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert not left, f"processes of the run outlive it: {left}"


def _session(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None
