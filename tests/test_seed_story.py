"""The bundled data show the seed's complaint, and the reform answers it."""

from __future__ import annotations

import simkit
from simkit.analysis.fairness import size_rho
from simkit.io.dataset import BUNDLED


def test_legacy_ranking_follows_size_and_the_reform_does_not(data, legacy, reform):
    rho_legacy = size_rho(simkit.evaluate(legacy, data), "gdp", "区县市")
    rho_reform = size_rho(simkit.evaluate(reform, data), "gdp", "区县市")
    assert rho_legacy >= 0.8
    assert rho_reform <= 0.4
    # The figures the README shows.
    assert round(rho_legacy, 3) == 0.905
    assert round(rho_reform, 3) == 0.143


def test_under_legacy_the_biggest_county_tops_every_year(data, legacy):
    history = simkit.evaluate_history(legacy, data)
    assert len(history) >= 5
    for result in history.values():
        counties = result.units[result.units["group"] == "区县市"]
        gdp = data.value("gdp", result.year)
        top = counties.loc[counties["rank"] == 1, "unit"].iat[0]
        assert top == gdp.loc[counties["unit"]].idxmax()


def test_the_data_are_labelled_synthetic(data):
    assert data.synthetic
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert "合成数据" in readme and "SYNTHETIC" in readme.upper()
