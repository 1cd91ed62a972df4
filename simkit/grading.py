"""Grades (等次) by score bands and/or quotas within each group, vectorised over a batch of draws.

The procedure (also in ``scenario.Grading``):

1. Bottom quotas (``from: bottom``, e.g. 较差 = the last one) are filled first, from the last place up.  A
   bottom quota never takes a group's only unit (at most n − 1 units).
2. The other grades, best first, each take the best units not yet graded whose total reaches the grade's
   ``min_score``, up to the quota (share × n rounded as stated, or a count).
3. Units left over get the worst grade that is not a bottom quota.
4. Units tied at a top quota's edge all get the grade (``ties: share``, the quota can be exceeded) or none
   of them does (``ties: exclude``).  At a bottom quota's edge tied units are always spared: a penalty
   never falls on one of two units that cannot be told apart.  Ties are the ranking's ties: equal totals
   after rounding and tie-breaks.
5. A vetoed unit cannot get a grade better than ``veto.best_grade``.  ``veto.grade`` forces a grade on it
   first; it then fills one place of that grade's quota and none of any other.

Grades are returned as integer codes: 0 is the best grade, −1 a unit without a total.
"""

from __future__ import annotations

import numpy as np

from .scenario import Grading, Veto


def quota(share: float | None, count: int | None, n: np.ndarray, rounding: str) -> np.ndarray:
    """Whole-number quota for groups of n units (n may be an array).

    >>> quota(0.25, None, np.array([8, 10, 1]), "floor").tolist()
    [2, 2, 0]
    >>> quota(0.25, None, np.array([10]), "round").tolist()
    [3]
    """
    if count is not None:
        return np.full(np.shape(n), count, dtype=int)
    exact = np.round(share * np.asarray(n, dtype=float), 9)  # 0.3 × 10 must be 3, not 3.0000000000000004
    if rounding == "floor":
        return np.floor(exact).astype(int)
    if rounding == "ceil":
        return np.ceil(exact).astype(int)
    return np.floor(exact + 0.5).astype(int)


def assign_grades(
    score: np.ndarray,
    rank_lo: np.ndarray,
    rank_hi: np.ndarray,
    group_codes: np.ndarray,
    grading: Grading,
    vetoed: np.ndarray | None = None,
    veto: Veto | None = None,
) -> np.ndarray:
    """Grade codes (batch, units).

    ``rank_lo``/``rank_hi`` are the first and last place of each unit's tie block within its group
    (equal for a unit without ties); NaN for a unit without a total.
    """
    b, u = score.shape
    vetoed = np.zeros((b, u), dtype=bool) if vetoed is None else vetoed
    grades = grading.grades
    names = [g.name for g in grades]
    best_allowed = names.index(veto.best_grade) if veto is not None and veto.best_grade else 0
    forced = veto is not None and veto.grade is not None
    out = np.full((b, u), -1, dtype=int)
    share_ties = grading.ties == "share"
    bottom = [k for k, g in enumerate(grades) if g.from_ == "bottom"]
    top = [k for k, g in enumerate(grades) if g.from_ == "top"]
    fallback = top[-1] if top else len(grades) - 1

    for g in np.unique(group_codes):
        cols = np.flatnonzero(group_codes == g)
        s, lo, hi = score[:, cols], rank_lo[:, cols], rank_hi[:, cols]
        ranked = ~np.isnan(lo)
        n = ranked.sum(axis=1)
        # Sorted order by place; cumulative candidate counts give "how many candidates are better".
        order = np.argsort(np.where(ranked, lo, np.inf), axis=1, kind="stable")
        lo_i = np.nan_to_num(lo, nan=1).astype(int)
        hi_i = np.nan_to_num(hi, nan=1).astype(int)
        sub = out[:, cols]
        veto_sub = vetoed[:, cols]

        def take(k: int, from_bottom: bool) -> None:
            gr = grades[k]
            cand = ranked & (sub < 0)
            if gr.min_score is not None:
                cand &= s >= gr.min_score - 1e-9
            if k < best_allowed or forced:
                cand &= ~veto_sub
            if gr.share is None and gr.count is None:
                sub[cand] = k
                return
            q = quota(gr.share, gr.count, n, grading.rounding)
            if from_bottom:
                q = np.minimum(q, np.maximum(n - 1, 0))
            q = (q - (sub == k).sum(axis=1))[:, None]  # places already taken by vetoed units forced here
            cum = np.cumsum(np.take_along_axis(cand, order, axis=1), axis=1)
            cum0 = np.concatenate([np.zeros((b, 1), dtype=int), cum], axis=1)  # cum0[p] = candidates in places < p+1
            before = np.take_along_axis(cum0, lo_i - 1, axis=1)  # candidates strictly better
            through = np.take_along_axis(cum0, hi_i, axis=1)  # candidates better or tied
            if from_bottom:
                total = cum0[:, -1:]
                before, through = total - through, total - before
            edge = np.zeros_like(cand) if from_bottom else (before < q) & share_ties
            get = cand & ((through <= q) | edge)
            sub[get] = k

        if forced:
            sub[ranked & veto_sub] = names.index(veto.grade)
        for k in reversed(bottom):
            take(k, True)
        for k in top:
            take(k, False)
        sub[ranked & (sub < 0)] = fallback
        out[:, cols] = sub
    return out
