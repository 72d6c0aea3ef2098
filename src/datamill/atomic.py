"""Atomic file writes: the one way datamill puts state on disk.

A writer gets a temporary file in the destination's directory; on success it is
flushed, fsynced and renamed over the destination, and the directory is
fsynced so the rename itself survives a power loss. On failure the temporary
file is removed. Readers therefore see the old file or the new one, never half.
Temporary names start with ``.tmp-`` so that a restart can sweep leftovers.
A full disk is raised as :class:`~datamill.errors.OutOfSpace`, naming the file.
Files get the mode a plain ``open()`` gives under the process's umask (not
``tempfile``'s 0600): a job's state is for whoever may read its directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from datamill.errors import out_of_space

TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_temporary(dest: Path) -> Path:
    """Create an empty, unused temporary file beside ``dest``, mode 0666 less the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = dest.parent / f"{TMP_PREFIX}{dest.name}.{secrets.token_hex(4)}"
        try:
            os.close(os.open(tmp, flags, 0o666))
            return tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_path(dest: Path, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it into place on success.

    For writers that want a path rather than a file object (pyarrow's Parquet
    writer, for instance). The caller writes and closes the file; this helper
    fsyncs it before the rename when ``durable`` is set.
    """
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_temporary(dest)
    except OSError as exc:
        full = out_of_space(exc, dest)
        if full is None:
            raise
        raise full from exc
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, dest)
        if durable:
            fsync_dir(dest.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        full = out_of_space(exc, dest)
        if full is None or full is exc:
            raise
        raise full from exc


@contextlib.contextmanager
def atomic_open(dest: Path, mode: str = "wb", durable: bool = True) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``dest`` for writing; rename on success."""
    with atomic_path(dest, durable=False) as tmp:
        encoding = None if "b" in mode else "utf-8"
        with open(tmp, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
    if durable:
        fsync_dir(dest.parent)


def write_json_atomic(dest: Path, data: Any, durable: bool = True, indent: int | None = 2) -> None:
    """Write ``data`` as JSON (indented unless ``indent`` is None) to ``dest`` atomically."""
    with atomic_open(dest, "w", durable=durable) as fh:
        json.dump(data, fh, indent=indent, ensure_ascii=False, default=str)
        fh.write("\n")


def sweep_temporaries(directory: Path) -> int:
    """Remove temporary files left by a crash in ``directory``; return how many."""
    removed = 0
    if directory.is_dir():
        for leftover in directory.glob(TMP_PREFIX + "*"):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed
