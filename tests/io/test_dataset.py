"""The ``Dataset``: derived arrays, the bundled data, subsets, and inputs that are never modified."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.io.dataset import BUNDLED, positions
from simkit.io.read import load_data


def test_cube_matches_observations(data):
    obs = data.observations.sample(50, random_state=1)
    for row in obs.itertuples():
        u = data.unit_ids.index(row.unit)
        i = data.leaves.index(row.indicator)
        t = data.years.index(row.year)
        assert data.cube[u, i, t] == pytest.approx(row.value)


def test_bundled_data_shape(data):
    counties = data.units[data.units["group"] == "区县市"]
    assert len(counties) == 8
    assert set(counties["name"]) == {"赫山区", "资阳区", "沅江市", "南县", "桃江县", "安化县", "大通湖区", "益阳高新区"}
    departments = data.units[data.units["track"] == "市直单位"]
    assert len(departments) >= 40 and departments["group"].nunique() == 8
    assert len(data.years) >= 5
    ind = data.indicators.set_index("indicator")
    county_leaves = [lf for lf in data.leaves if ind.at[lf, "track"] == "区县市"]
    assert len(county_leaves) == 29
    assert set(ind.loc[county_leaves, "parent"]) == {"Q", "B", "P", "S"}
    gdp = data.observations[(data.observations["indicator"] == "gdp")]
    assert gdp[gdp["year"] == 2015]["value"].sum() == pytest.approx(1354, rel=0.01)
    assert gdp[gdp["year"] == 2018]["value"].sum() == pytest.approx(1782, rel=0.01)


def test_columns_and_attributes(data):
    assert list(data.indicators.columns) == ["indicator", "name", "name_en", "parent", "measure_unit", "track",
                                             "kind", "direction", "weight"]
    assert data.attributes == ("population", "area_km2", "headcount", "bonus_per_head")
    assert data.applicable.shape == (len(data.unit_ids), len(data.leaves))
    bonus, deduction, vetoes = data.adjustment_arrays
    assert bonus.shape == deduction.shape == (len(data.unit_ids), len(data.years)) and vetoes
    assert np.isfinite(data.assigned).any()


def test_subsets(data):
    counties = data.subset_units(["区县市"])
    assert len(counties.units) == 8 and set(counties.observations["unit"]) <= set(counties.unit_ids)
    q = data.subset_indicators(["Q", "gdp"])
    assert q.leaves == ("gdp",)


def test_inputs_are_not_modified(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(BUNDLED, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"), load_data(folder))
    assert len(result.units)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_group_en(data):
    assert data.group_en["区县市"] == "Counties and districts"
    assert set(data.group_en) == set(data.units["group"])
    units = data.units.assign(group_en="")
    import dataclasses

    bare = dataclasses.replace(data, units=units, _cache={})
    assert bare.group_en["区县市"] == "区县市"  # no English name: the group itself


# ------------------------------------------------------------------ positions: one lookup per run of rows
_labels = st.lists(st.sampled_from(["U1", "U2", "U3", "县", "x"]), min_size=1, max_size=5, unique=True)


@given(labels=_labels, rows=st.lists(st.tuples(st.sampled_from(["U1", "U2", "U3", "县", "x", "zz"]),
                                               st.integers(1, 5)), max_size=40))
@settings(max_examples=200, deadline=None)
def test_positions_equal_a_lookup_of_every_row(labels, rows):
    column = pd.Series([v for v, n in rows for _ in range(n)], dtype="str")
    assert positions(tuple(labels), column).tolist() == pd.Index(labels).get_indexer(column).tolist()


def test_positions_of_years_missing_values_and_no_runs():
    assert positions((2016, 2017), pd.Series([2016, 2016, 2017, 2018])).tolist() == [0, 0, 1, -1]
    assert positions(("a", "b"), pd.Series(["a", "a", pd.NA, "b"], dtype=object)).tolist() == [0, 0, -1, 1]
    assert positions(("a", "b"), pd.Series(["b", "a", "b", "a"])).tolist() == [1, 0, 1, 0]  # no run: per row
    assert positions(("a",), pd.Series([], dtype="str")).tolist() == []


def test_cube_of_shuffled_observations_is_the_same(data):
    """Rows in any order give the same cube (the runs are a shortcut, not an assumption)."""
    shuffled = data.observations.sample(frac=1.0, random_state=3).reset_index(drop=True)
    other = replace(data, observations=shuffled, _cache={})
    assert other.cube is not data.cube
    np.testing.assert_array_equal(other.cube, data.cube)
    np.testing.assert_array_equal(other.annual("sum"), data.annual("sum"))
