"""The model cache: hit, download, checksum, and the error with no network."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from datamill.models import MODEL_DIR_ENV, ModelUnavailable, fetch, load_once, model_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/lid.176.bin"


def test_model_dir_follows_the_environment(cache: Path) -> None:
    assert model_dir() == cache


def test_a_cached_file_is_used_without_any_download(cache: Path) -> None:
    cache.mkdir()
    (cache / "lid.176.bin").write_bytes(b"model")
    assert fetch("lid.176.bin", closed_port_url()).read_bytes() == b"model"


def test_a_miss_with_no_network_names_the_file_the_url_and_the_path(cache: Path) -> None:
    url = closed_port_url()
    with pytest.raises(ModelUnavailable) as err:
        fetch("lid.176.bin", url)
    message = str(err.value)
    assert "lid.176.bin" in message and url in message and str(cache / "lid.176.bin") in message
    assert list(cache.iterdir()) == []


def test_a_download_is_checked_and_lands_whole(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "published.bin"
    source.write_bytes(b"x" * 3_000_000)
    good = hashlib.sha256(source.read_bytes()).hexdigest()
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        fetch("m.bin", source.as_uri(), sha256="0" * 64)
    assert not (cache / "m.bin").exists()
    path = fetch("m.bin", source.as_uri(), sha256=good)
    assert path == cache / "m.bin" and path.read_bytes() == source.read_bytes()
    assert [p.name for p in cache.iterdir()] == ["m.bin"]


def test_load_once_loads_once_per_process() -> None:
    calls: list[int] = []
    for _ in range(3):
        assert load_once(("test", "once"), lambda: calls.append(1) or "model") == "model"
    assert calls == [1]
