"""simkit.analysis.uncertainty: hand-checked small cases, reproducibility (seed, chunk size, threads, dask),
Sobol indices against SALib, rule choices as levers, bounded memory, and the Monte Carlo's fast path
(collapsed leaf weights) against the engine's general procedure.

The grading and ranking fast paths are checked against their general procedures in
tests/rules/test_fast_paths.py; what-would-it-take and main effects in test_sensitivity.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.analysis.uncertainty import (
    DataNoise,
    RuleChoice,
    RunOptions,
    Tally,
    UncertaintyProblem,
    UncertaintySpec,
    WeightUncertainty,
    default_spec,
    run_uncertainty,
    sobol_indices,
)
from simkit.analysis.uncertainty.run import block_size, run_chunk
from simkit.engine.aggregate import aggregate, all_arithmetic, leaf_weights
from simkit.engine.compile import compile_plan, inputs_of
from simkit.engine.stages import leaf_stage, rank_stage, total_stage
from simkit.errors import ScenarioError
from simkit.io.coinr import read_coinr
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.schema.levers import Override, SetBlend, SetPoints, SetQuota

BLEND = RuleChoice(name="blend", alternatives={
    "50/50": {},
    "40/60": {"indicators": {"Q": {"measures": {"increment": 0.4, "growth": 0.6}}}},
    "growth": {"indicators": {"Q": {"measures": {"growth": 1}}}},
})
TARGET = RuleChoice(name="target", alternatives={
    "baseline": {},
    "ratchet": {"indicators": {"Q": {"target": {"rule": "ratchet", "lambda_up": 0.5, "lambda_down": 0.2,
                                                "start_years": 3, "uplift": 0.05}}}},
}, probabilities=(0.5, 0.5))


# ================================================================================================ fixtures
def tiny(values: dict[str, tuple[float, float]], weights=(2.0, 1.0), grading=None, direction=1):
    """Units X, Y, Z (one group) with indicators A and B, min-max over all units, weighted mean; one year."""
    units = pd.DataFrame({"unit": list(values), "name": [f"单位{u}" for u in values], "group": "G",
                          "bonus_per_head": "100"})
    indicators = pd.DataFrame({"indicator": ["A", "B"], "name": ["指标A", "指标B"], "parent": "",
                               "direction": str(direction)})
    obs = pd.DataFrame([[u, ind, "2018", str(v[k])] for u, v in values.items() for k, ind in enumerate("AB")],
                       columns=["unit", "indicator", "year", "value"])
    data = build_dataset({"units": units, "indicators": indicators, "observations": obs})
    scenario = scenario_from_dict({
        "name": "tiny", "weights": {"mode": "relative", "values": {"A": weights[0], "B": weights[1]}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"},
                     "scoring": {"rule": "minmax", "range": [0, 100], "over": "all"}},
        "grading": grading or {"grades": [{"name": "优秀", "count": 1}, {"name": "一般"}]},
        "consequences": {"bonus": {"by": "grade", "factors": {"优秀": 0.2, "一般": 0.0}, "per_head": False}},
    })
    return data, scenario


@pytest.fixture(scope="module")
def xyz():
    # X: strong in A; Y: strong in B; Z: middling.  Nominal weights A = 2, B = 1: X 66.7, Z 50, Y 33.3.
    return tiny({"X": (3.0, 1.0), "Y": (1.0, 3.0), "Z": (2.0, 2.0)})


@pytest.fixture(scope="module")
def full_spec(reform, data):
    return UncertaintySpec(weights=default_spec(reform, data).weights, noise=DataNoise(sd=0.05),
                           choices=(BLEND, TARGET))


# =========================================================================================== spec checks
def test_spec_is_frozen_and_validated():
    spec = UncertaintySpec(weights=(WeightUncertainty(levels=(1,)),))
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.noise = DataNoise(sd=0.1)
    assert spec.labels == ("weights:level1",)
    with pytest.raises(ValueError, match="at least one uncertain input"):
        UncertaintySpec()
    with pytest.raises(ValueError, match="select weights"):
        WeightUncertainty()
    with pytest.raises(ValueError, match="unique"):
        UncertaintySpec(weights=(WeightUncertainty(levels=(1,)), WeightUncertainty(levels=(1,))))
    with pytest.raises(ValueError, match="probabilities"):
        RuleChoice(name="c", alternatives={"a": {}, "b": {}}, probabilities=(0.5, 0.6))
    with pytest.raises(ValueError):
        DataNoise(sd=0)


def test_rule_choices_are_levers_and_the_old_overrides_still_read():
    levers = RuleChoice(name="blend", alternatives={"50/50": [], "40/60": [SetBlend(growth=0.6, where=("Q",))],
                                                    "one": SetQuota(grade="优秀", share=0.3)})
    assert levers.alternatives["50/50"] == () and levers.alternatives["one"] == (SetQuota(grade="优秀", share=0.3),)
    assert BLEND.alternatives["50/50"] == ()
    assert BLEND.alternatives["40/60"] == (Override(changes={"indicators": {"Q": {"measures": {
        "increment": 0.4, "growth": 0.6}}}}),)
    # a spec read from JSON: levers by their `lever:` name, old overrides as they were
    spec = UncertaintySpec.model_validate({"choices": [{"name": "c", "alternatives": {
        "a": [], "b": [{"lever": "set_blend", "growth": 0.6, "where": ["Q"]}], "c": {"ranking": {"ties": "max"}}}}]})
    alts = spec.choices[0].alternatives
    assert alts["b"] == (SetBlend(growth=0.6, where=("Q",)),) and alts["c"][0].lever == "override"
    assert UncertaintySpec.model_validate(spec.model_dump(mode="json")) == spec


def test_levers_and_overrides_give_the_same_draws(reform, data):
    """The README's form (levers) and the old form (overrides) of one rule choice: the same numbers."""
    as_levers = RuleChoice(name="blend", alternatives={"50/50": [], "40/60": [SetBlend(growth=0.6, where=("Q",))],
                                                       "growth": [SetBlend(growth=1.0, where=("Q",))]})
    runs = [run_uncertainty(reform, data, UncertaintySpec(weights=(WeightUncertainty(levels=(1,)),), choices=(c,)),
                            draws=120, seed=2, progress=False, sobol=60) for c in (BLEND, as_levers)]
    for x, y in zip(_frames(runs[0]), _frames(runs[1]), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_spec_problems_name_the_input(reform, data):
    with pytest.raises(ScenarioError, match="nope"):
        UncertaintyProblem(reform, data, UncertaintySpec(weights=(WeightUncertainty(nodes=("nope",)),)))
    with pytest.raises(ScenarioError, match="no level 7"):
        UncertaintyProblem(reform, data, UncertaintySpec(weights=(WeightUncertainty(levels=(7,)),)))
    bad = RuleChoice(name="bad", alternatives={"x": {"ranking": {"ties": "sideways"}}})
    with pytest.raises(ScenarioError, match="choice 'bad', alternative 'x'"):
        UncertaintyProblem(reform, data, UncertaintySpec(choices=(bad,)))
    no_grade = RuleChoice(name="q", alternatives={"x": [SetQuota(grade="满分", share=0.1)]})
    with pytest.raises(ScenarioError, match=r"choice 'q', alternative 'x'.*满分"):
        UncertaintyProblem(reform, data, UncertaintySpec(choices=(no_grade,)))
    with pytest.raises(ScenarioError, match="draws"):
        run_uncertainty(reform, data, None, draws=1, progress=False)


# ================================================================================ hand-checked small cases
def test_two_indicators_by_hand(xyz):
    """X is first exactly when w_A > w_B; the draws are the spec's uniforms, so every figure follows by hand."""
    data, scenario = xyz
    spec = UncertaintySpec(weights=(WeightUncertainty(name="w", nodes=("A", "B"), spread=0.5),))
    n = 2000
    res = run_uncertainty(scenario, data, spec, draws=n, seed=11, progress=False, chunk_size=300)
    u = UncertaintyProblem(scenario, data, spec).sample(11, 0, 0, n)["w"]  # the same draws, columns A, B
    w_a, w_b = 2.0 * (1 + 0.5 * (2 * u[:, 0] - 1)), 1.0 * (1 + 0.5 * (2 * u[:, 1] - 1))
    x_first = w_a > w_b  # X = 100 w_A/(w_A + w_B) against Z = 50 and Y = 100 w_B/(w_A + w_B)
    p = x_first.mean()
    assert 0.7 < p < 1  # by hand: P(1 + 2u_A > 0.5 + u_B) = 1 − 1/16 = 0.9375
    ri = res.rank_intervals.set_index("unit")
    assert ri.loc["X", "nominal_rank"] == 1 and ri.loc["Z", "nominal_rank"] == 2 and ri.loc["Y", "nominal_rank"] == 3
    x_ranks = np.where(x_first, 1, 3)
    assert ri.loc["X", "p_top"] == p and ri.loc["Z", "p_top"] == 0
    assert ri.loc["Y", "p_top"] == pytest.approx(1 - p, abs=1e-12)
    assert ri.loc["X", "p_bottom"] == pytest.approx(1 - p, abs=1e-12) and ri.loc["Z", "p_bottom"] == 0
    assert ri.loc["X", "mean_rank"] == pytest.approx(x_ranks.mean(), abs=1e-12)
    for col, q in (("median_rank", 0.5), ("q05", 0.05), ("q95", 0.95)):
        assert ri.loc["X", col] == np.quantile(x_ranks, q)  # numpy's default (R type 7)
    assert (ri.loc["Z", ["median_rank", "q05", "q95"]] == 2).all()
    assert ri.loc["X", "p_优秀"] == p and ri.loc["X", "p_一般"] == pytest.approx(1 - p, abs=1e-12)
    assert ri.loc["X", "mean_abs_shift"] == pytest.approx(2 * (1 - p)) and ri.loc["Z", "mean_abs_shift"] == 0
    assert res.mean_abs_shift == pytest.approx(4 * (1 - p) / 3)
    pay = res.payout_intervals.set_index("unit")
    assert pay.loc["X", "nominal_payout"] == 120 and pay.loc["Z", "nominal_payout"] == 100
    assert pay.loc["X", "mean_payout"] == pytest.approx(100 + 20 * p)
    x_pay = np.where(x_first, 120.0, 100.0)[:20_000]
    assert pay.loc["X", "q05_payout"] == np.quantile(x_pay, 0.05)
    # one input group: it explains everything
    s = res.sensitivity.iloc[0]
    assert abs(s["ST"] - 1) < 0.1 and s["S1"] > 0.8


def test_a_rule_choice_by_hand(xyz):
    data, scenario = xyz
    swap = RuleChoice(name="weights", alternatives={"A heavy": {}, "B heavy": {"weights": {"values": {"A": 1,
                                                                                                      "B": 2}}}},
                      probabilities=(0.3, 0.7))
    spec = UncertaintySpec(choices=(swap,))
    res = run_uncertainty(scenario, data, spec, draws=500, seed=3, progress=False)
    u = UncertaintyProblem(scenario, data, spec).sample(3, 0, 0, 500)["choice:weights"][:, 0]
    ri = res.rank_intervals.set_index("unit")
    assert ri.loc["X", "p_top"] == (u < 0.3).mean()
    assert ri.loc["Y", "p_top"] == (u >= 0.3).mean()
    assert ri.loc[["X", "Y", "Z"], ["p_优秀", "p_一般"]].sum(axis=1).eq(1).all()
    # the same choice as a lever
    lever = RuleChoice(name="weights", alternatives={"A heavy": [], "B heavy": [SetPoints(points={"A": 1, "B": 2})]},
                       probabilities=(0.3, 0.7))
    again = run_uncertainty(scenario, data, UncertaintySpec(choices=(lever,)), draws=500, seed=3, progress=False)
    pd.testing.assert_frame_equal(again.rank_intervals, res.rank_intervals, check_exact=True)


def test_grade_probabilities_sum_to_one(reform, data, full_spec):
    res = run_uncertainty(reform, data, full_spec, draws=120, seed=2, progress=False, sobol=False)
    probs = res.grade_probabilities.filter(like="p_")
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert list(probs.columns) == [f"p_{g}" for g in res.grade_names]
    assert res.rank_intervals["p_top"].between(0, 1).all()


def test_nominal_rank_and_grade_equal_evaluate(reform, data, full_spec):
    res = run_uncertainty(reform, data, full_spec, draws=50, seed=1, progress=False, sobol=False)
    ev = simkit.evaluate(reform, data).units.set_index("unit")
    ri = res.rank_intervals.set_index("unit").loc[ev.index]
    assert (ri["nominal_rank"] == ev["rank"]).all()
    assert (ri["nominal_grade"] == ev["grade"]).all()
    pay = res.payout_intervals.set_index("unit").loc[ev.index]
    assert (pay["nominal_payout"] - ev["payout"]).abs().max() <= 1.0  # evaluate rounds to the yuan
    assert (pay["nominal_slots"] == ev["award_slots"]).all()


def test_weights_at_zero_spread_reproduce_nominal(reform, data):
    spec = UncertaintySpec(weights=(WeightUncertainty(levels=(1, 2), spread=0.0),))
    res = run_uncertainty(reform, data, spec, draws=40, seed=0, progress=False)
    ri = res.rank_intervals
    assert (ri["q05"] == ri["nominal_rank"]).all() and (ri["q95"] == ri["nominal_rank"]).all()
    assert res.mean_abs_shift == 0


def test_the_numbers_of_the_released_module(reform, legacy, data):
    """Frozen from simkit 0.1's ``simkit.uncertainty`` on the same scenario, data, spec, draws and seed."""
    w = default_spec(reform, data).weights
    blend = RuleChoice(name="blend", alternatives={"50/50": [], "40/60": [SetBlend(growth=0.6, where=("Q",))]})
    r = run_uncertainty(reform, data, UncertaintySpec(weights=w, noise=DataNoise(sd=0.02), choices=(blend,)),
                        draws=200, seed=7, progress=False, sobol=100, chunk_size=64)
    assert r.mean_abs_shift == 0.7194642857142857
    ri = r.rank_intervals.set_index("unit")
    assert ri.loc["HS", ["mean_rank", "q05", "q95", "p_优秀", "p_bottom", "mean_abs_shift"]].tolist() == [
        3.61, 1.0, 5.049999999999983, 0.215, 0.005, 1.03]
    assert ri.loc["ZY", ["mean_rank", "q05", "q95", "p_bottom"]].tolist() == [6.925, 5.0, 8.0, 0.375]
    sens = r.sensitivity.set_index("input")
    np.testing.assert_allclose(sens["ST"], [0.329590152804, 0.207144649108, 0.075953038006, 0.054317930211,
                                            0.081476895316, 0.868166240486, 0.004142892982], rtol=0, atol=1e-12)
    assert round(sens.loc["noise", "S1_conf"], 12) == 0.297379804453
    pay = r.payout_intervals.set_index("unit")
    assert pay.loc["HS", ["mean_payout", "median_payout", "q95_payout", "mean_slots"]].tolist() == [
        67434577.3721, 66425968.516930886, 72439048.25844626, 15.76]
    units = r.sobol_units
    hs = units[units["unit"] == "HS"].set_index("input")
    assert round(hs.loc["noise", "S1"], 12) == 0.582337695177 and round(hs.loc["noise", "ST"], 12) == 0.777545989001
    r2 = run_uncertainty(legacy, data, default_spec(legacy, data), draws=500, seed=3, progress=False, chunk_size=128)
    assert r2.mean_abs_shift == 0.1935
    np.testing.assert_allclose(r2.sensitivity["ST"], [1.023179899106, 0.216118666221, 0.051043991162,
                                                      0.018223677954, 0.057059574176, 0.030874095174], atol=1e-12)


# =============================================================================== reproducibility
def _frames(res):
    return [res.rank_intervals, res.payout_intervals, res.sensitivity, res.sobol_units]


def test_same_seed_same_output_and_another_seed_differs(reform, data, full_spec):
    a = run_uncertainty(reform, data, full_spec, draws=150, seed=5, progress=False)
    b = run_uncertainty(reform, data, full_spec, draws=150, seed=5, progress=False)
    c = run_uncertainty(reform, data, full_spec, draws=150, seed=6, progress=False)
    for x, y in zip(_frames(a), _frames(b), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert not a.rank_intervals.equals(c.rank_intervals)


@pytest.mark.parametrize("chunks", [(7, 150), (64, 33)])
def test_chunk_size_does_not_change_the_output(reform, data, full_spec, chunks):
    runs = [run_uncertainty(reform, data, full_spec, draws=150, seed=9, progress=False, chunk_size=k,
                            sobol=100) for k in chunks]
    for x, y in zip(_frames(runs[0]), _frames(runs[1]), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_chunk_size_weights_only_many_draws(reform, data):
    spec = default_spec(reform, data)
    runs = [run_uncertainty(reform, data, spec, draws=9000, seed=4, progress=False, chunk_size=k)
            for k in (5000, 1111)]
    for x, y in zip(_frames(runs[0]), _frames(runs[1]), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_threads_and_memory_budget_do_not_change_the_output(reform, data, full_spec):
    kw = dict(draws=160, seed=3, progress=False, sobol=80)
    runs = [run_uncertainty(reform, data, full_spec, workers=1, chunk_size=160, **kw),
            run_uncertainty(reform, data, full_spec, workers=3, chunk_size=9, **kw),
            run_uncertainty(reform, data, full_spec, workers=2, memory=40e6, **kw)]
    for other in runs[1:]:
        for x, y in zip(_frames(runs[0]), _frames(other), strict=True):
            pd.testing.assert_frame_equal(x, y, check_exact=True)


@pytest.mark.parametrize("processes", [False, True])
def test_dask_local_cluster_gives_the_local_result(reform, data, full_spec, processes):
    distributed = pytest.importorskip("distributed")
    local = run_uncertainty(reform, data, full_spec, draws=120, seed=8, progress=False, chunk_size=40)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = run_uncertainty(reform, data, full_spec, draws=120, seed=8, progress=False, chunk_size=40,
                                 client=client)
    for x, y in zip(_frames(local), _frames(remote), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_draws_do_not_depend_on_the_chunk_bounds(reform, data, full_spec):
    """Each group's draws come from seeded blocks; uniforms skip ahead within a block, bit for bit."""
    p = UncertaintyProblem(reform, data, full_spec)
    whole = p.sample(4, 0, 0, 9000)
    for g in p.groups:  # block 0 drawn whole, as the generator gives it
        bits = np.random.PCG64(np.random.SeedSequence(4, spawn_key=(0, g.key, 0)))
        n = min(g.block, 9000)
        np.testing.assert_array_equal(whole[g.label][:n], g.sample(np.random.Generator(bits), g.block)[:n])
    for a, b in ((0, 1), (4095, 4097), (1234, 8999), (8191, 9000), (31, 33)):
        part = p.sample(4, 0, a, b)
        for k, v in whole.items():
            np.testing.assert_array_equal(part[k], v[a:b])
    assert not np.array_equal(p.sample(4, 1, 0, 10)["weights:Q"], whole["weights:Q"][:10])  # matrix B differs


def test_same_seed_same_output_in_another_process():
    """The tree's inner-node order can change with Python's hash seed; the draws must not."""
    import os
    import subprocess
    import sys

    from ..conftest import ROOT

    code = ("import hashlib, pandas as pd, simkit\n"
            "from simkit.analysis.uncertainty import *\n"
            "sc = simkit.load_scenario('yiyang_2018_reform'); d = simkit.load_data()\n"
            "spec = UncertaintySpec(weights=default_spec(sc, d).weights, noise=DataNoise(sd=0.02))\n"
            "r = run_uncertainty(sc, d, spec, draws=300, seed=7, progress=False, sobol=100)\n"
            "h = hashlib.sha256()\n"
            "for df in (r.rank_intervals, r.payout_intervals, r.sensitivity):\n"
            "    h.update(pd.util.hash_pandas_object(df, index=True).values.tobytes())\n"
            "print(h.hexdigest())\n")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1, outs


# ================================================================================== bounded memory
def test_tallies_merge_as_they_come_and_the_slot_histogram_is_as_wide_as_observed(reform, data):
    p = UncertaintyProblem(reform, data, default_spec(reform, data))
    options = RunOptions(seed=1, draws=300, payout_sample=50)
    parts = [run_chunk(p, options, a, b) for a, b in ((0, 100), (100, 200), (200, 300))]
    forward, backward = Tally.zeros(p), Tally.zeros(p)
    for t in parts:
        forward.add(t)
    for t in reversed(parts):
        backward.add(t)
    for name in ("rank_hist", "grade_hist", "last", "payout_fen", "slot_hist"):
        np.testing.assert_array_equal(getattr(forward, name), getattr(backward, name))
    assert int(forward.rank_hist.sum()) == 300 * p.n_units
    # the award slots: 120 in all, so a (units × 121) histogram per block would do; the most seen is far fewer
    most = int(p.nominal["award_slots"].max())
    assert forward.slot_hist.shape[1] <= 2 * most + 1 < reform.consequences.awards.quota + 1
    assert forward.payout_from == 0 and forward.payout_rows.shape == (50, p.n_units)
    np.testing.assert_array_equal(forward.payout_rows, backward.payout_rows)
    # the running total of a run has room for the kept rows from the start: blocks write into it
    total = Tally.zeros(p, options)
    rows = total.payout_rows
    for t in reversed(parts):
        total.add(t)
    assert total.payout_rows is rows
    np.testing.assert_array_equal(total.payout_rows, forward.payout_rows)


def test_block_size_follows_the_memory_budget(reform, data):
    p = UncertaintyProblem(reform, data, UncertaintySpec(weights=default_spec(reform, data).weights,
                                                         noise=DataNoise(sd=0.02)))
    small = block_size(p, RunOptions(seed=0, draws=1000, memory=50e6), 1)
    large = block_size(p, RunOptions(seed=0, draws=1000, memory=2e9), 1)
    assert 1 <= small < large and small * p.bytes_per_draw() <= 50e6
    assert block_size(p, RunOptions(seed=0, draws=1000, memory=50e6), 4) < small  # four blocks in flight
    assert block_size(p, RunOptions(seed=0, draws=1000, chunk_size=17), 4) == 17


def test_noise_is_applied_to_the_years_the_rules_read_only(reform, data):
    sc = reform.override({"year": 2016})  # a 3-year baseline of a growth reads 2014-2016 (t = 2), not 2017-2018
    p = UncertaintyProblem(sc, data, UncertaintySpec(noise=DataNoise(sd=0.1)))
    c = p.combos[()]
    z = p.sample(0, 0, 0, 4)["noise"]
    noisy = c.noisy(p.noise, z, p.t)
    observed = c.inputs.values
    assert noisy.values.shape == (4, *observed.shape)
    window = slice(c.lo, p.t + 1)
    assert (noisy.values[..., p.t + 1 :] == 0).all()  # never written, never read
    seen = observed[..., window]
    finite = np.isfinite(seen)
    assert (seen[finite] != 0).all() and z.shape[1] == finite.sum()  # one noise coordinate per observed cell
    factor = noisy.values[..., window][:, finite] / seen[finite]
    np.testing.assert_allclose(np.sort(factor, axis=1), np.sort(np.exp(0.1 * z), axis=1), rtol=1e-12)


# ================================================================================== Sobol and SALib
def test_estimator_on_the_ishigami_function():
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = salib_sample.sample(problem, 4096, calc_second_order=False, seed=1)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    ref = salib_sobol.analyze(problem, y, calc_second_order=False, seed=1)
    step = 3 + 2
    a, b = y[0::step], y[step - 1 :: step]
    ab = np.array([y[j + 1 :: step] for j in range(3)])
    ours = sobol_indices(a, b, ab)
    np.testing.assert_allclose(ours["S1"], ref["S1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours["ST"], ref["ST"], rtol=1e-9, atol=1e-12)
    # analytic values: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)
    np.testing.assert_allclose(ours["S1"], [0.3139, 0.4424, 0.0], atol=3 * ref["S1_conf"].max())
    np.testing.assert_allclose(ours["ST"], [0.5576, 0.4424, 0.2437], atol=3 * ref["ST_conf"].max())


def test_sobol_indices_agree_with_salib_on_the_bundled_data(reform, data):
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    spec = UncertaintySpec(weights=(WeightUncertainty(levels=(1,)),
                                    WeightUncertainty(name="weights:Q", children_of=("Q",)),
                                    WeightUncertainty(name="weights:rest", children_of=("B", "P", "S"))),
                           choices=(BLEND,))
    problem = UncertaintyProblem(reform, data, spec)
    sp = problem.salib_problem()
    n = 1024
    x = salib_sample.sample(sp, n, calc_second_order=False, seed=3)
    y = problem.evaluate_uniform(x)["mean_abs_shift"]
    ref = salib_sobol.analyze(sp, y, calc_second_order=False, seed=3)
    g = len(problem.groups)
    step = g + 2
    a, b = y[0::step], y[step - 1 :: step]
    ab = np.array([y[j + 1 :: step] for j in range(g)])
    same = sobol_indices(a, b, ab)  # our estimator on SALib's design: SALib's numbers
    np.testing.assert_allclose(same["S1"], ref["S1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(same["ST"], ref["ST"], rtol=1e-9, atol=1e-12)
    # our own design and draws: within the confidence intervals of both estimates
    res = run_uncertainty(reform, data, spec, draws=n, seed=3, progress=False)
    sens = res.sensitivity.set_index("input").loc[[gr.label for gr in problem.groups]]
    for col in ("S1", "ST"):
        tol = ref[f"{col}_conf"] + sens[f"{col}_conf"].to_numpy() + 0.01
        assert (np.abs(sens[col].to_numpy() - ref[col]) <= tol).all(), (col, sens[col].to_numpy(), ref[col])
    assert list(ref.to_df()[0].index) == [gr.label for gr in problem.groups]
    # the unit-level table has one row per unit and input
    assert len(res.sobol_units) == len(data.units) * g


# ================================================================================= fast path = general
@pytest.mark.parametrize("which", ["reform", "coinr"])
def test_collapsed_leaf_weights_give_the_aggregated_totals(which, reform, data, request):
    if which == "coinr":
        c = request.getfixturevalue("coinr_dir")
        d, sc = read_coinr(c / "a_ASEM_iData.csv", c / "a_ASEM_iMeta.csv")
    else:
        d, sc = data, reform
    plan = compile_plan(sc, d)
    share = leaf_stage(plan, inputs_of(plan), [len(d.years) - 1]).share[:, 0] * 100.0
    rng = np.random.default_rng(2)
    w = plan.tree.weight * rng.uniform(0.5, 1.5, (30, len(plan.tree.nodes)))
    scores, _ = aggregate(plan.tree, share, w)
    have = ~np.isnan(share[0])
    patterns, pid = np.unique(have, axis=0, return_inverse=True)
    e = leaf_weights(plan.tree, w, patterns)[:, np.asarray(pid).reshape(-1), :]
    root = (e * np.nan_to_num(share)).sum(axis=-1)
    np.testing.assert_allclose(root, scores[..., -1], rtol=1e-12, atol=1e-10)
    for k in plan.tree.inner[:-1]:  # every inner node as the top
        ek = leaf_weights(plan.tree, w, patterns, k)[:, np.asarray(pid).reshape(-1), :]
        got = np.where(ek.sum(-1) > 0, (ek * np.nan_to_num(share)).sum(-1), np.nan)
        np.testing.assert_allclose(got, scores[..., k], rtol=1e-12, atol=1e-10)
    fast, _ = aggregate(plan.tree, share, w, nodes=(len(plan.tree.nodes) - 1,))  # the Monte Carlo's path
    np.testing.assert_allclose(fast[..., 0], scores[..., -1], rtol=1e-12, atol=1e-10)


def _general(problem, raw, parts):
    """Each part of a block again with the engine's general procedure (level-by-level aggregation)."""
    leaves = problem.leaves(raw)  # the same noisy values again (the same draws)
    for sel, r in parts:
        key, c = next((k, c) for k, c in problem.combos.items() if c.plan is r.plan)
        inputs, leaf = leaves[key]
        np.testing.assert_array_equal(inputs.values, r.inputs.values)
        w = c.weights(problem.groups, {k: v[sel] for k, v in raw.items()}, len(sel))
        totals = total_stage(c.plan, inputs, leaf, [problem.t], w)
        yield r, totals, rank_stage(c.plan, totals)


def test_fast_totals_equal_the_engine_with_noise(reform, data, full_spec):
    problem = UncertaintyProblem(reform, data, full_spec)
    raw = problem.sample(12, 0, 0, 48)
    parts = problem.evaluate(raw)
    assert len(parts) > 1 and sorted(np.concatenate([s for s, _ in parts]).tolist()) == list(range(48))
    for r, totals, ranks in _general(problem, raw, parts):
        np.testing.assert_allclose(r["score"], totals.final, rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(r["rank"], ranks.rank)
        np.testing.assert_array_equal(r["grade"], ranks.grade)


@pytest.mark.parametrize("change", [
    {"ranking": {"tie_break": ["Q", "B"]}, "adjustments": {"veto": {"rank_last": True}}},
    {"ranking": {"ties": "max"}, "aggregation": {"missing": "zero"}},
    {"ranking": {"ties": "first"}},
])
def test_fast_totals_equal_the_engine_for_tie_breaks_and_tie_rules(reform, data, change):
    sc = reform.override(change)
    problem = UncertaintyProblem(sc, data, default_spec(sc, data))
    raw = problem.sample(3, 0, 0, 64)
    parts = problem.evaluate(raw)
    for r, _, ranks in _general(problem, raw, parts):
        np.testing.assert_array_equal(r["rank"], ranks.rank)
        np.testing.assert_array_equal(r["grade"], ranks.grade)


def test_geometric_trees_take_the_general_path(coinr_dir):
    d, sc = read_coinr(coinr_dir / "a_ASEM_iData.csv", coinr_dir / "a_ASEM_iMeta.csv")
    sc = sc.override({"aggregation": {"method": "geometric"},
                      "defaults": {"scoring": {"rule": "minmax", "range": [1, 100], "over": "all"}}})
    spec = UncertaintySpec(weights=(WeightUncertainty(levels=(1, 2)),))
    problem = UncertaintyProblem(sc, d, spec)
    assert not all_arithmetic(problem.plan.tree)
    raw = problem.sample(5, 0, 0, 32)
    parts = problem.evaluate(raw)
    for r, _, ranks in _general(problem, raw, parts):
        np.testing.assert_array_equal(r["rank"], ranks.rank)
    res = run_uncertainty(sc, d, spec, draws=64, seed=1, progress=False)
    assert res.rank_intervals["q05"].le(res.rank_intervals["q95"]).all()


def test_smoothed_scores_vary_with_the_weights_and_noise_is_refused_with_the_reason():
    """reform_stable ranks on a 3-year mean: the earlier years are scored with each draw's weights; with data
    noise the analysis says it would read those years un-noised and names the command that noises them."""
    from simkit.analysis.uncertainty import default_spec, run_uncertainty
    from simkit.errors import ScenarioError

    stable = simkit.load_scenario("reform_stable")
    data = simkit.load_data()
    res = run_uncertainty(stable, data, default_spec(stable, data), draws=64, seed=3, progress=False)
    nominal = simkit.evaluate(stable, data).units.set_index("unit")["rank"]
    ri = res.rank_intervals.set_index("unit")
    assert ri["nominal_rank"].reindex(nominal.index).tolist() == nominal.tolist()
    with pytest.raises(ScenarioError, match="smooth_years"):
        run_uncertainty(stable, data, default_spec(stable, data, noise=0.02), draws=8, seed=3, progress=False)


def test_blocks_run_with_the_blas_on_one_thread():
    from threadpoolctl import threadpool_info

    from simkit.analysis.uncertainty.run import in_blocks

    seen = []
    for threads in (1, 2):
        in_blocks(lambda a, b: [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"],
                  [(0, 1), (1, 2)], threads, lambda r, n: seen.extend(r))
    assert seen and set(seen) == {1}


def test_freed_memory_is_kept_once_and_not_with_simkit_malloc_system(monkeypatch):
    from simkit.analysis.uncertainty import run
    from simkit.engine import memory

    calls = []
    monkeypatch.setattr(memory, "_mallopt", lambda: lambda *args: calls.append(args) or 1)
    monkeypatch.setattr(memory, "_MALLOC_TUNED", False)
    monkeypatch.delenv("SIMKIT_MALLOC", raising=False)
    assert run.keep_freed_memory is memory.keep_freed_memory  # one implementation, which the blocks call
    run.keep_freed_memory()
    run.keep_freed_memory()
    assert calls == [(-3, 32 * 2**20), (-1, 64 * 2**20)]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, once
    calls.clear()
    monkeypatch.setattr(memory, "_MALLOC_TUNED", False)
    monkeypatch.setenv("SIMKIT_MALLOC", "system")
    run.keep_freed_memory()
    assert calls == []
