"""datamill: long-running batch data processing that never loses work."""

import time as _time

__version__ = "0.1.0"

STARTED = _time.time()
"""When this process imported datamill: the origin of ``startup_seconds``."""
