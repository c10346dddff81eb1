"""The Theil-Sen slope of a cartridge's levels, with Sen's (1968) interval for the slope.

The same estimator, intercept and interval as ``scipy.stats.theilslopes(y, x, alpha)``
(method ``separate``), computed with numpy over the pairwise slopes: scipy's own call
spends most of its ~3.6 ms checking and converting arguments (its ``axis``/``nan_policy``
wrapper, ``norm.ppf`` each time), which a forecast of 40 points pays for every supply of
every reading. ``tests/unit/center/test_supplies_fast_paths.py`` holds the two equal on
random series with ties.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

__all__ = ["TheilSen", "median", "sorted_median", "theil_sen"]


@dataclass(frozen=True, slots=True)
class TheilSen:
    """A fitted line and the slope's interval (``nan`` ends when it cannot be given)."""

    slope: float
    intercept: float
    low_slope: float
    high_slope: float


@functools.lru_cache(maxsize=16)
def _z(alpha: float) -> float:
    """The normal quantile scipy uses for ``alpha``: ``norm.ppf`` is ``ndtri``, without
    importing all of ``scipy.stats`` (seconds) for it."""
    from scipy.special import ndtri  # here, not at start: see forecast.py's fit

    return float(ndtri(alpha / 2.0))


def sorted_median(values: Any) -> float:
    """``numpy.median`` of an array already sorted: its middle, or the mean of the middle
    two (as ``numpy.median`` takes it), without its checks (~20 us a call)."""
    n = len(values)
    middle = n // 2
    if n % 2:
        return float(values[middle])
    return float((values[middle - 1] + values[middle]) / 2.0)


def median(values: Any) -> float:
    """``numpy.median`` of a 1-d float array, by sorting a copy."""
    import numpy as np

    return sorted_median(np.sort(values))


def _ties(values: Any) -> int:
    """Sen's (1968) correction for tied values: the sum of k(k-1)(2k+5) over tie groups."""
    return sum(k * (k - 1) * (2 * k + 5) for k in Counter(values.tolist()).values() if k > 1)


def theil_sen(y: Any, x: Any, alpha: float = 0.95) -> TheilSen:
    """The median of the pairwise slopes (pairs with distinct ``x``), the intercept
    median(y) - slope * median(x), and the slope's ``alpha`` interval (Sen 1968, eq. 2.6)."""
    import numpy as np  # here, not at start: see forecast.py's fit

    y = np.asarray(y, dtype=float).ravel()
    x = np.asarray(x, dtype=float).ravel()
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("x and y must have the same length, at least 2")
    deltax = x[:, np.newaxis] - x
    deltay = y[:, np.newaxis] - y
    apart = deltax > 0
    slopes = deltay[apart] / deltax[apart]
    if not slopes.size:
        nan = float("nan")
        return TheilSen(nan, nan, nan, nan)
    slopes.sort()
    slope = sorted_median(slopes)
    intercept = median(y) - slope * median(x)
    if alpha > 0.5:
        alpha = 1.0 - alpha
    z = _z(alpha)
    n_slopes, n = len(slopes), len(y)
    variance = 1 / 18.0 * (n * (n - 1) * (2 * n + 5) - _ties(x) - _ties(y))
    if not variance >= 0:
        nan = float("nan")
        return TheilSen(slope, intercept, nan, nan)
    sigma = math.sqrt(variance)
    upper = min(round((n_slopes - z * sigma) / 2.0), n_slopes - 1)
    lower = max(round((n_slopes + z * sigma) / 2.0) - 1, 0)
    return TheilSen(slope, intercept, float(slopes[lower]), float(slopes[upper]))
