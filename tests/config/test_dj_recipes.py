"""Data-Juicer's own text refinement recipes load as written: every op known,
every parameter accepted (``data/dj_recipes``, copied unchanged from Data-Juicer)."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from types import ModuleType

import pytest

from datamill.config.loader import load_recipe, parse_yaml
from datamill.models.cache import MODEL_DIR_ENV
from tests.conftest import write_corpus, write_jsonl
from tests.job import jobproc

RECIPES = sorted((Path(__file__).parent / "data" / "dj_recipes").glob("*.yaml"))


def op_names(raw: dict) -> list[str]:
    return [next(iter(item)) if isinstance(item, dict) else str(item) for item in raw["process"]]


def test_the_recipes_are_all_there() -> None:
    assert len(RECIPES) == 22


def test_numbers_in_exponent_form_are_numbers_as_in_data_juicer() -> None:
    assert parse_yaml("a: 2e5\nb: 1E-3\nc: '2e5'\nd: 2.5e3\ne: 10") == {
        "a": 200000.0,
        "b": 0.001,
        "c": "2e5",
        "d": 2500.0,
        "e": 10,
    }


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_a_data_juicer_recipe_loads_unchanged(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    raw = parse_yaml(path.read_text())
    with caplog.at_level(logging.WARNING):
        recipe = load_recipe(path)
    assert [next(iter(op)) for op in recipe.process] == op_names(raw)


def test_the_c4_recipe_runs_unchanged_deduplicator_and_model_ops_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``redpajama-c4-refine.yaml`` as Data-Juicer ships it, only its dataset,
    export and worker count given on the command line (its own are placeholders
    and 50 processes), with the tiny test models in the model cache."""
    pytest.importorskip("kenlm")
    pytest.importorskip("fasttext")
    models = tmp_path / "models"
    load_script("tiny_models_models1").populate(models, sentencepiece=False)
    load_script("tiny_models_models2").populate(models)
    monkeypatch.setenv(MODEL_DIR_ENV, str(models))
    rows = [json.loads(line) for line in write_corpus(tmp_path / "c4.jsonl", 300, 5).read_text().splitlines()]
    rows = [dict(r, doc=str(i)) for i, r in enumerate(rows)]
    rows += [dict(r, doc=f"copy-{r['doc']}") for r in rows[:40]]  # exact copies: the deduplicator's work
    data = write_jsonl(tmp_path / "c4_dups.jsonl", rows)
    recipe = next(p for p in RECIPES if p.stem == "redpajama-c4-refine")
    out = tmp_path / "c4_refined.jsonl"
    args = ["--dataset_path", data, "--export_path", out, "--work_dir", tmp_path / "jobs", "--np", "2"]
    # (a subprocess: this process's workers' fork server may predate the model cache's variable)
    proc = jobproc.start(recipe, "--job_id", "c4", *map(str, args))
    out_text, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out_text.decode()[-3000:]
    summary = json.loads((tmp_path / "jobs" / "c4" / "job_summary.json").read_text())
    assert [op["name"] for op in summary["ops"]] == op_names(parse_yaml(recipe.read_text()))
    (dedup,) = summary["dedup"]
    assert dedup["op_name"] == "document_simhash_deduplicator" and dedup["rows_dropped"] >= 1
    kept = [json.loads(line)["doc"] for line in out.read_text().splitlines()]
    assert len(kept) == summary["counts"]["samples_written"] > 0
    assert not any(i.startswith("copy-") and i[len("copy-") :] in kept for i in kept)


def load_script(name: str) -> ModuleType:
    path = Path(__file__).parents[1] / "ops" / "data" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
