"""Ranks within groups (组内排名), vectorised over any leading batch dimensions.

Higher is better: rank 1 is the highest value.  Missing values (NaN) get no rank (NaN).  Ties follow a
stated rule:

- ``min``   — competition ranking, 1 2 2 4 (the default; COINr's and R's ``ties.method = "min"``);
- ``max``   — 1 3 3 4;
- ``dense`` — 1 2 2 3;
- ``first`` — 1 2 3 4, tied units in the order of the tie-break keys, then in input order.

Values are rounded to ``decimals`` before comparing, so that two totals that are equal on paper but differ
in the 15th digit are treated as tied.

>>> import numpy as np
>>> rank_desc(np.array([70.0, 90.0, 70.0, 50.0]))
array([2., 1., 2., 4.])
>>> rank_desc(np.array([70.0, 90.0, 70.0, 50.0]), ties="dense")
array([2., 1., 2., 3.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

TieRule = Literal["min", "max", "dense", "first"]
TIE_RULES: tuple[str, ...] = ("min", "max", "dense", "first")


def rank_desc(
    x: np.ndarray,
    ties: TieRule = "min",
    *,
    tie_break: Sequence[np.ndarray] = (),
    decimals: int | None = 9,
) -> np.ndarray:
    """Rank along the last axis, highest first; ``tie_break`` keys (same shape, higher first) break ties."""
    if ties not in TIE_RULES:
        raise ValueError(f"unknown tie rule {ties!r}; use one of {', '.join(TIE_RULES)}")
    x = np.asarray(x, dtype=float)
    keys = [x, *[np.broadcast_to(np.asarray(k, dtype=float), x.shape) for k in tie_break]]
    if decimals is not None:
        keys = [np.round(k, decimals) for k in keys]
    # NaN sorts last: replace by -inf for ordering, and blank the rank afterwards.
    keys = [np.where(np.isnan(k), -np.inf, k) for k in keys]
    n = x.shape[-1]
    if n == 0:
        return np.empty(x.shape)
    # Stable multi-pass sort: least significant key first, each later pass keeps earlier order on ties.
    order = np.broadcast_to(np.arange(n), x.shape).copy()
    for k in reversed(keys):
        kk = np.take_along_axis(k, order, axis=-1)
        order = np.take_along_axis(order, np.argsort(-kk, axis=-1, kind="stable"), axis=-1)
    sorted_keys = [np.take_along_axis(k, order, axis=-1) for k in keys]
    pos = np.broadcast_to(np.arange(1, n + 1, dtype=float), x.shape)
    if ties == "first":
        r = pos
    else:
        new = np.ones(x.shape, dtype=bool)  # True where a sorted entry starts a new tie block
        same = np.ones(x.shape[:-1] + (n - 1,), dtype=bool)
        for k in sorted_keys:
            same &= k[..., 1:] == k[..., :-1]
        new[..., 1:] = ~same
        if ties == "min":
            r = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-1)
        elif ties == "dense":
            r = np.cumsum(new, axis=-1).astype(float)
        else:  # max: the last position of each tie block
            end = np.ones(x.shape, dtype=bool)
            end[..., :-1] = new[..., 1:]
            rev = np.where(end, pos, np.inf)[..., ::-1]
            r = np.minimum.accumulate(rev, axis=-1)[..., ::-1]
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, r, axis=-1)
    ranks[np.isnan(x)] = np.nan
    return ranks


def group_rank(
    x: np.ndarray,
    group_codes: np.ndarray,
    ties: TieRule = "min",
    *,
    tie_break: Sequence[np.ndarray] = (),
    decimals: int | None = 9,
) -> np.ndarray:
    """Rank along the last axis within each group; ``group_codes`` has one integer per last-axis entry.

    >>> group_rank(np.array([1.0, 5.0, 3.0, 2.0]), np.array([0, 0, 1, 1]))
    array([2., 1., 1., 2.])
    """
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    for g in np.unique(group_codes):
        sel = np.flatnonzero(group_codes == g)
        tb = [np.broadcast_to(np.asarray(k, dtype=float), x.shape)[..., sel] for k in tie_break]
        out[..., sel] = rank_desc(x[..., sel], ties, tie_break=tb, decimals=decimals)
    return out
