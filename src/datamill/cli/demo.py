"""``datamill demo``: make a C4-like sample, clean it with the six ops, show it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from datamill.cli.run import print_outcome, reject_extra
from datamill.config import load_recipe
from datamill.demo.corpus import write_corpus
from datamill.demo.recipe import demo_recipe
from datamill.job.driver import RunRequest, run_job


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="generate sample data and run the built-in text ops on it",
        description=(
            "Generate a C4-like dataset (links, emails, odd whitespace, mojibake), "
            "run a recipe of the six built-in ops on it and show what each op did."
        ),
    )
    p.add_argument("--dir", type=Path, default=Path("demo_output"), help="where to put everything")
    p.add_argument("--docs", type=int, default=20_000, help="documents to generate (default 20000)")
    p.add_argument("--np", type=int, default=2, help="worker processes (default 2)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    out = Console(soft_wrap=True)
    base: Path = args.dir.resolve()
    data = base / "data" / "c4_sample.jsonl"
    if not data.exists():
        with err.status(f"Generating {args.docs:,} documents…"):
            write_corpus(data, args.docs)
    out.print(f"dataset: {data} ({args.docs:,} documents)", highlight=False)
    recipe_path = base / "demo_recipe.yaml"
    raw = demo_recipe(data, base / "output" / "cleaned.jsonl", base / "jobs", args.np)
    recipe_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    out.print(f"recipe: {recipe_path}", highlight=False)
    recipe = load_recipe(recipe_path)
    outcome = run_job(RunRequest(recipe, "demo", recipe_path), err)
    print_outcome(outcome, out)
    return outcome.exit_code
