"""Hand-computed tests of ``simkit.analysis.fairness`` (with ``persistence``, ``stats`` and the people's table),
and the issue's check on the bundled data.

The small panel used below: one group of four units A, B, C, D with sizes (attribute ``pop``) 40, 30, 20, 10, one
indicator scored by min-max (so the unit with the highest value ranks first), grades 优秀 = first place,
较差 = last place, 良好 = the rest, and a flat bonus of 1000 yuan with +20% / 0 / −20%.

    value of x   2015  2016  2017  2018        rank   2015  2016  2017  2018
    A               4     4     3     4           A       1     1     2     1
    B               3     3     2     2           B       2     2     3     3
    C               2     1     4     3           C       3     4     1     2
    D               1     2     1     1           D       4     3     4     4

Size rank (1 = largest) is A 1, B 2, C 3, D 4.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, spearmanr

import simkit
from simkit.analysis import fairness as f
from simkit.analysis import outcomes as oc
from simkit.analysis import persistence as pers
from simkit.analysis import stats as st
from simkit.errors import SimkitError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.present import tables as pt

X = {"A": [4, 4, 3, 4], "B": [3, 3, 2, 2], "C": [2, 1, 4, 3], "D": [1, 2, 1, 1]}
YEARS = [2015, 2016, 2017, 2018]


def tiny_data() -> simkit.Dataset:
    units = pd.DataFrame([[u, f"单位{u}", "G", str(p)] for u, p in zip("ABCD", (40, 30, 20, 10), strict=True)],
                         columns=["unit", "name", "group", "pop"])
    indicators = pd.DataFrame([["x", "指标x", "1"]], columns=["indicator", "name", "direction"])
    obs = pd.DataFrame([[u, "x", str(y), str(v)] for u, vs in X.items() for y, v in zip(YEARS, vs, strict=True)],
                       columns=["unit", "indicator", "year", "value"])
    return build_dataset({"units": units, "indicators": indicators, "observations": obs})


def tiny_scenario(**changes) -> simkit.Scenario:
    doc = {
        "name": "小例子", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
        "grading": {"grades": [{"name": "优秀", "count": 1}, {"name": "良好"},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {"bonus": {"factors": {"优秀": 0.2, "良好": 0.0, "较差": -0.2}, "base_attribute": None,
                                   "amount": 1000, "per_head": False}},
    }
    doc.update(changes)
    return scenario_from_dict(doc)


@pytest.fixture(scope="module")
def tiny():
    return simkit.evaluate_history(tiny_scenario(), tiny_data())


def test_the_tiny_panel_ranks_as_in_the_table(tiny):
    ranks = {y: r.units.set_index("unit")["rank"].astype(int).to_dict() for y, r in tiny.items()}
    assert ranks[2015] == {"A": 1, "B": 2, "C": 3, "D": 4}
    assert ranks[2016] == {"A": 1, "B": 2, "D": 3, "C": 4}
    assert ranks[2017] == {"C": 1, "A": 2, "B": 3, "D": 4}
    assert ranks[2018] == {"A": 1, "C": 2, "B": 3, "D": 4}


# ========================================================================================= statistics
def test_gini_of_known_vectors():
    # population formula: G = Σ_i Σ_j |x_i − x_j| / (2 n² μ)
    assert st.gini(np.array([1.0, 1, 1, 1])) == 0.0
    # [0, 0, 0, 1]: the 6 ordered pairs with the 1 differ by 1 → 6 / (2 · 16 · 0.25) = 0.75
    assert st.gini(np.array([0.0, 0, 0, 1])) == pytest.approx(0.75)
    # [1, 2, 3, 4]: Σ|x_i − x_j| = 2 · (1 + 2 + 3 + 1 + 2 + 1) = 20; 2 · 16 · 2.5 = 80 → 0.25
    assert st.gini(np.array([1.0, 2, 3, 4])) == pytest.approx(0.25)
    # [800, 1000, 1000, 1200]: (−3·800 − 1000 + 1000 + 3·1200) / (4 · 4000) = 1200 / 16000 = 0.075
    assert st.gini(np.array([1000.0, 800, 1200, 1000])) == pytest.approx(0.075)
    assert np.isnan(st.gini(np.zeros(3)))
    # row-wise along the last axis
    assert st.gini(np.array([[1.0, 1, 1, 1], [0, 0, 0, 1]])).tolist() == pytest.approx([0.0, 0.75])


def test_top_bottom_ratio():
    x = np.arange(1.0, 9.0)  # 1 .. 8
    assert st.tail_count(8, 0.2) == 2 and st.tail_count(5, 0.2) == 1 and st.tail_count(10, 0.3) == 3
    assert st.tail_count(3, 0.1) == 1  # at least one unit
    # 20% of 8 → k = ceil(1.6) = 2: mean(7, 8) / mean(1, 2) = 7.5 / 1.5 = 5
    assert st.top_bottom_ratio(x, 0.2) == pytest.approx(5.0)
    # max / min
    assert st.top_bottom_ratio(x, None) == pytest.approx(8.0)
    # 1 .. 10 with 20% → k = 2: 9.5 / 1.5
    assert st.top_bottom_ratio(np.arange(1.0, 11.0), 0.2) == pytest.approx(9.5 / 1.5)
    # a bottom of zero pays nothing: the ratio is infinite
    assert st.top_bottom_ratio(np.array([0.0, 1, 2]), None) == np.inf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spearman_and_kendall_match_scipy_with_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(5, 9)).astype(float)
    y = rng.integers(0, 4, size=(5, 9)).astype(float)
    for k in range(5):
        assert st.spearman(x[k], y[k]) == pytest.approx(spearmanr(x[k], y[k]).statistic)
        assert st.kendall(x[k], y[k]) == pytest.approx(kendalltau(x[k], y[k]).statistic)
    assert st.spearman(x, y).shape == (5,)
    assert np.isnan(st.spearman(np.ones(4), np.arange(4.0)))
    assert np.isnan(st.kendall(np.ones(4), np.arange(4.0)))


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    x = np.array([3.0, 1, 4, 1, 5, 9, 2, 6])
    a = st.bootstrap_ci(lambda v: v.mean(axis=-1), x, n_boot=400, seed=7)
    b = st.bootstrap_ci(lambda v: v.mean(axis=-1), x, n_boot=400, seed=7)
    c = st.bootstrap_ci(lambda v: v.mean(axis=-1), x, n_boot=400, seed=8)
    assert a == b
    assert a != c
    est, lo, hi = a
    assert est == pytest.approx(x.mean())
    assert lo < est < hi
    # a wider level gives a wider interval
    _, lo95, hi95 = st.bootstrap_ci(lambda v: v.mean(axis=-1), x, n_boot=400, seed=7, level=0.95)
    assert lo95 <= lo and hi95 >= hi
    # joint resampling: the correlation of a sample with itself stays 1 in every resample
    assert st.bootstrap_ci(st.spearman, x, x, n_boot=200, seed=1) == pytest.approx((1.0, 1.0, 1.0))


def test_bottom_mask_by_grade_places_and_share():
    rank = np.array([[1.0, 2, 3, 4, 1, 2]])
    grade = np.array([[0, 1, 1, 2, 0, 2]])
    groups = np.array([0, 0, 0, 0, 1, 1])
    names = ["优秀", "良好", "较差"]
    assert oc.bottom_mask(rank, grade, groups, names).tolist() == [[False, False, False, True, False, True]]
    assert oc.bottom_mask(rank, grade, groups, names, ["良好"]).tolist() == [[False, True, True, False, False, False]]
    # the last 2 places of each group (a group of 2: both)
    assert oc.bottom_mask(rank, grade, groups, names, 2).tolist() == [[False, False, True, True, True, True]]
    # a quarter: ceil(0.25 · 4) = 1 and ceil(0.25 · 2) = 1
    assert oc.bottom_mask(rank, grade, groups, names, 0.25).tolist() == [[False, False, False, True, False, True]]
    with pytest.raises(SimkitError, match="not grades"):
        oc.bottom_mask(rank, grade, groups, names, "差")
    with pytest.raises(SimkitError, match="not below 1"):
        oc.bottom_mask(rank, grade, groups, names, 1.5)


def test_largest_and_smallest_thirds():
    size = np.array([40.0, 30, 20, 10])
    assert st.largest_mask(size).tolist() == [True, True, False, False]  # ceil(4/3) = 2
    assert st.smallest_mask(size).tolist() == [False, False, True, True]
    assert st.largest_mask(np.arange(8.0)).sum() == 3  # ceil(8/3) = 3


# ============================================================================== metrics on the panel
def test_size_correlation_over_years(tiny):
    t = f.rank_size_correlation(tiny, "pop", n_boot=200)
    row = t.iloc[0]
    # ρ per year: 1; 1 − 6·2/60 = 0.8; 1 − 6·6/60 = 0.4; 0.8 → mean 0.75
    # τ per year: 1; (5 − 1)/6; (4 − 2)/6; (5 − 1)/6 → mean (1 + 2/3 + 1/3 + 2/3)/4 = 2/3
    assert row["group"] == "G" and row["units"] == 4 and row["years"] == 4
    assert row["spearman"] == pytest.approx(0.75)
    assert row["kendall"] == pytest.approx(2 / 3)
    assert row["spearman_lo"] <= row["spearman"] <= row["spearman_hi"]
    # one year: the existing per-result function agrees
    assert f.size_rho(tiny[2017], "pop", "G") == pytest.approx(0.4)
    assert f.rank_size_correlation(tiny[2017], "pop", n_boot=0)["spearman"].iat[0] == pytest.approx(0.4)


def test_top_grade_share(tiny):
    t = f.top_grade_share(tiny, "pop", n_boot=200)
    row = t.iloc[0]
    # 优秀 went to A, A, C, A; the largest third (ceil(4/3) = 2 units) is A and B → 3 of 4
    assert row["top_grades"] == 4
    assert row["share"] == pytest.approx(0.75)
    assert row["expected"] == pytest.approx(0.5)
    assert 0 <= row["share_lo"] <= row["share_hi"] <= 1
    # 优秀 and 良好 together: every unit-year but the last places (D, C, D, D) → A 4, B 4, C 3, D 1 of 12;
    # the largest third (A, B) holds 8 of 12
    both = f.top_grade_share(tiny, "pop", grades=["优秀", "良好"], n_boot=0).iloc[0]
    assert both["top_grades"] == 12 and both["share"] == pytest.approx(8 / 12)
    with pytest.raises(SimkitError, match="not grades"):
        f.top_grade_share(tiny, "pop", grades=["特等"])


def test_payout_inequality(tiny):
    t = f.payout_inequality(tiny, n_boot=100).set_index("group")
    # every year the payouts are 1200, 1000, 1000, 800 (÷ base 1000: 1.2, 1, 1, 0.8) → Gini 0.075
    assert t.loc["G", "gini"] == pytest.approx(0.075)
    # top/bottom, 20% → 1 unit each: 1200 / 800 = 1.5
    assert t.loc["G", "top_bottom"] == pytest.approx(1.5)
    half = f.payout_inequality(tiny, tail=0.5, n_boot=0).set_index("group")
    # 50% → 2 units: (1200 + 1000)/2 ÷ (800 + 1000)/2 = 1100 / 900
    assert half.loc["G", "top_bottom"] == pytest.approx(1100 / 900)
    yuan = f.payout_inequality(tiny, per="unit", n_boot=0).set_index("group")
    assert yuan.loc["G", "gini"] == pytest.approx(0.075)
    with pytest.raises(SimkitError, match="payout basis"):
        f.payout_inequality(tiny, per="head")


def test_rank_mobility(tiny):
    t = f.rank_mobility(tiny, n_boot=200)
    pairs = t[t["pairs"] == 1].set_index("year_from")
    # 2015 → 2016: only C and D swap: (5 − 1)/6; 2016 → 2017: 3 concordant, 3 discordant pairs → 0;
    # 2017 → 2018: 5 concordant, 1 discordant → 4/6
    assert pairs["kendall"].tolist() == pytest.approx([2 / 3, 0.0, 2 / 3])
    # grades 2015 优良良差 (A B C D), 2016 优良差良, 2017 良良优差, 2018 优良良差:
    # C and D change (2/4); A, C and D change (3/4); A and C change (2/4)
    assert pairs["grade_change_share"].tolist() == pytest.approx([0.5, 0.75, 0.5])
    overall = t[t["pairs"] == 3].iloc[0]
    assert overall["kendall"] == pytest.approx(4 / 9)
    assert overall["grade_change_share"] == pytest.approx(7 / 12)
    assert overall["kendall_lo"] <= overall["kendall"] <= overall["kendall_hi"]
    assert f.rank_mobility(tiny[2018]).empty  # one year: nothing to compare


def test_bottom_persistence_counts(tiny):
    t = pers.bottom_persistence(tiny, n_boot=500).set_index("unit")
    # 较差 (last place): D in 2015, 2017, 2018; C in 2016.  m = ceil(4/2) = 2
    assert t["bottom_years"].to_dict() == {"A": 0, "B": 0, "C": 1, "D": 3}
    assert t["share"].to_dict() == {"A": 0.0, "B": 0.0, "C": 0.25, "D": 0.75}
    assert t["at_least_m"].to_dict() == {"A": False, "B": False, "C": False, "D": True}
    assert (t["m"] == 2).all() and (t["years"] == 4).all()
    # resampling years: A is never at the bottom in any resample; D is in ≥ 2 of 4 in most
    assert t.loc["A", "p_at_least_m"] == 0.0 and t.loc["D", "p_at_least_m"] > 0.7
    assert t.loc["D", "share_lo"] <= 0.75 <= t.loc["D", "share_hi"]
    # the last two places: D 4 years, C 2 (2015, 2016), B 2 (2017, 2018)
    two = pers.bottom_persistence(tiny, bottom=2, m=3, n_boot=0).set_index("unit")
    assert two["bottom_years"].to_dict() == {"A": 0, "B": 2, "C": 2, "D": 4}
    assert two["at_least_m"].to_dict() == {"A": False, "B": False, "C": False, "D": True}


def test_group_persistence(tiny):
    row = pers.group_persistence(tiny, "pop", n_boot=300).iloc[0]
    assert row["units_stuck"] == 1 and row["share_stuck"] == pytest.approx(0.25)
    # the smallest third is C and D (ceil(4/3) = 2): bottom in 1 + 3 of their 8 unit-years
    assert row["smallest_units"] == "单位C, 单位D"
    assert row["smallest_share"] == pytest.approx(0.5)
    assert row["smallest_stuck"] == pytest.approx(0.5)  # D only
    assert row["smallest_share_lo"] <= 0.5 <= row["smallest_share_hi"]


def test_persistence_default_m():
    assert [st.default_m(n) for n in (1, 2, 4, 5, 10)] == [1, 1, 2, 3, 5]


# ========================================================================================= common shocks
def test_common_shock_keeps_a_ranking_by_comparison_but_not_one_against_absolute_targets():
    data = tiny_data()
    ranked = tiny_scenario(name="按名次")
    absolute = tiny_scenario(name="绝对目标", defaults={"measures": {"level": 1},
                                                        "target": {"rule": "uniform", "value": 3},
                                                        "scoring": {"rule": "completion", "cap": 1.0}})
    t = f.shock_invariance([ranked, absolute], data, factors=(0.5, 2.0)).set_index(["scenario", "factor"])
    assert t.loc[("按名次", 0.5), "same_ranking"] and t.loc[("按名次", 2.0), "same_ranking"]
    # 2018 values 4, 2, 3, 1 against a target of 3, capped at 1: shares 1, 2/3, 1, 1/3 (A and C tied);
    # doubled: 1, 1, 1, 2/3 → B joins the tie at the top, so the ranking changes
    assert not t.loc[("绝对目标", 2.0), "same_ranking"]
    assert t.loc[("绝对目标", 2.0), "units_moving"] == 1
    # halved: 2/3, 1/3, 1/2, 1/6 → the A–C tie is broken: A first, C second
    assert not t.loc[("绝对目标", 0.5), "same_ranking"]
    # scaling every year (a change of units) keeps a ranking that compares units with each other
    assert f.shock_invariance(ranked, data, factors=(3.0,), when="all")["same_ranking"].all()
    with pytest.raises(SimkitError, match="when"):
        f.shock_invariance(ranked, data, when="never")


# ==================================================================================== the side-by-side table
def test_fairness_table_puts_scenarios_side_by_side(tiny):
    data = tiny_data()
    other = tiny_scenario(name="另一方案", grading={"grades": [{"name": "优秀", "count": 2}, {"name": "良好"},
                                                            {"name": "较差", "count": 1, "from": "bottom"}]})
    t = pt.fairness_table([tiny_scenario(), other], data, size="pop", n_boot=200, seed=3)
    assert list(t.columns[:3]) == ["metric", "metric_zh", "group"]
    assert {"小例子", "小例子 lo", "小例子 hi", "另一方案", "另一方案 lo", "另一方案 hi"} <= set(t.columns)
    assert t.attrs["years"] == (2015, 2016, 2017, 2018) and t.attrs["m"] == 2
    got = t.set_index(["metric", "group"])["小例子"]
    assert got[("size_spearman", "G")] == pytest.approx(0.75)
    assert got[("top_grade_share_largest", "G")] == pytest.approx(0.75)
    assert got[("payout_gini", "G")] == pytest.approx(0.075)
    assert got[("mobility_kendall", "G")] == pytest.approx(4 / 9)
    assert got[("bottom_share_smallest", "G")] == pytest.approx(0.5)
    assert got[("shock_same_ranking", "G")] == 1.0
    assert set(t["metric"]) == set(f.METRICS) == set(pt.METRICS)
    # the same seed gives the same table
    again = pt.fairness_table([tiny_scenario(), other], data, size="pop", n_boot=200, seed=3)
    pd.testing.assert_frame_equal(t, again)
    shown = pt.format_fairness(t)
    assert shown.iloc[0, 2].startswith("0.750 [")


def test_unknown_size_is_a_clear_error(tiny):
    with pytest.raises(SimkitError, match="neither a unit attribute"):
        f.rank_size_correlation(tiny, "area")


# ==================================================================================== the bundled data
@pytest.fixture(scope="module")
def histories(data, legacy, reform):
    years = (2015, 2016, 2017, 2018)  # the years both can evaluate (the reform's baseline needs 3 earlier years)
    return simkit.evaluate_history(legacy, data, years), simkit.evaluate_history(reform, data, years)


def test_bundled_reform_lowers_the_size_correlation(histories):
    old, new = (f.rank_size_correlation(h, "gdp", n_boot=1000, seed=0).set_index("group").loc["区县市"]
                for h in histories)
    assert old["spearman"] == pytest.approx(0.9167, abs=1e-4)
    assert new["spearman"] == pytest.approx(0.1786, abs=1e-4)
    # not just lower: the reform's whole 5–95% interval lies below the legacy estimate's interval
    assert new["spearman_hi"] < old["spearman_lo"]
    assert new["kendall"] < old["kendall"]


def test_bundled_reform_lowers_bottom_persistence_of_the_smallest_counties(histories):
    # The smallest third of the 8 counties by 2018 GDP (the size attribute used): 资阳区 170.6, 南县 197.5,
    # 大通湖区 40.4 亿元.  Bottom tier: the scenarios' own (较差, the last place); m = 2 of 4 years.
    old, new = (pers.group_persistence(h, "gdp", n_boot=500).set_index("group").loc["区县市"] for h in histories)
    assert old["smallest_units"] == new["smallest_units"] == "资阳区, 南县, 大通湖区"
    assert old["smallest_share"] == pytest.approx(4 / 12)  # 大通湖区 last in all 4 years
    assert new["smallest_share"] == pytest.approx(1 / 12)  # 资阳区 last once (2018)
    assert old["smallest_stuck"] == pytest.approx(1 / 3) and new["smallest_stuck"] == 0.0
    # Per unit, 大通湖区: last 4 of 4 years → 0 of 4.  With the bottom quarter (the last 2 places) both of
    # the two smallest counties fall: 大通湖区 4 → 2 years, 资阳区 3 → 2 years.
    per = [pers.bottom_persistence(h, n_boot=0).set_index("name") for h in histories]
    assert per[0].loc["大通湖区", "bottom_years"] == 4 and per[1].loc["大通湖区", "bottom_years"] == 0
    two = [pers.bottom_persistence(h, bottom=2, n_boot=0).set_index("name") for h in histories]
    for name, before, after in (("大通湖区", 4, 2), ("资阳区", 3, 2)):
        assert two[0].loc[name, "bottom_years"] == before and two[1].loc[name, "bottom_years"] == after


def test_bundled_common_shock_keeps_the_legacy_county_ranking_only(data, legacy, reform):
    t = f.shock_invariance([legacy, reform], data, factors=(0.9,))
    counties = t[t["group"] == "区县市"].set_index("scenario")["same_ranking"]
    # legacy: totals against the group's leader — a common factor cancels; the reform scores growth against
    # each unit's own 3-year baseline, which a shock this year moves unit by unit
    assert counties[legacy.name] and not counties[reform.name]


def test_payout_inequality_on_bundled_data_is_finite(histories):
    t = f.payout_inequality(histories[1], groups=["区县市"], n_boot=100)
    assert set(t["group"]) == {"区县市", f.ALL}
    assert (t["gini"] > 0).all() and (t["top_bottom"] > 1).all()
    assert math.isfinite(t["gini_hi"].max())


# ============================================================================================= the command
def test_cli_fairness_writes_the_side_by_side_table(tmp_path):
    import json

    from click.testing import CliRunner

    from simkit.cli import main

    out = tmp_path / "fair"
    res = CliRunner().invoke(main, ["fairness", "legacy_totals", "yiyang_2018_reform", "--out", str(out),
                                    "--size", "gdp", "--seed", "1", "--boot", "100"])
    assert res.exit_code == 0, res.output
    assert "名次与规模相关" in res.output and "合成数据" in res.output
    table = pd.read_csv(out / "fairness.csv", encoding="utf-8-sig")
    assert list(table.columns[:3]) == ["metric", "metric_zh", "group"]
    legacy_name, reform_name = "旧规则（总量比较）", "益阳2018改革方案"
    assert {legacy_name, f"{legacy_name} lo", f"{reform_name} hi"} <= set(table.columns)
    rho = table[table["metric"] == "size_spearman"].iloc[0]
    assert rho[legacy_name] == pytest.approx(0.9167, abs=1e-4) and rho[reform_name] == pytest.approx(0.1786, abs=1e-4)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["scenarios"]] == [legacy_name, reform_name]
    assert manifest["settings"]["seed"] == 1 and manifest["settings"]["years"] == [2015, 2016, 2017, 2018]
    assert manifest["data"]["synthetic"] is True
    assert not list(out.glob(".simkit-*"))
    again = tmp_path / "again"
    CliRunner().invoke(main, ["fairness", "legacy_totals", "yiyang_2018_reform", "--out", str(again), "--seed", "1",
                              "--boot", "100"])
    assert (again / "fairness.csv").read_bytes() == (out / "fairness.csv").read_bytes()


def test_cli_fairness_bad_input_is_exit_2(tmp_path):
    from click.testing import CliRunner

    from simkit.cli import main

    res = CliRunner().invoke(main, ["fairness", "legacy_totals", "--size", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "neither a unit attribute" in res.output
    res = CliRunner().invoke(main, ["fairness", "legacy_totals", "--years", "20x5", "--out", str(tmp_path)])
    assert res.exit_code == 2
    res = CliRunner().invoke(main, ["fairness", "legacy_totals", "--years", "2016-2018", "--boot", "50",
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0 and "2016–2018" in res.output


def test_resampled_years_counted_without_the_gather():
    """The bottom years of each resampled history equal the sum over the drawn years, for the same seed."""
    _draws_of = pers._draws_of
    rng = np.random.default_rng(7)
    for _ in range(40):
        n_years, n_units = int(rng.integers(1, 9)), int(rng.integers(1, 40))
        low = (rng.random((1, n_years, n_units)) < 0.3).astype(float)
        n_boot, seed = int(rng.integers(0, 200)), int(rng.integers(0, 10_000))
        idx = np.random.default_rng(seed).integers(0, n_years, size=(max(n_boot, 1), n_years))
        np.testing.assert_array_equal(_draws_of(low, n_boot, seed), low[0][idx].sum(axis=1))
    # by hand: years marked 1, 0, 1; a resample drawing years (0, 0, 2) counts 3 bottom years
    low = np.array([[[1.0], [0.0], [1.0]]])
    idx = np.random.default_rng(3).integers(0, 3, size=(1, 3))
    assert _draws_of(low, 1, 3)[0, 0] == sum(low[0, y, 0] for y in idx[0])
