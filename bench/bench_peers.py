"""Benchmark: datamill against a bare script (and datatrove), on web text.

The corpus (``bench/web_corpus.py``): N C4-like documents of 200 to 5,000
characters with web text's noise (links, e-mails, odd spaces, accents, curly
quotes, mojibake, boilerplate), written once per size and seed; its measured
noise rates are printed when it is generated. The recipe:
``clean_links_mapper -> clean_email_mapper -> whitespace_normalization_mapper
-> fix_unicode_mapper -> text_length_filter(min_len=100)``, np workers.

Each system runs as a subprocess, ``--repeat`` rounds, alternating:

- bare: ``bench/bare_web.py``, ``multiprocessing.Pool(np)`` applying the ops'
  exact semantics to every document with no shortcut (ftfy on every one) and
  no fault tolerance: the floor;
- datamill: ``datamill run`` with the recipe, default partitions and
  checkpointing, merged JSONL export;
- datatrove (``--datatrove PY``, a python with datatrove installed):
  ``bench/datatrove_web.py``, the same transformations in a datatrove
  pipeline of np tasks, over the corpus cut into np files.

Reported, best of the rounds for each: wall seconds; CPU seconds of all the
run's processes (user + system, from ``getrusage(RUSAGE_CHILDREN)``, with
this process a subreaper so that orphaned descendants are waited for and
counted: see ``bench/procs.py``); and, in one more run of each, the peak of
the summed PSS of all its processes, sampled every 0.2 s (timed runs are not
sampled). datamill's output must be byte-identical to the bare script's (the
benchmark stops with an error if not); datatrove's, in its own JSONL format,
is compared by text and reported.

    python bench/bench_peers.py [--docs 100000] [--np 2] [--repeat 3] [--datatrove PY]

Goals: datamill / bare <= 0.7 in wall and in CPU seconds; datamill's summed
PSS <= 250 MB.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from bare_web import write_ops
from common import HERE, parser
from procs import MEMORY_INTERVAL_S, Watched, become_subreaper, machine_facts
from web_corpus import describe, write_corpus

RECIPE: list[dict[str, Any]] = [
    {"clean_links_mapper": {}},
    {"clean_email_mapper": {}},
    {"whitespace_normalization_mapper": {}},
    {"fix_unicode_mapper": {}},
    {"text_length_filter": {"min_len": 100}},
]
WALL_GOAL, CPU_GOAL, PSS_GOAL_MB = 0.7, 0.7, 250


@dataclass
class System:
    """One contender: how to run it, where its output goes, how to reset it."""

    name: str
    cmd: list[str]
    output: Path
    reset: Callable[[], None]
    check: Callable[[], None] = lambda: None
    seconds: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    peak_pss: int = 0

    def run(self, logs: Path, memory: bool = False) -> Watched:
        self.reset()
        run = Watched(self.cmd, logs / f"peers_{self.name}.log", memory)
        run.wait()
        self.check()
        return run


def corpus(out: Path, docs: int, seed: int) -> Path:
    """The web corpus, generated (and its rates printed) once per size and seed."""
    data = out / f"web_{docs}_{seed}.jsonl"
    if not data.exists():
        print(f"generating {docs:,} web documents -> {data}", flush=True)
        print(describe(write_corpus(data, docs, seed)), flush=True)
    return data


def shards(data: Path, count: int) -> Path:
    """``data`` cut into ``count`` files of consecutive lines (datatrove gives each task whole files)."""
    folder = data.with_name(f"{data.stem}_{count}_shards")
    if folder.is_dir():
        return folder
    lines = data.read_bytes().splitlines(keepends=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    step = -(-len(lines) // count)
    for i in range(count):
        (tmp / f"{i:05d}.jsonl").write_bytes(b"".join(lines[i * step : (i + 1) * step]))
    tmp.rename(folder)
    return folder


def bare(out: Path, data: Path, ops: Path, np: int) -> System:
    output = out / "peers_bare.jsonl"
    cmd = [sys.executable, str(HERE / "bare_web.py"), str(data), str(output), "--ops", str(ops)]
    return System("bare", [*cmd, "--np", str(np)], output, lambda: output.unlink(missing_ok=True))


def datamill(out: Path, data: Path, np: int, partition_size: int | None = None) -> System:
    """datamill's job; without ``partition_size``, datamill's default partitions."""
    output, jobs, job_id = out / "peers_datamill.jsonl", out / "peers_jobs", "peers"
    recipe = out / "peers_recipe.yaml"
    raw: dict[str, Any] = {
        "dataset_path": str(data),
        "export_path": str(output),
        "work_dir": str(jobs),
        "np": np,
    }
    if partition_size is not None:
        raw["partition"] = {"size": partition_size}
    recipe.write_text(yaml.safe_dump({**raw, "process": RECIPE}, sort_keys=False))

    def reset() -> None:
        shutil.rmtree(jobs / job_id, ignore_errors=True)
        output.unlink(missing_ok=True)

    def check() -> None:
        summary = json.loads((jobs / job_id / "job_summary.json").read_text())
        if summary["status"] != "completed":
            raise SystemExit(f"datamill's job ended {summary['status']}: {summary.get('error')}")

    cmd = [sys.executable, "-m", "datamill", "run", "--config", str(recipe), "--job_id", job_id]
    return System("datamill", cmd, output, reset, check)


def datatrove(out: Path, data: Path, ops: Path, np: int, python: str) -> System:
    output, logs = out / "peers_datatrove", out / "peers_datatrove_logs"

    def reset() -> None:
        shutil.rmtree(output, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)  # (else datatrove skips the tasks it finished before)

    script = str(HERE / "datatrove_web.py")
    cmd = [python, script, str(shards(data, np)), str(output), "--ops", str(ops), "--logs", str(logs)]
    return System("datatrove", [*cmd, "--tasks", str(np)], output, reset)


def datatrove_version(python: str) -> str:
    code = "from importlib.metadata import version; print(version('datatrove'), version('ftfy'))"
    found = subprocess.run([python, "-c", code], capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit(
            f"--datatrove {python}: this python cannot import datatrove and ftfy: {found.stderr}"
        )
    datatrove, ftfy = found.stdout.split()
    return f"{datatrove} (with ftfy {ftfy})"


def texts(output: Path) -> list[str]:
    """The texts of a JSONL file, or of a folder of them in name order."""
    files = sorted(output.glob("*.jsonl")) if output.is_dir() else [output]
    return [json.loads(line)["text"] for f in files for line in f.open(encoding="utf-8")]


def compare(reference: System, others: list[System], identical: dict[str, bool]) -> None:
    """datamill byte for byte with the bare script (or stop); datatrove by text (recorded)."""
    expected = reference.output.read_bytes()
    for system in others:
        if system.name == "datamill":
            if system.output.read_bytes() != expected:
                raise SystemExit(f"FAIL: datamill's output {system.output} differs from {reference.output}")
            identical[system.name] = True
        else:
            same = texts(system.output) == texts(reference.output)
            identical[system.name] = identical.get(system.name, True) and same


def rounds(systems: list[System], repeat: int, logs: Path) -> dict[str, bool]:
    identical: dict[str, bool] = {}
    for i in range(repeat):
        for system in systems:
            run = system.run(logs)
            system.seconds.append(run.seconds)
            system.cpu_s.append(run.cpu_s)
        compare(systems[0], systems[1:], identical)
        line = ", ".join(f"{s.name} {s.seconds[-1]:.2f} s ({s.cpu_s[-1]:.1f} CPU s)" for s in systems)
        print(f"round {i + 1}: {line}", flush=True)
    return identical


def memory_runs(systems: list[System], logs: Path, identical: dict[str, bool]) -> None:
    for system in systems:
        system.peak_pss = system.run(logs, memory=True).peak_pss
        print(f"memory run, {system.name}: peak PSS {system.peak_pss / 2**20:,.0f} MB", flush=True)
    compare(systems[0], systems[1:], identical)


def verdict(value: float, goal: float) -> str:
    return f"<= {goal:g}  " + ("PASS" if value <= goal else "FAIL")


def report(systems: list[System], identical: dict[str, bool]) -> None:
    base = systems[0]
    wall0, cpu0 = min(base.seconds), min(base.cpu_s)
    print(f"{'':12}{'wall s':>9}{'vs bare':>9}{'CPU s':>9}{'vs bare':>9}{'PSS MB':>9}   output")
    for s in systems:
        wall, cpu, pss = min(s.seconds), min(s.cpu_s), s.peak_pss / 2**20
        same = "reference" if s is base else ("identical" if identical.get(s.name) else "DIFFERENT")
        print(
            f"{s.name:12}{wall:>9.2f}{wall / wall0:>9.2f}{cpu:>9.1f}{cpu / cpu0:>9.2f}{pss:>9,.0f}   {same}"
        )
    dm = next(s for s in systems if s.name == "datamill")
    wall, cpu, pss = min(dm.seconds) / wall0, min(dm.cpu_s) / cpu0, dm.peak_pss / 2**20
    print(f"goals: datamill/bare wall {wall:.2f} {verdict(wall, WALL_GOAL)}; ", end="")
    print(f"CPU {cpu:.2f} {verdict(cpu, CPU_GOAL)}; PSS {pss:,.0f} MB {verdict(pss, PSS_GOAL_MB)}")
    print(
        "datamill byte-identical to bare in every run; datatrove compared by text. CPU: user + system of "
        f"every process of a run; PSS: summed over the run's processes every {MEMORY_INTERVAL_S:g} s, "
        "in one more run of each (timed runs not sampled)"
    )


def main() -> int:
    p = parser(__doc__)
    p.set_defaults(docs=100_000, partition_size=None)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--datatrove", metavar="PY", help="a python with datatrove installed: run it too")
    args = p.parse_args()
    if args.datatrove and not Path(args.datatrove).is_file():
        raise SystemExit(
            f"--datatrove {args.datatrove}: no such file; give the path of a python with datatrove"
        )
    become_subreaper()
    versions = f"ftfy {version('ftfy')}; regex {version('regex')}"
    if args.datatrove:
        versions += f"; datatrove {datatrove_version(args.datatrove)}"
    facts = machine_facts(versions)
    out: Path = args.out.resolve()
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data = corpus(out, args.docs, args.seed)
    ops = write_ops(out / "peers_ops.json")
    systems = [bare(out, data, ops, args.np), datamill(out, data, args.np, args.partition_size)]
    if args.datatrove:
        systems.append(datatrove(out, data, ops, args.np, args.datatrove))
    identical = rounds(systems, args.repeat, logs)
    memory_runs(systems, logs, identical)
    print()
    size_mb = data.stat().st_size / 1e6
    print(f"input: {args.docs:,} web documents, {size_mb:.0f} MB; np={args.np}; best of {args.repeat}")
    report(systems, identical)
    print(facts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
