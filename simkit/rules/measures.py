"""What is measured for an indicator: the level, the increment or the growth rate (总量、增量、增速).

The parameter-free models and their metadata are in ``simkit.schema.measures``.

Each measure turns a value series ``x[..., year]`` into a series of the same shape.  The first year of an
increment or growth series is missing (NaN): it has no previous year.  Growth from a zero or negative base
is undefined; it comes out as NaN and is flagged in the returned ``bad_base`` mask so that the caller can
name the unit, indicator and year in its error.

>>> import numpy as np
>>> growth(np.array([100.0, 110.0, 0.0, 5.0]))[0]
array([ nan,  0.1, -1. ,  nan])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MeasureFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def level(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """总量: the value itself."""
    return x.astype(float, copy=True), np.zeros(x.shape, dtype=bool)


def increment(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """增量: x_t − x_{t−1}."""
    out = np.full(x.shape, np.nan)
    out[..., 1:] = x[..., 1:] - x[..., :-1]
    return out, np.zeros(x.shape, dtype=bool)


def growth(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """增速: x_t / x_{t−1} − 1; NaN (and flagged) where the base x_{t−1} is zero or negative."""
    out = np.full(x.shape, np.nan)
    base = x[..., :-1]
    bad = np.zeros(x.shape, dtype=bool)
    bad[..., 1:] = base <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out[..., 1:] = np.where(base > 0, x[..., 1:] / np.where(base > 0, base, 1.0) - 1.0, np.nan)
    return out, bad


#: One function per measure model of ``simkit.schema.measures`` (the contract test checks they match).
MEASURES: dict[str, MeasureFn] = {"level": level, "increment": increment, "growth": growth}
