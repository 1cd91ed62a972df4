"""The ``Dataset``: derived arrays, the bundled data, subsets, and inputs that are never modified."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import simkit
from simkit.io.dataset import BUNDLED
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
