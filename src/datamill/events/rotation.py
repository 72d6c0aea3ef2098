"""Size-rotated files: ``name``, ``name.1`` (newer) … ``name.N`` (oldest)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO


def rotated_files(path: Path) -> list[Path]:
    """The current file and its rotated predecessors, oldest first."""
    backups = []
    for candidate in path.parent.glob(path.name + ".*"):
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            backups.append((int(suffix), candidate))
    ordered = [p for _, p in sorted(backups, reverse=True)]
    return [*ordered, path] if path.exists() else ordered


class RotatingWriter:
    """Appends lines to ``path``; past ``max_bytes`` the file is rotated."""

    def __init__(self, path: Path, max_bytes: int, backup_count: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes] = open(path, "ab")  # noqa: SIM115 - kept open while the job runs
        self._size = self._fh.tell()

    def will_rotate(self, size: int) -> bool:
        """Whether writing ``size`` more bytes rotates the file first."""
        return bool(self._size) and self._size + size > self.max_bytes and self.backup_count > 0

    def write(self, line: bytes) -> None:
        if self.will_rotate(len(line)):
            self._rotate()
        self._fh.write(line)
        self._fh.flush()
        self._size += len(line)

    def _rotate(self) -> None:
        self._fh.close()
        for n in range(self.backup_count - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._fh = open(self.path, "ab")  # noqa: SIM115
        self._size = 0

    def close(self) -> None:
        self._fh.close()
