"""What a job keeps of its checkpoints, intermediate data and temporary files.

The lifecycle keys of ``intermediate_storage``, applied by the driver:

- at the start of a run, :func:`at_start`: temporary files of this job
  (``cleanup_temp_files``), and the checkpoints and intermediate data of other
  finished jobs in the same ``work_dir`` older than ``max_retention_days``;
- at the end of a run, :func:`at_end`: ``retention_policy``,
  ``cleanup_on_success`` and ``cleanup_temp_files`` again.

Only checkpoints (``{checkpoint_dir}/{job_id}/``) and intermediate data
(``intermediate/``) are ever removed by a policy: results, the ledger, the
summary, the plan and the event logs always stay, so a job remains
inspectable and resumable (a partition without checkpoints runs again from
its input). Each function returns what it did as :class:`Cleanup` notes;
:func:`announce` makes each one event naming what went and how many bytes
(the driver announces the start's after ``JOB_START``, which comes first).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datamill.atomic import TMP_PREFIX
from datamill.config.models import IntermediateStorageConfig
from datamill.engine.commit import AnyResult, base_id
from datamill.engine.results import FAILED_PARTITION
from datamill.events.types import EventType
from datamill.job.layout import JobLayout
from datamill.plan.ids import PartitionId

PROBE_PREFIX = ".storage-check-"
"""The Ray executor's storage probes in a job directory."""

Emit = Callable[..., Any]
"""``EventLog.emit``: ``emit(type, message=..., bytes=...)``."""


@dataclass(frozen=True)
class Cleanup:
    """What one cleanup removed (or, for temporary files kept, left)."""

    message: str
    paths: tuple[Path, ...]
    bytes: int
    removed: bool = True


def announce(cleanups: Iterable[Cleanup], emit: Emit) -> None:
    for c in cleanups:
        emit(EventType.INFO, message=c.message, bytes=c.bytes)


def size_of(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def remove(what: str, paths: Iterable[Path]) -> Cleanup | None:
    """Remove ``paths`` (files or folders); None if there was nothing."""
    found = [p for p in paths if p.exists() or p.is_symlink()]
    if not found:
        return None
    nbytes = sum(size_of(p) for p in found)
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return Cleanup(f"removed {what}: {len(found)} files or folders, {nbytes} bytes", tuple(found), nbytes)


def failed_partitions(committed: Mapping[str, AnyResult]) -> set[str]:
    """Partitions with a failure on record: failed as a whole, or some of
    their samples set aside or unreadable (in any of their commits)."""
    return {
        base_id(cid)
        for cid, r in committed.items()
        if r.pipeline_hash == FAILED_PARTITION or r.n_quarantined or r.n_bad
    }


def partition_data(layout: JobLayout, partition_id: str) -> list[Path]:
    """A partition's checkpoint folder and intermediate folder."""
    index = PartitionId.parse(partition_id).index
    return [layout.checkpoint_root / partition_id, layout.intermediate / f"partition_{index:06d}"]


def at_end(
    layout: JobLayout,
    storage: IntermediateStorageConfig,
    status: str,
    committed: Mapping[str, AnyResult],
) -> list[Cleanup]:
    """Apply ``retention_policy``, ``cleanup_on_success`` and ``cleanup_temp_files``
    once the run's final ``status`` is known (``completed``, ``completed_with_failures``,
    ``failed``, ``stopped``). ``committed``: the job's commits, by commit id."""
    failed = failed_partitions(committed)
    success = status == "completed" and not failed
    everything = [layout.checkpoint_root, layout.intermediate]
    done: list[Cleanup | None] = []
    if storage.retention_policy == "cleanup_all":
        what = "all checkpoints and intermediate data (retention_policy: cleanup_all)"
        done.append(remove(what, everything))
    elif success and storage.cleanup_on_success:
        done.append(remove("checkpoints and intermediate data (cleanup_on_success)", everything))
    elif storage.retention_policy == "keep_failed_only":
        if success:
            what = "checkpoints and intermediate data: no failure (retention_policy: keep_failed_only)"
            done.append(remove(what, everything))
        else:
            ok = sorted({base_id(cid) for cid in committed} - failed)
            paths = [p for pid in ok for p in partition_data(layout, pid)]
            what = (
                f"checkpoints and intermediate data of {len(ok)} partitions without failures; "
                f"those of {len(failed)} with failures stay (retention_policy: keep_failed_only)"
            )
            done.append(remove(what, paths))
    done.append(temp_files(layout, storage, staged=success))
    return [r for r in done if r is not None]


def temporary_files(layout: JobLayout, staged: bool) -> list[Path]:
    """Leftovers of interrupted writes (``.tmp-*``) in intermediate data and
    staged pieces, the Ray executor's storage probes, and with ``staged`` the
    staged input pieces themselves (rewritten when a later run needs them).

    Not the leftovers a run always removes as it resumes, since they would be
    mistaken for work or state: those in ``results/``, the ledger's segments
    and checkpoints, and directly in the job, ``metadata/`` and ``staging/``
    folders."""
    if not layout.root.is_dir():
        return []
    protocol = {layout.results, layout.progress, layout.checkpoint_root}
    swept = {layout.root, layout.plan.parent, layout.staging}
    found = set(layout.root.glob(PROBE_PREFIX + "*"))
    for child in layout.root.iterdir():
        if child.is_dir() and child not in protocol and not child.name.startswith(PROBE_PREFIX):
            found.update(p for p in child.rglob(TMP_PREFIX + "*") if p.parent not in swept)
    if staged and layout.staging.is_dir():
        found.update(layout.staging.glob("*.pieces"))
    return sorted(found)


def temp_files(layout: JobLayout, storage: IntermediateStorageConfig, staged: bool) -> Cleanup | None:
    """``cleanup_temp_files``: remove them, or say they are kept."""
    found = temporary_files(layout, staged)
    if storage.cleanup_temp_files:
        return remove("temporary files (cleanup_temp_files)", found)
    if not found:
        return None
    nbytes = sum(size_of(p) for p in found)
    names = ", ".join(str(p.relative_to(layout.root)) for p in found[:5])
    more = "…" if len(found) > 5 else ""
    message = f"kept {len(found)} temporary files, {nbytes} bytes (cleanup_temp_files: false): {names}{more}"
    return Cleanup(message, tuple(found), nbytes, removed=False)


def at_start(layout: JobLayout, storage: IntermediateStorageConfig) -> list[Cleanup]:
    """This job's temporary files, and other jobs' data past ``max_retention_days``.
    Call with the job's lock held, before the results folder is listed and any
    partition runs."""
    done = [temp_files(layout, storage, staged=False), *expired_jobs(layout, storage)]
    return [r for r in done if r is not None]


def expired_jobs(layout: JobLayout, storage: IntermediateStorageConfig) -> list[Cleanup]:
    """Finished jobs beside this one whose summary was last written over
    ``max_retention_days`` ago lose their checkpoints and intermediate data.
    Each is done holding its lock, so a job running (or started since) is never
    touched. (Not :func:`datamill.control.cleanup.old_jobs`: it measures each
    old job's whole directory, which every start would pay again.)"""
    if storage.max_retention_days <= 0:
        return []
    from datamill.control.cleanup import FINISHED
    from datamill.control.jobs import read_summary
    from datamill.errors import JobError
    from datamill.job.lock import JobLock

    cutoff = time.time() - storage.max_retention_days * 86400.0
    done = []
    for job in sorted(layout.root.parent.iterdir()):
        if job == layout.root or not job.is_dir():
            continue
        try:
            if (job / "job_summary.json").stat().st_mtime > cutoff:
                continue
            with JobLock(job / "job.lock", job.name):
                summary = read_summary(job)
                if str(summary.get("status")) not in FINISHED:
                    continue
                what = (
                    f"checkpoints and intermediate data of job {job.name}, ended "
                    f"{summary.get('end_time') or '?'} (max_retention_days: {storage.max_retention_days})"
                )
                removed = remove(what, _job_data(job, summary))
        except (OSError, JobError):  # no job, or one that runs
            continue
        if removed is not None:
            done.append(removed)
    return done


def _job_data(job: Path, summary: Mapping[str, Any]) -> list[Path]:
    """A job's intermediate data and checkpoints, wherever its summary says they are."""
    paths = [job / "intermediate", job / "checkpoints"]
    elsewhere = Path(str(summary.get("checkpoint_dir") or ""))
    if elsewhere.is_absolute() and elsewhere.name == job.name:  # its own folder only
        paths.append(elsewhere)
    return paths
