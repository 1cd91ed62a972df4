"""simkit.plots (core): every figure renders with Chinese labels and no missing glyph, in both languages."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

import simkit
from simkit.present import plots
from simkit.present.fonts import FAMILY
from simkit.present.plots import core


@pytest.fixture(scope="module")
def results(data, reform, legacy):
    return simkit.evaluate(reform, data), simkit.evaluate(legacy, data)


@pytest.fixture(scope="module")
def comparison(data, reform, legacy):
    return simkit.compare(legacy, reform, data)


def _texts(fig: Figure) -> str:
    """Every piece of text drawn on the figure (titles, ticks, labels, legends, annotations)."""
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def _render(fig: Figure, path: Path, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Save ``fig`` as PNG; return every missing-glyph or font-fallback warning raised while drawing."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        fig.savefig(path, dpi=60)
    assert path.stat().st_size > 5000
    problems = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    problems += [r.getMessage() for r in caplog.records if "findfont" in r.getMessage() or "Glyph" in r.getMessage()]
    return problems


CASES = {
    "ranking_group": lambda r, lg, c: core.ranking_figure(r, group="区县市"),
    "ranking_all": lambda r, lg, c: core.ranking_figure(r),
    "bump_comparison": lambda r, lg, c: core.bump_chart(c, group="区县市"),
    "bump_three": lambda r, lg, c: core.bump_chart([lg, r, lg], group="经济发展类"),
    "payouts_group": lambda r, lg, c: core.payouts_figure(r, group="区县市"),
    "payouts_all": lambda r, lg, c: core.payouts_figure(lg),
    "waterfall_county": lambda r, lg, c: core.waterfall_figure(r, "南县"),
    "waterfall_department_top": lambda r, lg, c: core.waterfall_figure(lg, "D14", top=5),
    "grades": lambda r, lg, c: core.grades_figure(r),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", list(CASES))
def test_figure_renders_without_missing_glyphs(case, lang, results, comparison, tmp_path, caplog) -> None:
    reform_result, legacy_result = results
    with matplotlib.rc_context():
        fig = CASES[case](reform_result, legacy_result, comparison)
        if lang == "en":  # same call in English
            fig = _english(case, reform_result, legacy_result, comparison)
        assert isinstance(fig, Figure)
        assert matplotlib.rcParams["font.family"][0] == FAMILY, "the plot must switch to the bundled font"
        missing = _render(fig, tmp_path / f"{case}_{lang}.png", caplog)
    assert missing == []
    text = _texts(fig)
    assert "synthetic data" in text, "a figure from synthetic data says so"
    if lang == "zh":
        assert "合成数据" in text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("合成数据，仅供演示", ""))


def _english(case: str, r, lg, c) -> Figure:
    calls = {
        "ranking_group": lambda: core.ranking_figure(r, group="区县市", lang="en"),
        "ranking_all": lambda: core.ranking_figure(r, lang="en"),
        "bump_comparison": lambda: core.bump_chart(c, group="区县市", lang="en"),
        "bump_three": lambda: core.bump_chart([lg, r, lg], group="经济发展类", lang="en"),
        "payouts_group": lambda: core.payouts_figure(r, group="区县市", lang="en"),
        "payouts_all": lambda: core.payouts_figure(lg, lang="en"),
        "waterfall_county": lambda: core.waterfall_figure(r, "南县", lang="en"),
        "waterfall_department_top": lambda: core.waterfall_figure(lg, "D14", lang="en", top=5),
        "grades": lambda: core.grades_figure(r, lang="en"),
    }
    return calls[case]()


def test_labels_follow_lang(results) -> None:
    r, _ = results
    zh = core.ranking_figure(r, group="区县市")
    en = core.ranking_figure(r, group="区县市", lang="en")
    zh_ticks = [t.get_text() for t in zh.axes[0].get_yticklabels()]
    en_ticks = [t.get_text() for t in en.axes[0].get_yticklabels()]
    assert zh_ticks[0] == "1. 大通湖区" and en_ticks[0] == "1. Datonghu District"
    assert zh.axes[0].get_xlabel() == "总分 Score" and en.axes[0].get_xlabel() == "Score"
    assert "区县市" in zh.axes[0].get_title() and "Counties and districts" in en.axes[0].get_title()


def test_ranking_order_and_grade_colours(results) -> None:
    r, _ = results
    fig = core.ranking_figure(r, group="区县市")
    ax = fig.axes[0]
    names = [t.get_text().split(". ", 1)[1] for t in ax.get_yticklabels()]
    u = r.units[r.units["group"] == "区县市"]
    assert names == list(u["name"])
    colours = core.grade_colours([g.name for g in r.scenario.grading.grades])
    bars = [p for p in ax.patches if p.get_height() > 0.5]
    expected = [matplotlib.colors.to_rgba(colours[g]) for g in u["grade"]]
    assert [b.get_facecolor() for b in bars] == expected


def test_bump_chart_from_comparison_equals_two_results(comparison) -> None:
    a = core.bump_chart(comparison, group="区县市")
    b = core.bump_chart(comparison.base, comparison.reform, group="区县市")
    assert _texts(a) == _texts(b)
    # 大通湖区 moves from last to first: its right-hand label says so
    assert "1  大通湖区 (+7)" in _texts(a)


def test_waterfall_ends_at_the_total(results) -> None:
    r, _ = results
    fig = core.waterfall_figure(r, "DTH")
    score = float(r.units.set_index("unit").loc["DTH", "score"])
    ax = fig.axes[0]
    total_bar = max(ax.patches, key=lambda p: p.get_y())  # the last row
    assert total_bar.get_width() == pytest.approx(score, abs=1e-9)


def test_payouts_without_bonus_says_so(data, reform) -> None:
    no_bonus = simkit.evaluate(reform.override({"consequences": {"bonus": None}}), data)
    fig = core.payouts_figure(no_bonus)
    assert "本方案未设绩效奖金" in _texts(fig)


def test_grades_counts_add_up(results) -> None:
    r, _ = results
    fig = core.grades_figure(r)
    counts = [int(t.get_text()) for t in fig.axes[0].texts]
    assert sum(counts) == len(r.units)


def test_bad_arguments_are_explained(results, comparison) -> None:
    r, _ = results
    with pytest.raises(ValueError, match="no group called '园林类'"):
        core.ranking_figure(r, group="园林类")
    with pytest.raises(ValueError, match="lang must be"):
        core.grades_figure(r, lang="fr")
    with pytest.raises(ValueError, match="two Results"):
        core.bump_chart(r)
    with pytest.raises(ValueError, match="labels"):
        core.bump_chart(comparison, labels=["only one"])


def test_package_exports_core() -> None:
    for name in core.__all__:
        assert getattr(plots, name) is getattr(core, name)
    assert {"ranking_figure", "bump_chart", "payouts_figure", "waterfall_figure", "grades_figure"} <= set(core.__all__)


def test_the_glyph_check_can_fail(results, tmp_path, caplog, monkeypatch) -> None:
    """Without the bundled font the same figure reports missing glyphs, so the check above means something."""
    r, _ = results
    from simkit.present.plots import _common

    monkeypatch.setattr(_common, "use_chinese_font", lambda: None)
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        missing = _render(core.ranking_figure(r, group="区县市"), tmp_path / "boxes.png", caplog)
    assert any("missing from font" in m for m in missing)
