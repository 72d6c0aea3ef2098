"""The committed partitions of a job, read incrementally from its commit index.

The driver appends a line to ``metadata/commits.tsv`` for every commit (the
marker's whole body: rows, attempt, seconds, each op's metrics), and rewrites
the file under a new inode when it drops commits. That file never rotates, so
totals taken from it do not depend on how much of the event log survived; they
are the same totals the summary's ``ops`` holds at the end of a run. A refresh
reads only the lines appended since the previous one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from datamill.engine.commit import base_id
from datamill.engine.results import FAILED_PARTITION, PartitionResult


@dataclass
class OpTotal:
    """One op's work summed over committed partitions."""

    index: int
    name: str
    seconds: float = 0.0
    rows_in: int = 0
    rows_out: int = 0
    rows_failed: int = 0
    rows_changed: int = 0
    partitions: int = 0


@dataclass
class CommitReader:
    """Follows one job's commit index; :attr:`committed` maps partition id to its result."""

    path: Path
    committed: dict[str, PartitionResult] = field(default_factory=dict)
    _inode: int | None = None
    _offset: int = 0

    def refresh(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_ino != self._inode or st.st_size < self._offset:
                    self._inode, self._offset, self.committed = st.st_ino, 0, {}
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            self._inode, self._offset, self.committed = None, 0, {}
            return
        consumed = data.rfind(b"\n") + 1  # a torn last line waits for its newline
        self._offset += consumed
        for line in data[:consumed].splitlines():
            self._take(line)

    def _take(self, line: bytes) -> None:
        try:
            cid, _, pipeline_hash, _, _, body = line.split(b"\t", 5)
            commit_id = cid.decode()
            if base_id(commit_id) != commit_id:
                return  # a --retry-failed round: its partition's own commit holds the op metrics
            result = PartitionResult.from_json(json.loads(body))
        except (ValueError, TypeError, KeyError):
            return  # a damaged line: the driver rewrites the index from the markers on its next run
        result.pipeline_hash = pipeline_hash.decode()
        self.committed[commit_id] = result

    def failed(self, partition_id: str) -> bool:
        result = self.committed.get(partition_id)
        return result is not None and result.pipeline_hash == FAILED_PARTITION

    def op_totals(self) -> list[OpTotal]:
        """Each op's totals over the committed partitions, in pipeline order."""
        totals: dict[int, OpTotal] = {}
        for result in self.committed.values():
            for m in result.ops:
                t = totals.setdefault(m.index, OpTotal(m.index, m.name))
                t.seconds += m.seconds
                t.rows_in += m.rows_in
                t.rows_out += m.rows_out
                t.rows_failed += m.rows_failed
                t.rows_changed += m.rows_changed
                t.partitions += 1
        return [totals[i] for i in sorted(totals)]
