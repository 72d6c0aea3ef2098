"""The scene_bbox example, end to end, against a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "scene_bbox"


def test_scene_bbox_run_stats_retry_verify(
    datamill, tmp_path: Path, pg_url: str, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    setup = [sys.executable, str(EXAMPLE / "setup_db.py"), "--url", pg_url, "--scenes", "1500"]
    subprocess.run(setup, check=True)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        (EXAMPLE / "recipe.yaml")
        .read_text()
        .replace("postgresql+psycopg://postgres:postgres@localhost:5432/postgres", pg_url)
    )
    args = ("run", "--config", recipe, "--work-dir", tmp_path / "logs" / "import_1", "--batch", "400")
    assert datamill(*args) == 0
    capsys.readouterr()
    assert datamill(*args, "--show-stats") == 0
    shown = capsys.readouterr().out
    assert "fetch_meta: 30" in shown and "fetch_bbox: 15" in shown
    subprocess.run([*setup, "--fix"], check=True)
    assert datamill(*args, "--retry-failed") == 0
    capsys.readouterr()
    assert datamill("stats", tmp_path / "logs" / "import_1", "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["failed_unique"] == 0 and stats["successful"] == 1500
    assert datamill("verify", tmp_path / "logs" / "import_1") == 0
    with sa.create_engine(pg_url).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT scene_token), count(min_x) FROM clips_bbox")
        ).one()
    assert tuple(rows) == (1500, 1500, 1500)
