"""A job's files get the mode a plain open() gives under the user's umask (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_jsonl


@pytest.fixture(params=[(0o022, 0o644), (0o027, 0o640)], ids=["umask022", "umask027"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask, expected = request.param
    previous = os.umask(mask)
    try:
        yield expected
    finally:
        os.umask(previous)


def test_state_and_result_files_follow_the_umask(datamill, recipe_file, tmp_path: Path, umask: int) -> None:
    rows = [{"scene_token": f"t{i}", "text": f"row {i}"} for i in range(30)] + ["{broken"]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    recipe = recipe_file(
        dataset_path=str(data),
        id_field="scene_token",
        partition={"size": 10},
        process=[{"clean_email_mapper": {}}],
    )
    job = tmp_path / "jobs" / "modes"
    assert datamill("run", "--config", recipe, "--work-dir", job) == 0
    files = [p for p in job.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"job_summary.json", "config.yaml", "partitions.json", "output.jsonl", "bad_rows.jsonl"} <= names
    assert any(p.suffix == ".commit" for p in files) and any(p.suffix == ".parquet" for p in files)
    modes = {str(p.relative_to(job)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {oct(umask)}, modes
