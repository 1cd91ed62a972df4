"""End-to-end tests of the pipeline (simkit.engine via simkit.evaluate) on a small hand-computed example.

Data: units A, B, C in group G1 and D alone in G2; two first-level leaf indicators, both higher-is-better;
years 2015–2018, evaluated in 2018.

- x: baseline of the last 3 years with a 10% uplift, completion capped at 1.2, 60 points.
- y: assigned targets, all-or-nothing, 40 points.

    x        2015 2016 2017 | 2018   target = mean·1.1      completion        share
    A          10   20   30 |   33   mean 20 → 22           33/22 = 1.5       cap 1.2
    B          30   30   30 | 29.7   mean 30 → 33           29.7/33 = 0.9     0.9
    C           5   10   15 |   11   mean 10 → 11           11/11 = 1.0       1.0
    D          40   50   60 |   44   mean 50 → 55           44/55 = 0.8       0.8

    y (2018)  value  target  met?  share
    A           100     100  yes (exactly)  1
    B            60      50  yes            1
    C            79      80  no             0
    D            12      10  yes            1

Base scores (60·x share + 40·y share):
    A = 60·1.2 + 40·1 = 72 + 40 = 112;  B = 60·0.9 + 40 = 54 + 40 = 94
    C = 60·1.0 + 40·0 = 60;             D = 60·0.8 + 40 = 48 + 40 = 88
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.engine.compile import compile_plan, inputs_of
from simkit.engine.stages import leaf_stage, rank_stage, total_stage
from simkit.errors import EvaluationError, ScenarioError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

X = {"A": [10, 20, 30, 33], "B": [30, 30, 30, 29.7], "C": [5, 10, 15, 11], "D": [40, 50, 60, 44]}
Y = {"A": [1, 2, 3, 100], "B": [1, 2, 3, 60], "C": [1, 2, 3, 79], "D": [1, 2, 3, 12]}
Y_TARGET_2018 = {"A": 100, "B": 50, "C": 80, "D": 10}
YEARS = [2015, 2016, 2017, 2018]


def table(rows: list[list[object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data(adjustments: list[list[object]] | None = None, x=X, y=Y) -> simkit.Dataset:
    units = table([["A", "甲", "G1"], ["B", "乙", "G1"], ["C", "丙", "G1"], ["D", "丁", "G2"]],
                  ["unit", "name", "group"])
    indicators = table([["x", "指标x", "1"], ["y", "指标y", "1"]], ["indicator", "name", "direction"])
    obs = [[u, ind, yr, v] for ind, vals in (("x", x), ("y", y)) for u, vs in vals.items()
           for yr, v in zip(YEARS, vs, strict=True)]
    targets = [[u, "y", 2018, t] for u, t in Y_TARGET_2018.items()] + [["A", "y", 2017, 999]]
    raw = {
        "units": units,
        "indicators": indicators,
        "observations": table(obs, ["unit", "indicator", "year", "value"]),
        "targets": table(targets, ["unit", "indicator", "year", "target"]),
    }
    if adjustments is not None:
        raw["adjustments"] = table(adjustments, ["unit", "year", "kind", "value", "reason"])
    return build_dataset(raw)


GRADES = [
    {"name": "优秀", "name_en": "Excellent", "count": 1},
    {"name": "良好", "name_en": "Good", "min_score": 80},
    {"name": "一般", "name_en": "Fair"},
    {"name": "较差", "name_en": "Poor", "count": 1, "from": "bottom"},
]


def make_scenario(**changes) -> simkit.Scenario:
    doc = {
        "name": "engine-test",
        "total": 100,
        "weights": {"mode": "points", "values": {"x": 60, "y": 40}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
        "indicators": {
            "x": {"target": {"rule": "baseline", "years": 3, "uplift": 0.1},
                  "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
            "y": {"target": {"rule": "assigned"}, "scoring": {"rule": "all_or_nothing"}},
        },
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share", "grades": GRADES},
    }
    doc.update(changes)
    return scenario_from_dict(doc)


def by_unit(result: simkit.Result) -> pd.DataFrame:
    return result.units.set_index("unit")


def cell(result: simkit.Result, unit: str, indicator: str) -> pd.Series:
    ind = result.indicators
    row = ind[(ind["unit"] == unit) & (ind["indicator"] == indicator)]
    assert len(row) == 1
    return row.iloc[0]


# ================================================================================ the plain evaluation
@pytest.fixture(scope="module")
def plain() -> simkit.Result:
    return simkit.evaluate(make_scenario(), make_data(), 2018)


def test_units_columns(plain):
    cols = set(plain.units.columns)
    assert {"unit", "name", "group", "score", "rank", "grade", "vetoed"} <= cols
    assert {"base_score", "bonus_points", "deduction_points", "group_size", "year"} <= cols
    assert len(plain.units) == 4
    assert plain.year == 2018


def test_indicator_columns(plain):
    assert {"unit", "indicator", "value", "target", "share", "points"} <= set(plain.indicators.columns)
    assert len(plain.indicators) == 8  # 4 units × 2 indicators


@pytest.mark.parametrize(
    ("unit", "value", "target", "share"),
    [
        ("A", 33.0, 22.0, 1.2),  # mean(10,20,30) = 20 → ·1.1 = 22; 33/22 = 1.5 → cap 1.2
        ("B", 29.7, 33.0, 0.9),  # mean 30 → 33; 29.7/33 = 0.9
        ("C", 11.0, 11.0, 1.0),  # mean 10 → 11; 11/11 = 1
        ("D", 44.0, 55.0, 0.8),  # mean 50 → 55; 44/55 = 0.8
    ],
)
def test_indicator_x_baseline_completion(plain, unit, value, target, share):
    row = cell(plain, unit, "x")
    assert row["value"] == pytest.approx(value)
    assert row["target"] == pytest.approx(target)
    assert row["share"] == pytest.approx(share)
    assert row["points"] == pytest.approx(60.0 * share)  # 60 points × share
    assert row["weight"] == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("unit", "value", "target", "share"),
    [
        ("A", 100.0, 100.0, 1.0),  # exactly at target: met
        ("B", 60.0, 50.0, 1.0),
        ("C", 79.0, 80.0, 0.0),  # one short: nothing
        ("D", 12.0, 10.0, 1.0),
    ],
)
def test_indicator_y_assigned_all_or_nothing(plain, unit, value, target, share):
    row = cell(plain, unit, "y")
    assert row["value"] == pytest.approx(value)
    assert row["target"] == pytest.approx(target)  # 2018's assigned target, not 2017's 999
    assert row["share"] == pytest.approx(share)
    assert row["points"] == pytest.approx(40.0 * share)  # 40 points × share


def test_totals_ranks_grades(plain):
    u = by_unit(plain)
    # totals: A 112, B 94, C 60, D 88 (module docstring)
    assert u.loc[["A", "B", "C", "D"], "score"].tolist() == pytest.approx([112.0, 94.0, 60.0, 88.0])
    assert u["score"].equals(u["base_score"])  # no adjustments table
    # G1: 112 > 94 > 60 → 1, 2, 3; D alone in G2 → 1
    assert u.loc[["A", "B", "C", "D"], "rank"].tolist() == [1, 2, 3, 1]
    assert u.loc[["A", "B", "C", "D"], "group_size"].tolist() == [3, 3, 3, 1]
    # G1: 较差 (bottom, 1) → C; 优秀 (1) → A; 良好 (≥ 80) → B
    # G2: D alone: bottom quota min(1, 0) = 0; 优秀 → D
    assert u.loc[["A", "B", "C", "D"], "grade"].tolist() == ["优秀", "良好", "较差", "优秀"]
    assert u.loc["D", "grade_en"] == "Excellent"
    assert not u["vetoed"].any()
    assert u.loc["A", "name"] == "甲" and u.loc["D", "group"] == "G2"


def test_units_sorted_by_group_then_rank(plain):
    assert plain.units["unit"].tolist() == ["A", "B", "C", "D"]


def test_points_add_up_to_base_score(plain):
    pts = plain.indicators.groupby("unit")["points"].sum()
    base = by_unit(plain)["base_score"]
    for unit in "ABCD":
        assert pts[unit] == pytest.approx(base[unit])


def test_score_columns_per_first_level_node(plain):
    u = by_unit(plain)
    # leaf x is a first-level node: its score on the 100-point scale is share·100
    assert u.loc[["A", "B", "C", "D"], "score_x"].tolist() == pytest.approx([120.0, 90.0, 100.0, 80.0])
    assert u.loc[["A", "B", "C", "D"], "score_y"].tolist() == pytest.approx([100.0, 100.0, 0.0, 100.0])


def test_stages_match_result(plain):
    plan = compile_plan(make_scenario(), make_data())
    inputs = inputs_of(plan)
    t = plan.year_index(2018)
    leaf = leaf_stage(plan, inputs, [t])
    totals = total_stage(plan, inputs, leaf, [t])
    ranks = rank_stage(plan, totals)
    assert t == 3
    assert plan.group_codes.tolist() == [0, 0, 0, 1]
    np.testing.assert_allclose(leaf.share[0, 0], [[1.2, 1.0], [0.9, 1.0], [1.0, 0.0], [0.8, 1.0]])
    np.testing.assert_allclose(totals.final[0, 0], [112.0, 94.0, 60.0, 88.0])
    assert ranks.rank[0, 0].tolist() == [1.0, 2.0, 3.0, 1.0]
    assert ranks.grade[0, 0].tolist() == [0, 1, 3, 0]


def test_default_year_is_the_last(plain):
    r = simkit.evaluate(make_scenario(), make_data())
    assert r.year == 2018
    assert r.units["score"].tolist() == pytest.approx(plain.units["score"].tolist())


# ==================================================================== adjustments: bonus, deduction, veto
ADJ = [
    ["C", 2018, "bonus", 2, "省级表彰"],
    ["C", 2018, "bonus", 2, "国家级试点"],  # C's bonus 2 + 2 = 4 → capped at 3
    ["B", 2018, "deduction", 5, "通报批评"],
    ["D", 2018, "deduction", 30, "重大失误"],  # capped at 20
    ["A", 2018, "veto", "", "发生较大安全生产事故"],
    ["B", 2017, "veto", "", "上一年的否决"],  # another year: ignored
    ["D", 2017, "bonus", 3, "上一年的加分"],  # another year: ignored
]


@pytest.fixture(scope="module")
def adjusted() -> simkit.Result:
    sc = make_scenario(adjustments={"bonus_cap": 3, "deduction_cap": 20, "veto": {"best_grade": "良好"}})
    return simkit.evaluate(sc, make_data(ADJ), 2018)


def test_bonus_cap_deduction_and_veto(adjusted):
    u = by_unit(adjusted)
    # bonus: C min(4, 3) = 3; deductions: B 5, D min(30, 20) = 20
    assert u.loc[["A", "B", "C", "D"], "bonus_points"].tolist() == pytest.approx([0.0, 0.0, 3.0, 0.0])
    assert u.loc[["A", "B", "C", "D"], "deduction_points"].tolist() == pytest.approx([0.0, 5.0, 0.0, 20.0])
    # scores: A 112; B 94 − 5 = 89; C 60 + 3 = 63; D 88 − 20 = 68
    assert u.loc[["A", "B", "C", "D"], "score"].tolist() == pytest.approx([112.0, 89.0, 63.0, 68.0])
    assert u.loc[["A", "B", "C", "D"], "base_score"].tolist() == pytest.approx([112.0, 94.0, 60.0, 88.0])
    # only A is vetoed (B's veto row is for 2017)
    assert u.loc[["A", "B", "C", "D"], "vetoed"].tolist() == [True, False, False, False]
    assert u.loc["A", "veto_reason"] == "发生较大安全生产事故"
    # ranks: G1 112 > 89 > 63 → 1, 2, 3 (a veto does not move A down by default); D → 1
    assert u.loc[["A", "B", "C", "D"], "rank"].tolist() == [1, 2, 3, 1]
    # G1: 较差 → C (last); 优秀: A vetoed (best_grade 良好) → B (89) takes the slot; 良好 (≥ 80): A (112)
    # G2: D 68 → 优秀 (count 1, no min score; a group of one escapes the bottom quota)
    assert u.loc[["A", "B", "C", "D"], "grade"].tolist() == ["良好", "优秀", "较差", "优秀"]


def test_adjustments_ignored_when_use_table_false():
    sc = make_scenario(adjustments={"use_table": False, "veto": {"use_table": False}})
    u = by_unit(simkit.evaluate(sc, make_data(ADJ), 2018))
    assert u.loc[["A", "B", "C", "D"], "score"].tolist() == pytest.approx([112.0, 94.0, 60.0, 88.0])
    assert not u["vetoed"].any()


def test_veto_rank_last():
    sc = make_scenario(adjustments={"veto": {"rank_last": True}})
    u = by_unit(simkit.evaluate(sc, make_data(ADJ), 2018))
    # A (vetoed, 112) ranked after B (89) and C (63): ranks B 1, C 2, A 3
    assert u.loc[["A", "B", "C"], "rank"].tolist() == [3, 1, 2]
    # bottom quota takes A (last place); 优秀 → B; 良好 needs ≥ 80: C (63) → 一般
    assert u.loc[["A", "B", "C"], "grade"].tolist() == ["较差", "优秀", "一般"]


def test_forced_veto_grade_from_table():
    sc = make_scenario(adjustments={"veto": {"best_grade": "一般", "grade": "较差"}})
    u = by_unit(simkit.evaluate(sc, make_data(ADJ), 2018))
    # A forced to 较差 fills the one bottom place, so C (last otherwise) is spared: 一般; 优秀 → B
    assert u.loc[["A", "B", "C", "D"], "grade"].tolist() == ["较差", "优秀", "一般", "优秀"]


# ===================================================================================== veto conditions
def test_veto_conditions_at_least_inclusive():
    sc = make_scenario(adjustments={"veto": {"use_table": False, "best_grade": "良好",
                                             "conditions": [{"indicator": "y", "at_least": 60}]}})
    r = simkit.evaluate(sc, make_data(ADJ), 2018)
    u = by_unit(r)
    # y values: A 100 ≥ 60, B 60 ≥ 60 (inclusive), C 79 ≥ 60, D 12 < 60
    assert u.loc[["A", "B", "C", "D"], "vetoed"].tolist() == [True, True, True, False]
    # the reason names the indicator, its value and the threshold (in words for people in results.csv)
    assert u.loc["A", "veto_reason"] == "y 100 ≥ 60" and u.loc["B", "veto_reason"] == "y 60 ≥ 60"
    from simkit.present.tables import results_table

    shown = results_table(r).set_index("unit")
    assert shown.loc["A", "veto_reason"] == "指标y 100 ≥ 阈值 60，一票否决" and shown.loc["D", "veto_reason"] == ""
    # scores with the bonus/deduction table still on: A 112, B 89, C 63, D 68
    # G1: 较差 → C; 优秀: A and B are vetoed → no candidate; 良好 (≥ 80): A, B
    assert u.loc[["A", "B", "C", "D"], "grade"].tolist() == ["良好", "良好", "较差", "优秀"]


def test_veto_conditions_at_most():
    sc = make_scenario(adjustments={"use_table": False, "veto": {
        "use_table": False, "grade": "较差", "conditions": [{"indicator": "x", "at_most": 29.7}]}})
    u = by_unit(simkit.evaluate(sc, make_data(ADJ), 2018))
    # x values: A 33, B 29.7 ≤ 29.7 (inclusive), C 11 ≤ 29.7, D 44
    assert u.loc[["A", "B", "C", "D"], "vetoed"].tolist() == [False, True, True, False]
    # scores 112, 94, 60, 88; G1: 较差 → C; 优秀 → A; B forced to 较差
    assert u.loc[["A", "B", "C", "D"], "grade"].tolist() == ["优秀", "较差", "较差", "优秀"]


# ========================================================================================= other checks
def test_relative_weights_equal():
    sc = make_scenario(weights={"mode": "relative"})
    u = by_unit(simkit.evaluate(sc, make_data(), 2018))
    # equal weights 1/2: A (1.2 + 1)/2·100 = 110; B (0.9 + 1)/2 = 95; C 50; D 90
    assert u.loc[["A", "B", "C", "D"], "score"].tolist() == pytest.approx([110.0, 95.0, 50.0, 90.0])


def test_missing_value_renormalises_over_present_indicators():
    y = dict(Y, B=[1, 2, 3, ""])  # B's 2018 y is missing
    r = simkit.evaluate(make_scenario(aggregation={"missing": "renormalise"}), make_data(y=y), 2018)
    u = by_unit(r)
    # B has only x: share 0.9 over the full 100 → 90
    assert u.loc["B", "score"] == pytest.approx(90.0)
    row = cell(r, "B", "y")
    assert np.isnan(row["value"]) and np.isnan(row["share"])
    assert row["weight"] == pytest.approx(0.0)  # its weight went to x
    assert cell(r, "B", "x")["points"] == pytest.approx(90.0)  # effective weight 1 × 0.9 × 100


def test_missing_value_counts_zero():
    y = dict(Y, B=[1, 2, 3, ""])
    sc = make_scenario(aggregation={"missing": "zero"})
    u = by_unit(simkit.evaluate(sc, make_data(y=y), 2018))
    assert u.loc["B", "score"] == pytest.approx(54.0)  # 60·0.9 + 40·0


def test_tied_totals_share_a_rank():
    x = dict(X, B=[30, 30, 30, 33 * 1.5])  # B: 49.5/33 = 1.5 → cap 1.2 → B total 112 like A
    r = simkit.evaluate(make_scenario(), make_data(x=x), 2018)
    u = by_unit(r)
    assert u.loc["A", "score"] == pytest.approx(112.0)
    assert u.loc["B", "score"] == pytest.approx(112.0)
    assert u.loc[["A", "B", "C"], "rank"].tolist() == [1, 1, 3]
    # 优秀 count 1 with the tie at the edge under `share`: both A and B
    assert u.loc[["A", "B", "C"], "grade"].tolist() == ["优秀", "优秀", "较差"]


def test_missing_assigned_target_is_an_error():
    data = make_data()
    data = build_dataset({
        "units": data.units.astype(str), "indicators": data.indicators.astype(object).fillna("").astype(str),
        "observations": data.observations.astype(str),
        "targets": data.targets[data.targets["unit"] != "C"].astype(str),
    })
    with pytest.raises(EvaluationError, match="no assigned target"):
        simkit.evaluate(make_scenario(), data, 2018)


def test_baseline_needs_earlier_years():
    with pytest.raises(EvaluationError, match="baseline target"):
        simkit.evaluate(make_scenario(), make_data(), 2017)  # 2017 has only 2 earlier years


def test_target_rule_none_with_completion_is_a_scenario_error():
    sc = make_scenario(indicators={"x": {"scoring": {"rule": "completion"}}})
    with pytest.raises(ScenarioError, match="compares with a target"):
        simkit.evaluate(sc, make_data(), 2018)


def test_unknown_year():
    with pytest.raises(EvaluationError, match="no observations for 2030"):
        simkit.evaluate(make_scenario(), make_data(), 2030)


def test_growth_from_zero_base_is_an_error_naming_the_cell():
    x = dict(X, C=[5, 10, 0, 11])  # C's 2018 growth is from a base of 0
    sc = make_scenario(indicators={"x": {"measures": {"growth": 1}, "target": {"rule": "uniform", "value": 0.1},
                                         "scoring": {"rule": "completion", "cap": 1.2}}})
    message = r"unit 'C'.*indicator 'x': growth is measured from a zero or negative base, 2017 = 0"
    with pytest.raises(EvaluationError, match=message):
        simkit.evaluate(sc, make_data(x=x), 2018)
    missing = make_scenario(indicators={"x": {"measures": {"growth": 1}, "target": {"rule": "uniform", "value": 0.1},
                                              "scoring": {"rule": "completion", "cap": 1.2},
                                              "nonpositive_base": "missing"}})
    r = simkit.evaluate(missing, make_data(x=x), 2018)
    # under the default missing-data policy (zero) the cell without a result earns no points, and says so
    row = cell(r, "C", "x")
    assert row["share"] == 0.0 and row["points"] == 0.0 and row["filled_by"] == "zero"
    assert np.isnan(row["measured"])
    # A: growth 33/30 − 1 = 0.1 → 0.1/0.1 = 1 → 60 + 40 = 100
    assert by_unit(r).loc["A", "score"] == pytest.approx(100.0)
    # under renormalise (COINr's convention) the cell stays empty and its weight goes to the others
    renorm = make_scenario(aggregation={"missing": "renormalise"}, indicators={"x": {
        "measures": {"growth": 1}, "target": {"rule": "uniform", "value": 0.1},
        "scoring": {"rule": "completion", "cap": 1.2}, "nonpositive_base": "missing"}})
    r = simkit.evaluate(renorm, make_data(x=x), 2018)
    assert np.isnan(cell(r, "C", "x")["share"]) and cell(r, "C", "x")["filled_by"] == "renormalise"
    assert by_unit(r).loc["C", "missing"] == 1  # counted among the unit's gaps


def test_zero_base_after_the_evaluation_year_is_not_an_error():
    # growth of x measured; baseline of 3 years with min_years=1, evaluated in 2017 (t = 2).
    # It reads growth in 2016 (30/20 − 1 = 0.5) for the target and 2017 for the value.  C's zero is in 2017,
    # the base of 2018's growth, which this evaluation never uses.
    # C's 2017 = 0: 2017's growth is −1 (fine), 2018's is from a 0 base (not used)
    x = {"A": [10, 20, 30, 33], "B": [20, 30, 45, 50], "C": [5, 10, 0, 11], "D": [40, 50, 60, 44]}
    sc = make_scenario(indicators={
        "x": {"measures": {"growth": 1}, "target": {"rule": "baseline", "years": 3, "min_years": 1},
              "scoring": {"rule": "completion", "cap": 1.2}},
        "y": {"target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
    })
    r = simkit.evaluate(sc, make_data(x=x), 2017)
    # C: growth 2016 = 10/5 − 1 = 1 → target 1; growth 2017 = 0/10 − 1 = −1 → completion 1 + (−1 − 1)/1 = −1
    # → floor 0
    assert cell(r, "C", "x")["share"] == pytest.approx(0.0)


def test_evaluate_takes_a_shipped_name_a_file_and_a_data_folder(reform, data):
    """What a new user types first: names and paths, not objects; the same numbers as the objects give."""
    from simkit.io.dataset import BUNDLED

    by_object = simkit.evaluate(reform, data).units
    by_name = simkit.evaluate("yiyang_2018_reform", BUNDLED).units
    pd.testing.assert_frame_equal(by_object, by_name)
    assert list(simkit.evaluate_history("legacy_totals")) == list(simkit.evaluate_history(
        simkit.load_scenario("legacy_totals")))
