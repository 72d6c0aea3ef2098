"""The driver's peak memory is its own, not its parent's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_peak_memory_ignores_the_parent_that_started_the_driver() -> None:
    ballast = np.ones(400 * 2**20 // 8)  # 400 MB held by this (parent) process
    child = (
        "import resource; from datamill.job.resources import peak_rss_mb; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, peak_rss_mb())"
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    inherited, own = map(float, out.stdout.split())
    assert ballast.sum() > 0
    assert inherited > 400  # what getrusage says: the parent's size, through fork
    assert own < 200  # what the summary reports
