from __future__ import annotations

import logging
from pathlib import Path

import pytest

from datamill.config import load_recipe, parse_overrides
from datamill.errors import ConfigError


def load(raw: dict, overrides: dict | None = None):
    return load_recipe(None, overrides, raw={"dataset_path": "x.jsonl", **raw})


def test_defaults_follow_data_juicer() -> None:
    recipe = load({})
    assert recipe.text_key == "text"
    assert recipe.executor_type == "local"
    assert recipe.checkpoint.strategy == "every_partition"
    assert recipe.fault_tolerance.retry_backoff == "exponential"


def test_legacy_flat_keys_fill_nested_sections() -> None:
    recipe = load(
        {
            "partition_size": 123,
            "max_partition_size_mb": 7,
            "enable_fault_tolerance": False,
            "max_retries": 9,
            "preserve_intermediate_data": True,
            "storage_format": "jsonl",
        }
    )
    assert recipe.partition.size == 123
    assert recipe.partition.max_size_mb == 7
    assert recipe.fault_tolerance.enabled is False
    assert recipe.fault_tolerance.max_retries == 9
    assert recipe.intermediate_storage.preserve_intermediate_data is True
    assert recipe.intermediate_storage.format == "jsonl"


def test_nested_key_wins_over_legacy_key() -> None:
    recipe = load({"partition_size": 123, "partition": {"size": 456}})
    assert recipe.partition.size == 456


def test_fault_tolerance_keys_inside_partition_section() -> None:
    recipe = load({"partition": {"size": 10, "max_retries": 5, "retry_backoff": "linear"}})
    assert recipe.fault_tolerance.max_retries == 5
    assert recipe.fault_tolerance.retry_backoff == "linear"


def test_dotted_overrides_win_over_yaml() -> None:
    overrides = parse_overrides(
        [
            "--partition.size",
            "500",
            "--checkpoint.strategy",
            "every_n_ops",
            "--checkpoint.n_ops=3",
            "--job_id",
            "X",
        ]
    )
    recipe = load({"partition": {"size": 10}}, overrides)
    assert recipe.partition.size == 500
    assert recipe.checkpoint.strategy == "every_n_ops"
    assert recipe.checkpoint.n_ops == 3
    assert recipe.job_id == "X"


def test_override_of_legacy_key_beats_nested_yaml() -> None:
    recipe = load({"partition": {"size": 10}}, parse_overrides(["--partition_size", "77"]))
    assert recipe.partition.size == 77


def test_manual_op_names_from_comma_list() -> None:
    overrides = parse_overrides(
        ["--checkpoint.op_names", "clean_links_mapper,whitespace_normalization_mapper"]
    )
    recipe = load({}, overrides)
    assert recipe.checkpoint.op_names == ["clean_links_mapper", "whitespace_normalization_mapper"]


def test_data_juicer_keys_are_accepted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        recipe = load(
            {"open_tracer": True, "use_cache": False, "ds_cache_dir": "/tmp/x", "text_keys": "content"}
        )
    assert recipe.text_key == "content"
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "open_tracer" in warned and "use_cache" in warned and "ds_cache_dir" in warned


def test_executor_aliases_of_data_juicer() -> None:
    assert load({"executor_type": "default"}).executor_type == "local"
    assert load({"executor_type": "ray_partitioned"}).executor_type == "ray"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"partiton": {"size": 3}}, ["partiton", "Did you mean 'partition'"]),
        ({"partition": {"sise": 3}}, ["partition.sise", "Did you mean 'size'"]),
        ({"partition": {"size": "many"}}, ["partition.size", "integer", "many"]),
        ({"checkpoint": {"strategy": "every_opp"}}, ["checkpoint.strategy", "every_op"]),
        ({"process": [{"clean_link_mapper": {}}]}, ["process[0]", "clean_link_mapper", "clean_links_mapper"]),
        (
            {"process": [{"text_length_filter": {"min_length": 3}}]},
            ["text_length_filter", "min_length", "Did you mean 'min_len'"],
        ),
        ({"process": [{"text_length_filter": {"min_len": "ten"}}]}, ["min_len", "ten"]),
        ({"process": ["not", "ops", 3]}, ["process[0]"]),
    ],
)
def test_bad_config_names_the_key_and_the_closest_name(raw: dict, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load(raw)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message
    assert info.value.exit_code == 2


def test_missing_dataset_path() -> None:
    with pytest.raises(ConfigError, match="dataset_path"):
        load_recipe(None, raw={})


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("dataset_path: x\nprocess: [\n  - a: b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml is not valid YAML at line"):
        load_recipe(path)


def test_cli_exit_code_2_and_one_clear_message(
    datamill, recipe_file, capsys: pytest.CaptureFixture[str]
) -> None:
    path = recipe_file(dataset_path="x.jsonl", partiton={"size": 3})
    assert datamill("run", "--config", path) == 2
    err = capsys.readouterr().err
    assert "unknown key 'partiton'" in err and "partition" in err
    assert "Traceback" not in err


def test_override_values_keep_their_text_for_string_keys() -> None:
    overrides = parse_overrides(
        ["--job_id", "off", "--project_name", "007", "--np", "3", "--keep_stats_in_res_ds"]
    )
    recipe = load({}, overrides)
    assert (recipe.job_id, recipe.project_name, recipe.np, recipe.keep_stats_in_res_ds) == (
        "off",
        "007",
        3,
        True,
    )
