"""The fairness and dynamics plots render, with Chinese labels and no missing glyphs."""

from __future__ import annotations

import warnings

import pytest

import simkit
from simkit.analysis import persistence
from simkit.analysis.dynamics import HoldBack, project
from simkit.present import plots
from simkit.present.tables import fairness_table

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def inputs(data, legacy, reform):
    years = (2015, 2016, 2017, 2018)
    hist = {"旧规则": simkit.evaluate_history(legacy, data, years),
            "改革": simkit.evaluate_history(reform, data, years)}
    kw = {"years": 4, "paths": 60, "seed": 1, "units": ["区县市"]}
    proj = {"旧规则": project(legacy, data, **kw), "改革": project(reform, data, **kw)}
    held = project(reform, data, behaviour=[HoldBack()], **kw)
    table = fairness_table([legacy, reform], data, n_boot=100)
    return hist, proj, held, table


def _figures(inputs):
    hist, proj, held, table = inputs
    yield plots.size_rank_scatter(hist, size="gdp")
    yield plots.size_rank_scatter({"改革 2018": hist["改革"][2018]})
    yield plots.persistence_bars({k: p.bottom_persistence() for k, p in proj.items()})
    yield plots.persistence_bars({k: persistence.bottom_persistence(h, bottom=2) for k, h in hist.items()})
    yield plots.target_fan(proj["改革"], "gdp", measure="growth")
    yield plots.target_fan(proj["改革"], "gdp", units=["大通湖区", "HS"], measure="increment", lang="en")
    yield plots.rank_fan(proj)
    yield plots.rank_fan(proj["改革"], units=["大通湖区"])
    yield plots.rank_heatmap(proj["改革"], "大通湖区")
    yield plots.completion_histogram({"无": proj["改革"], "留有余力": held}, "gdp", "increment", cap=1.2)
    yield plots.fairness_forest(table)


def test_every_fairness_plot_renders_without_missing_glyphs(inputs, tmp_path):
    from matplotlib.figure import Figure

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        n = 0
        for k, fig in enumerate(_figures(inputs)):
            assert isinstance(fig, Figure)
            fig.savefig(tmp_path / f"f{k}.png")
            n += 1
    assert n == 11
    bad = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert not bad


def test_plot_labels_are_bilingual(inputs):
    hist, proj, _, _ = inputs
    fig = plots.size_rank_scatter(hist)
    assert fig.axes[0].get_ylabel() == "名次 Rank"
    assert "合成数据" in " ".join(t.get_text() for t in fig.texts)
    en = plots.rank_heatmap(proj["改革"], "DTH", lang="en")
    assert en.axes[0].get_ylabel() == "Rank"
    with pytest.raises(ValueError, match="lang"):
        plots.size_rank_scatter(hist, lang="fr")
