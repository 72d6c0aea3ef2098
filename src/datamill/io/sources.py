"""Finding the input files of a dataset and fingerprinting them.

``dataset_path`` may be a file, a directory (searched recursively) or a glob.
Each file becomes a :class:`SourceFile` with its format, the name used in
sample ids (its path relative to the dataset root, so moving the dataset does
not change ids), and a fingerprint that tells whether it changed since the
plan was made.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from datamill.errors import InputError

FORMATS = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl.gz",
    ".json.gz": "jsonl.gz",
    ".jsonl.zst": "jsonl.zst",
    ".json.zst": "jsonl.zst",
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
}
"""File name endings datamill reads, and the format each means."""

FINGERPRINT_BYTES = 1 << 16


def detect_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's content cheaply: size, mtime, head and tail."""

    size: int
    mtime_ns: int
    head_tail_sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        stat = path.stat()
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            digest.update(fh.read(FINGERPRINT_BYTES))
            if stat.st_size > FINGERPRINT_BYTES:
                fh.seek(max(FINGERPRINT_BYTES, stat.st_size - FINGERPRINT_BYTES))
                digest.update(fh.read())
        return cls(stat.st_size, stat.st_mtime_ns, digest.hexdigest())


@dataclass(frozen=True)
class SourceFile:
    """One input file of the dataset."""

    path: str
    """Absolute path of the file."""
    name: str
    """Path relative to the dataset root: the file part of derived sample ids."""
    format: str
    fingerprint: Fingerprint

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceFile:
        return cls(data["path"], data["name"], data["format"], Fingerprint(**data["fingerprint"]))


def discover(dataset_path: str) -> list[SourceFile]:
    """The input files named by ``dataset_path``, in a stable order."""
    root, paths = _expand(dataset_path)
    files = []
    for path in paths:
        fmt = detect_format(path)
        if fmt is None:
            continue
        try:
            fingerprint = Fingerprint.of(path)
        except OSError as exc:
            raise InputError(f"Cannot read input file {path}: {exc.strerror}.") from None
        name = os.path.relpath(path, root) if root.is_dir() else path.name
        files.append(SourceFile(str(path.resolve()), name, fmt, fingerprint))
    if not files:
        endings = ", ".join(sorted(FORMATS))
        raise InputError(
            f"dataset_path '{dataset_path}' names no file datamill can read "
            f"(looked for: {endings}). Check the path and the file endings."
        )
    return files


def _expand(dataset_path: str) -> tuple[Path, list[Path]]:
    path = Path(dataset_path).expanduser()
    if path.is_file():
        return path.parent, [path]
    if path.is_dir():
        return path, sorted(p for p in path.rglob("*") if p.is_file())
    if glob.has_magic(dataset_path):
        matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
        files = [p for p in matches if p.is_file()]
        if files:
            return Path(os.path.commonpath([p.parent for p in files])), files
        raise InputError(f"dataset_path '{dataset_path}': the pattern matches no file.")
    raise InputError(f"dataset_path '{dataset_path}' does not exist. Give a file, a directory or a glob.")


def staged_path(source: SourceFile, staging_dir: Path, suffix: str) -> Path:
    """Where a staged copy of ``source`` goes: named after the file and its fingerprint,
    so a resumed job reuses it and never mistakes another input's for it."""
    from datamill.plan.ids import file_key  # (datamill.plan imports this module)

    tag = source.fingerprint.head_tail_sha256[:8]
    return staging_dir / f"{file_key(source.name)}-{tag}{suffix}"
