"""Adjustments outside the 100-point scale and the one-vote veto (一票否决): the functions.

The parameter models are in ``simkit.schema.adjustments``.  This module is the one place that decides who
is vetoed; grading (``best_grade``, ``grade``), ranking (``rank_last``) and the consequences
(``consequences.VetoEffects``) only read the resulting mask.

>>> import numpy as np
>>> from simkit.schema.adjustments import VetoCondition
>>> veto_mask((VetoCondition(indicator="deaths", at_least=3),), np.array([[1.0], [3.0]]), ("deaths",)).tolist()
[False, True]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..schema.adjustments import VetoCondition


def capped(points: np.ndarray, cap: float | None) -> np.ndarray:
    """Bonus or deduction points, at most ``cap`` (none = no cap).

    >>> capped(np.array([1.0, 5.0]), 3.0).tolist()
    [1.0, 3.0]
    """
    return points if cap is None else np.minimum(points, cap)


def fired_condition(conditions: Sequence[VetoCondition], value: np.ndarray, leaves: Sequence[str], *,
                    missing_fires: bool = False, applies: np.ndarray | None = None) -> np.ndarray:
    """Index of the first veto condition met by each cell (−1: none); ``value`` has the leaves on the last axis.

    A condition on a leaf that is not scored (not in ``leaves``) never fires; a missing value fires only with
    ``missing_fires`` (not reporting must not escape a veto), where the leaf ``applies`` (units, leaves).

    >>> from simkit.schema.adjustments import VetoCondition
    >>> c = (VetoCondition(indicator="a", at_least=3), VetoCondition(indicator="b", at_most=0))
    >>> fired_condition(c, np.array([[1.0, 0.0], [3.0, 0.0], [1.0, 1.0]]), ("a", "b")).tolist()
    [1, 0, -1]
    """
    out = np.full(value.shape[:-1], -1)
    for k in reversed(range(len(conditions))):  # the first condition in the list wins
        c = conditions[k]
        if c.indicator not in leaves:
            continue
        li = list(leaves).index(c.indicator)
        v = value[..., li]
        with np.errstate(invalid="ignore"):
            hit = np.zeros(v.shape, dtype=bool)
            if c.at_least is not None:
                hit |= v >= c.at_least
            if c.at_most is not None:
                hit |= v <= c.at_most
        if missing_fires:
            hit |= np.isnan(v) & (True if applies is None else applies[:, li])
        out = np.where(hit, k, out)
    return out


def veto_mask(conditions: Sequence[VetoCondition], value: np.ndarray, leaves: Sequence[str],
              table: np.ndarray | None = None) -> np.ndarray:
    """Who is vetoed: the table's vetoes (``table``, broadcast) or any condition met by a leaf's value."""
    shape = value.shape[:-1]
    vetoed = np.zeros(shape, dtype=bool) if table is None else np.broadcast_to(table, shape).copy()
    if conditions:
        vetoed |= fired_condition(conditions, value, leaves) >= 0
    return vetoed
