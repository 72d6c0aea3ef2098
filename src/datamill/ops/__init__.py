"""Ops: the base classes, the registry and the built-in text ops."""

from datamill.ops.base import Filter, Mapper, Op, OpResult
from datamill.ops.registry import build_pipeline, register

__all__ = ["Filter", "Mapper", "Op", "OpResult", "build_pipeline", "register"]
