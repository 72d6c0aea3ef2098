"""The commit protocol of a partition.

A partition is done when its result file and then its commit marker have each
been written to a temporary name, flushed, fsynced and renamed into place
(:mod:`datamill.atomic`). Which partitions are done is therefore read from the
markers alone; a result file without a marker is what a crash left behind and
is removed when a job starts.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from datamill.atomic import TMP_PREFIX, atomic_open, write_json_atomic
from datamill.engine.results import PartitionResult
from datamill.errors import JobError

MARKER_SUFFIX = ".commit"
MARKER_FORMAT_VERSION = 1


def result_path(results_dir: Path, partition_id: str, suffix: str) -> Path:
    return results_dir / f"part-{partition_id}{suffix}"


def marker_path(results_dir: Path, partition_id: str) -> Path:
    return results_dir / f"part-{partition_id}{MARKER_SUFFIX}"


def write_marker(results_dir: Path, result: PartitionResult) -> None:
    body = {"format_version": MARKER_FORMAT_VERSION, **result.to_json()}
    write_json_atomic(marker_path(results_dir, result.partition_id), body, indent=None)


MarkerStamp = int
"""A marker file's inode number. Every commit renames a new file into place,
so a marker rewritten since its index line has another inode, unless the old
one was deleted first and its number reused: :meth:`CommitIndex.drop` keeps
the index free of deleted markers for that reason. Reading inode numbers
costs no system call per file (``os.scandir`` returns them)."""


def read_marker(path: Path, remove_bad: bool = True) -> PartitionResult | None:
    """The marker's result, or None (and the marker removed) if it does not parse."""
    try:
        data = json.loads(path.read_bytes())
        data.pop("format_version", None)
        return PartitionResult.from_json(data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError):
        # Markers are renamed into place whole; one that does not parse was
        # not written by datamill's commit. Treat its partition as not done.
        if remove_bad:
            path.unlink()
        return None


def _marker_entries(entries: list[os.DirEntry[str]]) -> dict[str, os.DirEntry[str]]:
    """The commit markers among a results folder's entries, by commit id."""
    return {
        e.name[len("part-") : -len(MARKER_SUFFIX)]: e
        for e in entries
        if e.name.startswith("part-") and e.name.endswith(MARKER_SUFFIX)
    }


def part_id(name: str) -> str:
    """The commit id in a file name of the results or ledger folders:
    ``part-{id}.commit``, ``part-{id}.parquet``, and their temporaries
    (``.tmp-part-{id}.parquet.xyz``)."""
    return name.removeprefix(TMP_PREFIX).split(".", 1)[0].removeprefix("part-")


@dataclass(frozen=True)
class ResultsScan:
    """One listing of a results folder, taken as a job starts: which commits
    were on disk then, before any partition of this run could add one."""

    entries: list[os.DirEntry[str]]
    markers: dict[str, os.DirEntry[str]]
    """Commit id -> its marker's entry."""

    @classmethod
    def of(cls, results_dir: Path) -> ResultsScan:
        try:
            with os.scandir(results_dir) as it:
                entries = list(it)
        except FileNotFoundError:
            entries = []
        return cls(entries, _marker_entries(entries))


def remove_uncommitted(
    results_dir: Path, scan: ResultsScan | None = None, busy: Collection[str] = ()
) -> dict[str, MarkerStamp]:
    """Delete temporary files and results that have no marker; return the markers found.

    One pass over the folder (it holds two files per partition, so tens of
    thousands of entries on a big job), or over ``scan`` if it was listed
    already. The files of ``busy`` partitions, handed to workers since that
    listing, are left alone: their workers are writing them."""
    if scan is None:
        scan = ResultsScan.of(results_dir)
    markers = scan.markers
    for e in scan.entries:
        name = e.name
        cid = part_id(name)
        leftover = name.startswith(TMP_PREFIX) or (not name.endswith(MARKER_SUFFIX) and cid not in markers)
        if leftover and cid not in busy:
            with contextlib.suppress(FileNotFoundError):  # (gone since the listing: a dying worker's rename)
                os.unlink(e.path)
    return {cid: e.inode() for cid, e in markers.items()}


LEDGER_KEYS = ("success_bytes", "failed_bytes", "processed_at")
"""The fields of a marker's ``ledger`` the index keeps in its header, in this order."""


class IndexedResult:
    """A committed partition as the commit index records it.

    The fields a resume looks at for every partition are read from the
    line's header; the rest of the marker body is parsed only when asked for
    (``ops``, ``bad_rows``, ... through :meth:`full`)."""

    __slots__ = (
        "_body",
        "_full",
        "_marker",
        "ledger",
        "n_bad",
        "n_quarantined",
        "n_recovered",
        "partition_id",
        "pipeline_hash",
        "rows_out",
        "rows_read",
        "rows_skipped",
    )

    def __init__(self, header: list[bytes], body: bytes, results_dir: Path) -> None:
        self.partition_id = header[0].decode()
        self.pipeline_hash = header[2].decode()
        (
            self.rows_read,
            self.rows_out,
            self.rows_skipped,
            self.n_bad,
            self.n_quarantined,
            self.n_recovered,
        ) = map(int, header[3].split(b","))
        self.ledger = {k: int(v) for k, v in zip(LEDGER_KEYS, header[4].split(b","), strict=True) if v}
        self._body = body
        self._full: PartitionResult | None = None
        self._marker = results_dir  # the marker's folder; its path only when needed

    def full(self) -> PartitionResult:
        if self._full is None:
            try:
                self._full = PartitionResult.from_json(json.loads(self._body))
            except (ValueError, TypeError, KeyError):  # a damaged index: the marker is the truth
                marker = marker_path(self._marker, self.partition_id)
                self._full = read_marker(marker)
                if self._full is None:
                    raise JobError(
                        f"The commit marker {marker} was removed while the job ran; "
                        "run the same command again to redo its partition."
                    ) from None
        return self._full

    def __getattr__(self, name: str) -> Any:
        return getattr(self.full(), name)


AnyResult = PartitionResult | IndexedResult


class CommitIndex:
    """``metadata/commits.tsv``: every commit marker's body in one file.

    A job with ten thousand partitions would otherwise open ten thousand
    markers to resume. The markers stay the truth; the index is a cache the
    driver appends to as results come in. Each line carries its marker's
    stamp (:data:`MarkerStamp`), and a line whose marker is gone or was
    rewritten since is ignored in favour of the marker itself. The index is
    not fsynced: whatever a crash loses is read back from the markers, and
    the index is then rewritten whole.

    A line is ``id, stamp, pipeline hash, counts, ledger sizes, body``, tab
    separated (JSON escapes tabs and newlines), so a resume splits lines and
    reads a few integers from each, without parsing any JSON.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        self._lines: dict[str, bytes] = {}

    def peek(self, results_dir: Path) -> dict[str, AnyResult]:
        """The committed partitions, for a reader: nothing on disk is changed,
        and a job running meanwhile is no problem (a torn or missing line
        means reading that marker)."""
        markers = {cid: e.inode() for cid, e in ResultsScan.of(results_dir).markers.items()}
        return self.load(results_dir, markers, readonly=True)

    def load(
        self, results_dir: Path, markers: dict[str, MarkerStamp], readonly: bool = False
    ) -> dict[str, AnyResult]:
        """The committed partitions, given the markers on disk (``remove_uncommitted``)."""
        cached: dict[str, tuple[bytes, IndexedResult, bytes]] = {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = b""
        intact = raw.endswith(b"\n") or not raw
        for line in raw.splitlines(keepends=True):
            *header, body = line.rstrip(b"\n").split(b"\t", 5)
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("torn")  # the last append of a crashed run
                entry = IndexedResult(header, body, results_dir)
            except (ValueError, IndexError, TypeError):
                intact = False
                continue
            cached[entry.partition_id] = (header[1], entry, line)
        committed: dict[str, AnyResult] = {}
        lines: list[bytes] = []
        for cid in sorted(markers):
            hit = cached.get(cid)
            stamp = markers[cid]
            if hit is not None and hit[0] == _stamp_text(stamp):
                committed[cid] = hit[1]
                lines.append(hit[2])
                continue
            intact = False
            result = read_marker(marker_path(results_dir, cid), remove_bad=not readonly)
            if result is not None:
                committed[cid] = result
                lines.append(self._line(result, stamp))
        self._lines = dict(zip(committed, lines, strict=True))
        if not readonly and (not intact or len(cached) != len(committed)):
            self._rewrite()
        return committed

    def drop(self, cids: list[str]) -> None:
        """Forget commits whose markers are being deleted (before any is redone)."""
        if cids:
            for cid in cids:
                self._lines.pop(cid, None)
            self._rewrite()

    def _rewrite(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(self.path, "wb", durable=False) as fh:
            fh.writelines(self._lines.values())

    @staticmethod
    def _line(result: PartitionResult, stamp: MarkerStamp) -> bytes:
        counts = (
            result.rows_read,
            result.rows_out,
            result.rows_skipped,
            result.n_bad,
            result.n_quarantined,
            result.n_recovered,
        )
        fields = [
            result.partition_id,
            _stamp_text(stamp).decode(),
            result.pipeline_hash,
            ",".join(map(str, counts)),
            ",".join(str(result.ledger.get(k, "")) for k in LEDGER_KEYS),
            json.dumps(result.to_json(), separators=(",", ":")),
        ]
        return ("\t".join(fields) + "\n").encode()

    def append(self, results_dir: Path, result: PartitionResult) -> None:
        """Record a commit whose marker was just written."""
        try:
            stamp = marker_path(results_dir, result.partition_id).stat().st_ino
        except FileNotFoundError:
            return  # not committed after all; nothing to cache
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")  # noqa: SIM115 - kept open for the run
        self._fh.write(self._line(result, stamp))
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _stamp_text(stamp: MarkerStamp) -> bytes:
    return b"%d" % stamp


def committed_files(result: PartitionResult | IndexedResult) -> list[str]:
    """The files of the results folder a commit made: its result and its side files."""
    names = [result.result_file, *(entry[0] for entry in result.dedup.values())]
    return [*names, result.rows_file] if result.rows_file else names


def base_id(commit_id: str) -> str:
    """The partition a commit belongs to (a retry round ``{id}+r{k}`` belongs to ``id``)."""
    return commit_id.split("+r", 1)[0]


def retry_round(commit_id: str) -> int:
    """0 for a partition's own commit, k for its retry round k."""
    _, _, k = commit_id.partition("+r")
    return int(k) if k else 0
