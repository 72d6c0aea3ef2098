"""Executors decide where a partition runs; all run :func:`run_partition`."""

from datamill.executors.base import Executor, make_executor

__all__ = ["Executor", "make_executor"]
