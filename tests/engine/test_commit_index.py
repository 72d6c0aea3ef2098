"""The commit index: one file read on resume, the markers still the truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from datamill.engine import commit
from datamill.engine.commit import CommitIndex, marker_path, remove_uncommitted, write_marker
from datamill.engine.results import PartitionResult


def result(cid: str, rows: int = 10, hash_: str = "h1") -> PartitionResult:
    return PartitionResult(
        partition_id=cid,
        rows_read=rows,
        rows_out=rows,
        result_file=f"part-{cid}.jsonl",
        result_bytes=1,
        seconds=0.1,
        pid=1,
        host="h",
        pipeline_hash=hash_,
    )


@pytest.fixture()
def job(tmp_path: Path) -> tuple[Path, CommitIndex]:
    results = tmp_path / "results"
    results.mkdir()
    index = CommitIndex(tmp_path / "metadata" / "commits.tsv")
    for i in range(5):
        r = result(f"{i:06d}_k_0-10")
        (results / r.result_file).write_text("{}\n")
        write_marker(results, r)
        index.append(results, r)
    index.close()
    return results, index


def count_marker_reads(monkeypatch) -> list[Path]:
    reads: list[Path] = []
    real = commit.read_marker

    def spy(path: Path, remove_bad: bool = True):
        reads.append(path)
        return real(path, remove_bad)

    monkeypatch.setattr(commit, "read_marker", spy)
    return reads


def test_a_resume_reads_the_index_and_no_marker(job, monkeypatch) -> None:
    results, index = job
    reads = count_marker_reads(monkeypatch)
    committed = index.load(results, remove_uncommitted(results))
    assert len(committed) == 5 and reads == []
    assert committed["000003_k_0-10"].rows_read == 10


def test_a_marker_rewritten_after_its_line_is_read_from_disk(job, monkeypatch) -> None:
    results, index = job
    write_marker(results, result("000002_k_0-10", rows=7, hash_="h2"))  # rewritten, index not told
    reads = count_marker_reads(monkeypatch)
    committed = index.load(results, remove_uncommitted(results))
    assert [p.name for p in reads] == ["part-000002_k_0-10.commit"]
    assert committed["000002_k_0-10"].rows_read == 7 and committed["000002_k_0-10"].pipeline_hash == "h2"
    # the index was rewritten, so the next load needs no marker again
    reads.clear()
    assert index.load(results, remove_uncommitted(results))["000002_k_0-10"].rows_read == 7
    assert reads == []


def test_a_lost_or_torn_index_is_rebuilt_from_the_markers(job, monkeypatch) -> None:
    results, index = job
    raw = index.path.read_bytes()
    index.path.write_bytes(raw[: len(raw) - 40])  # a crash mid-append
    reads = count_marker_reads(monkeypatch)
    assert len(index.load(results, remove_uncommitted(results))) == 5
    assert len(reads) == 1
    lines = index.path.read_text().splitlines()
    assert len(lines) == 5 and all(json.loads(line.split("\t")[5])["partition_id"] for line in lines)
    index.path.unlink()
    reads.clear()
    assert len(index.load(results, remove_uncommitted(results))) == 5 and len(reads) == 5


def test_lines_of_removed_markers_are_dropped(job) -> None:
    results, index = job
    os.unlink(marker_path(results, "000004_k_0-10"))
    committed = index.load(results, remove_uncommitted(results))
    assert "000004_k_0-10" not in committed
    assert not (results / "part-000004_k_0-10.jsonl").exists()  # its result went with the marker
    assert len(index.path.read_text().splitlines()) == 4


def test_a_damaged_body_falls_back_to_the_marker(job) -> None:
    results, index = job
    lines = index.path.read_text().splitlines(keepends=True)
    head, _, body = lines[1].rpartition("\t")
    lines[1] = head + "\t" + body[:-30] + "\n"  # header intact, body cut
    index.path.write_text("".join(lines))
    committed = index.load(results, remove_uncommitted(results))
    assert committed["000001_k_0-10"].host == "h"  # parsed from the marker instead


def test_dropped_commits_leave_the_index_before_their_markers_go(job) -> None:
    results, index = job
    index.load(results, remove_uncommitted(results))
    index.drop(["000001_k_0-10"])
    assert "000001_k_0-10" not in index.path.read_text()
    # so a marker written again later, even on a reused inode number, is read from disk
    assert len(index.path.read_text().splitlines()) == 4


def test_removing_what_a_crash_left_spares_the_files_of_busy_partitions(job) -> None:
    results, _ = job
    for cid in ("000007_k_0-10", "000008_k_0-10"):  # uncommitted: a result and a temporary each
        (results / f"part-{cid}.jsonl").write_text("{}\n")
        (results / f".tmp-part-{cid}.commit.x1y2").write_text("")
    scan = commit.ResultsScan.of(results)  # listed as the job starts; then 000008 goes to a worker
    markers = remove_uncommitted(results, scan, busy={"000008_k_0-10"})
    assert len(markers) == 5 and len(list(results.glob("part-*.jsonl"))) == 6
    assert sorted(p.name for p in results.glob("*00000[78]*")) == [
        ".tmp-part-000008_k_0-10.commit.x1y2",
        "part-000008_k_0-10.jsonl",
    ]
