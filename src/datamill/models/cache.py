"""The model cache: files an op needs, fetched once from where Data-Juicer gets them.

The cache is one directory, ``$DATAMILL_MODEL_DIR`` or ``~/.cache/datamill/models``
(under ``$XDG_CACHE_HOME`` when set). A file already there is used as it is; a
missing one is downloaded with a progress bar into a temporary name beside it,
checked against its published SHA-256 when there is one, and renamed into place,
so a download cut short never leaves a half file that looks complete. With no
network the error names the file, the URL and the path to put it at.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from datamill.errors import ConfigError

MODEL_DIR_ENV = "DATAMILL_MODEL_DIR"
_CHUNK = 1 << 20
_TIMEOUT_S = 30


class ModelUnavailable(ConfigError):
    """A model or word list is neither in the cache nor downloadable."""


@contextlib.contextmanager
def unreadable(path: Path, kind: str) -> Iterator[None]:
    """A model file its library cannot read is a ModelUnavailable that says what to do."""
    try:
        yield
    except (OSError, RuntimeError, ValueError) as exc:
        raise ModelUnavailable(
            f"{path} cannot be read as a {kind} model ({exc}). Delete it so that it is downloaded "
            "again, or put Data-Juicer's file there."
        ) from exc


def model_dir() -> Path:
    """Where models are cached."""
    configured = os.environ.get(MODEL_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache_home) / "datamill" / "models"


def fetch(name: str, url: str, *, sha256: str | None = None) -> Path:
    """The cached file ``name``, downloaded from ``url`` on first use."""
    path = model_dir() / name
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        digest = _download(url, partial, name)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(
            f"{name} is not in the model cache and could not be downloaded from {url} ({exc}). "
            f"Download it on a machine with network access and put it at {path} (or point "
            f"{MODEL_DIR_ENV} at a directory that holds it), then run the same command again."
        ) from exc
    if sha256 is not None and digest != sha256:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(
            f"{name} downloaded from {url} has SHA-256 {digest}, not the published {sha256}: the "
            f"download is corrupt or the file changed upstream. Run the same command again to retry, "
            f"or put a good copy at {path}."
        )
    os.replace(partial, path)
    return path


def _download(url: str, dest: Path, label: str) -> str:
    """Stream ``url`` into ``dest`` with a progress bar; returns the SHA-256."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    digest = hashlib.sha256()
    with (
        urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response,
        open(dest, "wb") as out,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):
        total = int(response.headers.get("Content-Length") or 0) or None
        task = bar.add_task(f"downloading {label}", total=total)
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            bar.advance(task, len(chunk))
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()
