"""The lean leaf stage of a Monte Carlo block with data noise against the general one.

``lean.lean_leaf_stage`` computes the noisy draws' shares in place, year by year, for the years the rules
read; ``stages.leaf_stage`` is the reference.  On random data with missing values, zero and negative bases,
mixed directions, every completion option, other target and scoring rules (run as registered) and every
missing-data policy, the lean stage gives the same arrays bit for bit, or None (the general stage then runs
and reports the cells it cannot evaluate).  Through the uncertainty analysis, the lean path and the general
one give identical tallies, and the same errors.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.analysis.uncertainty import DataNoise, RuleChoice, UncertaintySpec, default_spec, run_uncertainty
from simkit.analysis.uncertainty import evaluate as unc_evaluate
from simkit.engine.compile import compile_plan, inputs_of
from simkit.engine.lean import lean_leaf_stage, window
from simkit.engine.stages import leaf_stage
from simkit.errors import EvaluationError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.schema.levers import SetBlend

YEARS = tuple(range(2013, 2019))
LEAVES = {"a1": "1", "a2": "-1", "a3": "1", "a4": "-1", "b1": "1", "b2": "1", "b3": "-1"}

RULES = {  # name → the scenario's default rule
    "level baseline": {"measures": {"level": 1}, "target": {"rule": "baseline", "years": 3, "uplift": 0.02},
                       "scoring": {"rule": "completion", "cap": 1.2}},
    "blend baseline": {"measures": {"increment": 0.4, "growth": 0.6},
                       "target": {"rule": "baseline", "years": 2, "uplift": 0.05, "add": 0.1},
                       "scoring": {"rule": "completion", "floor": 0.1, "cap": 1.5, "lower": "gap"}},
    "growth threshold": {"measures": {"growth": 1}, "target": {"rule": "baseline", "years": 3},
                         "scoring": {"rule": "completion", "cap": 1.2, "threshold": 0.8,
                                     "zero_target": "met_or_missed"}},
    "increment met_or_missed": {"measures": {"increment": 1}, "target": {"rule": "baseline", "years": 1},
                                "scoring": {"rule": "completion", "floor": -0.5, "cap": 2.0,
                                            "zero_target": "met_or_missed"}},
    "assigned": {"measures": {"level": 1}, "target": {"rule": "assigned"},
                 "scoring": {"rule": "completion", "cap": 1.2}},
    "uniform": {"measures": {"level": 1}, "target": {"rule": "uniform", "value": 100.0},
                "scoring": {"rule": "completion", "floor": 0.2, "cap": 1.1}},
    "minmax (as registered)": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
    "ratchet (as registered)": {"measures": {"increment": 1}, "target": {"rule": "ratchet", "start_years": 2},
                                "scoring": {"rule": "completion", "cap": 1.2}},
    "partial baseline (as registered)": {"measures": {"level": 1},
                                         "target": {"rule": "baseline", "years": 3, "min_years": 2},
                                         "scoring": {"rule": "completion", "cap": 1.2}},
}
POLICIES = ({"policy": "zero"}, {"policy": "penalty", "penalty": 2.0}, {"policy": "exclude"},
            {"policy": "group_min"}, {"policy": "renormalise"})


@functools.cache
def random_data(seed: int, gaps: float = 0.0, bad: float = 0.0) -> simkit.Dataset:
    """Nine units in two groups, indicators a1–a4 (pillar A) and b1–b3 (pillar B), six years of random values
    (a share ``gaps`` missing, a share ``bad`` zero or negative) and assigned targets."""
    rng = np.random.default_rng(seed)
    units = pd.DataFrame({"unit": [f"U{k}" for k in range(9)], "name": [f"单位{k}" for k in range(9)],
                          "group": ["G1"] * 4 + ["G2"] * 5})
    ind = pd.DataFrame({"indicator": ["A", "B", *LEAVES], "name": ["A", "B", *LEAVES],
                        "parent": ["", ""] + [k[0].upper() for k in LEAVES],
                        "direction": ["1", "1", *LEAVES.values()],
                        "weight": ["50", "50", *(str(w) for w in rng.integers(1, 6, len(LEAVES)))]})
    obs, tgt = [], []
    for u in units["unit"]:
        for leaf in LEAVES:
            level = rng.lognormal(4.0, 0.5)
            for y in YEARS:
                v = level * rng.lognormal(0.05 * (y - YEARS[0]), 0.1)
                r = rng.random()
                if r < gaps:
                    continue
                if r < gaps + bad:
                    v = 0.0 if rng.random() < 0.5 else -v
                obs.append([u, leaf, str(y), repr(float(v))])
                tgt.append([u, leaf, str(y), repr(float(v * rng.uniform(0.9, 1.1)))])
    return build_dataset({"units": units, "indicators": ind,
                          "observations": pd.DataFrame(obs, columns=["unit", "indicator", "year", "value"]),
                          "targets": pd.DataFrame(tgt, columns=["unit", "indicator", "year", "target"])})


def scenario_with(rule: dict, missing: dict, nonpositive: str = "error") -> simkit.Scenario:
    """Pillars A (60 points) and B (40), the leaves weighted by the data, one default rule, a missing-data
    policy."""
    return scenario_from_dict({
        "name": "lean", "weights": {"mode": "points", "children": "scale", "values": {"A": 60, "B": 40}},
        "defaults": {**rule, "nonpositive_base": nonpositive},
        "grading": {"grades": [{"name": "优秀", "share": 0.3}, {"name": "一般"}]},
        "missing": missing,
    })


def both(plan, t: int, d: int, seed: int, sd: float = 0.05, normal: bool = False):
    """The general and the lean leaf stage of ``d`` noisy draws of year index ``t``."""
    inputs = inputs_of(plan)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((d, *inputs.values.shape))
    values = inputs.values[None] * (1.0 + sd * z if normal else np.exp(sd * z))
    general = leaf_stage(plan, replace(inputs, values=values), [t], detail=False)
    win = window(plan, inputs, t)
    assert win is not None
    lean = lean_leaf_stage(plan, inputs, win, values.reshape(d, -1)[:, win.cells])
    return general, lean


def assert_same(general, lean) -> None:
    assert not general.issues
    assert lean.measures == general.measures
    np.testing.assert_array_equal(lean.weight, general.weight)
    for f in ("value", "share", "filled", "penalty", "excluded"):  # the same bits (a NaN is a NaN, of any sign)
        a, b = np.ascontiguousarray(getattr(general, f)), np.ascontiguousarray(getattr(lean, f))
        assert a.shape == b.shape and a.dtype == b.dtype, f
        if a.dtype.kind == "f":
            assert np.array_equal(np.isnan(a), np.isnan(b)), f
            a, b = np.nan_to_num(a, nan=0.0), np.nan_to_num(b, nan=0.0)
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), f


@pytest.mark.parametrize("name", list(RULES))
@pytest.mark.parametrize("missing", POLICIES, ids=[p["policy"] for p in POLICIES])
def test_the_lean_stage_gives_the_general_stage_bit_for_bit(name, missing):
    fallbacks = 0
    for seed in range(3):
        for gaps, bad in ((0.0, 0.0), (0.08, 0.0), (0.05, 0.05)):
            scenario = scenario_with(RULES[name], missing, "missing" if seed == 2 else "error")
            plan = compile_plan(scenario, random_data(seed, gaps, bad))
            general, lean = both(plan, plan.year_index(2018), 6, seed)
            if lean is None:  # a cell for the general stage to report (or left out: the general stage serves)
                fallbacks += not general.issues
                assert gaps or bad
                continue
            assert_same(general, lean)
    assert fallbacks <= 6  # the lean stage serves most blocks


@pytest.mark.parametrize("name", ["yiyang_2018_reform", "legacy_totals", "reform_ratchet",
                                  "reform_combined_targets"])
def test_the_lean_stage_on_the_shipped_scenarios(name):
    """Leaves that apply to some units only (the departments' and the counties' tracks), lower-is-better
    leaves, assigned targets, leader scoring; lognormal and normal noise."""
    plan = compile_plan(simkit.load_scenario(name), simkit.load_data())
    for seed, (sd, normal) in enumerate(((0.02, False), (0.3, False), (0.05, True))):
        general, lean = both(plan, plan.year_index(2018), 9, seed, sd, normal)
        assert lean is not None
        assert_same(general, lean)
    general, lean = both(plan, plan.year_index(2018), 9, 4, 0.9, True)  # values pushed below zero
    assert (lean is None) == bool(general.issues)
    if lean is not None:
        assert_same(general, lean)


def test_no_lean_window_where_values_are_carried_forward():
    plan = compile_plan(scenario_with(RULES["level baseline"], {"policy": "previous_year", "max_years": 1}),
                        random_data(0))
    assert window(plan, inputs_of(plan), plan.year_index(2018)) is None


BLEND = RuleChoice(name="blend", alternatives={"50/50": [], "40/60": [SetBlend(growth=0.6, where=("Q",))]})


@pytest.mark.parametrize("noise", [DataNoise(sd=0.02), DataNoise(sd=0.05, distribution="normal"),
                                   DataNoise(sd=0.02, indicators=("gdp", "fiscal_rev"), years="evaluation")],
                         ids=["lognormal", "normal", "some cells"])
def test_the_uncertainty_analysis_gives_the_same_tallies_on_either_path(noise, monkeypatch):
    reform, data = simkit.load_scenario("yiyang_2018_reform"), simkit.load_data()
    spec = UncertaintySpec(weights=default_spec(reform, data).weights, noise=noise, choices=(BLEND,))

    def go():
        return run_uncertainty(reform, data, spec, draws=300, seed=5, progress=False, sobol=60, chunk_size=70)

    lean = go()
    monkeypatch.setattr(unc_evaluate, "window", lambda plan, inputs, t: None)  # the general stage only
    general = go()
    pd.testing.assert_frame_equal(lean.rank_intervals, general.rank_intervals, check_exact=True)
    pd.testing.assert_frame_equal(lean.payout_intervals, general.payout_intervals, check_exact=True)
    pd.testing.assert_frame_equal(lean.sensitivity, general.sensitivity, check_exact=True)


def test_a_noisy_draw_the_rules_cannot_evaluate_is_the_same_error_on_either_path(monkeypatch):
    reform, data = simkit.load_scenario("yiyang_2018_reform"), simkit.load_data()
    spec = UncertaintySpec(noise=DataNoise(sd=0.9, distribution="normal"))
    with pytest.raises(EvaluationError) as lean:
        run_uncertainty(reform, data, spec, draws=64, seed=1, progress=False, sobol=False)
    monkeypatch.setattr(unc_evaluate, "window", lambda plan, inputs, t: None)
    with pytest.raises(EvaluationError) as general:
        run_uncertainty(reform, data, spec, draws=64, seed=1, progress=False, sobol=False)
    assert str(lean.value) == str(general.value) and "some draws cannot be evaluated" in str(lean.value)
