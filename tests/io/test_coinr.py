"""Parity with COINr (the JRC's composite-indicator package) on its ASEM example data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.errors import DataError


@pytest.fixture(scope="module")
def asem(coinr_dir):
    data, scenario = simkit.read_coinr(coinr_dir / "a_ASEM_iData.csv", coinr_dir / "a_ASEM_iMeta.csv")
    return simkit.evaluate(scenario, data)


def test_reads_the_tree_directions_and_weights(asem, coinr_dir):
    meta = pd.read_csv(coinr_dir / "a_ASEM_iMeta.csv")
    ind = asem.data.indicators.set_index("indicator")
    tree = meta[meta["Type"].isin(["Indicator", "Aggregate"])].set_index("iCode")
    assert set(ind.index) == set(tree.index)
    assert (ind.loc[tree.index, "direction"] == tree["Direction"]).all()
    assert len(asem.data.units) == 51
    assert asem.data.observations["value"].isna().sum() == 63  # COINr's README: 63 missing cells


def test_every_level_matches_b_amean_aggregated_all(asem, coinr_dir):
    ref = pd.read_csv(coinr_dir / "b_amean_aggregated_all.csv").set_index("uCode")
    ours = asem.scores.loc[ref.index]
    # Leaves: simkit keeps the raw value for indicators; compare normalised scores for them.
    leaves = list(asem.plan.tree.leaves)
    norm = pd.read_csv(coinr_dir / "b_amean_normalised.csv").set_index("uCode")
    np.testing.assert_allclose(ours[leaves].to_numpy(), norm.loc[ref.index, leaves].to_numpy(), atol=1e-9)
    aggregates = [c for c in ref.columns if c not in leaves]
    assert aggregates, "the reference has aggregate columns"
    np.testing.assert_allclose(ours[aggregates].to_numpy(), ref[aggregates].to_numpy(), atol=1e-9, rtol=0)


def test_index_scores_and_ranks(asem, coinr_dir):
    ref = pd.read_csv(coinr_dir / "b_amean_index_scores_ranks.csv").set_index("uCode")
    units = asem.units.set_index("unit").loc[ref.index]
    np.testing.assert_allclose(units["score"].to_numpy(), ref["Index"].to_numpy(), atol=1e-9, rtol=0)
    assert (units["rank"].astype(int).to_numpy() == ref["Rank"].to_numpy()).all()


def test_group_ranks_within_gdppc_group(coinr_dir):
    data, scenario = simkit.read_coinr(coinr_dir / "a_ASEM_iData.csv", coinr_dir / "a_ASEM_iMeta.csv",
                                       group="GDPpc_group")
    result = simkit.evaluate(scenario, data)
    ref = pd.read_csv(coinr_dir / "b_amean_results_Aggs_groupranks_GDPpc_group.csv").set_index("uCode")
    ranks = result.node_ranks().rename(columns={"total": "Index"})
    cols = [c for c in ref.columns if c != "GDPpc_group"]
    assert (ranks.loc[ref.index, cols].to_numpy(dtype=int) == ref[cols].to_numpy()).all()
    groups = result.units.set_index("unit").loc[ref.index, "group"]
    assert (groups == ref["GDPpc_group"]).all()


def test_missing_group_column_is_a_clear_error(coinr_dir):
    with pytest.raises(DataError, match="group column"):
        simkit.read_coinr(coinr_dir / "a_ASEM_iData.csv", coinr_dir / "a_ASEM_iMeta.csv", group="Nope_group")
