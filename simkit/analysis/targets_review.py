"""The target review (目标会审): every target a scenario sets, against the unit's own history and its group's.

The seed has every target reviewed in a joint meeting (集中会审) "to keep target standards consistent".
``review_targets`` lays out, for every unit × indicator × measure, what the meeting needs: the target and its
source (the rule), the growth it asks over last year, the unit's own trend and volatility, where it stands
among what the group achieved, and the probability of meeting it; and it flags the targets to discuss.
``equal_difficulty_targets`` solves the targets that every unit meets with the same probability.

The model of growth is the unit's own history: the log growth ``log(x_k / x_{k−1})`` of the last
``trend_years`` years has mean μ (the trend) and standard deviation σ (the volatility, ddof 1), and next
year's log growth is taken as normal N(μ, σ²).  With fewer than two growth observations there is no
volatility: the probability and the equal-difficulty target are missing.

Every target is read as the level it asks for (``target_level``): a level target is that level, an increment
target q asks for x_{t−1} + q and a growth target g for x_{t−1}·(1 + g); meeting the target is reaching that
level (or staying below it, for a lower-is-better indicator).  The machine columns and flag codes are here;
the reasons in words are made by ``simkit.present.targets``.

>>> import simkit
>>> r = review_targets(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data(), 2018)
>>> row = r[(r["unit"] == "HS") & (r["indicator"] == "export") & (r["measure"] == "growth")].iloc[0]
>>> row["source"], round(float(row["target"]), 4), "below_last" in row["flags"]
('baseline', -0.0247, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..engine.compile import Inputs, Plan, compile_plan, inputs_of
from ..engine.stages import LeafStage, leaf_stage
from ..errors import Problem, SimkitError
from ..io.dataset import Dataset
from ..rules.measures import MEASURES
from ..rules.missing import carry_forward
from ..rules.targets import TargetContext, compute_target
from ..schema.levers import SetRule, apply
from ..schema.scenario import Scenario
from ..schema.targets import BaselineTarget, CombineTarget, TargetRule

#: The flag codes, in the order the report lists them.
FLAGS: tuple[str, ...] = ("missing", "below_last", "softer", "harder", "assigned_gap")

#: The fewest growth observations that give a volatility.
MIN_GROWTHS = 2


# ================================================================================================ the model
def own_growth(levels: np.ndarray, t: int, years: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The unit's own growth before year index ``t``: the mean μ and sd σ (ddof 1) of ``log(x_k / x_{k−1})``
    over the last ``years`` years k = t − years … t − 1, their count, and the growth ratios x_k / x_{k−1}
    (..., years; NaN where a value is missing or not positive).  σ is NaN with fewer than two growths.

    >>> mu, sd, n, _ = own_growth(np.array([100.0, 110.0, 121.0, 133.1, 150.0]), 4)
    >>> round(float(mu), 6), round(float(sd), 6), int(n)
    (0.09531, 0.0, 3)
    """
    ks = [k for k in range(t - years, t) if k >= 1]
    ratio = np.full((*levels.shape[:-1], years), np.nan)
    for j, k in enumerate(ks, start=years - len(ks)):
        a, b = levels[..., k - 1], levels[..., k]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio[..., j] = np.where((a > 0) & (b > 0), b / np.where(a > 0, a, 1.0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        lg = np.log(ratio)
    n = np.sum(~np.isnan(lg), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(n > 0, np.nansum(lg, axis=-1) / np.maximum(n, 1), np.nan)
        dev = np.where(np.isnan(lg), 0.0, lg - mu[..., None])
        sd = np.where(n >= MIN_GROWTHS, np.sqrt((dev**2).sum(axis=-1) / np.maximum(n - 1, 1)), np.nan)
    return mu, sd, n, ratio


def p_meet(ratio: np.ndarray, mu: np.ndarray, sd: np.ndarray, direction: np.ndarray | float) -> np.ndarray:
    """P(meeting a target that asks for ``ratio`` × last year's value) when the log growth is N(μ, σ²):
    ``1 − Φ((log ratio − μ)/σ)``, or ``Φ(...)`` for a lower-is-better indicator (d = −1).  A target of 0 or
    less is always met (d = +1) or never (d = −1); σ = 0 is a step; NaN where μ or σ is.

    >>> round(float(p_meet(np.exp(0.05), 0.05, 0.02, 1.0)), 6), round(float(p_meet(np.exp(0.07), 0.05, 0.02, 1)), 4)
    (0.5, 0.1587)
    >>> round(float(p_meet(np.exp(0.07), 0.05, 0.02, -1.0)), 4)
    0.8413
    """
    ratio, mu, sd = (np.asarray(a, dtype=float) for a in (ratio, mu, sd))
    d = np.asarray(direction, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lr = np.log(np.where(ratio > 0, ratio, 1.0))
        z = (lr - mu) / np.where(sd > 0, sd, 1.0)
        up = np.where(sd > 0, norm.sf(z), (mu >= lr).astype(float))  # P(growth ≥ asked)
        down = np.where(sd > 0, norm.cdf(z), (mu <= lr).astype(float))  # P(growth ≤ asked)
    out = np.where(d > 0, np.where(ratio > 0, up, 1.0), np.where(ratio > 0, down, 0.0))
    return np.where(np.isnan(mu) | np.isnan(sd) | np.isnan(ratio), np.nan, out)


def equal_difficulty_ratio(mu: np.ndarray, sd: np.ndarray, p: float, direction: np.ndarray | float) -> np.ndarray:
    """The growth ratio G = x_t / x_{t−1} a target must ask for to be met with probability ``p``:
    ``exp(μ + σ·Φ⁻¹(1 − p))`` (higher is better), ``exp(μ + σ·Φ⁻¹(p))`` (lower is better).

    >>> round(float(equal_difficulty_ratio(0.05, 0.02, 0.5, 1.0)), 6) == round(float(np.exp(0.05)), 6)
    True
    >>> round(float(np.log(equal_difficulty_ratio(0.05, 0.02, 0.8413447, 1.0))), 6)
    0.03
    """
    d = np.asarray(direction, dtype=float)
    z = np.where(d > 0, norm.ppf(1.0 - p), norm.ppf(p))
    return np.exp(np.asarray(mu, dtype=float) + np.asarray(sd, dtype=float) * z)


def as_level(target: np.ndarray, previous: np.ndarray, measure: str) -> np.ndarray:
    """The level a target of ``measure`` asks for: q, x_{t−1} + q or x_{t−1}·(1 + q).

    >>> as_level(np.array([5.0]), np.array([100.0]), "increment").tolist(), as_level(0.1, 100.0, "growth")
    ([105.0], 110.00000000000001)
    """
    if measure == "level":
        return target
    return previous + target if measure == "increment" else previous * (1.0 + target)


def from_level(level: np.ndarray, previous: np.ndarray, measure: str) -> np.ndarray:
    """A level target expressed in ``measure`` (the inverse of ``as_level``)."""
    if measure == "level":
        return level
    with np.errstate(invalid="ignore", divide="ignore"):
        return level - previous if measure == "increment" else level / previous - 1.0


# ============================================================================================ the review
def _targets_of(plan: Plan, x: np.ndarray, assigned: np.ndarray, idx: np.ndarray, measure: str, rule: TargetRule,
                t: int) -> np.ndarray:
    """(U, k) targets of one rule for leaves ``idx`` measured by ``measure`` (as the leaf stage computes them)."""
    series, _ = MEASURES[measure](x[:, idx, :])
    ctx = TargetContext(np.moveaxis(assigned[:, idx, :], 0, 1), plan.group_codes, plan.direction[idx][:, None],
                        plan.years)
    return np.broadcast_to(compute_target(rule, np.moveaxis(series, 0, 1), t, ctx), (len(idx), x.shape[0])).T


def _reference_baseline(scenario: Scenario, rule: TargetRule) -> TargetRule:
    """The baseline an assigned target is checked against: the combination's own baseline source, else the
    scenario's default rule if it is a baseline, else the plain 3-year average."""
    if isinstance(rule, CombineTarget):
        for part in rule.of:
            if isinstance(part, BaselineTarget):
                return part
    default = scenario.defaults.target
    return default if isinstance(default, BaselineTarget) else BaselineTarget(years=3)


def _source_used(plan: Plan, x: np.ndarray, assigned: np.ndarray, idx: np.ndarray, measure: str,
                 rule: CombineTarget, t: int, q: np.ndarray) -> np.ndarray:
    """(U, k) which source of a combination set each target: a rule name, ``<rule>(floor)``, or ``a+b``."""
    parts = [_targets_of(plan, x, assigned, idx, measure, p, t) for p in rule.of]
    names = [p.rule for p in rule.of]
    out = np.full(q.shape, "", dtype=object)
    if rule.how in ("mean", "weighted"):
        for u, k in np.ndindex(q.shape):
            out[u, k] = "+".join(n for n, v in zip(names, parts, strict=True) if not np.isnan(v[u, k]))
    else:
        for n, v in reversed(list(zip(names, parts, strict=True))):  # the first source that gives the value
            out = np.where(np.isclose(v, q, rtol=1e-12, atol=0.0), n, out)
    if rule.floor is not None:
        f = _targets_of(plan, x, assigned, idx, measure, rule.floor, t)
        raised = np.isclose(f, q, rtol=1e-12, atol=0.0) & (out == "")
        out = np.where(raised, f"{rule.floor.rule}(floor)", out)
    return out


def _group_percentile(implied: np.ndarray, achieved: np.ndarray, codes: np.ndarray, applies: np.ndarray) -> np.ndarray:
    """Percentile (0–100, ties half) of each unit's implied growth (U,) among the growth its group's units
    achieved (U, years) in the trend years, pooled."""
    out = np.full(implied.shape, np.nan)
    for g in np.unique(codes):
        sel = (codes == g) & applies
        pool = achieved[sel].ravel()
        pool = pool[~np.isnan(pool)]
        if not len(pool):
            continue
        v = implied[sel]
        tol = 1e-9 * np.maximum(1.0, np.abs(v))[:, None]  # a target asking last year's growth ties with it
        gap = pool[None, :] - v[:, None]
        below = (gap < -tol).sum(axis=1)
        equal = (np.abs(gap) <= tol).sum(axis=1)
        out[sel] = np.where(np.isnan(v), np.nan, 100.0 * (below + 0.5 * equal) / len(pool))
    return out


def review_targets(scenario: Scenario, data: Dataset | None = None, year: int | None = None, *,
                   percentile: tuple[float, float] = (10, 90), margin: float = 0.2,
                   trend_years: int = 3) -> pd.DataFrame:
    """The 会审 table: one row per unit × indicator × measure whose scoring compares with a target.

    Columns: unit, name, group, year, indicator, indicator_name, direction, measure, blend (the measure's weight),
    source (the target rule), source_used (for ``combine``: the source that set it), target, target_level,
    previous (last year's value), implied_growth (target_level / previous − 1, in the good direction),
    trend (mean log growth), volatility, n_growth, group_percentile (of the implied growth among the growth
    the group's units achieved in the trend years, pooled), p_meet (normal on log growth), p_meet_past (share of
    the trend years whose growth would have met it), value and met (this year's outcome, where known),
    baseline_target and assigned_gap (an assigned target against the baseline rule), one boolean column per flag
    (``flag_<code>``) and ``flags`` (the codes, ``;``-separated).  Flags: ``missing`` (no target), ``below_last``
    (asks less than last year's value), ``softer`` / ``harder`` (group percentile outside ``percentile``),
    ``assigned_gap`` (|assigned − baseline| > ``margin`` × |baseline|).  ``attrs`` keep the settings.

    >>> import simkit
    >>> r = review_targets(simkit.load_scenario("yiyang_2018_reform"), year=2018, percentile=(5, 95))
    >>> r.attrs["percentile"], r.attrs["method"], int(r["flag_missing"].sum())
    ((5.0, 95.0), 'normal', 0)
    """
    lo_pct, hi_pct = _check_options(percentile, margin, trend_years)
    if data is None:
        from ..io.read import load_data

        data = load_data()
    plan = compile_plan(scenario, data)
    year = year if year is not None else (scenario.year if scenario.year is not None else data.years[-1])
    t = plan.year_index(year)
    if t == 0:
        raise SimkitError(Problem(data.source, f"{year} is the first year of the data: there is no last year to "
                                  "compare the targets with", f"review a later year ({data.years[1]} or after)",
                                  field="year"))
    inputs = inputs_of(plan)
    leaf = leaf_stage(plan, inputs, [t])
    frames = [_rule_set_rows(plan, inputs, leaf, k, t, trend_years, margin) for k in range(len(plan.rule_sets))]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(percentile, margin, trend_years)
    df = pd.concat(frames, ignore_index=True)
    pct = df["group_percentile"].to_numpy(dtype=float)
    df["flag_softer"] = ~df["flag_missing"] & (pct < lo_pct)
    df["flag_harder"] = ~df["flag_missing"] & (pct > hi_pct)
    marks = df[[f"flag_{c}" for c in FLAGS]].to_numpy(dtype=bool)
    df["flags"] = [";".join(c for c, on in zip(FLAGS, row, strict=True) if on) for row in marks]
    order = {u: i for i, u in enumerate(data.unit_ids)}
    leaves = {lf: i for i, lf in enumerate(plan.tree.leaves)}
    df = df.assign(_u=df["unit"].map(order), _l=df["indicator"].map(leaves),
                   _m=df["measure"].map({m: i for i, m in enumerate(MEASURES)}))
    df = df.sort_values(["_u", "_l", "_m"]).drop(columns=["_u", "_l", "_m"]).reset_index(drop=True)
    df.attrs.update(percentile=(lo_pct, hi_pct), margin=margin, trend_years=trend_years, method="normal",
                    year=year, scenario=scenario.name, synthetic=bool(data.synthetic))
    return df


def _check_options(percentile: Sequence[float], margin: float, trend_years: int) -> tuple[float, float]:
    problems = []
    try:
        lo, hi = (float(v) for v in percentile)
    except (TypeError, ValueError):
        lo, hi = np.nan, np.nan
    if not (0 <= lo < hi <= 100):
        problems.append(Problem("percentile", f"the percentile band is {tuple(percentile)!r}",
                                "give two numbers 0 ≤ low < high ≤ 100, e.g. (10, 90)", field="percentile"))
    if not margin >= 0:
        problems.append(Problem("margin", f"the margin is {margin!r}", "give a share of 0 or more, e.g. 0.2",
                                field="margin"))
    if not (isinstance(trend_years, int) and trend_years >= 1):
        problems.append(Problem("trend_years", f"trend_years is {trend_years!r}", "give a whole number of years, "
                                "at least 1 (3 = the last three years)", field="trend_years"))
    if problems:
        raise SimkitError(problems)
    return lo, hi


def _empty(percentile: Sequence[float], margin: float, trend_years: int) -> pd.DataFrame:
    cols = ["unit", "name", "group", "year", "indicator", "indicator_name", "direction", "measure", "blend",
            "source", "source_used", "target", "target_level", "previous", "implied_growth", "trend", "volatility",
            "n_growth", "group_percentile", "p_meet", "p_meet_past", "value", "met", "baseline_target",
            "assigned_gap", *(f"flag_{c}" for c in FLAGS), "flags"]
    df = pd.DataFrame(columns=cols)
    df.attrs.update(percentile=tuple(percentile), margin=margin, trend_years=trend_years, method="normal")
    return df


def _rule_set_rows(plan: Plan, inputs: Inputs, leaf: LeafStage, k: int, t: int, trend_years: int,
                   margin: float) -> pd.DataFrame:
    """The review rows of one rule set (its leaves × the measures it scores against a target)."""
    rs = plan.rule_sets[k]
    rule = rs.rule
    if not rule.scoring.needs_target:
        return pd.DataFrame()
    data, tree = plan.data, plan.tree
    idx = rs.leaves
    raw = inputs.values if inputs.values.ndim == 3 else inputs.values[0]
    x = carry_forward(raw, plan.missing.max_years) if plan.missing.max_years.any() else raw
    levels = x[:, idx, :]  # (U, k, T)
    d = plan.direction[idx][None, :]  # (1, k)
    prev, now = levels[..., t - 1], levels[..., t]
    mu, sd, n, ratios = own_growth(levels[..., :t], t, trend_years)
    applies = tree.applicable[:, idx]
    achieved = d[..., None] * (ratios - 1.0)  # (U, k, years), in the good direction
    ind = data.indicators.set_index("indicator")
    frames = []
    for name in rule.measures:
        m = leaf.measures.index(name)
        q = leaf.target[0, 0][:, idx, m]  # (U, k)
        level = as_level(q, prev, name)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(prev > 0, level / np.where(prev > 0, prev, 1.0), np.nan)
        implied = d * (ratio - 1.0)
        prob = p_meet(ratio, mu, sd, d)
        with np.errstate(invalid="ignore"):
            meets = d[..., None] * (ratios - ratio[..., None]) >= 0
        have = ~np.isnan(ratios) & ~np.isnan(ratio)[..., None]
        past = np.where(have.sum(-1) > 0, (meets & have).sum(-1) / np.maximum(have.sum(-1), 1), np.nan)
        pct = np.column_stack([_group_percentile(implied[:, j], achieved[:, j], plan.group_codes, applies[:, j])
                               for j in range(len(idx))])
        base_q, gap = _assigned_gap(plan, x, inputs.assigned, idx, name, rule.target, t, q)
        used = _source_used(plan, x, inputs.assigned, idx, name, rule.target, t, q) \
            if isinstance(rule.target, CombineTarget) else np.full(q.shape, rule.target.rule, dtype=object)
        missing = np.isnan(q)
        with np.errstate(invalid="ignore"):
            below = ~missing & ~np.isnan(prev) & (d * (level - prev) < 0)
            met = np.where(np.isnan(now) | missing, np.nan, (d * (now - level) >= 0).astype(float))
        uu, jj = np.nonzero(applies)
        leaves = np.asarray(tree.leaves)[idx][jj]
        frames.append(pd.DataFrame({
            "unit": np.asarray(data.unit_ids)[uu], "name": data.units["name"].to_numpy()[uu],
            "group": data.units["group"].to_numpy()[uu], "year": plan.years[t], "indicator": leaves,
            "indicator_name": ind.loc[leaves, "name"].to_numpy(), "direction": d[0, jj].astype(int),
            "measure": name, "blend": float(rule.measures[name]), "source": rule.target.rule,
            "source_used": used[uu, jj], "target": q[uu, jj], "target_level": level[uu, jj],
            "previous": prev[uu, jj], "implied_growth": implied[uu, jj], "trend": mu[uu, jj],
            "volatility": sd[uu, jj], "n_growth": n[uu, jj], "group_percentile": pct[uu, jj],
            "p_meet": prob[uu, jj], "p_meet_past": past[uu, jj], "value": now[uu, jj],
            "met": pd.array(met[uu, jj], dtype="Float64").astype("boolean"), "baseline_target": base_q[uu, jj],
            "assigned_gap": gap[uu, jj], "flag_missing": missing[uu, jj], "flag_below_last": below[uu, jj],
            "flag_assigned_gap": ~missing[uu, jj] & (np.abs(np.nan_to_num(gap[uu, jj])) > margin),
        }))
    return pd.concat(frames, ignore_index=True)


def _assigned_gap(plan: Plan, x: np.ndarray, assigned: np.ndarray, idx: np.ndarray, measure: str,
                  rule: TargetRule, t: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U, k) the baseline target and the assigned target's relative gap from it, for an assigned target (or a
    combination with an assigned source); NaN elsewhere."""
    nan = np.full(q.shape, np.nan)
    if rule.rule == "assigned":
        given = q
    elif isinstance(rule, CombineTarget) and any(p.rule == "assigned" for p in rule.of):
        part = next(p for p in rule.of if p.rule == "assigned")
        given = _targets_of(plan, x, assigned, idx, measure, part, t)
    else:
        return nan, nan
    ref = _reference_baseline(plan.scenario, rule)
    base = _targets_of(plan, x, assigned, idx, measure, ref, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(np.abs(base) > 0, (given - base) / np.abs(base), np.nan)
    return base, gap * plan.direction[idx][None, :]  # in the good direction: positive = asks more


def difficulty_spread(review: pd.DataFrame) -> pd.DataFrame:
    """How far the targets are from equal difficulty: per group, indicator and measure, the least, mean and
    largest P(meet) of the units and the spread (max − min).

    >>> r = pd.DataFrame({"group": ["g"] * 3, "indicator": ["a"] * 3, "measure": ["level"] * 3,
    ...                   "indicator_name": ["A"] * 3, "p_meet": [0.2, 0.5, 0.9]})
    >>> difficulty_spread(r)[["p_min", "p_max", "spread"]].values.tolist()
    [[0.2, 0.9, 0.7]]
    """
    keys = ["group", "indicator", "indicator_name", "measure"]
    ok = review.dropna(subset=["p_meet"])
    out = ok.groupby(keys, sort=False)["p_meet"].agg(units="count", p_min="min", p_mean="mean",
                                                      p_max="max").reset_index()
    out["spread"] = (out["p_max"] - out["p_min"]).round(12)
    return out


# ============================================================================================ equal difficulty
def _measure_for(rule_measures: dict[str, float], measure: str | None) -> str:
    """The measure a target of the table is written in: the one asked, the indicator's own, or (a blend) growth."""
    if measure is not None:
        return measure
    return next(iter(rule_measures)) if len(rule_measures) == 1 else "growth"


def equal_difficulty_targets(scenario: Scenario, data: Dataset | None, year: int, p: float = 0.6,
                             indicators: Sequence[str] | None = None, *, measure: str | None = None,
                             trend_years: int = 3) -> pd.DataFrame:
    """Targets that every unit meets with the same probability ``p`` given its own trend and volatility.

    With log growth N(μ, σ²) from the unit's last ``trend_years`` years, the target asks the growth ratio
    G = exp(μ + σ·Φ⁻¹(1 − p)) (lower is better: exp(μ + σ·Φ⁻¹(p))), i.e. the level x_{t−1}·G, written in the
    indicator's measure (a blend: the growth rate; or ``measure``).  Returns the data format's targets table
    (unit, indicator, year, target) followed by name, group, measure, p_before (P(meet) under the scenario's
    own rule, same measure) and p_after; a unit with fewer than two growth years has no target (NaN).  Use it
    with ``equal_difficulty_scenario`` and ``with_targets``.

    >>> import simkit
    >>> t = equal_difficulty_targets(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data(), 2018, 0.6,
    ...                              ["gdp"])
    >>> list(t.columns[:4]), t["p_after"].round(6).unique().tolist()
    (['unit', 'indicator', 'year', 'target'], [0.6])
    """
    if not (isinstance(p, int | float) and 0 < p < 1):
        raise SimkitError(Problem("p", f"the common probability is {p!r}", "give a probability between 0 and 1 "
                                  "(not 0 or 1 themselves), e.g. 0.6", field="p"))
    if measure is not None and measure not in MEASURES:
        raise SimkitError(Problem("measure", f"there is no measure {measure!r}",
                                  f"use one of {', '.join(MEASURES)}", field="measure"))
    if data is None:
        from ..io.read import load_data

        data = load_data()
    review = review_targets(scenario, data, year, trend_years=trend_years)
    chosen = _leaves_of(scenario, data, review, indicators)
    plan = compile_plan(scenario, data)
    rules = {plan.tree.leaves[int(k)]: rs.rule.measures for rs in plan.rule_sets for k in rs.leaves}
    rows = []
    for leaf_id in chosen:
        want = _measure_for(rules[leaf_id], measure)
        part = review[review["indicator"] == leaf_id]
        mine = part[part["measure"] == want]
        if mine.empty:  # the scenario does not score this measure: its own rule's target in it is unknown
            mine = part.drop_duplicates("unit").assign(p_meet=np.nan)
        d = mine["direction"].to_numpy(dtype=float)
        prev = mine["previous"].to_numpy(dtype=float)
        ratio = equal_difficulty_ratio(mine["trend"].to_numpy(dtype=float), mine["volatility"].to_numpy(dtype=float),
                                       p, d)
        target = from_level(prev * ratio, prev, want)
        rows.append(pd.DataFrame({
            "unit": mine["unit"].to_numpy(), "indicator": leaf_id, "year": int(review.attrs.get("year", year)),
            "target": target, "name": mine["name"].to_numpy(), "group": mine["group"].to_numpy(), "measure": want,
            "p_before": mine["p_meet"].to_numpy(dtype=float),
            "p_after": p_meet(ratio, mine["trend"].to_numpy(dtype=float), mine["volatility"].to_numpy(dtype=float), d),
        }))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["unit", "indicator", "year", "target", "name", "group", "measure", "p_before", "p_after"])
    out.attrs.update(p=p, trend_years=trend_years, year=year)
    return out


def _leaves_of(scenario: Scenario, data: Dataset, review: pd.DataFrame, indicators: Sequence[str] | None) -> list[str]:
    """The reviewed leaves under the given nodes (leaf or node ids), in the review's order."""
    reviewed = list(dict.fromkeys(review["indicator"]))
    if indicators is None:
        return reviewed
    ind = data.indicators
    parent = dict(zip(ind["indicator"], ind["parent"], strict=True))

    def under(leaf: str, node: str) -> bool:
        while leaf is not None and leaf == leaf:  # NaN parent: the top
            if leaf == node:
                return True
            leaf = parent.get(leaf)
        return False

    unknown = [n for n in indicators if n not in parent]
    if unknown:
        raise SimkitError(Problem(data.source, f"no indicator {', '.join(map(repr, unknown))} in the data",
                                  "use indicator ids of the indicators table (a leaf or a node)", field="indicators"))
    chosen = [lf for lf in reviewed if any(under(lf, n) for n in indicators)]
    if not chosen:
        raise SimkitError(Problem(data.source, f"none of {', '.join(indicators)} is scored against a target under "
                                  f"{scenario.name}", "name indicators whose scoring compares with a target",
                                  field="indicators"))
    return chosen


def equal_difficulty_scenario(scenario: Scenario, table: pd.DataFrame) -> Scenario:
    """The scenario reading ``table``'s targets: each of its indicators measured in the table's measure, with
    the assigned target rule (its scoring rule kept), through ``SetRule`` levers.

    >>> import simkit
    >>> t = pd.DataFrame({"unit": ["HS"], "indicator": ["gdp"], "year": [2018], "target": [0.08],
    ...                   "measure": ["growth"]})
    >>> s = equal_difficulty_scenario(simkit.load_scenario("yiyang_2018_reform"), t)
    >>> s.indicators["gdp"].target.rule, s.indicators["gdp"].measures
    ('assigned', {'growth': 1.0})
    """
    levers = [SetRule(node=ind, measures={m: 1.0}, target={"rule": "assigned"})
              for ind, m in table[["indicator", "measure"]].drop_duplicates().itertuples(index=False)]
    return apply(scenario, levers)


def with_targets(data: Dataset, table: pd.DataFrame) -> Dataset:
    """The data with ``table``'s targets (unit, indicator, year, target) in place of the targets table's rows for
    the same cells; rows without a target are left out (as the reader does).

    >>> import simkit
    >>> t = pd.DataFrame({"unit": ["HS", "ZY"], "indicator": ["gdp"] * 2, "year": [2018] * 2, "target": [0.08, None]})
    >>> d = with_targets(simkit.load_data(), t)
    >>> d.targets.query("indicator == 'gdp'")["target"].tolist()
    [0.08]
    """
    new = table.loc[table["target"].notna(), ["unit", "indicator", "year", "target"]].astype(
        {"year": int, "target": float})
    old = data.targets
    key = ["unit", "indicator", "year"]
    kept = old.merge(new[key], on=key, how="left", indicator=True)
    kept = old[(kept["_merge"] == "left_only").to_numpy()]
    targets = pd.concat([kept, new], ignore_index=True)
    return Dataset(data.units, data.indicators, data.observations, targets, data.adjustments, source=data.source,
                   synthetic=data.synthetic, encodings=data.encodings, notes=data.notes)
