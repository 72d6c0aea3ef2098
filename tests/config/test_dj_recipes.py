"""Data-Juicer's own text refinement recipes load as written: every op known,
every parameter accepted (``data/dj_recipes``, copied unchanged from Data-Juicer)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from datamill.config.loader import load_recipe, parse_yaml
from datamill.errors import ConfigError

RECIPES = sorted((Path(__file__).parent / "data" / "dj_recipes").glob("*.yaml"))
DEDUPLICATORS = ("document_deduplicator", "document_simhash_deduplicator", "document_minhash_deduplicator")
"""Global ops: issue 17 brings them. Until then a recipe that has one is refused at
that op with the usual unknown-op error, and checked here without it."""


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
    names = op_names(raw)
    kept = [item for item, name in zip(raw["process"], names, strict=True) if name not in DEDUPLICATORS]
    with caplog.at_level(logging.WARNING):
        recipe = load_recipe(None, raw=raw | {"process": kept})
    assert [next(iter(op)) for op in recipe.process] == [n for n in names if n not in DEDUPLICATORS]
    if len(kept) < len(names):
        with pytest.raises(ConfigError, match=r"unknown op '.*_deduplicator'"):
            load_recipe(path)
