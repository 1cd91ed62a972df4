"""What follows from grades and ranks (结果运用): the functions, vectorised over a batch of draws.  The
parameter models are in ``simkit.schema.consequences``.

- ``bonus_factor``: the float per unit (+20% / +10% / 0 / −20%, or −1 = nothing) by grade or rank tier,
  with the veto's effect;
- ``scale_to_pool``: payouts = base × (1 + factor), scaled to a fixed pool if one is set;
- ``round_to_total``: whole yuan (or whole slots) by largest remainder, so the rounded total is exact;
- ``award_slots``: a quota of award slots shared out in proportion to a weight per grade;
- ``prize_money``: fixed prizes per grade (综合奖励) and per progress award (进步奖励);
- ``look_back``: progress awards (进步奖) and the accountability ladder (约谈 → 诫勉谈话 → 调整岗位), against the
  year before;
- ``meets_requirement`` and ``climb``: the ladder's threshold (``accountability.require``: beyond a margin, or
  in m of the last n years) and the ladder over the years that meet it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EvaluationError, Problem, ScenarioError
from ..schema.consequences import Accountability, Awards, Bonus, Prizes, Progress, Require, VetoEffects
from ..schema.grading import Grade, Grading
from .grading import assign_grades
from .ranking import group_rank, rank_desc
from .segments import Groups


def bonus_base(bonus: Bonus, units: pd.DataFrame, source: str) -> np.ndarray:
    """Base amount per unit (yuan): the base attribute (× headcount if per head) or the flat amount."""
    if bonus.amount is not None or bonus.base_attribute is None:
        base = np.full(len(units), float(bonus.amount or 0.0))
    else:
        base = unit_attribute(units, bonus.base_attribute, source, "bonus.base_attribute")
    if bonus.per_head:
        base = base * unit_attribute(units, bonus.headcount_attribute, source, "bonus.headcount_attribute")
    return base


def unit_attribute(units: pd.DataFrame, name: str, source: str, field: str) -> np.ndarray:
    if name not in units.columns:
        raise EvaluationError(Problem(source, f"the units table has no `{name}` column, which the scenario's "
                                      f"{field} names", f"add a `{name}` column to the units table, or change "
                                      f"{field} in the scenario", field=name))
    values = units[name].to_numpy(dtype=float)
    bad = np.isnan(values) | (values < 0)
    if bad.any():
        who = ", ".join(f"{u} ({n})" for u, n in zip(units["unit"][bad], units["name"][bad], strict=True))
        raise EvaluationError(Problem(source, f"`{name}` is missing or negative for {who}",
                                      f"fill in `{name}` for these units in the units table", field=name))
    return values


def tier_grading(bonus: Bonus) -> Grading:
    """The rank tiers as a quota grading (tiers first, then everyone else)."""
    grades = [Grade(name=t.name, share=t.share, count=t.count, **{"from": t.from_}) for t in bonus.tiers]
    return Grading(grades=(*grades, Grade(name="__rest__")), rounding="floor", ties="share")


def bonus_factor(bonus: Bonus, grade: np.ndarray, grade_names: tuple[str, ...], *, rank_lo: np.ndarray,
                 rank_hi: np.ndarray, score: np.ndarray, group_codes: np.ndarray, vetoed: np.ndarray,
                 veto: VetoEffects) -> np.ndarray:
    """The float per unit (batch, units); NaN for a unit without a grade."""
    if bonus.by == "grade":
        table = np.array([bonus.factors.get(n, 0.0) for n in grade_names] + [np.nan])
        factor = np.take(table, grade)  # grade −1 (none) takes the last entry, NaN
    else:
        tier = assign_grades(score, rank_lo, rank_hi, group_codes, tier_grading(bonus))
        table = np.array([t.factor for t in bonus.tiers] + [bonus.rest, np.nan])
        factor = np.take(table, tier)  # tier −1 (none) takes the last entry, NaN
    if not vetoed.any():
        return factor
    if veto.bonus == "no_increase":
        factor = np.where(vetoed, np.minimum(factor, 0.0), factor)
    elif veto.bonus == "nothing":
        factor = np.where(vetoed, -1.0, factor)
    return factor


def scale_to_pool(base: np.ndarray, factor: np.ndarray, pool: float | None,
                  capped: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Payouts (batch, units) and the scale factor per draw (1 when open-ended).

    With a pool every payout is scaled by the same factor so that they add up to the pool.  ``capped`` (batch,
    units) marks units whose payout may not exceed their base (a vetoed unit under ``no_increase``): where the
    scale would lift one above it, it gets its base and the rest of the pool is shared among the others in
    proportion to their stated payouts (again, until nobody capped is above the base).  The scale returned is
    the others' scale.

    >>> p, s = scale_to_pool(np.array([100.0, 100.0]), np.array([[0.2, -0.2]]), 300.0)
    >>> p.tolist(), s.tolist()
    ([[180.0, 120.0]], [1.5])
    >>> p, _ = scale_to_pool(np.full(3, 10_000.0), np.array([[0.0, 0.1, -0.2]]), 30_000.0,
    ...                      capped=np.array([[True, False, False]]))
    >>> p.round(2).tolist()  # A at its base; B and C share 20,000 as 11,000 : 8,000
    [[10000.0, 11578.95, 8421.05]]
    """
    raw = factor + 1.0
    none = np.isnan(raw)
    if none.any():
        raw[none] = 0.0  # no grade: nothing paid
    raw *= base
    if pool is None:
        return raw, np.ones(raw.shape[0])
    if capped is None or not capped.any():  # nobody held at a base: one scale, the loop's numbers in two passes
        total = raw.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(total > 0, pool / total, 0.0)
        raw *= scale
        return raw, scale[:, 0]
    stated = raw.copy()
    fixed = np.zeros(raw.shape, dtype=bool)
    cap = np.broadcast_to(base, raw.shape)
    while True:
        free_total = np.where(fixed, 0.0, stated).sum(axis=-1, keepdims=True)
        left = pool - np.where(fixed, cap, 0.0).sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(free_total > 0, left / free_total, 0.0)
        out = np.where(fixed, cap, stated * scale)
        if capped is None:
            return out, scale[:, 0]
        over = capped & ~fixed & (out > cap + 1e-9)
        if not over.any():
            return out, scale[:, 0]
        fixed |= over


def round_to_total(amounts: np.ndarray, total: int | np.ndarray,
                   priority: np.ndarray | list[np.ndarray] | None = None) -> np.ndarray:
    """Whole numbers that add up to ``total`` (per row): floor, then +1 for the largest remainders.

    Equal remainders go first to higher ``priority`` (e.g. −rank; a list gives keys in order), then to the
    earlier unit.

    >>> round_to_total(np.array([[1.5, 1.5, 1.0]]), 4).tolist()
    [[2, 1, 1]]
    >>> round_to_total(np.array([[1.5, 1.5, 1.0]]), 4, priority=np.array([[0.0, 1.0, 0.0]])).tolist()
    [[1, 2, 1]]
    """
    amounts = np.atleast_2d(np.asarray(amounts, dtype=float))
    floors = np.floor(amounts + 1e-9)
    left = (np.asarray(total).reshape(-1, 1) - floors.sum(axis=-1, keepdims=True)).astype(int)
    keys = [] if priority is None else [np.broadcast_to(k, amounts.shape)
                                        for k in (priority if isinstance(priority, list) else [priority])]
    order = rank_desc(amounts - floors, "first", tie_break=keys, decimals=9)
    return (floors + (order <= left)).astype(np.int64)


def award_slots(awards: Awards, grade: np.ndarray, grade_names: tuple[str, ...], rank: np.ndarray,
                headcount: np.ndarray | None, group_codes: np.ndarray, vetoed: np.ndarray,
                veto: VetoEffects, unit_ids: tuple[str, ...] | None = None) -> np.ndarray:
    """Whole award slots per unit (batch, units) adding up to the quota (per group with scope `group`).

    Equal remainders go to the better-ranked unit, then to the smaller unit id (``unit_ids``; else row order).
    """
    by_id = np.zeros(len(group_codes)) if unit_ids is None else \
        -np.argsort(np.argsort(np.array(unit_ids, dtype=object))).astype(float)
    table = np.array([awards.weights.get(n, 0.0) for n in grade_names] + [0.0])
    w = table[np.where(grade >= 0, grade, len(grade_names))]
    if awards.per_head and headcount is not None:
        w = w * headcount
    if veto.awards == "none":
        w = np.where(vetoed, 0.0, w)
    g = Groups(np.zeros(len(group_codes), dtype=int) if awards.scope == "all" else np.asarray(group_codes))
    total = g.sum(w)  # (batch, scopes)
    per_unit = g.broadcast(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        exact = np.where(per_unit > 0, awards.quota * w / per_unit, 0.0)
    quota = np.where(total > 0, awards.quota, 0)
    return g.round_to_totals(exact, quota, priority=[-np.nan_to_num(rank, nan=np.inf), by_id])


def look_back(rank: np.ndarray, score: np.ndarray, grade: np.ndarray, vetoed: np.ndarray, group_codes: np.ndarray,
              prev_rank: np.ndarray | None, prev_score: np.ndarray | None, prev_streak: np.ndarray | None, *,
              progress: Progress | None, accountability: Accountability | None, veto_progress: str,
              grade_names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Compare one year with the year before (``prev_*`` None: there is none) and advance the ladder.

    Arrays have the units on the last axis (any leading batch axes).  Returns last year's rank, places
    gained (positive = up), the score's change, the progress award, the bottom streak (consecutive years in
    the bottom tier, this one included) and the accountability step (index into the steps, −1 = none).

    >>> r = look_back(np.array([2.0, 1.0]), np.array([80.0, 90.0]), np.array([1, 0]), np.zeros(2, bool),
    ...               np.zeros(2, int), np.array([1.0, 2.0]), np.array([85.0, 70.0]), np.array([0, 0]),
    ...               progress=None, accountability=Accountability(bottom_grades=("B",)), veto_progress="keep",
    ...               grade_names=("A", "B"))
    >>> r[1].tolist(), r[4].tolist(), r[5].tolist()
    ([-1.0, 1.0], [1, 0], [0, -1])
    """
    shape = np.shape(rank)
    pr = np.full(shape, np.nan) if prev_rank is None else np.broadcast_to(prev_rank, shape).astype(float)
    ps = np.full(shape, np.nan) if prev_score is None else np.broadcast_to(prev_score, shape).astype(float)
    rank_gain = pr - rank
    score_gain = score - ps
    award = np.zeros(shape, dtype=bool)
    if progress is not None and prev_rank is not None:
        excluded = [grade_names.index(g) for g in progress.exclude_grades if g in grade_names]
        allowed = ~np.isin(grade, excluded)
        if veto_progress == "exclude":
            allowed &= ~vetoed
        if progress.rule == "places":
            with np.errstate(invalid="ignore"):
                award = allowed & (rank_gain >= progress.min_places)
        else:
            with np.errstate(invalid="ignore"):
                gain = np.where(allowed & (score_gain > progress.min_gain), score_gain, np.nan)
            place = group_rank(gain, group_codes, "min")
            with np.errstate(invalid="ignore"):
                award = place <= progress.top_n
    streak = np.zeros(shape, dtype=int)
    step = np.full(shape, -1)
    if accountability is not None:
        bottom = np.isin(grade, [grade_names.index(g) for g in accountability.bottom_grades if g in grade_names])
        before = np.zeros(shape, dtype=int) if prev_streak is None else np.broadcast_to(prev_streak, shape)
        streak = np.where(bottom, before + 1, 0)
        step = np.where(streak > 0, np.minimum(streak, len(accountability.steps)) - 1, -1)
    return pr, rank_gain, score_gain, award, streak, step


def meets_requirement(bottom: np.ndarray, score: np.ndarray, group_codes: np.ndarray, require: Require,
                      before: np.ndarray | None = None) -> np.ndarray:
    """Which bottom-tier years count for the ladder under ``require`` (batch, years, units), all years at once.

    ``bottom`` marks the units in the bottom tier, consecutive years along axis −2; ``score`` is the score
    graded (the smoothed one with ``ranking.smooth_years``); ``before`` (batch, k, units) the bottom flags of
    the k years before the first (oldest first), None: no year before.  ``margin``: at least that many points
    below the lowest score of the group outside the bottom tier (nobody outside it: met).  ``in_last``: in the
    bottom tier in at least m of the last n years, this one included (only the years there are).

    >>> from simkit.schema.consequences import Require
    >>> bottom = np.array([[[False, False, True]]]); score = np.array([[[80.0, 70.0, 68.5]]])
    >>> meets_requirement(bottom, score, np.zeros(3, int), Require(margin=1.0)).tolist()
    [[[False, False, True]]]
    >>> meets_requirement(bottom, score, np.zeros(3, int), Require(margin=2.0)).tolist()
    [[[False, False, False]]]
    """
    bottom = np.asarray(bottom, dtype=bool)
    parts = []
    if require.margin is not None:
        g = Groups(np.asarray(group_codes))
        with np.errstate(invalid="ignore"):
            lowest = g.broadcast(g.nanmin(np.where(bottom, np.nan, score)))  # lowest score outside the bottom
            parts.append(bottom & (np.isnan(lowest) | (lowest - score >= require.margin - 1e-9)))
    if require.in_last is not None:
        m, n = require.in_last.m, require.in_last.n
        flags = bottom if before is None or n == 1 else np.concatenate(
            [np.asarray(before, dtype=bool)[..., -(n - 1):, :], bottom], axis=-2)
        count = np.zeros(flags.shape, dtype=int)
        y = flags.shape[-2]
        for lag in range(min(n, y)):  # the window's years, one shift each
            count[..., lag:, :] += flags[..., : y - lag, :]
        parts.append(bottom & (count[..., y - bottom.shape[-2]:, :] >= m))
    if len(parts) == 1:
        return parts[0]
    return (parts[0] | parts[1]) if require.combine == "any" else (parts[0] & parts[1])


def climb(counts: np.ndarray, before: np.ndarray | None, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The ladder over years that count (batch, years, units): consecutive counting years (``before`` (batch,
    units) of them up to the year before the first) and the step, an index into the steps (−1 = none; the last
    step repeats).

    >>> run, step = climb(np.array([[[True], [True], [False], [True]]]), None, 3)
    >>> run.ravel().tolist(), step.ravel().tolist()
    ([1, 2, 0, 1], [0, 1, -1, 0])
    """
    counts = np.asarray(counts, dtype=bool)
    run = np.zeros(counts.shape, dtype=int)
    prev = np.zeros(counts.shape[:-2] + counts.shape[-1:], dtype=int) if before is None else before
    for y in range(counts.shape[-2]):  # years in order: each continues the one before
        prev = np.where(counts[..., y, :], prev + 1, 0)
        run[..., y, :] = prev
    return run, np.where(run > 0, np.minimum(run, n_steps) - 1, -1)


def prize_money(prizes: Prizes, grade: np.ndarray, grade_names: tuple[str, ...], *,
                progress_award: np.ndarray | None, vetoed: np.ndarray, source: str = "scenario") -> np.ndarray:
    """Prize money per unit (yuan, same shape as ``grade``): the grade's prize plus the progress prize for a
    progress award; nothing for a unit without a grade, nor (``vetoed: none``) for a vetoed unit.

    >>> p = Prizes(by_grade={"A": 100_000}, progress=50_000)
    >>> prize_money(p, np.array([0, 1, 0, -1]), ("A", "B"), progress_award=np.array([False, True, True, True]),
    ...             vetoed=np.array([False, False, True, False])).tolist()
    [100000.0, 50000.0, 0.0, 50000.0]
    """
    unknown = [g for g in prizes.by_grade if g not in grade_names]
    if unknown:
        raise ScenarioError(Problem(source, f"consequences.prizes.by_grade names {', '.join(map(repr, unknown))}, "
                                    "which is not a grade of this scenario",
                                    f"use the grades {', '.join(grade_names)}", field="consequences.prizes.by_grade"))
    table = np.array([float(prizes.by_grade.get(n, 0.0)) for n in grade_names] + [0.0])
    out = table[np.where(grade >= 0, grade, len(grade_names))]  # no grade: the last entry, nothing
    if prizes.progress is not None and progress_award is not None:
        out = out + float(prizes.progress) * np.asarray(progress_award, dtype=bool)
    if prizes.vetoed == "none":
        out = np.where(vetoed, 0.0, out)
    return out
