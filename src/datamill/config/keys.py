"""The recipe's keys as dotted names (``partition.size``), for command-line flags.

``datamill run`` takes any key as a flag (``--partition.size 500``); a flag
that is neither one of its own nor a key is a typo, and the suggestion comes
from both lists.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from datamill.config.loader import LEGACY_KEYS
from datamill.config.models import Recipe


def recipe_keys() -> list[str]:
    """Every key of a recipe, dotted, with the legacy flat keys."""
    return [*_keys(Recipe, ""), *LEGACY_KEYS, "text_keys"]


def is_recipe_key(dotted: str) -> bool:
    return dotted in recipe_keys()


def _keys(model: type[BaseModel], prefix: str) -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        section = _model_in(field.annotation)
        if section is not None:
            keys += _keys(section, f"{prefix}{name}.")
    return keys


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, also when it is optional (``SqlExportConfig | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
