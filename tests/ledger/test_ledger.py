"""The record ledger: seed 000's files at the job's root, which its snippets read unchanged."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datamill.job.lock import JobLock
from tests.conftest import write_jsonl

FLAKY = {"tests.job.user_ops:FlakyMapper": {"every": 10}}


def scenes(tmp_path: Path, n: int = 200) -> Path:
    rows: list = [{"scene_token": f"tok{i:04d}", "text": f"scene number {i} has some text"} for i in range(n)]
    rows[5] = "{broken json"
    rows[7] = {"scene_token": "tok0007", "text": 7}
    return write_jsonl(tmp_path / "scenes.jsonl", rows)


def recipe(tmp_path: Path, data: Path, process: list | None = None, **keys) -> Path:
    raw = {
        "dataset_path": str(data),
        "export_path": str(tmp_path / "out.jsonl"),
        "work_dir": str(tmp_path / "jobs"),
        "np": 2,
        "id_field": "scene_token",
        "partition": {"size": 50},
        "process": process if process is not None else [FLAKY, {"text_length_filter": {"min_len": 25}}],
        **keys,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def small_head(monkeypatch) -> int:
    """``--skip-processed`` writes the skip list of its first two partitions
    first (the head), and starts them while the rest of the join goes on."""
    from datamill.ledger import skip

    monkeypatch.setattr(skip, "HEAD_PARTITIONS", 2)
    return 2


@pytest.fixture
def killed_before_fold(monkeypatch) -> Callable[..., contextlib.AbstractContextManager[object]]:
    """Runs inside it end as a SIGKILL before the end-of-run fold would leave
    them: their commits' segments stay under ledger/, not folded."""
    from datamill.job.driver import Driver

    @contextlib.contextmanager
    def unfolded() -> Iterator[object]:
        with monkeypatch.context() as m:
            m.setattr(Driver, "_fold", lambda self: None)
            yield m

    return unfolded


def pid_of(marker: Path) -> str:
    """The partition a commit marker (``part-{id}.commit``) belongs to."""
    return marker.name[len("part-") : -len(".commit")]


def stats_of(work: Path) -> dict:
    """The default statistics, after checking that the exact scan agrees with them."""
    from datamill.ledger.stats import ledger_stats

    fast, exact = ledger_stats(work), ledger_stats(work, exact=True)
    assert fast == exact
    return fast


def test_ledger_is_what_the_seed_snippets_read(datamill, tmp_path: Path) -> None:
    data = scenes(tmp_path)
    work = tmp_path / "logs" / "import_1"
    assert datamill("run", "--config", recipe(tmp_path, data), "--work-dir", work) == 0
    assert (work / "job_summary.json").exists()  # the job lives exactly in --work-dir
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    bad = pd.read_parquet(work / "failed_tokens.parquet")
    assert list(ok.columns) == ["scene_token", "processed_at", "batch_num", "written"]
    assert list(bad.columns) == ["scene_token", "error_msg", "batch_num", "step", "failed_at"]
    # seed 000's analysis snippets, unchanged
    ok["hour"] = ok["processed_at"].dt.floor("h")
    assert ok.groupby("hour").size().sum() == len(ok)
    assert ok.groupby("batch_num").size().mean() > 0
    steps = bad["step"].value_counts()
    assert steps["read"] == 2  # the malformed line is named by file and row: it has no readable token
    assert "scenes.jsonl#5" in set(bad["scene_token"]) and "tok0007" in set(bad["scene_token"])
    assert bad["error_msg"].str.extract(r"(.*?):", expand=False).notna().any()
    flaky = set(bad.loc[bad["step"] == "tests.job.user_ops:FlakyMapper", "scene_token"])
    assert flaky and not flaky & set(ok["scene_token"])
    assert len(ok) + len(bad) == 200  # every input row exactly once
    assert ok["scene_token"].is_unique
    progress = json.loads((work / "progress.json").read_text())
    assert set(progress) == {
        "total_scenes",
        "processed_scenes",
        "inserted_records",
        "current_batch",
        "timestamp",
        "successful_count",
        "failed_count",
    }
    assert progress["total_scenes"] == 200 and progress["current_batch"] == 4
    assert progress["successful_count"] == len(ok) and progress["failed_count"] == len(bad)


def test_show_stats_and_stats_command(datamill, tmp_path: Path, capsys) -> None:
    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data)
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    capsys.readouterr()
    assert datamill("run", "--config", path, "--work-dir", work, "--show-stats") == 0
    shown = capsys.readouterr().out
    assert datamill("stats", work, "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    bad = pd.read_parquet(work / "failed_tokens.parquet")
    assert stats["failed_unique"] == bad["scene_token"].nunique()
    assert stats["by_step"] == bad["step"].value_counts().to_dict()
    assert f"failed: {stats['failed_unique']:,} unique records" in shown
    assert "failures by step:" in shown and "tests.job.user_ops:FlakyMapper" in shown
    assert stats == stats_of(work)
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert stats["successful"] == len(ok) and stats["failed_records"] == len(bad)
    assert datamill("stats", work) == 0
    report = capsys.readouterr().out
    assert datamill("stats", work, "--exact") == 0
    assert capsys.readouterr().out == report and report in shown  # the same report every way


def test_work_dir_and_work_dir_override_together_are_refused(datamill, tmp_path: Path, capsys) -> None:
    path = recipe(tmp_path, scenes(tmp_path))
    assert datamill("run", "--config", path, "--work-dir", tmp_path / "a", "--work_dir", tmp_path / "b") == 2
    assert "--work-dir names the job's own directory" in capsys.readouterr().err


def test_a_truncated_segment_is_detected_and_rebuilt(
    datamill, tmp_path: Path, capsys, killed_before_fold
) -> None:
    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data)
    with killed_before_fold():
        assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert not (work / "successful_tokens.parquet").exists()
    before = pd.read_parquet(work / "ledger" / "success")
    segment = sorted((work / "ledger" / "success").glob("part-*"))[1]
    segment.write_bytes(segment.read_bytes()[:100])  # a crash mid-write, by hand
    with pytest.raises(Exception):  # noqa: B017 - any reader error: the file is really damaged
        pd.read_parquet(work / "ledger" / "success")
    capsys.readouterr()
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert "ledger segments of 1 committed partitions are damaged" in capsys.readouterr().err
    after = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(after["scene_token"]) == sorted(before["scene_token"])
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["counts"]["partitions_skipped"] == 3 and summary["counts"]["partitions_redone"] == 1
    assert not list((work / "ledger" / "success").iterdir())  # all folded into the root file


@pytest.mark.parametrize("name", ["successful_tokens.parquet", "failed_history.parquet"])
def test_a_root_file_deleted_by_hand_is_noticed_and_its_records_redone(
    datamill, tmp_path: Path, capsys, name: str
) -> None:
    """Seed 000's cleanup_old_progress deletes every old .parquet: the next run
    says so and redoes the partitions whose records the file held."""
    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data)
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    ok, bad = (
        pd.read_parquet(work / "successful_tokens.parquet"),
        pd.read_parquet(work / "failed_tokens.parquet"),
    )
    (work / name).unlink()
    capsys.readouterr()
    assert datamill("stats", work) == 0  # stats reads the commits: still right
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert f"{name} is missing" in capsys.readouterr().err
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["counts"]["partitions_redone"] == 4
    assert sorted(pd.read_parquet(work / "successful_tokens.parquet")["scene_token"]) == sorted(
        ok["scene_token"]
    )
    assert sorted(pd.read_parquet(work / "failed_tokens.parquet")["scene_token"]) == sorted(
        bad["scene_token"]
    )
    assert stats_of(work)["successful"] == len(ok)


def test_a_resume_starts_partitions_before_reading_its_state_and_still_repairs_it(
    datamill, tmp_path: Path, monkeypatch, capsys, killed_before_fold
) -> None:
    """The first partitions without a marker go to workers before the commits and
    the ledger are read; that reading still redoes a damaged partition, removes
    what crashes left, and leaves the busy partitions' files to their workers."""
    from datamill.job import driver

    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data, partition={"size": 20})  # 10 partitions
    with killed_before_fold():
        assert datamill("run", "--config", path, "--work-dir", work) == 0
    before = pd.read_parquet(work / "ledger" / "success")
    markers = sorted((work / "results").glob("*.commit"))
    for marker in markers[:5]:
        marker.unlink()  # as if killed before these five committed: their segments stay, orphaned
    ok = work / "ledger" / "success"
    orphan = ok / f"part-{pid_of(markers[0])}.parquet"
    orphan.write_bytes(b"torn")  # an orphan a reader would choke on, were it kept
    damaged = ok / f"part-{pid_of(markers[7])}.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    seen: list[set[str]] = []
    real = driver.prepare_resume

    def spy(*args, **kwargs):
        seen.append(set(args[6]))
        time.sleep(0.5)  # a big job's reading: the early partitions start meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(driver, "prepare_resume", spy)
    capsys.readouterr()
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    first = [pid_of(m) for m in markers[:4]]
    assert seen == [set(first)]  # two workers, two partitions each in flight
    assert "ledger segments of 1 committed partitions are damaged" in capsys.readouterr().err
    after = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(after["scene_token"]) == sorted(before["scene_token"])  # each once
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["counts"]["partitions_skipped"] == 4 and summary["counts"]["partitions_redone"] == 1
    events = [json.loads(line) for line in (work / "event_logs" / "events.jsonl").open()]
    kinds = [e["type"] for e in events]
    resumed, ended = kinds.index("JOB_RESUME"), kinds.index("JOB_COMPLETE")
    assert not any(k.startswith("PARTITION_") for k in kinds[ended:resumed])  # the log stays in order
    begun = events[resumed]["epoch"]  # ... and in time: no partition started before the run did
    assert all(e["epoch"] >= begun for e in events[resumed:]), "an event of this run predates JOB_RESUME"
    done = {e["partition_id"] for e in events[resumed:] if e["type"] == "PARTITION_COMPLETE"}
    assert done == {*first, pid_of(markers[4]), pid_of(markers[7])}


def test_a_partition_started_early_that_fails_leaves_no_segment_of_a_crashed_run(
    datamill, tmp_path: Path, killed_before_fold
) -> None:
    data = scenes(tmp_path, 100)
    work = tmp_path / "w"
    with killed_before_fold():
        first = recipe(tmp_path, data, [], partition={"size": 20})
        assert datamill("run", "--config", first, "--work-dir", work) == 0
    marker = sorted((work / "results").glob("*.commit"))[0]
    marker.unlink()  # killed before it committed: its segment stays behind
    broken = {
        "tests.job.user_ops:BrokenUntilFixedMapper": {
            "needle": "scene number 3 has some text",
            "fixed": str(tmp_path / "fixed"),
        }
    }
    ft = {"max_retries": 0, "retry_delay_s": 0}
    again = recipe(tmp_path, data, [broken], partition={"size": 20}, fault_tolerance=ft)
    assert datamill("run", "--config", again, "--work-dir", work) == 1  # the first partition fails
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert len(ok) == 80 and "tok0003" not in set(ok["scene_token"])


def test_a_resume_that_fails_while_reading_its_state_stops_its_early_partitions(
    datamill, tmp_path: Path, monkeypatch
) -> None:
    import psutil

    from datamill.job import driver

    data = scenes(tmp_path)
    work = tmp_path / "w"
    hold = tmp_path / "hold"  # while it exists, a partition's worker waits
    path = recipe(tmp_path, data, [{"tests.job.user_ops:HoldWhileFileMapper": {"hold": str(hold)}}])
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    before = pd.read_parquet(work / "successful_tokens.parquet")
    for marker in sorted((work / "results").glob("*.commit"))[:3]:
        marker.unlink()
    hold.touch()

    def crash(*args, **kwargs):
        raise RuntimeError("the state could not be read")

    def alive() -> set[int]:
        pids = set()
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.status() != psutil.STATUS_ZOMBIE:
                    pids.add(child.pid)
        return pids

    monkeypatch.setattr(driver, "prepare_resume", crash)
    shared = alive()  # the fork server and multiprocessing's resource tracker stay
    with pytest.raises(RuntimeError):
        datamill("run", "--config", path, "--work-dir", work)
    time.sleep(1)  # time enough for a pool left running to start its workers
    deadline = time.monotonic() + 10
    while alive() - shared and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive() - shared, "the partitions started early are still running"
    hold.unlink()
    monkeypatch.undo()
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    after = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(after["scene_token"]) == sorted(before["scene_token"])  # each once


def test_compact_folds_now_keeps_every_record_and_resume_still_skips(
    datamill, tmp_path: Path, killed_before_fold
) -> None:
    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data)
    with killed_before_fold():
        assert datamill("run", "--config", path, "--work-dir", work) == 0
    ok = pd.read_parquet(work / "ledger" / "success")
    bad = pd.read_parquet(work / "ledger" / "failed")
    assert datamill("ledger", "compact", work) == 0
    assert not list((work / "ledger" / "success").iterdir()) and not list(
        (work / "ledger" / "failed").iterdir()
    )
    again = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(again["scene_token"]) == sorted(ok["scene_token"])
    assert sorted(pd.read_parquet(work / "failed_tokens.parquet")["scene_token"]) == sorted(
        bad["scene_token"]
    )
    assert stats_of(work)["successful"] == len(ok)  # counted once
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["counts"]["partitions_skipped"] == 4


@pytest.mark.parametrize("stop_at", ["writing", "renaming"])
def test_a_fold_stopped_halfway_is_undone_or_completed(
    datamill, tmp_path: Path, monkeypatch, killed_before_fold, stop_at: str
) -> None:
    """Stopped after writing its files (before its commit), or while putting
    them in place: the next run reads each id once, from the root files."""
    import datamill.ledger as ledger_names
    from datamill.ledger import fold, maintenance

    data = scenes(tmp_path)
    work = tmp_path / "w"
    path = recipe(tmp_path, data)
    with killed_before_fold():
        assert datamill("run", "--config", path, "--work-dir", work) == 0
    ok = sorted(pd.read_parquet(work / "ledger" / "success")["scene_token"])
    bad = sorted(pd.read_parquet(work / "ledger" / "failed")["scene_token"])

    class Stopped(Exception):
        pass

    if stop_at == "writing":  # the new files are written, the index does not say so yet
        writes = []
        real = fold.write_json_atomic

        def commit(index, data) -> None:
            writes.append(data)
            if len(writes) == 2:
                raise Stopped
            real(index, data)

        monkeypatch.setattr(fold, "write_json_atomic", commit)
    else:  # committed; the success file renamed into place, nothing else yet
        real_replace = os.replace

        def one_rename(src, dst) -> None:
            real_replace(src, dst)
            if Path(src).name.startswith(".tmp-fold-"):
                raise Stopped

        monkeypatch.setattr(ledger_names.os, "replace", one_rename)
    with pytest.raises(Stopped):
        maintenance.compact(work)
    monkeypatch.undo()
    assert any(p.name.startswith(".tmp-fold-") for p in work.iterdir())
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert sorted(pd.read_parquet(work / "successful_tokens.parquet")["scene_token"]) == ok  # each once
    assert sorted(pd.read_parquet(work / "failed_tokens.parquet")["scene_token"]) == bad
    assert stats_of(work)["successful"] == len(ok)
    index = json.loads((work / "ledger" / "folded.json").read_text())
    assert not index.keys() & {"writing", "pending"} and len(index["partitions"]) == 4
    assert not any(p.name.startswith(".tmp-") for p in work.iterdir())
    assert not list((work / "ledger" / "success").iterdir())


def test_merge_deduplicates_by_id_latest_wins(datamill, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [{"scene_token": f"t{i}", "text": "x" * 30} for i in range(10)])
    second = write_jsonl(
        tmp_path / "b.jsonl", [{"scene_token": f"t{i}", "text": "x" * 30} for i in range(5, 15)]
    )
    assert datamill("run", "--config", recipe(tmp_path, first, []), "--work-dir", tmp_path / "one") == 0
    time.sleep(0.01)
    assert datamill("run", "--config", recipe(tmp_path, second, []), "--work-dir", tmp_path / "two") == 0
    assert datamill("ledger", "merge", tmp_path / "one", tmp_path / "two", "--out", tmp_path / "merged") == 0
    merged = pd.read_parquet(tmp_path / "merged" / "successful_tokens.parquet")
    assert sorted(merged["scene_token"]) == sorted(f"t{i}" for i in range(15))
    two = pd.read_parquet(tmp_path / "two" / "successful_tokens.parquet").set_index("scene_token")
    assert (merged.set_index("scene_token").loc["t7", "processed_at"]) == two.loc["t7", "processed_at"]


def test_cleanup_removes_old_finished_jobs_only(datamill, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"scene_token": "a", "text": "x" * 30}])
    for name in ("old", "new", "busy"):
        assert (
            datamill("run", "--config", recipe(tmp_path, data, []), "--work-dir", tmp_path / "jobs" / name)
            == 0
        )
    week_ago = time.time() - 8 * 86400
    for name in ("old", "busy"):
        os.utime(tmp_path / "jobs" / name / "job_summary.json", (week_ago, week_ago))
    with JobLock(tmp_path / "jobs" / "busy" / "job.lock", "busy"):
        assert datamill("cleanup", tmp_path / "jobs", "--older-than", "7d", "--yes") == 0
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == ["busy", "new"]


def test_retry_failed_after_the_cause_is_fixed(datamill, tmp_path: Path, capsys) -> None:
    data = scenes(tmp_path, 300)
    fixed = tmp_path / "fixed"
    op = {"tests.job.user_ops:FailUntilFixedMapper": {"fixed": str(fixed)}}
    path = recipe(tmp_path, data, [op], export={"table": "clips", "insert_batch": 13})
    work = tmp_path / "w"
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    capsys.readouterr()
    assert datamill("stats", work, "--json") == 0
    before = json.loads(capsys.readouterr().out)
    assert before == stats_of(work)
    flaky = before["by_step"]["tests.job.user_ops:FailUntilFixedMapper"]
    assert flaky > 10 and before["failed_unique"] == flaky + 2  # + the two unreadable lines

    fixed.write_text("metadata restored")
    assert datamill("run", "--config", path, "--work-dir", work, "--retry-failed") == 0
    capsys.readouterr()
    assert datamill("stats", work, "--json") == 0
    after = json.loads(capsys.readouterr().out)
    assert after == stats_of(work)
    assert after["failed_unique"] == 2 and after["by_step"] == {"read": 2}
    assert after["successful"] == before["successful"] + flaky
    import sqlalchemy as sa

    with sa.create_engine(f"sqlite:///{work / 'output.db'}").connect() as conn:
        in_db = {r[0] for r in conn.execute(sa.text("SELECT scene_token FROM clips"))}
    assert len(in_db) == 298 and "tok0007" not in in_db  # every readable scene, once
    assert datamill("verify", work) == 0
    progress = json.loads((work / "progress.json").read_text())
    assert progress["failed_count"] == 2 and progress["inserted_records"] == 298
    # a second retry finds nothing new to fix but keeps everything
    assert datamill("run", "--config", path, "--work-dir", work, "--retry-failed") == 0
    capsys.readouterr()
    assert datamill("stats", work, "--json") == 0
    assert json.loads(capsys.readouterr().out)["failed_unique"] == 2


def test_skip_processed_on_a_superset_input(datamill, tmp_path: Path, capsys) -> None:
    first = write_jsonl(
        tmp_path / "a.jsonl", [{"scene_token": f"t{i:04d}", "text": "x" * 30} for i in range(100)]
    )
    superset = write_jsonl(
        tmp_path / "b.jsonl", [{"scene_token": f"t{i:04d}", "text": "x" * 30} for i in range(150)][::-1]
    )
    work = tmp_path / "w"
    assert (
        datamill(
            "run", "--config", recipe(tmp_path, first, [], export={"table": "clips"}), "--work-dir", work
        )
        == 0
    )
    path = recipe(tmp_path, superset, [], export={"table": "clips"})
    assert datamill("run", "--config", path, "--work-dir", work) == 2  # another input: refused by default
    assert "now names other files" in capsys.readouterr().err
    assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["counts"]["samples_skipped"] == 100 and summary["counts"]["samples_read"] == 50
    assert (work / "history" / "gen1" / "results").is_dir()
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(ok["scene_token"]) == [f"t{i:04d}" for i in range(150)]  # each once, across both inputs
    import sqlalchemy as sa

    with sa.create_engine(f"sqlite:///{work / 'output.db'}").connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM clips")).scalar() == 150
    assert datamill("verify", work) == 0
    # resuming the new job skips its committed partitions and reuses the skip list
    assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    assert json.loads((work / "job_summary.json").read_text())["counts"]["partitions_skipped"] == 3


@pytest.mark.parametrize("odd_line", ["", "{not json"])
def test_skip_processed_on_jsonl_with_blank_or_malformed_lines(
    datamill, tmp_path: Path, odd_line: str, small_head: int
) -> None:
    """Each id is skipped in the partition of its own line, though Arrow's JSON
    reader skips blank lines and stops at malformed ones."""
    rows = [{"scene_token": f"t{i:04d}", "text": "x" * 30} for i in range(150)]
    first = write_jsonl(tmp_path / "a.jsonl", rows[:100])
    superset = write_jsonl(tmp_path / "b.jsonl", [odd_line] * 5 + rows[::-1])  # lines 100-104: old ids
    work = tmp_path / "w"
    assert datamill("run", "--config", recipe(tmp_path, first, []), "--work-dir", work) == 0
    path = recipe(tmp_path, superset, [])
    assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    counts = json.loads((work / "job_summary.json").read_text())["counts"]
    assert counts["samples_skipped"] == 100
    assert counts["samples_read"] - counts["samples_bad"] == 50  # the new ids, each once
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(ok["scene_token"]) == [f"t{i:04d}" for i in range(150)]  # none processed twice


def test_skip_processed_takes_records_that_now_succeed_out_of_the_failed_view(
    datamill, tmp_path: Path
) -> None:
    rows = [{"scene_token": f"t{i:04d}", "text": f"scene {i} with some text"} for i in range(200)]
    first = write_jsonl(tmp_path / "a.jsonl", rows[:120])
    superset = write_jsonl(tmp_path / "b.jsonl", rows)
    fixed = tmp_path / "fixed"
    ops = [{"tests.job.user_ops:FailUntilFixedMapper": {"fixed": str(fixed)}}]
    work = tmp_path / "w"
    assert datamill("run", "--config", recipe(tmp_path, first, ops), "--work-dir", work) == 0
    before = stats_of(work)
    failed = before["failed_unique"]
    assert failed > 3 and before["successful"] == 120 - failed

    fixed.write_text("fixed")
    path = recipe(tmp_path, superset, ops)
    assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    after = stats_of(work)  # the old failures were processed again, and succeeded
    assert after["failed_unique"] == 0 and after["successful"] == 200
    assert after["failed_records"] == 0
    # compacting the new run's segments changes nothing
    assert datamill("ledger", "compact", work) == 0
    assert stats_of(work) == after


def test_skip_processed_on_a_parquet_input_read_by_duckdb(datamill, tmp_path: Path, small_head: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def tokens(path: Path, ids: list[str]) -> Path:
        table = pa.table({"scene_token": ids, "text": [f"scene {t} text" for t in ids]})
        pq.write_table(table, path, row_group_size=40)  # large groups: the input is staged
        return path

    first = tokens(tmp_path / "a.parquet", [f"t{i:04d}" for i in range(0, 300, 2)])
    second = tokens(tmp_path / "b.parquet", [f"t{i:04d}" for i in range(300)][::-1])
    work = tmp_path / "w"
    assert (
        datamill("run", "--config", recipe(tmp_path, first, [], partition={"size": 16}), "--work-dir", work)
        == 0
    )
    path = recipe(tmp_path, second, [], partition={"size": 16})
    assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    summary = json.loads((work / "job_summary.json").read_text())
    assert summary["counts"]["samples_skipped"] == 150 and summary["counts"]["samples_read"] == 150
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(ok["scene_token"]) == [f"t{i:04d}" for i in range(300)]  # each once
    out = pd.read_json(tmp_path / "out.jsonl", lines=True)  # this input's new records only
    assert sorted(out["scene_token"]) == [f"t{i:04d}" for i in range(1, 300, 2)]
    skip = pq.read_table(work / "metadata" / "skip.parquet")
    head = pq.read_table(work / "metadata" / "skip-head.parquet")  # rows of ids 299 to 268
    assert head.num_rows == 16 and set(head.column("partition").to_pylist()) == {0, 1}
    assert head.to_pylist() == [r for r in skip.to_pylist() if r["partition"] < small_head]
    assert stats_of(work)["successful"] == 300


def test_skip_processed_on_parquet_reads_rows_back_by_number(
    datamill, tmp_path: Path, small_head: int
) -> None:
    """A Parquet input's skip list names rows by number: with bad rows among
    them, and old failures to watch, each row is still matched to its id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = {f"t{i:04d}": f"scene {i} with some text" for i in range(200)}
    texts["t0150"] = texts["t0161"] = None  # type: ignore[assignment]  # new rows, bad: no text
    first = write_jsonl(
        tmp_path / "a.jsonl", [{"scene_token": t, "text": texts[t]} for t in list(texts)[:120]]
    )
    ids = list(texts)[::-1]
    second = tmp_path / "b.parquet"
    pq.write_table(
        pa.table({"scene_token": ids, "text": [texts[t] for t in ids]}), second, row_group_size=64
    )  # groups larger than a partition: staged, then read by row number
    fixed = tmp_path / "fixed"
    ops = [{"tests.job.user_ops:FailUntilFixedMapper": {"fixed": str(fixed)}}]
    work = tmp_path / "w"
    assert (
        datamill("run", "--config", recipe(tmp_path, first, ops, partition={"size": 16}), "--work-dir", work)
        == 0
    )
    failed = stats_of(work)["failed_unique"]
    assert failed > 3

    fixed.write_text("fixed")
    path = recipe(tmp_path, second, ops, partition={"size": 16})
    assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    counts = json.loads((work / "job_summary.json").read_text())["counts"]
    assert counts["samples_skipped"] == 120 - failed
    assert counts["samples_bad"] == 2 and counts["samples_read"] == 80 + failed
    skip = pq.read_table(work / "metadata" / "skip.parquet")
    assert skip.column("id").null_count == skip.num_rows  # rows by number, no ids stored
    after = stats_of(work)  # the old failures were processed again, and succeeded
    assert after["failed_unique"] == 2 and after["successful"] == 198  # left: the rows without text
    bad = pd.read_parquet(work / "failed_tokens.parquet")
    assert {"t0150", "t0161"} <= set(bad["scene_token"])
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(ok["scene_token"]) == sorted(t for t in texts if texts[t] is not None)  # each once


def test_a_run_stopped_during_the_skip_join_does_it_again(
    datamill, tmp_path: Path, small_head: int, killed_before_fold
) -> None:
    """Stopped after its head partitions committed, before the whole skip
    list was written: the next run (flag or not) matches the rest again."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [f"t{i:04d}" for i in range(300)]
    first = tmp_path / "a.parquet"
    pq.write_table(pa.table({"scene_token": ids[:200], "text": ["x" * 30] * 200}), first)
    second = tmp_path / "b.parquet"
    pq.write_table(pa.table({"scene_token": ids[::-1], "text": ["x" * 30] * 300}), second)
    work = tmp_path / "w"
    assert datamill("run", "--config", recipe(tmp_path, first, []), "--work-dir", work) == 0
    path = recipe(tmp_path, second, [])
    with killed_before_fold():  # a kill: no fold of the new run's commits
        assert datamill("run", "--config", path, "--work-dir", work, "--skip-processed") == 0
    (work / "metadata" / "skip.parquet").unlink()  # what a stop during the join leaves:
    for marker in sorted((work / "results").glob("*.commit"))[small_head:]:
        marker.unlink()  # the head's partitions committed, no other
    assert datamill("run", "--config", path, "--work-dir", work) == 0
    assert (work / "metadata" / "skip.parquet").exists()
    counts = json.loads((work / "job_summary.json").read_text())["counts"]
    assert counts["samples_skipped"] == 200 and counts["samples_read"] == 100
    ok = pd.read_parquet(work / "successful_tokens.parquet")
    assert sorted(ok["scene_token"]) == ids  # each once
