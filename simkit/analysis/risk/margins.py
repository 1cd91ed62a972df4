"""How far each unit is from the next grade up and down, under the nominal rules on the observed data.

Two margins per direction, for every unit at once:

- **on the total** (``margin_up`` / ``margin_down``, points): the smallest amount added to (taken from) the unit's
  final total, every other total as it is, that lifts it into a better grade (drops it into a worse one).  The
  ranks and grades are the engine's own (``engine.stages.rank_stage``: the tie rule, the tie-breaks, quotas,
  bands, vetoes), so a quota's boundary and a tie are taken into account;
- **on one indicator** (``up_*`` / ``down_*``): the smallest change of one indicator's value in the focus year
  that moves the unit a grade, for its *single most effective indicator*: the indicator that needs the smallest
  relative change.  Every indicator that applies is screened at once by the change of the unit's own total when
  its value moves 1%, 10%, 100% and 1024 times its scale (as ``what_would_it_take`` measures it, whose search
  goes as far) in the good or the bad direction; the indicators whose effect reaches the margin are tried in the
  order of the relative change this predicts, and the first one that moves the unit is reported (at most
  ``tries`` of them; when none reaches it, the one with the largest effect is tried alone).  Upward the search is
  ``analysis.sensitivity.what_would_it_take``'s; downward it is ``smallest_change`` below, over all units at
  once, with the whole pipeline re-run for every candidate value (group-relative scores and quotas included).
  A value that the rules refuse never counts as a move; downward a value of a higher-is-better indicator goes
  no lower than 0.

``smallest_change`` is the one vectorised search: per item a geometric bracket of ``limit``·2⁻ᵏ, then
``rounds`` grids of ``grid`` points between the last change that does not move the item and the first that
does.  It assumes that a larger change never undoes a move (true of the shipped rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from ...engine.compile import Inputs, Plan, compile_plan
from ...engine.result import Result
from ...engine.stages import RankStage, TotalStage, leaf_stage, rank_stage, smooth_stage, total_stage
from ...errors import SimkitError
from ..sensitivity import what_would_it_take

#: Bytes of working memory per evaluated candidate in a batch of the indicator search (per unit × leaf × year
#: of the values, and of the leaf stage's arrays), and the batch budget.
_CANDIDATE_BUDGET = 48 * 2**20
#: Changes of an indicator (shares of its scale) that screen its effect on the unit's total.
SCREEN_STEPS = (0.01, 0.1, 1.0, 1024.0)
REFUSED = -2  # the grade code of a candidate the rules refuse: never a move


def smallest_change(grade_at: Callable[[np.ndarray, np.ndarray], np.ndarray], g0: np.ndarray, sign: np.ndarray,
                    limit: np.ndarray, *, bracket: int = 24, rounds: int = 4, grid: int = 16,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item the smallest change δ in (0, ``limit``] whose grade is better than ``g0`` (``sign`` +1) or worse
    (``sign`` −1): δ (NaN: none up to the limit), the grade it gives (−1: none) and the bracket's final width.

    ``grade_at(items, deltas)`` gives the grade codes (k, C) of the items (indices) at the changes (k, C); codes
    as the engine's (0 = best, −1 = none; ``REFUSED`` = the rules refuse the candidate).

    >>> thresholds = np.array([0.3, 2.0, 9.0])
    >>> grade_at = lambda i, d: np.where(d >= thresholds[i, None], 0, 1)  # better once past the threshold
    >>> d, g, tol = smallest_change(grade_at, np.ones(3, int), np.ones(3), np.array([8.0, 8.0, 8.0]))
    >>> np.round(d, 4).tolist(), g.tolist()
    ([0.3, 2.0, nan], [0, 0, -1])
    """
    g0, sign, limit = np.asarray(g0), np.asarray(sign, dtype=float), np.asarray(limit, dtype=float)
    n = len(g0)
    out, grade, width = np.full(n, np.nan), np.full(n, -1), np.full(n, np.nan)
    if not n:
        return out, grade, width

    def hit(idx: np.ndarray, g: np.ndarray) -> np.ndarray:
        g0_, s = g0[idx, None], sign[idx, None]
        return np.where(s > 0, (g >= 0) & (g < g0_), g > g0_)

    items = np.arange(n)
    steps = limit[:, None] * 2.0 ** np.arange(-bracket, 1)[None, :]
    g = grade_at(items, steps)
    h = hit(items, g)
    found = h.any(axis=1)
    j = np.argmax(h, axis=1)
    hi = steps[items, j]
    lo = np.where(j > 0, steps[items, np.maximum(j - 1, 0)], 0.0)
    best = g[items, j]
    idx = np.flatnonzero(found)
    frac = np.arange(1, grid + 1) / grid
    for _ in range(rounds):
        if not len(idx):
            break
        cand = lo[idx, None] + (hi[idx] - lo[idx])[:, None] * frac[None, :]
        cand[:, -1] = hi[idx]  # known to move
        g = grade_at(idx, cand)
        h = hit(idx, g)
        h[:, -1] = True
        k = np.argmax(h, axis=1)
        rows = np.arange(len(idx))
        new_hi = cand[rows, k]
        best[idx] = np.where(k < grid - 1, g[rows, k], best[idx])
        lo[idx] = np.where(k > 0, cand[rows, np.maximum(k - 1, 0)], lo[idx])
        hi[idx] = new_hi
    out[found], grade[found], width[found] = hi[found], best[found], (hi - lo)[found]
    return out, grade, width


# ============================================================================================== stages
def _totals(plan: Plan, inputs: Inputs, t: int) -> TotalStage:
    """The totals of year index ``t`` as the engine ranks them (smoothed over years when ``ranking.smooth_years``
    is set: ``engine.stages.smooth_stage``)."""
    leaf = leaf_stage(plan, inputs, [t], detail=False)
    totals = total_stage(plan, inputs, leaf, [t], full=False)
    return smooth_stage(plan, inputs, [t], totals, detail=False)


def _stages(plan: Plan, inputs: Inputs, t: int) -> tuple[TotalStage, RankStage]:
    totals = _totals(plan, inputs, t)
    return totals, rank_stage(plan, totals)


def _smoothed_share(plan: Plan, inputs: Inputs, t: int, totals: TotalStage) -> np.ndarray | None:
    """(U,) how much the smoothed score moves per point of the year's own total (1/k where the unit has k
    years in the mean), or None without smoothing."""
    if totals.smoothed is None:
        return None
    one = replace(totals, final=totals.final + 1.0, smoothed=None)
    moved = smooth_stage(plan, inputs, [t], one, detail=False).smoothed
    assert moved is not None
    return np.nan_to_num(moved[0, 0] - totals.smoothed[0, 0], nan=0.0)


def _wide(a: np.ndarray | None, n: int) -> np.ndarray | None:
    return None if a is None else np.broadcast_to(a, (n, *a.shape[1:]))


def total_margins(plan: Plan, inputs: Inputs, t: int) -> dict[str, np.ndarray]:
    """Per unit (data order): the grade code in year index ``t``, and the smallest change of its total (points)
    that moves it up a grade and down a grade, with the grades they give (``up``, ``grade_up``, ``down``,
    ``grade_down``; NaN and −1 where no change moves it).  With ``ranking.smooth_years`` the units are ranked on
    the mean of the last years' totals: the change is still of the year's own total (it moves the mean by a
    k-th of itself).

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan, inputs_of
    >>> plan = compile_plan(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data())
    >>> m = total_margins(plan, inputs_of(plan), 7)
    >>> zy = list(plan.data.unit_ids).index("ZY")
    >>> int(m["grade"][zy]), round(float(m["up"][zy]), 3), int(m["grade_up"][zy])  # 较差 → 一般
    (3, 0.275, 2)
    """
    totals, ranks = _stages(plan, inputs, t)
    g0 = ranks.grade[0, 0]
    final0 = totals.final[0, 0]
    share = _smoothed_share(plan, inputs, t, totals)
    n_u = len(g0)
    worst = len(plan.scenario.grading.grades) - 1
    up_units = np.flatnonzero(g0 > 0)
    down_units = np.flatnonzero((g0 >= 0) & (g0 < worst))
    units = np.concatenate([up_units, down_units])
    sign = np.concatenate([np.ones(len(up_units)), -np.ones(len(down_units))])
    limit = np.full(len(units), 4.0 * max(plan.scenario.total, 1.0))

    def grade_at(idx: np.ndarray, delta: np.ndarray) -> np.ndarray:
        k, c = delta.shape
        at = (np.arange(k)[:, None], np.arange(c)[None, :], units[idx, None])
        final = np.broadcast_to(final0, (k, c, n_u)).copy()
        final[at] += sign[idx, None] * delta
        d = k * c
        smoothed = None
        if share is not None and totals.smoothed is not None:  # the mean moves by a k-th of the change
            smoothed = np.broadcast_to(totals.smoothed[0, 0], (k, c, n_u)).copy()
            smoothed[at] += sign[idx, None] * delta * share[units[idx, None]]
            smoothed = smoothed.reshape(d, 1, n_u)
        moved = replace(totals, final=final.reshape(d, 1, n_u), vetoed=_wide(totals.vetoed, d),
                        node_score=_wide(totals.node_score, d), smoothed=smoothed)
        grades = rank_stage(plan, moved).grade.reshape(k, c, n_u)
        return grades[np.arange(k)[:, None], np.arange(c)[None, :], units[idx, None]]

    delta, grade, _ = smallest_change(grade_at, g0[units], sign, limit)
    out = {"grade": g0, "up": np.full(n_u, np.nan), "grade_up": np.full(n_u, -1), "down": np.full(n_u, np.nan),
           "grade_down": np.full(n_u, -1), "total": final0}
    nu = len(up_units)
    out["up"][up_units], out["grade_up"][up_units] = delta[:nu], grade[:nu]
    out["down"][down_units], out["grade_down"][down_units] = delta[nu:], grade[nu:]
    return out


# ======================================================================================== indicators
def _slots(units: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each item's position among the items of its unit's group (rules are group-local, so items of different
    groups can share one evaluation: item i goes into evaluation slot i of its group).

    >>> _slots(np.array([0, 1, 2, 0]), np.array([0, 0, 1])).tolist()
    [0, 1, 0, 2]
    """
    g = codes[units]
    order = np.argsort(g, kind="stable")
    first = np.searchsorted(g[order], g[order])
    out = np.empty(len(units), dtype=int)
    out[order] = np.arange(len(units)) - first
    return out


def _cell_runs(plan: Plan, inputs: Inputs, t: int, draw: np.ndarray, unit: np.ndarray, leaf: np.ndarray,
               value: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Grades and totals (n, U) of year index ``t`` in ``n`` evaluations, evaluation ``draw[i]`` with the cell
    (unit[i], leaf[i]) set to value[i]; in batches within ``_CANDIDATE_BUDGET``.  An evaluation in which the rules
    refuse a value gives the grade ``REFUSED`` to the units of the refused cells' groups."""
    x0 = inputs.values
    n_u, n_l, n_t = x0.shape
    codes = plan.group_codes
    step = max(1, _CANDIDATE_BUDGET // (8 * n_u * n_l * (n_t + 16)))
    grades, finals = np.empty((n, n_u), dtype=int), np.empty((n, n_u))
    order = np.argsort(draw, kind="stable")
    bounds = np.searchsorted(draw[order], np.arange(0, n + step, step))
    for k, a in enumerate(range(0, n, step)):
        b = min(a + step, n)
        sel = order[bounds[k] : bounds[k + 1]]
        x = np.broadcast_to(x0, (b - a, *x0.shape)).copy()
        x[draw[sel] - a, unit[sel], leaf[sel], t] = value[sel]
        inp = replace(inputs, values=x)
        leaf_st = leaf_stage(plan, inp, [t], detail=False)
        refused = np.zeros((b - a, n_u), dtype=bool)
        for issue in leaf_st.issues:
            hit = np.asarray(issue.mask).reshape(b - a, n_u, -1).any(axis=2)  # (draws, U)
            refused |= (hit[:, None, :] & (codes[None, :, None] == codes[None, None, :])).any(axis=2)
        totals = smooth_stage(plan, inp, [t], total_stage(plan, inp, leaf_st, [t], full=False), detail=False)
        ranks = rank_stage(plan, totals)
        grades[a:b] = np.where(refused, REFUSED, ranks.grade[:, 0])
        finals[a:b] = totals.final[:, 0]
    return grades, finals


def _scales(plan: Plan, values: np.ndarray, t: int) -> np.ndarray:
    """(U, L) each cell's scale: max(|value|, the median |value| of the indicator's units), as
    ``what_would_it_take`` measures its steps."""
    import warnings

    x = values[:, :, t]
    col = np.where(plan.tree.applicable & np.isfinite(x), np.abs(x), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an indicator no unit reports
        med = np.nanmedian(col, axis=0)
    return np.maximum(np.maximum(np.abs(x), np.nan_to_num(med)), 1e-9)


def screen(plan: Plan, inputs: Inputs, t: int, steps: tuple[float, ...] = SCREEN_STEPS,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per step s (of the cell's scale), unit and leaf: how much the unit's own total gains when the leaf's value
    in year index ``t`` moves s in its good direction (``up``, (S, U, L)) and loses when it moves s in its bad
    direction (``down``; a higher-is-better value goes no lower than 0), NaN where the leaf does not apply, has
    no value or the rules refuse the value; and the scales (U, L)."""
    x0 = inputs.values
    n_u, n_l, _ = x0.shape
    ok = plan.tree.applicable & np.isfinite(x0[:, :, t])
    uu, ll = np.nonzero(ok)
    scale = _scales(plan, x0, t)
    d = plan.direction[ll]
    base = x0[uu, ll, t]
    slot = _slots(uu, plan.group_codes)
    per = int(slot.max()) + 1 if len(slot) else 0
    draws, values = [], []
    for k, s in enumerate(steps):
        for j, sign in enumerate((1.0, -1.0)):
            v = base + sign * s * scale[uu, ll] * d
            if sign < 0:
                v = np.where((d > 0) & (base >= 0), np.maximum(v, 0.0), v)
            draws.append(slot + (2 * k + j) * per)
            values.append(v)
    m = len(uu)
    reps = 2 * len(steps)
    grades, finals = _cell_runs(plan, inputs, t, np.concatenate(draws), np.tile(uu, reps), np.tile(ll, reps),
                                np.concatenate(values), reps * per)
    totals, _ = _stages(plan, inputs, t)
    rows = np.concatenate(draws)
    own = finals[rows, np.tile(uu, reps)] - totals.final[0, 0][np.tile(uu, reps)]
    own = np.where(grades[rows, np.tile(uu, reps)] == REFUSED, np.nan, own)
    up, down = np.full((len(steps), n_u, n_l), np.nan), np.full((len(steps), n_u, n_l), np.nan)
    for k in range(len(steps)):
        up[k, uu, ll] = own[(2 * k) * m : (2 * k + 1) * m]
        down[k, uu, ll] = -own[(2 * k + 1) * m : (2 * k + 2) * m]
    return up, down, scale


def _order(effect: np.ndarray, margin: np.ndarray, steps: tuple[float, ...] = SCREEN_STEPS,
           tries: int = 3, per_value: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The leaves to try per unit (U, tries), best first, and the change each is predicted to need (U, tries):
    the leaves whose effect (``effect`` (S, U, L)) reaches the margin at some screened step, by the change that
    predicts (the first step that reaches it, interpolated linearly from the step before; times ``per_value``
    (U, L), e.g. scale ÷ |value| to compare changes relative to each value); when none does, the leaf with the
    largest effect alone (predicted: inf); −1 for no (more) leaf.

    >>> eff = np.array([[[1.0, 0.0, 0.0]], [[5.0, 4.0, 0.0]]])  # two steps (0.1 and 1), one unit, three leaves
    >>> order, need = _order(eff, np.array([2.0]), (0.1, 1.0))
    >>> order.tolist(), np.round(need, 3).tolist()  # leaf 0 reaches 2 at about 0.325, leaf 1 at 0.5
    ([[0, 1, -1]], [[0.325, 0.5, inf]])
    >>> _order(eff, np.array([9.0]), (0.1, 1.0))[0].tolist()  # none reaches 9: the largest effect alone
    [[0, -1, -1]]
    """
    e = np.nan_to_num(effect, nan=0.0)
    s = np.asarray(steps, dtype=float)
    reach = e >= margin[None, :, None]  # (S, U, L)
    k = np.argmax(reach, axis=0)  # the first step that reaches
    any_reach = reach.any(axis=0)
    e_k = np.take_along_axis(e, k[None], axis=0)[0]
    e_prev = np.where(k > 0, np.take_along_axis(e, np.maximum(k - 1, 0)[None], axis=0)[0], 0.0)
    s_k, s_prev = s[k], np.where(k > 0, s[np.maximum(k - 1, 0)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        need = s_prev + (s_k - s_prev) * (margin[:, None] - e_prev) / (e_k - e_prev)
    if per_value is not None:
        need = need * per_value
    key = np.where(any_reach, need, np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :tries]
    ok = np.take_along_axis(any_reach, order, axis=1)
    out = np.where(ok, order, -1)
    predicted = np.where(ok, np.take_along_axis(key, order, axis=1), np.inf)
    largest = e.max(axis=0)
    none = ~any_reach.any(axis=1) & (largest.max(axis=1) > 1e-12)
    out[none, 0] = np.argmax(largest[none], axis=1)
    return out, predicted


def _group_plan(result: Result, g: int) -> Plan | Result:
    """The scenario compiled on the data of group ``g`` alone (rules are group-local: a unit's grade depends on
    its group only; the search is then as many times cheaper as there are units outside the group), or the
    result itself when the group's data alone do not compile."""
    plan = result.plan
    try:
        return compile_plan(plan.scenario, plan.data.subset_units([plan.group_names[g]]))
    except SimkitError:
        return result


def indicator_margins(result: Result, totals: dict[str, np.ndarray], *, tries: int = 3, grid: int = 8,
                      ) -> pd.DataFrame:
    """Per unit (data order): its most effective indicator upward and downward, the value it has, the value that
    moves the unit a grade, the change in percent of the value and the grade it gives (see the module text).

    ``result`` is the nominal evaluation (its focus year); ``totals`` what ``total_margins`` gives for it.
    """
    plan = result.plan
    t = plan.year_index(result.year)
    inputs = result.inputs
    tree = plan.tree
    names = [g.name for g in plan.scenario.grading.grades]
    n_u = len(plan.data.unit_ids)
    eff_up, eff_down, scale = screen(plan, inputs, t)
    cols = {k: np.full(n_u, np.nan) for k in ("up_value", "up_required", "up_change_pct", "down_value",
                                               "down_required", "down_change_pct")}
    text = {k: np.full(n_u, None, dtype=object) for k in ("up_indicator", "up_grade", "down_indicator", "down_grade")}
    # upward: what_would_it_take on the screened indicators, best first
    x = inputs.values[:, :, t]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_value = np.where(np.abs(x) > 0, scale / np.abs(x), np.inf)  # a change of the scale in % of the value
    order, predicted = _order(eff_up, np.nan_to_num(totals["up"], nan=np.inf), tries=tries, per_value=per_value)
    groups: dict[int, Plan | Result] = {}
    for u in np.flatnonzero(np.isfinite(totals["up"])):
        uid = plan.data.unit_ids[u]
        g = int(plan.group_codes[u])
        if g not in groups:
            groups[g] = _group_plan(result, g)
        best = np.inf
        for leaf, guess in zip(order[u], predicted[u], strict=True):
            if leaf < 0 or guess >= best:  # none left that the screen expects to do better
                break
            w = what_would_it_take(groups[g], uid, tree.leaves[leaf], grid=grid, year=result.year)
            pct = abs(w.change_pct) if w.change_pct is not None else np.inf
            if w.feasible and pct < best:
                best = pct
                cols["up_value"][u], cols["up_required"][u] = w.value, w.required_value
                cols["up_change_pct"][u] = np.nan if w.change_pct is None else w.change_pct
                text["up_indicator"][u], text["up_grade"][u] = tree.leaves[leaf], w.grade_then
    # downward: one vectorised search per round over the units not yet moved (items of different groups share
    # evaluations)
    order, _ = _order(eff_down, np.nan_to_num(totals["down"], nan=np.inf), tries=tries, per_value=per_value)
    todo = np.flatnonzero(np.isfinite(totals["down"]))
    for k in range(tries):
        leaf = order[todo, k] if len(todo) else np.array([], dtype=int)
        todo, leaf = todo[leaf >= 0], leaf[leaf >= 0]
        d = plan.direction[leaf]
        x0, sc = x[todo, leaf], scale[todo, leaf]
        limit = np.where((d > 0) & (x0 >= 0), x0 / sc, 2.0**10)  # no lower than 0
        keep = limit > 0
        todo, leaf, d, x0, sc, limit = (a[keep] for a in (todo, leaf, d, x0, sc, limit))
        if not len(todo):
            break

        def grade_at(idx: np.ndarray, delta: np.ndarray, todo=todo, leaf=leaf, d=d, x0=x0, sc=sc) -> np.ndarray:
            kk, c = delta.shape
            slot = _slots(todo[idx], plan.group_codes)
            draw = (slot[:, None] * c + np.arange(c)[None, :]).ravel()
            values = (x0[idx, None] - d[idx, None] * delta * sc[idx, None]).ravel()
            n = (int(slot.max()) + 1) * c
            g, _ = _cell_runs(plan, inputs, t, draw, np.repeat(todo[idx], c), np.repeat(leaf[idx], c), values, n)
            return g[draw, np.repeat(todo[idx], c)].reshape(kk, c)

        delta, grade, _ = smallest_change(grade_at, totals["grade"][todo], -np.ones(len(todo)), limit, bracket=16,
                                          rounds=4, grid=10)
        found = np.isfinite(delta)
        for i in np.flatnonzero(found):
            u = todo[i]
            req = x0[i] - d[i] * delta[i] * sc[i]
            cols["down_value"][u], cols["down_required"][u] = x0[i], req
            cols["down_change_pct"][u] = 100.0 * (req - x0[i]) / abs(x0[i]) if x0[i] != 0 else np.nan
            text["down_indicator"][u] = tree.leaves[leaf[i]]
            text["down_grade"][u] = names[grade[i]] if grade[i] >= 0 else None
        todo = todo[~found]
    return pd.DataFrame({"unit": list(plan.data.unit_ids), **text, **cols})


def grade_margins(result: Result, *, indicators: bool = True, tries: int = 3) -> pd.DataFrame:
    """Per unit (data order) of ``result``'s focus year: its grade, the next grade up and the points of total it
    takes (``grade_up``, ``margin_up``), the next grade down and the points it takes to fall (``grade_down``,
    ``margin_down``), and with ``indicators`` the most effective indicator's change each way (``up_indicator``,
    ``up_value``, ``up_required``, ``up_change_pct``, ``up_grade``; ``down_...`` likewise).

    >>> import simkit
    >>> m = grade_margins(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))).set_index("unit")
    >>> m.loc["ZY", ["grade", "grade_up", "up_indicator"]].tolist(), round(float(m.loc["ZY", "margin_up"]), 3)
    (['较差', '一般', 'fiscal_rev'], 0.275)
    """
    plan = result.plan
    t = plan.year_index(result.year)
    names = [g.name for g in plan.scenario.grading.grades]
    tm = total_margins(plan, result.inputs, t)

    def grade_name(codes: np.ndarray) -> list[str | None]:
        return [names[c] if c >= 0 else None for c in codes]

    df = pd.DataFrame({"unit": list(plan.data.unit_ids), "grade": grade_name(tm["grade"]), "total": tm["total"],
                       "grade_up": grade_name(tm["grade_up"]), "margin_up": tm["up"],
                       "grade_down": grade_name(tm["grade_down"]), "margin_down": tm["down"]})
    if indicators:
        df = df.merge(indicator_margins(result, tm, tries=tries), on="unit", how="left")
        ways = [[f"grade_{w}", f"margin_{w}", f"{w}_indicator", f"{w}_value", f"{w}_required", f"{w}_change_pct",
                 f"{w}_grade"] for w in ("up", "down")]
        df = df[["unit", "grade", "total", *ways[0], *ways[1]]]
    return df
