"""Rules per family and per group (``scenario.groups``, 分类考核) on a hand-computed example.

Units A, B, C in group G1 and D, E, F in group G2; every leaf is scored against the group's best
(``leader``: share = value / the group's largest).  The scenario: x 60 points, y 40.  Group G2 has its own
weights (x 30, y 40 and its own indicator z 30, a 个性指标 the G1 units do not have) and scores y by min-max.

    x   A 10  B 20  C 40 | D 10  E 30  F 50
    y   A  5  B 10  C 10 | D  2  E  4  F  8
    z                    | D  9  E  6  F  3

    G1 (the scenario's rules):  A 60·10/40 + 40·5/10 = 15 + 20 = 35;  B 30 + 40 = 70;  C 60 + 40 = 100
    G2 (its own):  x 30·v/50, y 40·(v − 2)/(8 − 2), z 30·v/9
        D 6 + 0 + 30 = 36;  E 18 + 13.33 + 20 = 51.33;  F 30 + 40 + 10 = 80
"""

from __future__ import annotations

import pandas as pd
import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

X = {"A": 10, "B": 20, "C": 40, "D": 10, "E": 30, "F": 50}
Y = {"A": 5, "B": 10, "C": 10, "D": 2, "E": 4, "F": 8}
Z = {"D": 9, "E": 6, "F": 3}


def table(rows: list[list[object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data() -> simkit.Dataset:
    units = table([[u, "单位" + u, "G1" if u in "ABC" else "G2"] for u in X], ["unit", "name", "group"])
    ind = table([["x", "共性指标x", "1"], ["y", "共性指标y", "1"], ["z", "个性指标z", "1"]],
                ["indicator", "name", "direction"])
    obs = [[u, i, 2018, v] for i, vals in (("x", X), ("y", Y), ("z", Z)) for u, v in vals.items()]
    return build_dataset({"units": units, "indicators": ind,
                          "observations": table(obs, ["unit", "indicator", "year", "value"])})


G2 = {"weights": {"x": 30, "y": 40, "z": 30}, "own": ["z"], "indicators": {"y": {"scoring": {"rule": "minmax"}}}}


def make_scenario(groups: dict | None = None) -> simkit.Scenario:
    return scenario_from_dict({
        "name": "groups-test", "total": 100, "weights": {"mode": "points", "values": {"x": 60, "y": 40}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "leader"}},
        "groups": {"G2": G2} if groups is None else groups,
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share", "grades": [{"name": "优秀", "count": 1}, {"name": "一般"}]},
    })


@pytest.fixture(scope="module")
def result() -> simkit.Result:
    return simkit.evaluate(make_scenario(), make_data(), 2018)


def points(result: simkit.Result) -> dict[tuple[str, str], float]:
    ind = result.indicators
    return {(u, i): p for u, i, p in zip(ind["unit"], ind["indicator"], ind["points"], strict=True)}


def test_the_groups_own_weights_and_rules(result):
    u = result.units.set_index("unit")
    assert u.loc[list("ABCDEF"), "score"].tolist() == pytest.approx([35, 70, 100, 36, 51 + 1 / 3, 80])
    p = points(result)
    assert [p[("E", i)] for i in "xyz"] == pytest.approx([18.0, 40 / 3, 20.0])  # 30·30/50, 40·(4−2)/6, 30·6/9
    assert [p[("D", i)] for i in "xyz"] == pytest.approx([6.0, 0.0, 30.0])
    assert [p[("A", i)] for i in "xy"] == pytest.approx([15.0, 20.0])  # the scenario's: 60·10/40, 40·5/10


def test_weights_per_unit(result):
    ind = result.indicators.set_index(["unit", "indicator"])
    assert ind.loc[("A", "x"), "weight"] == 60 and ind.loc[("A", "y"), "weight"] == 40
    assert [ind.loc[("F", i), "weight"] for i in "xyz"] == [30, 40, 30]


def test_the_own_indicator_applies_only_to_its_group(result):
    ind = result.indicators
    assert set(ind.loc[ind["indicator"] == "z", "unit"]) == {"D", "E", "F"}
    assert result.units.set_index("unit").loc[list("ABC"), "score_z"].isna().all()


def test_each_cell_of_the_indicator_table_names_its_groups_rule(result):
    """G2's y is scored by minmax (its own rule), G1's by the scenario's leader; z applies to G2 only
    (``groups.rule_table``: one rule index per unit and leaf, read per cell without a loop over units)."""
    from simkit.engine.groups import rule_table

    ind = result.indicators.set_index(["unit", "indicator"])
    assert ind.loc[("A", "y"), "scoring"] == "leader" and ind.loc[("E", "y"), "scoring"] == "minmax"
    assert ind.loc[("D", "z"), "scoring"] == "leader" and ("A", "z") not in ind.index
    assert set(ind["measure"]) == {"level"} and set(ind["target_rule"]) == {"none"}
    rules, codes = rule_table(result.plan)
    g2 = result.plan.data.units["group"].to_numpy() == "G2"
    y = result.plan.tree.leaves.index("y")
    assert {rules[k].scoring.rule for k in codes[g2, y]} == {"minmax"}
    assert {rules[k].scoring.rule for k in codes[~g2, y]} == {"leader"}


def test_a_group_may_leave_an_indicator_out():
    # G2 leaves y out: its units are scored on x 30·v/50 and z 70·v/9 (points re-given to add up to 100)
    g2 = {"weights": {"x": 30, "z": 70}, "own": ["z"], "exclude": ["y"]}
    r = simkit.evaluate(make_scenario({"G2": g2}), make_data(), 2018)
    u = r.units.set_index("unit")
    assert u.loc[list("DEF"), "score"].tolist() == pytest.approx([6 + 70, 18 + 70 * 6 / 9, 30 + 70 * 3 / 9])
    assert u.loc[list("ABC"), "score"].tolist() == pytest.approx([35, 70, 100])
    assert set(r.indicators.loc[r.indicators["unit"] == "D", "indicator"]) == {"x", "z"}


def test_a_groups_points_must_add_up():
    with pytest.raises(ScenarioError) as info:
        simkit.evaluate(make_scenario({"G2": {**G2, "weights": {"x": 30, "y": 40, "z": 20}}}), make_data(), 2018)
    assert "groups.G2" in str(info.value) and "90" in str(info.value)


@pytest.mark.parametrize(("part", "entry", "field"), [
    ("weights", {"weights": {"x": 30, "w": 70}}, "groups.G2.weights.w"),
    ("indicators", {"indicators": {"w": {"scoring": {"rule": "minmax"}}}}, "groups.G2.indicators.w"),
    ("own", {"own": ["w"]}, "groups.G2.own.w"),
    ("exclude", {"exclude": ["w"]}, "groups.G2.exclude.w"),
])
def test_an_override_naming_an_unknown_node_is_an_error_naming_the_field(part, entry, field):
    with pytest.raises(ScenarioError) as info:
        simkit.evaluate(make_scenario({"G2": entry}), make_data(), 2018)
    text = str(info.value)
    assert field in text and "'w'" in text and "Fix:" in text


def test_an_entry_naming_no_group_is_an_error_naming_the_field():
    with pytest.raises(ScenarioError) as info:
        simkit.evaluate(make_scenario({"G3": G2}), make_data(), 2018)
    assert "groups.G3" in str(info.value) and "G1, G2" in str(info.value)
