"""datamill: long-running batch data processing that never loses work."""

__version__ = "0.1.0"
