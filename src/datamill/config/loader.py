"""Turn a YAML recipe and command-line overrides into a :class:`Recipe`.

Order of resolution: the YAML file, with the seed's legacy flat keys moved
into their nested sections (a nested key wins over a legacy one); then the
dotted command-line overrides (``--partition.size 500``), which win over both.
Data-Juicer's own keys that datamill has no use for are dropped with a
one-line warning, so a Data-Juicer recipe runs unchanged. Everything else that
is unknown or mistyped is a :class:`ConfigError` naming the key and the
closest valid name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from datamill.config.models import Recipe
from datamill.errors import ConfigError, closest

log = logging.getLogger(__name__)

LEGACY_KEYS: dict[str, tuple[str, str]] = {
    "partition_size": ("partition", "size"),
    "max_partition_size_mb": ("partition", "max_size_mb"),
    "enable_fault_tolerance": ("fault_tolerance", "enabled"),
    "max_retries": ("fault_tolerance", "max_retries"),
    "retry_backoff": ("fault_tolerance", "retry_backoff"),
    "preserve_intermediate_data": ("intermediate_storage", "preserve_intermediate_data"),
    "storage_format": ("intermediate_storage", "format"),
    "storage_compression": ("intermediate_storage", "compression"),
    "use_arrow_batches": ("intermediate_storage", "use_arrow_batches"),
    "arrow_batch_size": ("intermediate_storage", "arrow_batch_size"),
    "arrow_memory_mapping": ("intermediate_storage", "arrow_memory_mapping"),
    "cleanup_temp_files": ("intermediate_storage", "cleanup_temp_files"),
    "cleanup_on_success": ("intermediate_storage", "cleanup_on_success"),
    "retention_policy": ("intermediate_storage", "retention_policy"),
    "max_retention_days": ("intermediate_storage", "max_retention_days"),
}
"""Flat keys of the seed's first config format, and where they now live."""

PARTITION_LEGACY_KEYS: dict[str, str] = {
    "enable_fault_tolerance": "enabled",
    "max_retries": "max_retries",
    "retry_backoff": "retry_backoff",
}
"""Fault-tolerance keys the seed also allows inside ``partition:``."""

DATA_JUICER_ONLY_KEYS = frozenset(
    """
    open_tracer trace_num op_list_to_trace trace_keys use_cache ds_cache_dir
    cache_compress use_checkpoint temp_dir open_monitor op_fusion fusion_strategy
    adaptive_batch_size keep_hashes_in_res_ds export_shard_size export_in_parallel
    export_type export_extra_args export_aws_credentials suffixes turbo
    skip_op_error save_stats_in_one_file
    image_special_token audio_special_token video_special_token eoc_special_token
    debug hpo_config data_probe_algo data_probe_ratio percentiles
    export_original_dataset auto auto_num open_insight_mining op_list_to_mine
    load_dataset_kwargs cpu_required mem_required config
    generated_dataset_config validators min_common_dep_num_to_combine
    conflict_resolve_strategy custom_operator_paths
    """.split()
)
"""Data-Juicer recipe keys that have no meaning in datamill."""


NOT_APPLICABLE: dict[str, str] = {
    "project_name": (
        "project_name is kept in the job's config.yaml only; datamill names a job after "
        "its recipe file (or job_id)"
    ),
}
"""Keys that datamill accepts but that have no effect here, with the line the
loader prints when a recipe sets one."""


def load_recipe(
    path: Path | None, overrides: Mapping[str, Any] | None = None, *, raw: Mapping[str, Any] | None = None
) -> Recipe:
    """Read the recipe at ``path`` (or ``raw``), apply ``overrides``, validate it."""
    source = str(path) if path is not None else "recipe"
    data = dict(raw) if raw is not None else _read_yaml(path)
    data = _normalise(data, source)
    for dotted, value in (overrides or {}).items():
        _apply_override(data, dotted, value)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    if recipe.process:  # the ops' modules (and pyarrow): only when there are ops to check
        from datamill.ops.registry import validate_process

        validate_process(recipe.process, source)
    refusal = recipe.intermediate_storage.refusal()
    if refusal:
        raise ConfigError(f"{source}: {refusal}")
    _note_not_applicable(recipe, source)
    _note_ray_only_keys(recipe, source)
    return recipe


def _note_not_applicable(recipe: Recipe, source: str) -> None:
    """Say, once each, that a key the recipe sets has no effect here."""
    for dotted, message in NOT_APPLICABLE.items():
        node: BaseModel | None = recipe
        *sections, name = dotted.split(".")
        for section in sections:
            node = getattr(node, section, None)
        if isinstance(node, BaseModel) and name in node.model_fields_set:
            log.warning("%s: %s", source, message)


def _note_ray_only_keys(recipe: Recipe, source: str) -> None:
    """Keys that mean something on Ray only: said once, not ignored in silence."""
    if recipe.executor_type == "ray":
        from datamill.executors.ray import task_resources

        try:
            task_resources(recipe.process)  # (checked now, not when the job starts)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
        return
    if recipe.ray_cluster is not None:
        log.warning(
            "%s: ray_address '%s' is used with executor_type: ray only; this job runs on the local pool",
            source,
            recipe.ray_address,
        )
    hinted = sorted(
        {
            f"{name}.{key}"
            for entry in recipe.process
            for name, params in entry.items()
            for key in ("num_cpus", "cpu_required", "mem_required")
            if (params or {}).get(key) is not None
        }
    )
    if hinted:
        log.warning(
            "%s: %s ask Ray for resources; the local pool runs np=%d workers whatever the ops ask",
            source,
            ", ".join(hinted),
            recipe.np,
        )


class RecipeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``2e5`` as the number YAML 1.2 (and Data-Juicer's
    loader) reads, not as the string YAML 1.1 does: Data-Juicer's recipes write
    ``max_len: 2e5``."""


RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def parse_yaml(text: str) -> Any:
    """A recipe's YAML text, parsed as :class:`RecipeLoader` reads it."""
    return yaml.load(text, Loader=RecipeLoader)  # (a SafeLoader: no arbitrary objects)


def _read_yaml(path: Path | None) -> dict[str, Any]:
    if path is None:
        raise ConfigError("No recipe given: pass --config RECIPE.yaml.")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read the recipe {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"The recipe {path} is not UTF-8 text: it is damaged, or not a recipe.") from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"The recipe {path} is not valid YAML{where}: {problem}.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"The recipe {path} must be a mapping of keys to values, not a {type(data).__name__}."
        )
    return data


def _normalise(data: dict[str, Any], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    legacy: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key in DATA_JUICER_ONLY_KEYS:
            log.warning("%s: ignoring Data-Juicer key '%s' (datamill has no use for it)", source, key)
        elif key == "text_keys":
            out["text_key"] = _single_text_key(value, source)
        elif key in LEGACY_KEYS:
            legacy.append((key, value))
        else:
            out[key] = value
    partition = out.get("partition")
    if isinstance(partition, dict):
        partition = dict(partition)
        for key, target in PARTITION_LEGACY_KEYS.items():
            if key in partition:
                section = out.setdefault("fault_tolerance", {})
                if isinstance(section, dict):
                    out["fault_tolerance"] = section = dict(section)
                    section.setdefault(target, partition.pop(key))
        out["partition"] = partition
    for key, value in legacy:
        section_name, field = LEGACY_KEYS[key]
        section = out.get(section_name, {})
        if isinstance(section, dict):
            out[section_name] = {field: value, **section}
    return out


def _single_text_key(value: Any, source: str) -> Any:
    if isinstance(value, list):
        if len(value) != 1:
            raise ConfigError(
                f"{source}: 'text_keys' lists {len(value)} keys; datamill works on one "
                "text column. Set 'text_key' to the column the ops should read."
            )
        return value[0]
    return value


def parse_overrides(args: Sequence[str]) -> dict[str, Any]:
    """Parse ``--a.b value`` / ``--a.b=value`` pairs (a bare ``--flag`` is "true")."""
    overrides: dict[str, Any] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or token == "--":
            raise ConfigError(f"Unexpected argument '{token}': overrides look like --section.key VALUE.")
        key, eq, value = token[2:].partition("=")
        if not eq:
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            else:
                value = "true"
        overrides[key] = _scalar(value)
        i += 1
    return overrides


def _scalar(text: str) -> Any:
    """Values stay strings (the typed models convert "500" or "true" by field
    type, and a job id like "off" or "007" stays what it says); only lists,
    mappings and null are parsed as YAML."""
    stripped = text.strip()
    if stripped in ("null", "~"):
        return None
    if stripped[:1] in ("[", "{"):
        try:
            return parse_yaml(stripped)
        except yaml.YAMLError:
            return text
    return text


def _apply_override(data: dict[str, Any], dotted: str, value: Any) -> None:
    if dotted == "text_keys":
        dotted = "text_key"
    if dotted in LEGACY_KEYS:
        dotted = ".".join(LEGACY_KEYS[dotted])
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
        node[part] = child = dict(child)
        node = child
    node[parts[-1]] = value


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {_describe_one(err)}" for err in exc.errors()]
    return "\n".join(lines)


def _describe_one(err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    if err["type"] == "extra_forbidden":
        valid = _field_names(loc[:-1])
        hint = closest(loc[-1], valid)
        return f"unknown key '{key}'.{hint} Valid keys here: {', '.join(sorted(valid))}."
    if err["type"] == "missing":
        return f"missing required key '{key}'."
    got = err.get("input")
    return f"key '{key}': {err['msg']} (got {got!r})."


def _field_names(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Recipe
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    names = list(model.model_fields)
    if model is Recipe:
        names += [*LEGACY_KEYS, "text_keys"]
    return names
