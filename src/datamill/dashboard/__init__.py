"""``datamill dashboard``: a job's progress in a browser, and Prometheus metrics.

A small Starlette app over the same readers as ``datamill monitor``: it never
writes into a job (the stop button uses :class:`~datamill.control.stopper.JobStopper`,
as ``datamill stop`` does). Starlette, uvicorn and prometheus-client are the
``dashboard`` extra; :func:`require` says how to install them.
"""

from __future__ import annotations

import importlib

from datamill.errors import ConfigError

INSTALL_HINT = 'pip install "datamill[dashboard]"'
NEEDED = ("starlette", "uvicorn", "prometheus_client")


def require() -> None:
    """Raise one clear :class:`ConfigError` when the dashboard's extra is missing."""
    missing = []
    for name in NEEDED:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ConfigError(
            f"datamill dashboard needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed. The dashboard is an optional part of datamill: install it with "
            f'{INSTALL_HINT}, then run the command again. Without it, "datamill monitor JOB --watch" '
            "shows the same facts in a terminal."
        )
