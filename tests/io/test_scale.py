"""The synthetic scale data of benchmarks/scale_data.py: what it writes, and that it reads."""

from __future__ import annotations

import pandas as pd

from benchmarks.scale_data import write_scale_data
from simkit.io.read import load_data


def test_scale_data_reads(tmp_path):
    folder = write_scale_data(tmp_path / "s", 130, n_indicators=10, years=4, seed=2)
    assert "SYNTHETIC" in (folder / "README.md").read_text("utf-8")
    data = load_data(folder)
    assert data.synthetic
    assert len(data.units) == 130 and len(data.leaves) == 10 and len(data.years) == 4
    assert len(data.observations) == 130 * 10 * 4
    sizes = data.units["group"].value_counts()
    assert sizes.min() >= 8 and sizes.max() <= 50
    ind = data.indicators
    assert ind.loc[ind["parent"].isna(), "weight"].sum() == 100 and ind["parent"].nunique() == 4
    assert ind.loc[ind["parent"].notna(), "weight"].sum() == 100
    assert {"headcount", "bonus_per_head"} <= set(data.attributes)
    assert {"bonus", "veto"} <= set(data.adjustments["kind"]) and len(data.targets)


def test_scale_data_without_the_optional_tables(tmp_path):
    folder = write_scale_data(tmp_path / "s", 20, n_indicators=5, years=2, targets=False, adjustments=False)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "indicators.csv", "observations.csv",
                                                        "units.csv"]
    assert pd.read_csv(folder / "observations.csv")["value"].notna().mean() > 0.9
