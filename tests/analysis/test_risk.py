"""Hand-computed tests of ``simkit.analysis.risk``: consequence probabilities against closed forms, the ladder
over independent years, the margins against the engine, the tenure simulation against ``dynamics.project``
and a closed form, the same seed for any chunking and back-end (threads, dask), and the table on the bundled data
(the issue's 4000-draw check of 资阳区 runs through the command line: ``tests/cli/test_risk_cli.py``).

The two-unit panel used below: one group of two units A and B, one indicator x (higher is better) scored by
min-max within the group (so the unit with the higher value is first), grades 优秀 = first, 较差 = last, and the
ladder 较差 → 约谈, two years running → 诫勉谈话.  With lognormal noise ``x·exp(sd·z)`` independent per unit and
year, A is last in a year with probability

    P(x_A e^{sd z_A} < x_B e^{sd z_B}) = P(z_A − z_B < ln(x_B/x_A)/sd) = Φ(ln(x_B/x_A) / (sd·√2)).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import simkit
from simkit.analysis import fairness as f
from simkit.analysis.dynamics import project
from simkit.analysis.outcomes import bottom_of
from simkit.analysis.risk import (
    RiskProblem,
    consequence_risk,
    grade_margins,
    smallest_change,
    tenure_accountability,
    total_margins,
)
from simkit.analysis.risk.margins import _cell_runs
from simkit.engine.compile import compile_plan, inputs_of
from simkit.engine.stages import leaf_stage, rank_stage, total_stage
from simkit.errors import ScenarioError, SimkitError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.present import risk as pt_risk
from simkit.present import tables as pt

SD = 0.02


def pair_data(values: dict[str, list[float]], years: list[int]) -> simkit.Dataset:
    units = pd.DataFrame([[u, f"单位{u}", "G"] for u in values], columns=["unit", "name", "group"])
    indicators = pd.DataFrame([["x", "指标x", "1"]], columns=["indicator", "name", "direction"])
    obs = pd.DataFrame([[u, "x", str(y), repr(v)] for u, vs in values.items() for y, v in zip(years, vs, strict=True)],
                       columns=["unit", "indicator", "year", "value"])
    return build_dataset({"units": units, "indicators": indicators, "observations": obs})


def pair_scenario(**changes) -> simkit.Scenario:
    doc = {
        "name": "两单位", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
        "grading": {"grades": [{"name": "优秀", "count": 1}, {"name": "良好"},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {"accountability": {"bottom_grades": ["较差"], "steps": ["约谈", "诫勉谈话"]}},
    }
    doc.update(changes)
    return scenario_from_dict(doc)


def p_last(a: float, b: float, sd: float = SD) -> float:
    """P(A is last) for values a (A) and b (B) under lognormal noise sd (the module text)."""
    return float(norm.cdf(math.log(b / a) / (sd * math.sqrt(2.0))))


def within(p_hat: float, p: float, n: int, k: float = 4.0) -> bool:
    """|p̂ − p| within k Monte Carlo standard errors."""
    return abs(p_hat - p) <= k * math.sqrt(p * (1 - p) / n)


# ============================================================================ consequence probabilities
PAIR = {"A": [100.0, 100.0], "B": [99.0, 98.0]}
DRAWS = 20_000


@pytest.fixture(scope="module")
def pair_risk():
    return consequence_risk(pair_scenario(), pair_data(PAIR, [2017, 2018]), draws=DRAWS, noise=SD, seed=7,
                            margins=False).set_index("unit")


def test_the_probability_of_the_bottom_grade_agrees_with_the_closed_form(pair_risk):
    p18 = p_last(100.0, 98.0)  # Φ(ln 0.98 / (0.02 √2)) = Φ(−0.714) ≈ 0.238
    assert p18 == pytest.approx(0.2376, abs=1e-3)
    assert within(pair_risk.loc["A", "p_较差"], p18, DRAWS)
    assert within(pair_risk.loc["B", "p_较差"], 1 - p18, DRAWS)
    assert pair_risk.loc["A", "p_较差"] + pair_risk.loc["A", "p_优秀"] == pytest.approx(1.0)
    assert pair_risk.loc["B", "nominal_grade"] == "较差" and pair_risk.loc["B", "nominal_step"] == "诫勉谈话"


def test_the_ladder_over_two_independent_years_is_the_product(pair_risk):
    # the noise of 2017 and of 2018 are independent, and min-max reads one year only: A is last in 2017 with
    # p17 and in 2018 with p18, independently
    p17, p18 = p_last(100.0, 99.0), p_last(100.0, 98.0)
    a = pair_risk.loc["A"]
    assert within(a["p_诫勉谈话"], p17 * p18, DRAWS)  # last two years running
    assert within(a["p_约谈"], (1 - p17) * p18, DRAWS)  # last in 2018 only
    assert within(a["p_accountability_years"], 1 - (1 - p17) * (1 - p18), DRAWS)  # last in either year
    assert a["p_accountability"] == pytest.approx(a["p_约谈"] + a["p_诫勉谈话"])
    b = pair_risk.loc["B"]
    assert within(b["p_诫勉谈话"], (1 - p17) * (1 - p18), DRAWS)


def test_the_evaluated_years_follow_the_data_and_years(data, reform):
    p = RiskProblem(reform, data, {"noise": {"sd": 0.02}}, years=2)
    assert [data.years[t] for t in p.ts] == [2017, 2018]
    # the noise covers every year the first evaluated year reads (its 3-year baseline of growth rates)
    assert min(c.lo for c in p.combos.values()) == compile_plan(reform, data).first_read(p.ts[0])
    with pytest.raises(ScenarioError, match="years"):
        RiskProblem(reform, data, {"noise": {"sd": 0.02}}, years=9)
    with pytest.raises(ScenarioError, match="nothing is uncertain"):
        consequence_risk(reform, data, draws=10, noise=0.0)


def test_the_same_seed_gives_the_same_table_for_any_chunking(data, reform):
    kw = {"draws": 150, "noise": 0.02, "seed": 3, "margins": False}
    a = consequence_risk(reform, data, chunk_size=37, workers=1, **kw)
    b = consequence_risk(reform, data, chunk_size=150, workers=2, **kw)
    c = consequence_risk(reform, data, memory=20e6, **kw)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    d = consequence_risk(reform, data, **{**kw, "seed": 4})
    assert not a["p_较差"].equals(d["p_较差"])


def test_weights_and_rule_choices_enter_through_the_spec(data, reform):
    t = consequence_risk(reform, data, draws=60, seed=1, spread=0.25, margins=False)
    assert t.attrs["inputs"][0] == "weights:level1" and t.attrs["inputs"][-1] == "noise"
    spec = {"noise": {"sd": 0.02}, "choices": [{"name": "blend", "alternatives": {
        "50/50": [], "40/60": [{"lever": "set_blend", "growth": 0.6, "where": ["Q"]}]}}]}
    t = consequence_risk(reform, data, draws=60, seed=1, spec=spec, margins=False)
    assert t.attrs["inputs"] == ("noise", "choice:blend")
    probs = [c for c in t.columns if c.startswith("p_") and c[2:] in t.attrs["grades"]]
    assert np.allclose(t[probs].sum(axis=1), 1.0)


def test_bonus_tiers_are_counted_when_the_bonus_is_by_tier(data, reform):
    two = {"name": "前两名", "count": 2, "factor": 0.2}
    last = {"name": "末位", "count": 1, "from": "bottom", "factor": -0.2}
    tiers = reform.override({"consequences": {"bonus": {"by": "tier", "factors": {}, "rest": 0.0,
                                                        "tiers": [two, last]}}})
    t = consequence_risk(tiers, data, draws=80, seed=2, margins=False).set_index("unit")
    cols = ["p_tier_前两名", "p_tier_末位", "p_tier_rest"]
    assert np.allclose(t[cols].sum(axis=1), 1.0)
    # in each group two units are in the first tier and one in the last, in every draw
    counties = t[t["group"] == "区县市"]
    assert counties["p_tier_前两名"].sum() == pytest.approx(2.0) and counties["p_tier_末位"].sum() == pytest.approx(1.0)
    # the last tier is the last place, which is the bottom grade (较差 = the last one)
    assert np.allclose(t["p_tier_末位"], t["p_较差"])


def test_the_same_seed_gives_the_same_table_on_a_dask_cluster(data, reform):
    """The other back-end: the blocks on a dask.distributed cluster (in another process: the problem is pickled)."""
    distributed = pytest.importorskip("distributed")
    kw = {"draws": 120, "noise": 0.02, "seed": 3, "margins": False, "chunk_size": 40}
    local = consequence_risk(reform, data, workers=1, **kw)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = consequence_risk(reform, data, client=client, **kw)
    pd.testing.assert_frame_equal(local, remote, check_exact=True)


def test_the_table_on_the_bundled_data_has_every_column(data, reform):
    """The columns on the bundled reform (its margins and the issue's 4000-draw figure of 资阳区 are checked through
    the command line: tests/cli/test_risk_cli.py)."""
    t = consequence_risk(reform, data, draws=200, noise=0.02, seed=1, margins=False).set_index("unit")
    zy = t.loc["ZY"]
    assert zy["nominal_grade"] == "较差" and zy["nominal_step"] == "约谈"
    assert t.attrs["years"] == (2015, 2016, 2017, 2018) and t.attrs["draws"] == 200
    for col in ("p_约谈", "p_诫勉谈话", "p_调整岗位", "p_accountability", "p_accountability_years", "p_progress",
                "payout_q05", "payout_q95"):
        assert col in t.columns
    assert "margin_up" not in t.columns
    assert (t["payout_q05"] <= t["payout_q95"]).all()
    assert (t["rank_q05"] <= t["median_rank"]).all() and (t["median_rank"] <= t["rank_q95"]).all()
    assert (t["p_accountability"] <= t["p_accountability_years"] + 1e-12).all()
    steps = t[["p_约谈", "p_诫勉谈话", "p_调整岗位"]].sum(axis=1)
    assert np.allclose(steps, t["p_accountability"])


# ============================================================================================== margins
def _grade_with_total(plan, inputs, t, unit: int, delta: float) -> int:
    leaf = leaf_stage(plan, inputs, [t], detail=False)
    totals = total_stage(plan, inputs, leaf, [t], full=False)
    final = totals.final.copy()
    final[0, 0, unit] += delta
    from dataclasses import replace

    return int(rank_stage(plan, replace(totals, final=final)).grade[0, 0, unit])


def test_the_total_margins_are_the_thresholds_of_the_engine(data, reform):
    plan = compile_plan(reform, data)
    inputs = inputs_of(plan)
    m = total_margins(plan, inputs, 7)
    zy, gx = list(data.unit_ids).index("ZY"), list(data.unit_ids).index("GX")
    # ZY (last, 较差) is lifted by closing the gap to GX (7th); GX falls by the same gap
    gap = m["total"][gx] - m["total"][zy]
    assert m["up"][zy] == pytest.approx(gap, abs=1e-5) and m["down"][gx] == pytest.approx(gap, abs=1e-5)
    for u in (zy, gx, list(data.unit_ids).index("HS")):
        g0 = int(m["grade"][u])
        if np.isfinite(m["up"][u]):
            assert _grade_with_total(plan, inputs, 7, u, m["up"][u]) == m["grade_up"][u] < g0
            assert _grade_with_total(plan, inputs, 7, u, m["up"][u] * (1 - 1e-4)) == g0
        if np.isfinite(m["down"][u]):
            assert _grade_with_total(plan, inputs, 7, u, -m["down"][u]) == m["grade_down"][u] > g0
            assert _grade_with_total(plan, inputs, 7, u, -m["down"][u] * (1 - 1e-4)) == g0
    best = m["grade"] == 0
    assert np.isnan(m["up"][best]).all() and (m["grade_up"][best] == -1).all()


def test_the_indicator_margins_move_the_grade_and_a_smaller_change_does_not(data, reform):
    r = simkit.evaluate(reform, data)
    m = grade_margins(r).set_index("unit")
    plan, inputs = r.plan, r.inputs
    ids = list(data.unit_ids)
    names = [g.name for g in reform.grading.grades]
    checked = 0
    for uid in ("ZY", "GX", "NX", "D02"):
        u = ids.index(uid)
        for way in ("up", "down"):
            leaf = m.loc[uid, f"{way}_indicator"]
            if not isinstance(leaf, str):
                continue
            li = plan.tree.leaves.index(leaf)
            x0, req = m.loc[uid, f"{way}_value"], m.loc[uid, f"{way}_required"]
            almost = x0 + (req - x0) * 0.99
            g, _ = _cell_runs(plan, inputs, 7, np.array([0, 1]), np.array([u, u]), np.array([li, li]),
                              np.array([req, almost]), 2)
            assert names[g[0, u]] == m.loc[uid, f"{way}_grade"] == m.loc[uid, f"grade_{way}"]
            assert names[g[1, u]] == m.loc[uid, "grade"]
            checked += 1
    assert checked >= 6
    # the downward change of a higher-is-better indicator lowers it; the upward one raises it
    assert (m["down_change_pct"].dropna() < 0).all() and (m["up_change_pct"].dropna() > 0).all()


def test_smallest_change_brackets_and_refines():
    thresholds = np.array([1e-3, 0.7, 3.0, 50.0])
    g0 = np.array([2, 2, 0, 1])
    sign = np.array([1.0, 1.0, -1.0, 1.0])  # the third item looks for a worse grade

    def grade_at(idx, d):
        passed = d >= thresholds[idx, None]
        return np.where(passed, g0[idx, None] - sign[idx, None].astype(int), g0[idx, None])

    delta, grade, width = smallest_change(grade_at, g0, sign, np.full(4, 10.0))
    assert delta[:3] == pytest.approx(thresholds[:3], rel=1e-4) and np.isnan(delta[3])
    assert grade.tolist() == [1, 1, 1, -1] and (width[:3] < 1e-4 * thresholds[:3] + 1e-9).all()


# =============================================================================================== tenure
def test_without_measurement_noise_nobody_is_wrongly_held_accountable(data, reform):
    t = tenure_accountability(reform, data, tenure=(3, 5), paths=40, noise=0.0, seed=2)
    assert (t["false_count"] == 0).all() and (t["missed_count"] == 0).all()
    assert (t.loc[t["group"] == "all", "clear"] > 0).all() and (t.loc[t["group"] == "all", "persistent"] > 0).all()


def test_the_latent_paths_are_the_projection_s(data, reform):
    """The latent evaluation is ``dynamics.project``'s: the same seed gives the same bottom years."""
    years, paths = 3, 30
    t = tenure_accountability(reform, data, tenure=years, paths=paths, noise=0.05, seed=11).set_index("group")
    proj = project(reform, data, years=years, paths=paths, seed=11)
    low = bottom_of(proj.result)
    clear = (~low.any(axis=1)).sum(axis=0)
    persistent = (low.sum(axis=1) >= 2).sum(axis=0)
    codes = proj.plan.group_codes
    assert t.loc["all", "clear"] == clear.sum() and t.loc["all", "persistent"] == persistent.sum()
    for k, g in enumerate(proj.plan.group_names):
        assert t.loc[g, "clear"] == clear[codes == k].sum()


def test_false_and_missed_accountability_agree_with_the_closed_form():
    # A grows 1% a year from 100, B 1% a year from 99, without volatility: latent, A is first and B last in every
    # projected year (b/a = 0.99).  Observed, A is last in a year with p = Φ(ln 0.99/(sd √2)) ≈ 0.361,
    # independently.  False: A (never latent bottom) is last in some year of the tenure: 1 − (1 − p)³ ≈ 0.739.
    # Missed: B (latent bottom every year) is never last, i.e. A is last every year: p³ ≈ 0.047.
    years = [2014, 2015, 2016, 2017, 2018]
    values = {"A": [100.0 * 1.01**k for k in range(5)], "B": [99.0 * 1.01**k for k in range(5)]}
    d = pair_data(values, years)
    paths, tenure = 4000, 3
    t = tenure_accountability(pair_scenario(), d, tenure=tenure, paths=paths, noise=SD, seed=5).set_index("group")
    p = np.full(tenure, p_last(100.0, 99.0))
    assert p[0] == pytest.approx(0.3613, abs=1e-3)
    row = t.loc["all"]
    assert row["clear"] == paths and row["persistent"] == paths  # A always clear, B always persistent
    assert within(row["false_rate"], 1 - np.prod(1 - p), paths)
    assert within(row["missed_rate"], np.prod(p), paths)
    assert row["false_lo"] <= row["false_rate"] <= row["false_hi"]


def test_the_tenure_simulation_does_not_depend_on_the_chunks(data, reform):
    kw = {"tenure": (3, 5), "paths": 30, "noise": 0.02, "seed": 4}
    a = tenure_accountability(reform, data, **kw)
    b = tenure_accountability(reform, data, memory=3_000_000, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["group"]) == {"all", *compile_plan(reform, data).group_names}
    with pytest.raises(SimkitError, match="tenure"):
        tenure_accountability(reform, data, tenure=0)
    with pytest.raises(SimkitError, match="accountability"):
        tenure_accountability(reform.override({"consequences": {"accountability": None}}), data, paths=2)


def test_the_fairness_table_gains_the_two_rows_on_request(data, reform, legacy):
    long = f.fairness_long([legacy, reform], data, n_boot=50, tenure=5, tenure_paths=60)
    rows = long[long["metric"].isin(f.OPT_IN_METRICS)]
    assert set(rows["metric"]) == set(f.OPT_IN_METRICS) and set(rows["group"]) == {"区县市", "all"}
    assert long.attrs["tenure"] == 5 and long.attrs["tenure_paths"] == 60
    ta = tenure_accountability(reform, data, tenure=5, paths=60, seed=0).set_index("group")
    got = rows[(rows["scenario"] == reform.name) & (rows["metric"] == "false_accountability")].set_index("group")
    assert got.loc["区县市", "estimate"] == pytest.approx(ta.loc["区县市", "false_rate"])
    table = pt.fairness_table([legacy, reform], data, n_boot=50, tenure=5, tenure_paths=60)
    assert table["metric"].iloc[-1] == "missed_accountability"
    assert "误问责" in "".join(table["metric_zh"])
    plain = f.fairness_long([reform], data, n_boot=20)
    assert not set(plain["metric"]) & set(f.OPT_IN_METRICS)


# ======================================================================================= the stable variant
@pytest.fixture(scope="module")
def stable():
    return simkit.load_scenario("reform_stable")


@pytest.mark.parametrize("years", [None, 2, 1])
def test_a_smoothed_score_is_noised_over_every_year_it_averages(data, stable, years):
    """With ``ranking.smooth_years`` = 3 a draw also scores the two years before the first evaluated one; they are
    in the draw's window, so that a vanishing noise gives the nominal grade with certainty."""
    assert stable.ranking.smooth_years == 3
    t = consequence_risk(stable, data, draws=12, noise=1e-9, seed=1, years=years, margins=False)
    p = [t.loc[i, f"p_{g}"] for i, g in enumerate(t["nominal_grade"])]
    assert np.allclose(p, 1.0)
    w = consequence_risk(stable, data, draws=12, noise=0.0, spread=1e-9, seed=1, years=years, margins=False)
    assert np.allclose([w.loc[i, f"p_{g}"] for i, g in enumerate(w["nominal_grade"])], 1.0)


def test_the_total_margins_of_a_smoothed_score_are_the_engine_s(data, stable):
    """The margin is of the year's own total; the engine re-smooths the moved totals (``smooth_stage``)."""
    from dataclasses import replace

    from simkit.engine.stages import smooth_stage

    plan = compile_plan(stable, data)
    inputs = inputs_of(plan)
    m = total_margins(plan, inputs, 7)
    totals = total_stage(plan, inputs, leaf_stage(plan, inputs, [7], detail=False), [7], full=False)

    def grade(u: int, delta: float) -> int:
        final = totals.final.copy()
        final[0, 0, u] += delta
        moved = smooth_stage(plan, inputs, [7], replace(totals, final=final), detail=False)
        return int(rank_stage(plan, moved).grade[0, 0, u])

    assert (m["grade"] == simkit.evaluate(stable, data)["grade"][0, -1]).all()
    checked = 0
    for uid in ("ZY", "AH", "HS", "GX"):
        u = list(data.unit_ids).index(uid)
        for way, sign in (("up", 1.0), ("down", -1.0)):
            d = m[way][u]
            if np.isfinite(d):
                assert grade(u, sign * d) == m[f"grade_{way}"][u] != m["grade"][u]
                assert grade(u, sign * d * (1 - 1e-4)) == m["grade"][u]
                checked += 1
    assert checked >= 5


def test_the_stable_variant_holds_fewer_wrong_leaders_accountable(data, reform, stable):
    """The issue's check: over a 5-year tenure the false-accountability rate is lower than under the reform."""
    t = tenure_accountability([reform, stable], data, tenure=5, paths=40, noise=0.02, seed=0)
    every = t[t["group"] == "all"].set_index("scenario")
    assert every.loc[stable.name, "false_rate"] < every.loc[reform.name, "false_rate"]
    assert every.loc[stable.name, "false_hi"] < every.loc[reform.name, "false_lo"]
    assert t.attrs["labels_en"] == [reform.name_en, stable.name_en]
    side = pt_risk.tenure_table(t, "en", groups=["all", "区县市"], data=data)
    assert side.columns.tolist() == ["Rate", "Tenure (years)", "Group", reform.name_en, stable.name_en]
    assert side["Group"].tolist() == ["all", data.group_en["区县市"]] * 2
