"""``datamill run``: run (or continue) a job: a recipe, the job's saved config, or seed 000's --input."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from datamill.cli.common import EXIT_CODES
from datamill.cli.run_recipe import check_flags, find_recipe, keep_planned_partitions, with_insert_batch
from datamill.config import Recipe, parse_overrides
from datamill.errors import ConfigError, JobError
from datamill.executors import require_executor
from datamill.job.driver import JobOutcome, RunRequest, run_job

DESCRIPTION = """\
Run a job, or continue it: running the same command again skips what was
committed and does the rest.

What to run, in this order:
  --config RECIPE.yaml   a recipe (Data-Juicer's shape): dataset, ops, sections
  the job's own config   no --config, an existing job (--work-dir DIR, or
                         --work_dir BASE --job_id ID): the config.yaml it saved
  --input DATASET        no --config, a new job: the dataset as it is, no ops
                         (every record to the ledger, bad rows set aside; the
                         ledger's ids come from --id_field COLUMN, else file#row)
Flags change what they name; on an existing job, --input must name the files
it was planned on, and its partitions stay as planned: a different --batch is
noted and applies to a new job only (--retry-failed --batch N reruns the failed
records in the plan's partitions).

Seed 000's commands, as they are:
  datamill run --input data.parquet --batch 1000 --insert-batch 1000 --work-dir DIR
  datamill run --input data.parquet --show-stats --work-dir DIR
  datamill run --input data.parquet --retry-failed --batch 500 --work-dir DIR
"""

EPILOG = """\
Any recipe key is also a flag, dotted (a mistyped one is reported as a flag):
  --partition.size 500   --np 2   --job_id my_job   --id_field scene_token
  --checkpoint.strategy every_n_ops --checkpoint.n_ops 3
"""


def recipe_keys() -> str:
    """One line per recipe key, from the models' field docstrings."""
    lines = ["Recipe keys:"]
    for name, field in Recipe.model_fields.items():
        doc = " ".join((field.description or "").split())
        lines.append(f"  {name:22} {doc[:90] + ('…' if len(doc) > 90 else '')}")
    return "\n".join(lines)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run (or continue) a job: a recipe, or seed 000's --input",
        description=DESCRIPTION,
        epilog=EPILOG + "\n" + EXIT_CODES + "\n" + recipe_keys(),
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", "-c", type=Path, help="the YAML recipe (see above for when it may be omitted)")
    p.add_argument("--input", help="the dataset: a file, a directory or a glob (same as --dataset_path)")
    p.add_argument(
        "--force",
        action="store_true",
        help="resume even if an input file changed since the job was planned",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        help="the job lives exactly in this directory; rerunning with the same one resumes it "
        "(seed 000's meaning). The recipe's work_dir (or --work_dir) is instead the parent of "
        "job directories, named by job id; give one or the other.",
    )
    p.add_argument("--batch", type=positive_int, help="records per partition of a new job (--partition.size)")
    p.add_argument(
        "--insert-batch", type=positive_int, help="rows per database write (--export.insert_batch)"
    )
    p.add_argument(
        "--show-stats", action="store_true", help="print the job's ledger statistics and exit (runs nothing)"
    )
    p.add_argument(
        "--skip-processed",
        action="store_true",
        help="skip every input record whose id the success ledger already holds (e.g. a superset input)",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="rerun the failed samples (and failed partitions) of the job, from the original input",
    )
    p.set_defaults(handler=handle, run_flags=[f for a in p._actions for f in a.option_strings])


def handle(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    overrides = parse_overrides(extra)
    check_flags(overrides, args.run_flags)
    if args.input is not None:
        overrides["dataset_path"] = str(Path(args.input).expanduser().resolve())  # (saved in config.yaml)
    if args.work_dir is not None:
        if "work_dir" in overrides or "job_id" in overrides:
            raise ConfigError(
                "--work-dir names the job's own directory; it cannot be combined with --work_dir "
                "(the parent of job directories) or --job_id. Give one or the other."
            )
        work_dir = args.work_dir.expanduser().resolve()
        overrides["work_dir"], overrides["job_id"] = str(work_dir.parent), work_dir.name
    if args.show_stats:
        return show_job_stats(args, overrides)
    if args.batch is not None:
        overrides["partition.size"] = args.batch
    found = find_recipe(args.config, overrides)

    def note(text: str) -> None:
        err.print(text, highlight=False, style="yellow")

    recipe = keep_planned_partitions(found.recipe, overrides, note)
    recipe = with_insert_batch(recipe, args.insert_batch, overrides, note)
    request = RunRequest(
        recipe,
        found.name,
        found.path,
        overrides,
        force=args.force,
        retry_failed=args.retry_failed,
        skip_processed=args.skip_processed,
        process_ends_with_job=args.process_ends,
    )
    require_executor(recipe.executor_type)
    outcome = run_job(request, err)
    print_outcome(outcome, Console(soft_wrap=True))
    return outcome.exit_code


def show_job_stats(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """``--show-stats``: the job's directory is all it needs (a recipe only to find it)."""
    from datamill.cli.ledger import show_stats

    if args.work_dir is not None:
        job_dir = args.work_dir.expanduser()
    else:
        recipe = find_recipe(args.config, overrides).recipe
        if recipe.job_id is None:
            raise ConfigError("--show-stats needs to know the job: give --work-dir or --job_id.")
        job_dir = Path(recipe.work_dir).expanduser() / recipe.job_id
    if not job_dir.is_dir():
        raise JobError(f"No job in {job_dir}: nothing has run there yet.")
    show_stats(job_dir, False, Console(soft_wrap=True))
    return 0


def print_outcome(outcome: JobOutcome, console: Console) -> None:
    s = outcome.summary
    c = s.counts
    console.print(f"[bold]Job[/] {s.job_id}: [bold]{s.status.value}[/] in {s.duration_seconds:.1f}s")
    console.print(
        f"  samples: {c.samples_read:,} read, {c.samples_written:,} written, "
        f"{c.samples_bad:,} bad input rows"
        + (f", {c.samples_skipped:,} skipped as already processed" if c.samples_skipped else "")
        + f"; partitions: {c.partitions_done}/{c.partitions_total} done"
        + (f", {c.partitions_skipped} from an earlier run" if c.partitions_skipped else "")
        + (f", [red]{c.partitions_failed} failed[/]" if c.partitions_failed else "")
    )
    if s.ops:
        console.print(op_table(s.ops))
    if s.bad_rows.get("count"):
        console.print(f"[yellow]{s.bad_rows['count']:,} input rows could not be processed[/]:")
        for row in s.bad_rows["examples"][:5]:
            where = f"line {row['line']}" if row.get("line") else f"row {row['row']}"
            console.print(f"  {row['file']} {where}: {row['reason']}", highlight=False)
        console.print(f"  all of them: {s.bad_rows['file']}", highlight=False)
    if c.samples_quarantined:
        recovered = (
            f", {c.samples_recovered:,} of them since recovered by --retry-failed"
            if c.samples_recovered
            else ""
        )
        console.print(
            f"[yellow]{c.samples_quarantined:,} samples were set aside[/] "
            f"(an op raised on them, killed its worker, or the database refused them){recovered}; "
            f"failed_tokens.parquet holds them, by step (see: datamill stats {s.job_dir})."
        )
    duplicates = s.ledger.get("duplicate_ids", 0)
    if duplicates:
        console.print(
            f"[yellow]{duplicates:,} ids appeared more than once in the input[/]: each is one record of "
            "successful_tokens.parquet (its latest) and one row of a SQL table.",
            highlight=False,
        )
    for failure in s.failed_partitions[:5]:
        console.print(
            f"[red]partition {failure['partition_id']} failed[/] after {failure['attempts']} attempt(s): "
            f"{failure['error']}",
            highlight=False,
        )
    if s.failed_partitions:
        console.print(
            f"{len(s.failed_partitions)} partition(s) failed; the output lacks their samples. "
            "Running the same command again retries exactly those partitions.",
            highlight=False,
        )
    console.print(f"  output: {s.export_path}", highlight=False)
    console.print(f"  job directory: {outcome.layout.root}", highlight=False)
    if s.status.value != "completed":
        verb = "to retry" if s.status.value == "completed_with_failures" else "to continue"
        console.print(f"  {verb}: {s.resume_command}", highlight=False)


def op_table(ops: list[dict[str, Any]]) -> Table:
    table = Table(title="What each op did", title_justify="left")
    for col in ("#", "op", "rows in", "changed", "removed", "set aside", "seconds"):
        table.add_column(col, justify="left" if col == "op" else "right")
    for op in ops:
        table.add_row(
            str(op["index"]),
            op["name"],
            f"{op['rows_in']:,}",
            f"{op['rows_changed']:,}",
            f"{op['rows_removed']:,}",
            f"{op.get('rows_failed', 0):,}",
            f"{op['seconds']:.2f}",
        )
    return table
