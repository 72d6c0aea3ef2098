"""Op registry: built-in ops by name, user ops by import path.

``process:`` entries name an op either by its registered name
(``clean_links_mapper``) or by ``package.module:ClassName`` for a user op that
subclasses :class:`Mapper` or :class:`Filter`. Parameters are checked against
the op's ``__init__`` before any work starts.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import ConfigDict, ValidationError, create_model

from datamill.errors import ConfigError, closest
from datamill.ops.base import IGNORED_COMMON_PARAMS, Filter, Mapper, Op

_REGISTRY: dict[str, type[Op]] = {}

T = TypeVar("T", bound=type[Op])


def register(name: str) -> Callable[[T], T]:
    """Class decorator: make an op available under ``name`` in recipes."""

    def wrap(cls: T) -> T:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def registered_names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def resolve(name: str, where: str = "recipe") -> type[Op]:
    """The op class for ``name``; a ConfigError with a suggestion if unknown."""
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        return _import_user_op(name, where)
    raise ConfigError(
        f"{where}: unknown op '{name}'.{closest(name, list(_REGISTRY))} Built-in ops: "
        f"{', '.join(sorted(_REGISTRY))}; a user op is named 'package.module:ClassName'."
    )


def _import_user_op(path: str, where: str) -> type[Op]:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{where}: cannot import module '{module_name}' for op '{path}': {exc}. "
            "Make sure the package is installed or on PYTHONPATH."
        ) from None
    cls = getattr(module, attr, None)
    if not (inspect.isclass(cls) and issubclass(cls, (Mapper, Filter))):
        raise ConfigError(
            f"{where}: '{path}' is not a datamill op: it must name a class that "
            "subclasses datamill.ops.Mapper or datamill.ops.Filter."
        )
    if not cls.name:
        cls.name = path
    return cls


def op_parameters(cls: type[Op]) -> dict[str, inspect.Parameter]:
    """Named parameters an op accepts, following ``**kwargs`` up the MRO."""
    params: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        has_kwargs = False
        for p in list(inspect.signature(init, eval_str=True).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                has_kwargs = True
            elif p.kind is not p.VAR_POSITIONAL:
                params.setdefault(p.name, p)
        if not has_kwargs or klass is Op:
            break
    return params


def validate_params(cls: type[Op], params: dict[str, Any], where: str) -> dict[str, Any]:
    """Check names and types of ``params`` against ``cls``; return them coerced."""
    accepted = op_parameters(cls)
    fields: dict[str, Any] = {}
    for name, p in accepted.items():
        annotation = p.annotation if p.annotation is not p.empty else Any
        default = p.default if p.default is not p.empty else ...
        fields[name] = (annotation, default)
    for key in params:
        if key not in accepted and key not in IGNORED_COMMON_PARAMS:
            raise ConfigError(
                f"{where}: op '{cls.name}' has no parameter '{key}'."
                f"{closest(key, list(accepted))} Its parameters: {', '.join(accepted) or 'none'}."
            )
    model = create_model(
        f"{cls.__name__}Params",
        __config__=ConfigDict(arbitrary_types_allowed=True, extra="ignore"),
        **fields,
    )
    try:
        validated = model.model_validate(params)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"{where}: parameter '{key}' of op '{cls.name}': {err['msg']} (got {err.get('input')!r})."
        ) from None
    return {k: getattr(validated, k) for k in params if k in accepted}


def _entries(process: Sequence[Any], source: str) -> list[tuple[str, str, dict[str, Any]]]:
    entries = []
    for i, item in enumerate(process):
        where = f"{source}: process[{i}]"
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict) or len(item) != 1:
            raise ConfigError(
                f"{where} must be a mapping with a single op name, like "
                "'- clean_links_mapper: {}' ; got " + repr(item)
            )
        ((name, params),) = item.items()
        if params is not None and not isinstance(params, dict):
            raise ConfigError(f"{where}: the parameters of '{name}' must be a mapping.")
        entries.append((where, str(name), dict(params or {})))
    return entries


def validate_process(process: Sequence[Any], source: str = "recipe") -> None:
    """Raise a ConfigError for the first unknown op or bad parameter."""
    for where, name, params in _entries(process, source):
        cls = resolve(name, where)
        clean = validate_params(cls, params, f"{where}.{name}")
        try:
            cls(**clean)
        except ConfigError as exc:
            raise ConfigError(f"{where}.{name}: {exc.message}") from None
        except Exception as exc:
            raise ConfigError(f"{where}.{name}: the op cannot be built: {exc}") from None


def build_pipeline(process: Sequence[Any], text_key: str) -> list[Op]:
    """Instantiate the ops of a recipe's ``process`` list, in order."""
    ops = []
    for where, name, params in _entries(process, "recipe"):
        cls = resolve(name, where)
        clean = validate_params(cls, params, f"{where}.{name}")
        clean.setdefault("text_key", text_key)
        op = cls(**clean)
        op.params = {k: v for k, v in clean.items() if k != "batch_size"}
        ops.append(op)
    return ops


def _load_builtins() -> None:
    importlib.import_module("datamill.ops.builtin")
