"""``datamill demo``: make a C4-like sample, clean it with the six ops, kill the
job half way with SIGKILL, run the same command again, and show that nothing
was redone and nothing was lost."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from datamill.cli.common import reject_extra
from datamill.cli.run import print_outcome
from datamill.config import load_recipe
from datamill.demo.corpus import write_corpus
from datamill.demo.recipe import demo_recipe
from datamill.job.driver import JobOutcome, RunRequest, run_job


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="generate sample data, run the built-in text ops, kill the job and resume it",
        description=(
            "Generate a C4-like dataset (links, emails, odd whitespace, mojibake), run a recipe "
            "of the six built-in ops on it, SIGKILL the job part way, rerun the same command, "
            "and show what each op did and that the output is complete."
        ),
    )
    p.add_argument("--dir", type=Path, default=Path("demo_output"), help="where to put everything")
    p.add_argument("--docs", type=int, default=20_000, help="documents to generate (default 20000)")
    p.add_argument("--np", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--kill-at", type=float, default=0.4, help="fraction of partitions after which to kill")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    out = Console(soft_wrap=True)
    base: Path = args.dir.resolve()
    data = base / "data" / f"c4_sample_{args.docs}.jsonl"
    if not data.exists():
        with err.status(f"Generating {args.docs:,} documents…"):
            write_corpus(data, args.docs)
    out.print(f"dataset: {data} ({args.docs:,} documents)")
    recipe_path = base / "demo_recipe.yaml"
    raw = demo_recipe(data, base / "output" / "cleaned.jsonl", base / "jobs", args.np)
    recipe_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    out.print(f"recipe: {recipe_path}")
    job_id = "demo_" + datetime.now().strftime("%Y%m%d_%H%M%S")
    job_dir = base / "jobs" / job_id

    out.print(f"\n[bold]1. Run the job, and kill it with SIGKILL part way[/] (job {job_id})")
    killed_after = _run_and_kill(recipe_path, job_id, job_dir, args.kill_at, base / "killed_run.log", out)
    out.print(
        f"\n[bold]2. Run the same command again[/]: datamill run --config {recipe_path} --job_id {job_id}"
    )
    recipe = load_recipe(recipe_path, {"job_id": job_id})
    outcome = run_job(RunRequest(recipe, "demo", recipe_path, {"job_id": job_id}), err)
    print_outcome(outcome, out)
    _show_completeness(outcome, killed_after, out)
    return outcome.exit_code


def _committed(job_dir: Path) -> int:
    results = job_dir / "results"
    return len(list(results.glob("*.commit"))) if results.is_dir() else 0


def _total_partitions(job_dir: Path) -> int | None:
    try:
        return len(json.loads((job_dir / "metadata" / "partitions.json").read_text())["partitions"])
    except (OSError, ValueError, KeyError):
        return None


def _run_and_kill(recipe: Path, job_id: str, job_dir: Path, at: float, log: Path, out: Console) -> int:
    cmd = [sys.executable, "-m", "datamill", "run", "--config", str(recipe), "--job_id", job_id]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 600
        while proc.poll() is None and time.monotonic() < deadline:
            total = _total_partitions(job_dir)
            if total and _committed(job_dir) >= max(1, int(total * at)):
                break
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and all its workers, no warning
            proc.wait()
            done = _committed(job_dir)
            total = _total_partitions(job_dir)
            out.print(
                f"   killed the driver and its workers (SIGKILL) after {done} of {total} "
                f"partitions were committed; its output is in {log}"
            )
            return done
    out.print(f"   the job finished before it could be killed; its output is in {log}")
    return _committed(job_dir)


def _show_completeness(outcome: JobOutcome, killed_after: int, out: Console) -> None:
    c = outcome.summary.counts
    out.print("\n[bold]3. Nothing redone, nothing lost[/]")
    out.print(
        f"   partitions committed before the kill and skipped now: {c.partitions_skipped} (of {killed_after})"
    )
    with open(outcome.export_path, "rb") as fh:
        written = sum(1 for _ in fh)
    removed = sum(op["rows_removed"] for op in outcome.summary.ops)
    accounted = c.samples_written + removed + c.samples_quarantined + c.samples_bad
    out.print(
        f"   input rows {c.samples_total:,} = written {c.samples_written:,} + removed by filters {removed:,} "
        f"+ set aside {c.samples_quarantined:,} + bad input {c.samples_bad:,}"
        + ("  [green]✓[/]" if accounted == c.samples_total else "  [red]✗ MISMATCH[/]")
    )
    out.print(
        f"   lines in {outcome.export_path.name}: {written:,}"
        + ("  [green]✓[/]" if written == c.samples_written else "  [red]✗ MISMATCH[/]")
    )
