"""Sensitivity under the nominal rules, for one scenario on one data set:

- ``main_effects``: each indicator's nominal weight against its main effect on the total across units
  (Paruolo, Saisana & Saltelli 2013);
- ``what_would_it_take``: the smallest change of one indicator that moves a unit up a grade (``WhatItTakes``;
  its sentence for people is made in ``simkit.present.text``);
- ``replay_weights``: the scenario re-evaluated under given weight sets (e.g. COINr's ``weight_sets_used``),
  exactly (``ReplayResult``).

Each takes a ``Result`` (of ``simkit.evaluate``; its focus year) or a ``Plan`` (``engine.compile.compile_plan``;
``year`` or the scenario's year, else the data's last), and evaluates through ``engine.evaluate.run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..engine.compile import Plan, check_year, inputs_of
from ..engine.evaluate import run
from ..engine.result import Result
from ..errors import EvaluationError, Problem, ScenarioError

Source = Result | Plan


def _plan_year(source: Source, year: int | None) -> tuple[Plan, int]:
    """The plan and the evaluation year's index of a source (a result's focus year, unless ``year``)."""
    if isinstance(source, Result):
        return source.plan, source.plan.year_index(source.year if year is None else year)
    if isinstance(source, Plan):
        sc = source.scenario
        y = year if year is not None else (sc.year if sc.year is not None else source.years[-1])
        return source, source.year_index(y)
    raise TypeError(f"expected a Result or a Plan, not {type(source).__name__}")


def _nominal(source: Source, year: int | None) -> Result:
    """The source's result with every detail for one year (the source itself when it is one)."""
    if isinstance(source, Result) and year in (None, source.year) and "effective" in source:
        return source.at(source.year) if source.focus is None else source
    plan, t = _plan_year(source, year)
    inputs = inputs_of(plan)
    check_year(plan, inputs, t, plan.years[t])
    return run(plan, inputs, [t], money=False)


# ============================================================================================ main effects
def main_effects(source: Source, degree: int | None = None, *, year: int | None = None) -> pd.DataFrame:
    """Each indicator's nominal weight against its main effect on the total (Paruolo, Saisana & Saltelli 2013).

    Across the units of a track (units that see the same indicators), the main effect of indicator i is
    ``S_i = V(E[y | x_i]) / V(y)``, y the total before adjustments and x_i the indicator's score; E[y | x_i] is
    estimated by a least-squares polynomial in x_i (cubic with 12 or more units, otherwise linear, for which
    S_i is the squared correlation).  Weight and main effect are each normalised to shares within the track, and
    ``ratio`` = main-effect share / weight share: far below 1, the indicator counts less than its weight says
    (Paruolo et al.); with few units (8 counties) the estimates are rough.

    >>> import simkit
    >>> me = main_effects(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")))
    >>> me.columns[:4].tolist(), bool(me["main_effect"].between(0, 1).all())
    (['track', 'indicator', 'name', 'parent'], True)
    """
    r = _nominal(source, year)
    k = r._k
    plan = r.plan
    tree = plan.tree
    share = r["share"][0, k] * 100.0
    y = r["base_score"][0, k]
    eff = r["effective"][0, k, :, : tree.n_leaves] * plan.scenario.total
    ind = plan.data.indicators.set_index("indicator")
    tracks = plan.data.units["track"].to_numpy()
    rows = []
    for track in dict.fromkeys(tracks):
        in_track = tracks == track
        for li, leaf_id in enumerate(tree.leaves):
            ok = in_track & tree.applicable[:, li] & ~np.isnan(share[:, li]) & ~np.isnan(y)
            if not ok.any():
                continue
            x, yy = share[ok, li], y[ok]
            n = int(ok.sum())
            deg = degree if degree is not None else (3 if n >= 12 else 1)
            deg = min(deg, max(len(np.unique(x)) - 1, 0))
            vy = yy.var()
            if deg == 0 or vy <= 0:
                s = 0.0
                c = np.nan
            else:
                fit = np.polynomial.polynomial.Polynomial.fit(x, yy, deg)(x)
                s = float(np.clip(fit.var() / vy, 0.0, 1.0))
                c = float(np.corrcoef(x, yy)[0, 1]) if x.std() > 0 else np.nan
            rows.append({"track": track, "indicator": leaf_id, "name": ind.at[leaf_id, "name"],
                         "parent": tree.path[li][0], "units": n, "weight": float(np.nanmean(eff[ok, li])),
                         "main_effect": s, "correlation": c, "degree": deg})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df["weight_share"] = df["weight"] / df.groupby("track")["weight"].transform("sum")
    total_s = df.groupby("track")["main_effect"].transform("sum")
    df["main_effect_share"] = np.where(total_s > 0, df["main_effect"] / total_s.where(total_s > 0, 1.0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["ratio"] = df["main_effect_share"] / df["weight_share"]
    return df[["track", "indicator", "name", "parent", "units", "weight", "weight_share", "main_effect",
               "main_effect_share", "ratio", "correlation", "degree"]]


# ===================================================================================== what would it take
@dataclass(frozen=True)
class WhatItTakes:
    """The smallest change of one indicator (evaluation year) that moves a unit up a grade, nominal rules.

    ``reason`` says it in a word: ``found``, ``best_grade`` (already in the best grade), ``no_grade`` or
    ``out_of_reach`` (no value up to ``limit`` moves the unit up); ``tolerance`` is how close ``required_value``
    is to the exact threshold; ``note`` says the same in a line of Chinese and English (as simkit 0.1 did);
    ``grade_names_en`` gives the English grade names.  The sentence for people is ``simkit.present.text``'s.
    """

    unit: str
    name: str
    indicator: str
    indicator_name: str
    year: int
    value: float
    required_value: float | None  # None: no value of this indicator moves the unit up
    grade_now: str | None
    grade_then: str | None
    rank_now: int | None
    rank_then: int | None
    note: str
    grade_names_en: dict[str, str] = field(default_factory=dict, repr=False)  # grade → English name
    reason: str = "found"  # found | best_grade | no_grade | out_of_reach
    limit: float | None = None  # out_of_reach: the farthest value tried that the rules can score
    tolerance: float | None = None  # found: the width of the last bracket around the threshold

    @property
    def feasible(self) -> bool:
        return self.required_value is not None

    @property
    def change(self) -> float | None:
        return None if self.required_value is None else self.required_value - self.value

    @property
    def change_pct(self) -> float | None:
        if self.required_value is None or self.value == 0:
            return None
        return 100.0 * (self.required_value - self.value) / abs(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "name": self.name, "indicator": self.indicator,
                "indicator_name": self.indicator_name, "year": self.year, "value": self.value,
                "required_value": self.required_value, "change": self.change, "change_pct": self.change_pct,
                "grade_now": self.grade_now, "grade_then": self.grade_then, "rank_now": self.rank_now,
                "rank_then": self.rank_then, "feasible": self.feasible, "note": self.note, "reason": self.reason,
                "limit": self.limit, "tolerance": self.tolerance}


def _unit_index(plan: Plan, unit: str) -> int:
    units = plan.data.units
    for col in ("unit", "name"):
        hit = np.flatnonzero(units[col].to_numpy() == unit)
        if len(hit):
            return int(hit[0])
    raise EvaluationError(Problem(plan.data.source, f"no unit {unit!r}", "give a unit id or name from the units "
                                  "table", field="unit"))


def what_would_it_take(source: Source, unit: str, indicator: str, *, rounds: int = 4, grid: int = 64,
                       year: int | None = None) -> WhatItTakes:
    """The smallest change in ``indicator``'s evaluation-year value that moves ``unit`` up at least one grade.

    Everything else stays as observed and the nominal rules apply (targets, scores, totals, ranks, grades are
    recomputed for every candidate value, so group-relative scoring and quotas are taken into account).  The
    value moves in the indicator's good direction; candidates are evaluated as one batch of draws: first a
    geometric bracket (2⁻¹²…2¹⁰ times the indicator's scale), then ``rounds`` finer grids of ``grid`` points
    between the last value that does not move the unit up and the first that does (a vectorised bisection).
    The answer is the first value found that moves the unit up, within (scale × 2¹⁰) / grid^rounds of the exact
    threshold.  It assumes that improving the indicator never lowers the unit's grade (true for the shipped
    rules); a value the rules refuse (e.g. one below 0 under the `leader` rule) never counts as a move up.
    ``unit`` is an id or a name.

    >>> import simkit
    >>> w = what_would_it_take(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")), "ZY", "fiscal_rev")
    >>> w.grade_now, w.feasible
    ('较差', True)
    """
    plan, t = _plan_year(source, year)
    data, tree = plan.data, plan.tree
    units = data.units
    ui = _unit_index(plan, unit)
    if indicator not in tree.leaves:
        raise EvaluationError(Problem(plan.where, f"{indicator!r} is not a leaf indicator of this scenario",
                                      "name a leaf indicator id", field="indicator"))
    li = tree.leaves.index(indicator)
    inputs = inputs_of(plan) if not isinstance(source, Result) or source.inputs.values.ndim != 3 else source.inputs
    values = inputs.values
    x0 = values[ui, li, t]
    year_t = plan.years[t]
    uid, uname = str(units["unit"].iat[ui]), str(units["name"].iat[ui])
    ind_name = str(data.indicators.set_index("indicator").at[indicator, "name"])
    if not tree.applicable[ui, li] or np.isnan(x0):
        raise EvaluationError(Problem(data.source, f"indicator {indicator!r} does not apply to {uid} ({uname}) or has "
                                      f"no value for {year_t}", "choose an indicator the unit is scored on"))
    grades = plan.scenario.grading.grades
    names = [g.name for g in grades]
    names_en = {g.name: g.name_en or g.name for g in grades}
    d = float(plan.direction[li])

    def grade_rank(candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Grade and rank of the unit for each candidate value, and which candidates the rules can score."""
        x = np.broadcast_to(values, (len(candidates), *values.shape)).copy()
        x[:, ui, li, t] = candidates
        r = run(plan, replace(inputs, values=x), [t], money=False)
        ok = np.ones(len(candidates), dtype=bool)
        for issue in r.issues:  # a value the rules refuse (e.g. below 0 for `leader`) moves nobody anywhere
            ok &= ~np.asarray(issue.mask).reshape(len(candidates), -1).any(axis=1)
        return np.where(ok, r["grade"][:, 0, ui], g_none), r["rank"][:, 0, ui], ok

    g_none = len(names)  # worse than any grade: a candidate the rules refuse never counts as a move up
    g0, r0, ok0 = grade_rank(np.array([x0]))
    if not ok0[0]:
        raise EvaluationError(Problem(data.source, f"the rules cannot score {uid} ({uname}) on {indicator!r} in "
                                      f"{year_t} as observed", "evaluate the scenario first: it names the problem"))
    g0, r0 = int(g0[0]), r0[0]
    base = dict(unit=uid, name=uname, indicator=indicator, indicator_name=ind_name, year=year_t, value=float(x0),
                grade_now=names[g0] if g0 >= 0 else None, rank_now=None if np.isnan(r0) else int(r0),
                grade_names_en=names_en)
    if g0 <= 0:
        return WhatItTakes(**base, required_value=None, grade_then=None, rank_then=None,
                           note="已是最高等次 / already in the best grade" if g0 == 0 else "无等次 / no grade",
                           reason="best_grade" if g0 == 0 else "no_grade")
    col = values[:, li, t]
    col = col[tree.applicable[:, li] & ~np.isnan(col)]
    scale = max(abs(x0), float(np.median(np.abs(col))) if len(col) else 0.0, 1e-9)
    steps = scale * 2.0 ** np.arange(-12, 11)
    g, r, ok = grade_rank(x0 + d * steps)
    better = np.flatnonzero(g < g0)
    if not len(better):
        top = x0 + d * (steps[ok][-1] if ok.any() else 0.0)  # the farthest value the rules can score
        return WhatItTakes(**base, required_value=None, grade_then=None, rank_then=None,
                           note=f"在{ind_name}上改进（至 {top:,.6g}）也不能提升等次，"
                           "例如已达计分上限或受否决限制 / "
                           f"no value of {indicator} up to {top:,.6g} moves the unit up a grade "
                           "(e.g. the score is capped, or a veto limits the grade)", reason="out_of_reach",
                           limit=float(top))
    k = int(better[0])
    lo, hi = (0.0 if k == 0 else steps[k - 1]), steps[k]
    best = (hi, int(g[k]), r[k])
    for _ in range(rounds):
        cand = np.linspace(lo, hi, grid + 1)[1:]
        g, r, _ = grade_rank(x0 + d * cand)
        j = int(np.flatnonzero(g < g0)[0]) if (g < g0).any() else len(cand) - 1
        if g[j] < g0:
            best = (cand[j], int(g[j]), r[j])
        lo, hi = (lo if j == 0 else cand[j - 1]), cand[j]
    step, g1, r1 = best
    return WhatItTakes(**base, required_value=float(x0 + d * step), grade_then=names[g1],
                       rank_then=None if np.isnan(r1) else int(r1),
                       note=f"smallest change found to within {(hi - lo):.3g}", tolerance=float(hi - lo))


# ======================================================================================= weight replay
@dataclass(frozen=True)
class ReplayResult:
    """Ranks of every unit under each replayed weight set, and their statistics."""

    ranks: pd.DataFrame  # index unit, columns: nominal, then one per replicate
    scores: pd.DataFrame  # the final totals, same shape
    rank_stats: pd.DataFrame  # unit, nominal_rank, mean_rank, median_rank, q05, q95


def replay_weights(source: Source, weights_frame: pd.DataFrame, *, year: int | None = None) -> ReplayResult:
    """Re-evaluate the scenario under given weight sets, one per replicate, exactly (every stage, level by
    level, as ``evaluate`` does).

    ``weights_frame`` has one row per replicate and node: columns ``rep``, ``iCode`` (or ``node``) and
    ``Weight`` (or ``weight``), as COINr's ``weight_sets_used``.  Nodes a replicate does not list keep their
    nominal weight; ids not in the tree are an error.

    >>> import simkit
    >>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
    >>> replay_weights(r, pd.DataFrame({"rep": [1], "node": ["Q"], "weight": [60.0]})).ranks.columns.tolist()
    ['nominal', 'r_1']
    """
    df = weights_frame.rename(columns={"iCode": "node", "Weight": "weight"})
    missing = [c for c in ("rep", "node", "weight") if c not in df.columns]
    if missing:
        raise ScenarioError(Problem("weights frame", f"the weights frame has no column(s) {', '.join(missing)}",
                                    "give columns rep, iCode (or node) and Weight (or weight)"))
    plan, t = _plan_year(source, year)
    tree = plan.tree
    unknown = sorted(set(df["node"]) - set(tree.nodes))
    if unknown:
        raise ScenarioError(Problem("weights frame", "nodes not in the scenario's tree: "
                                    f"{', '.join(map(str, unknown))}", "use the node ids of the indicators table"))
    reps = list(dict.fromkeys(df["rep"]))
    w = np.broadcast_to(tree.weight, (len(reps), len(tree.nodes))).copy()
    w[pd.Index(reps).get_indexer(df["rep"]), pd.Index(tree.nodes).get_indexer(df["node"])] = \
        df["weight"].to_numpy(dtype=float)
    inputs = inputs_of(plan)
    check_year(plan, inputs, t, plan.years[t])
    r = run(plan, inputs, [t], weights=np.vstack([tree.weight, w]), money=False)
    rank, score = r["rank"][:, 0], r["score"][:, 0]
    units = pd.Index(plan.data.unit_ids, name="unit")
    cols = ["nominal", *[f"r_{x}" for x in reps]]
    reps_only = rank[1:]
    stats = pd.DataFrame({
        "unit": list(units), "nominal_rank": rank[0], "mean_rank": reps_only.mean(axis=0),
        "median_rank": np.quantile(reps_only, 0.5, axis=0),
        "q05": np.quantile(reps_only, 0.05, axis=0), "q95": np.quantile(reps_only, 0.95, axis=0),
    })
    return ReplayResult(pd.DataFrame(rank.T, index=units, columns=cols),
                        pd.DataFrame(score.T, index=units, columns=cols), stats)
