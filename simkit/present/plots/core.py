"""Core plots: the ranking, rank shifts between scenarios (bump chart), payouts, one unit's waterfall and
grades by group.

Every function takes results from the library (``simkit.evaluate``, ``simkit.compare``) and returns a
matplotlib ``Figure`` (not attached to pyplot, so nothing piles up in a loop or a widget); none computes a
rule.  Labels are Chinese with English (``lang="zh"``) or English only (``lang="en"``); unit, group and grade
names follow ``lang``.  Text is drawn with the bundled Chinese font (``simkit.fonts``), and a figure made from
synthetic data says so in its corner.

>>> import simkit
>>> from simkit.present.plots import ranking_figure
>>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
>>> fig = ranking_figure(r, group="区县市")
>>> fig.axes[0].get_xlabel()
'总分 Score'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..labels import GROUP_EN
from ._common import SYNTHETIC_MARK
from ._common import check_lang as _check_lang
from ._common import figure as _figure
from ._common import label as _t

__all__ = [
    "GROUP_EN",
    "bump_chart",
    "grade_colours",
    "grades_figure",
    "payouts_figure",
    "ranking_figure",
    "waterfall_figure",
]

UNGRADED = "#bdbdbd"
UP, DOWN, SAME = "#1a9850", "#d73027", "#969696"








def _mark_synthetic(fig: Figure, *results: Any) -> None:
    if any(getattr(r.data, "synthetic", False) for r in results):
        # a figure-level label: constrained layout keeps room for it below everything else, legends included
        fig.supxlabel(SYNTHETIC_MARK, x=0.005, ha="left", fontsize=7, color="#808080")


def _group_name(group: str, lang: str) -> str:
    return GROUP_EN.get(group, group) if lang == "en" else group


def _unit_names(units: pd.DataFrame, lang: str) -> pd.Series:
    if lang == "en" and "name_en" in units:
        return units["name_en"].where(units["name_en"].fillna("") != "", units["name"])
    return units["name"]


def _scenario_name(result: Any, lang: str) -> str:
    sc = result.scenario
    return (sc.name_en or sc.name) if lang == "en" else sc.name


def grade_colours(grades: Sequence[str]) -> dict[str, str]:
    """One colour per grade, best (green) to worst (red), in the order given.

    >>> grade_colours(["优秀", "良好", "一般", "较差"])["优秀"]
    '#1a9850'
    """
    fixed = {1: ["#1a9850"], 2: ["#1a9850", "#d73027"], 3: ["#1a9850", "#fee08b", "#d73027"],
             4: ["#1a9850", "#91cf60", "#fee08b", "#d73027"],
             5: ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]}
    n = len(grades)
    if n in fixed:
        colours = fixed[n]
    else:
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        cmap = colormaps["RdYlGn"]
        colours = [to_hex(cmap(x)) for x in np.linspace(0.9, 0.1, n)]
    return dict(zip(grades, colours, strict=True))


def _grade_info(result: Any, lang: str) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Grade names (best first), their colours, and their display labels."""
    grades = result.scenario.grading.grades
    names = [g.name for g in grades]
    labels = {g.name: ((g.name_en or g.name) if lang == "en" else g.name) for g in grades}
    return names, grade_colours(names), labels


def _units(result: Any, group: str | None) -> pd.DataFrame:
    u = result.units
    if group is None:
        return u
    part = u[u["group"] == group]
    if part.empty:
        groups = ", ".join(dict.fromkeys(u["group"]))
        raise ValueError(f"no group called {group!r}; the groups are: {groups}")
    return part


def _blocks(units: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(g, part) for g, part in units.groupby("group", sort=False)]


# ---------------------------------------------------------------------------------------------- ranking
def ranking_figure(result: Any, group: str | None = None, lang: str = "zh") -> Figure:
    """The ranking as horizontal bars of the total, best at the top, one block per group, coloured by grade.

    ``group``: one group only (e.g. ``"区县市"``); default every group, each ranked on its own.
    A vetoed unit's bar is hatched.
    """
    _check_lang(lang)
    units = _units(result, group)
    names, colours, labels = _grade_info(result, lang)
    blocks = _blocks(units)
    multi = len(blocks) > 1
    rows = len(units) + (len(blocks) if multi else 0)
    fig = _figure(8.0, 1.3 + 0.27 * rows)
    ax = fig.subplots()
    y, ticks, ticklabels = 0.0, [], []
    for g, part in blocks:
        if multi:
            ax.text(0.0, y, _group_name(g, lang), fontsize=10, va="center", ha="left",
                    transform=ax.get_yaxis_transform())
            y += 1
        shown = _unit_names(part, lang)
        for (_, row), name in zip(part.iterrows(), shown, strict=True):
            colour = colours.get(row["grade"], UNGRADED)
            ax.barh(y, row["score"], color=colour, edgecolor="#404040" if row["vetoed"] else colour,
                    hatch="///" if row["vetoed"] else None, height=0.75)
            ax.text(row["score"], y, f" {row['score']:.1f}", va="center", ha="left", fontsize=8)
            rank = "–" if pd.isna(row["rank"]) else str(int(row["rank"]))
            ticks.append(y)
            ticklabels.append(f"{rank}. {name}")
            y += 1
    ax.set_yticks(ticks, ticklabels, fontsize=9)
    ax.set_ylim(y - 0.4, -0.6)
    top = float(np.nanmax(units["score"].to_numpy(dtype=float))) if len(units) else 1.0
    ax.set_xlim(0, top * 1.1 if top > 0 else 1.0)
    ax.set_xlabel(_t("总分", "Score", lang))
    where = _group_name(group, lang) if group is not None else _t("各组", "all groups", lang)
    ax.set_title(f"{_t('排名', 'Ranking', lang)} · {_scenario_name(result, lang)} · {result.year} · {where}",
                 fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Patch(color=colours[n], label=labels[n]) for n in names if n in set(units["grade"])]
    if units["vetoed"].any():
        handles.append(Patch(facecolor="white", edgecolor="#404040", hatch="///",
                             label=_t("一票否决", "vetoed", lang)))
    if handles:
        fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    _mark_synthetic(fig, result)
    return fig


# ---------------------------------------------------------------------------------------------- bump chart
def _results_of(first: Any, second: Any) -> list[Any]:
    if hasattr(first, "base") and hasattr(first, "reform") and second is None:  # a Comparison
        return [first.base, first.reform]
    if isinstance(first, list | tuple):
        return list(first)
    if second is None:
        raise ValueError("give a Comparison, two Results, or a list of Results")
    return [first, second]


def bump_chart(first: Any, second: Any = None, group: str | None = None, lang: str = "zh",
               labels: Sequence[str] | None = None) -> Figure:
    """Rank shifts of one group's units between scenarios: one column per scenario, one line per unit.

    ``first``: a ``Comparison`` (base → reform), or a Result with ``second`` another Result, or a list of
    two or more Results (columns in that order).  Lines are green for units that end higher than they
    started, red for lower, grey for unchanged.  ``group`` defaults to the first group (e.g. 区县市).
    """
    _check_lang(lang)
    results = _results_of(first, second)
    if len(results) < 2:
        raise ValueError("a bump chart needs at least two results")
    if group is None:
        group = str(results[0].units["group"].iat[0])
    tables = [_units(r, group).set_index("unit") for r in results]
    order = list(tables[0].index)
    names = _unit_names(tables[0], lang)
    ranks = pd.DataFrame({k: t["rank"].reindex(order).astype("Float64") for k, t in enumerate(tables)})
    n = len(order)
    k = len(results)
    fig = _figure(2.2 + 2.4 * k, 1.4 + 0.42 * n)
    ax = fig.subplots()
    xs = np.arange(k, dtype=float)
    for unit in order:
        r = ranks.loc[unit].to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(r)
        if ok.sum() == 0:
            continue
        first_r, last_r = r[ok][0], r[ok][-1]
        colour = UP if last_r < first_r else DOWN if last_r > first_r else SAME
        ax.plot(xs[ok], r[ok], "-o", color=colour, lw=2.2 if colour != SAME else 1.4, ms=7, zorder=3)
        ax.text(xs[ok][0] - 0.08, first_r, f"{names[unit]}  {int(first_r)}", ha="right", va="center", fontsize=9)
        shift = int(first_r - last_r)
        tag = f"+{shift}" if shift > 0 else (f"−{-shift}" if shift < 0 else "=")
        ax.text(xs[ok][-1] + 0.08, last_r, f"{int(last_r)}  {names[unit]} ({tag})", ha="left", va="center",
                fontsize=9, color=colour if colour != SAME else "#404040")
    column = list(labels) if labels is not None else [_scenario_name(r, lang) for r in results]
    if len(column) != k:
        raise ValueError(f"labels: give {k} labels, one per result")
    ax.set_xticks(xs, column, fontsize=9)
    ax.xaxis.tick_top()
    ax.set_xlim(-1.1, k - 1 + 1.1)
    ax.set_ylim(n + 0.6, 0.4)
    ax.set_yticks([])
    ax.spines[:].set_visible(False)
    ax.set_title(f"{_t('名次变化', 'Rank shifts', lang)} · {_group_name(group, lang)} · {results[-1].year}",
                 fontsize=11, pad=24)
    _mark_synthetic(fig, *results)
    return fig


# ---------------------------------------------------------------------------------------------- payouts
def _message_figure(text: str, result: Any) -> Figure:
    fig = _figure(6.0, 1.6)
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11)
    _mark_synthetic(fig, result)
    return fig


def payouts_figure(result: Any, group: str | None = None, lang: str = "zh") -> Figure:
    """Bonus payouts (万元) by unit, coloured by grade, with each unit's base marked; and totals by group.

    Left: every unit of ``group`` (default every group), its payout as a bar and its base (before the float
    and any pool scaling) as a black tick.  Right: paid against base per group.  The title gives the total
    paid against the budget.  A scenario without a bonus gives a figure that says so.
    """
    _check_lang(lang)
    if "payout" not in result.units:
        return _message_figure(_t("本方案未设绩效奖金", "No performance bonus in this scenario", lang), result)
    units = _units(result, group)
    names, colours, labels = _grade_info(result, lang)
    rows = len(units)
    by = result.units.groupby("group", sort=False)[["payout", "bonus_base"]].sum() / 1e4
    fig = _figure(11.0, max(3.2, 1.5 + 0.26 * max(rows, len(by) + 1)))
    short = len(by) + 1 < rows  # keep the group bars about as thick as the unit bars
    axes = fig.subplot_mosaic([["u", "g"], ["u", "."]] if short else [["u", "g"]], width_ratios=[1.6, 1.0],
                              height_ratios=[len(by) + 1, rows - len(by) - 1] if short else None)
    ax, ax_g = axes["u"], axes["g"]
    shown = _unit_names(units, lang).to_numpy()
    pay = units["payout"].to_numpy(dtype=float) / 1e4
    base = units["bonus_base"].to_numpy(dtype=float) / 1e4
    y = np.arange(rows)
    ax.barh(y, pay, color=[colours.get(g, UNGRADED) for g in units["grade"]], height=0.75)
    ax.scatter(base, y, marker="|", s=160, color="black", zorder=3, label=_t("基数", "base", lang))
    ax.set_yticks(y, [f"{n}" for n in shown], fontsize=8)
    ax.set_ylim(rows - 0.4, -0.6)
    ax.set_xlabel(_t("绩效奖金（万元）", "Bonus (10k yuan)", lang))
    ax.spines[["top", "right"]].set_visible(False)
    if group is None and units["group"].nunique() > 1:
        edges = np.flatnonzero(units["group"].to_numpy()[1:] != units["group"].to_numpy()[:-1])
        for e in edges:
            ax.axhline(e + 0.5, color="#cccccc", lw=0.8)
    handles = [Patch(color=colours[n], label=labels[n]) for n in names if n in set(units["grade"])]
    handles.append(ax.collections[-1])
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    yg = np.arange(len(by))
    ax_g.barh(yg - 0.2, by["bonus_base"], height=0.4, color="#bdbdbd", label=_t("基数", "base", lang))
    ax_g.barh(yg + 0.2, by["payout"], height=0.4, color="#4575b4", label=_t("实发", "paid", lang))
    for yy, v in zip(yg, by["payout"], strict=True):
        ax_g.text(v, yy + 0.2, f" {v:,.0f}", va="center", fontsize=7)
    ax_g.set_xlim(0, float(by[["payout", "bonus_base"]].to_numpy().max()) * 1.25 or 1.0)
    ax_g.set_yticks(yg, [_group_name(g, lang) for g in by.index], fontsize=8)
    ax_g.set_ylim(len(by) - 0.4, -0.6)
    ax_g.set_xlabel(_t("按组合计（万元）", "Total by group (10k yuan)", lang))
    ax_g.legend(fontsize=8, loc="lower right")
    ax_g.spines[["top", "right"]].set_visible(False)
    bud = result.budget()
    paid, budget = (bud["paid"] or 0.0) / 1e4, (bud["budget"] or 0.0) / 1e4
    head = _t("绩效奖金", "Bonus payouts", lang)
    money = (f"实发 {paid:,.0f} / 预算 {budget:,.0f} 万元 (paid / budget, 10k yuan)" if lang == "zh"
             else f"paid {paid:,.0f} of budget {budget:,.0f} (10k yuan)")
    fig.suptitle(f"{head} · {_scenario_name(result, lang)} · {result.year}\n{money}", fontsize=11)
    _mark_synthetic(fig, result)
    return fig


# ---------------------------------------------------------------------------------------------- waterfall
def waterfall_figure(result: Any, unit: str, lang: str = "zh", top: int | None = None) -> Figure:
    """How one unit's total is built: each indicator's points added in turn, then bonus points and
    deductions, ending at the total (from ``Result.explain(unit)``).

    Indicators are grouped under their first-level indicator (coloured alike), the largest first; a light
    grey segment after a bar is the points lost on that indicator.  ``top`` keeps the ``top`` largest
    contributions and adds the rest up in one bar.
    """
    _check_lang(lang)
    from ..text import explain

    exp = explain(result, unit)
    c = exp.contributions.copy()
    ind = result.data.indicators.set_index("indicator")
    level1 = [n for n in ind.index if pd.isna(ind.at[n, "parent"]) or ind.at[n, "parent"] == ""]
    order = {n: k for k, n in enumerate(level1)}
    c["_o"] = c["parent"].map(order).fillna(len(order))
    c = c.sort_values(["_o", "points"], ascending=[True, False]).reset_index(drop=True)
    name_col = "name_en" if lang == "en" and "name_en" in ind else "name"
    c["label"] = [str(ind.at[i, name_col]) if i in ind.index else i for i in c["indicator"]]
    if top is not None and len(c) > top:
        keep = c.nlargest(top, "points").sort_values(["_o", "points"], ascending=[True, False])
        rest = c.drop(keep.index)
        other = {"indicator": "_other", "parent": None, "weight": rest["weight"].sum(),
                 "points": rest["points"].sum(), "lost": rest["lost"].sum(), "_o": len(order),
                 "label": _t(f"其他{len(rest)}项", f"{len(rest)} others", lang)}
        c = pd.concat([keep, pd.DataFrame([other])], ignore_index=True)
    parents = [p for p in level1 if p in set(c["parent"])]
    palette = ["#4575b4", "#66bd63", "#f46d43", "#9e6bb0", "#fdae61", "#74add1", "#a6761d", "#e7298a"]
    pcolour = {p: palette[k % len(palette)] for k, p in enumerate(parents)}
    bonus, deduction = exp.adjustments["bonus_points"], exp.adjustments["deduction_points"]
    row = result.units.set_index("unit").loc[exp.unit]
    rows = len(c) + 3
    fig = _figure(8.5, 1.5 + 0.27 * rows)
    ax = fig.subplots()
    cum = 0.0
    labels = []
    for k, r in enumerate(c.itertuples()):
        colour = pcolour.get(r.parent, "#969696")
        ax.barh(k, r.points, left=cum, color=colour, height=0.75)
        if r.lost > 0:
            ax.barh(k, r.lost, left=cum + r.points, color="#e0e0e0", height=0.75)
        ax.text(cum + r.points + max(r.lost, 0.0), k, f" {r.points:.2f}", va="center", fontsize=7)
        cum += r.points
        labels.append(r.label)
    k = len(c)
    ax.barh(k, bonus, left=cum, color=UP, height=0.75)
    ax.text(cum + bonus, k, f" +{bonus:g}", va="center", fontsize=7)
    cum += bonus
    ax.barh(k + 1, -deduction, left=cum, color=DOWN, height=0.75)
    ax.text(cum, k + 1, f" −{deduction:g}", va="center", fontsize=7)
    cum -= deduction
    ax.barh(k + 2, cum, color="#252525", height=0.75)
    ax.text(cum, k + 2, f" {float(row['score']):.2f}", va="center", fontsize=8)
    labels += [_t("加分", "bonus points", lang), _t("扣分", "deductions", lang), _t("总分", "total", lang)]
    ax.set_yticks(np.arange(rows), labels, fontsize=8)
    ax.set_ylim(rows - 0.4, -0.6)
    ax.set_xlabel(_t("累计得分", "Cumulative points", lang))
    ax.spines[["top", "right"]].set_visible(False)
    name = exp.name if lang == "zh" else (row["name_en"] or exp.name)
    grade = row["grade"] if lang == "zh" else row["grade_en"]
    rank = "–" if pd.isna(row["rank"]) else int(row["rank"])
    ax.set_title(f"{_t('得分构成', 'Score build-up', lang)} · {name} · {_scenario_name(result, lang)} · "
                 f"{result.year}\n{_t('名次', 'rank', lang)} {rank}/{int(row['group_size'])} · {grade}",
                 fontsize=11)
    pname = "name_en" if lang == "en" else "name"
    handles = [Patch(color=pcolour[p], label=str(ind.at[p, pname]) if p in ind.index else p) for p in parents]
    handles.append(Patch(color="#e0e0e0", label=_t("失分", "points lost", lang)))
    ax.legend(handles=handles, fontsize=8, loc="upper right")  # the build-up runs top left → bottom right
    _mark_synthetic(fig, result)
    return fig


# ---------------------------------------------------------------------------------------------- grades
def grades_figure(result: Any, lang: str = "zh") -> Figure:
    """How many units got each grade, per group (stacked bars, best grade on the left)."""
    _check_lang(lang)
    names, colours, labels = _grade_info(result, lang)
    u = result.units
    groups = list(dict.fromkeys(u["group"]))
    counts = (u.assign(grade=u["grade"].fillna("_none")).groupby(["group", "grade"], sort=False).size()
              .unstack(fill_value=0).reindex(index=groups, fill_value=0))
    fig = _figure(8.0, 1.4 + 0.38 * len(groups))
    ax = fig.subplots()
    y = np.arange(len(groups))
    left = np.zeros(len(groups))
    for g in [*names, "_none"]:
        if g not in counts:
            continue
        v = counts[g].to_numpy(dtype=float)
        label = labels.get(g, _t("未定等次", "no grade", lang))
        ax.barh(y, v, left=left, color=colours.get(g, UNGRADED), label=label, height=0.7)
        for yy, (l0, vv) in enumerate(zip(left, v, strict=True)):
            if vv > 0:
                ax.text(l0 + vv / 2, yy, f"{int(vv)}", ha="center", va="center", fontsize=8)
        left += v
    ax.set_yticks(y, [f"{_group_name(g, lang)} ({int(n)})" for g, n in zip(groups, left, strict=True)], fontsize=9)
    ax.set_ylim(len(groups) - 0.4, -0.6)
    ax.set_xlabel(_t("单位数", "Units", lang))
    ax.set_xlim(0, float(left.max()) * 1.02 if len(left) else 1.0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"{_t('各组等次分布', 'Grades by group', lang)} · {_scenario_name(result, lang)} · {result.year}",
                 fontsize=11)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=8, frameon=False)
    _mark_synthetic(fig, result)
    return fig
