"""What ``datamill run`` runs: which recipe, and what flags may change in an existing job.

The recipe is, in this order: ``--config RECIPE``; else the ``config.yaml``
an existing job saved (the job named by ``--work-dir DIR``, or by
``--work_dir`` and ``--job_id``); else, with ``--input DATASET``, a recipe of
defaults with no ops (seed 000's commands have no recipe). Flags override it.

An existing job keeps the partitions it was planned with: a partition size
that differs from its plan's is noted in one line and left out of the job,
so that its ``config.yaml`` always says the size the job uses.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datamill.config import Recipe, load_recipe
from datamill.config.keys import is_recipe_key, recipe_keys
from datamill.config.models import SqlExportConfig
from datamill.errors import ConfigError
from datamill.job.layout import JobLayout

Note = Callable[[str], None]


@dataclass(frozen=True)
class RunRecipe:
    recipe: Recipe
    name: str
    """Names a new job's id (the recipe's or the input's file name)."""
    path: Path | None
    """The recipe file given with --config, for the resume command."""


def check_flags(overrides: Iterable[str], flags: Iterable[str]) -> None:
    """A flag that is neither ``datamill run``'s nor a recipe key is a typo: say so, and guess."""
    for key in overrides:
        if is_recipe_key(key):
            continue
        names = [f.lstrip("-") for f in flags if f.startswith("--")] + recipe_keys()
        match = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        hint = f": did you mean --{match[0]}?" if match else ":"
        raise ConfigError(
            f"unknown flag --{key}{hint} it is neither a flag of datamill run nor a recipe key "
            "(any key is a flag, dotted: --section.key VALUE; see datamill run --help)."
        )


def find_recipe(config: Path | None, overrides: dict[str, Any]) -> RunRecipe:
    if config is not None:
        return RunRecipe(load_recipe(config, overrides), config.stem, config)
    saved = saved_config(overrides)
    if saved is not None and saved.exists():
        return RunRecipe(load_recipe(saved, overrides), saved.parent.name, None)
    if "dataset_path" in overrides:
        name = Path(str(overrides["dataset_path"])).name.split(".")[0] or "input"
        return RunRecipe(load_recipe(None, overrides, raw={}), name, None)
    where = f"; {saved.parent} holds no job (no config.yaml)" if saved is not None else ""
    raise ConfigError(
        f"Nothing to run{where}. Give --config RECIPE.yaml, or --input DATASET (a job with no ops), "
        "or the --work-dir of an existing job."
    )


def saved_config(overrides: dict[str, Any]) -> Path | None:
    """Where the job the flags name saved its config, if they name one."""
    if overrides.get("job_id") is None:
        return None
    work_dir = overrides.get("work_dir") or Recipe.model_fields["work_dir"].default
    return Path(str(work_dir)).expanduser() / str(overrides["job_id"]) / "config.yaml"


def keep_planned_partitions(recipe: Recipe, overrides: dict[str, Any], note: Note) -> Recipe:
    """``recipe`` with the partition settings of its job's plan, if the job has one."""
    if recipe.job_id is None:
        return recipe
    plan_path = JobLayout.for_recipe(recipe, recipe.job_id).plan
    if not plan_path.exists():
        return recipe
    from datamill.plan.planner import load_plan

    plan = load_plan(plan_path)
    if plan.auto is not None:
        return recipe  # the saved plan is reused as it is; the driver prints its choice again
    asked = recipe.partition
    if (asked.size, asked.max_size_mb) == (plan.size, plan.max_size_mb):
        return recipe
    note(
        f"note: job {recipe.job_id} keeps the partitions it was planned with ({plan.size:,} records, "
        f"{plan.max_size_mb:g} MB at most); a partition size of {asked.size:,} applies to a new job only."
    )
    for key in ("partition.size", "partition.max_size_mb", "partition_size", "max_partition_size_mb"):
        overrides.pop(key, None)
    planned = asked.model_copy(update={"size": plan.size, "max_size_mb": plan.max_size_mb})
    return recipe.model_copy(update={"partition": planned})


def with_insert_batch(recipe: Recipe, rows: int | None, overrides: dict[str, Any], note: Note) -> Recipe:
    """``--insert-batch``: the rows per write of a SQL export; a job that writes files has none."""
    if rows is None:
        return recipe
    if recipe.export is None:
        note(f"note: --insert-batch {rows} has no effect: this job writes files, not a SQL table (export:).")
        return recipe
    overrides["export.insert_batch"] = rows
    export = SqlExportConfig.model_validate(recipe.export.model_dump() | {"insert_batch": rows})
    return recipe.model_copy(update={"export": export})
