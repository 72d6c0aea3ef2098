"""The dashboard in a real browser (Debian's chromium, driven by Playwright) on a running job."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from datamill.dashboard.app import Settings, create_app
from datamill.demo.corpus import write_corpus
from datamill.demo.recipe import SIX_OPS
from tests.dashboard.conftest import TOKEN, free_port
from tests.job import jobproc

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SLOW = {"tests.job.user_ops:SlowMapper": {"delay_s": 0.25}}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The dashboard over ``tmp_path/jobs``, served by uvicorn in a thread."""
    uvicorn = pytest.importorskip("uvicorn")
    (tmp_path / "jobs").mkdir()
    app = create_app(Settings(tmp_path / "jobs", TOKEN, allow_control=True, interval=0.5))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert jobproc.wait_for(lambda: server.started, 20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def committed_cells(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.eval_on_selector("#grid", "c => c.dataset.committed || '0'"))


def test_watch_and_stop_a_running_job_in_the_browser(served: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must provide Debian's chromium (see .ci/run)")
        pytest.skip("NO CHROMIUM: apt-get install chromium")
    data = write_corpus(tmp_path / "data" / "c4.jsonl", 4000, 7)
    recipe = jobproc.write_recipe(
        tmp_path,
        data,
        "watched",
        [*SIX_OPS, SLOW],
        checkpoint={"strategy": "every_op"},
        event_logging={"resource_interval_s": 0.5},
    )
    job = tmp_path / "jobs" / "watched"
    proc = jobproc.start(recipe, "--job_id", "watched")
    try:
        assert jobproc.wait_for(lambda: jobproc.committed(job) >= 1, 90, proc)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1700})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(served + "/")
            page.wait_for_selector("tr[data-job='watched'] .badge.running", timeout=20_000)
            page.click("tr[data-job='watched'] a")
            page.wait_for_url("**/jobs/watched")
            page.wait_for_function("Number(document.querySelector('#grid').dataset.committed || 0) > 0")
            first = committed_cells(page)
            page.wait_for_function(
                f"Number(document.querySelector('#grid').dataset.committed || 0) > {first}", timeout=30_000
            )
            page.wait_for_function(
                "Number(document.querySelector('#throughput').dataset.points || 0) > 0", timeout=30_000
            )
            page.wait_for_function(
                "Number(document.querySelector('#cpu').dataset.points || 0) > 0", timeout=30_000
            )
            assert page.locator("#events tbody tr").count() > 0

            page.fill("#token", "")
            page.click("#stop")
            page.wait_for_selector("#control-message.error", timeout=10_000)
            assert "token" in page.inner_text("#control-message")
            assert proc.poll() is None  # refused: still running

            page.fill("#token", TOKEN)
            page.click("#stop")
            page.wait_for_function(
                "document.querySelector('#control-message').textContent.includes('stopped')", timeout=60_000
            )
            assert proc.wait(timeout=30) == 130
            summary = json.loads((job / "job_summary.json").read_text())
            assert summary["status"] == "stopped"
            page.wait_for_selector("#status .badge.stopped", timeout=20_000)
            expected = [(f"{op['rows_in']:,}", f"{op['rows_out']:,}") for op in summary["ops"]]
            deadline = time.monotonic() + 20
            while True:
                rows = page.locator("#ops tbody tr")
                shown = [
                    (
                        rows.nth(i).locator(".rows-in").inner_text(),
                        rows.nth(i).locator(".rows-out").inner_text(),
                    )
                    for i in range(rows.count())
                ]
                if shown == expected or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            assert shown == expected
            assert committed_cells(page) == summary["counts"]["partitions_done"]
            assert page.locator("#resume").inner_text() == summary["resume_command"]
            page.evaluate("window.scrollTo(0, 0)")
            shot = tmp_path / "dashboard-job.png"
            page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 10_000
            if os.environ.get("DATAMILL_SCREENSHOT"):
                shutil.copyfile(shot, os.environ["DATAMILL_SCREENSHOT"])
            assert errors == []
            browser.close()
    finally:
        if proc.poll() is None:
            jobproc.kill_group(proc)
