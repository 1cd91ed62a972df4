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
from .segments import Groups


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
    """The arrays (batch, units) of every group while grades are filled in; ``n`` (batch, groups) counts the
    units with a total per group."""

    groups: Groups
    score: np.ndarray
    ranked: np.ndarray
    n: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    vetoed: np.ndarray
    grade: np.ndarray  # filled in place; −1 = not yet graded


def _fill(grp: _Group, k: int, gr: Grade, from_bottom: bool, grading: Grading, *, excluded: bool,
          share_ties: bool, counts_forced: bool = True) -> None:
    """Give grade ``k`` to the candidates that reach it: all of them (a band) or up to its quota, in every
    group at once: a unit's candidates better than it (or tied) are counted by place within its group."""
    g = grp.groups
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
        q = q - g.count(grp.grade == k)  # places already taken by vetoed units forced here
    q = g.broadcast(q)
    table = g.counts_by_place(cand, grp.lo)
    before = g.at_place(table, grp.lo - 1)  # candidates strictly better
    through = g.at_place(table, grp.hi)  # candidates better or tied
    if from_bottom:
        total = g.broadcast(g.count(cand))
        before, through = total - through, total - before
    take = through <= q
    if share_ties and not from_bottom:
        take |= before < q
    grp.grade[cand & take] = k


def _grades_by_place(lo: np.ndarray, hi: np.ndarray, ranked: np.ndarray, groups: Groups, grading: Grading,
                     bottom: list[int], top: list[int], fallback: int) -> np.ndarray:
    """The grading procedure when no grade has a minimum score and no veto limits a grade, element-wise.

    Then every quota takes whole tie blocks from the bottom or the top, so the candidates better than a unit
    (or worse, for a bottom quota) follow from its places, its group's size and the number of its group's units
    already taken: comparisons per unit and a count per group and grade, instead of counting candidates by
    place per grade.  Same grades as ``_fill``:

    - bottom quota q (after t places taken from the bottom): the unit's block is taken when the candidates
      worse than it or tied with it, n − t + 1 − lo, are at most q (a tied block at the edge is spared);
    - top quota q (after t places taken from the top): candidates better or tied, hi − t ≤ q; with
      ``ties: share`` also a block that starts inside the quota, lo − 1 − t < q.

    Draws where every unit is ranked and nothing is tied get their grades from a table of grade by place and
    group (the same procedure run once on places 1…m of every group).
    """
    b, m = lo.shape
    if b > 1 and m > 1:
        clean = ranked.all(axis=1) & (lo == hi).all(axis=1)
        if clean.any():
            places = (groups.position - groups.unit_start + 1.0)[None]  # each unit at one place of its group
            table = np.empty(m, dtype=int)  # by slot of the layout: group start + place − 1
            table[groups.position] = _grades_by_place(places, places, np.ones((1, m), dtype=bool), groups,
                                                      grading, bottom, top, fallback)[0]
            if clean.all():
                return table[groups.unit_start + lo.astype(np.intp) - 1]
            out = np.empty((b, m), dtype=int)
            out[clean] = table[groups.unit_start + lo[clean].astype(np.intp) - 1]
            rest = ~clean
            out[rest] = _grades_by_place(lo[rest], hi[rest], ranked[rest], groups, grading, bottom, top, fallback)
            return out
    grades = grading.grades
    share_ties = grading.ties == "share"
    n = groups.count(ranked)  # (b, groups)
    free = ranked.copy()  # ranked and not graded yet (NaN places never compare true)
    out = np.full((b, m), -1, dtype=int)
    taken = np.zeros(n.shape, dtype=np.int64)  # per group
    for j, k in enumerate(reversed(bottom)):
        gr = grades[k]
        q = np.minimum(quota(gr.share, gr.count, n, grading.rounding), np.maximum(n - 1, 0))
        get = free & (lo >= groups.broadcast(n - taken + 1 - q))
        np.copyto(out, k, where=get)
        free ^= get  # get ⊆ free
        if j < len(bottom) - 1:
            taken += groups.count(get)
    taken[:] = 0
    for j, k in enumerate(top):
        gr = grades[k]
        if gr.share is None and gr.count is None:
            np.copyto(out, k, where=free)
            free[:] = False
            continue
        edge = groups.broadcast(quota(gr.share, gr.count, n, grading.rounding) + taken)
        get = free & ((lo if share_ties else hi) <= edge)  # lo ≤ edge whenever hi ≤ edge
        np.copyto(out, k, where=get)
        free ^= get
        if j < len(top) - 1:
            taken += groups.count(get)
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

    groups = Groups(np.asarray(group_codes))
    ranked = ~np.isnan(rank_lo)
    # A veto that forces or caps a grade needs the general procedure in the draws where a unit is vetoed; the
    # other draws (and every draw without such a veto) may go by place.
    by_place = by_place and all(gr.min_score is None for gr in grades)
    general = np.ones(b, dtype=bool) if not by_place else \
        vetoed.any(axis=1) if forced or best_allowed > 0 else np.zeros(b, dtype=bool)
    if not general.any():
        return _grades_by_place(rank_lo, rank_hi, ranked, groups, grading, bottom, top, fallback)
    if by_place:
        # Grades are given group by group: in a draw with a vetoed unit, only its group needs the general
        # procedure; the other groups go by place (the same grades).  Run the general one on those groups' units.
        hit = groups.count(vetoed[general]).any(axis=0)[groups.index]  # (units,): a group with a vetoed unit
        if not hit.all():
            out = _grades_by_place(rank_lo, rank_hi, ranked, groups, grading, bottom, top, fallback)
            if hit.any():
                rows = np.flatnonzero(general)
                cols = np.flatnonzero(hit)
                sub = np.ix_(rows, cols)
                out[sub] = _assign(score[sub], rank_lo[sub], rank_hi[sub], np.asarray(group_codes)[cols], grading,
                                   vetoed[sub], veto, by_place=False)
            return out
    if not general.all():
        out[~general] = _grades_by_place(rank_lo[~general], rank_hi[~general], ranked[~general], groups, grading,
                                         bottom, top, fallback)
    rows = np.flatnonzero(general) if not general.all() else slice(None)
    ranked_g = ranked[rows]
    grp = _Group(
        groups=groups, score=score[rows], ranked=ranked_g, n=groups.count(ranked_g),
        lo=np.nan_to_num(rank_lo[rows], nan=1).astype(np.intp), hi=np.nan_to_num(rank_hi[rows], nan=1).astype(np.intp),
        vetoed=vetoed[rows], grade=np.full(ranked_g.shape, -1, dtype=int),
    )
    if forced:
        grp.grade[ranked_g & grp.vetoed] = names.index(veto.grade)
    counts = veto is None or veto.counts_in_quota
    for k in reversed(bottom):
        _fill(grp, k, grades[k], True, grading, excluded=forced or k < best_allowed, share_ties=share_ties,
              counts_forced=counts)
    for k in top:
        _fill(grp, k, grades[k], False, grading, excluded=forced or k < best_allowed, share_ties=share_ties,
              counts_forced=counts)
    grp.grade[ranked_g & (grp.grade < 0)] = fallback
    out[rows] = grp.grade
    return out


def margin_blocks(score: np.ndarray, group_codes: np.ndarray, margin: float, rank_lo: np.ndarray,
                  rank_hi: np.ndarray, apart: np.ndarray | None = None, decimals: int | None = 6,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The first and last place of each unit's tie block for grading under a tolerance band (``tie_margin``).

    Within each group, in rank order, a unit whose score is less than ``margin`` above the next one's is tied
    with it; chains of such pairs form one block (so a block may span more than ``margin`` from end to end).
    ``apart`` (batch, units) splits units that the ranking keeps apart whatever their scores (vetoed units
    ranked last: ``True`` ranks below ``False``).  The ranking's own tie blocks (``rank_lo``/``rank_hi``) are
    always inside one block.  ``margin`` 0 gives them back unchanged; units without a score keep NaN.

    >>> lo, hi = margin_blocks(np.array([[90.0, 89.5, 89.2, 80.0, 70.0]]), np.zeros(5, int), 0.6,
    ...                        np.array([[1.0, 2, 3, 4, 5]]), np.array([[1.0, 2, 3, 4, 5]]))
    >>> lo.tolist(), hi.tolist()
    ([[1.0, 1.0, 1.0, 4.0, 5.0]], [[3.0, 3.0, 3.0, 4.0, 5.0]])
    """
    if margin <= 0:
        return rank_lo, rank_hi
    s = np.asarray(score, dtype=float)
    b, n = s.shape
    if decimals is not None:
        s = np.round(s, decimals)
    missing = np.isnan(s)
    cls = np.zeros((b, n)) if apart is None else np.asarray(apart, dtype=float)
    cls = np.where(missing, 2.0, cls)  # unranked last, after the units ranked apart
    g = Groups(np.asarray(group_codes))
    order = g.sort_order([cls, -s])  # (b, n): the units group by group, in rank order
    ss, cs = np.take_along_axis(s, order, -1), np.take_along_axis(cls, order, -1)
    same_group = g.slot_group[1:] == g.slot_group[:-1]
    with np.errstate(invalid="ignore"):
        tied = same_group & (cs[:, 1:] == cs[:, :-1]) & (ss[:, :-1] - ss[:, 1:] < margin)
    new = np.ones((b, n), dtype=bool)
    new[:, 1:] = ~tied
    end = np.ones((b, n), dtype=bool)
    end[:, :-1] = new[:, 1:]
    pos = np.arange(n)
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    last = np.minimum.accumulate(np.where(end, pos, n)[:, ::-1], axis=-1)[:, ::-1]
    lo, hi = np.empty((b, n)), np.empty((b, n))
    np.put_along_axis(lo, order, (first - g.slot_start + 1).astype(float), axis=-1)
    np.put_along_axis(hi, order, (last - g.slot_start + 1).astype(float), axis=-1)
    lo[missing], hi[missing] = np.nan, np.nan
    return np.minimum(lo, rank_lo), np.maximum(hi, rank_hi)
