"""Plots of an uncertainty analysis (``simkit.analysis.uncertainty.run_uncertainty``): rank intervals, Sobol
indices, and nominal weights against main effects.

Every function takes an ``UncertaintyResult`` and returns a matplotlib ``Figure`` (not attached to pyplot);
none computes a rule.  Labels are Chinese with English (``lang="zh"``) or English only (``lang="en"``), drawn
with the bundled Chinese font; a figure made from synthetic data says so in its corner.

>>> import simkit
>>> from simkit.analysis.uncertainty import run_uncertainty
>>> res = run_uncertainty(simkit.load_scenario("yiyang_2018_reform"), draws=100, seed=1, progress=False)
>>> plot_rank_intervals(res, group="区县市").axes[0].get_xlabel()
'名次 Rank (1 = 最好 best)'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..fonts import use_chinese_font
from ._common import SYNTHETIC_MARK
from ._common import figure as _figure
from ._common import label as _t
from .core import GROUP_EN, grade_colours

__all__ = ["plot_rank_intervals", "plot_sobol", "plot_weights_vs_effects"]

INTERVAL, MEDIAN, S1_COLOUR, ST_COLOUR = "#4575b4", "#08306b", "#fdae61", "#d73027"






def _finish(fig: Figure, result: Any) -> Figure:
    if getattr(result.problem.data, "synthetic", False):
        fig.supxlabel(SYNTHETIC_MARK, x=0.005, ha="left", fontsize=7, color="#808080")
    return fig


def _scenario_name(result: Any, lang: str) -> str:
    sc = result.problem.scenario
    return (sc.name_en or sc.name) if lang == "en" else sc.name


def plot_rank_intervals(result: Any, group: str | None = None, lang: str = "zh") -> Figure:
    """Each unit's rank under uncertainty: the 5–95% interval (bar), the median (tick) and the nominal rank
    (dot, coloured by the nominal grade); units top to bottom by group and nominal rank, rank 1 on the left."""
    use_chinese_font()
    ri = result.rank_intervals
    if group is not None:
        if group not in set(ri["group"]):
            raise ValueError(f"no group {group!r}; the groups are {', '.join(dict.fromkeys(ri['group']))}")
        ri = ri[ri["group"] == group]
    ri = ri.reset_index(drop=True)
    units = result.problem.units.set_index("unit")
    names = ri["name"] if lang == "zh" else [
        (units.at[u, "name_en"] or n) if "name_en" in units else n for u, n in zip(ri["unit"], ri["name"],
                                                                                  strict=True)]
    n = len(ri)
    fig = _figure(9.5, 1.6 + 0.27 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    ax.hlines(y, ri["q05"], ri["q95"], color=INTERVAL, linewidth=5, alpha=0.45, zorder=1)
    ax.scatter(ri["median_rank"], y, marker="|", s=140, color=MEDIAN, linewidths=2, zorder=2)
    colours = grade_colours(list(result.grade_names))
    dot = [colours.get(g, "#bdbdbd") for g in ri["nominal_grade"]]
    ax.scatter(ri["nominal_rank"].astype(float), y, s=36, color=dot, edgecolor="black", linewidth=0.6, zorder=3)
    ax.set_yticks(y, names)
    ax.set_ylim(n - 0.5, -0.5)  # first unit on top
    top = float(np.nanmax(ri[["q95", "nominal_rank"]].astype(float).to_numpy())) if n else 1.0
    ax.set_xlim(0.4, top + 0.6)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(_t("名次", "Rank", lang) + (" (1 = 最好 best)" if lang == "zh" else " (1 = best)"))
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    # group separators and labels
    groups = list(ri["group"])
    starts = [k for k in range(n) if k == 0 or groups[k] != groups[k - 1]]
    if len(starts) > 1 or group is None:
        for k in starts:
            if k:
                ax.axhline(k - 0.5, color="#9e9e9e", linewidth=0.8)
            label = groups[k] if lang == "zh" else GROUP_EN.get(groups[k], groups[k])
            ax.text(1.0, k - 0.35, label, transform=ax.get_yaxis_transform(), ha="right", va="top", fontsize=8,
                    color="#616161")
    where = "" if group is None else f" · {group if lang == 'zh' else GROUP_EN.get(group, group)}"
    ax.set_title(f"{_t('名次区间', 'Rank intervals', lang)}{where} — {_scenario_name(result, lang)}\n"
                 f"{result.draws:,} {_t('次抽样', 'draws', lang)}, seed {result.seed}", fontsize=10)
    handles = [Line2D([], [], color=INTERVAL, linewidth=5, alpha=0.45, label=_t("5–95% 区间", "5–95% interval", lang)),
               Line2D([], [], color=MEDIAN, marker="|", linestyle="", markersize=11, markeredgewidth=2,
                      label=_t("中位名次", "median", lang))]
    handles += [Line2D([], [], color=c, marker="o", linestyle="", markeredgecolor="black", markeredgewidth=0.6,
                       label=_t("名义名次", "nominal", lang) + f" · {g}") for g, c in colours.items()]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    return _finish(fig, result)


def plot_sobol(result: Any, lang: str = "zh") -> Figure:
    """First-order and total-order Sobol indices per input group (bars with 95% intervals)."""
    sens = result.sensitivity
    if sens.empty:
        raise ValueError("this result has no Sobol indices (run_uncertainty(..., sobol=False))")
    fig = _figure(7.5, 1.4 + 0.55 * len(sens))
    ax = fig.add_subplot()
    y = np.arange(len(sens))
    h = 0.38
    ax.barh(y - h / 2, sens["S1"].clip(lower=0), h, xerr=sens["S1_conf"], color=S1_COLOUR,
            error_kw={"elinewidth": 0.8, "capsize": 2}, label=_t("一阶效应 S₁", "first-order S1", lang))
    ax.barh(y + h / 2, sens["ST"].clip(lower=0), h, xerr=sens["ST_conf"], color=ST_COLOUR,
            error_kw={"elinewidth": 0.8, "capsize": 2}, label=_t("总效应 Sᴛ", "total-order ST", lang))
    ax.set_yticks(y, sens["input"])
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float((sens["ST"] + sens["ST_conf"]).max()) * 1.05))
    ax.set_xlabel(_t("方差份额", "share of variance", lang))
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(_t("Sobol 敏感性指数：平均名次绝对变动", "Sobol indices of the mean absolute rank shift", lang)
                 + f"\n{int(sens['base_draws'].iloc[0]):,} {_t('基础抽样', 'base draws', lang)}, seed {result.seed}",
                 fontsize=10)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return _finish(fig, result)


def plot_weights_vs_effects(result: Any, track: str | None = None, lang: str = "zh") -> Figure:
    """Per indicator: its share of the nominal weight against its share of the main effects on the total
    (Paruolo, Saisana & Saltelli 2013), one panel per track of units (or just ``track``)."""
    me: pd.DataFrame = result.main_effects
    tracks = list(dict.fromkeys(me["track"])) if track is None else [track]
    if track is not None and track not in set(me["track"]):
        raise ValueError(f"no track {track!r}; the tracks are {', '.join(dict.fromkeys(me['track']))}")
    rows = max(int((me["track"] == t).sum()) for t in tracks)
    fig = _figure(5.2 * len(tracks), 1.4 + 0.24 * rows)
    for k, t in enumerate(tracks):
        part = me[me["track"] == t].reset_index(drop=True)
        ax = fig.add_subplot(1, len(tracks), k + 1)
        y = np.arange(len(part))
        h = 0.4
        ax.barh(y - h / 2, part["weight_share"], h, color="#9ecae1", label=_t("名义权重", "nominal weight", lang))
        ax.barh(y + h / 2, part["main_effect_share"], h, color="#3182bd", label=_t("主效应", "main effect", lang))
        labels = part["name"] if lang == "zh" else part["indicator"]
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(_t("占比", "share", lang))
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(f"{t if lang == 'zh' else GROUP_EN.get(t, t)} ({int(part['units'].max())} "
                     f"{_t('个单位', 'units', lang)})", fontsize=9)
    fig.suptitle(_t("名义权重与主效应", "Nominal weight vs main effect", lang) + " (Paruolo et al. 2013)", fontsize=10)
    fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8,
               frameon=False)
    return _finish(fig, result)
