"""Parity with COINr's uncertainty analysis on its ASEM example: replaying the weight sets COINr drew
(``d_UA_weights_N100_weight_sets_used.csv``: pillar and sub-index weights within ±25% of nominal, 100 draws)
through simkit gives COINr's rank of every unit in every draw and its rank statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.analysis.sensitivity import replay_weights
from simkit.analysis.uncertainty import UncertaintyProblem, UncertaintySpec, WeightUncertainty
from simkit.engine.compile import compile_plan
from simkit.io.coinr import read_coinr

REPS = [f"r_{k}" for k in range(1, 101)]


@pytest.fixture(scope="module")
def asem(coinr_dir):
    return read_coinr(coinr_dir / "a_ASEM_iData.csv", coinr_dir / "a_ASEM_iMeta.csv")


@pytest.fixture(scope="module")
def weight_sets(coinr_dir):
    return pd.read_csv(coinr_dir / "d_UA_weights_N100_weight_sets_used.csv")


@pytest.fixture(scope="module")
def replay(asem, weight_sets):
    data, scenario = asem
    return replay_weights(compile_plan(scenario, data), weight_sets)


def test_replayed_ranks_equal_every_draw_of_coinr(replay, coinr_dir):
    ref = pd.read_csv(coinr_dir / "d_UA_weights_N100_Ranks_all_reps.csv").set_index("uCode")
    ours = replay.ranks.loc[ref.index]
    assert list(ours.columns) == ["nominal", *REPS]
    np.testing.assert_array_equal(ours["nominal"].to_numpy(), ref["Nominal"].to_numpy())
    np.testing.assert_array_equal(ours[REPS].to_numpy(), ref[REPS].to_numpy())  # 5,100 ranks, all equal


def test_replayed_rank_stats_equal_coinr(replay, coinr_dir):
    ref = pd.read_csv(coinr_dir / "d_UA_weights_N100_RankStats.csv").set_index("uCode")
    ours = replay.rank_stats.set_index("unit").loc[ref.index]
    for col, theirs in (("nominal_rank", "Nominal"), ("mean_rank", "Mean"), ("median_rank", "Median"),
                        ("q05", "Q5"), ("q95", "Q95")):
        # the CSV keeps 15 significant digits; numpy's default quantile is R's type 7
        np.testing.assert_allclose(ours[col].to_numpy(), ref[theirs].to_numpy(), rtol=0, atol=1e-12)


def test_nominal_scores_equal_coinr(replay, coinr_dir):
    ref = pd.read_csv(coinr_dir / "d_UA_weights_N100_Nominal.csv").set_index("uCode")
    np.testing.assert_allclose(replay.scores.loc[ref.index, "nominal"].to_numpy(), ref["Score"].to_numpy(),
                               rtol=0, atol=1e-9)


def test_replay_from_a_result_equals_replay_from_the_plan(asem, weight_sets, replay):
    data, scenario = asem
    again = replay_weights(simkit.evaluate(scenario, data), weight_sets)
    pd.testing.assert_frame_equal(again.ranks, replay.ranks, check_exact=True)
    pd.testing.assert_frame_equal(again.scores, replay.scores, check_exact=True)


def test_the_monte_carlo_pipeline_reproduces_the_draws(asem, weight_sets, coinr_dir):
    """The same draws as uniforms of a ±25% spec, through the fast path (collapsed leaf weights, one sort)."""
    data, scenario = asem
    spec = UncertaintySpec(weights=(WeightUncertainty(name="weights:COINr", levels=(1, 2), spread=0.25),))
    problem = UncertaintyProblem(scenario, data, spec)
    tree = problem.plan.tree
    nodes = list(problem.weight_nodes["weights:COINr"])  # the coordinates' order
    assert sorted(nodes) == sorted(tree.nodes[k] for k in range(len(tree.nodes) - 1) if tree.depth[k] in (1, 2))
    w = weight_sets.pivot_table(index="rep", columns="iCode", values="Weight")[nodes].to_numpy()
    u = (w / tree.weight[[tree.index(n) for n in nodes]] - 1.0) / (2 * 0.25) + 0.5  # factor = 1 + 0.25(2u − 1)
    assert ((u >= 0) & (u <= 1)).all()
    rank = problem.ranks(problem.evaluate({"weights:COINr": u}, money=False), len(u))
    ref = pd.read_csv(coinr_dir / "d_UA_weights_N100_Ranks_all_reps.csv").set_index("uCode")
    order = pd.Index(data.unit_ids).get_indexer(ref.index)
    np.testing.assert_array_equal(rank[:, order].T, ref[REPS].to_numpy())


def test_replay_rejects_unknown_nodes(asem):
    data, scenario = asem
    frame = pd.DataFrame({"rep": [1], "iCode": ["NoSuchNode"], "Weight": [1.0]})
    with pytest.raises(simkit.ScenarioError, match="NoSuchNode"):
        replay_weights(compile_plan(scenario, data), frame)
