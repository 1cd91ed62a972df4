"""Grades (等次) by score bands and/or quotas within each group, vectorised over a batch of draws.

The procedure (also in ``simkit.schema.grading.Grading``):

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
   first; it then fills one place of that grade's quota (``veto.counts_in_quota: true``, the default) or comes
   on top of it (``false``: the quota still falls on the units ranked last), and takes none of any other.

Grades are returned as integer codes: 0 is the best grade, −1 a unit without a total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema.adjustments import Veto
from ..schema.grading import Grade, Grading


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


@dataclass
class _Group:
    """One group's arrays (batch, units in group) while grades are filled in."""

    score: np.ndarray
    ranked: np.ndarray
    n: np.ndarray
    order: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    vetoed: np.ndarray
    grade: np.ndarray  # filled in place; −1 = not yet graded


def _fill(grp: _Group, k: int, gr: Grade, from_bottom: bool, grading: Grading, *, excluded: bool,
          share_ties: bool, counts_forced: bool = True) -> None:
    """Give grade ``k`` to the candidates that reach it: all of them (a band) or up to its quota."""
    cand = grp.ranked & (grp.grade < 0)
    if gr.min_score is not None:
        cand &= grp.score >= gr.min_score - 1e-9
    if excluded:
        cand &= ~grp.vetoed
    if gr.share is None and gr.count is None:
        grp.grade[cand] = k
        return
    q = quota(gr.share, gr.count, grp.n, grading.rounding)
    if from_bottom:
        q = np.minimum(q, np.maximum(grp.n - 1, 0))
    if counts_forced:
        q = q - (grp.grade == k).sum(axis=1)  # places already taken by vetoed units forced here
    q = q[:, None]
    b = cand.shape[0]
    cum = np.cumsum(np.take_along_axis(cand, grp.order, axis=1), axis=1)
    cum0 = np.concatenate([np.zeros((b, 1), dtype=int), cum], axis=1)  # cum0[p] = candidates in places ≤ p
    before = np.take_along_axis(cum0, grp.lo - 1, axis=1)  # candidates strictly better
    through = np.take_along_axis(cum0, grp.hi, axis=1)  # candidates better or tied
    if from_bottom:
        total = cum0[:, -1:]
        before, through = total - through, total - before
    edge = np.zeros_like(cand) if from_bottom else (before < q) & share_ties
    grp.grade[cand & ((through <= q) | edge)] = k


def _grades_by_place(lo: np.ndarray, hi: np.ndarray, ranked: np.ndarray, grading: Grading, bottom: list[int],
                     top: list[int], fallback: int) -> np.ndarray:
    """The grading procedure for one group when no grade has a minimum score and no veto limits a grade.

    Then every quota takes whole tie blocks from the bottom or the top, so the candidates better than a unit
    (or worse, for a bottom quota) follow from its places and the number of units already taken: element-wise
    comparisons per draw instead of a sort and cumulative counts per grade.  Same grades as ``_fill``:

    - bottom quota q (after t places taken from the bottom): the unit's block is taken when the candidates
      worse than it or tied with it, n − t + 1 − lo, are at most q (a tied block at the edge is spared);
    - top quota q (after t places taken from the top): candidates better or tied, hi − t ≤ q; with
      ``ties: share`` also a block that starts inside the quota, lo − 1 − t < q.

    Draws where every unit is ranked and nothing is tied get their grades from a table of grade by place (the
    same procedure run once on places 1…m).
    """
    b, m = lo.shape
    if b > 1 and m > 1:
        clean = ranked.all(axis=1) & (lo == hi).all(axis=1)
        if clean.any():
            table = np.empty(m + 1, dtype=int)
            places = np.arange(1.0, m + 1.0)[None]
            table[1:] = _grades_by_place(places, places, np.ones((1, m), dtype=bool), grading, bottom, top,
                                         fallback)[0]
            table[0] = -1
            if clean.all():
                return table[lo.astype(np.intp)]
            out = np.empty((b, m), dtype=int)
            out[clean] = table[lo[clean].astype(np.intp)]
            rest = ~clean
            out[rest] = _grades_by_place(lo[rest], hi[rest], ranked[rest], grading, bottom, top, fallback)
            return out
    grades = grading.grades
    share_ties = grading.ties == "share"
    n = ranked.sum(axis=1)
    free = ranked.copy()  # ranked and not graded yet (NaN places never compare true)
    out = np.full((b, m), -1, dtype=int)
    taken = np.zeros(b, dtype=np.int64)
    for k in reversed(bottom):
        gr = grades[k]
        q = np.minimum(quota(gr.share, gr.count, n, grading.rounding), np.maximum(n - 1, 0))
        get = free & (lo >= (n - taken + 1 - q)[:, None])
        np.copyto(out, k, where=get)
        free ^= get  # get ⊆ free
        taken += np.count_nonzero(get, axis=1)
    taken[:] = 0
    for k in top:
        gr = grades[k]
        if gr.share is None and gr.count is None:
            np.copyto(out, k, where=free)
            free[:] = False
            continue
        edge = (quota(gr.share, gr.count, n, grading.rounding) + taken)[:, None]
        get = free & ((lo if share_ties else hi) <= edge)  # lo ≤ edge whenever hi ≤ edge
        np.copyto(out, k, where=get)
        free ^= get
        taken += np.count_nonzero(get, axis=1)
    np.copyto(out, fallback, where=free)
    return out


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
    (equal for a unit without ties); NaN for a unit without a total.  Where no grade has a score band and no
    veto limits a grade, grades follow from the places alone (``_grades_by_place``); otherwise the general
    procedure fills the grades one by one (``grades_general``).  Both give the same grades (a property test).
    """
    return _assign(score, rank_lo, rank_hi, group_codes, grading, vetoed, veto, by_place=True)


def grades_general(score: np.ndarray, rank_lo: np.ndarray, rank_hi: np.ndarray, group_codes: np.ndarray,
                   grading: Grading, vetoed: np.ndarray | None = None, veto: Veto | None = None) -> np.ndarray:
    """``assign_grades`` by the general procedure only (the reference the fast path is tested against)."""
    return _assign(score, rank_lo, rank_hi, group_codes, grading, vetoed, veto, by_place=False)


def _assign(score: np.ndarray, rank_lo: np.ndarray, rank_hi: np.ndarray, group_codes: np.ndarray, grading: Grading,
            vetoed: np.ndarray | None, veto: Veto | None, *, by_place: bool) -> np.ndarray:
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

    by_place = by_place and all(gr.min_score is None for gr in grades)
    for g in np.unique(group_codes):
        cols = np.flatnonzero(group_codes == g)
        lo = rank_lo[:, cols]
        ranked = ~np.isnan(lo)
        if by_place and not ((forced or best_allowed > 0) and vetoed[:, cols].any()):
            out[:, cols] = _grades_by_place(lo, rank_hi[:, cols], ranked, grading, bottom, top, fallback)
            continue
        grp = _Group(
            score=score[:, cols], ranked=ranked, n=ranked.sum(axis=1),
            # sorted order by place; cumulative candidate counts then say "how many candidates are better"
            order=np.argsort(np.where(ranked, lo, np.inf), axis=1, kind="stable"),
            lo=np.nan_to_num(lo, nan=1).astype(int), hi=np.nan_to_num(rank_hi[:, cols], nan=1).astype(int),
            vetoed=vetoed[:, cols], grade=out[:, cols],
        )
        if forced:
            grp.grade[ranked & grp.vetoed] = names.index(veto.grade)
        counts = veto is None or veto.counts_in_quota
        for k in reversed(bottom):
            _fill(grp, k, grades[k], True, grading, excluded=forced or k < best_allowed, share_ties=share_ties,
                  counts_forced=counts)
        for k in top:
            _fill(grp, k, grades[k], False, grading, excluded=forced or k < best_allowed, share_ties=share_ties,
                  counts_forced=counts)
        grp.grade[ranked & (grp.grade < 0)] = fallback
        out[:, cols] = grp.grade
    return out
