"""Benchmark: deduplication in a datamill job, phase by phase, against Data-Juicer's own MinHash.

The corpus (``bench/dedup_corpus.py``): N documents of English-like prose,
200 to 5,000 characters (about 2 KB), one in ten planted as an exact or near
copy of an earlier one; written once per size and seed. Each system runs once
as a subprocess, on np processes:

- datamill: ``datamill run`` with a recipe of ``document_minhash_deduplicator``
  with default parameters (``--recipe-ops`` for other ops), default
  partitions, merged JSONL export. Its event log cuts the wall time into
  phases: startup (to ``PROCESSING_START``), processing (to
  ``PROCESSING_COMPLETE``: reading, the ops, hashing, commits), global dedup
  (to the last ``DEDUP_COMPLETE``: grouping the committed hashes; the sum of
  the ``DEDUP_COMPLETE`` events' own durations is shown below it), export (to
  the "exported to" note) and finish (to the process's exit);
- Data-Juicer (``--dj PY``, a python with Data-Juicer installed; by default
  the project's side venv, when it exists; ``--no-dj`` skips it):
  ``bench/dj_dedup.py``, its ``document_minhash_deduplicator`` as its default
  executor runs it, on the first ``--dj-docs`` documents (default 100,000:
  here its hash phase runs at about 800 documents/s and its driver grows by
  about 20 MB per 1,000 documents, so a million would take some 20 minutes
  and 20 GB); phases startup (imports), load, init, hash (``num_proc`` = np),
  global and finish (writing the kept ids).

While a system runs, a thread samples the PSS of its driver (the process the
benchmark started) and the summed PSS of all its processes every 0.2 s
(``bench/procs.py`` lists them); each phase reports the peaks of the samples
taken in it. When Data-Juicer runs on fewer documents than datamill, datamill
runs a second time on those (the corpus of K documents is the first K of the
larger one), so that both kept sets can be compared: identical, or how many
ids only one of them keeps. For each run: the documents dropped, how many of
the planted copies among them, and how many others.

    python bench/bench_dedup.py [--docs 1000000] [--np 2] [--dj-docs K] [--no-dj] [--dj PY]
        [--recipe-ops YAML] [--out DIR]

Goals (issue 17, at 1,000,000 documents on 2 cores): datamill's global dedup
phase <= 60 s and its driver's peak PSS <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml
from common import HERE, parser
from dedup_corpus import corpus, read_planted
from procs import MEMORY_INTERVAL_S, Watched, become_subreaper, machine_facts

RECIPE: list[dict[str, Any]] = [{"document_minhash_deduplicator": {}}]
DEFAULT_DJ = Path("/work/djvenv/bin/python")
"""The project's side venv with Data-Juicer, used when it exists and ``--dj`` is not given."""
DJ_DOCS = 100_000
"""Data-Juicer's default size (see the module's docstring)."""
GLOBAL_GOAL_S, DRIVER_GOAL_MB, GOAL_DOCS = 60.0, 2048.0, 1_000_000
MB = 2**20
RATED = ("processing", "global dedup", "hash", "global", "total")
"""The phases whose documents per second the table shows: those that see every document."""


class Sampler:
    """The PSS of a run's driver and of all its processes, sampled with the time."""

    def __init__(self, run: Watched) -> None:
        self.run = run
        self.samples: list[tuple[float, int, int]] = []
        """(epoch, driver PSS, all processes' PSS) in bytes."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        driver = self.run.proc.pid
        while not self._stop.is_set():
            mine, total = 0, 0
            for p in self.run.processes():
                try:
                    pss = p.memory_full_info().pss
                except psutil.Error:  # it exited meanwhile
                    continue
                total += pss
                mine = pss if p.pid == driver else mine
            if total:
                self.samples.append((time.time(), mine, total))
            self._stop.wait(MEMORY_INTERVAL_S)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self, start: float, end: float) -> tuple[int, int] | None:
        """Peak driver and all-processes PSS of the samples taken in [start, end]; None without one."""
        inside = [(d, a) for t, d, a in self.samples if start <= t <= end]
        if not inside:
            return None
        return max(d for d, _ in inside), max(a for _, a in inside)


@dataclass
class Phase:
    name: str
    start: float
    end: float
    """Epoch seconds."""


@dataclass
class Result:
    """One system's run: its phases, memory samples, and the ids it kept."""

    system: str
    docs: int
    phases: list[Phase]
    sampler: Sampler
    kept: set[int]
    notes: dict[str, Any] = field(default_factory=dict)

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)


def watch(cmd: list[str], log: Path) -> tuple[Watched, Sampler, float]:
    """Run ``cmd`` to its end with its memory sampled; the epoch it was launched at."""
    launched = time.time()
    run = Watched(cmd, log)
    sampler = Sampler(run)
    try:
        run.wait()
    finally:
        sampler.stop()
    return run, sampler, launched


def load_ops(value: str | None) -> list[dict[str, Any]]:
    """``--recipe-ops``: a YAML list of ops, inline or in a file (a recipe's ``process`` list too)."""
    if value is None:
        return RECIPE
    loaded = yaml.safe_load(Path(value).read_text() if Path(value).is_file() else value)
    ops = loaded.get("process") if isinstance(loaded, dict) else loaded
    if not isinstance(ops, list) or not ops:
        raise SystemExit(f"--recipe-ops {value!r}: give a YAML list of ops, e.g. '[{{op_name: {{}}}}]'")
    return ops


def read_events(event_dir: Path) -> list[dict[str, Any]]:
    """The job's events, rotated files first."""
    backups = [f for f in event_dir.glob("events.jsonl.*") if f.suffix[1:].isdigit()]
    files = [*sorted(backups, key=lambda f: -int(f.suffix[1:])), event_dir / "events.jsonl"]
    return [json.loads(line) for f in files if f.exists() for line in f.open(encoding="utf-8")]


def datamill_phases(events: list[dict[str, Any]], launched: float, ended: float) -> list[Phase]:
    """The run's wall time cut at the events that close each phase."""

    def at(kind: str) -> list[float]:
        return [e["epoch"] for e in events if e["type"] == kind]

    started, processed = min(at("PROCESSING_START")), max(at("PROCESSING_COMPLETE"))
    deduped = max(at("DEDUP_COMPLETE"), default=None)
    notes = [e for e in events if e["type"] == "INFO" and e.get("message", "").startswith("exported to")]
    if not notes:
        raise SystemExit("datamill's event log has no 'exported to' note: did the job export?")
    exported = notes[-1]["epoch"]
    phases = [Phase("startup", launched, started), Phase("processing", started, processed)]
    if deduped is not None:
        phases.append(Phase("global dedup", processed, deduped))
    return [*phases, Phase("export", deduped or processed, exported), Phase("finish", exported, ended)]


def kept_ids(export: Path) -> set[int]:
    """The ids of the documents in datamill's export."""
    with export.open(encoding="utf-8") as fh:
        return {int(json.loads(line)["id"]) for line in fh}


def run_datamill(args: argparse.Namespace, data: Path, docs: int, ops: list[dict[str, Any]]) -> Result:
    out: Path = args.out
    output, jobs, job_id = out / f"dedup_datamill_{docs}.jsonl", out / "dedup_jobs", f"dedup_{docs}"
    recipe = out / f"dedup_recipe_{docs}.yaml"
    raw: dict[str, Any] = {"dataset_path": str(data), "export_path": str(output), "work_dir": str(jobs)}
    raw["np"] = args.np
    if args.partition_size is not None:
        raw["partition"] = {"size": args.partition_size}
    recipe.write_text(yaml.safe_dump({**raw, "process": ops}, sort_keys=False))
    shutil.rmtree(jobs / job_id, ignore_errors=True)
    output.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "datamill", "run", "--config", str(recipe), "--job_id", job_id]
    print(f"datamill on {docs:,} documents ...", flush=True)
    run, sampler, launched = watch(cmd, out / "logs" / f"dedup_datamill_{docs}.log")
    summary = json.loads((jobs / job_id / "job_summary.json").read_text())
    if summary["status"] != "completed":
        raise SystemExit(f"datamill's job ended {summary['status']}: {summary.get('error')}")
    events = read_events(Path(summary["event_log_dir"]))
    dedup = [e for e in events if e["type"] == "DEDUP_COMPLETE"]
    notes = {
        "decide s (events)": sum(e["duration_s"] for e in dedup),
        "clusters": sum(e["clusters"] for e in dedup),
    }
    phases = datamill_phases(events, launched, run.ended_epoch)
    return Result("datamill", docs, phases, sampler, kept_ids(output), notes)


def run_dj(args: argparse.Namespace, data: Path, docs: int) -> Result:
    out: Path = args.out
    kept_file, report = out / f"dedup_dj_{docs}.ids", out / f"dedup_dj_{docs}.json"
    report.unlink(missing_ok=True)
    cmd = [args.dj, str(HERE / "dj_dedup.py"), str(data), str(kept_file), "--np", str(args.np)]
    cmd += ["--work", str(out), "--report", str(report)]
    print(f"Data-Juicer on {docs:,} documents ...", flush=True)
    run, sampler, launched = watch(cmd, out / "logs" / f"dedup_dj_{docs}.log")
    figures = json.loads(report.read_text())
    phases = [Phase(p["name"], p["start"], p["end"]) for p in figures["phases"]]
    phases = [
        Phase("startup", launched, phases[0].start),
        *phases,
        Phase("finish", phases[-1].end, run.ended_epoch),
    ]
    kept = {int(line) for line in kept_file.read_text().split()}
    notes = {k: figures[k] for k in ("version", "np", "bands", "rows_per_band")}
    return Result("Data-Juicer", docs, phases, sampler, kept, notes)


def mb(value: int | None) -> str:
    return "-" if value is None else f"{value / MB:,.0f}"


def table(results: list[Result]) -> None:
    print(f"{'system':13}{'docs':>11}  {'phase':14}{'wall s':>9}{'docs/s':>10}{'driver MB':>11}{'all MB':>9}")
    for r in results:
        rows = [*r.phases, Phase("total", r.phases[0].start, r.phases[-1].end)]
        for p in rows:
            peaks = r.sampler.peaks(p.start, p.end)
            wall = p.end - p.start
            rate = f"{r.docs / wall:,.0f}" if p.name in RATED else ""
            driver, every = peaks if peaks else (None, None)
            print(
                f"{r.system:13}{r.docs:>11,}  {p.name:14}{wall:>9.2f}{rate:>10}{mb(driver):>11}{mb(every):>9}"
            )
        print(f"{'':26}{', '.join(f'{k} {v}' for k, v in r.notes.items())}")


def drops(r: Result, planted: dict[int, tuple[int, bool]]) -> str:
    dropped = set(range(r.docs)) - r.kept
    mine = [i for i in planted if i < r.docs]
    caught = sum(i in dropped for i in mine)
    exact = [i for i in mine if planted[i][1]]
    exact_caught = sum(i in dropped for i in exact)
    share = caught / max(len(mine), 1)
    return (
        f"{r.system} on {r.docs:,}: kept {len(r.kept):,}, dropped {len(dropped):,}: {caught:,} of the "
        f"{len(mine):,} planted copies ({share:.1%}; exact ones {exact_caught:,} of {len(exact):,}), "
        f"{len(dropped) - caught:,} others"
    )


def compare(a: Result, b: Result) -> str:
    if a.kept == b.kept:
        return f"kept sets on {a.docs:,} documents: identical ({len(a.kept):,} ids)"
    return (
        f"kept sets on {a.docs:,} documents: DIFFERENT: {len(a.kept - b.kept):,} ids kept only by "
        f"{a.system}, {len(b.kept - a.kept):,} only by {b.system}"
    )


def goals(r: Result) -> str:
    phase = r.phase("global dedup")
    if phase is None:
        return "goals: no global dedup phase (the recipe has no deduplicator)"
    seconds = phase.end - phase.start
    driver = max((d for _, d, _ in r.sampler.samples), default=0) / MB
    verdict = ("PASS" if seconds <= GLOBAL_GOAL_S else "FAIL", "PASS" if driver <= DRIVER_GOAL_MB else "FAIL")
    where = "" if r.docs == GOAL_DOCS else f" (the goals are set for {GOAL_DOCS:,} documents)"
    return (
        f"goals, datamill on {r.docs:,}{where}: global dedup {seconds:.1f} s <= {GLOBAL_GOAL_S:g} s "
        f"{verdict[0]}; driver peak PSS {driver:,.0f} MB <= {DRIVER_GOAL_MB:,.0f} MB {verdict[1]}"
    )


def main() -> int:
    p = parser(__doc__)
    p.set_defaults(docs=1_000_000, partition_size=None)
    p.add_argument("--dj", metavar="PY", help=f"a python with Data-Juicer installed (default: {DEFAULT_DJ})")
    p.add_argument("--no-dj", action="store_true", help="do not run Data-Juicer")
    p.add_argument("--dj-docs", type=int, default=DJ_DOCS, help="Data-Juicer on the first K documents only")
    p.add_argument("--recipe-ops", metavar="YAML", help="datamill's ops: a YAML list, inline or a file")
    args = p.parse_args()
    args.out = args.out.resolve()
    (args.out / "logs").mkdir(parents=True, exist_ok=True)
    if args.dj is None and not args.no_dj and DEFAULT_DJ.is_file():
        args.dj = str(DEFAULT_DJ)
    if args.dj and not args.no_dj and not Path(args.dj).is_file():
        raise SystemExit(f"--dj {args.dj}: no such file; give the path of a python with Data-Juicer")
    dj_docs = min(args.dj_docs, args.docs) if args.dj and not args.no_dj else None
    become_subreaper()
    facts = machine_facts(f"datamill np={args.np}")
    ops = load_ops(args.recipe_ops)
    data = corpus(args.out, args.docs, args.seed)
    results = [run_datamill(args, data, args.docs, ops)]
    if dj_docs is not None:
        small = data if dj_docs == args.docs else corpus(args.out, dj_docs, args.seed)
        if dj_docs != args.docs:
            results.append(run_datamill(args, small, dj_docs, ops))
        results.append(run_dj(args, small, dj_docs))
    print()
    print(f"input: {args.docs:,} documents, {data.stat().st_size / 1e6:,.0f} MB; np={args.np}; ops {ops}")
    table(results)
    planted = read_planted(data)
    for r in results:
        print(drops(r, planted))
    if dj_docs is not None and ops == RECIPE:
        print(compare(results[-2], results[-1]))
    elif dj_docs is not None:
        print("kept sets not compared: datamill's recipe is not document_minhash_deduplicator alone")
    print(goals(results[0]))
    print(f"PSS sampled every {MEMORY_INTERVAL_S:g} s: the driver alone, and summed over all its processes")
    print(facts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
