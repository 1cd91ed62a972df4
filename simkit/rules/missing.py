"""Missing data: the functions of the policies in ``simkit.schema.missing``, over arrays with the units on the
second-last axis and the leaves last.

>>> import numpy as np
>>> share = np.array([[0.9, np.nan, 0.5]])[..., None]      # (batch, units, leaves=1)
>>> fill_shares(share, np.array([[False, True, False]])[..., None], np.array([3]), np.zeros(3, int))[0, :, 0]
array([0.9, 0.5, 0.5])
"""

from __future__ import annotations

import numpy as np

from ..schema.missing import POLICY_CODES

ZERO, PREVIOUS, GROUP_MIN, PENALTY, EXCLUDE, RENORMALISE = (POLICY_CODES[k] for k in (
    "zero", "previous_year", "group_min", "penalty", "exclude", "renormalise"))


def carry_forward(x: np.ndarray, max_years: np.ndarray) -> np.ndarray:
    """Values (..., leaves, years) with a missing value replaced by the last value reported at most
    ``max_years`` (leaves,) years before (0: none carried).

    >>> carry_forward(np.array([[1.0, np.nan, np.nan, 4.0]]), np.array([1])).tolist()
    [[1.0, 1.0, nan, 4.0]]
    """
    out = x.copy()
    reach = int(np.max(max_years, initial=0))
    for k in range(1, reach + 1):
        ok = (max_years >= k)[:, None]
        prev = np.full(x.shape, np.nan)
        prev[..., k:] = x[..., :-k]
        out = np.where(np.isnan(out) & ok, prev, out)
    return out


def fill_shares(share: np.ndarray, missing: np.ndarray, code: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Shares (batch, units, leaves) with the missing cells given what their leaf's policy ``code`` says: 0 for
    zero and penalty, the group's worst reported share for group_min (0 if nobody reported), NaN (left for
    the aggregation, or the unit left out) for renormalise and exclude."""
    out = share.copy()
    zero = missing & np.isin(code, (ZERO, PENALTY))
    out[zero] = 0.0
    gmin = missing & (code == GROUP_MIN)
    if gmin.any():  # the worst reported share of each group: one segmented minimum over the sorted units
        order = np.argsort(groups, kind="stable")
        sorted_groups = groups[order]
        starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
        reported = np.where(missing | np.isnan(share), np.inf, share)[:, order]
        low = np.minimum.reduceat(reported, starts, axis=1)  # (batch, groups, leaves)
        which = np.searchsorted(sorted_groups[starts], groups)
        worst = low[:, which]
        out = np.where(gmin, np.where(np.isfinite(worst), worst, 0.0), out)
    return out
