"""Scoring rules (指标计分规则): from a measured value (and a target) to a share of the indicator's points.

A share of 1 is full points; a rule with extra credit (``cap`` above 1) can give more.  Each rule is a
parameter model (``simkit.schema.scoring``) and a pure function here, registered in ``SCORING_RULES``.
Functions have the signature ``fn(params, m, q, d, groups) -> share`` with

- ``m``: measured values, shape ``(batch, units, k)`` for ``k`` indicators scored alike, NaN where missing
  or not applicable (a missing value gives a missing share);
- ``q``: targets of the same shape (NaN where the rule needs none);
- ``d``: direction per indicator, shape ``(k,)``: +1 higher is better, −1 lower is better;
- ``groups``: integer group code per unit; group-relative rules compare units only within their group.

A rule that cannot be applied to some cells raises ``RuleInputError`` with a mask of those cells; the engine
names the units and indicators.

>>> import numpy as np
>>> p = Completion(cap=1.2)
>>> score(p, np.array([[[90.0], [130.0]]]), np.array([[[100.0], [100.0]]]), np.array([1]), np.array([0, 0]))[0, :, 0]
array([0.9, 1.2])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import RuleInputError
from ..schema.scoring import (
    AllOrNothing,
    Completion,
    Efficacy,
    GroupAverage,
    Leader,
    MinMax,
    RankDecay,
    RankTable,
    ScoringRule,
    ZScore,
)
from .ranking import group_rank
from .segments import Groups

Array = np.ndarray


def _per_group(x: Array, groups: Array, how: str, ddof: int = 0) -> Array:
    """A NaN-ignoring reduction (``nanmin``, ``nanmax``, ``nanmean``, ``count`` or ``nanstd``) within each group
    along the units axis (−2) of x (batch, units, k), broadcast back; a group without a value gives NaN (0 for
    ``count``)."""
    g = Groups(groups)
    with np.errstate(all="ignore"):
        if how == "count":
            per = g.count(~np.isnan(x), axis=-2).astype(float)
        elif how == "nanstd":
            per = g.nanstd(x, axis=-2, ddof=ddof)
        else:
            per = getattr(g, how)(x, axis=-2)
    return g.broadcast(per, axis=-2)


def _pool(x: Array, groups: Array, over: str) -> Array:
    return groups if over == "group" else np.zeros_like(groups)


def _rank(v: Array, groups: Array) -> Array:
    """Competition rank (ties share the better place) of v within groups along the units axis."""
    moved = np.moveaxis(v, -2, -1)
    return np.moveaxis(group_rank(moved, groups, "min"), -1, -2)


# --------------------------------------------------------------------------------------------- rules
def completion_ratio(m: Array, q: Array, d: Array, lower: str = "inverse") -> Array:
    """The completion ratio of m against target q in direction d (see ``Completion``)."""
    m, q = np.asarray(m, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1 + d·(m − q)/|q|, computed in place (the same digits as that expression)
        gap = np.asarray(np.subtract(m, q))  # (an array even for scalars: written into below)
        if gap.shape != np.broadcast_shapes(gap.shape, np.shape(d)):
            gap = d * gap
        else:
            np.multiply(d, gap, out=gap)
        np.divide(gap, np.abs(q), out=gap)
        np.add(1.0, gap, out=gap)
        if lower == "inverse" and (np.asarray(d) < 0).any():  # no lower-is-better cell: nothing to replace
            inv = np.where(m > 0, q / np.where(m > 0, m, 1.0), np.inf)
            gap = np.where((d < 0) & (q > 0), inv, gap)
    return np.where(np.isnan(m) | np.isnan(q), np.nan, gap)


def _completion(p: Completion, m: Array, q: Array, d: Array, groups: Array) -> Array:
    zero = (q == 0) & ~np.isnan(m)
    if p.zero_target == "error" and zero.any():
        raise RuleInputError(
            "the target is 0, so a completion ratio is undefined",
            "set another target rule for this indicator, or `zero_target: met_or_missed` in its scoring rule",
            zero,
        )
    r = completion_ratio(m, q, d, p.lower)
    share = np.clip(r, p.floor, p.cap)
    if p.threshold is not None:
        share = np.where(r < p.threshold, 0.0, share)
    if zero.any():  # else the replacement below changes nothing
        met = d * (m - q) >= 0
        share = np.where(zero, np.where(met, 1.0, p.floor), share)
    return np.where(np.isnan(m), np.nan, share)


def _all_or_nothing(p: AllOrNothing, m: Array, q: Array, d: Array, groups: Array) -> Array:
    met = d * (m - q) >= 0
    return np.where(np.isnan(m) | np.isnan(q), np.nan, np.where(met, p.full, p.miss))


def _rank_decay(p: RankDecay, m: Array, q: Array, d: Array, groups: Array) -> Array:
    r = _rank(d * m, groups)
    return np.where(np.isnan(r), np.nan, np.maximum(p.floor, 1.0 - p.step * (r - 1.0)))


def _rank_table(p: RankTable, m: Array, q: Array, d: Array, groups: Array) -> Array:
    r = _rank(d * m, groups)
    table = np.append(np.asarray(p.table, dtype=float), p.rest)
    idx = np.clip(np.nan_to_num(r, nan=1.0).astype(int) - 1, 0, len(p.table))
    return np.where(np.isnan(r), np.nan, table[idx])


def _leader(p: Leader, m: Array, q: Array, d: Array, groups: Array) -> Array:
    neg = m < 0
    if neg.any():
        raise RuleInputError(
            "the `leader` rule needs values of 0 or more, and this value is negative",
            "score this indicator with `efficacy` or `minmax`, or measure the level instead of the increment",
            neg,
        )
    best_hi = _per_group(m, groups, "nanmax")
    best_lo = _per_group(m, groups, "nanmin")
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.where(best_hi > 0, m / best_hi, 1.0)
        lo = np.where(m > 0, best_lo / m, 1.0)
    return np.where(np.isnan(m), np.nan, np.where(d > 0, hi, lo))


def _efficacy(p: Efficacy, m: Array, q: Array, d: Array, groups: Array) -> Array:
    v = d * m
    lo = _per_group(v, groups, "nanmin")
    hi = _per_group(v, groups, "nanmax")
    span = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(span > 0, (v - lo) / np.where(span > 0, span, 1.0), 1.0)
    return np.where(np.isnan(m), np.nan, p.base + (1.0 - p.base) * t)


def _group_average(p: GroupAverage, m: Array, q: Array, d: Array, groups: Array) -> Array:
    mean = _per_group(m, groups, "nanmean")
    bad = (mean <= 0) & ~np.isnan(m)
    if bad.any():
        raise RuleInputError(
            "the group average is 0 or negative, so a ratio to it is undefined",
            "score this indicator with `efficacy` or `minmax`, or measure the level",
            bad,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = m / mean
        lo = np.where(m > 0, mean / np.where(m > 0, m, 1.0), np.inf)
    share = np.clip(np.where(d > 0, hi, lo), p.floor, p.cap)
    return np.where(np.isnan(m), np.nan, share)


def _minmax(p: MinMax, m: Array, q: Array, d: Array, groups: Array) -> Array:
    v = d * m
    g = _pool(v, groups, p.over)
    lo = _per_group(v, g, "nanmin")
    hi = _per_group(v, g, "nanmax")
    span = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(span > 0, (v - lo) / np.where(span > 0, span, 1.0), 1.0)
    a, b = p.range
    return np.where(np.isnan(m), np.nan, (a + (b - a) * t) / 100.0)


def _zscore(p: ZScore, m: Array, q: Array, d: Array, groups: Array) -> Array:
    v = d * m
    g = _pool(v, groups, p.over)
    mu = _per_group(v, g, "nanmean")
    n = _per_group(v, g, "count")
    sd = _per_group(v, g, "nanstd", ddof=1)
    sd = np.where(n > 1, sd, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (v - mu) / np.where(sd > 0, sd, 1.0), 0.0)
    return np.where(np.isnan(m), np.nan, (p.mean + p.sd * z) / 100.0)


ScoreFn = Callable[[ScoringRule, Array, Array, Array, Array], Array]

SCORING_RULES: dict[str, ScoreFn] = {
    "completion": _completion,
    "all_or_nothing": _all_or_nothing,
    "rank_decay": _rank_decay,
    "rank_table": _rank_table,
    "leader": _leader,
    "efficacy": _efficacy,
    "group_average": _group_average,
    "minmax": _minmax,
    "zscore": _zscore,
}


def score(params: ScoringRule, m: Array, q: Array, d: Array, groups: Array) -> Array:
    """Apply the registered scoring rule named by ``params.rule``; returns shares, NaN where m is NaN."""
    return SCORING_RULES[params.rule](params, m, q, np.asarray(d, dtype=float), np.asarray(groups))
