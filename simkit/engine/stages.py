"""The pipeline's stages over arrays with two leading axes, draws × years: leaf → total → rank and grade →
money → look back.

Every stage takes the plan, what it reads and the year indices evaluated, and returns named arrays of shape
``(D, Y, U, ...)``; the same code serves one evaluation (D = 1), every year of a history (Y years at once), a
Monte Carlo block (D draws) and a projection (D paths).  A rule that cannot be applied to some cells does not
stop the stage: the cells are left out (as missing) and recorded as an ``Issue``, which the caller turns into
an error naming the unit, indicator and year (``evaluate``) or reports (a projection).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import RuleInputError
from ..rules.adjustments import fired_condition
from ..rules.consequences import (
    award_slots,
    bonus_base,
    bonus_factor,
    climb,
    look_back,
    meets_requirement,
    prize_money,
    scale_to_pool,
    unit_attribute,
)
from ..rules.grading import assign_grades, margin_blocks
from ..rules.measures import MEASURES
from ..rules.missing import EXCLUDE, PENALTY, PREVIOUS, carry_forward, fill_shares
from ..rules.ranking import group_rank, group_ranks, trailing_mean
from ..rules.scoring import score
from ..rules.targets import TargetContext, compute_target
from .aggregate import aggregate, all_arithmetic
from .compile import Inputs, Plan


# ================================================================================================ leaves
@dataclass(frozen=True)
class Issue:
    """Cells a rule could not be applied to: ``kind`` is ``base`` (growth from a zero or negative base),
    ``target`` (a target that cannot be computed) or ``rule`` (the scoring rule refused the values, with its
    message and fix); ``mask`` (D, Y, U, k) marks the cells among the rule set's leaves."""

    kind: str
    rule_set: int
    measure: str
    mask: np.ndarray
    message: str = ""
    fix: str = ""

    def years(self) -> np.ndarray:
        """Indices (into the evaluated years) of the years with such cells."""
        return np.flatnonzero(self.mask.any(axis=(0, 2, 3)))


@dataclass(frozen=True)
class LeafStage:
    """Per draw, year, unit and leaf: the value and the blended share (NaN: missing or not applicable); per
    measure of the blend (the ``measure`` axis), the measured value, the target and the share.

    ``weight`` (L, M) is each leaf's blend weight per measure (0: the leaf does not measure it).  The per-measure
    arrays are None when the stage was asked for the shares only (``detail=False``).
    """

    value: np.ndarray  # (D, Y, U, L)
    share: np.ndarray  # (D, Y, U, L)
    measures: tuple[str, ...]
    weight: np.ndarray  # (L, M)
    measured: np.ndarray | None  # (D, Y, U, L, M)
    target: np.ndarray | None  # (D, Y, U, L, M)
    part_share: np.ndarray | None  # (D, Y, U, L, M)
    issues: tuple[Issue, ...] = ()
    filled: np.ndarray | None = None  # (D, Y, U, L) int8: the missing-data policy that filled a cell, 0 = none
    penalty: np.ndarray | None = None  # (D, Y, U) points deducted for missing cells (policy `penalty`)
    excluded: np.ndarray | None = None  # (D, Y, U) bool: not ranked, a missing cell under policy `exclude`
    # the lean stage's: share × 100 with 0 where missing, C-contiguous (D·Y, U, L), and the cells with a share
    # (U, L), the same in every draw and year: what the collapsed totals read
    scores: np.ndarray | None = None
    have: np.ndarray | None = None


def _score_cells(rule, m: np.ndarray, q: np.ndarray, d: np.ndarray, codes: np.ndarray,
                 issues: list[Issue], key: tuple[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Shares (D, Y, U, k), leaving out (as missing) any cells the rule refuses; returns the shares and ``m``."""
    shape = m.shape
    flat = (-1, *shape[2:])
    m, q = m.reshape(flat), q.reshape(flat)
    for _ in range(4):  # each refusal removes its cells; a rule refuses a given cause once
        try:
            return score(rule, m, q, d, codes).reshape(shape), m.reshape(shape)
        except RuleInputError as exc:
            mask = np.asarray(exc.mask, dtype=bool) & ~np.isnan(m)
            if not mask.any():
                raise
            issues.append(Issue("rule", key[0], key[1], mask.reshape(shape), exc.message, exc.fix))
            m = np.where(mask, np.nan, m)
    return score(rule, m, q, d, codes).reshape(shape), m.reshape(shape)


def leaf_stage(plan: Plan, inputs: Inputs, ts: Sequence[int], *, detail: bool = True) -> LeafStage:
    """Measures, targets and shares of every leaf for the year indices ``ts`` (all at once).

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan, inputs_of
    >>> plan = compile_plan(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data())
    >>> leaf = leaf_stage(plan, inputs_of(plan), [3, 4])
    >>> leaf.share.shape[:2], leaf.measures
    ((1, 2), ('level', 'increment', 'growth'))
    """
    if plan.profiles:  # rules per group (scenario.groups): each profile's rules for its units
        from .groups import leaf_stage as by_profile

        return by_profile(plan, inputs, ts, detail=detail)
    x = inputs.values if inputs.values.ndim == 4 else inputs.values[None]
    # Only the years the rules read: the earliest window start up to the last evaluated year.
    t_data = list(ts)
    lo = min(plan.first_read(t) for t in t_data)
    x = x[..., lo : max(t_data) + 1]
    assigned = inputs.assigned[..., lo : max(t_data) + 1]
    ts = [t - lo for t in t_data]
    gaps = plan.tree.applicable[..., None] & np.isnan(x[..., ts])  # evaluated years' values not reported
    if plan.missing.max_years.any():  # previous_year: carry the last reported value forward
        x = carry_forward(x, plan.missing.max_years)
    d, u, n_l, _ = x.shape
    ny = len(ts)
    app = plan.tree.applicable  # (U, L)
    measures = tuple(m for m in MEASURES if any(m in rs.rule.measures for rs in plan.rule_sets))
    weight = np.zeros((n_l, len(measures)))
    shape = (d, ny, u, n_l)
    share = np.zeros(shape)
    parts = [np.full((*shape, len(measures)), np.nan) for _ in range(3)] if detail else None
    issues: list[Issue] = []
    for ri, rs in enumerate(plan.rule_sets):
        idx, rule = rs.leaves, rs.rule
        needs = rule.scoring.needs_target
        app_k = app[:, idx]
        run = _as_run(idx)  # a run of leaves is read as a view, not copied
        ctx = TargetContext(np.moveaxis(assigned[:, run, :], 0, 1), plan.group_codes,
                            plan.direction[idx][:, None], plan.years[lo : lo + x.shape[-1]])
        # a year before the rules' history is an error; a gap in the history is a missing cell (policy)
        too_early = np.array([t < rs.lag + (rule.target.min_span if needs else 0) for t in t_data])[:, None, None]
        # the rule set's leaves, read by every measure of its blend: copied (contiguous) for a blend of measures
        x_k = x[:, :, run, :] if len(rule.measures) == 1 else x[:, :, idx, :]
        blend = np.zeros((*shape[:-1], len(idx)))  # its leaves' blend (rule sets partition the leaves)
        for name, w in rule.measures.items():
            series, bad = MEASURES[name](x_k)  # (D, U, k, T)
            ser = np.moveaxis(series, 1, 2)  # (D, k, U, T): units next to years for target rules
            q = np.stack([np.moveaxis(compute_target(rule.target, ser, ty, ctx), 1, 2) for ty in ts], axis=1)
            m = np.stack([series[..., ty] for ty in ts], axis=1)  # (D, Y, U, k), NaN where a leaf does not apply
            np.copyto(m, np.nan, where=~app_k)
            if bad.any():  # a zero or negative base in some year read (a level or increment has none)
                used_bad = np.stack([bad[..., ty] | bad[..., list(rule.target.window(ty))].any(axis=-1)
                                     for ty in ts], axis=1)
                used_bad &= app_k
            else:
                used_bad = np.zeros(m.shape, dtype=bool)
            if rule.nonpositive_base == "error" and used_bad.any():
                issues.append(Issue("base", ri, name, used_bad))
                m = np.where(used_bad, np.nan, m)
            if needs:
                missing_target = ~np.isnan(m) & np.isnan(q)
                if rule.nonpositive_base == "missing":  # a target read from a zero base is missing, as its growth
                    missing_target &= ~used_bad
                if rule.target.rule != "assigned":  # a gap in the history years: a missing cell, not an error
                    missing_target &= too_early
                if missing_target.any():
                    issues.append(Issue("target", ri, name, missing_target))
                    m = np.where(missing_target, np.nan, m)
            s, m_used = _score_cells(rule.scoring, m, q, plan.direction[idx], plan.group_codes, issues, (ri, name))
            k = measures.index(name)
            weight[idx, k] = w
            if parts is not None:
                parts[0][..., idx, k] = m_used
                parts[1][..., idx, k] = q
                parts[2][..., idx, k] = s
            blend += w * s  # NaN in any part makes the blend missing
        share[..., idx] = blend
    np.copyto(share, np.nan, where=~app)  # in place: share is this stage's own array
    share, filled, penalty, excluded = _missing_cells(plan, share, issues, gaps.transpose(0, 3, 1, 2))
    value = np.stack([x[..., ty] for ty in ts], axis=1).astype(float, copy=False)
    np.copyto(value, np.nan, where=~app)
    measured, target, part_share = parts if parts is not None else (None, None, None)
    return LeafStage(value, share, measures, weight, measured, target, part_share, tuple(issues), filled, penalty,
                     excluded)


def _as_run(idx: np.ndarray) -> np.ndarray | slice:
    """Leaf indices as a slice when they are a run (``a, a+1, …, b``): indexing then gives a view, not a copy.

    >>> _as_run(np.array([2, 3, 4])), _as_run(np.array([0, 2]))
    (slice(2, 5, None), array([0, 2]))
    """
    if len(idx) and idx[-1] - idx[0] == len(idx) - 1 and (np.diff(idx) == 1).all():
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _missing_cells(plan: Plan, share: np.ndarray, issues: list[Issue], gaps: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply the missing-data policy to every cell that applies and has no share (not a cell of an issue,
    which the caller reports): the shares filled, which policy filled each cell, penalty points, left out.
    ``gaps`` (D, Y, U, L) marks the evaluated years' values not reported."""
    mp = plan.missing
    missing = plan.tree.applicable & np.isnan(share)
    if not missing.any():  # nothing to fill (every cell of a projection's simulated years): the same arrays
        points = np.where(np.where(mp.max_years > 0, mp.then, mp.code) == PENALTY, mp.penalty, 0.0)
        if not np.signbit(points).any():  # no −0 point: the penalty is +0 everywhere, as the sum gives
            filled = np.zeros(share.shape, dtype=np.int8)
            filled[gaps] = PREVIOUS  # reported late: carried forward and scored
            return share, filled, np.zeros(share.shape[:-1]), np.zeros(share.shape[:-1], dtype=bool)
    for issue in issues:  # an error, or left out and reported by the caller: not a missing value
        rs = plan.rule_sets[issue.rule_set]
        hit = np.zeros(share.shape, dtype=bool)
        hit[..., rs.leaves] = issue.mask
        missing &= ~hit
    carried = gaps & ~missing  # reported late: carried forward and scored
    code = np.where(mp.max_years > 0, mp.then, mp.code)  # beyond the years a value may be carried
    d = share.shape[0] * share.shape[1]
    flat = share.reshape(d, *share.shape[2:])
    filled_share = fill_shares(flat, missing.reshape(flat.shape), code, plan.group_codes).reshape(share.shape)
    filled = np.where(missing, code, 0).astype(np.int8)
    filled[carried] = PREVIOUS
    penalty = (missing * np.where(code == PENALTY, mp.penalty, 0.0)).sum(axis=-1)
    excluded = (missing & (code == EXCLUDE)).any(axis=-1)
    return filled_share, filled, penalty, excluded




# ================================================================================================ totals
@dataclass(frozen=True)
class TotalStage:
    """Per draw, year and unit: node scores (100-point indicator scale), the effective weight of each node
    (the share of the root it carries; None when only the ranking's nodes were asked for), the points before
    adjustments, bonus and deducted points, the veto (and the index of the veto condition that fired, −1 for
    none) and the final total.  ``smoothed`` is the score ranked and graded when ``ranking.smooth_years`` > 1
    (``smooth_stage``), else None (the final total is)."""

    node_score: np.ndarray | None  # (D, Y, U, N); None: ``full=False`` and no tie-break nodes (the total only)
    effective: np.ndarray | None  # (D, Y, U, N)
    base: np.ndarray  # (D, Y, U)
    bonus: np.ndarray
    deduction: np.ndarray
    vetoed: np.ndarray
    veto_condition: np.ndarray
    final: np.ndarray
    smoothed: np.ndarray | None = None  # (D, Y, U)

    @property
    def standing(self) -> np.ndarray:
        """The score ranked and graded: the smoothed one if set, else the final total."""
        return self.final if self.smoothed is None else self.smoothed


def smooth_after(plan: Plan, totals: TotalStage, before: np.ndarray | None) -> TotalStage:
    """``smooth_stage`` for consecutive years whose earlier years' totals are given: ``before`` (D, k, U), the
    totals of the k years before the first (oldest first; a projection's last observed years), or None.

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan, inputs_of
    >>> sc = simkit.load_scenario("reform_stable")  # smooth_years: 3
    >>> plan = compile_plan(sc, simkit.load_data()); inputs = inputs_of(plan)
    >>> t = total_stage(plan, inputs, leaf_stage(plan, inputs, [5, 6, 7]), [5, 6, 7])
    >>> bool(np.allclose(smooth_after(plan, t, None).smoothed[:, -1], t.final.mean(axis=1)))
    True
    """
    k = plan.scenario.ranking.smooth_years
    if k <= 1:
        return totals
    final = totals.final
    if before is not None:
        b = np.broadcast_to(before, (final.shape[0], *np.shape(before)[1:]))[:, -(k - 1):]
        final = np.concatenate([b, final], axis=1)
    return replace(totals, smoothed=trailing_mean(final, k, axis=1)[:, -totals.final.shape[1]:])


def total_stage(plan: Plan, inputs: Inputs, leaf: LeafStage, ts: Sequence[int], weights: np.ndarray | None = None,
                *, full: bool = True) -> TotalStage:
    """Aggregate up the tree (weights (N,) or (D, N) per draw), add bonus points, deduct, apply vetoes.

    ``full=False`` computes only what ranking needs (the root and the tie-break nodes), by collapsed leaf
    weights where the tree allows it: the Monte Carlo's fast path.  Its ``node_score`` holds the tie-break
    nodes (the others NaN), or is None when the ranking breaks no ties by node (the total is ``base``).
    """
    if plan.profiles:  # weights per group (scenario.groups): each profile's weights for its units
        from .groups import total_stage as by_profile

        return by_profile(plan, inputs, leaf, ts, weights, full=full)
    tree = plan.tree
    d, ny, u, n_l = leaf.share.shape
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and w.ndim == 2 and ny > 1:
        w = np.repeat(w, ny, axis=0)  # one row per draw and year
    nodes = None if full else (len(tree.nodes) - 1, *(tree.index(n) for n in plan.scenario.ranking.tie_break))
    if leaf.scores is not None and nodes is not None and all_arithmetic(tree):  # the lean stage's, as they are
        node, eff = aggregate(tree, leaf.scores, w, nodes=nodes, have=leaf.have)
    else:
        node, eff = aggregate(tree, leaf.share.reshape(d * ny, u, n_l) * 100.0, w, nodes=nodes)
    b = node.shape[0] // ny
    node = node.reshape(b, ny, u, -1)
    eff = None if eff is None else eff.reshape(b, ny, u, -1)
    root = node[..., -1] if nodes is None else node[..., 0]
    if nodes is not None:  # the asked nodes in their places on the node axis, for the tie-breaks
        node = None if len(nodes) == 1 else _on_node_axis(node, nodes, len(tree.nodes))
    base = root * (plan.scenario.total / 100.0) if plan.scenario.total != 100.0 else root
    cols = list(ts)
    fired = fired_condition(plan.scenario.adjustments.veto.conditions, leaf.value, tree.leaves,
                            missing_fires=plan.missing.veto, applies=tree.applicable)
    fired = np.broadcast_to(fired, base.shape)
    vetoed = (fired >= 0) | inputs.veto[:, cols].T
    points = inputs.bonus[:, cols], inputs.deduction[:, cols]
    bonus, deduction = (np.broadcast_to(p.T, base.shape) for p in points)
    penalty = leaf.penalty is not None and bool(leaf.penalty.any())
    if penalty:  # points deducted for cells not reported (missing-data policy `penalty`)
        deduction = deduction + leaf.penalty
    # (any() before broadcasting)
    final = base + bonus - deduction if points[0].any() or points[1].any() or penalty else base
    if leaf.excluded is not None and leaf.excluded.any():  # not ranked or graded this year (policy `exclude`)
        final = np.where(leaf.excluded, np.nan, final)
    return TotalStage(node, eff, base, bonus, deduction, vetoed, fired, final)


def _on_node_axis(compact: np.ndarray, nodes: tuple[int, ...], n: int) -> np.ndarray:
    """Scores of some nodes (..., len(nodes)) in their places on a node axis of length ``n`` (others NaN)."""
    out = np.full((*compact.shape[:-1], n), np.nan)
    out[..., list(nodes)] = compact
    return out


def smooth_stage(plan: Plan, inputs: Inputs, ts: Sequence[int], totals: TotalStage,
                 weights: np.ndarray | None = None, *, detail: bool = True) -> TotalStage:
    """The totals with ``smoothed``, the mean of each unit's totals over the evaluated year and the
    ``ranking.smooth_years − 1`` before it (``rules.ranking.trailing_mean``); the same totals when k = 1.

    The earlier years not in ``ts`` are evaluated here (from the first year the rules can evaluate,
    ``plan.history``; fewer years where the data start later), with the same inputs and weights; a year whose
    totals the tree cannot aggregate is left out, as is a unit-year without a total (cells the rules cannot
    evaluate in an earlier year are left out as the stages leave them, without an error: the evaluated year's
    own problems are the ones reported).  A unit without a total in the evaluated year has no smoothed score
    (it is not ranked).

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan, inputs_of
    >>> sc = simkit.load_scenario("yiyang_2018_reform")
    >>> sc = sc.model_copy(update={"ranking": sc.ranking.model_copy(update={"smooth_years": 2})})
    >>> plan = compile_plan(sc, simkit.load_data()); inputs = inputs_of(plan)
    >>> t = smooth_stage(plan, inputs, [7], total_stage(plan, inputs, leaf_stage(plan, inputs, [7]), [7]))
    >>> both = total_stage(plan, inputs, leaf_stage(plan, inputs, [6, 7]), [6, 7]).final  # 2017 and 2018
    >>> bool(np.allclose(t.smoothed[:, 0], both.mean(axis=1)))
    True
    """
    k = plan.scenario.ranking.smooth_years
    if k <= 1:
        return totals
    ts = list(ts)
    extra = sorted({e for t in ts for e in range(max(plan.history, 0, t - k + 1), t)} - set(ts))
    finals = {t: totals.final[:, y] for y, t in enumerate(ts)}
    batches = [extra] if extra else []
    while batches:
        years = batches.pop()
        try:
            leaf = leaf_stage(plan, inputs, years, detail=detail)
            more = total_stage(plan, inputs, leaf, years, weights, full=detail).final
        except RuleInputError:  # one year at a time, leaving out those the tree cannot aggregate
            if len(years) > 1:
                batches += [[e] for e in years]
            continue
        finals.update({e: np.broadcast_to(more[:, j], totals.final[:, 0].shape) for j, e in enumerate(years)})
    span = range(min(finals), max(finals) + 1)  # every year index in between, missing ones as NaN
    blank = np.full(totals.final[:, 0].shape, np.nan)
    panel = np.stack([finals.get(e, blank) for e in span], axis=1)  # (D, years, U)
    mean = trailing_mean(panel, k, axis=1)
    return replace(totals, smoothed=mean[:, [t - span.start for t in ts]])


# ====================================================================================== ranks and grades
@dataclass(frozen=True)
class RankStage:
    """Per draw, year and unit: rank within the group (the scenario's tie rule), the first and last place of
    its tie block, and the grade code (0 = best, −1 = none)."""

    rank: np.ndarray
    rank_lo: np.ndarray
    rank_hi: np.ndarray
    grade: np.ndarray


def rank_stage(plan: Plan, totals: TotalStage) -> RankStage:
    """Rank within groups (stated tie rule and tie-breaks; vetoed units last if so set), then grade (ties
    widened by ``grading.tie_margin``).  The score ranked is ``totals.standing`` (smoothed if so set)."""
    sc = plan.scenario
    cfg = sc.ranking
    shape = totals.final.shape
    flat = (-1, shape[-1])
    final = totals.standing.reshape(flat)
    vetoed = totals.vetoed.reshape(flat)
    tb = [totals.node_score[..., plan.tree.index(n)].reshape(flat) for n in cfg.tie_break]
    primary = final
    if sc.adjustments.veto.rank_last:
        tb = [final, *tb]
        primary = np.where(np.isnan(final), np.nan, (~vetoed).astype(float))
    codes = plan.group_codes
    if cfg.ties == "first":  # ties left after the tie-break keys go to the smaller unit id, whatever the row order
        rank = lo = hi = group_rank(primary, codes, "first", tie_break=[*tb, plan.unit_order], decimals=cfg.decimals)
    else:  # one sort gives the stated rule and both ends of each tie block
        rank, lo, hi = group_ranks(primary, codes, (cfg.ties, "min", "max"), tie_break=tb, decimals=cfg.decimals)
    glo, ghi = lo, hi
    if sc.grading.tie_margin > 0:  # the tolerance band: totals within the margin are tied for grading
        glo, ghi = margin_blocks(final, codes, sc.grading.tie_margin, lo, hi,
                                 vetoed if sc.adjustments.veto.rank_last else None, cfg.decimals)
    grade = assign_grades(final, glo, ghi, codes, sc.grading, vetoed, sc.adjustments.veto)
    return RankStage(*(a.reshape(shape) for a in (rank, lo, hi, grade)))


# ================================================================================================= money
@dataclass(frozen=True)
class MoneyStage:
    """Bonus and award slots.  ``base`` (U,) is each unit's bonus base; ``factor`` the stated float;
    ``payout`` (yuan, unrounded) and ``scale`` (D, Y) the pool's scale factor (1 when open-ended); ``budget``
    the pool, or the sum of bases when open-ended; ``slots`` the award slots; ``prize`` the prize money (yuan,
    综合奖励 and 进步奖励).  None where not set."""

    base: np.ndarray | None
    factor: np.ndarray | None
    payout: np.ndarray | None
    scale: np.ndarray | None
    budget: float | None
    slots: np.ndarray | None
    prize: np.ndarray | None = None


def money_stage(plan: Plan, totals: TotalStage, ranks: RankStage) -> MoneyStage:
    """Bonuses and award slots from the grades and ranks (every draw and year at once)."""
    cons = plan.scenario.consequences
    units = plan.data.units
    source = plan.data.source
    names = tuple(g.name for g in plan.scenario.grading.grades)
    shape = ranks.rank.shape
    flat = (-1, shape[-1])
    base = factor = payout = scale = slots = None
    budget = None
    if cons.bonus is not None:
        b = cons.bonus
        base = bonus_base(b, units, source)
        factor = bonus_factor(b, ranks.grade.reshape(flat), names, rank_lo=ranks.rank_lo.reshape(flat),
                              rank_hi=ranks.rank_hi.reshape(flat), score=totals.standing.reshape(flat),
                              group_codes=plan.group_codes, vetoed=totals.vetoed.reshape(flat), veto=cons.veto)
        pool = float(base.sum()) if b.pool == "nominal" else b.pool
        capped = totals.vetoed.reshape(flat) if cons.veto.bonus == "no_increase" else None
        payout, scale = scale_to_pool(base, factor, pool, capped)
        budget = float(base.sum()) if pool is None else float(pool)
        factor, payout, scale = factor.reshape(shape), payout.reshape(shape), scale.reshape(shape[:-1])
    if cons.awards is not None:
        a = cons.awards
        head = unit_attribute(units, a.headcount_attribute, source, "awards.headcount_attribute") \
            if a.per_head else None
        slots = award_slots(a, ranks.grade.reshape(flat), names, ranks.rank.reshape(flat), head, plan.group_codes,
                            totals.vetoed.reshape(flat), cons.veto, plan.data.unit_ids).reshape(shape)
    prize = None
    if cons.prizes is not None:
        # the progress prize follows the progress award of the years in this batch (the look-back's own rule)
        award = look_back_stage(plan, totals, ranks).progress_award \
            if cons.prizes.progress is not None and cons.progress is not None else None
        prize = prize_money(cons.prizes, ranks.grade, names, progress_award=award, vetoed=totals.vetoed,
                            source=plan.where)
    return MoneyStage(base, factor, payout, scale, budget, slots, prize)


# ============================================================================================= look back
@dataclass(frozen=True)
class LookBackStage:
    """Per draw, year and unit, against the year before: last year's rank, places gained (positive = up),
    the score's change, the progress award, consecutive years in the bottom tier and the accountability step
    (an index into the ladder's steps; −1 = none)."""

    previous_rank: np.ndarray
    rank_change: np.ndarray
    score_change: np.ndarray
    progress_award: np.ndarray
    bottom_years: np.ndarray
    step: np.ndarray


@dataclass(frozen=True)
class LookBackStart:
    """The year before the first evaluated one, per draw and unit: its rank, score and bottom streak.

    For ``accountability.require``: ``ladder_years`` (D, U), the consecutive years that counted for the ladder,
    and ``recent`` (D, k, U), the bottom flags of the k years up to it (oldest first).  When not given they are
    read off the streak: the ``bottom_years`` last years were in the bottom tier and the one before them not
    (years further back count as not); the ladder's run is the streak, less m − 1 under ``in_last`` alone.
    For ``ranking.smooth_years``: ``scores`` (D, k, U), the totals of the k years up to it (oldest first).
    """

    rank: np.ndarray  # (D, U)
    score: np.ndarray
    bottom_years: np.ndarray
    ladder_years: np.ndarray | None = None
    recent: np.ndarray | None = None
    scores: np.ndarray | None = None

    def broadcast(self, d: int) -> LookBackStart:
        """The same start for ``d`` draws: (U,) or (1, U) arrays as (d, U), (1, k, U) ones as (d, k, U)."""
        def wide(a: np.ndarray | None, tail: int) -> np.ndarray | None:
            return None if a is None else np.broadcast_to(a, (d, *np.shape(a)[-tail:]))

        return LookBackStart(*(wide(a, 1) for a in (self.rank, self.score, self.bottom_years, self.ladder_years)),
                             *(wide(a, 2) for a in (self.recent, self.scores)))

    def for_ladder(self, require: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """The ladder's run and the recent bottom flags (given, or read off the streak) under ``require``."""
        s = np.asarray(self.bottom_years)
        recent = self.recent
        if recent is None and require.in_last is not None and require.in_last.n > 1:
            back = np.arange(require.in_last.n - 1, 0, -1)  # years back, oldest first
            recent = back[:, None] <= s[..., None, :]
        run = self.ladder_years
        if run is None:
            alone = require.in_last is not None and (require.margin is None or require.combine == "all")
            run = np.maximum(s - require.in_last.m + 1, 0) if alone else s
        return run, recent


def look_back_stage(plan: Plan, totals: TotalStage, ranks: RankStage, start: LookBackStart | None = None,
                    ) -> LookBackStage:
    """Progress awards and the accountability ladder, year after year along the Y axis.

    The first evaluated year compares with ``start`` (e.g. the last observed year of a projection); without
    it, that year has no year before it: no progress award, and the ladder starts from nothing.
    """
    cons = plan.scenario.consequences
    names = tuple(g.name for g in plan.scenario.grading.grades)
    d, ny, u = ranks.rank.shape
    out = [np.empty((d, ny, u)) for _ in range(3)] + [np.zeros((d, ny, u), dtype=bool),
                                                       np.zeros((d, ny, u), dtype=int), np.full((d, ny, u), -1)]
    prev = (start.rank, start.score, start.bottom_years) if start is not None else (None, None, None)
    for y in range(ny):
        res = look_back(ranks.rank[:, y], totals.final[:, y], ranks.grade[:, y], totals.vetoed[:, y],
                        plan.group_codes, *prev, progress=cons.progress, accountability=cons.accountability,
                        veto_progress=cons.veto.progress, grade_names=names)
        for arr, v in zip(out, res, strict=True):
            arr[:, y] = v
        prev = (ranks.rank[:, y], totals.final[:, y], res[4])
    acc = cons.accountability
    if acc is not None and acc.require is not None:  # the ladder over the bottom years that meet the threshold
        run, recent = start.for_ladder(acc.require) if start is not None else (None, None)
        counts = meets_requirement(out[4] > 0, totals.standing, plan.group_codes, acc.require, recent)
        out[5] = climb(counts, run, len(acc.steps))[1]
    return LookBackStage(*out)
