"""The cascade to people (``consequences.cascade``, 从考事到考人) on a hand-computed example.

Five units of one group ranked A > B > C > D > E on one indicator; grades 优秀 (1), 良好 (2), 一般, 较差 (last 1).
Headcounts A 10, B 23, C 17, D 40, E 8; each unit's bonus base is 1,000 yuan a head, floated by grade
(优秀 +20%, 良好 +10%, 一般 0, 较差 −10%).

Staff 优秀 slots (全员绩效考评), shares 优秀 0.20, 良好 0.15, 一般 0.12, 较差 0.08:

    exact share × heads:  A 2.0   B 3.45   C 2.55   D 4.8   E 0.64      (sum 13.44)
    floor (no city total):  2        3        2       4       0
    round (half up):        2        3        3       5       1
    city total 12: × 12/13.44 = A 1.7857 B 3.0804 C 2.2768 D 4.2857 E 0.5714
        floors 1 3 2 4 0 = 10; the 2 left go to the largest remainders, A (.79) and E (.57)  →  2 3 2 4 1 = 12

Team grades (领导班子等次): 优秀 → 好, 良好 → 较好, 一般 → 一般, 较差 → 较差; a vetoed unit's team at best 一般.

Per-head bonus (优秀 ×1.2, 称职 ×1.0) within the unit's bonus, in whole yuan (city total 12):

    A: 12,000 over 2 × 1.2 + 8 = 10.4 shares → a = 1,153.846; 优秀 1,384.615
       floors 2 × 1,384 + 8 × 1,153 = 11,992; 8 yuan left to the larger remainders (称职 .846 > 优秀 .615):
       8 称职 get 1,154  →  2 × 1,384 + 8 × 1,154 = 12,000
    B: 25,300 over 3 × 1.2 + 20 = 23.6 → a = 1,072.034; 优秀 1,286.441
       floors 3 × 1,286 + 20 × 1,072 = 25,298; 2 left to 优秀 (.441 > .034)  →  2 × 1,287 + 1,286 + 20 × 1,072
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.rules.cascade import staff_slots
from simkit.schema.cascade import StaffQuota

HEAD = {"A": 10, "B": 23, "C": 17, "D": 40, "E": 8}
VALUE = {"A": 50, "B": 40, "C": 30, "D": 20, "E": 10}
ORDER = list(HEAD)


def table(rows: list[list[object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data(veto: tuple[str, ...] = ()) -> simkit.Dataset:
    units = table([[u, "单位" + u, "G", h, 1000] for u, h in HEAD.items()],
                  ["unit", "name", "group", "headcount", "bonus_per_head"])
    ind = table([["x", "指标x", "1"]], ["indicator", "name", "direction"])
    obs = [[u, "x", 2018, v] for u, v in VALUE.items()]
    adj = [[u, 2018, "veto", "", "重大事故"] for u in veto]
    return build_dataset({"units": units, "indicators": ind,
                          "observations": table(obs, ["unit", "indicator", "year", "value"]),
                          "adjustments": table(adj, ["unit", "year", "kind", "value", "reason"])})


SHARES = {"优秀": 0.2, "良好": 0.15, "一般": 0.12, "较差": 0.08}
TEAM = {"mapping": {"优秀": "好", "良好": "较好", "一般": "一般", "较差": "较差"}, "vetoed": "一般"}


def make_scenario(staff: dict | None = None, **cascade) -> simkit.Scenario:
    casc = {"staff": {"shares": SHARES, "city_total": 12, **(staff or {})}, "team": TEAM,
            "leader": {"accountability": True, "eligible_team_grades": ["好", "较好"]},
            "per_head": {"excellent": 1.2, "other": 1.0}}
    casc.update(cascade)
    return scenario_from_dict({
        "name": "cascade-test", "total": 100, "weights": {"mode": "points", "values": {"x": 100}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "leader"}},
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share",
                    "grades": [{"name": "优秀", "count": 1}, {"name": "良好", "count": 2}, {"name": "一般"},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {"bonus": {"factors": {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.1},
                                   "base_attribute": "bonus_per_head"},
                         "accountability": {}, "cascade": casc},
    })


def by_unit(result: simkit.Result) -> pd.DataFrame:
    return result.units.set_index("unit").loc[ORDER]


@pytest.fixture(scope="module")
def result() -> simkit.Result:
    return simkit.evaluate(make_scenario(), make_data())


@pytest.fixture(scope="module")
def vetoed() -> simkit.Result:
    return simkit.evaluate(make_scenario(), make_data(veto=("B", "E")))


# ================================================================================ staff 优秀 slots
def test_slots_to_the_city_total_by_largest_remainder(result):
    u = by_unit(result)
    assert u["grade"].tolist() == ["优秀", "良好", "良好", "一般", "较差"]
    assert u["staff_excellent_slots"].tolist() == [2, 3, 2, 4, 1]
    assert u["staff_excellent_slots"].sum() == 12


@pytest.mark.parametrize(("rounding", "slots"), [("floor", [2, 3, 2, 4, 0]), ("round", [2, 3, 3, 5, 1])])
def test_slots_without_a_city_total(rounding, slots):
    r = simkit.evaluate(make_scenario({"city_total": None, "rounding": rounding}), make_data())
    assert by_unit(r)["staff_excellent_slots"].tolist() == slots


def test_a_vetoed_units_staff_share():
    # B vetoed with a share of 0.05: exact A 2, B 1.15, C 2.55, D 4.8, E 0.64 = 11.14; × 12/11.14 →
    # 2.154, 1.239, 2.747, 5.171, 0.689: floors 2 1 2 5 0 = 10, the 2 left to C (.747) and E (.689)
    r = simkit.evaluate(make_scenario({"vetoed": 0.05}), make_data(veto=("B",)))
    assert by_unit(r)["staff_excellent_slots"].tolist() == [2, 1, 3, 5, 1]


def test_equal_remainders_go_to_the_better_ranked_unit():
    quota = StaffQuota(shares={"优秀": 0.2}, city_total=3)
    # two units of 5 heads, both 优秀: exact 1 and 1, scaled to 1.5 and 1.5; the second unit ranks first
    out = staff_slots(quota, np.array([[0, 0]]), ("优秀",), np.array([5.0, 5.0]), np.zeros((1, 2), bool),
                      rank=np.array([[2.0, 1.0]]))
    assert out.tolist() == [[1, 2]]


def test_no_unit_gets_more_slots_than_its_staff():
    quota = StaffQuota(shares={"优秀": 0.5, "良好": 0.1}, city_total=12)
    # X (优秀, 4 heads) exact 2, Y (良好, 20 heads) exact 2; × 12/4 = 3 would give X 6 > 4 heads: X gets its 4
    # and the 8 left go to Y (2 × 8/2 = 8)
    out = staff_slots(quota, np.array([[0, 1]]), ("优秀", "良好"), np.array([4.0, 20.0]), np.zeros((1, 2), bool))
    assert out.tolist() == [[4, 8]]
    quota = StaffQuota(shares={"优秀": 0.5}, city_total=9)  # 3 heads and 9: ×1.5 → 2.25, 6.75 (both within)
    out = staff_slots(quota, np.array([[0, 0]]), ("优秀",), np.array([3.0, 9.0]), np.zeros((1, 2), bool))
    assert out.tolist() == [[2, 7]] and out.sum() == 9


# ================================================================================ team grade and leader
def test_team_grade_mapping(result):
    u = by_unit(result)
    assert u["team_grade"].tolist() == ["好", "较好", "较好", "一般", "较差"]
    assert u["team_grade_en"].tolist() == ["Good", "Fairly good", "Fairly good", "Fair", "Poor"]


def test_the_veto_caps_the_team_grade(vetoed):
    u = by_unit(vetoed)
    assert u.loc["B", "vetoed"] and u.loc["E", "vetoed"]
    assert u.loc["B", "grade"] == "良好"  # the unit's grade as graded (the scenario sets no veto grade) ...
    assert u.loc["B", "team_grade"] == "一般"  # ... its team's at best 一般
    assert u.loc["E", "team_grade"] == "较差"  # mapped worse than 一般: it keeps its grade
    assert u.loc[["A", "C", "D"], "team_grade"].tolist() == ["好", "较好", "一般"]


def test_the_leader_takes_the_units_accountability_step(result, vetoed):
    u = by_unit(result)
    assert u["accountability"].tolist() == ["", "", "", "", "约谈"]
    assert u["leader_accountability"].tolist() == u["accountability"].tolist()
    assert u["leader_accountability_en"].tolist() == ["", "", "", "", "interview"]
    assert u["leader_eligible"].tolist() == [True, True, True, False, False]  # team 好 or 较好 only
    assert by_unit(vetoed)["leader_eligible"].tolist() == [True, False, True, False, False]


def test_without_the_accountability_link_the_leader_has_no_step():
    r = simkit.evaluate(make_scenario(leader={"accountability": False}), make_data())
    assert by_unit(r)["leader_accountability"].tolist() == [""] * 5


def test_explain_states_the_cascade(vetoed):
    text = simkit.explain(vetoed, "B")
    assert "全员绩效考评优秀名额" in text.zh and "全市合计12个按最大余数分配" in text.zh
    assert "领导班子等次为一般（因一票否决，班子等次最高为一般）" in text.zh
    assert "不可评为优秀" in text.zh
    assert "Leadership team: Fair (after the veto, at best 一般)" in text.en


# ================================================================================ per-head bonuses
def test_per_head_amounts(result):
    u = by_unit(result)
    assert u["payout"].tolist() == [12_000, 25_300, 18_700, 40_000, 7_200]
    # A: 12,000 / (2 × 1.2 + 8) = 1,153.85 a head; 优秀 ×1.2 = 1,384.62
    assert u.loc["A", "per_head_other"] == pytest.approx(1153.85, abs=0.005)
    assert u.loc["A", "per_head_excellent"] == pytest.approx(1384.62, abs=0.005)
    assert u.loc["B", "per_head_other"] == pytest.approx(25_300 / 23.6, abs=0.005)


def test_per_head_bonuses_add_up_to_the_units_pool_to_the_yuan(result):
    staff = result.staff.set_index(["unit", "individual_grade"])
    assert staff.loc[("A", "优秀"), ["heads", "amount", "plus_one", "total"]].tolist() == [2, 1384, 0, 2768]
    assert staff.loc[("A", "称职"), ["heads", "amount", "plus_one", "total"]].tolist() == [8, 1153, 8, 9232]
    assert staff.loc[("B", "优秀"), ["heads", "amount", "plus_one", "total"]].tolist() == [3, 1286, 2, 3860]
    assert staff.loc[("B", "称职"), ["heads", "amount", "plus_one", "total"]].tolist() == [20, 1072, 0, 21440]
    paid = result.units.set_index("unit")["payout"]
    totals = result.staff.groupby("unit")["total"].sum()
    heads = result.staff.groupby("unit")["heads"].sum()
    for u in ORDER:
        assert totals[u] == paid[u], u
        assert heads[u] == HEAD[u], u


def test_per_head_under_a_pool_adds_up_to_the_yuan():
    sc = make_scenario()
    doc = sc.to_dict()
    doc["consequences"]["bonus"]["pool"] = 100_001  # a pool that is not a round sum of the bases
    r = simkit.evaluate(scenario_from_dict(doc), make_data(veto=("B",)))
    paid = r.units.set_index("unit")["payout"]
    assert paid.sum() == 100_001
    totals = r.staff.groupby("unit")["total"].sum()
    assert all(totals[u] == paid[u] for u in ORDER)


# ================================================================================ compare under a reform
def test_compare_reports_the_change_in_staff_slots_per_unit():
    c = simkit.compare("legacy_totals_cascade", "reform_cascade")
    ch = c.units.set_index("unit")
    assert {"staff_slots_base", "staff_slots_reform", "staff_slots_change"} <= set(ch.columns)
    assert ch["staff_slots_base"].sum() == 3000 and ch["staff_slots_reform"].sum() == 3000  # the city total
    assert (ch["staff_slots_change"] == ch["staff_slots_reform"] - ch["staff_slots_base"]).all()
    assert ch["staff_slots_change"].sum() == 0
    assert c.summary["units_gaining_staff_slots"] == int((ch["staff_slots_change"] > 0).sum()) > 0
    assert c.summary["units_losing_staff_slots"] == int((ch["staff_slots_change"] < 0).sum()) > 0


# ================================================================================ what the cascade needs
def test_per_head_without_a_bonus_is_an_error():
    doc = make_scenario().to_dict()
    doc["consequences"].pop("bonus")
    with pytest.raises(ScenarioError, match=r"cascade\.per_head"):
        scenario_from_dict(doc)


def test_the_leaders_link_without_an_accountability_ladder_is_an_error():
    doc = make_scenario().to_dict()
    doc["consequences"].pop("accountability")
    with pytest.raises(ScenarioError, match="accountability"):
        scenario_from_dict(doc)


def test_a_unit_grade_without_a_team_grade_is_an_error():
    with pytest.raises(ScenarioError, match="gives no team grade for 较差"):
        make_scenario(team={"mapping": {"优秀": "好", "良好": "较好", "一般": "一般"}})
