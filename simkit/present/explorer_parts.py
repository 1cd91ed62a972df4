"""What the explorer draws and asks for, apart from its widgets: the charts of a setting, and the levers and
words for the controls moved away from the picked scenario (``Explorer.moved`` lists them).

>>> describe([("weight", "Q", 50.0, 40.0), ("float", "优秀", 0.2, 0.3)])
['权重 weight Q: 50 → 40', '优秀浮动 float: +20% → +30%']
"""

from __future__ import annotations

from typing import Any

from ..errors import SimkitError
from ..schema import levers
from ..schema.scenario import Scenario
from .webparts import problem

__all__ = ["CHARTS", "chart_figure", "describe", "levers_for"]

#: The explorer's charts: key → tab title (drawn by ``chart_figure`` with ``simkit.present.plots``).
CHARTS: dict[str, str] = {
    "ranking": "排名 Ranking",
    "bump": "名次变化 Shifts",
    "payouts": "奖金 Payouts",
    "waterfall": "得分构成 Build-up",
    "grades": "等次 Grades",
}

Moved = list[tuple[str, str | None, float, float]]  # (kind, node or grade, as shipped, now)


def chart_figure(key: str, result: Any, base_result: Any, group: str, unit: str | None, lang: str) -> Any:
    """The matplotlib Figure of one chart (``CHARTS`` keys) of a setting's result."""
    from . import plots

    if key == "ranking":
        return plots.ranking_figure(result, group=group, lang=lang)
    if key == "bump":
        labels = ["原方案 as shipped", "调整后 adjusted"] if lang == "zh" else ["as shipped", "adjusted"]
        return plots.bump_chart(base_result, result, group=group, lang=lang, labels=labels)
    if key == "payouts":
        return plots.payouts_figure(result, group=group, lang=lang)
    if key == "waterfall":
        return plots.waterfall_figure(result, unit, lang=lang)
    if key == "grades":
        return plots.grades_figure(result, lang=lang)
    raise ValueError(f"no chart called {key!r}; the charts are: {', '.join(CHARTS)}")


def levers_for(moved: Moved, weights: dict[str, float], base: Scenario,
               autoscale: bool) -> tuple[list[levers.Lever], list[str]]:
    """The levers for the moved controls, and notes on them: the first-level points together (scaled to the
    scenario's total when ``autoscale`` and they do not add up to it), then each other control."""
    out: list[levers.Lever] = []
    notes: list[str] = []
    if any(kind == "weight" for kind, *_ in moved):
        total = float(base.total)
        s = sum(weights.values())
        scale = base.weights.mode == "points" and autoscale and abs(s - total) > 1e-9
        if scale:
            if s <= 0:
                raise SimkitError([problem("weights.values", "every first-level weight is 0",
                                            "give at least one first-level indicator some points")])
            listed = ", ".join(f"{n} {v * total / s:.2f}" for n, v in weights.items())
            notes.append(f"权重合计{s:g}分，已按比例折算为{total:g}分 / weights add up to {s:g}, scaled to "
                         f"{total:g}: {listed}")
        out.append(levers.SetPoints(points=weights, scale=scale))
    for kind, key, _, now in moved:
        if kind == "uplift":
            out.append(levers.SetUplift(value=now))
        elif kind == "blend":
            out.append(levers.SetBlend(growth=now))
        elif kind == "quota":
            out.append(levers.SetQuota(grade=key, share=now))
        elif kind == "float":
            out.append(levers.SetFloat(grade=key, factor=now))
    return out, notes


def describe(moved: Moved) -> list[str]:
    """The moved controls in words (Chinese with English)."""
    words = {
        "weight": lambda k, a, b: f"权重 weight {k}: {a:g} → {b:g}",
        "uplift": lambda k, a, b: f"目标上浮 uplift: {a:.0%} → {b:.0%}",
        "blend": lambda k, a, b: f"增速占比 growth share: {a:.0%} → {b:.0%}",
        "quota": lambda k, a, b: f"{k}比例 share: {a:.0%} → {b:.0%}",
        "float": lambda k, a, b: f"{k}浮动 float: {a:+.0%} → {b:+.0%}",
    }
    return [words[kind](key, a, b) for kind, key, a, b in moved]
