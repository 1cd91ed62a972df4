"""``simkit.dynamics``: projections over years, and the literature's effects reproduced.

- Weitzman (1980): a ratchet with a higher λ raises targets faster after good years.
- Leone & Rock (2002): with λ up > λ down, targets rise more after good years than they fall after bad ones,
  so they drift upwards even when outcomes do not.
- Bevan & Hood (2006): with a cap on completion and units holding back, completion ratios bunch at the cap.
- A common shock leaves a ranking by comparison (rank-based scoring) unchanged, and changes one against
  absolute targets.

Most tests use a small synthetic group of six units with two indicators, x and z, observed 2011–2018.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from simkit.data import build_dataset
from simkit.dynamics import (
    EffortResponse,
    HoldBack,
    estimate_growth,
    persistence_difference,
    project,
    subset_units,
    wilson,
)
from simkit.scenario import scenario_from_dict

import simkit
from simkit.errors import SimkitError

YEARS = list(range(2011, 2019))
GRADES = {"grades": [{"name": "A", "share": 0.25}, {"name": "B"}, {"name": "C", "count": 1, "from": "bottom"}]}


def six_units() -> simkit.Dataset:
    """Six units U0..U5, sizes 100..250, growing about 5% a year with a little noise (fixed seed)."""
    rng = np.random.default_rng(5)
    units = pd.DataFrame([[f"U{k}", f"单位{k}", "G"] for k in range(6)], columns=["unit", "name", "group"])
    ind = pd.DataFrame([["x", "指标x", "1"], ["z", "指标z", "1"]], columns=["indicator", "name", "direction"])
    obs = []
    for k in range(6):
        for leaf in ("x", "z"):
            v = 100.0 * (1 + 0.3 * k)
            for y in YEARS:
                obs.append([f"U{k}", leaf, str(y), f"{v:.4f}"])
                v *= np.exp(0.05 + 0.03 * rng.standard_normal())
    return build_dataset({"units": units, "indicators": ind,
                          "observations": pd.DataFrame(obs, columns=["unit", "indicator", "year", "value"])})


def rule(target: dict, scoring: dict, measures: dict | None = None) -> simkit.Scenario:
    return scenario_from_dict({"name": f"{target['rule']}/{scoring['rule']}", "weights": {"mode": "relative"},
                               "defaults": {"measures": measures or {"level": 1}, "target": target,
                                            "scoring": scoring}, "grading": GRADES})


def ratchet(up: float, down: float) -> simkit.Scenario:
    return rule({"rule": "ratchet", "lambda_up": up, "lambda_down": down, "start_years": 3},
                {"rule": "completion", "cap": 1.2})


@pytest.fixture(scope="module")
def six():
    return six_units()


def outcome_and_targets(p, leaf: str = "x") -> tuple[np.ndarray, np.ndarray]:
    tr = p.tracked[leaf]
    return tr.measured["level"], tr.target["level"]


# ============================================================================================ smoke tests
def test_small_projection_on_the_bundled_data(data, reform):
    p = project(reform, data, years=3, paths=40, seed=11)
    n = len(data.units)
    assert p.years == (2019, 2020, 2021) and p.rank.shape == (40, 3, n)
    assert p.grade.shape == (40, 3, n) and p.payout.shape == (40, 3, n)
    # every unit is ranked within its group every year; the payouts keep the budget-neutral pool
    for g in data.units["group"].unique():
        cols = (data.units["group"] == g).to_numpy()
        assert (np.sort(p.rank[:, :, cols], axis=-1) >= 1).all()
        assert (p.rank[:, :, cols].min(axis=-1) == 1).all()
    assert np.allclose(p.payout.sum(axis=-1), p.base.sum())
    # tables
    rs = p.rank_summary()
    assert len(rs) == 3 * n and {"mean_rank", "median_rank", "rank_lo", "rank_hi", "p_first", "p_last"} <= set(rs)
    gp = p.grade_probabilities()
    assert np.allclose(gp[list(p.grade_names)].sum(axis=1), 1.0)
    rd = p.rank_distribution()
    assert np.allclose(rd.groupby(["unit", "year"])["probability"].sum(), 1.0)
    assert len(p.payout_summary()) == 3 * n
    assert len(p.bottom_persistence()) == n
    tp = p.target_paths("gdp", "growth")
    assert tp["projected"].sum() == 3 * 8 and tp.loc[tp["projected"], "target"].notna().all()
    # behaviour is off unless asked for: the only assumptions stated are about growth and assigned targets
    assert not any("假设" in zh for zh, _ in p.assumptions)


def test_same_seed_same_numbers_and_another_seed_other_numbers(six):
    sc = ratchet(0.5, 0.5)
    a, b = (project(sc, six, years=4, paths=30, seed=1) for _ in range(2))
    c = project(sc, six, years=4, paths=30, seed=2)
    assert np.array_equal(a.rank, b.rank) and np.array_equal(a.tracked["x"].value, b.tracked["x"].value)
    assert not np.array_equal(a.tracked["x"].value, c.tracked["x"].value)


def test_paths_are_the_same_across_scenarios_on_the_same_data(data, legacy, reform):
    a = project(legacy, data, years=2, paths=10, seed=3, units=["区县市"])
    b = project(reform, data, years=2, paths=10, seed=3, units=["区县市"])
    assert np.array_equal(a.tracked["gdp"].value, b.tracked["gdp"].value)


def test_split_by_track_gives_the_same_numbers(data, reform):
    a = project(reform, data, years=2, paths=12, seed=4)
    b = project(reform, data, years=2, paths=12, seed=4, split=False)
    assert np.array_equal(a.rank, b.rank, equal_nan=True) and np.array_equal(a.grade, b.grade)
    assert np.allclose(a.payout, b.payout)


def test_a_projected_year_evaluates_like_data(data, reform):
    """Put one path's simulated 2019 into the data and evaluate it: the same ranks, scores and grades."""
    counties = data.units.loc[data.units["group"] == "区县市", "unit"].tolist()
    model_leaves = simkit.engine.compile_model(reform, data).tree.leaves
    leaves = [lf for lf in model_leaves if lf in set(data.observations.loc[data.observations["unit"] == "HS",
                                                                              "indicator"])]
    p = project(reform, data, years=1, paths=2, seed=9, units=counties, track=leaves, assigned="last")
    obs = [[u, lf, 2019, p.tracked[lf].value[0, 0, k]] for lf in leaves for k, u in enumerate(p.units["unit"])]
    observations = pd.concat([data.observations, pd.DataFrame(obs, columns=data.observations.columns)],
                             ignore_index=True)
    t18 = data.targets[data.targets["year"] == 2018].assign(year=2019)
    grown = subset_units(simkit.Dataset(data.units, data.indicators, observations, pd.concat([data.targets, t18]),
                                        data.adjustments, source=data.source, synthetic=True), counties)
    r = simkit.evaluate(reform, grown, 2019)
    u = r.units.set_index("unit").loc[list(p.units["unit"])]
    assert u["rank"].astype(int).tolist() == p.rank[0, 0].astype(int).tolist()
    assert np.allclose(u["score"].to_numpy(dtype=float), p.score[0, 0])
    assert [p.grade_names[g] for g in p.grade[0, 0]] == u["grade"].tolist()


def test_growth_is_estimated_from_each_units_history_and_can_be_set(six):
    g = estimate_growth(six, ["x"]).set_index("unit")
    x = six.cube[0, 0]  # U0's x over the years
    lg = np.diff(np.log(x))
    assert g.loc["U0", "drift"] == pytest.approx(lg.mean())
    assert g.loc["U0", "volatility"] == pytest.approx(lg.std(ddof=1))
    sc = rule({"rule": "none"}, {"rule": "minmax"})
    flat = project(sc, six, years=3, paths=5, drift=0.0, volatility=0.0)
    assert np.allclose(flat.tracked["x"].value, six.cube[:, 0, -1][None, None, :])
    steady = project(sc, six, years=2, paths=3, drift={"x": 0.1}, volatility={("U0", "x"): 0.0, "z": 0.0})
    assert np.allclose(steady.tracked["x"].value[:, 1, 0], six.cube[0, 0, -1] * np.exp(0.2))
    assert set(steady.growth["source"]) == {"user", "estimated"} or set(steady.growth["source"]) == {"user"}
    with pytest.raises(SimkitError, match="not a unit and indicator"):
        project(sc, six, years=1, paths=2, drift={"nope": 0.1})
    with pytest.raises(SimkitError, match="one log shock per projected year"):
        project(sc, six, years=3, paths=2, common_shock=[0.0, 0.1])
    with pytest.raises(SimkitError, match="not scored"):
        project(sc, six, years=1, paths=2, track=["gdp"])


def test_baseline_targets_follow_the_simulated_history(six):
    p = project(rule({"rule": "baseline", "years": 3, "uplift": 0.05}, {"rule": "completion", "cap": 1.2}), six,
                years=5, paths=20, seed=3)
    y, q = outcome_and_targets(p)
    hist = np.concatenate([np.broadcast_to(six.cube[:, 0, -3:], (20, 6, 3)).transpose(0, 2, 1), y], axis=1)
    # the target of projected year k is the mean of the three years before it, +5%
    for k in range(5):
        assert np.allclose(q[:, k], hist[:, k : k + 3].mean(axis=1) * 1.05)


def test_decomposed_targets_cascade_the_group_total(six):
    sc = rule({"rule": "decomposed", "city_growth": 0.08, "share_years": 1}, {"rule": "completion", "cap": 1.2})
    p = project(sc, six, years=3, paths=10, seed=2)
    y, q = outcome_and_targets(p)
    # year 2 target = last year's group total × 1.08 × the unit's share of it = the unit's last value × 1.08
    assert np.allclose(q[:, 1:], y[:, :-1] * 1.08)


# =================================================================================== the literature's effects
def test_weitzman_higher_lambda_raises_targets_faster_after_good_years(six):
    rises = {}
    for lam in (0.2, 0.8):
        p = project(ratchet(lam, lam), six, years=10, paths=300, seed=1, drift=0.0, volatility=0.1)
        y, q = outcome_and_targets(p)
        gap, step = y[:, :-1] - q[:, :-1], q[:, 1:] - q[:, :-1]
        good = gap > 0
        rises[lam] = float(np.mean(step[good] / q[:, :-1][good]))
        # the rule itself: next target = target + λ (outcome − target)
        assert np.allclose(step, lam * gap)
    assert rises[0.8] > 2 * rises[0.2] > 0


def test_leone_rock_asymmetric_ratchet_rises_more_after_good_years_than_it_falls_after_bad(six):
    # outcomes have no drift; targets follow λ up = 0.6 after a good year and λ down = 0.2 after a bad one
    p = project(ratchet(0.6, 0.2), six, years=10, paths=300, seed=1, drift=0.0, volatility=0.1)
    y, q = outcome_and_targets(p)
    gap, step = y[:, :-1] - q[:, :-1], q[:, 1:] - q[:, :-1]
    good, bad = gap > 0, gap < 0
    assert np.mean(step[good] / gap[good]) == pytest.approx(0.6)
    assert np.mean(step[bad] / gap[bad]) == pytest.approx(0.2)
    # a good year of a given size raises the target three times as much as a bad year of that size lowers it
    rise_after_good = np.mean(step[good] / q[:, :-1][good])
    fall_after_bad = -np.mean(step[bad] / q[:, :-1][bad])
    assert rise_after_good > 2 * fall_after_bad
    # so targets drift above the outcomes they are set from; a symmetric ratchet does not
    sym = project(ratchet(0.4, 0.4), six, years=10, paths=300, seed=1, drift=0.0, volatility=0.1)
    ys, qs = outcome_and_targets(sym)
    assert np.median(q[:, -1] / y[:, -1]) > 1.04
    assert abs(np.median(qs[:, -1] / ys[:, -1]) - 1) < 0.02


def test_bevan_hood_completion_bunches_at_the_cap_when_units_hold_back(six):
    sc = rule({"rule": "baseline", "years": 3}, {"rule": "completion", "cap": 1.2})
    kw = {"years": 10, "paths": 300, "seed": 2, "drift": 0.1, "volatility": 0.05}
    free = project(sc, six, **kw).completion("x")
    held_p = project(sc, six, behaviour=[HoldBack()], **kw)
    held = held_p.completion("x")
    at_cap = lambda r: np.mean(np.abs(r - 1.2) < 1e-9)  # noqa: E731
    # without holding back, hardly any completion ratio sits exactly at the cap; many are above it
    assert at_cap(free) < 0.01 and np.mean(free > 1.2 + 1e-9) > 0.3
    # with it, none is above the cap and a large share sits exactly on it
    assert np.mean(held > 1.2 + 1e-9) == 0
    assert at_cap(held) > 0.3
    # the assumption is stated, and holding back lowers the outcomes
    assert any("假设" in zh and "Assumption" in en for zh, en in held_p.assumptions)
    assert held_p.tracked["x"].value[:, -1].mean() < project(sc, six, **kw).tracked["x"].value[:, -1].mean()


def test_effort_falls_when_the_target_ratchets_up(six):
    sc = ratchet(0.5, 0.5)
    kw = {"years": 8, "paths": 100, "seed": 6, "drift": 0.05, "volatility": 0.02}
    base = project(sc, six, **kw).tracked["x"].value
    slack = project(sc, six, behaviour=[EffortResponse(drop=0.02)], **kw).tracked["x"].value
    assert slack[:, -1].mean() < base[:, -1].mean()
    # at most `drop` a year lower in log growth
    assert np.all(np.log(base / slack) <= 0.02 * np.arange(1, 9)[None, :, None] + 1e-9)


def test_a_common_shock_leaves_rank_based_scoring_alone_but_not_absolute_targets(six):
    by_rank = rule({"rule": "none"}, {"rule": "rank_decay", "step": 0.1})
    absolute = rule({"rule": "uniform", "value": 150}, {"rule": "completion", "cap": 1.0})
    recession = [0, 0, -0.3, 0, 0, 0, 0, 0, 0, 0]
    for sc, invariant in ((by_rank, True), (absolute, False)):
        calm = project(sc, six, years=10, paths=100, seed=4)
        hit = project(sc, six, years=10, paths=100, seed=4, common_shock=recession)
        assert np.array_equal(calm.rank, hit.rank) is invariant
        # a random common shock, too
        noisy = project(sc, six, years=10, paths=100, seed=4, common_shock=0.1)
        assert np.array_equal(calm.rank, noisy.rank) is invariant
    assert any("共同冲击" in zh for zh, _ in hit.assumptions)


# ==================================================================================== the bundled data
def test_bundled_projection_reform_frees_the_smallest_county_from_the_bottom(data, legacy, reform):
    kw = {"years": 10, "paths": 200, "seed": 0, "units": ["区县市"]}
    old, new = project(legacy, data, **kw), project(reform, data, **kw)
    # bottom tier = 较差 (the last place); P(in it at least 5 of the 10 projected years)
    a, b = (p.bottom_persistence().set_index("name") for p in (old, new))
    assert a.loc["大通湖区", "p_at_least_m"] == 1.0 and b.loc["大通湖区", "p_at_least_m"] < 0.05
    # the bottom quarter (last 2 places): both of the two smallest counties by GDP fall from near certain
    a2, b2 = (p.bottom_persistence(bottom=2).set_index("name") for p in (old, new))
    for name in ("大通湖区", "资阳区"):
        assert a2.loc[name, "p_at_least_m"] > 0.9 and b2.loc[name, "p_at_least_m"] < 0.2
    diff = persistence_difference(old, new, ["大通湖区", "资阳区"], bottom=2, n_boot=200).set_index("name")
    assert (diff["hi"] < -0.7).all()  # the paired interval of the change lies well below zero
    g = new.group_persistence("gdp").set_index("group").loc["区县市"]
    assert g["smallest_units"] == "资阳区, 南县, 大通湖区" and g["smallest_p_stuck"] < 0.05
    sc = old.size_correlation("gdp")
    assert (sc["spearman"] > 0.85).all() and (new.size_correlation("gdp")["spearman"] < 0.3).all()


def test_wilson_interval():
    lo, hi = wilson(np.array([0.0, 1.0]), 100, 0.95)
    assert lo[0] == pytest.approx(0, abs=1e-12) and hi[1] == pytest.approx(1)
    assert 0 < hi[0] < 0.05 and 0.95 < lo[1] < 1
