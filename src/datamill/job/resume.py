"""What a job finds on disk when it starts again, and what it keeps.

Resuming is a pure function of the files: commit markers say which partitions
are done, checkpoint names say which op prefix produced them. A result made
by a different recipe is redone; a checkpoint whose prefix hash no longer
matches is dropped; anything half-written is removed. If an input file changed
since the plan was made, the job refuses to continue unless forced.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from datamill.atomic import TMP_PREFIX, sweep_temporaries
from datamill.engine.commit import (
    MARKER_SUFFIX,
    AnyResult,
    CommitIndex,
    ResultsScan,
    committed_files,
    marker_path,
    part_id,
    remove_uncommitted,
)
from datamill.engine.results import FAILED_PARTITION
from datamill.engine.spec import CheckpointName, PipelineSpec
from datamill.errors import InputError
from datamill.io.sources import Fingerprint
from datamill.job.layout import JobLayout
from datamill.job.summary import JobSummary
from datamill.ledger import FAILED_DIR, SUCCESS_DIR, folded_partitions, segment_name
from datamill.ledger.state import reset_fold, root_files_damaged
from datamill.plan.planner import Plan


def verify_inputs(plan: Plan, force: bool, job_id: str) -> None:
    """Refuse to resume on input that changed since the plan was made."""
    for source in plan.sources:
        path = Path(source.path)
        try:
            now = Fingerprint.of(path)
        except OSError:
            problem = "is gone"
        else:
            if now == source.fingerprint:
                continue
            problem = "has changed (size, modification time or content)"
        if force:
            continue
        raise InputError(
            f"Input file {path} {problem} since job {job_id} was planned. Resuming would mix results "
            "of two different inputs. Start a new job (another --job_id), or pass --force to resume "
            "with the saved plan anyway."
        )


def prepare_resume(
    layout: JobLayout,
    plan: Plan,
    pipeline: PipelineSpec,
    current: str,
    summary: JobSummary,
    scan: ResultsScan | None = None,
    busy: Collection[str] = (),
) -> dict[str, AnyResult]:
    """Clean what a crash left, drop what the recipe no longer makes; return the committed.

    ``scan`` is the results folder as listed when the job started; ``busy``
    are the partitions handed to workers since (none had a marker then).
    Their files are theirs: nothing of theirs is removed here."""
    notes = summary.resume_notes
    results = layout.results
    if pipeline.checkpoint.strategy == "disabled" and any(results.glob("part-*")):
        assert not busy, "a job that keeps no state starts no partition before it is wiped"
        shutil.rmtree(results)
        shutil.rmtree(layout.checkpoint_root, ignore_errors=True)
        shutil.rmtree(layout.progress, ignore_errors=True)
        reset_fold(layout.root)
        results.mkdir(parents=True)
        notes.append("Checkpoint strategy 'disabled': starting the job over.")
        scan = None
    if scan is None:
        scan = ResultsScan.of(results)
    markers = remove_uncommitted(results, scan, busy)
    for folder in (layout.staging, layout.plan.parent, layout.root):
        sweep_temporaries(folder)
    index = CommitIndex(layout.commit_index)
    committed = index.load(results, markers)
    # A failed partition's marker records its records as failed until it runs again: now.
    failed = [pid for pid, result in committed.items() if result.pipeline_hash == FAILED_PARTITION]
    stale = [pid for pid, r in committed.items() if r.pipeline_hash not in (current, FAILED_PARTITION)]
    folded = folded_partitions(layout.fold_index)
    lost = root_files_damaged(layout.root)
    if lost:
        notes.append(lost)
        reset_fold(layout.root)
    skip = set(stale) | set(failed) if lost else folded | set(stale) | set(failed)
    sizes = _segment_sizes(layout)
    damaged = [
        pid for pid, result in committed.items() if pid not in skip and not _ledger_intact(sizes, result)
    ]
    unwritten = _without_result(scan, committed, set(failed) | set(stale) | set(damaged))
    if unwritten:
        notes.append(
            f"The result files of {len(unwritten)} committed partitions are gone "
            f"({', '.join(unwritten[:3])}{'…' if len(unwritten) > 3 else ''}); those partitions are redone."
        )
    redo = failed + stale + damaged + unwritten
    index.drop(redo)
    for pid in redo:
        result = committed.pop(pid)
        marker_path(results, pid).unlink()
        for name in committed_files(result):
            (results / name).unlink(missing_ok=True)
    _remove_orphan_segments(layout, sizes, set(committed), busy)
    summary.counts.partitions_redone = len(stale) + len(damaged) + len(unwritten)
    if committed:
        notes.append(
            f"Resuming job {layout.job_id}: {len(committed)} of {len(plan.partitions)} partitions "
            "were committed earlier and are skipped."
        )
    if failed:
        notes.append(f"{len(failed)} partitions failed in an earlier run; they run again.")
    if stale:
        notes.append(f"{len(stale)} committed partitions were made by a different recipe and will be redone.")
    if damaged:
        notes.append(
            f"The ledger segments of {len(damaged)} committed partitions are damaged or missing "
            f"({', '.join(damaged[:3])}{'…' if len(damaged) > 3 else ''}); those partitions are redone."
        )
    notes.extend(_sort_checkpoints(layout, pipeline, set(committed), busy))
    return committed


def clear_segments(layout: JobLayout, partition_ids: Collection[str]) -> None:
    """Remove the ledger segments of partitions without a commit marker, which a
    crash left: each is about to run again, and a run that fails it must not
    leave its records in the success or failed view."""
    for pid in partition_ids:
        for folder in (SUCCESS_DIR, FAILED_DIR):
            (layout.progress / folder / segment_name(pid)).unlink(missing_ok=True)


def _without_result(scan: ResultsScan, committed: dict[str, AnyResult], redone: set[str]) -> list[str]:
    """Committed partitions whose result file is not in the results folder (deleted by hand)."""
    have = {
        part_id(e.name)
        for e in scan.entries
        if not e.name.endswith(MARKER_SUFFIX) and not e.name.startswith(TMP_PREFIX)
    }
    return sorted(cid for cid in committed if cid not in have and cid not in redone)


SegmentSizes = dict[str, dict[str, int]]


def _segment_sizes(layout: JobLayout) -> SegmentSizes:
    """The files of each ledger folder and their sizes, in one pass per folder."""
    sizes: SegmentSizes = {}
    for folder in (SUCCESS_DIR, FAILED_DIR):
        try:
            with os.scandir(layout.progress / folder) as it:
                sizes[folder] = {e.name: e.stat().st_size for e in it if e.is_file()}
        except FileNotFoundError:
            sizes[folder] = {}
    return sizes


def _ledger_intact(sizes: SegmentSizes, result: AnyResult) -> bool:
    """Whether the segments a marker records are there, whole (by size)."""
    for key, folder in (("success_bytes", SUCCESS_DIR), ("failed_bytes", FAILED_DIR)):
        expected = result.ledger.get(key)
        if expected is not None and sizes[folder].get(segment_name(result.partition_id)) != expected:
            return False
    return True


def _remove_orphan_segments(
    layout: JobLayout, sizes: SegmentSizes, committed: set[str], busy: Collection[str]
) -> None:
    """Segments without a commit marker belong to no finished partition
    (those of ``busy`` partitions are being written)."""
    for folder, files in sizes.items():
        for name in files:
            pid = part_id(name)
            if pid in busy:
                continue
            if name.startswith(TMP_PREFIX) or (name.startswith("part-") and pid not in committed):
                (layout.progress / folder / name).unlink(missing_ok=True)


def _sort_checkpoints(
    layout: JobLayout, pipeline: PipelineSpec, committed: set[str], busy: Collection[str]
) -> list[str]:
    root = layout.checkpoint_root
    if not root.is_dir():
        return []
    from datamill.engine.partition import pipeline_ops  # the engine: only with checkpoints to sort

    ops, hashes = pipeline_ops(pipeline)
    keep_all = pipeline.checkpoint.keep_all
    kept: Counter[int] = Counter()
    dropped: Counter[int] = Counter()
    for folder in root.iterdir():
        if folder.name in committed:
            if not keep_all:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        # A busy partition's checkpoints are counted but left to its worker,
        # which reads only those matching the recipe and replaces the others.
        mine = folder.name not in busy
        for path in folder.iterdir() if folder.is_dir() else ():
            name = CheckpointName.parse(path.name)
            if path.name.startswith(TMP_PREFIX) or name is None:
                if mine:
                    path.unlink(missing_ok=True)
            elif name.op_index < len(hashes) and hashes[name.op_index] == name.prefix_hash:
                if name.kind == "op":  # (a deduplicator's hashes are kept with them, not counted)
                    kept[name.op_index] += 1
            else:
                if name.kind == "op":
                    dropped[name.op_index] += 1
                if mine and not keep_all:
                    path.unlink(missing_ok=True)

    def label(index: int) -> str:
        return (
            f"op {index} ({ops[index].name})" if index < len(ops) else f"op {index} (no longer in the recipe)"
        )

    notes = []
    if kept:
        notes.append(
            "Checkpoints kept: " + ", ".join(f"{n} after {label(i)}" for i, n in sorted(kept.items())) + "."
        )
    if dropped:
        notes.append(
            "Checkpoints dropped, made by a different recipe: "
            + ", ".join(f"{n} after {label(i)}" for i, n in sorted(dropped.items()))
            + ". Those partitions restart from their last matching checkpoint or from the input."
        )
    return notes
