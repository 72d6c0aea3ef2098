"""What the Data-Juicer reference tests share: the scripts beside their data
(generators and tiny-model builders, importable without Data-Juicer) and the
check that a rebuilt big input is the one Data-Juicer was given."""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@cache
def script(name: str) -> Any:
    """``data/{name}.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def big_text(seed: int, generator: str = "make_dj_reference") -> str:
    """The generated ~1 MB input of ``seed``."""
    return str(script(generator).generate_text(seed))


def checked(text: str, sha256: str) -> str:
    """``text``, once its SHA-256 is the one recorded with the reference."""
    assert hashlib.sha256(text.encode()).hexdigest() == sha256, "a rebuilt input differs from Data-Juicer's"
    return text
