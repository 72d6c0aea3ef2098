"""Seed 000's snippets, run as written against real jobs, and the numbers they print.

The snippets are the seed's code blocks byte for byte (``tests/seed000/``);
only the seed's command name is replaced (``python -m spdatalab.cli
process-bbox`` by ``datamill run --config bbox.yaml``, the recipe of
``examples/scene_bbox``: scene tokens in, bounding boxes out, into the
PostgreSQL table ``clips_bbox``), its database host by the test's PostgreSQL,
and, under pandas 3, the hourly frequency alias ``'H'`` by ``'h'`` (pandas 3
renamed it). The monitoring loops run until their jobs are done: ``sleep`` is
a stand-in that ends the loop once no job of the test runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
SNIPPETS = REPO / "tests" / "seed000"
EXAMPLE = REPO / "examples" / "scene_bbox"
SEED_COMMAND = "python -m spdatalab.cli process-bbox"
OUR_COMMAND = "datamill run --config bbox.yaml"
SEED_URL = "postgresql+psycopg://postgres:postgres@local_pg:5432/postgres"
EXAMPLE_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/postgres"
SCENES = 1500  # setup_db: 30 without metadata (fetch_meta), 15 without points (fetch_bbox)

SLEEP = """#!/bin/bash
# The seed's loops sleep between rounds: here they go on at once. Its monitoring
# loops (sleep 30, forever) end once no job of the test is running any more.
if [ "$1" = 30 ] && ! pgrep -f "datamill run --config bbox.yaml" >/dev/null; then
    kill -TERM "$PPID"
fi
exec /bin/sleep 0.2
"""


class Seed:
    """A seed user's directory: the recipe, the datasets, a shell that runs snippets."""

    def __init__(self, root: Path, pg_url: str) -> None:
        self.root, self.pg_url = root, pg_url
        shims = root / ".shims"
        shims.mkdir()
        (shims / "sleep").write_text(SLEEP)
        (shims / "sleep").chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": os.pathsep.join([str(shims), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
            "TERM": "dumb",
        }
        self.setup_db()
        (root / "bbox.yaml").write_text((EXAMPLE / "recipe.yaml").read_text().replace(EXAMPLE_URL, pg_url))
        (root / "output").mkdir()
        tokens = pq.read_table(root / "scene_tokens.parquet")
        pq.write_table(tokens, root / "output" / "large_dataset.parquet")
        for name, (start, stop) in {"train": (0, 600), "val": (600, 1000), "test": (1000, 1500)}.items():
            part = tokens.slice(start, stop - start)
            pq.write_table(part, root / f"{name}_dataset.parquet")
        for name, (start, stop) in {"training": (0, 600), "validation": (600, 1000)}.items():
            pq.write_table(tokens.slice(start, stop - start), root / "output" / f"{name}_dataset.parquet")

    def setup_db(self, *args: str) -> None:
        cmd = [sys.executable, str(EXAMPLE / "setup_db.py"), "--url", self.pg_url, "--scenes", str(SCENES)]
        subprocess.run([*cmd, *args], cwd=self.root, check=True, capture_output=True)

    def snippet(self, name: str) -> Path:
        text = (SNIPPETS / name).read_text().replace(SEED_COMMAND, OUR_COMMAND).replace(SEED_URL, self.pg_url)
        if int(pd.__version__.split(".")[0]) >= 3:
            text = text.replace(".dt.floor('H')", ".dt.floor('h')")
        path = self.root / f".snippet-{name}"
        path.write_text(text)
        return path

    def bash(self, name: str, *args: str, timeout: float = 600) -> str:
        return self._run(["bash", str(self.snippet(name)), *args], timeout)

    def python(self, name: str, *extra: str) -> str:
        code = self.snippet(name).read_text() + "".join(extra)
        return self._run([sys.executable, "-c", code], 120)

    def datamill(self, *args: str) -> str:
        return self._run(["datamill", "run", "--config", "bbox.yaml", *args], 300)

    def _run(self, cmd: list[str], timeout: float) -> str:
        done = subprocess.run(
            cmd,
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # in the order a terminal shows them
            text=True,
            timeout=timeout,
            check=False,
        )
        return done.stdout

    def db_count(self) -> int:
        with sa.create_engine(self.pg_url).connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM clips_bbox")).scalar() or 0)


@pytest.fixture
def seed(tmp_path: Path, pg_url: str) -> Iterator[Seed]:
    """A seed user's directory, with a PostgreSQL database of its own (the
    example's tables have fixed names)."""
    name = f"seed_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield Seed(tmp_path, url)
    finally:
        sa.create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def numbers(pattern: str, text: str) -> list[str]:
    return re.findall(pattern, text)


def test_the_snippets_are_the_seeds_own(tmp_path: Path) -> None:
    """Each file of tests/seed000 is one of the seed's code blocks, unchanged."""
    seeds = sorted((REPO.parent / "shared" / "seeds").glob("000_*.txt"))
    if not seeds:
        pytest.skip("seed 000 is not beside the repository (../shared/seeds)")
    blocks = re.findall(r"```\w*\n(.*?)```", seeds[0].read_text(), re.S)
    for path in sorted(SNIPPETS.glob("*.*")):
        if path.suffix in (".sh", ".py"):
            assert path.read_text() in blocks, f"{path.name} is not a code block of the seed"


def test_the_seeds_workflow_on_one_job(seed: Seed) -> None:
    """A run, then the seed's monitoring, analysis, checks, backup, auto_retry
    (cause unfixed, then fixed) and cleanup, each printing what the job did."""
    out = seed.datamill("--input", "output/large_dataset.parquet", "--work-dir", "./logs/import")
    assert "completed" in out

    shown = seed.bash("monitor_progress.sh", "./logs/import", "output/large_dataset.parquet")
    assert "进度: 1,500/1,500 (100.0%)" in shown
    assert "成功: 1,455" in shown and "失败: 45" in shown and "当前批次: 2" in shown

    shown = seed.python("success_analysis.py")
    assert "总成功记录: 1455" in shown and "平均每批次处理: 728 个场景" in shown
    shown = seed.python("failure_analysis.py")
    assert "总失败记录: 45" in shown
    assert re.search(r"fetch_meta\s+30", shown) and re.search(r"fetch_bbox\s+15", shown)
    assert re.search(r"LookupError\s+45", shown)
    assert "建议重试的记录: 15 个" in shown
    shown = seed.bash("damaged_check.sh")
    assert "成功记录文件正常: 1455 条记录" in shown and "失败记录文件正常: 45 条记录" in shown
    shown = seed.bash("db_count_check.sh")
    assert "数据库实际记录数: 1455" in shown and "状态文件记录数: 1455" in shown and "差异: 0" in shown

    shown = seed.bash("backup_progress.sh")
    backup = seed.root / numbers(r"已备份到: \./(\S+)", shown)[0]
    assert {p.name for p in backup.iterdir()} == {
        "successful_tokens.parquet",
        "failed_tokens.parquet",
        "failed_history.parquet",
        "progress.json",
    }
    assert len(pd.read_parquet(backup / "failed_tokens.parquet")) == 45

    shown = seed.bash("auto_retry.sh", "output/large_dataset.parquet", "./logs/import")
    assert numbers(r"发现 (\d+) 个失败记录", shown) == ["45", "45", "45"]  # the cause is not fixed
    assert "重试完成" in shown
    assert len(pd.read_parquet(seed.root / "logs" / "import" / "failed_tokens.parquet")) == 45

    seed.setup_db("--fix")  # the missing metadata and points arrive
    shown = seed.bash("auto_retry.sh", "output/large_dataset.parquet", "./logs/import")
    assert numbers(r"发现 (\d+) 个失败记录", shown) == ["45"]
    assert "没有失败记录，退出重试" in shown and "重试完成" in shown
    shown = seed.bash("db_count_check.sh")
    assert "数据库实际记录数: 1500" in shown and "状态文件记录数: 1500" in shown and "差异: 0" in shown
    shown = seed.python("failure_analysis.py")
    assert "总失败记录: 0" in shown and "建议重试的记录: 0 个" in shown

    # cleanup_old_progress: the job's files, a week old, are deleted; the next run tells the truth
    week_ago = time.time() - 8 * 86400
    for path in (seed.root / "logs" / "import").rglob("*"):
        os.utime(path, (week_ago, week_ago))
    shown = seed.python("cleanup_old_progress.py")
    assert int(numbers(r"清理了 (\d+) 个过期文件", shown)[0]) >= 4
    assert not (seed.root / "logs" / "import" / "successful_tokens.parquet").exists()
    out = seed.datamill("--input", "output/large_dataset.parquet", "--work-dir", "./logs/import")
    assert "successful_tokens.parquet is missing" in out and "redone" in out
    shown = seed.bash("damaged_check.sh")
    assert "成功记录文件正常: 1500 条记录" in shown and "失败记录文件正常: 0 条记录" in shown
    shown = seed.bash("monitor_progress.sh", "./logs/import", "output/large_dataset.parquet")
    assert "进度: 1,500/1,500 (100.0%)" in shown and "成功: 1,500" in shown and "失败: 0" in shown
    assert seed.db_count() == 1500


def test_the_seeds_commands_start_resume_stats_retry(seed: Seed) -> None:
    shown = seed.bash("start.sh")
    jobs = list((seed.root / "logs").glob("import_*"))
    assert len(jobs) == 1 and (jobs[0] / "successful_tokens.parquet").is_file(), shown
    work = seed.root / "logs" / "import_20231201_143025"
    seed.bash("resume.sh")  # a first run in this directory ...
    shown = seed.bash("resume.sh")  # ... and the same command again: nothing redone
    assert "2 from an earlier run" in shown and "partitions: 2/2 done" in shown
    shown = seed.bash("show_stats.sh")
    assert "successful: 1,455 records" in shown and "failed: 45 unique records" in shown
    assert "fetch_meta: 30" in shown and "fetch_bbox: 15" in shown
    shown = seed.bash("retry_failed.sh")  # the cause is not fixed: the same 45, once each
    assert len(pd.read_parquet(work / "failed_tokens.parquet")) == 45
    assert len(pd.read_parquet(work / "failed_history.parquet")) == 90
    seed.setup_db("--fix")
    seed.bash("retry_failed.sh")
    assert len(pd.read_parquet(work / "failed_tokens.parquet")) == 0
    assert len(pd.read_parquet(work / "successful_tokens.parquet")) == 1500


def test_the_seeds_several_jobs_check_monitor_merge(seed: Seed) -> None:
    shown = seed.bash("by_task.sh")
    for name, n in (("training", 600), ("validation", 400)):
        assert (
            len(pd.read_parquet(seed.root / "logs" / "imports" / name / "successful_tokens.parquet"))
            + len(pd.read_parquet(seed.root / "logs" / "imports" / name / "failed_tokens.parquet"))
            == n
        ), shown
    shown = seed.bash("check_all_progress.sh")
    sections = dict(re.findall(r"=== (\w+) ===\n(.*?)(?=\n=== |\Z)", shown, re.S))
    assert set(sections) == {"training", "validation", "test"}
    ok = {
        name: len(pd.read_parquet(seed.root / "logs" / "imports" / name / "successful_tokens.parquet"))
        for name in ("training", "validation")
    }
    for name, n in ok.items():
        assert f"successful: {n:,} records" in sections[name]
    assert "has no record ledger" in sections["test"]  # mkdir'd by the seed, never run

    shown = seed.bash("parallel_monitor.sh")
    for dataset, n in (("train", 600), ("val", 400), ("test", 500)):
        assert f"=== {dataset} 处理进度 ===\n处理: {n}/{n} (100%)" in shown, shown[-2000:]

    parts = {"part1": "train", "part2": "val", "part3": "test"}
    for part, dataset in parts.items():
        seed.datamill("--input", f"{dataset}_dataset.parquet", "--work-dir", f"./logs/{part}")
    shown = seed.python("merge_progress_files.py")
    assert "合并成功记录: 1455 条" in shown and "合并失败记录: 45 条" in shown
    merged = pd.read_parquet(seed.root / "logs" / "merged" / "successful_tokens.parquet")
    assert merged["scene_token"].is_unique and len(merged) == 1455
