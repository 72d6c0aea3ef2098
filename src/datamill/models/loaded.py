"""Models loaded once per process: a worker keeps what it loaded for every
partition it runs, instead of reading the model again each time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

T = TypeVar("T")

_LOADED: dict[Hashable, Any] = {}
_LOCK = threading.Lock()


def load_once(key: Hashable, loader: Callable[[], T]) -> T:
    """``loader()``'s result, computed on the first call with ``key`` in this process."""
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = loader()
        return cast(T, _LOADED[key])


def loaded_count() -> int:
    """How many models this process holds (for tests)."""
    return len(_LOADED)
