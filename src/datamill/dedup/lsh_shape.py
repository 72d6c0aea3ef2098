"""The LSH shape (bands, rows per band) MinHash uses when a recipe gives none.

Data-Juicer picks, among every (bands b, rows r) with b * r <= num_permutations,
the pair minimising the mean of two areas: the probability of a false positive
integrated over similarities [0, threshold] and of a false negative over
[threshold, 1] (the criterion of the datasketch library). A pair collides on
some band with probability 1 - (1 - s**r)**b at similarity s.

Both integrals are computed here for all pairs at once, by Gauss-Legendre
quadrature on many short subintervals, which is exact to rounding for these
smooth integrands; ties go to the first pair in (b, r) order, as in
Data-Juicer's loop.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)
_PIECES = 64


def _integral(
    lo: float, hi: float, bands: npt.NDArray[np.float64], rows: npt.NDArray[np.float64], miss: bool
) -> npt.NDArray[np.float64]:
    """Integral over [lo, hi] of the collision probability, or of its complement when ``miss``."""
    if hi <= lo:
        return np.zeros(len(bands))
    edges = np.linspace(lo, hi, _PIECES + 1)
    half = (edges[1:] - edges[:-1]) / 2
    mid = (edges[1:] + edges[:-1]) / 2
    s = (mid[:, None] + half[:, None] * _NODES[None, :]).ravel()
    w = (half[:, None] * _WEIGHTS[None, :]).ravel()
    none_hit = (1.0 - s[None, :] ** rows[:, None]) ** bands[:, None]
    values = none_hit if miss else 1.0 - none_hit
    result: npt.NDArray[np.float64] = values @ w
    return result


@lru_cache(maxsize=64)
def optimal_shape(threshold: float, num_permutations: int) -> tuple[int, int]:
    """(bands, rows per band) with the least mean of false-positive and false-negative areas."""
    pairs = [(b, r) for b in range(1, num_permutations + 1) for r in range(1, num_permutations // b + 1)]
    bands = np.array([p[0] for p in pairs], dtype=np.float64)
    rows = np.array([p[1] for p in pairs], dtype=np.float64)
    false_pos = _integral(0.0, threshold, bands, rows, miss=False)
    false_neg = _integral(threshold, 1.0, bands, rows, miss=True)
    error = false_pos * 0.5 + false_neg * 0.5
    return pairs[int(np.argmin(error))]
