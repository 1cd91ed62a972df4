"""Fairness and dynamics plots: rank against size, bottom persistence with intervals, target (ratchet) paths
with fan bands, rank distributions over the projected years, and fairness metrics side by side.

Every function takes tables or results from ``simkit.fairness`` and ``simkit.dynamics`` and returns a matplotlib
``Figure`` (not attached to pyplot); none computes a rule.  Labels are Chinese with English (``lang="zh"``) or
English only (``lang="en"``); text is drawn with the bundled Chinese font, and figures made from synthetic data
say so in their corner.

>>> import simkit
>>> from simkit.present.plots import size_rank_scatter
>>> fig = size_rank_scatter({"改革": simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))})
>>> fig.axes[0].get_ylabel()
'名次 Rank'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..labels import MEASURE_LABELS
from ._common import SYNTHETIC_MARK
from ._common import figure as _figure
from ._common import label as _t

__all__ = [
    "completion_histogram",
    "fairness_forest",
    "persistence_bars",
    "rank_fan",
    "rank_heatmap",
    "size_rank_scatter",
    "target_fan",
]

COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")






def _mark(fig: Figure, data: Any) -> None:
    """Say "synthetic" in the top-left corner, in a strip the layout keeps free."""
    if getattr(data, "synthetic", False):
        fig.get_layout_engine().set(rect=(0, 0, 1, 1 - 0.16 / fig.get_figheight()))
        fig.text(0.005, 0.997, SYNTHETIC_MARK, ha="left", va="top", fontsize=7, color="#808080")


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return int(np.ceil(n / cols)), cols


def _names(units: pd.DataFrame, lang: str) -> pd.Series:
    if lang == "en" and "name_en" in units:
        return units["name_en"].where(units["name_en"].fillna("") != "", units["name"])
    return units["name"]


# ====================================================================================== rank against size
def size_rank_scatter(results: Mapping[str, Any], size: str = "gdp", group: str = "区县市", *, cols: int = 3,
                      lang: str = "zh") -> Figure:
    """Rank (1 at the top) against size, one panel per scenario; ``results`` maps a label to a ``Result`` or to
    several years of results (``evaluate_history``): earlier years are drawn faint, the last one labelled.

    The panel title carries Spearman's ρ of rank with size (the mean over the years shown).
    """
    from ...analysis.outcomes import group_columns, sizes
    from ...analysis.stats import spearman
    from ...engine.result import as_panel

    fig = _figure(4.2 * min(cols, len(results)), 3.6 * _grid(len(results), cols)[0])
    rows, ncols = _grid(len(results), cols)
    axes = fig.subplots(rows, ncols, squeeze=False).ravel()
    data = None
    for ax, (label, res) in zip(axes, results.items(), strict=False):
        p = as_panel(res)
        data = p.data
        cols_g = group_columns(p, group)
        size_arr = sizes(p, size)[0]
        rhos = []
        for k, year in enumerate(p.years):
            r, s = p["rank"][0, k, cols_g], size_arr[k, cols_g]
            ok = np.isfinite(r) & np.isfinite(s)
            rhos.append(float(spearman(r[ok], -s[ok])))
            last = k == len(p.years) - 1
            ax.scatter(s[ok], r[ok], s=40 if last else 14, color=COLOURS[0] if last else "#b0b0b0",
                       zorder=3 if last else 2, label=str(year) if last else None)
            if last:
                names = _names(data.units.iloc[cols_g], lang).to_numpy()
                for x, y, n in zip(s[ok], r[ok], names[ok], strict=True):
                    ax.annotate(n, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.invert_yaxis()
        ax.set_xlabel(_t("规模", "Size", lang) + f" ({size})")
        ax.set_ylabel(_t("名次", "Rank", lang))
        years = f"{p.years[0]}–{p.years[-1]}" if len(p.years) > 1 else str(p.years[0])
        ax.set_title(f"{label}\nρ = {np.nanmean(rhos):.2f} ({years})", fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[len(results):]:
        ax.set_visible(False)
    fig.suptitle(_t("名次与规模", "Rank against size", lang) + f" · {group}")
    _mark(fig, data)
    return fig


# =========================================================================================== persistence
def persistence_bars(tables: Mapping[str, pd.DataFrame], *, value: str | None = None, lo: str | None = None,
                     hi: str | None = None, group: str | None = "区县市", units: Sequence[str] | None = None,
                     title: str | None = None, lang: str = "zh") -> Figure:
    """Bottom persistence per unit, one bar per scenario, with interval whiskers.

    ``tables`` maps a label to a table with ``name`` and a probability or share column: by default
    ``p_at_least_m`` with ``lo``/``hi`` (``Projection.bottom_persistence``) or ``share`` with
    ``share_lo``/``share_hi`` (``fairness.bottom_persistence``).  ``units``: names or ids to show.
    """
    first = next(iter(tables.values()))
    value = value or ("p_at_least_m" if "lo" in first else "share")
    lo = lo or ("lo" if value == "p_at_least_m" else f"{value}_lo")
    hi = hi or ("hi" if value == "p_at_least_m" else f"{value}_hi")
    names: list[str] | None = None
    fig = _figure(max(6.0, 1.1 * len(first) if group is None else 9.0), 4.2)
    ax = fig.subplots()
    width = 0.8 / len(tables)
    for k, (label, t) in enumerate(tables.items()):
        if group is not None and "group" in t:
            t = t[t["group"] == group]
        if units is not None:
            t = t[t["name"].isin(units) | t.get("unit", t["name"]).isin(units)]
        if names is None:
            names = list(t["name"])
        t = t.set_index("name").reindex(names)
        x = np.arange(len(names)) + (k - (len(tables) - 1) / 2) * width
        v = t[value].to_numpy(dtype=float)
        err = None
        if lo in t and hi in t:
            err = np.vstack([np.clip(v - t[lo].to_numpy(dtype=float), 0, None),
                             np.clip(t[hi].to_numpy(dtype=float) - v, 0, None)])
        ax.bar(x, v, width, yerr=err, capsize=3, label=label, color=COLOURS[k % len(COLOURS)],
               error_kw={"elinewidth": 1})
    ax.set_xticks(np.arange(len(names or [])), names or [])
    ax.set_ylim(0, 1.05)
    m = first["m"].iat[0] if "m" in first else None
    n = first["years"].iat[0] if "years" in first else None
    what = (f"≥{m}/{n}年居末位的概率 P(bottom ≥ {m} of {n} years)" if value == "p_at_least_m"
            else "居末位年份占比 Share of years at the bottom")
    ax.set_ylabel(what if lang == "zh" else what.split(" ", 1)[1])
    ax.set_title(title or _t("末位固化", "Persistence at the bottom", lang) + (f" · {group}" if group else ""))
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


# ========================================================================================== target paths
def target_fan(projection: Any, indicator: str = "gdp", units: Sequence[str] | None = None,
               measure: str | None = None, *, level: float = 0.9, cols: int = 4, lang: str = "zh") -> Figure:
    """Observed and projected values and targets of one indicator per unit, with ``level`` fan bands.

    Solid: the measured value (observed, then the mean over paths); dashed: the target the rule sets.  Shaded:
    the ``level`` interval over paths.  ``measure`` picks the measured quantity (level, increment, growth).
    """
    tp = projection.target_paths(indicator, measure, level)
    measure = measure or next(iter(projection.tracked[indicator].target))
    if units is not None:
        tp = tp[tp["unit"].isin(units) | tp["name"].isin(units)]
    tp = tp[tp["value"].notna() | tp["target"].notna()]
    keep = [u for u in dict.fromkeys(tp["unit"]) if tp.loc[tp["unit"] == u, "projected"].any()]
    rows, ncols = _grid(len(keep), cols)
    fig = _figure(3.3 * ncols, 2.7 * rows + 0.6)
    axes = fig.subplots(rows, ncols, squeeze=False, sharex=True).ravel()
    names = dict(zip(projection.units["unit"], _names(projection.data.units, lang), strict=True))
    growth = measure == "growth"
    scale = 100.0 if growth else 1.0
    for ax, u in zip(axes, keep, strict=False):
        d = tp[tp["unit"] == u]
        obs, pro = d[~d["projected"]], d[d["projected"]]
        join = obs.tail(1)
        ax.plot(obs["year"], obs["value"] * scale, color="black", lw=1.5)
        ax.plot(obs["year"], obs["target"] * scale, color=COLOURS[1], lw=1.2, ls="--")
        px = np.concatenate([join["year"], pro["year"]])
        ax.plot(px, np.concatenate([join["value"], pro["value"]]) * scale, color=COLOURS[0], lw=1.5)
        ax.fill_between(pro["year"], pro["value_lo"] * scale, pro["value_hi"] * scale, color=COLOURS[0], alpha=0.2,
                        lw=0)
        ax.plot(pro["year"], pro["target"] * scale, color=COLOURS[1], lw=1.2, ls="--")
        ax.fill_between(pro["year"], pro["target_lo"] * scale, pro["target_hi"] * scale, color=COLOURS[1],
                        alpha=0.15, lw=0)
        ax.axvline(obs["year"].max() + 0.5, color="#999999", lw=0.8, ls=":")
        ax.set_title(names.get(u, u), fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[len(keep):]:
        ax.set_visible(False)
    zh, en = MEASURE_LABELS.get(measure, (measure, measure))
    unit_label = " (%)" if growth else ""
    fig.supylabel(_t(zh, en, lang) + unit_label, fontsize=10)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="black", lw=1.5), Line2D([], [], color=COLOURS[0], lw=1.5),
               Line2D([], [], color=COLOURS[1], lw=1.2, ls="--")]
    labels = [_t("实际值", "observed", lang), _t("预测均值", "projected mean", lang) + f" ({level:.0%})",
              _t("目标", "target", lang)]
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
    tree = projection.result.plan.tree
    rule = projection.scenario.rule_for(tree.path[tree.leaves.index(indicator)])
    fig.suptitle(_t("目标路径", "Target paths", lang) + f" · {indicator} · {projection.scenario.name} "
                 f"({rule.target.rule}) · {projection.paths} " + _t("条路径", "paths", lang), fontsize=11)
    _mark(fig, projection.data)
    return fig


# ======================================================================================= rank over years
def rank_fan(projections: Any, units: Sequence[str] | None = None, group: str | None = "区县市", *,
             level: float = 0.9, cols: int = 4, lang: str = "zh") -> Figure:
    """Median rank per projected year and its ``level`` band, one panel per unit, one line per scenario.

    ``projections``: a ``Projection`` or a mapping label → ``Projection`` (same data, so the same units).
    """
    if not isinstance(projections, Mapping):
        projections = {projections.scenario.name: projections}
    first = next(iter(projections.values()))
    table = first.units
    sel = np.ones(len(table), dtype=bool)
    if group is not None:
        sel &= (table["group"] == group).to_numpy()
    if units is not None:
        sel &= (table["unit"].isin(units) | table["name"].isin(units)).to_numpy()
    idx = np.flatnonzero(sel)
    rows, ncols = _grid(len(idx), cols)
    fig = _figure(3.2 * ncols, 2.6 * rows + 0.6)
    axes = fig.subplots(rows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    names = _names(first.data.units, lang).to_numpy()
    q = [0.5 * (1 - level), 0.5, 0.5 * (1 + level)]
    n_max = 1
    for ax, u in zip(axes, idx, strict=False):
        for k, (label, p) in enumerate(projections.items()):
            r = p.rank[:, :, u].astype(float)
            lo, med, hi = np.nanquantile(r, q, axis=0)
            n_max = max(n_max, int(np.nanmax(r)))
            c = COLOURS[k % len(COLOURS)]
            ax.plot(p.years, med, color=c, lw=1.6, label=label)
            ax.fill_between(p.years, lo, hi, color=c, alpha=0.15, lw=0)
        ax.set_title(names[u], fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[len(idx):]:
        ax.set_visible(False)
    axes[0].set_ylim(n_max + 0.5, 0.5)
    fig.supylabel(_t("名次（中位数与区间）", "Rank (median and band)", lang) + f" {level:.0%}", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=8)
    fig.suptitle(_t("预测名次", "Projected ranks", lang) + f" · {first.paths} " + _t("条路径", "paths", lang),
                 fontsize=11)
    _mark(fig, first.data)
    return fig


def rank_heatmap(projection: Any, unit: str, *, lang: str = "zh") -> Figure:
    """The probability of each rank of one unit in each projected year (darker = more likely)."""
    u = projection.unit_index(unit)
    r = projection.rank[:, :, u].astype(float)
    n = int(np.nanmax(projection.rank[:, :, projection.group_codes == projection.group_codes[u]]))
    prob = np.stack([(r == k).mean(axis=0) for k in range(1, n + 1)])  # (ranks, years)
    fig = _figure(7.0, 0.35 * n + 1.6)
    ax = fig.subplots()
    im = ax.imshow(prob, aspect="auto", cmap="Blues", vmin=0, vmax=1, origin="upper",
                   extent=(projection.years[0] - 0.5, projection.years[-1] + 0.5, n + 0.5, 0.5))
    for k in range(n):
        for j, y in enumerate(projection.years):
            if prob[k, j] >= 0.005:
                ax.text(y, k + 1, f"{prob[k, j]:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if prob[k, j] > 0.5 else "black")
    ax.set_yticks(range(1, n + 1))
    ax.set_xticks(projection.years)
    ax.set_ylabel(_t("名次", "Rank", lang))
    name = _names(projection.data.units, lang).iat[u]
    ax.set_title(_t("各年名次概率", "Probability of each rank by year", lang)
                 + f" · {name} · {projection.scenario.name}", fontsize=10)
    fig.colorbar(im, ax=ax, label=_t("概率", "probability", lang))
    _mark(fig, projection.data)
    return fig


def completion_histogram(projections: Any, indicator: str = "gdp", measure: str | None = None, *,
                         cap: float | None = None, bins: int = 60, lang: str = "zh") -> Figure:
    """Distribution of the completion ratios of one tracked indicator over all paths, years and units.

    ``projections``: a ``Projection`` or a mapping label → ``Projection`` (e.g. without and with the
    hold-back assumption).  ``cap`` draws the scoring cap as a vertical line (Bevan & Hood's threshold).
    """
    if not isinstance(projections, Mapping):
        projections = {projections.scenario.name: projections}
    fig = _figure(7.5, 3.8)
    ax = fig.subplots()
    ratios = {k: p.completion(indicator, measure).ravel() for k, p in projections.items()}
    ratios = {k: r[np.isfinite(r)] for k, r in ratios.items()}
    lo = min(float(np.quantile(r, 0.005)) for r in ratios.values())
    hi = max(float(np.quantile(r, 0.995)) for r in ratios.values())
    edges = np.linspace(lo, hi, bins + 1)
    for k, (label, r) in enumerate(ratios.items()):
        ax.hist(r, bins=edges, density=True, histtype="stepfilled", alpha=0.35, color=COLOURS[k % len(COLOURS)],
                label=label)
        ax.hist(r, bins=edges, density=True, histtype="step", color=COLOURS[k % len(COLOURS)])
    if cap is not None:
        ax.axvline(cap, color="black", ls="--", lw=1)
        ax.text(cap, ax.get_ylim()[1] * 0.95, " " + _t("计分上限", "cap", lang) + f" {cap:g}", va="top", fontsize=8)
    first = next(iter(projections.values()))
    measure = measure or next(iter(first.tracked[indicator].target))
    zh, en = MEASURE_LABELS.get(measure, (measure, measure))
    ax.set_xlabel(_t("完成率", "Completion ratio", lang) + f" ({indicator}, {_t(zh, en, lang)})")
    ax.set_ylabel(_t("密度", "Density", lang))
    ax.set_title(_t("完成率分布", "Distribution of completion ratios", lang) + f" · {first.paths} "
                 + _t("条路径", "paths", lang), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _mark(fig, first.data)
    return fig


# ==================================================================================== metrics side by side
def fairness_forest(table: pd.DataFrame, metrics: Sequence[str] | None = None, group: str = "区县市", *,
                    cols: int = 3, lang: str = "zh") -> Figure:
    """Each fairness metric of ``fairness_table`` for every scenario, as a point with its interval."""
    from ..labels import METRICS

    labels = table.attrs.get("labels") or [c for c in table.columns[3:] if not c.endswith((" lo", " hi"))]
    t = table[table["group"] == group]
    metrics = [m for m in (metrics or list(dict.fromkeys(t["metric"]))) if m in set(t["metric"])]
    rows, ncols = _grid(len(metrics), cols)
    fig = _figure(4.0 * ncols, 0.45 * len(labels) * rows + 1.2 * rows + 0.4)
    axes = fig.subplots(rows, ncols, squeeze=False).ravel()
    y = np.arange(len(labels))[::-1]
    for ax, m in zip(axes, metrics, strict=False):
        row = t[t["metric"] == m].iloc[0]
        for k, label in enumerate(labels):
            est, lo, hi = row[label], row.get(f"{label} lo", np.nan), row.get(f"{label} hi", np.nan)
            c = COLOURS[k % len(COLOURS)]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [y[k], y[k]], color=c, lw=2, alpha=0.6)
            ax.plot([est], [y[k]], "o", color=c)
        ax.set_yticks(y, labels if ax is axes[0] or ncols == 1 or list(axes).index(ax) % ncols == 0 else
                      [""] * len(labels), fontsize=8)
        zh, en = METRICS.get(m, (m, m))
        ax.set_title(zh if lang == "zh" else en, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    years = table.attrs.get("years")
    span = f" · {years[0]}–{years[-1]}" if years else ""
    fig.suptitle(_t("公平性指标（点 = 估计，线 = 5–95% 区间）", "Fairness metrics (dot = estimate, line = 5–95% "
                    "interval)", lang) + f" · {group}{span}", fontsize=11)
    return fig
