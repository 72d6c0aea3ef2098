"""Seed 001's three integration examples, verbatim but for the import paths
(``data_juicer.utils.job.*`` -> ``datamill.control.*``; blank lines lose their
indentation), against a job running in a subprocess; and the README's version
of "monitor until completion"."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from datamill.control.common import FINAL_STATES, is_final
from datamill.control.stopper import stop_job
from datamill.demo.recipe import SIX_OPS
from tests.job import jobproc

NAP = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.3}}

MONITOR_MULTIPLE_JOBS = """
from datamill.control.monitor import show_job_progress

job_ids = ["job1", "job2", "job3"]
for job_id in job_ids:
    try:
        data = show_job_progress(job_id)
        print(f"作业 {job_id}: {data['overall_progress']['progress_percentage']:.1f}%")
    except FileNotFoundError:
        print(f"作业 {job_id}: 未找到")
"""

MONITOR_UNTIL_COMPLETION = """
from datamill.control.monitor import JobProgressMonitor
import time

def monitor_job_until_completion(job_id, check_interval=30):
    monitor = JobProgressMonitor(job_id)

    while True:
        data = monitor.get_progress_data()
        status = data['overall_progress']['job_status']

        if status == 'completed':
            print(f"作业 {job_id} 已完成！")
            break
        elif status == 'failed':
            print(f"作业 {job_id} 失败！")
            break

        print(f"作业 {job_id} 仍在运行... {data['overall_progress']['progress_percentage']:.1f}%")
        time.sleep(check_interval)
"""

JOB_MANAGEMENT_WORKFLOW = """
from datamill.control.monitor import show_job_progress
from datamill.control.stopper import stop_job
from datamill.control.common import list_running_jobs

# 列出所有正在运行的作业
running_jobs = list_running_jobs()
print(f"发现 {len(running_jobs)} 个正在运行的作业")

# 监控并可能停止作业
for job_info in running_jobs:
    job_id = job_info['job_id']

    # 检查进度
    try:
        data = show_job_progress(job_id)
        progress = data['overall_progress']['progress_percentage']

        # 停止卡住的作业（1小时后进度仍少于10%）
        if progress < 10 and data['overall_progress']['elapsed_time_seconds'] > 3600:
            print(f"停止卡住的作业 {job_id}（进度: {progress:.1f}%）")
            stop_job(job_id, force=True)
        else:
            print(f"作业 {job_id}: {progress:.1f}% 完成")

    except Exception as e:
        print(f"监控作业 {job_id} 时出错: {e}")
"""

README_UNTIL_FINAL = """
import time
from datamill.control.monitor import JobProgressMonitor, is_final

def monitor_job_until_done(job_id, check_interval=30):
    monitor = JobProgressMonitor(job_id)
    while True:
        data = monitor.get_progress_data()       # the job's state now, read incrementally
        status = data["overall_progress"]["job_status"]
        if is_final(status):
            return status
        print(f"{job_id}: {data['overall_progress']['progress_percentage']:.1f}%")
        time.sleep(check_interval)
"""
"""As README.md shows it (section "See and steer every job")."""


def run_example(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<seed 001 example>", "exec"), namespace)
    return namespace


@pytest.fixture
def in_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples use the default base directory, ``outputs`` under the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "outputs"


def slow_job(tmp_path: Path, corpus, name: str, rows: int = 200) -> Path:
    return jobproc.write_recipe(
        tmp_path, corpus(rows), name, [*SIX_OPS, NAP], work_dir=str(tmp_path / "outputs")
    )


def running(job: Path) -> bool:
    from datamill.job.lock import is_locked

    return (job / "job_summary.json").exists() and is_locked(job / "job.lock")


def test_the_three_integration_examples_run_as_written(
    corpus, tmp_path: Path, in_outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = jobproc.start(slow_job(tmp_path, corpus, "job1"), "--job_id", "job1")
    try:
        assert jobproc.wait_for(lambda: running(in_outputs / "job1"), 60, proc)
        capsys.readouterr()
        run_example(JOB_MANAGEMENT_WORKFLOW)
        out = capsys.readouterr().out
        assert "发现 1 个正在运行的作业" in out
        assert "作业 job1: " in out and "% 完成" in out and "出错" not in out

        until = run_example(MONITOR_UNTIL_COMPLETION)["monitor_job_until_completion"]
        started = time.monotonic()
        until("job1", check_interval=0.5)  # returns: the monitor sees the job end
        out = capsys.readouterr().out
        assert "作业 job1 仍在运行..." in out and out.rstrip().endswith("作业 job1 已完成！")
        assert time.monotonic() - started < 120
        assert proc.wait(timeout=30) == 0
    finally:
        jobproc.kill_group(proc)

    run_example(MONITOR_MULTIPLE_JOBS)
    lines = capsys.readouterr().out.splitlines()
    assert "作业 job1: 100.0%" in lines
    assert "作业 job2: 未找到" in lines and "作业 job3: 未找到" in lines


def test_the_readme_version_returns_for_a_stopped_job(
    corpus, tmp_path: Path, in_outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = jobproc.start(slow_job(tmp_path, corpus, "halted", rows=600), "--job_id", "halted")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(in_outputs / "halted") >= 1, 60, proc)
        stopper = threading.Timer(1.0, stop_job, args=("halted",), kwargs={"timeout": 20})
        stopper.start()
        until = run_example(README_UNTIL_FINAL)["monitor_job_until_done"]
        assert until("halted", check_interval=0.3) == "stopped"
        stopper.join()
        assert proc.wait(timeout=10) == 130
    finally:
        jobproc.kill_group(proc)
    assert "halted: " in capsys.readouterr().out  # it was seen running first


def test_final_states_are_the_statuses_a_job_ends_in() -> None:
    from datamill.job.summary import JobStatus

    ended = {s.value for s in JobStatus} - {JobStatus.RUNNING.value}
    assert ended | {"interrupted"} == FINAL_STATES
    assert not is_final("running") and all(is_final(s) for s in FINAL_STATES)
