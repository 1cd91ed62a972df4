"""The lean leaf stage of noisy Monte Carlo draws: the shares of the evaluated year only, computed in place over
the window of cells the rules read (``window``), bit for bit as ``stages.leaf_stage`` computes them.

A noisy draw needs a random factor for every cell the rules read; this stage keeps what it costs on top of
drawing those numbers small: no copy of the whole cube per draw, measures for the years read only, completion
scoring fused over the leaves of one direction.  ``analysis.uncertainty`` uses it where ``window`` finds a
layout, and the general ``leaf_stage`` elsewhere (``tests/engine/test_lean_leaf.py`` compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RuleInputError
from ..rules.measures import MEASURES, growth, increment, level
from ..rules.scoring import score
from ..rules.targets import TargetContext, compute_target
from .compile import Inputs, Plan, RuleSet
from .stages import LeafStage, _missing_cells

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
