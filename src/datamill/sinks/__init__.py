"""Sinks: where a partition's rows go besides its result file."""
