"""simkit.analysis.sensitivity: what would it take (hand-checked and on the bundled data) and main effects;
each takes a Result or a Plan."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.analysis.sensitivity import WhatItTakes, main_effects, what_would_it_take
from simkit.analysis.uncertainty import default_spec, run_uncertainty
from simkit.engine.compile import compile_plan, inputs_of
from simkit.engine.evaluate import run
from simkit.errors import EvaluationError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset


def _one_indicator(values, direction=1, ties="share", scoring=None):
    units = pd.DataFrame({"unit": list(values), "name": list(values), "group": "G"})
    indicators = pd.DataFrame({"indicator": ["x"], "name": ["指标x"], "parent": [""], "direction": [str(direction)]})
    obs = pd.DataFrame([[u, "x", "2018", str(v)] for u, v in values.items()],
                       columns=["unit", "indicator", "year", "value"])
    data = build_dataset({"units": units, "indicators": indicators, "observations": obs})
    scenario = scenario_from_dict({
        "name": "one", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, **(scoring or {"target": {"rule": "none"},
                                                             "scoring": {"rule": "minmax", "over": "group"}})},
        "grading": {"ties": ties, "grades": [{"name": "优秀", "count": 1}, {"name": "一般"}]},
    })
    return simkit.evaluate(scenario, data)


# ============================================================================== what would it take
def test_what_would_it_take_by_hand():
    r = _one_indicator({"A": 10.0, "B": 8.0, "C": 5.0})
    w = what_would_it_take(r, "B", "x")  # a tie with A at 10 shares 优秀 (ties: share)
    assert w.feasible and w.grade_now == "一般" and w.grade_then == "优秀"
    assert w.required_value == pytest.approx(10.0, abs=1e-6) and w.change == pytest.approx(2.0, abs=1e-6)
    assert w.change_pct == pytest.approx(25.0, abs=1e-4) and w.rank_then == 1
    # what its sentence is made of (the sentence itself: simkit.present.text): no English grade names here
    d = w.as_dict()
    assert d["required_value"] == w.required_value and d["grade_then"] == "优秀" and d["feasible"]
    assert w.grade_names_en == {"优秀": "优秀", "一般": "一般"}
    strict = what_would_it_take(_one_indicator({"A": 10.0, "B": 8.0, "C": 5.0}, ties="exclude"), "B", "x")
    assert 10.0 < strict.required_value < 10.0 + 1e-5  # must pass A
    low = what_would_it_take(_one_indicator({"A": 5.0, "B": 8.0, "C": 10.0}, direction=-1), "C", "x")
    assert low.required_value == pytest.approx(5.0, abs=1e-6)  # lower is better: down to A's 5
    top = what_would_it_take(r, "A", "x")
    assert not top.feasible and "best grade" in top.note and top.reason == "best_grade"
    assert w.reason == "found" and 0 < w.tolerance < 1e-3 and w.as_dict()["tolerance"] == w.tolerance


def test_what_would_it_take_when_nothing_helps():
    capped = {"target": {"rule": "uniform", "value": 1.0}, "scoring": {"rule": "completion", "cap": 1.0}}
    r = _one_indicator({"A": 3.0, "B": 2.0, "C": 2.0}, scoring=capped)  # all capped at full marks: all tied
    w = what_would_it_take(r, "B", "x")
    assert w.grade_now == "优秀" or not w.feasible
    with pytest.raises(EvaluationError, match="no unit"):
        what_would_it_take(r, "Q", "x")
    with pytest.raises(EvaluationError, match="not a leaf"):
        what_would_it_take(r, "A", "nope")


def test_what_would_it_take_skips_values_the_rules_refuse(legacy, data):
    """Under the `leader` rule a value below 0 cannot be scored: such candidates never count as a move up
    (the released module stopped with the rule's error instead)."""
    r = simkit.evaluate(legacy, data)
    w = what_would_it_take(r, "NX", "energy_intensity")  # lower is better
    assert w.feasible and 0 < w.required_value < w.value and w.grade_then == "良好"
    none = what_would_it_take(r, "GX", "energy_intensity")
    assert not none.feasible and "up to 0 " in none.note and none.reason == "out_of_reach" and none.limit == 0


def test_what_would_it_take_on_the_bundled_data(reform, data):
    res = run_uncertainty(reform, data, default_spec(reform, data), draws=20, seed=0, progress=False, sobol=False)
    w = res.what_would_it_take("资阳区", "fiscal_rev")
    plan = res.plan
    inputs = inputs_of(plan)
    t = plan.year_index(res.problem.year)
    li, ui = plan.tree.leaves.index("fiscal_rev"), list(data.unit_ids).index("ZY")

    def grade_at(v):
        x = inputs.values.copy()[None]
        x[0, ui, li, t] = v
        return int(run(plan, replace(inputs, values=x), [t], money=False)["grade"][0, 0, ui])

    names = [g.name for g in reform.grading.grades]
    assert w.feasible, w.note
    assert names[grade_at(w.required_value)] == w.grade_then
    assert names.index(w.grade_then) < names.index(w.grade_now)
    assert grade_at(w.value + 0.999 * (w.required_value - w.value)) == names.index(w.grade_now)
    # the same from the nominal result, from the plan, and as the released module gave it
    assert what_would_it_take(res.nominal, "ZY", "fiscal_rev") == w
    assert what_would_it_take(compile_plan(reform, data), "ZY", "fiscal_rev", year=2018) == w
    assert isinstance(w, WhatItTakes) and w.required_value == 11.766097703361885 and w.rank_then == 7


def test_what_would_it_take_takes_a_result_or_a_plan_only(reform, data):
    with pytest.raises(TypeError, match="Result or a Plan"):
        what_would_it_take(object(), "ZY", "fiscal_rev")  # type: ignore[arg-type]


# ==================================================================================== main effects
def test_main_effects_table(reform, data):
    me = main_effects(simkit.evaluate(reform, data))
    assert {"indicator", "weight", "weight_share", "main_effect", "main_effect_share", "ratio"} <= set(me.columns)
    assert me["main_effect"].between(0, 1).all()
    for _, part in me.groupby("track"):
        assert part["weight_share"].sum() == pytest.approx(1.0)
        assert part["main_effect_share"].sum() == pytest.approx(1.0)
    one = main_effects(_one_indicator({"A": 10.0, "B": 8.0, "C": 5.0}))
    assert one["main_effect"].iloc[0] == pytest.approx(1.0)  # the only indicator explains the total
    # a plan gives the same table (evaluated for its year), and so does an uncertainty result
    pd.testing.assert_frame_equal(main_effects(compile_plan(reform, data)), me, check_exact=True)
    res = run_uncertainty(reform, data, default_spec(reform, data), draws=10, seed=0, progress=False, sobol=False)
    pd.testing.assert_frame_equal(res.main_effects, me, check_exact=True)
    assert np.isfinite(me["weight"]).all()
