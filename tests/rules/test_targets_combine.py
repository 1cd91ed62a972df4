"""The `combine` target rule (simkit.schema.targets.CombineTarget, simkit.rules.targets._combine): several sources
per unit, with hand-computed targets.

History m (3 units, 4 years; evaluated at t = 3):

    unit   m0   m1   m2 | assigned(t=3)   baseline (3-yr mean)   decomposed (city_target 300, shares of m0..m2)
    a      10   20   30 |   25             20                     300 · 60/180 = 100
    b      30   30   30 |   NaN            30                     300 · 90/180 = 150
    c       5   10   15 |   12             10                     300 · 30/180 =  50
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose
from pydantic import ValidationError

import simkit
from simkit.cli import main
from simkit.rules.contract import check_rule
from simkit.rules.targets import TARGET_RULES, TargetContext, compute_target
from simkit.schema.targets import CombineTarget

from ..conftest import SCENARIOS

M = np.array([[10.0, 20, 30, 99], [30, 30, 30, 99], [5, 10, 15, 99]])
ASSIGNED = np.full((3, 4), np.nan)
ASSIGNED[:, 3] = [25.0, np.nan, 12.0]
A, B = {"rule": "assigned"}, {"rule": "baseline", "years": 3}
D = {"rule": "decomposed", "city_target": 300.0, "share_years": 3}


def ctx(direction: float = 1.0, groups=(0, 0, 0)) -> TargetContext:
    return TargetContext(ASSIGNED, np.asarray(groups), np.array([direction]), (2015, 2016, 2017, 2018))


def combined(direction: float = 1.0, **params) -> np.ndarray:
    return compute_target(CombineTarget.model_validate(params), M, 3, ctx(direction))


def test_max_takes_the_most_demanding_source_and_skips_a_missing_one():
    # a: max(25, 20) = 25; b: assigned missing → baseline 30; c: max(12, 10) = 12
    assert_allclose(combined(of=[A, B], how="max"), [25.0, 30.0, 12.0])


def test_max_of_a_lower_is_better_indicator_is_the_smallest():
    # the most demanding target of a lower-is-better indicator is the lowest: a min(25, 20) = 20, c 10
    assert_allclose(combined(-1.0, of=[A, B], how="max"), [20.0, 30.0, 10.0])
    assert_allclose(combined(-1.0, of=[A, B], how="min"), [25.0, 30.0, 12.0])


def test_min_takes_the_least_demanding():
    assert_allclose(combined(of=[A, B], how="min"), [20.0, 30.0, 10.0])


def test_mean_and_weighted_renormalise_over_the_sources_present():
    assert_allclose(combined(of=[A, B], how="mean"), [22.5, 30.0, 11.0])
    # weights 0.25 / 0.75: a 0.25·25 + 0.75·20 = 21.25; b only baseline (weight renormalised) 30; c 10.5
    assert_allclose(combined(of=[A, B], how="weighted", weights=[0.25, 0.75]), [21.25, 30.0, 10.5])


def test_all_sources_missing_gives_no_target():
    # only the assigned source, missing for b
    assert_allclose(combined(of=[A], how="max"), [25.0, np.nan, 12.0])
    assert_allclose(combined(of=[A], how="weighted", weights=[1.0]), [25.0, np.nan, 12.0])


def test_floor_raises_a_target_to_the_decomposition():
    # decomposed 100, 150, 50: a max(25, 20) = 25 → 100; b 30 → 150; c 12 → 50
    assert_allclose(combined(of=[A, B], how="max", floor=D), [100.0, 150.0, 50.0])
    # a floor below the combination changes nothing: city target 30 → 10, 15, 5
    low = {**D, "city_target": 30.0}
    assert_allclose(combined(of=[A, B], how="max", floor=low), [25.0, 30.0, 12.0])
    # lower-is-better, the most demanding is the lowest: 20, 30, 10; the floor 10, 15, 5 asks more for every unit
    assert_allclose(combined(-1.0, of=[A, B], how="max", floor=low), [10.0, 15.0, 5.0])


def test_a_missing_floor_is_skipped():
    short = {"rule": "baseline", "years": 3, "min_years": 3}
    m = M.copy()
    m[1, 0] = np.nan  # b's baseline floor has a missing year
    rule = CombineTarget.model_validate({"of": [A], "floor": short})
    assert_allclose(compute_target(rule, m, 3, ctx()), [25.0, np.nan, 12.0])
    rule = CombineTarget.model_validate({"of": [{"rule": "uniform", "value": 1.0}], "floor": short})
    assert_allclose(compute_target(rule, m, 3, ctx()), [20.0, 1.0, 10.0])


def test_span_window_and_history_come_from_the_parts():
    rule = CombineTarget.model_validate({"of": [A, {"rule": "baseline", "years": 3, "min_years": 2}],
                                         "floor": {"rule": "decomposed", "city_growth": 0.05, "share_years": 5}})
    assert rule.span == 5 and rule.min_span == 0 and not rule.whole_history
    assert rule.window(6) == range(1, 6)
    both = CombineTarget.model_validate({"of": [B, {"rule": "ratchet"}]})
    assert both.min_span == 3 and both.whole_history


def test_combine_is_registered_and_keeps_the_contract():
    assert "combine" in TARGET_RULES
    check_rule("targets", "combine", seed=5)


@pytest.mark.parametrize(("params", "words"), [
    ({"of": [A, B], "how": "weighted"}, "one weight per source"),
    ({"of": [A, B], "how": "weighted", "weights": [1.0]}, "`of` has 2 sources and `weights` 1"),
    ({"of": [A, B], "how": "weighted", "weights": [-1.0, 2.0]}, "0 or more"),
    ({"of": [A, B], "how": "max", "weights": [0.5, 0.5]}, "read only with how: weighted"),
    ({"of": []}, "at least 1"),
    ({"of": [{"rule": "combine"}]}, "rule"),
    ({"of": [{"rule": "none"}]}, "rule"),
    ({"of": [{"rule": "baseline", "years": 0}]}, "years"),
    ({"of": [A], "how": "median"}, "how"),
])
def test_bad_combinations_are_refused_with_a_reason(params, words):
    with pytest.raises(ValidationError, match=words):
        CombineTarget.model_validate(params)


def test_the_example_scenario_uses_three_sources(data):
    sc = simkit.load_scenario(SCENARIOS / "reform_combined_targets.yaml")
    rule = sc.indicators["poverty_exits"].target
    assert [p.rule for p in rule.of] == ["assigned", "baseline"] and rule.floor.rule == "decomposed"
    r = simkit.evaluate(sc, data, 2018)
    ind = r.indicators.set_index(["unit", "indicator"])
    # 资阳区's poverty exits: assigned 3020 > 3-yr average·1.02; the decomposition floor is lower
    assert ind.loc[("ZY", "poverty_exits"), "target"] == pytest.approx(3020.0)
    assert r.indicators.query("indicator == 'poverty_exits'")["target"].notna().all()


def test_a_bad_combination_in_a_scenario_file_exits_2_naming_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {SCENARIOS / 'yiyang_2018_reform.yaml'}\nname: bad\nindicators:\n  forest_cover:\n"
                    "    target: {rule: combine, of: [{rule: assigned}, {rule: baseline}], how: weighted}\n",
                    encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2
    assert "weights" in res.output and "Traceback" not in res.output
