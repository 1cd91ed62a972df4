"""Reading data sets: CSV folders and Excel workbooks give the same data; derived arrays; fingerprints."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from simkit.data import BUNDLED, TABLES, build_dataset
from simkit.excel import HEADERS

import simkit


def _workbook_from_csv(folder, path, chinese_headers: bool):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in TABLES:
        f = folder / f"{table}.csv"
        if not f.exists():
            continue
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        ws = wb.create_sheet(table)
        heads = [f"{HEADERS[table].get(c, c)} {c}" if chinese_headers and c in HEADERS[table] else c
                 for c in frame.columns]
        ws.append(heads)
        for row in frame.itertuples(index=False):
            ws.append([_cell(v) for v in row])
    wb.save(path)


def _cell(v: str):
    try:
        return float(v) if v != "" else None
    except ValueError:
        return v


@pytest.mark.parametrize("chinese", [False, True])
def test_workbook_and_csv_folder_give_the_same_data(tmp_path, data, chinese):
    book = tmp_path / "data.xlsx"
    _workbook_from_csv(BUNDLED, book, chinese)
    from_book = simkit.load_data(book)
    assert from_book.fingerprint() == data.fingerprint()
    assert from_book.years == data.years


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


def test_fingerprint_ignores_row_order(data):
    shuffled = {t: getattr(data, t).sample(frac=1.0, random_state=3).astype(str) for t in
                ("units", "indicators", "observations", "targets", "adjustments")}
    for t, f in shuffled.items():
        shuffled[t] = f.replace({"nan": "", "None": "", "<NA>": ""})
    again = build_dataset(shuffled)
    assert again.fingerprint() == data.fingerprint()


def test_inputs_are_not_modified(tmp_path):
    import shutil

    folder = tmp_path / "d"
    shutil.copytree(BUNDLED, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data(folder))
    assert len(result.units)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_missing_values_are_nan_in_the_cube():
    raw = {
        "units": pd.DataFrame({"unit": ["a", "b"], "name": ["甲", "乙"], "group": ["g", "g"]}),
        "indicators": pd.DataFrame({"indicator": ["x"], "name": ["X"]}),
        "observations": pd.DataFrame({"unit": ["a", "b"], "indicator": ["x", "x"], "year": ["2018", "2018"],
                                      "value": ["1.5", ""]}),
    }
    d = build_dataset(raw)
    assert d.cube[0, 0, 0] == 1.5 and np.isnan(d.cube[1, 0, 0])
