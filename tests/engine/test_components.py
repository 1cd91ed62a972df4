"""The parts of the year (``scenario.components``: 日常管理, 专项考核, 年终综合考核) on a hand-computed example.

Units A and B in one group; each indicator has an assigned target of 100 and is scored by completion
(share = value / 100, capped at 1.2), so a leaf's points are its component's points × the year's value / 100.

    m (日常管理 daily, 20 points, monthly, year = mean)
        A: 2018-01 60, 2018-02 70, 2018-03 80           → 70      → 14 points
        B: 90, 90, 60                                    → 80      → 16
    q (专项考核 special, 20 points, quarterly, year = last quarter's; rows written out of order)
        A: Q1 50, Q2 40, Q3 30, Q4 90                    → 90      → 18
        B: Q1 100, Q2 100, Q3 100, Q4 70                 → 70      → 14
    s (年终综合考核 annual, 60 points, quarterly, year = sum)
        A: 10 + 20 + 30 + 30                             → 90      → 54
        B: 25 + 25 + 25 + 5                              → 80      → 48

    totals: A 14 + 18 + 54 = 86;  B 16 + 14 + 48 = 78
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

M = {"A": [60, 70, 80], "B": [90, 90, 60]}
Q = {"A": [50, 40, 30, 90], "B": [100, 100, 100, 70]}
S = {"A": [10, 20, 30, 30], "B": [25, 25, 25, 5]}


def table(rows: list[list[object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data(whole_year_s_for_b: float | None = None, blank: tuple[str, str, str] | None = None) -> simkit.Dataset:
    units = table([["A", "甲", "G"], ["B", "乙", "G"]], ["unit", "name", "group"])
    ind = table([["m", "月度评分", "1"], ["q", "季度评分", "1"], ["s", "季度数量", "1"]],
                ["indicator", "name", "direction"])
    obs = [[u, "m", 2018, v, f"2018-{k + 1:02d}"] for u, vs in M.items() for k, v in enumerate(vs)]
    # the quarters written last first: the `last` period is the latest, not the last row
    obs += [[u, "q", 2018, v, f"2018-Q{k + 1}"] for u, vs in Q.items() for k, v in reversed(list(enumerate(vs)))]
    for u, vs in S.items():
        if u == "B" and whole_year_s_for_b is not None:
            obs.append([u, "s", 2018, whole_year_s_for_b, ""])  # a value for the whole year is taken as it is
        else:
            obs += [[u, "s", 2018, v, f"{k + 1}季度"] for k, v in enumerate(vs)]  # the row's year is the period's
    if blank is not None:  # (unit, indicator, period): a value left empty
        obs = [[u, i, y, "" if (u, i, per) == blank else v, per] for u, i, y, v, per in obs]
    targets = [[u, i, 2018, 100] for u in "AB" for i in "mqs"]
    return build_dataset({"units": units, "indicators": ind,
                          "observations": table(obs, ["unit", "indicator", "year", "value", "period"]),
                          "targets": table(targets, ["unit", "indicator", "year", "target"])})


COMPONENTS = [
    {"id": "daily", "name": "日常管理", "name_en": "Daily management", "points": 20, "nodes": ["m"],
     "over_year": "mean"},
    {"id": "special", "name": "专项考核", "name_en": "Special evaluations", "points": 20, "nodes": ["q"],
     "over_year": "last"},
    {"id": "annual", "name": "年终综合考核", "name_en": "Year-end evaluation", "points": 60, "nodes": ["s"],
     "over_year": "sum"},
]


def make_scenario(components=COMPONENTS, **changes) -> simkit.Scenario:
    doc = {
        "name": "components-test", "total": 100,
        "weights": {"mode": "points", "values": {"m": 20, "q": 20, "s": 60}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "assigned"},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
        "components": components,
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share", "grades": [{"name": "优秀", "count": 1}, {"name": "一般"}]},
    }
    doc.update(changes)
    return scenario_from_dict(doc)


@pytest.fixture(scope="module")
def result() -> simkit.Result:
    return simkit.evaluate(make_scenario(), make_data(), 2018)


def cell(result: simkit.Result, unit: str, indicator: str) -> pd.Series:
    ind = result.indicators
    return ind[(ind["unit"] == unit) & (ind["indicator"] == indicator)].iloc[0]


@pytest.mark.parametrize(("unit", "indicator", "value", "points"), [
    ("A", "m", 70.0, 14.0), ("B", "m", 80.0, 16.0),  # mean of the months
    ("A", "q", 90.0, 18.0), ("B", "q", 70.0, 14.0),  # the last quarter's, whatever the row order
    ("A", "s", 90.0, 54.0), ("B", "s", 80.0, 48.0),  # the sum of the quarters
])
def test_each_aggregation_over_the_year(result, unit, indicator, value, points):
    row = cell(result, unit, indicator)
    assert row["value"] == pytest.approx(value)
    assert row["share"] == pytest.approx(value / 100)
    assert row["points"] == pytest.approx(points)


def test_points_per_component_and_the_total(result):
    u = result.units.set_index("unit")
    # the component's score is on the 100-point scale of the component: points / its points × 100
    assert u.loc["A", ["score_daily", "score_special", "score_annual"]].tolist() == pytest.approx([70, 90, 90])
    assert u.loc["B", ["score_daily", "score_special", "score_annual"]].tolist() == pytest.approx([80, 70, 80])
    assert u.loc["A", "score"] == pytest.approx(86.0)  # 14 + 18 + 54
    assert u.loc["B", "score"] == pytest.approx(78.0)  # 16 + 14 + 48
    assert u.loc["A", "rank"] == 1 and u.loc["B", "rank"] == 2
    # the first-level indicators under a component also get their score column
    assert u.loc["A", ["score_m", "score_q", "score_s"]].tolist() == pytest.approx([70, 90, 90])


def test_the_component_is_a_node_of_the_result(result):
    ds = result.dataset
    nodes = list(ds["node"].values)
    assert {"daily", "special", "annual"} <= set(nodes)
    k = nodes.index("annual")
    assert float(ds["node_score"].isel(draw=0).sel(year=2018, unit="B").values[k]) == pytest.approx(80.0)


def test_explain_names_each_component(result):
    text = simkit.explain(result, "A")
    assert "日常管理14.00分（满分20分" in text.zh and "月度数据各期均值" in text.zh
    assert "专项考核18.00分（满分20分" in text.zh and "季度数据取最后一期" in text.zh
    assert "年终综合考核54.00分（满分60分" in text.zh and "季度数据各期合计" in text.zh
    assert "Daily management 14.00 of 20" in text.en and "the mean of its periods" in text.en


def test_a_whole_year_value_is_taken_as_it_is():
    r = simkit.evaluate(make_scenario(), make_data(whole_year_s_for_b=95), 2018)
    assert cell(r, "B", "s")["value"] == pytest.approx(95.0)  # not summed: it is the year's
    assert cell(r, "A", "s")["value"] == pytest.approx(90.0)


def test_over_year_by_node_overrides_the_component():
    comps = [COMPONENTS[0], COMPONENTS[1],
             {**COMPONENTS[2], "over_year": "mean", "over_year_by": {"s": "last"}}]
    r = simkit.evaluate(make_scenario(comps), make_data(), 2018)
    assert cell(r, "A", "s")["value"] == pytest.approx(30.0)  # the last quarter of 10, 20, 30, 30
    assert cell(r, "B", "s")["value"] == pytest.approx(5.0)


def test_last_is_the_latest_period_with_a_value():
    r = simkit.evaluate(make_scenario(), make_data(blank=("A", "q", "2018-Q4")), 2018)
    assert cell(r, "A", "q")["value"] == pytest.approx(30.0)  # Q4 empty: Q3's
    r = simkit.evaluate(make_scenario(), make_data(blank=("A", "m", "2018-02")), 2018)
    assert cell(r, "A", "m")["value"] == pytest.approx(70.0)  # the mean of the months given: (60 + 80) / 2


def test_without_components_a_value_by_period_is_the_mean():
    r = simkit.evaluate(make_scenario(None), make_data(), 2018)
    assert cell(r, "A", "q")["value"] == pytest.approx((50 + 40 + 30 + 90) / 4)
    assert cell(r, "A", "s")["value"] == pytest.approx(22.5)


def test_components_points_must_add_up_to_the_total():
    comps = [{**COMPONENTS[0], "points": 30}, COMPONENTS[1], COMPONENTS[2]]
    with pytest.raises(ScenarioError, match="add up to 110"):
        make_scenario(comps)


def test_a_component_naming_an_unknown_node_is_an_error_naming_the_field():
    comps = [{**COMPONENTS[0], "nodes": ["mm"]}, COMPONENTS[1], COMPONENTS[2]]
    with pytest.raises(ScenarioError) as info:
        simkit.evaluate(make_scenario(comps), make_data(), 2018)
    assert "components.0.nodes" in str(info.value) and "'mm'" in str(info.value)


def test_the_table_for_people(result):
    from simkit.present.parts import components_table

    t = components_table(result).set_index(["单位", "考核环节"])
    row = t.loc[("甲", "日常管理")]
    assert row[["分值", "得分率(百分制)", "得分", "年度取值"]].tolist() == [20, 70, 14, "月度数据各期均值"]
    assert t.loc[("乙", "专项考核"), "年度取值"] == "季度数据取最后一期" and t.loc[("乙", "专项考核"), "得分"] == 14
    assert t.loc[("甲", "年终综合考核"), "年度取值"] == "季度数据各期合计"
    en = components_table(result, "en")
    assert set(en["Part of the year"]) == {"Daily management", "Special evaluations", "Year-end evaluation"}


def test_two_components_and_a_whole_year_part():
    comps = [{**COMPONENTS[0], "points": 40, "nodes": ["m", "q"]}, COMPONENTS[2]]
    sc = make_scenario(comps, weights={"mode": "points", "values": {"m": 20, "q": 20, "s": 60}})
    r = simkit.evaluate(sc, make_data(), 2018)
    # daily holds m and q, both by their mean: A's m 70 → 14 points, q (50 + 40 + 30 + 90) / 4 = 52.5 → 10.5;
    # 24.5 of 40 = 61.25 of 100
    assert r.units.set_index("unit").loc["A", "score_daily"] == pytest.approx(61.25)
    text = simkit.explain(r, "A").zh
    assert "全年分两部分：" in text and "日常管理24.50分（满分40分" in text


@pytest.mark.parametrize("wide", [False, True])
def test_values_by_period_round_trip_through_a_workbook(tmp_path, wide):
    from simkit.io.read import load_data
    from simkit.io.template import write_workbook

    data = make_data(whole_year_s_for_b=95)
    again = load_data(write_workbook(data, tmp_path / "data.xlsx", wide=wide))
    assert again.fingerprint() == data.fingerprint()
    assert len(again.observations) == len(data.observations) and again.has_periods
    r = simkit.evaluate(make_scenario(), again, 2018)
    assert cell(r, "A", "q")["value"] == pytest.approx(90.0) and cell(r, "B", "s")["value"] == pytest.approx(95.0)


def _p_b_first(sd: float, a_value: float, b_value: float, points: float, lead: float) -> float:
    """P(B ranks first) when only one indicator carries lognormal noise ×exp(sd·z): B's total less A's is
    ``points × (min(b·f_B, 1.2) − min(a·f_A, 1.2)) − lead``; integrated over A's factor on a fine grid, B's
    side by the normal distribution function (scipy), by hand rather than by the engine."""
    from scipy.stats import norm

    z = np.linspace(-9.0, 9.0, 36_001)
    need = np.minimum(a_value * np.exp(sd * z), 1.2) + lead / points  # what B's share must exceed
    with np.errstate(divide="ignore"):
        p_b = np.where(need < 1.2, norm.sf(np.log(need / b_value) / sd), 0.0)
    return float(np.trapezoid(norm.pdf(z) * p_b, z))


@pytest.mark.parametrize(("over", "noised", "a_value", "b_value", "points", "lead"), [
    # `last`: the fourth quarter's 90 and 70; the other parts give A 14 + 54 and B 16 + 48
    ("last", "q", 0.9, 0.7, 20.0, 4.0),
    # `sum`: the quarters' 90 and 80, noised as the year's value; the other parts give A 14 + 18, B 16 + 14
    ("sum", "s", 0.9, 0.8, 60.0, 2.0),
])
def test_noise_on_a_component_applies_to_the_years_value(over, noised, a_value, b_value, points, lead):
    """Monte Carlo noise on a part of the year combined by `last` or `sum` noises the year's value, once, and
    the chance that B overtakes A equals the integral computed by hand."""
    from simkit.analysis.uncertainty import DataNoise, UncertaintySpec, run_uncertainty

    comps = [dict(c) for c in COMPONENTS]
    comps[1 if noised == "q" else 2]["over_year"] = over
    spec = UncertaintySpec(noise=DataNoise(sd=0.3, indicators=(noised,)))
    draws = 20_000
    r = run_uncertainty(make_scenario(comps), make_data(), spec, draws=draws, seed=11, progress=False, sobol=False)
    got = float(r.rank_intervals.set_index("unit").loc["B", "p_top"])
    want = _p_b_first(0.3, a_value, b_value, points, lead)
    assert 0.02 < want < 0.98  # the case is not one-sided
    assert abs(got - want) < 4 * np.sqrt(want * (1 - want) / draws), (got, want)


def test_noise_on_components_gives_the_same_tallies_on_either_leaf_stage(monkeypatch):
    from simkit.analysis.uncertainty import DataNoise, UncertaintySpec, run_uncertainty
    from simkit.analysis.uncertainty import evaluate as unc_evaluate

    spec = UncertaintySpec(noise=DataNoise(sd=0.3))

    def go():
        return run_uncertainty(make_scenario(), make_data(), spec, draws=300, seed=4, progress=False, sobol=False,
                               chunk_size=64)

    lean = go()
    monkeypatch.setattr(unc_evaluate, "window", lambda plan, inputs, t: None)  # the general leaf stage only
    pd.testing.assert_frame_equal(lean.rank_intervals, go().rank_intervals, check_exact=True)
