"""``simkit.analysis.dynamics``: projections over years, and the literature's effects reproduced.

- Weitzman (1980): a ratchet with a higher λ raises targets faster after good years.
- Leone & Rock (2002): with λ up > λ down, targets rise more after good years than they fall after bad ones,
  so they drift upwards even when outcomes do not.
- Bevan & Hood (2006): with a cap on completion and units holding back, completion ratios bunch at the cap.
- A common shock leaves a ranking by comparison (rank-based scoring) unchanged, and changes one against
  absolute targets.

Most tests use a small synthetic group of six units with two indicators, x and z, observed 2011–2018.  The
numbers frozen below (``RANK`` … ``PAYOUT_PER_BASE_2020``) were produced by the code before the redesign
(``simkit.dynamics`` of the last release) with the same seeds, paths and years: the projection must keep them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.analysis import persistence, stats
from simkit.analysis.dynamics import (
    BLOCK,
    EffortResponse,
    HoldBack,
    LadderStart,
    LeftOut,
    estimate_growth,
    persistence_difference,
    project,
    wilson,
)
from simkit.analysis.fairness import rank_size_correlation
from simkit.engine.compile import compile_plan
from simkit.errors import SimkitError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.present.assumptions import assumptions_table, describe

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


def rule(target: dict, scoring: dict, measures: dict | None = None, **extra) -> simkit.Scenario:
    return scenario_from_dict({"name": f"{target['rule']}/{scoring['rule']}", "weights": {"mode": "relative"},
                               "defaults": {"measures": measures or {"level": 1}, "target": target,
                                            "scoring": scoring}, "grading": GRADES, **extra})


def ratchet(up: float, down: float) -> simkit.Scenario:
    return rule({"rule": "ratchet", "lambda_up": up, "lambda_down": down, "start_years": 3},
                {"rule": "completion", "cap": 1.2})


@pytest.fixture(scope="module")
def six():
    return six_units()


def outcome_and_targets(p, leaf: str = "x") -> tuple[np.ndarray, np.ndarray]:
    tr = p.tracked[leaf]
    return tr.measured["level"], tr.target["level"]


def sentences(p) -> list[tuple[str, str]]:
    return [describe(a) for a in p.assumptions]


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
    # behaviour is off unless asked for: no behavioural assumption (假设) is stated
    assert not any("假设" in zh for zh, _ in sentences(p))
    table = assumptions_table(p)
    assert list(table.columns) == ["假设", "assumption"] and len(table) == len(p.assumptions)
    assert len(p.issues) == 0


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
    model_leaves = compile_plan(reform, data).tree.leaves
    leaves = [lf for lf in model_leaves if lf in set(data.observations.loc[data.observations["unit"] == "HS",
                                                                              "indicator"])]
    p = project(reform, data, years=1, paths=2, seed=9, units=counties, track=leaves, assigned="last")
    obs = [[u, lf, 2019, p.tracked[lf].value[0, 0, k]] for lf in leaves for k, u in enumerate(p.units["unit"])]
    observations = pd.concat([data.observations, pd.DataFrame(obs, columns=data.observations.columns)],
                             ignore_index=True)
    t18 = data.targets[data.targets["year"] == 2018].assign(year=2019)
    grown = simkit.Dataset(data.units, data.indicators, observations, pd.concat([data.targets, t18]),
                           data.adjustments, source=data.source, synthetic=True).subset_units(counties)
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
    assert any("假设" in zh and "Assumption" in en for zh, en in sentences(held_p))
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
    assert any("共同冲击" in zh for zh, _ in sentences(hit))


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


# ============================================================================ the numbers of the old code
# Produced by ``simkit.dynamics.project`` of the last release (see the module text).
RANK = [[[7, 1, 2, 5, 6, 8, 3, 4],
         [7, 4, 6, 2, 5, 8, 3, 1],
         [6, 3, 7, 1, 5, 8, 4, 2]],
        [[8, 4, 5, 1, 7, 3, 6, 2],
         [2, 3, 6, 4, 5, 7, 8, 1],
         [7, 5, 3, 2, 6, 4, 8, 1]],
        [[6, 7, 3, 5, 4, 8, 2, 1],
         [5, 1, 7, 4, 8, 6, 3, 2],
         [8, 1, 5, 7, 3, 2, 4, 6]],
        [[8, 4, 3, 1, 6, 7, 5, 2],
         [2, 4, 8, 6, 5, 7, 3, 1],
         [8, 4, 5, 1, 6, 7, 3, 2]]]
GRADE = [[[2, 0, 0, 1, 1, 3, 1, 1],
          [2, 1, 1, 0, 1, 3, 1, 0],
          [1, 1, 2, 0, 1, 3, 1, 0]],
         [[3, 1, 1, 0, 2, 1, 1, 0],
          [0, 1, 1, 1, 1, 2, 3, 0],
          [2, 1, 1, 0, 1, 1, 3, 0]],
         [[1, 2, 1, 1, 1, 3, 0, 0],
          [1, 0, 2, 1, 3, 1, 1, 0],
          [3, 0, 1, 2, 1, 0, 1, 1]],
         [[3, 1, 1, 0, 1, 2, 1, 0],
          [0, 1, 3, 1, 1, 2, 1, 0],
          [3, 1, 1, 0, 1, 2, 1, 0]]]
PAYOUT_HS_ZY_PATH0 = [[61782569.08593987, 42772547.8287276],
                      [62046355.596218355, 39375571.820677035],
                      [68126331.81126331, 39303652.968036525]]
SCORE_PATH0_2019 = [95.83532486605257, 107.6654402412541, 107.58211056597858, 101.88465454483375, 100.3763929900843,
                    92.69241452491768, 104.03162361018316, 103.40568034559898]
GDP_PATH0_2019 = [384.06474155333535, 190.58359060723583, 343.88595110087624, 218.06632611466898, 289.4027218863716,
                  266.48841317005804, 44.75750056861288, 255.41979649307228]
GDP_GROWTH_TARGET_PATH0_2021 = [0.15324087382960247, 0.10352075536320138, 0.14968723089147196, 0.10664582405504015,
                                0.10448564721852793, 0.09886974492740375, 0.10897421591046248, 0.10557359978351347]
GDP_INCREMENT_PATH1_2020 = [39.679268733121944, 23.666447479560134, 42.08402681716689, 22.234342198452424,
                            31.85336634654402, 38.0095741381744, 2.937909400620697, 33.220907789357256]
GDP_OBSERVED_GROWTH_TARGET_HS = [np.nan, np.nan, np.nan, np.nan, 0.12813186792000347, 0.10202029901432343,
                                 0.07342607525591681, 0.07548549585714288]
MANY_RANK = [[[2, 6, 5, 1, 3, 4],
              [4, 6, 5, 1, 2, 3]],
             [[3, 4, 5, 1, 2, 6],
              [3, 4, 5, 1, 2, 6]],
             [[1, 5, 4, 3, 2, 6],
              [1, 5, 6, 2, 3, 4]],
             [[1, 6, 5, 2, 3, 4],
              [1, 4, 6, 2, 3, 5]]]
MANY_X_U0 = [[143.19958497835893, 146.5666309348961],
             [138.15776432333814, 141.30377160539706],
             [142.4585051019632, 145.59987651493003],
             [143.68423067420068, 154.85227366478316]]
MANY_TARGET_U0 = [[130.78807187499999, 136.99382842667944],
                  [130.78807187499999, 134.47291809916908],
                  [130.78807187499999, 136.6232884884816],
                  [130.78807187499999, 137.23615127460033]]
BEHAVIOUR_RANK_PATH0 = [[2, 6, 1, 3, 4, 5],
                        [4, 6, 1, 3, 2, 5],
                        [6, 4, 1, 5, 3, 2],
                        [4, 6, 2, 5, 1, 3]]
BEHAVIOUR_X_PATH0_LAST = [148.76904666717198, 181.1178389135743, 269.09766225060656, 302.248053313981,
                          359.92848709735455, 348.5525310600841]
SHOCK_X_PATH2_LAST = [160.8731277626803, 179.55213244961107, 207.5078408284187, 291.3910770483883,
                      365.78655405961973, 325.83928191804085]
FIXED_SHOCK_X_PATH1 = [109.86163321848052, 140.14438002430748, 153.79334945080063, 210.55902803703685,
                       269.2694706005295, 248.46451380814742]
BOTTOM2 = {'DTH': [0.14, 0.10443065487128134, 0.18517930080015715, 2.715, 0.955],
           'NX': [0.035, 0.019085848319896202, 0.06332701108904515, 1.625, 0.795],
           'ZY': [0.02, 0.009009817061540425, 0.043803457167044174, 1.39, 0.765]}
GROUP = [0.215, 0.17118947864517972, 0.2664184029280424, 0.215, 0.005, 0.0, 0.0]
LEGACY_SPEARMAN = [0.9258333333333334, 0.9316666666666669, 0.933452380952381]
RANK_SUMMARY_2019 = {'HS': [6.41, 7.0, 3.0, 8.0, 0.015, 0.395],
                     'YJ': [4.895, 5.0, 1.0, 8.0, 0.06, 0.15],
                     'ZY': [2.57, 2.0, 1.0, 6.0, 0.385, 0.01]}
GRADES_2028 = {'HS': [0.12, 0.4, 0.18, 0.3],
               'YJ': [0.285, 0.48, 0.135, 0.1],
               'ZY': [0.27, 0.565, 0.115, 0.05]}
PAYOUT_PER_BASE_2020 = {'HS': [0.908371740807758, 0.9427718541285643, 0.7478868738743558, 1.0581123515473432],
                        'ZY': [1.0711221421224324, 1.0988886149800732, 1.0005266679113767, 1.1426832978399757]}


def test_same_numbers_as_the_released_code(data, reform, six):
    """Ranks, grades, payouts and tracked values and targets as before; scores to the last digits (the totals
    now use the engine's collapsed leaf weights: the same sums in another order)."""
    p = project(reform, data, years=3, paths=4, seed=11, units=["区县市"])
    assert p.rank.astype(int).tolist() == RANK and p.grade.tolist() == GRADE
    assert np.array_equal(p.payout[0, :, :2], PAYOUT_HS_ZY_PATH0)
    np.testing.assert_allclose(p.score[0, 0], SCORE_PATH0_2019, rtol=1e-13)
    gdp = p.tracked["gdp"]
    assert list(gdp.target) == ["increment", "growth"]
    assert np.array_equal(gdp.value[0, 0], GDP_PATH0_2019)
    assert np.array_equal(gdp.target["growth"][0, 2], GDP_GROWTH_TARGET_PATH0_2021)
    assert np.array_equal(gdp.measured["increment"][1, 1], GDP_INCREMENT_PATH1_2020)
    assert np.array_equal(gdp.observed_target["growth"][0], GDP_OBSERVED_GROWTH_TARGET_HS, equal_nan=True)
    # three blocks of the random stream, the last one partial
    many = project(ratchet(0.5, 0.5), six, years=2, paths=1200, seed=3)
    rows = [0, BLOCK - 1, BLOCK, 1199]
    assert many.rank[rows].astype(int).tolist() == MANY_RANK
    assert np.array_equal(many.tracked["x"].value[rows, :, 0], MANY_X_U0)
    assert np.array_equal(many.tracked["x"].target["level"][rows, :, 0], MANY_TARGET_U0)
    # behaviour, a random and a fixed common shock
    held = project(ratchet(0.6, 0.2), six, years=4, paths=5, seed=6, drift=0.05, volatility=0.05,
                   behaviour=[EffortResponse(drop=0.02), HoldBack(margin=0.01)])
    assert held.rank[0].astype(int).tolist() == BEHAVIOUR_RANK_PATH0
    assert np.array_equal(held.tracked["x"].value[0, -1], BEHAVIOUR_X_PATH0_LAST)
    shock = project(ratchet(0.5, 0.5), six, years=3, paths=3, seed=2, common_shock=0.1)
    assert np.array_equal(shock.tracked["x"].value[2, -1], SHOCK_X_PATH2_LAST)
    fixed = project(ratchet(0.5, 0.5), six, years=3, paths=3, seed=2, common_shock=[0.0, -0.3, 0.1])
    assert np.array_equal(fixed.tracked["x"].value[1, 1], FIXED_SHOCK_X_PATH1)


def test_statistics_are_the_old_ones(data, legacy, reform):
    kw = {"years": 10, "paths": 200, "seed": 0, "units": ["区县市"]}
    old, new = project(legacy, data, **kw), project(reform, data, **kw)
    b = new.bottom_persistence(bottom=2).set_index("unit")
    for unit, expected in BOTTOM2.items():
        got = [b.loc[unit, k] for k in ("p_at_least_m", "lo", "hi", "expected_bottom_years", "p_ever")]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    g = new.group_persistence("gdp").set_index("group").loc["区县市"]
    got = [g[k] for k in ("p_someone_stuck", "lo", "hi", "expected_stuck_units", "smallest_p_stuck", "smallest_lo",
                          "smallest_hi")]
    np.testing.assert_allclose(got, GROUP, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(old.size_correlation("gdp")["spearman"].to_numpy()[:3], LEGACY_SPEARMAN, rtol=1e-12)
    rs = new.rank_summary().set_index(["unit", "year"])
    for unit, expected in RANK_SUMMARY_2019.items():
        got = [rs.loc[(unit, 2019), k] for k in ("mean_rank", "median_rank", "rank_lo", "rank_hi", "p_first",
                                                 "p_last")]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    gp = new.grade_probabilities().set_index(["unit", "year"])
    for unit, expected in GRADES_2028.items():
        np.testing.assert_allclose([gp.loc[(unit, 2028), g] for g in new.grade_names], expected, rtol=1e-12)
    ps = new.payout_summary(per="base").set_index(["unit", "year"])
    for unit, expected in PAYOUT_PER_BASE_2020.items():
        np.testing.assert_allclose([ps.loc[(unit, 2020), k] for k in ("mean", "median", "lo", "hi")], expected,
                                   rtol=1e-12)


def test_statistics_are_written_once(data, reform):
    """The projection's tables are the analyses' own on its result, and its quantiles are numpy's."""
    p = project(reform, data, years=3, paths=60, seed=5, units=["区县市"])
    pd.testing.assert_frame_equal(p.bottom_persistence(), persistence.bottom_persistence(p.result))
    pd.testing.assert_frame_equal(p.group_persistence("gdp"), persistence.group_persistence(p.result, "gdp"))
    pd.testing.assert_frame_equal(p.size_correlation("gdp"),
                                  rank_size_correlation(p.result, "gdp", size_values=p.tracked["gdp"].value))
    rs = p.rank_summary(level=0.8)
    r = p.rank.astype(float)
    q = np.nanquantile(r, [0.5, 0.1, 0.9], axis=0).reshape(3, -1)
    np.testing.assert_allclose(rs[["median_rank", "rank_lo", "rank_hi"]].to_numpy().T, q, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(rs["mean_rank"], np.nanmean(r, axis=0).ravel())
    assert np.array_equal(persistence_difference(p, p, ["赫山区"])["difference"], [0.0])
    assert stats.wilson is wilson


# ============================================================================== memory, issues, look-back
def test_the_chunking_never_changes_the_numbers(data, reform, six):
    """Budgets that evaluate 1,100 paths two blocks of the random stream at a time, half a block at a time (the
    block's random numbers kept) or a few paths at a time (the block run through twice) give the same arrays."""
    kw = {"years": 3, "paths": 1100, "seed": 7, "units": ["区县市"]}
    runs = [project(reform, data, memory=m, **kw) for m in (1 << 40, 60 << 20, 4 << 20, 1 << 20)]
    for p in runs[1:]:
        for name, arr in runs[0].result.variables.items():
            assert np.array_equal(arr, p.result[name], equal_nan=True), name
        for name in ("value", "share"):
            assert np.array_equal(getattr(runs[0].tracked["gdp"], name), getattr(p.tracked["gdp"], name),
                                  equal_nan=True)
    held = [project(ratchet(0.5, 0.3), six, years=4, paths=600, seed=1, memory=m,
                    behaviour=[EffortResponse(), HoldBack()]) for m in (1 << 40, 1 << 16)]
    assert np.array_equal(held[0].score, held[1].score) and np.array_equal(held[0].rank, held[1].rank)
    assert np.array_equal(held[0].tracked["x"].target["level"], held[1].tracked["x"].target["level"])


def test_the_leaf_stage_in_blocks_of_years_gives_the_numbers_of_one_call(data, reform, six, monkeypatch):
    """``paths.year_blocks`` splits the leaf stage into blocks of years (one year each at LEAF_CELLS = 1): every
    variable, tracked array and left-out cell is the same as with one call over every year, with and without
    behaviour, and with a cell left out on one path."""
    from simkit.analysis.dynamics import paths as paths_module

    sc = rule({"rule": "baseline", "years": 1, "uplift": 0.05}, {"rule": "completion", "cap": 1.2})
    cases = [(reform, data, {"years": 4, "paths": 60, "seed": 2}),
             (ratchet(0.5, 0.3), six, {"years": 4, "paths": 40, "seed": 1,
                                       "behaviour": [EffortResponse(), HoldBack()]}),
             (sc, six, {"years": 3, "paths": 20, "seed": 1, "drift": {("U0", "x"): -400.0},
                        "volatility": {("U0", "x"): 150.0}})]
    for scenario, d, kw in cases:
        got = []
        for cells in (1 << 40, 1):
            monkeypatch.setattr(paths_module, "LEAF_CELLS", cells)
            with np.errstate(over="ignore"):
                got.append(project(scenario, d, **kw))
        one, blocks = got
        assert len(paths_module.year_blocks(1, one_part(one), kw["years"])) == kw["years"]  # LEAF_CELLS = 1
        for name, arr in one.result.variables.items():
            assert np.array_equal(arr, blocks.result[name], equal_nan=True), (scenario.name, name)
        for ind, tr in one.tracked.items():
            other = blocks.tracked[ind]
            assert np.array_equal(tr.value, other.value, equal_nan=True)
            assert np.array_equal(tr.share, other.share, equal_nan=True)
            for m in tr.target:
                assert np.array_equal(tr.target[m], other.target[m], equal_nan=True)
                assert np.array_equal(tr.measured[m], other.measured[m], equal_nan=True)
        assert one.issues.equals(blocks.issues)
    assert len(got[0].issues) == 2  # the degenerate case did leave cells out (in 2020 and 2021)


def one_part(p):
    """Something with the shape ``year_blocks`` reads: the projection's inputs (units, leaves, years)."""
    from types import SimpleNamespace

    return SimpleNamespace(inputs=SimpleNamespace(values=p.result.inputs.values))


def test_a_degenerate_cell_on_one_path_is_left_out_and_reported(six):
    """On one path of twenty, U0's x collapses to 0 in 2019, so its 2020 target (last year's value + 5%) is 0,
    which completion cannot score: the projection goes on, leaves that cell out and says so."""
    sc = rule({"rule": "baseline", "years": 1, "uplift": 0.05}, {"rule": "completion", "cap": 1.2})
    kw = {"years": 2, "paths": 20, "seed": 1, "drift": {("U0", "x"): -400.0}, "volatility": {("U0", "x"): 150.0}}
    with np.errstate(over="ignore"):  # q / m of a value near 0: inf, which the completion cap then bounds
        p = project(sc, six, **kw)
    zero = np.flatnonzero(p.tracked["x"].value[:, 0, 0] == 0)
    assert zero.tolist() == [4]
    issues = p.issues
    assert len(issues) == 1
    row = issues.iloc[0]
    assert (row["paths"], row["year"], row["unit"], row["indicator"], row["kind"]) == (1, 2020, "U0", "x", "rule")
    assert "target is 0" in row["message"]
    assert np.isnan(p.tracked["x"].share[4, 1, 0]) and not np.isnan(p.tracked["x"].share[:4, 1, 0]).any()
    assert not np.isnan(p.score).any() and not np.isnan(p.rank).any()  # U0 is still scored on z
    assert LeftOut(cells=1, paths=1) in p.assumptions
    assert "1 cells" in describe(LeftOut(cells=1, paths=1))[1]
    # the same numbers whatever the chunking, the odd path included
    with np.errstate(over="ignore"):
        q = project(sc, six, memory=1 << 14, **kw)
    assert np.array_equal(p.score, q.score) and q.issues.equals(p.issues)


def test_the_ladder_runs_over_projected_years_from_the_last_observed_year(six):
    """U0 is last in every observed year (a streak of 8 by 2018); in the projection U1 falls to the bottom and
    stays there: its streak counts 1, 2, 3 and the ladder's third step comes in the third year."""
    steps = ["约谈", "诫勉谈话", "调整岗位"]
    sc = rule({"rule": "none"}, {"rule": "minmax"}, consequences={
        "progress": {"rule": "places", "min_places": 1},
        "accountability": {"bottom_grades": ["C"], "steps": steps}})
    last = simkit.evaluate_history(sc, six)[2018].units.set_index("unit")
    assert last.loc["U0", "bottom_years"] == 8 and last.loc["U1", "bottom_years"] == 0
    p = project(sc, six, years=4, paths=3, seed=0, drift={("U1", "x"): -0.5, ("U1", "z"): -0.5}, volatility=0.0)
    r = p.result
    assert {"previous_rank", "rank_change", "score_change", "progress_award", "bottom_years", "step"} <= set(
        r.variables)
    u0, u1 = p.unit_index("U0"), p.unit_index("U1")
    assert r["bottom_years"][:, :, u1].tolist() == [[1, 2, 3, 4]] * 3
    assert r["step"][:, :, u1].tolist() == [[0, 1, 2, 2]] * 3  # the third step from the third year on
    assert (r["step"][:, :, u0] == -1).all() and (r["bottom_years"][:, :, u0] == 0).all()
    # the first projected year compares with 2018: U0 gains a place and a progress award
    assert (r["previous_rank"][:, 0] == last.loc[list(p.units["unit"]), "rank"].to_numpy(dtype=float)).all()
    assert r["progress_award"][:, 0, u0].all()
    assert LadderStart(2018) in p.assumptions


def test_the_projection_is_one_labelled_result(data, reform):
    p = project(reform, data, years=2, paths=6, seed=1, units=["区县市"])
    ds = p.result.dataset
    assert ds["rank"].dims == ("draw", "year", "unit") and list(ds["year"].values) == [2019, 2020]
    assert {"rank", "rank_lo", "rank_hi", "grade", "score", "vetoed", "payout", "bonus_base", "step"} <= set(ds)
    assert p.rank.dtype == np.float32 and p.grade.dtype == np.int8
    assert p.result.paid().sum(axis=-1).tolist() == np.round(p.payout.sum(axis=-1)).tolist()
