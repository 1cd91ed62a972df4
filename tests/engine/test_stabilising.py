"""The stabilising options through the engine (issue 11, item 2): the smoothed score over the years a history
evaluates and over earlier years a single evaluation reads, the tolerance band in grading, the ladder's
threshold; and the defaults giving exactly today's results.

One indicator with a uniform target of 100 scored by completion (cap 10): a unit's total is its value.  Every
expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

YEARS = (2014, 2015, 2016, 2017)


def dataset(values: dict[str, list[float]], groups: dict[str, str] | None = None, years=YEARS,
            twice: bool = False) -> simkit.Dataset:
    """One indicator x; ``twice``: a second one, y, with the same values (a NaN in ``values`` then leaves out
    y only, so the unit still reports x that year and the total is the mean of the two: the value)."""
    units = pd.DataFrame([[u, f"单位{u}", (groups or {}).get(u, "G")] for u in values],
                         columns=["unit", "name", "group"])
    inds = ["x", "y"] if twice else ["x"]
    indicators = pd.DataFrame([[i, f"指标{i}", "", "1"] for i in inds],
                              columns=["indicator", "name", "parent", "direction"])
    rows = []
    for u, vs in values.items():
        for y, v in zip(years, vs, strict=True):
            if v == v:
                rows += [[u, i, str(y), repr(float(v))] for i in inds]
            elif twice:
                rows.append([u, "x", str(y), "50.0"])
    obs = pd.DataFrame(rows, columns=["unit", "indicator", "year", "value"])
    return build_dataset({"units": units, "indicators": indicators, "observations": obs})


def scenario(ranking=None, grading=None, accountability=None, **extra) -> simkit.Scenario:
    doc = {
        "name": "stable", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "uniform", "value": 100},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 10}},
        "ranking": ranking or {},
        "grading": {"grades": [{"name": "优秀", "count": 1}, {"name": "一般"},
                               {"name": "较差", "count": 1, "from": "bottom"}], **(grading or {})},
        "consequences": {"accountability": accountability or {}},
    }
    doc.update(extra)
    return scenario_from_dict(doc)


def column(history: dict, unit: str, col: str) -> list:
    return [r.units.set_index("unit").at[unit, col] for r in history.values()]


# ================================================================================= smoothed score
def test_smoothed_score_ranks_and_grades_the_own_total_stays():
    #          2014 2015 2016 2017
    data = dataset({"A": [90, 60, 90, 60], "B": [70, 80, 70, 80], "C": [50, 50, 50, 50]})
    history = simkit.evaluate_history(scenario(ranking={"smooth_years": 2}), data)
    # A: 90 | (90+60)/2 = 75 | 75 | 75;  B: 70 | 75 | 75 | 75;  C: 50 every year
    assert column(history, "A", "score_smoothed") == pytest.approx([90, 75, 75, 75])
    assert column(history, "B", "score_smoothed") == pytest.approx([70, 75, 75, 75])
    assert column(history, "A", "score") == pytest.approx([90, 60, 90, 60])  # the own total is reported
    # 2015: A and B tie on 75 (rank 1 each, min); 优秀 count 1 with ties: share → both 优秀; C last → 较差
    u = history[2015].units.set_index("unit")
    assert u["rank"].to_dict() == {"A": 1, "B": 1, "C": 3}
    assert u["grade"].to_dict() == {"A": "优秀", "B": "优秀", "C": "较差"}
    # without smoothing 2015 ranks B (80) above A (60)
    plain = simkit.evaluate_history(scenario(), data)[2015].units.set_index("unit")
    assert plain["rank"].to_dict() == {"B": 1, "A": 2, "C": 3} and "score_smoothed" not in plain


def test_smoothing_with_fewer_years_at_the_start_and_a_year_without_a_total():
    # smooth over 3 years; B does not report y in 2015 (policy exclude: no total that year, left out of the mean)
    data = dataset({"A": [60, 60, 60, 60], "B": [90, np.nan, 30, 60], "C": [10, 10, 10, 10]}, twice=True)
    sc = scenario(ranking={"smooth_years": 3}, missing={"policy": "exclude"})
    history = simkit.evaluate_history(sc, data)
    b = column(history, "B", "score_smoothed")
    # 2014: 90 (the data start there); 2015: no total → no smoothed score; 2016: (90 + 30)/2 = 60 (2015 left
    # out); 2017: (30 + 60)/2 = 45 (2014 out of the window, 2015 without a total)
    assert b[0] == pytest.approx(90) and np.isnan(b[1]) and b[2:] == pytest.approx([60, 45])
    u = history[2016].units.set_index("unit")
    assert u.at["A", "rank"] == 1 and u.at["B", "rank"] == 1  # 60 and 60: tied


def test_single_evaluation_reads_the_earlier_years():
    # no look-back consequences: evaluate() runs 2017 alone, and the smoothing evaluates 2015 and 2016 for it
    data = dataset({"A": [90, 60, 90, 60], "B": [70, 80, 70, 80], "C": [50, 50, 50, 50]})
    sc = scenario(ranking={"smooth_years": 3}, consequences={})
    r = simkit.evaluate(sc, data)
    assert list(r.history) == [2017]
    u = r.units.set_index("unit")
    # A: (60 + 90 + 60)/3 = 70; B: (80 + 70 + 80)/3 = 76.67 → B first
    assert u.at["A", "score_smoothed"] == pytest.approx(70) and u.at["B", "score_smoothed"] == pytest.approx(230 / 3)
    assert u["rank"].to_dict() == {"B": 1, "A": 2, "C": 3}


def test_smoothing_in_a_group_of_one():
    data = dataset({"A": [80, 60, 40, 20], "B": [50, 50, 50, 50], "S": [10, 30, 50, 70]}, groups={"S": "H"})
    r = simkit.evaluate_history(scenario(ranking={"smooth_years": 2}), data)[2017]
    u = r.units.set_index("unit")
    # S alone in H: (50 + 70)/2 = 60, rank 1 of 1: the 优秀 count of 1 (a bottom quota never takes the only unit)
    assert u.at["S", "score_smoothed"] == pytest.approx(60) and u.at["S", "rank"] == 1
    assert u.at["S", "grade"] == "优秀"
    # G: A (40+20)/2 = 30, B 50 → B 优秀, A 较差
    assert u.at["B", "grade"] == "优秀" and u.at["A", "grade"] == "较差"


# ================================================================================= tolerance band
def test_tie_margin_in_grading():
    data = dataset({"A": [90] * 4, "B": [89.4] * 4, "C": [70] * 4, "D": [60.5] * 4, "E": [60] * 4})
    plain = simkit.evaluate(scenario(consequences={}), data).units.set_index("unit")
    band = simkit.evaluate(scenario(grading={"tie_margin": 1}, consequences={}), data).units.set_index("unit")
    assert plain["grade"].to_dict() == {"A": "优秀", "B": "一般", "C": "一般", "D": "一般", "E": "较差"}
    # 90 − 89.4 = 0.6 < 1: A and B tied for grading → both 优秀 (ties: share); 60.5 − 60 = 0.5 < 1: D and E tied
    # at the bottom quota's edge → both spared
    assert band["grade"].to_dict() == {"A": "优秀", "B": "优秀", "C": "一般", "D": "一般", "E": "一般"}
    assert band["rank"].to_dict() == plain["rank"].to_dict()  # the ranks are the ranking's own
    exclude = simkit.evaluate(scenario(grading={"tie_margin": 1, "ties": "exclude"}, consequences={}),
                              data).units.set_index("unit")
    assert exclude.at["A", "grade"] == "一般" and exclude.at["B", "grade"] == "一般"  # the tie rule decides


# ================================================================================= ladder threshold
def test_margin_threshold_on_the_ladder():
    # D last every year: 2 points below C in 2014 and 2015, 0.5 below in 2016, 3 below in 2017
    data = dataset({"A": [90] * 4, "B": [80] * 4, "C": [70] * 4, "D": [68, 68, 69.5, 67]})
    history = simkit.evaluate_history(scenario(accountability={"require": {"margin": 1.5}}), data)
    assert column(history, "D", "bottom_years") == [1, 2, 3, 4]  # still consecutive bottom years
    # counts 2014, 2015 (2 ≥ 1.5), not 2016 (0.5), 2017 again from the first step
    assert column(history, "D", "accountability") == ["约谈", "诫勉谈话", "", "约谈"]


def test_in_last_threshold_on_the_ladder():
    # D last in 2014, 2015 and 2017; in 2016 C is last
    data = dataset({"A": [90] * 4, "B": [80] * 4, "C": [70, 70, 60, 70], "D": [68, 68, 69, 68]})
    history = simkit.evaluate_history(scenario(accountability={"require": {"in_last": {"m": 2, "n": 3}}}), data)
    # D: 2014 1 of 1 → no; 2015 2 of 2 → 约谈; 2016 not bottom; 2017 2015 + 2017 = 2 of 3 → 约谈 (run restarted)
    assert column(history, "D", "accountability") == ["", "约谈", "", "约谈"]
    # C: bottom in 2016 only: 1 of 3 → never
    assert column(history, "C", "accountability") == ["", "", "", ""]
    text = simkit.explain(history[2016], "C").zh
    assert "问责门槛" in text and "未达问责门槛" in text


def test_explain_states_the_options():
    data = dataset({"A": [90, 60, 90, 60], "B": [70, 80, 70, 80], "C": [50, 50, 50, 50]})
    sc = scenario(ranking={"smooth_years": 2}, grading={"tie_margin": 1})
    e = simkit.explain(simkit.evaluate(sc, data), "A")
    assert "近2年总分的平均值75.00分" in e.zh and "容差带" in e.zh and "tied for grading" in e.en
    assert "mean of its totals over the last 2 years, 75.00" in e.en


# ================================================================================= defaults
@pytest.mark.parametrize("name", ["yiyang_2018_reform", "legacy_totals"])
def test_defaults_written_out_give_todays_results(name):
    """Writing the options at their defaults changes nothing (the parity dump checks the shipped scenarios
    against a saved run of the code before them)."""
    data = simkit.load_data()
    sc = simkit.load_scenario(name)
    doc = sc.to_dict()
    doc["ranking"] = {**doc.get("ranking", {}), "smooth_years": 1}
    doc["grading"] = {**doc.get("grading", {}), "tie_margin": 0}
    explicit = scenario_from_dict(doc)
    a = simkit.evaluate_history(sc, data)
    b = simkit.evaluate_history(explicit, data)
    for y in a:
        pd.testing.assert_frame_equal(a[y].units, b[y].units)
        assert "score_smoothed" not in a[y].units


def test_smoothing_of_one_year_equals_no_smoothing_in_a_monte_carlo_path():
    """The tenure simulation's path (projected years after the data) with the smoothing reads the observed
    years before; with k = 1 the batch is as before."""
    from simkit.analysis.risk.tenure import tenure_accountability

    sc = simkit.load_scenario("yiyang_2018_reform")
    doc = sc.to_dict()
    doc["ranking"] = {**doc.get("ranking", {}), "smooth_years": 1}
    a = tenure_accountability(sc, tenure=2, paths=8, seed=3)
    b = tenure_accountability(scenario_from_dict(doc), tenure=2, paths=8, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_projection_smooths_over_the_last_observed_years():
    """A projection's first years average the last observed totals with the projected ones (the start's
    ``scores``): under reform_stable (3 years) the first projected year ranks on (2017 + 2018 + its own)/3."""
    from simkit.analysis.dynamics.project import project
    from simkit.rules.ranking import group_rank

    sc, data = simkit.load_scenario("reform_stable"), simkit.load_data()
    history = simkit.evaluate_history(sc, data)
    obs = [history[y].units.set_index("unit").reindex(list(data.unit_ids))["score"].to_numpy() for y in (2017, 2018)]
    p = project(sc, data, years=2, paths=3, seed=1)
    first = (obs[0] + obs[1] + p.score[:, 0]) / 3
    second = (obs[1] + p.score[:, 0] + p.score[:, 1]) / 3
    for y, mean in enumerate((first, second)):
        assert np.array_equal(p.rank[:, y], group_rank(mean, p.plan.group_codes, "min", decimals=6))
