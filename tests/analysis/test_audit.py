"""The manipulability audit (红队测试): hand-computed moves on tiny data sets, the issue's check on the bundled
data, the fast path against the whole engine, determinism, inputs left untouched."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.analysis.audit import audit
from simkit.io.validate import build_dataset
from simkit.present.risk import best_table, index_table, move_text, moves_csv

GRADES = [{"name": "A", "name_en": "top", "count": 1}, {"name": "B", "name_en": "middle", "count": 1},
          {"name": "C", "name_en": "bottom"}]
BONUS = {"factors": {"A": 0.2, "B": 0.1, "C": -0.2}, "amount": 10_000, "base_attribute": None, "per_head": False,
         "pool": None}


def tables(units: list[tuple[str, str]], values: dict[tuple[str, str, int], float],
           indicators: tuple[str, ...] = ("x",)) -> simkit.Dataset:
    """Units (id, group) in one track; one row per (unit, indicator, year) value."""
    u = pd.DataFrame([[i, f"单位{i}", g] for i, g in units], columns=["unit", "name", "group"])
    ind = pd.DataFrame([[k, f"指标{k}", "1"] for k in indicators], columns=["indicator", "name", "direction"])
    obs = pd.DataFrame([[i, k, str(y), repr(v)] for (i, k, y), v in values.items()],
                       columns=["unit", "indicator", "year", "value"])
    return build_dataset({"units": u, "indicators": ind, "observations": obs})


# ---------------------------------------------------------------------------------------------------------- hold back
def baseline_three() -> simkit.Dataset:
    """A, B, C reported 100 in 2015–2017; in 2018 A 120, B 107, C 105 (against a 3-year baseline of 100)."""
    last = {"A": 120.0, "B": 107.0, "C": 105.0}
    return tables([(i, "G") for i in "ABC"],
                  {(i, "x", y): (100.0 if y < 2018 else last[i]) for i in "ABC" for y in range(2015, 2019)})


def baseline_scenario() -> simkit.Scenario:
    return simkit.Scenario.model_validate({
        "name": "基线目标", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "baseline", "years": 3},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
        "grading": {"grades": GRADES}, "consequences": {"bonus": BONUS}})


def test_holding_back_ten_percent_lowers_the_target_and_lifts_the_last_unit_to_second():
    a = audit(baseline_scenario(), baseline_three(), 2018)
    best = a.best.set_index("unit")
    c = best.loc["C"]
    # C: 105 against 100 → 105 points, last.  Holding back f of 2017 gives the target (200 + 100(1 − f)) / 3:
    # f = 5% → 98.33, 105 / 98.33 = 106.78 < B's 107; f = 10% → 96.67, 105 / 96.67 = 108.62 > 107: second.
    assert (c["kind"], c["indicator"], c["year_from"], c["fraction"], c["cost"]) == ("hold_back", "x", 2018 - 1, 0.1,
                                                                                    0.1)
    assert not c["misreport"]
    assert c["amount"] == pytest.approx(10.0)  # 10% of 2017's 100 given up
    assert c["score_before"] == pytest.approx(105.0) and c["score_after"] == pytest.approx(105 / (290 / 3) * 100)
    assert (c["rank_before"], c["rank_after"], c["grade_before"], c["grade_after"]) == (3, 2, "C", "B")
    assert c["rank_gain"] == 1 and c["grade_gain"] == 1
    assert c["gain_yuan"] == pytest.approx(11_000 - 8_000) and c["net_yuan"] == pytest.approx(3_000)
    assert c["others_worse"] == 1  # B is pushed to the bottom grade
    # A is first and capped, B cannot pass A's capped 120: neither has an improving move
    assert best.loc["A", "kind"] == "" and best.loc["B", "kind"] == ""
    tried = a.moves[(a.moves["unit"] == "C") & (a.moves["kind"] == "hold_back")].set_index("fraction")
    assert not tried.loc[[0.01, 0.02, 0.05], "improves"].any() and tried.loc[0.1, "improves"]
    # no shift (x is no amount), no other group, and withholding under `zero` scores nothing
    assert set(a.moves["kind"]) == {"withhold", "hold_back"}
    assert not a.moves.loc[a.moves["kind"] == "withhold", "improves"].any()
    # the index counts moves costing at most 5% of the unit's output: C's costs 10%
    assert a.index["index"] == 0.0 and a.index["manipulable"] == 0
    wider = audit(baseline_scenario(), baseline_three(), 2018, cost_cap=0.10)
    assert wider.index["index"] == pytest.approx(1 / 3) and wider.index["mean_gain_yuan"] == pytest.approx(1_000)
    assert wider.index["max_gain_yuan"] == pytest.approx(3_000) and wider.index["by_kind"]["hold_back"] == \
        pytest.approx(1 / 3)
    assert move_text(c, a) == "压低 2017年 指标x (x) 10%（放弃 10）：名次 3→2，C→B，奖金 +3,000 元"
    assert move_text(c, a, "en") == "hold back 10% of 指标x (x) in 2017 (10 given up): rank 3→2, bottom→middle, " \
        "bonus +3,000 yuan"


def test_the_cheapest_share_is_found_whether_or_not_every_move_is_tried():
    a = audit(baseline_scenario(), baseline_three(), 2018)
    b = audit(baseline_scenario(), baseline_three(), 2018, exhaustive=True, fast=False)
    keep = [c for c in a.best.columns if c not in ("moves_tried", "improving")]
    pd.testing.assert_frame_equal(a.best[keep], b.best[keep])
    assert len(b.moves) >= len(a.moves)


# ------------------------------------------------------------------------------------------------------- withholding
def two_indicators() -> simkit.Dataset:
    """2018 only: A (x 100, y 100), B (90, 90), C (95, 60); targets 100 for both."""
    v = {"A": (100.0, 100.0), "B": (90.0, 90.0), "C": (95.0, 60.0)}
    return tables([(i, "G") for i in "ABC"], {(i, k, 2018): v[i][j] for i in "ABC" for j, k in enumerate("xy")},
                  indicators=("x", "y"))


def uniform_scenario(policy: str) -> simkit.Scenario:
    return simkit.Scenario.model_validate({
        "name": "统一目标", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "uniform", "value": 100},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 1.0}},
        "missing": {"policy": policy}, "grading": {"grades": GRADES}, "consequences": {"bonus": BONUS}})


def test_withholding_a_weak_indicator_pays_under_renormalise_and_never_under_zero():
    # C: 0.5 × 0.95 + 0.5 × 0.60 = 77.5 points, last.  Not reporting y: under renormalise x carries all the
    # weight, 95 points, second (B 90); under zero y scores nothing, 47.5.
    data = two_indicators()
    a = audit(uniform_scenario("renormalise"), data)
    c = a.best.set_index("unit").loc["C"]
    assert (c["kind"], c["indicator"], c["cost"], c["misreport"]) == ("withhold", "y", 0.0, True)
    assert c["score_before"] == pytest.approx(77.5) and c["score_after"] == pytest.approx(95.0)
    assert (c["rank_after"], c["grade_after"], c["gain_yuan"]) == (2, "B", pytest.approx(3_000))
    assert a.index["index"] == pytest.approx(1 / 3) and a.index["by_kind"]["withhold"] == pytest.approx(1 / 3)
    z = audit(uniform_scenario("zero"), data)
    withheld = z.moves[z.moves["kind"] == "withhold"].set_index(["unit", "indicator"])
    assert withheld.loc[("C", "y"), "score_after"] == pytest.approx(47.5)
    assert not withheld["improves"].any() and z.index["index"] == 0.0
    assert (withheld["score_after"] <= withheld["score_before"]).all()


# -------------------------------------------------------------------------------------------------------- categories
def test_reporting_in_another_group_of_the_same_track_is_found():
    # G1: A 100, B 90 (B second, grade C as the rest); G2: C 80, D 70.  In G2, B would be first: grade A.
    v = {"A": 100.0, "B": 90.0, "C": 80.0, "D": 70.0}
    data = tables([("A", "G1"), ("B", "G1"), ("C", "G2"), ("D", "G2")], {(i, "x", 2018): x for i, x in v.items()})
    sc = simkit.Scenario.model_validate({
        "name": "两组", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "uniform", "value": 100},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 1.0}},
        "grading": {"grades": [GRADES[0], {"name": "C", "name_en": "rest"}]},
        "consequences": {"bonus": {**BONUS, "factors": {"A": 0.2, "C": -0.2}}}})
    a = audit(sc, data)
    best = a.best.set_index("unit")
    assert (best.loc["B", "kind"], best.loc["B", "to_group"], best.loc["B", "cost"]) == ("category", "G2", 0.0)
    assert (best.loc["B", "rank_after"], best.loc["B", "grade_after"]) == (1, "A")
    assert best.loc["B", "gain_yuan"] == pytest.approx(12_000 - 8_000) and best.loc["B", "others_worse"] == 1
    assert best.loc["D", "kind"] == "" and best.loc["A", "kind"] == "" and best.loc["C", "kind"] == ""
    cat = a.moves[a.moves["kind"] == "category"].set_index("unit")
    assert set(cat.index) == {"A", "B", "C", "D"} and (cat["to_group"] != a.best.set_index("unit").loc[
        cat.index, "group"]).all()
    assert move_text(best.loc["B"], a) == "改在「G2」组考核：名次 2→1，C→A，奖金 +4,000 元"


# ---------------------------------------------------------------------------------------------------- bundled data
@pytest.fixture(scope="module")
def renormalised(reform, data):
    return audit(reform.override({"missing": {"policy": "renormalise"}}), data)


@pytest.fixture(scope="module")
def shipped(reform, data):
    return audit(reform, data)


def test_under_renormalise_withholding_lifts_ziyang_out_of_the_bottom_grade(renormalised):
    m = renormalised.moves
    zy = m[(m["unit"] == "ZY") & (m["kind"] == "withhold") & m["improves"]]
    assert (zy["grade_before"] == "较差").all() and (zy["grade_after"] != "较差").any()
    best = zy.sort_values("net_yuan", ascending=False).iloc[0]
    assert best["indicator"] == "tax_rev" and best["grade_after"] == "良好" and best["accountability_after"] == ""
    b = renormalised.best.set_index("unit").loc["ZY"]
    assert b["grade_before"] == "较差" and b["accountability_before"] == "约谈"
    assert b["grade_after"] == "良好" and b["cost"] == 0.0
    assert renormalised.index["by_kind"]["withhold"] > 0
    assert renormalised.settings["missing_policy"] == "renormalise"


def test_under_the_shipped_policy_no_unit_gains_by_withholding(shipped):
    assert shipped.settings["missing_policy"] == "zero"
    w = shipped.moves[shipped.moves["kind"] == "withhold"]
    assert len(w) > 500 and not w["improves"].any()
    assert (w["score_after"] <= w["score_before"] + 1e-9).all()
    assert shipped.index["by_kind"]["withhold"] == 0.0


def test_the_scheme_outcome_in_the_audit_is_the_evaluation(shipped, reform, data):
    r = simkit.evaluate(reform, data).units.set_index("unit")
    b = shipped.best.set_index("unit").loc[r.index]
    assert (b["rank_before"].astype(int) == r["rank"].astype(int)).all()
    assert (b["grade_before"] == r["grade"]).all() and (b["accountability_before"] == r["accountability"]).all()
    assert np.allclose(b["yuan_before"], r["payout"], atol=1.0)


def test_a_move_found_is_the_evaluation_of_the_changed_data(renormalised, reform, data):
    """ZY's withholding, redone by removing the observation and evaluating: the same outcome."""
    obs = data.observations
    gone = obs[~((obs["unit"] == "ZY") & (obs["indicator"] == "tax_rev") & (obs["year"] == 2018))]
    changed = simkit.Dataset(data.units, data.indicators, gone.reset_index(drop=True), data.targets,
                             data.adjustments, source=data.source, synthetic=True)
    r = simkit.evaluate(reform.override({"missing": {"policy": "renormalise"}}), changed).units.set_index("unit")
    m = renormalised.moves
    row = m[(m["unit"] == "ZY") & (m["kind"] == "withhold") & (m["indicator"] == "tax_rev")].iloc[0]
    assert row["score_after"] == pytest.approx(r.loc["ZY", "score"])
    assert (row["rank_after"], row["grade_after"]) == (r.loc["ZY", "rank"], r.loc["ZY", "grade"])
    assert row["yuan_after"] == pytest.approx(r.loc["ZY", "payout"], abs=1.0)


@pytest.mark.parametrize("name", ["yiyang_2018_reform", "legacy_totals"])
def test_the_fast_path_gives_what_the_whole_engine_gives(name, data):
    """Leaf scores spliced per unit (reform) or per group (legacy: shares of the group's leader)."""
    from simkit.analysis.audit.moves import _cell_leaves, _years_of, withhold
    from simkit.analysis.audit.scheme import blocks, scheme_of

    base = scheme_of(simkit.load_scenario(name), data, None)
    v = withhold(base)
    assert blocks(base.plan) == ("unit" if name == "yiyang_2018_reform" else "group")
    assert _cell_leaves(base, v, _years_of(base, v), 4_000_000, blocks(base.plan)) is not None  # the fast path runs
    kinds = ("withhold", "shift", "hold_back")
    fast = audit(name, data, kinds=kinds, fractions=(0.1,), exhaustive=True)
    slow = audit(name, data, kinds=kinds, fractions=(0.1,), exhaustive=True, fast=False)
    pd.testing.assert_frame_equal(fast.moves, slow.moves)
    pd.testing.assert_frame_equal(fast.best, slow.best)


def test_the_audit_is_deterministic_and_leaves_the_inputs_untouched(reform, data):
    def digest() -> str:
        h = hashlib.sha256(data.fingerprint().encode())
        for a in (data.cube, data.assigned):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    before, scenario = digest(), reform.fingerprint()
    a = audit(reform, data, chunk_cells=200_000)
    b = audit(reform, data)
    assert digest() == before and reform.fingerprint() == scenario
    pd.testing.assert_frame_equal(a.moves, b.moves)
    pd.testing.assert_frame_equal(a.best, b.best)
    assert a.index == b.index


def test_the_tables_for_people(shipped):
    zh, en = best_table(shipped), best_table(shipped, "en")
    assert list(zh.columns[:4]) == ["组别", "名次", "单位", "等次"] and list(en.columns[:4]) == ["Group", "Rank",
                                                                                             "Unit", "Grade"]
    assert len(zh) == len(shipped.best) and zh["最省力的有利操纵及结果"].str.len().min() > 0
    zy = zh[zh["单位"] == "资阳区"].iloc[0]
    assert "较差→良好" in zy["最省力的有利操纵及结果"] and "约谈→无" in zy["最省力的有利操纵及结果"]
    assert "Poor→Good" in en[en["Unit"] == "Ziyang District"].iloc[0]["Cheapest profitable move and its result"]
    idx = index_table(shipped)
    assert idx.iloc[2, 0] == "可操纵指数（占比）" and idx.iloc[2, 1] == f"{shipped.index['index']:.1%}"
    csv = moves_csv(shipped)
    assert {"move", "move_en", "data_note"} <= set(csv.columns) and len(csv) == len(shipped.moves)


def test_bad_settings_are_refused(reform, data):
    with pytest.raises(simkit.SimkitError, match="fractions"):
        audit(reform, data, fractions=(0.0,))
    with pytest.raises(simkit.SimkitError, match="kinds"):
        audit(reform, data, kinds=("bribe",))
