"""What a recipe may use: every registered op with its kind, summary and parameters."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Any

from datamill.ops.registry import op_parameters, registered_names, resolve

COMMON_PARAMS = frozenset({"text_key", "batch_size"})
"""Parameters every op has; listed once, not per op."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    required: bool

    def as_dict(self) -> dict[str, Any]:
        default = self.default
        if default == sys.maxsize:
            default = "sys.maxsize"
        elif not isinstance(default, str | int | float | bool | list | dict | type(None)):
            default = repr(default)
        return {"name": self.name, "type": self.type, "default": default, "required": self.required}


@dataclass(frozen=True)
class OpInfo:
    name: str
    kind: str
    summary: str
    params: tuple[Param, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "summary": self.summary,
            "params": [p.as_dict() for p in self.params],
        }


def describe(name: str, where: str = "recipe") -> OpInfo:
    """The catalogue entry of the op registered as ``name``."""
    cls = resolve(name, where)
    doc = inspect.cleandoc(cls.__doc__ or sys.modules[cls.__module__].__doc__ or "")
    summary = doc.strip().split("\n\n")[0].replace("\n", " ")
    summary = summary.removeprefix(f"{name}: ").removeprefix(f"``{name}``: ")
    summary = summary[:1].upper() + summary[1:]
    params = tuple(
        Param(p.name, _type_name(p.annotation), _default(p), p.default is p.empty)
        for p in op_parameters(cls).values()
        if p.name not in COMMON_PARAMS
    )
    return OpInfo(name, cls.kind, summary, params)


def catalog(kind: str | None = None) -> list[OpInfo]:
    """Every registered op (of ``kind`` if given), by name."""
    infos = [describe(name) for name in registered_names()]
    return [i for i in infos if kind is None or i.kind == kind]


def _default(param: inspect.Parameter) -> Any:
    return None if param.default is param.empty else param.default


def _type_name(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "any"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
