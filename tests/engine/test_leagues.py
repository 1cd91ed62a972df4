"""Two league tables in one scenario (``scenario.league_tables``, 双榜: 总量 and 增速) on a hand-computed example.

Four units of one group, indicators x and y, 2017 → 2018:

    x   A 100 → 110 (+10%)   B 50 → 60 (+20%)   C 200 → 204 (+2%)   D 80 → 92 (+15%)
    y   A 1 → 1              B 1 → 4            C 1 → 2             D 1 → 3

- the scenario's own evaluation: x 60 and y 40 points, each level against the best (x 204, y 4):
  A 32.35 + 10 = 42.35, B 17.65 + 40 = 57.65, C 60 + 20 = 80, D 27.06 + 30 = 57.06 → C 优秀.
- the totals table 经济强县 ranks on x alone (its node), the 2018 level against the best, 204:
  A 110/204 = 53.92, B 60/204 = 29.41, C 100, D 92/204 = 45.10 → C, A, D, B; its grade 强县 to the first.
- the growth table 先进县 on x alone, the growth rate by min-max, (g − 2)/(20 − 2):
  A 8/18 = 44.44, B 100, C 0, D 13/18 = 72.22 → B, D, A, C; 先进 to the first two, 4 award slots shared
  between them (2 each).
"""

from __future__ import annotations

import pandas as pd
import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

X = {"A": (100, 110), "B": (50, 60), "C": (200, 204), "D": (80, 92)}
Y = {"A": (1, 1), "B": (1, 4), "C": (1, 2), "D": (1, 3)}


def table(rows: list[list[object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data() -> simkit.Dataset:
    units = table([[u, "单位" + u, "G"] for u in X], ["unit", "name", "group"])
    ind = table([["x", "经济总量", "1"], ["y", "其他指标", "1"]], ["indicator", "name", "direction"])
    obs = [[u, i, yr, v] for i, vals in (("x", X), ("y", Y)) for u, vs in vals.items()
           for yr, v in zip((2017, 2018), vs, strict=True)]
    return build_dataset({"units": units, "indicators": ind,
                          "observations": table(obs, ["unit", "indicator", "year", "value"])})


TOTAL = {"id": "total", "name": "经济强县", "name_en": "Strongest economies", "nodes": ["x"],
         "measures": {"level": 1}, "scoring": {"rule": "leader"},
         "grading": {"grades": [{"name": "强县", "count": 1}, {"name": "其他"}]}}
GROWTH = {"id": "growth", "name": "先进县", "name_en": "Fastest-growing", "nodes": ["x"],
          "measures": {"growth": 1}, "scoring": {"rule": "minmax"},
          "grading": {"grades": [{"name": "先进", "count": 2}, {"name": "其他"}]},
          "awards": {"quota": 4, "weights": {"先进": 1.0}, "per_head": False}}


def make_scenario(tables: list[dict] | None = None, x_weight: float = 100) -> simkit.Scenario:
    values = {"x": x_weight, "y": 100 - x_weight}
    return scenario_from_dict({
        "name": "leagues-test", "total": 100, "weights": {"mode": "points", "values": values},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "leader"}},
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share", "grades": [{"name": "优秀", "count": 1}, {"name": "一般"}]},
        "league_tables": [TOTAL, GROWTH] if tables is None else tables,
    })


@pytest.fixture(scope="module")
def result() -> simkit.Result:
    return simkit.evaluate(make_scenario(x_weight=60), make_data(), 2018)


def test_both_tables_with_their_scores_ranks_and_grades(result):
    u = result.units.set_index("unit").loc[list("ABCD")]
    assert u["total_score"].tolist() == pytest.approx([110 / 2.04, 60 / 2.04, 100, 92 / 2.04])
    assert u["total_rank"].tolist() == [2, 4, 1, 3]
    assert u["total_grade"].tolist() == ["其他", "其他", "强县", "其他"]
    assert u["growth_score"].tolist() == pytest.approx([800 / 18, 100, 0, 1300 / 18])
    assert u["growth_rank"].tolist() == [3, 1, 4, 2]
    assert u["growth_grade"].tolist() == ["其他", "先进", "其他", "先进"]
    assert u["growth_award_slots"].tolist() == [0, 2, 0, 2]
    assert "total_award_slots" not in u.columns  # the totals table gives no slots


def test_the_main_evaluation_stays_the_scenarios(result):
    # the main evaluation: x 60 by the level against the best, y 40 by the 2018 level against the best (4)
    u = result.units.set_index("unit").loc[list("ABCD")]
    expected = [60 * 110 / 204 + 40 * 1 / 4, 60 * 60 / 204 + 40, 60 + 40 * 2 / 4, 60 * 92 / 204 + 40 * 3 / 4]
    assert u["score"].tolist() == pytest.approx(expected)
    assert u["score"].tolist() == pytest.approx([42.3529, 57.6471, 80.0, 57.0588], abs=1e-4)
    assert u["grade"].tolist() == ["一般", "一般", "优秀", "一般"]  # C first on the scenario's own rules


def test_each_table_is_a_result_of_its_own(result):
    assert list(result.leagues) == ["total", "growth"]
    growth = result.leagues["growth"].units.set_index("unit")
    assert growth.loc["B", "rank"] == 1 and growth.loc["B", "grade"] == "先进"
    ind = result.leagues["growth"].indicators
    assert set(ind["indicator"]) == {"x"}  # the table ranks on its nodes only
    a = ind.set_index("unit").loc["A"]
    assert a["measure"] == "growth" and a["measured"] == pytest.approx(0.1)  # 110 / 100 − 1
    assert a["value"] == 110 and a["previous"] == 100


def test_explain_names_both_tables(result):
    text = simkit.explain(result, "B")
    assert "经济强县榜：第4名（其他）" in text.zh and "先进县榜：第1名（先进），奖励名额2个" in text.zh
    assert "Strongest economies table: rank 4 (其他)" in text.en
    assert "Fastest-growing table: rank 1 (先进), 2 award slot(s)" in text.en


def test_compare_handles_the_tables():
    base = make_scenario([TOTAL, GROWTH])
    reform = make_scenario([TOTAL, {**GROWTH, "grading": {"grades": [{"name": "先进", "count": 1},
                                                                      {"name": "其他"}]}}])
    c = simkit.compare(base, reform, make_data(), 2018)
    assert c.summary["growth_units_changing_grade"] == 1  # D drops out of 先进
    assert c.summary["total_units_changing_grade"] == 0
    ch = c.units.set_index("unit")
    assert ch.loc["D", "growth_grade_base"] == "先进" and ch.loc["D", "growth_grade_reform"] == "其他"


def test_a_table_id_that_names_a_result_column_is_an_error():
    with pytest.raises(ScenarioError, match="would be confused with another column"):
        make_scenario([{**TOTAL, "id": "rank"}])


def test_a_table_ranks_only_units_the_scenario_evaluates():
    # the scenario leaves C out; the totals table names the whole group: it ranks A, B, D (D 92/110, B 60/110)
    doc = make_scenario([{**TOTAL, "units": ["G"]}], x_weight=60).to_dict()
    doc["scope"] = {"exclude": ["C"]}
    r = simkit.evaluate(scenario_from_dict(doc), make_data(), 2018)
    table = r.leagues["total"].units.set_index("unit")
    assert set(table.index) == {"A", "B", "D"}
    assert table.loc[["A", "D", "B"], "rank"].tolist() == [1, 2, 3]
    assert table.loc["D", "score"] == pytest.approx(100 * 92 / 110)
    assert r.units.set_index("unit").loc["A", "total_grade"] == "强县"
