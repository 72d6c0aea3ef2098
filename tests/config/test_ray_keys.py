"""Keys that concern Ray: read, checked, and never ignored in silence."""

from __future__ import annotations

import logging
import re

import pytest

from datamill.config import load_recipe
from datamill.errors import ConfigError
from datamill.executors.ray import TaskResources, task_resources


def load(raw: dict):
    return load_recipe(None, raw={"dataset_path": "x.jsonl", **raw})


@pytest.mark.parametrize("name", ["ray", "ray_partitioned"])
def test_ray_and_data_juicers_name_for_it_choose_the_ray_executor(name: str) -> None:
    recipe = load({"executor_type": name, "ray_address": "auto"})
    assert (recipe.executor_type, recipe.ray_address) == ("ray", "auto")


def test_ray_keys_on_the_local_pool_are_said_to_do_nothing_there(
    caplog: pytest.LogCaptureFixture,
) -> None:
    process = [{"clean_links_mapper": {"num_cpus": 2}}, {"text_length_filter": {"mem_required": "2GB"}}]
    with caplog.at_level(logging.WARNING):
        load({"ray_address": "auto", "np": 3, "process": process})
    warned = [r.getMessage() for r in caplog.records]
    assert any("ray_address 'auto' is used with executor_type: ray only" in m for m in warned)
    assert any(
        "clean_links_mapper.num_cpus, text_length_filter.mem_required ask Ray for resources" in m
        and "np=3 workers" in m
        for m in warned
    )


def test_a_ray_recipe_gets_no_such_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        load({"executor_type": "ray", "process": [{"clean_links_mapper": {"num_cpus": 2}}]})
    assert not [r for r in caplog.records if "Ray" in r.getMessage()]


def test_a_task_asks_for_the_most_any_op_asks() -> None:
    assert task_resources([{"clean_links_mapper": None}]) == TaskResources(1.0, 0)
    process = [
        {"clean_links_mapper": {"num_cpus": 0.5}},
        {"fix_unicode_mapper": {"cpu_required": 2}},  # Data-Juicer's older name
        {"text_length_filter": {"mem_required": 1.5}},  # GB, as Data-Juicer reads a number
        {"whitespace_normalization_mapper": {"mem_required": "512MB"}},
    ]
    assert task_resources(process) == TaskResources(2.0, int(1.5 * 1024**3))
    assert task_resources([{"clean_links_mapper": {"num_cpus": 0.25}}]).num_cpus == 0.25
    assert task_resources([{"x": {"mem_required": "2GiB"}}]).memory_bytes == 2 * 1024**3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mem_required": "lots"}, "process[0] (clean_links_mapper): mem_required 'lots' is not a size"),
        ({"num_cpus": "two"}, "process[0] (clean_links_mapper): num_cpus must be a number of CPUs"),
        ({"num_cpus": 0}, "num_cpus must be more than 0"),
    ],
)
def test_resource_hints_that_mean_nothing_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        task_resources([{"clean_links_mapper": params}])


def test_a_ray_recipe_with_a_meaningless_hint_is_refused_when_read() -> None:
    with pytest.raises(ConfigError, match=re.escape("recipe: process[0] (clean_links_mapper): mem_required")):
        load({"executor_type": "ray", "process": [{"clean_links_mapper": {"mem_required": "lots"}}]})
