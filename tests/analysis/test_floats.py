"""The float solver (simkit.analysis.floats) and the float table (simkit.present.tables.float_table), on a
hand-computed example and on the bundled data.

Example: A > B > C > D on one indicator, one unit per grade (优秀 A, 良好 B, 一般 C, 较差 D), bases 100, 200,
300, 400 yuan, stated floats +20% / +10% / 0 / −20%, pool nominal = 1,000.

Asked: 一般 keeps its base (r = 0), 优秀 gets exactly +20%.  Fixed: A 100·1.2 + C 300·1 = 420.  The others keep
their (1 + f) ratios 1.1 : 0.8 scaled by K: (200·1.1 + 400·0.8)·K = 540·K = 1000 − 420 = 580 → K = 29/27,
良好 1.1·29/27 − 1 = 0.181481…, 较差 0.8·29/27 − 1 = −0.140740….

With B vetoed (no_increase), B's payout is 200·min(1.1K, 1): 320·K + 200 = 580 → K = 1.1875, 较差 0.8·1.1875 − 1
= −0.05 (D paid 380), 良好 stated 1.1·1.1875 − 1 = 0.30625 but B is paid its base, 200.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import simkit
from simkit.analysis.floats import parse_request, solve_floats, solve_k
from simkit.cli import main
from simkit.errors import SimkitError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.present.tables import float_comparison, float_table

from ..conftest import SCENARIOS

REFORM = str(SCENARIOS / "yiyang_2018_reform.yaml")


def table(rows, cols):
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data(veto_b: bool = False) -> simkit.Dataset:
    units = table([[u, u, "G", b] for u, b in zip("ABCD", (100, 200, 300, 400), strict=True)],
                  ["unit", "name", "group", "base"])
    obs = [[u, "x", y, v + y - 2017] for u, v in zip("ABCD", (40, 30, 20, 10), strict=True) for y in (2017, 2018)]
    raw = {"units": units, "indicators": table([["x", "指标x", "1"]], ["indicator", "name", "direction"]),
           "observations": table(obs, ["unit", "indicator", "year", "value"])}
    if veto_b:
        raw["adjustments"] = table([["B", 2018, "veto", 0, "事故"]], ["unit", "year", "kind", "value", "reason"])
    return build_dataset(raw)


def make_scenario(pool="nominal") -> simkit.Scenario:
    bonus = {"by": "grade", "factors": {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2},
             "base_attribute": "base", "per_head": False, "pool": pool}
    if pool is None:
        bonus.pop("pool")
    return scenario_from_dict({
        "name": "floats-test", "weights": {"mode": "relative"},
        "grading": {"grades": [{"name": "优秀", "count": 1}, {"name": "良好", "count": 1}, {"name": "一般", "count": 1},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {"bonus": bonus},
    })


ASK = {"一般": 0.0, "优秀": 0.2}


def test_the_float_table_states_and_realises(data, reform):
    r = simkit.evaluate(make_scenario(), make_data(), 2018)
    t = float_table(r).set_index("grade")
    # stated payouts 120, 220, 300, 320 = 960 scaled to 1000 by 1000/960
    assert t["factor"].tolist() == [0.2, 0.1, 0.0, -0.2]
    assert t.loc["优秀", "realised_float"] == pytest.approx(t.loc["优秀", "paid"] / 100 - 1)
    assert t["paid"].sum() == 1000 and t["units"].tolist() == [1, 1, 1, 1]
    assert t.loc["优秀", "paid"] == 125  # 120·1000/960 = 125
    cmp = float_comparison(simkit.compare(simkit.load_scenario(SCENARIOS / "legacy_totals.yaml"), reform, data))
    assert {"factor_base", "factor_reform", "realised_float_base", "realised_float_reform"} <= set(cmp.columns)


def test_solver_hand_example():
    s = solve_floats(make_scenario(), make_data(), 2018, requested=ASK)
    k = 29 / 27
    assert s.k == pytest.approx(k)
    assert s.factors["良好"] == pytest.approx(1.1 * k - 1, abs=1e-10)
    assert s.factors["较差"] == pytest.approx(0.8 * k - 1, abs=1e-10)
    raw = s.after["payout"][0, -1]
    # stated factors are stored to 10 decimals, so payouts are exact to about 1e-11 of the base
    assert raw.tolist() == pytest.approx([120.0, 200 * 1.1 * k, 300.0, 400 * 0.8 * k], rel=1e-10)
    assert (s.check["error"] <= 1e-9).all()
    paid = s.after.units.set_index("unit")["payout"]
    assert paid.to_dict() == {"A": 120, "B": 236, "C": 300, "D": 344}  # largest remainder: .70 beats .30
    assert paid.sum() == 1000


def test_a_vetoed_unit_is_capped_at_its_base():
    s = solve_floats(make_scenario(), make_data(veto_b=True), 2018, requested=ASK)
    assert s.k == pytest.approx(1.1875)
    assert s.factors["较差"] == pytest.approx(-0.05) and s.factors["良好"] == pytest.approx(0.30625)
    raw = s.after["payout"][0, -1]
    assert raw.tolist() == pytest.approx([120.0, 200.0, 300.0, 380.0], rel=1e-10)
    assert s.order_broken == ("优秀 < 良好",)  # 良好's stated float is above 优秀's, to fill the pool


def test_a_vetoed_unit_in_a_requested_grade_is_named():
    s = solve_floats(make_scenario(), make_data(veto_b=True), 2018, requested={"良好": 0.5, "一般": 0.0})
    assert s.capped == ("B",)
    assert s.check.set_index("grade").loc["良好", "units"] == 0  # B is vetoed: checked units exclude it


def test_open_ended_bonus_sets_the_factors():
    s = solve_floats(make_scenario(pool=None), make_data(), 2018, requested={"优秀": 0.3})
    assert s.factors == {"优秀": 0.3, "良好": 0.1, "一般": 0.0, "较差": -0.2} and s.pool is None
    assert s.after["payout"][0, -1][0] == pytest.approx(130.0)


def test_every_grade_requested_finds_the_pool():
    s = solve_floats(make_scenario(), make_data(), 2018, requested={"优秀": 0.2, "良好": 0.1, "一般": 0.0,
                                                                     "较差": 0.0})
    assert s.pool == 100 * 1.2 + 200 * 1.1 + 300 + 400
    assert s.after.budget()["paid"] == 1040


def test_given_pool_amount():
    s = solve_floats(make_scenario(), make_data(), 2018, requested=ASK, pool=1420.0)
    # others take 1000: 540·K = 1000
    assert s.k == pytest.approx(1000 / 540) and s.after.budget()["paid"] == 1420
    # K = 1.85: 良好 1.1K − 1 = +103.5% above 优秀, 较差 0.8K − 1 = +48% above 一般
    assert s.order_broken == ("优秀 < 良好", "一般 < 较差")
    lo, hi = s.order_pool
    # the order holds while 0 ≤ 1.1K − 1 ≤ 0.2 (良好 between 一般 and 优秀) and 0.8K − 1 ≤ 0 (较差 below 一般):
    # 1/1.1 ≤ K ≤ 1.2/1.1, i.e. pools 420 + 540·K
    assert lo == pytest.approx(420 + 540 / 1.1) and hi == pytest.approx(420 + 540 * 1.2 / 1.1)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"requested": {"特优": 0.0}}, "'特优' is not a grade of this scenario.*优秀, 良好, 一般, 较差"),
    ({"requested": {}}, "no realised float was requested"),
    ({"requested": {"优秀": -2.0}}, "not possible"),
    ({"requested": {"优秀": 7.0, "一般": 0.0}},
     "the requested grades alone need 1,100.00 yuan, more than the pool of 1,000.00"),
    ({"requested": {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": 0.0}, "pool": 900.0},
     "every grade is requested, so the pool must be what the requested grades need, 1,040.00"),
    ({"requested": ASK, "pool": -5.0}, "the pool is -5.0"),
    ({"requested": ASK, "pool": "lots"}, "the pool is 'lots'"),
])
def test_impossible_or_bad_requests_say_why(kwargs, words):
    with pytest.raises(SimkitError, match=words):
        solve_floats(make_scenario(), make_data(), 2018, **kwargs)


def test_solve_k_on_segments():
    assert solve_k(540.0, np.array([]), np.array([]), 580.0) == pytest.approx(580 / 540)
    assert solve_k(320.0, np.array([200.0]), np.array([1.1]), 580.0) == pytest.approx(1.1875)
    assert solve_k(320.0, np.array([200.0]), np.array([1.1]), -1.0) is None
    assert solve_k(0.0, np.array([200.0]), np.array([1.1]), 250.0) is None  # capped units take at most 200


def test_parse_request():
    assert parse_request(("一般", "优秀=20%"), "--keep", 0.0) == {"一般": 0.0, "优秀": 0.2}
    for bad in ("优秀=x", "=0.2", "优秀=inf"):
        with pytest.raises(SimkitError, match="is not GRADE=FLOAT"):
            parse_request((bad,), "--set")
    with pytest.raises(SimkitError, match="given twice"):
        parse_request(("优秀=0.1", "优秀=0.2"), "--set")


# ------------------------------------------------------------------------------------------- bundled data
def test_bundled_solution_exact_to_the_yuan(reform, data):
    s = solve_floats(reform, data, 2018, requested=ASK)
    assert (s.check["error"] <= 1e-9).all()
    u = s.after.units
    for grade, r in ASK.items():
        part = u[(u["grade"] == grade) & ~u["vetoed"]]
        assert (part["payout"] == part["bonus_base"] * (1 + r)).all()
    assert u["payout"].sum() == data.units["bonus_per_head"].mul(data.units["headcount"]).sum()


def test_cli_solve_floats_then_run(tmp_path):
    out = tmp_path / "solved.yaml"
    res = CliRunner().invoke(main, ["solve-floats", REFORM, "--keep", "一般=0", "--set", "优秀=0.20", "--out",
                                    str(out)])
    assert res.exit_code == 0, res.output
    assert "良好 < 一般" in res.output  # the budget-neutral pool forces 良好 below 一般
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["consequences"]["bonus"]["factors"]["优秀"] == 0.2 and "extends" not in doc
    run = CliRunner().invoke(main, ["run", str(out), "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    res_csv = pd.read_csv(tmp_path / "run" / "results.csv", encoding="utf-8-sig")
    for grade, r in ASK.items():
        part = res_csv[res_csv["grade"] == grade]
        assert (part["payout"] == part["bonus_base"] * (1 + r)).all(), grade
    base_total = simkit.load_data().units.eval("bonus_per_head * headcount").sum()
    assert res_csv["payout"].sum() == base_total


@pytest.mark.parametrize(("args", "words"), [
    (["--keep", "特优=0"], "the grades 优秀, 良好, 一般, 较差"),
    (["--set", "优秀=x"], "is not GRADE=FLOAT"),
    (["--keep", "优秀=0", "--set", "优秀=0.2"], "both --keep and --set"),
    (["--set", "优秀=3", "--set", "良好=2"], "alone need"),
    (["--set", "优秀=0.2", "--pool", "lots"], "--pool 'lots' is not `nominal` or an amount"),
    (["--set", "优秀=0.2", "--out", "solved.txt"], "must end in .yaml"),
    ([], "no realised float was requested"),
])
def test_cli_solve_floats_bad_input_exits_2(tmp_path, args, words):
    args = [str(tmp_path / a) if a.endswith(".txt") else a for a in args]
    res = CliRunner().invoke(main, ["solve-floats", REFORM, *args])
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
