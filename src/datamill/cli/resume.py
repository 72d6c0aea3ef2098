"""``datamill resume JOB``: continue a job from the config it saved."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from datamill.cli.common import add_job_argument, job_dir, reject_extra
from datamill.cli.run import print_outcome
from datamill.config import load_recipe
from datamill.errors import ConfigError
from datamill.executors import require_executor
from datamill.job.driver import RunRequest, run_job


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "resume",
        help="continue a stopped or failed job",
        description="Continue a job with the recipe it saved in its directory (config.yaml).",
    )
    add_job_argument(p)
    p.add_argument("--force", action="store_true", help="resume even if an input file changed")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    config = job_dir(args) / "config.yaml"
    if not config.exists():
        raise ConfigError(f"Job {config.parent} has no config.yaml: it never started, or it is not a job.")
    here = {"work_dir": str(config.parent.parent), "job_id": config.parent.name}  # (if it was moved)
    recipe = load_recipe(config, here)
    require_executor(recipe.executor_type)
    outcome = run_job(
        RunRequest(
            recipe, config.parent.name, config, force=args.force, process_ends_with_job=args.process_ends
        ),
        err,
    )
    print_outcome(outcome, Console(soft_wrap=True))
    return outcome.exit_code
