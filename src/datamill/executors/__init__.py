"""Executors decide where a partition runs; all run :func:`~datamill.engine.partition.run_task`."""

from datamill.executors.base import Executor, make_executor, require_executor

__all__ = ["Executor", "make_executor", "require_executor"]
