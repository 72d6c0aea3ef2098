"""``datamill resume JOB_ID``: continue a job from the config it saved."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from datamill.cli.common import reject_extra
from datamill.cli.run import print_outcome
from datamill.config import load_recipe
from datamill.errors import ConfigError
from datamill.job.driver import RunRequest, run_job


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "resume",
        help="continue a stopped or failed job",
        description="Continue a job with the recipe it saved in its directory (config.yaml).",
    )
    p.add_argument("job_id", help="the job's id")
    p.add_argument(
        "--base-dir", type=Path, default=Path("outputs"), help="the recipe's work_dir (default ./outputs)"
    )
    p.add_argument("--force", action="store_true", help="resume even if an input file changed")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    config = args.base_dir / args.job_id / "config.yaml"
    if not config.exists():
        raise ConfigError(
            f"No job {args.job_id} under {args.base_dir.resolve()} (looked for {config}). "
            "Pass --base-dir with the recipe's work_dir."
        )
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    recipe = load_recipe(config, raw=raw)
    outcome = run_job(RunRequest(recipe, args.job_id, config, force=args.force), err)
    print_outcome(outcome, Console(soft_wrap=True))
    return outcome.exit_code
