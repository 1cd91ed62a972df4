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
from dataclasses import dataclass

import numpy as np

from ..errors import RuleInputError
from ..rules.adjustments import fired_condition
from ..rules.consequences import (
    award_slots,
    bonus_base,
    bonus_factor,
    look_back,
    prize_money,
    scale_to_pool,
    unit_attribute,
)
from ..rules.grading import assign_grades
from ..rules.measures import MEASURES, growth, increment, level
from ..rules.missing import EXCLUDE, PENALTY, PREVIOUS, carry_forward, fill_shares
from ..rules.ranking import group_rank, group_ranks
from ..rules.scoring import score
from ..rules.targets import TargetContext, compute_target
from .aggregate import aggregate, all_arithmetic
from .compile import Inputs, Plan, RuleSet


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
    gaps = plan.tree.applicable[..., None] & np.isnan(x)  # values not reported (cells that apply)
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
        ctx = TargetContext(np.moveaxis(assigned[:, idx, :], 0, 1), plan.group_codes,
                            plan.direction[idx][:, None], plan.years[lo : lo + x.shape[-1]])
        # a year before the rules' history is an error; a gap in the history is a missing cell (policy)
        too_early = np.array([t < rs.lag + (rule.target.min_span if needs else 0) for t in t_data])[:, None, None]
        for name, w in rule.measures.items():
            series, bad = MEASURES[name](x[:, :, idx, :])  # (D, U, k, T)
            ser = np.moveaxis(series, 1, 2)  # (D, k, U, T): units next to years for target rules
            q = np.stack([np.moveaxis(compute_target(rule.target, ser, ty, ctx), 1, 2) for ty in ts], axis=1)
            m = np.where(app_k, np.stack([series[..., ty] for ty in ts], axis=1), np.nan)  # (D, Y, U, k)
            used_bad = np.stack([bad[..., ty] | bad[..., list(rule.target.window(ty))].any(axis=-1) for ty in ts],
                                axis=1) & app_k
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
            share[..., idx] += w * s  # NaN in any part makes the blend missing
    share = np.where(app, share, np.nan)
    share, filled, penalty, excluded = _missing_cells(plan, share, issues, gaps[..., ts].transpose(0, 3, 1, 2))
    value = np.where(app, np.stack([x[..., ty] for ty in ts], axis=1), np.nan)
    measured, target, part_share = parts if parts is not None else (None, None, None)
    return LeafStage(value, share, measures, weight, measured, target, part_share, tuple(issues), filled, penalty,
                     excluded)


def _missing_cells(plan: Plan, share: np.ndarray, issues: list[Issue], gaps: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply the missing-data policy to every cell that applies and has no share (not a cell of an issue,
    which the caller reports): the shares filled, which policy filled each cell, penalty points, left out.
    ``gaps`` (D, Y, U, L) marks the evaluated years' values not reported."""
    mp = plan.missing
    missing = plan.tree.applicable & np.isnan(share)
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


# ================================================================================== the lean leaf stage
#: Measures the lean leaf stage computes in place, bit for bit as these functions of ``rules.measures`` do.
_LEAN_MEASURES = {"level": level, "increment": increment, "growth": growth}


@dataclass(frozen=True)
class WindowSet:
    """A rule set's leaves in a ``Window`` (when fused, those of one direction ``sign``): their tree indices
    (ascending), the block's years (index ``first`` … the evaluated year) and where it starts in a row."""

    rule_set: int
    leaves: np.ndarray
    first: int
    years: int
    offset: int
    fused: bool  # level/increment/growth, a baseline, assigned or uniform target, completion: computed in place
    sign: float  # fused: the leaves' direction (+1 higher is better, −1 lower is better)
    runs: tuple[tuple[int, int, int], ...]  # (block column, tree leaf, length): consecutive leaves
    units: slice  # fused: the units from the first to the last that one of the leaves applies to; else all

    def block(self, rows: np.ndarray) -> np.ndarray:
        """The block (draws, years, leaves, units) of these leaves in ``rows`` (a view)."""
        shape = (self.years, len(self.leaves), self.units.stop - self.units.start)
        return rows[:, self.offset : self.offset + int(np.prod(shape))].reshape(len(rows), *shape)

    def put(self, out: np.ndarray, x: np.ndarray) -> None:
        """Write ``x`` (draws, k, units) into the leaves' rows of ``out`` (draws, L, U), run by run."""
        for col, leaf, n in self.runs:
            out[:, leaf : leaf + n, self.units] = x[:, col : col + n]


@dataclass(frozen=True)
class Window:
    """What the rules read to evaluate year index ``t``, laid out for ``lean_leaf_stage``: per rule set a block
    (years × its leaves × units: every operation runs along the units) over the years its measures and target
    read (the target's window and the measures' lag, not every year the plan reads), one row of ``size``
    floats per draw.  ``cells`` (size,) are
    the flat indices into the values (U, L, T) of each place, ``base`` the observed values there."""

    t: int
    sets: tuple[WindowSet, ...]
    cells: np.ndarray
    base: np.ndarray
    outside_missing: bool  # every leaf that does not apply to a unit has no value in year t
    partial: bool  # some blocks leave out units their leaves do not apply to

    @property
    def size(self) -> int:
        return len(self.cells)


def _fused(plan: Plan, rs: RuleSet) -> bool:
    """The rule set's measures, target and score are ones the lean leaf stage computes in place."""
    rule, target = rs.rule, rs.rule.target
    return (all(_LEAN_MEASURES.get(m) is MEASURES[m] for m in rule.measures) and rule.scoring.rule == "completion"
            and bool(np.isin(plan.direction[rs.leaves], (-1.0, 1.0)).all())
            and (target.rule in ("assigned", "uniform")
                 or (target.rule == "baseline" and target.min_span == target.span and 0 < target.span < 8)))


def _runs(leaves: np.ndarray) -> tuple[tuple[int, int, int], ...]:
    """Consecutive tree indices of ``leaves`` (ascending) as (position, first index, length)."""
    cut = np.flatnonzero(np.diff(leaves) != 1) + 1
    starts = np.r_[0, cut]
    return tuple((int(a), int(leaves[a]), int(b - a)) for a, b in zip(starts, np.r_[cut, len(leaves)], strict=True))


def window(plan: Plan, inputs: Inputs, t: int) -> Window | None:
    """The window of year index ``t`` over the observed ``inputs``; None where the lean leaf stage does not
    apply (values carried forward by the missing-data policy: the general stage serves)."""
    if plan.missing.max_years.any() or inputs.values.ndim != 3 or plan.profiles:
        return None
    u, n_l, n_t = inputs.values.shape
    sets, cells, offset = [], [], 0
    for ri, rs in enumerate(plan.rule_sets):
        target = rs.rule.target
        first = 0 if target.whole_history else max(t - target.span - rs.lag, 0)
        fused = _fused(plan, rs)
        d = plan.direction[rs.leaves]
        parts = [(rs.leaves[d == sign], sign) for sign in (1.0, -1.0)] if fused else [(rs.leaves, 0.0)]
        for leaves, sign in parts:
            on = np.flatnonzero(plan.tree.applicable[:, leaves].any(axis=1)) if fused else np.arange(u)
            if not len(leaves) or not len(on):
                continue  # (no unit: the shares stay missing)
            units = slice(int(on[0]), int(on[-1]) + 1)
            y, k, uu = np.meshgrid(np.arange(first, t + 1), leaves, np.arange(u)[units], indexing="ij")
            cells.append(((uu * n_l + k) * n_t + y).ravel())
            sets.append(WindowSet(ri, leaves, first, t - first + 1, offset, fused, sign, _runs(leaves), units))
            offset += cells[-1].size
    flat = np.concatenate(cells) if cells else np.array([], dtype=np.int64)
    outside = bool(np.isnan(inputs.values[..., t][~plan.tree.applicable]).all())
    partial = sum((ws.units.stop - ws.units.start) * len(ws.leaves) for ws in sets) < u * n_l
    return Window(t, tuple(sets), flat, inputs.values.reshape(-1)[flat], outside, partial)


def lean_leaf_stage(plan: Plan, inputs: Inputs, win: Window, rows: np.ndarray) -> LeafStage | None:
    """The leaf stage of one evaluated year (``win.t``) for a block of draws whose values are ``rows``
    (draws, ``win.size``) laid out as ``win`` says, missing exactly where ``win.base`` is (noise multiplies the
    observed values): what ``leaf_stage(..., [t], detail=False)`` gives on these values, bit for bit, without
    its temporaries over every year the plan reads.  ``inputs`` gives the assigned targets.  Measures,
    baseline targets and completion scores are computed in place, year by year, only for the years they read;
    other rules run as registered on their rule set's block.  None when a cell needs the general stage's
    reporting (a growth from a zero or negative base, a missing target, a value the scoring rule refuses): the
    caller runs ``leaf_stage`` on the same values, which records the issue."""
    n = len(rows)
    app = plan.tree.applicable
    u, n_l = app.shape
    measures = tuple(m for m in MEASURES if any(m in rs.rule.measures for rs in plan.rule_sets))
    weight = np.zeros((n_l, len(measures)))
    for rs in plan.rule_sets:
        for name, w in rs.rule.measures.items():
            weight[rs.leaves, measures.index(name)] = w
    make = (lambda shape: np.full(shape, np.nan)) if win.partial else np.empty
    share_t, value_t = make((n, n_l, u)), make((n, n_l, u))  # leaves × units, as the blocks
    with np.errstate(divide="ignore", invalid="ignore"):
        for ws in win.sets:
            rule = plan.rule_sets[ws.rule_set].rule
            blk = ws.block(rows)
            ws.put(value_t, blk[:, -1])
            acc = None
            for name, w in rule.measures.items():
                s = _fused_share(plan, inputs, ws, name, blk) if ws.fused else _rule_share(plan, inputs, ws, name, blk)
                if s is None:
                    return None
                if w != 1.0:
                    s *= w
                if acc is None:
                    if not (ws.fused and w > 0 and rule.scoring.floor >= 0):
                        s += 0.0  # the general stage adds to zeros: a −0.0 becomes 0.0
                    acc = s
                else:
                    acc += s
            ws.put(share_t, acc)
    share, value = share_t.transpose(0, 2, 1)[:, None], value_t.transpose(0, 2, 1)[:, None]  # (D, 1, U, L) views
    if not win.outside_missing:  # (else the values, so the shares, of leaves that do not apply are missing)
        np.copyto(share, np.nan, where=~app)
        np.copyto(value, np.nan, where=~app)
    missing = np.isnan(share_t)
    missing &= app.T
    if missing.any():  # the missing-data policy, as the general stage applies it
        share, filled, penalty, excluded = _missing_cells(plan, np.ascontiguousarray(share), [],
                                                          np.isnan(value) & app)
        return LeafStage(value, share, measures, weight, None, None, None, (), filled, penalty, excluded)
    scores = np.multiply(share_t.transpose(0, 2, 1), 100.0, out=np.empty((n, u, n_l)))
    if not app.all():
        np.copyto(scores, 0.0, where=~app)
    return LeafStage(value, share, measures, weight, None, None, None, (), np.zeros(share.shape, dtype=np.int8),
                     np.zeros(share.shape[:-1]), np.zeros(share.shape[:-1], dtype=bool), scores, app)


def _measure(name: str, blk: np.ndarray, y: int, app_k: np.ndarray, fresh: bool = True) -> np.ndarray | None:
    """The measure ``name`` in block year ``y`` (draws, k, units): a new array (the level: a view unless
    ``fresh``); None for a growth from a zero or negative base in a cell that applies."""
    x = blk[:, y]
    if name == "level":
        return x.copy() if fresh else x
    prev = blk[:, y - 1]
    if name == "increment":
        return np.subtract(x, prev)
    low = prev <= 0
    if low.any() and (low & app_k).any():
        return None
    out = np.divide(x, prev)
    out -= 1.0
    return out


def _fused_share(plan: Plan, inputs: Inputs, ws: WindowSet, name: str, blk: np.ndarray) -> np.ndarray | None:
    """Completion shares (draws, k, units) of measure ``name`` against the rule set's target, in place."""
    rs = plan.rule_sets[ws.rule_set]
    target, p = rs.rule.target, rs.rule.scoring
    leaves, ty, lower = ws.leaves, ws.years - 1, ws.sign < 0
    t = ws.first + ty
    app_k = plan.tree.applicable[ws.units, leaves].T  # (k, units), as the block's years
    if target.rule == "baseline":  # the mean of the window's years (all there: min_years = years), uplifted
        if t < rs.lag + target.min_span:
            return None  # too early for the baseline: the general stage reports it
        q = _measure(name, blk, ty - target.span, app_k)
        for y in range(ty - target.span + 1, ty):
            m_y = None if q is None else _measure(name, blk, y, app_k, fresh=False)
            if m_y is None:
                return None
            q += m_y
        if q is None:
            return None
        q /= float(target.span)
        more = np.abs(q)
        more *= target.uplift
        if target.add:
            more += target.add
        if lower:
            np.negative(more, out=more)
        q += more
    elif target.rule == "assigned":
        q = inputs.assigned[ws.units, leaves, t].T
        gap = np.isnan(q) & app_k
        if gap.any() and (~np.isnan(blk[:, ty][:, gap])).any():
            return None  # a value without its assigned target: the general stage reports it
    else:
        q = np.full(app_k.shape, float(target.value))
    m = _measure(name, blk, ty, app_k, fresh=False)
    if m is None:
        return None
    s = np.subtract(m, q)  # the completion ratio 1 + d·(m − q)/|q|, then floor and cap
    if lower:
        np.negative(s, out=s)
    s /= np.abs(q)
    s += 1.0
    if lower and p.lower == "inverse":  # a target above 0: q/m (a value of 0 or below: inf)
        inv = np.divide(q, m)
        np.copyto(inv, np.inf, where=~(m > 0))
        np.copyto(s, inv, where=q > 0)
        np.copyto(s, np.nan, where=np.isnan(m))
    zero = q == 0
    if zero.any():
        zero = zero & ~np.isnan(m) & app_k
        if zero.any() and p.zero_target == "error":
            return None
    r = s.copy() if p.threshold is not None else s
    np.clip(s, p.floor, p.cap, out=s)
    if p.threshold is not None:
        s[r < p.threshold] = 0.0
    if zero.any():
        s = np.where(zero, np.where(ws.sign * (m - q) >= 0, 1.0, p.floor), s)
    return s


def _rule_share(plan: Plan, inputs: Inputs, ws: WindowSet, name: str, blk: np.ndarray) -> np.ndarray | None:
    """Shares (draws, k, units; a view) of measure ``name`` by the registered measure, target and scoring rules,
    on the rule set's block laid out as ``leaf_stage`` lays it out (None: a cell the general stage reports)."""
    rs = plan.rule_sets[ws.rule_set]
    rule, leaves, ty = rs.rule, ws.leaves, ws.years - 1
    t = ws.first + ty
    app_k = plan.tree.applicable[:, leaves]
    x = np.ascontiguousarray(blk.transpose(0, 3, 2, 1))  # (D, U, k, T) as the general stage's x[:, :, idx, :]
    series, bad = MEASURES[name](x)
    years = slice(ws.first, t + 1)
    ctx = TargetContext(np.moveaxis(inputs.assigned[:, leaves, years], 0, 1), plan.group_codes,
                        plan.direction[leaves][:, None], plan.years[years])
    q = np.ascontiguousarray(np.moveaxis(compute_target(rule.target, np.moveaxis(series, 1, 2), ty, ctx), 1, 2))
    m = np.where(app_k, series[..., ty], np.nan)
    if ((bad[..., ty] | bad[..., list(rule.target.window(ty))].any(axis=-1)) & app_k).any():
        return None
    if rule.scoring.needs_target and (rule.target.rule == "assigned" or t < rs.lag + rule.target.min_span) \
            and (~np.isnan(m) & np.isnan(q)).any():
        return None
    try:
        return score(rule.scoring, m, q, plan.direction[leaves], plan.group_codes).transpose(0, 2, 1)
    except RuleInputError:
        return None


# ================================================================================================ totals
@dataclass(frozen=True)
class TotalStage:
    """Per draw, year and unit: node scores (100-point indicator scale), the effective weight of each node
    (the share of the root it carries; None when only the ranking's nodes were asked for), the points before
    adjustments, bonus and deducted points, the veto (and the index of the veto condition that fired, −1 for
    none) and the final total."""

    node_score: np.ndarray | None  # (D, Y, U, N); None: ``full=False`` and no tie-break nodes (the total only)
    effective: np.ndarray | None  # (D, Y, U, N)
    base: np.ndarray  # (D, Y, U)
    bonus: np.ndarray
    deduction: np.ndarray
    vetoed: np.ndarray
    veto_condition: np.ndarray
    final: np.ndarray


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
    """Rank within groups (stated tie rule and tie-breaks; vetoed units last if so set), then grade."""
    sc = plan.scenario
    cfg = sc.ranking
    shape = totals.final.shape
    flat = (-1, shape[-1])
    final = totals.final.reshape(flat)
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
    grade = assign_grades(final, lo, hi, codes, sc.grading, vetoed, sc.adjustments.veto)
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
                              rank_hi=ranks.rank_hi.reshape(flat), score=totals.final.reshape(flat),
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
    """The year before the first evaluated one, per draw and unit: its rank, score and bottom streak."""

    rank: np.ndarray  # (D, U)
    score: np.ndarray
    bottom_years: np.ndarray


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
    return LookBackStage(*out)
