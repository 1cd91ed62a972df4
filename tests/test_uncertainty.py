"""simkit.uncertainty: hand-checked small cases, reproducibility (seed, chunk size, dask), Sobol indices
against SALib, what-would-it-take, and the fast paths (collapsed weights, one-sort ranks, grades by place)
against the general procedures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import simkit.grading as grading_module
from click.testing import CliRunner
from simkit.aggregation import aggregate, leaf_weights
from simkit.data import build_dataset
from simkit.ranking import _group_rank_each, group_ranks
from simkit.scenario import Grade, Grading, Veto, scenario_from_dict
from simkit.uncertainty import (
    DataNoise,
    RuleChoice,
    UncertaintyProblem,
    UncertaintySpec,
    WeightUncertainty,
    default_spec,
    main_effects,
    run_uncertainty,
    sobol_indices,
    what_would_it_take,
)

import simkit
from simkit.engine import compile_model, leaf_stage, rank_stage, total_stage
from simkit.errors import EvaluationError, ScenarioError

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


def test_spec_problems_name_the_input(reform, data):
    with pytest.raises(ScenarioError, match="nope"):
        UncertaintyProblem(reform, data, UncertaintySpec(weights=(WeightUncertainty(nodes=("nope",)),)))
    with pytest.raises(ScenarioError, match="no level 7"):
        UncertaintyProblem(reform, data, UncertaintySpec(weights=(WeightUncertainty(levels=(7,)),)))
    bad = RuleChoice(name="bad", alternatives={"x": {"ranking": {"ties": "sideways"}}})
    with pytest.raises(ScenarioError, match="choice 'bad', alternative 'x'"):
        UncertaintyProblem(reform, data, UncertaintySpec(choices=(bad,)))
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


# ============================================================================== what would it take
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


def test_what_would_it_take_by_hand():
    r = _one_indicator({"A": 10.0, "B": 8.0, "C": 5.0})
    w = what_would_it_take(r, "B", "x")  # a tie with A at 10 shares 优秀 (ties: share)
    assert w.feasible and w.grade_now == "一般" and w.grade_then == "优秀"
    assert w.required_value == pytest.approx(10.0, abs=1e-6) and w.change == pytest.approx(2.0, abs=1e-6)
    assert w.change_pct == pytest.approx(25.0, abs=1e-4) and w.rank_then == 1
    assert "10" in w.text("zh") and "优秀" in w.text("zh") and "Good" not in w.text("en")
    strict = what_would_it_take(_one_indicator({"A": 10.0, "B": 8.0, "C": 5.0}, ties="exclude"), "B", "x")
    assert 10.0 < strict.required_value < 10.0 + 1e-5  # must pass A
    low = what_would_it_take(_one_indicator({"A": 5.0, "B": 8.0, "C": 10.0}, direction=-1), "C", "x")
    assert low.required_value == pytest.approx(5.0, abs=1e-6)  # lower is better: down to A's 5
    top = what_would_it_take(r, "A", "x")
    assert not top.feasible and "best grade" in top.note


def test_what_would_it_take_when_nothing_helps():
    capped = {"target": {"rule": "uniform", "value": 1.0}, "scoring": {"rule": "completion", "cap": 1.0}}
    r = _one_indicator({"A": 3.0, "B": 2.0, "C": 2.0}, scoring=capped)  # all capped at full marks: all tied
    w = what_would_it_take(r, "B", "x")
    assert w.grade_now == "优秀" or not w.feasible
    with pytest.raises(EvaluationError, match="no unit"):
        what_would_it_take(r, "Q", "x")
    with pytest.raises(EvaluationError, match="not a leaf"):
        what_would_it_take(r, "A", "nope")


def test_what_would_it_take_on_the_bundled_data(reform, data):
    res = run_uncertainty(reform, data, default_spec(reform, data), draws=20, seed=0, progress=False, sobol=False)
    w = res.what_would_it_take("资阳区", "fiscal_rev")
    model = res.model
    li, ui = model.tree.leaves.index("fiscal_rev"), list(data.unit_ids).index("ZY")

    def grade_at(v):
        x = model.values.copy()[None]
        x[0, ui, li, model.t] = v
        return int(rank_stage(model, total_stage(model, leaf_stage(model, x))).grade[0, ui])

    names = [g.name for g in reform.grading.grades]
    assert w.feasible, w.note
    assert names[grade_at(w.required_value)] == w.grade_then
    assert names.index(w.grade_then) < names.index(w.grade_now)
    assert grade_at(w.value + 0.999 * (w.required_value - w.value)) == names.index(w.grade_now)


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


# ================================================================================= fast paths = general
def test_one_sort_ranks_equal_rule_by_rule_ranks():
    rng = np.random.default_rng(0)
    for trial in range(400):
        n = int(rng.integers(1, 15))
        shape = (*tuple(rng.integers(1, 4, size=rng.integers(0, 3))), n)
        x = np.round(rng.random(shape) * 3, int(rng.integers(0, 3)))
        x[rng.random(shape) < 0.1] = np.nan
        x[rng.random(shape) < 0.05] = np.inf
        codes = rng.integers(0, 3, n)
        dec = [None, 0, 6][trial % 3]
        rules = ("min", "max", "dense", "min")
        for t, r in zip(rules, group_ranks(x, codes, rules, decimals=dec), strict=True):
            np.testing.assert_array_equal(r, _group_rank_each(x, codes, t, (), dec))


def test_grades_by_place_equal_the_general_procedure(monkeypatch):
    rng = np.random.default_rng(1)
    for _ in range(300):
        grades = []
        for k in range(int(rng.integers(1, 4))):
            c = int(rng.integers(0, 3))
            grades.append(Grade(name=f"t{k}", share=float(rng.choice([0.1, 0.25, 0.5])) if c == 0 else None,
                                count=int(rng.integers(0, 4)) if c == 1 else None))
        grades.append(Grade(name="rest"))
        for k in range(int(rng.integers(0, 3))):
            kw = {"count": int(rng.integers(0, 3))} if rng.random() < 0.5 else {"share": 0.2}
            grades.append(Grade(name=f"b{k}", **kw, **{"from": "bottom"}))
        g = Grading(grades=tuple(grades), rounding=str(rng.choice(["floor", "round", "ceil"])),
                    ties=str(rng.choice(["share", "exclude"])))
        u = int(rng.integers(1, 12))
        s = np.round(rng.random((6, u)) * 4, 0 if rng.random() < 0.5 else 2)
        s[rng.random((6, u)) < 0.1] = np.nan
        codes = rng.integers(0, 3, u)
        lo, hi = group_ranks(s, codes, ("min", "max"))
        vetoed = rng.random((6, u)) < 0.2
        veto = None if rng.random() < 0.5 else Veto()
        monkeypatch.setattr(grading_module, "_FAST_PATH", True)
        fast = grading_module.assign_grades(s, lo, hi, codes, g, vetoed, veto)
        monkeypatch.setattr(grading_module, "_FAST_PATH", False)
        slow = grading_module.assign_grades(s, lo, hi, codes, g, vetoed, veto)
        np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("which", ["reform", "coinr"])
def test_collapsed_leaf_weights_give_the_aggregated_totals(which, reform, data, request):
    if which == "coinr":
        c = request.getfixturevalue("coinr_dir")
        d, sc = simkit.read_coinr(c / "a_ASEM_iData.csv", c / "a_ASEM_iMeta.csv")
    else:
        d, sc = data, reform
    model = compile_model(sc, d)
    share = leaf_stage(model).share * 100.0
    rng = np.random.default_rng(2)
    w = model.tree.weight * rng.uniform(0.5, 1.5, (30, len(model.tree.nodes)))
    scores, _ = aggregate(model.tree, share, w)
    have = ~np.isnan(share[0])
    patterns, pid = np.unique(have, axis=0, return_inverse=True)
    e = leaf_weights(model.tree, w, patterns)[:, np.asarray(pid).reshape(-1), :]
    root = (e * np.nan_to_num(share)).sum(axis=-1)
    np.testing.assert_allclose(root, scores[..., -1], rtol=1e-12, atol=1e-10)
    for k in model.tree.inner[:-1]:  # every inner node as the top
        ek = leaf_weights(model.tree, w, patterns, k)[:, np.asarray(pid).reshape(-1), :]
        got = np.where(ek.sum(-1) > 0, (ek * np.nan_to_num(share)).sum(-1), np.nan)
        np.testing.assert_allclose(got, scores[..., k], rtol=1e-12, atol=1e-10)


def test_fast_totals_equal_the_engine_with_noise(reform, data, full_spec):
    problem = UncertaintyProblem(reform, data, full_spec)
    raw = problem.sample(12, 0, 0, 48)
    out, leaf = problem.evaluate(raw)
    for key, rows in problem._choice_keys(raw, 48):
        c = problem._combo(key)
        share, value = leaf[key]
        totals = total_stage(c.model, simkit.engine.LeafStage(value, {}, share), problem._weights(c, raw, rows))
        ranks = rank_stage(c.model, totals)
        np.testing.assert_allclose(out.final[rows], totals.final, rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(out.rank[rows], ranks.rank)
        np.testing.assert_array_equal(out.grade[rows], ranks.grade)


# ============================================================================================ the CLI
def test_cli_uncertainty_writes_the_tables(tmp_path):
    from simkit.cli import main

    out = tmp_path / "u"
    res = CliRunner().invoke(main, ["uncertainty", "yiyang_2018_reform", "--draws", "200", "--seed", "4",
                                    "--out", str(out), "--spread", "0.2", "--noise", "0.02", "--chunk-size", "64"])
    assert res.exit_code == 0, res.output
    assert "赫山区" in res.output and "Sobol" in res.output
    ri = pd.read_csv(out / "rank_intervals.csv", encoding="utf-8-sig")
    assert list(ri.columns) == ["unit", "name", "group", "nominal_rank", "median_rank", "q05", "q95",
                                "p_优秀", "p_良好", "p_一般", "p_较差", "data_note"]
    assert ri["data_note"].str.contains("合成数据").all()  # the bundled data are synthetic, and every output says so
    sens = pd.read_csv(out / "sensitivity.csv", encoding="utf-8-sig")
    assert list(sens["input"]) == ["weights:level1", "weights:Q", "weights:B", "weights:P", "weights:S", "noise"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 4 and manifest["draws"] == 200 and manifest["cli"]["spread"] == 0.2
    again = tmp_path / "v"
    CliRunner().invoke(main, ["uncertainty", "yiyang_2018_reform", "--draws", "200", "--seed", "4", "--out",
                              str(again), "--spread", "0.2", "--noise", "0.02"])
    assert (again / "rank_intervals.csv").read_bytes() == (out / "rank_intervals.csv").read_bytes()


def test_cli_uncertainty_bad_input_is_a_clear_error(tmp_path):
    from simkit.cli import main

    res = CliRunner().invoke(main, ["uncertainty", "no_such_scenario.yaml", "--draws", "10", "--out",
                                    str(tmp_path)])
    assert res.exit_code == 2 and "does not exist" in res.output


# ============================================================================================== plots
def test_plots_return_figures(reform, data):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from simkit.plots import plot_rank_intervals, plot_sobol, plot_weights_vs_effects

    res = run_uncertainty(reform, data, default_spec(reform, data), draws=200, seed=1, progress=False)
    for fig in (plot_rank_intervals(res), plot_rank_intervals(res, group="区县市"), plot_sobol(res),
                plot_weights_vs_effects(res)):
        assert isinstance(fig, Figure)


@pytest.mark.parametrize("change", [
    {"ranking": {"tie_break": ["Q", "B"]}, "adjustments": {"veto": {"rank_last": True}}},
    {"ranking": {"ties": "max"}, "aggregation": {"missing": "zero"}},
    {"ranking": {"ties": "first"}},
])
def test_fast_totals_equal_the_engine_for_tie_breaks_and_tie_rules(reform, data, change):
    sc = reform.override(change)
    problem = UncertaintyProblem(sc, data, default_spec(sc, data))
    raw = problem.sample(3, 0, 0, 64)
    out = problem.evaluate(raw)[0]
    c = problem._combo(())
    totals = total_stage(c.model, c.leaf0, problem._weights(c, raw, np.arange(64)))
    ranks = rank_stage(c.model, totals)
    np.testing.assert_array_equal(out.rank, ranks.rank)
    np.testing.assert_array_equal(out.grade, ranks.grade)


def test_geometric_trees_take_the_general_path(coinr_dir):
    d, sc = simkit.read_coinr(coinr_dir / "a_ASEM_iData.csv", coinr_dir / "a_ASEM_iMeta.csv")
    sc = sc.override({"aggregation": {"method": "geometric"},
                      "defaults": {"scoring": {"rule": "minmax", "range": [1, 100], "over": "all"}}})
    spec = UncertaintySpec(weights=(WeightUncertainty(levels=(1, 2)),))
    problem = UncertaintyProblem(sc, d, spec)
    assert not problem._combo(()).fast
    raw = problem.sample(5, 0, 0, 32)
    out = problem.evaluate(raw)[0]
    c = problem._combo(())
    ranks = rank_stage(c.model, total_stage(c.model, c.leaf0, problem._weights(c, raw, np.arange(32))))
    np.testing.assert_array_equal(out.rank, ranks.rank)
    res = run_uncertainty(sc, d, spec, draws=64, seed=1, progress=False)
    assert res.rank_intervals["q05"].le(res.rank_intervals["q95"]).all()


def test_same_seed_same_output_in_another_process():
    """The tree's inner-node order can change with Python's hash seed; the draws must not."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    code = ("import hashlib, pandas as pd, simkit\n"
            "from simkit.uncertainty import *\n"
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
