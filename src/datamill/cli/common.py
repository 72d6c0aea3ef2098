"""Small helpers the subcommands share."""

from __future__ import annotations

from datamill.errors import ConfigError


def reject_extra(extra: list[str]) -> None:
    """Commands without dotted overrides refuse stray arguments."""
    if extra:
        raise ConfigError(f"Unexpected arguments: {' '.join(extra)}.")
