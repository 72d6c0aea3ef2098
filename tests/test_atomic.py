"""Atomic writes give files the mode a plain open() would."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from datamill.atomic import atomic_open, atomic_path, write_json_atomic


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_files_follow_the_umask(tmp_path: Path, umask_022: None) -> None:
    write_json_atomic(tmp_path / "a.json", {"x": 1})
    with atomic_open(tmp_path / "b.txt", "w") as fh:
        fh.write("b")
    with atomic_path(tmp_path / "c.bin") as tmp:
        tmp.write_bytes(b"c")
    assert [mode(tmp_path / n) for n in ("a.json", "b.txt", "c.bin")] == [0o644] * 3
    os.umask(0o077)
    write_json_atomic(tmp_path / "a.json", {"x": 2})
    assert mode(tmp_path / "a.json") == 0o600


def test_a_failed_write_leaves_no_temporary(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "x.txt", "w"):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
