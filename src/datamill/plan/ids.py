"""Partition ids: values derived from the input, never from the executor."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(\d{6,})_([0-9a-f]{8})_(\d+)-(\d+)$")


def file_key(name: str) -> str:
    """Eight hex digits naming an input file inside partition ids."""
    return hashlib.sha1(name.encode()).hexdigest()[:8]


@dataclass(frozen=True, order=True)
class PartitionId:
    """Position in the plan, input file and row range ``[start, stop)``.

    Renders as ``000042_3fa2b1c9_84000-86000``; :meth:`parse` reverses it.
    Sorting ids sorts partitions in output order.
    """

    index: int
    file_key: str
    start: int
    stop: int

    def __str__(self) -> str:
        return f"{self.index:06d}_{self.file_key}_{self.start}-{self.stop}"

    @classmethod
    def parse(cls, text: str) -> PartitionId:
        match = _PATTERN.match(text)
        if not match:
            raise ValueError(f"not a partition id: {text!r}")
        index, key, start, stop = match.groups()
        return cls(int(index), key, int(start), int(stop))
