"""The live monitor's running op totals agree with the monitor's own sums, however the index changes."""

from __future__ import annotations

import os
from pathlib import Path

from datamill.control.commits import CommitReader
from datamill.dashboard.live import RunningCommits


def totals(reader: CommitReader) -> list[tuple]:
    return [
        (t.index, t.name, round(t.seconds, 9), t.rows_in, t.rows_out, t.rows_failed, t.partitions)
        for t in reader.op_totals()
    ]


def test_running_totals_follow_appends_repeats_and_rewrites(finished: Path, tmp_path: Path) -> None:
    lines = (finished / "served" / "metadata" / "commits.tsv").read_bytes().splitlines(keepends=True)
    assert len(lines) == 12
    index = tmp_path / "commits.tsv"
    running = RunningCommits(index)

    def check() -> None:
        plain = CommitReader(index)
        plain.refresh()
        running.refresh()
        assert totals(running) == totals(plain)
        assert set(running.committed) == set(plain.committed)

    index.write_bytes(b"".join(lines[:5]))
    check()
    assert running.take_new_ids() is None  # the first read: everything is new
    assert running.take_new_ids() == []
    with open(index, "ab") as fh:
        fh.write(b"".join(lines[5:]) + lines[0])  # every commit, and the first one again
    check()
    ids = [line.split(b"\t", 1)[0].decode() for line in lines]
    assert running.take_new_ids() == [*ids[5:], ids[0]]
    changed = sum(m.rows_changed for r in running.committed.values() for m in r.ops)
    assert sum(t.rows_changed for t in running.op_totals()) == changed > 0
    tmp = tmp_path / "rewritten"
    tmp.write_bytes(b"".join(lines[:3]))
    os.replace(tmp, index)  # the driver rewrites the index under a new inode when it drops commits
    check()
    assert running.take_new_ids() is None
    assert running.op_totals()[0].partitions == 3
    index.unlink()
    check()
    assert running.op_totals() == []
