"""What the worker pool's fork server imports before it forks any worker.

Every worker is forked from that server, so it starts with the engine and the
built-in ops loaded. The imports run with the garbage collector paused (they
make a few hundred thousand objects, all of which live as long as the
process), and what they made is then frozen, as the ``gc.freeze`` documentation
advises before forking: no collection in a worker walks those objects, and
their memory pages stay shared with the server instead of being copied.

First of all, the server ties its life to the driver's (:mod:`datamill.lifeline`):
this module is imported by the fork server only.
"""

import gc

from datamill.lifeline import die_with_parent

die_with_parent()

gc.disable()
try:
    import datamill.engine.partition
    import datamill.ops.builtin  # noqa: F401
finally:
    gc.freeze()
    gc.enable()
