"""The assumptions of a projection in words, Chinese and English: each structured record of
``simkit.analysis.dynamics`` (growth, common shock, assigned targets, adjustments, the look-back's start,
behaviour, cells left out) as one sentence per language, and the table of them.

>>> from simkit.analysis.dynamics import HoldBack
>>> describe(HoldBack())[1]
'Assumption: units ahead of target hold back — completion is held to the scoring cap when it would exceed it'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.dynamics import (
    AssignedTargets,
    CommonShock,
    EffortResponse,
    HoldBack,
    LadderStart,
    LeftOut,
    NoAdjustments,
    OwnGrowth,
    Projection,
    UserGrowth,
)


def _own_growth(a: OwnGrowth) -> tuple[str, str]:
    return ("增长：各单位各指标按自身历史对数增速的均值与标准差随机增长" + ("（合成数据）" if a.synthetic else ""),
            "Growth: each unit's indicators grow at the mean and sd of their own historical log growth"
            + (" (synthetic data)" if a.synthetic else ""))


def _user_growth(a: UserGrowth) -> tuple[str, str]:
    zh = {(True, False): "增速", (False, True): "波动率"}.get((a.drift, a.volatility), "增速或波动率")
    en = {(True, False): "Drift", (False, True): "Volatility"}.get((a.drift, a.volatility), "Drift or volatility")
    return f"{zh}由用户设定", f"{en} set by the user"


def _shock(a: CommonShock) -> tuple[str, str]:
    path = np.round(np.asarray(a.path, dtype=float), 3).tolist()
    return f"共同冲击：标准差 {a.sd:g}，固定路径 {path}", f"Common shock: sd {a.sd:g}, fixed log shocks {path}"


def _assigned(a: AssignedTargets) -> tuple[str, str]:
    drift = a.rule == "drift"
    return ("预测年份的下达目标：" + ("按本单位增速增长" if drift else "保持最后一年"),
            "Assigned targets in projected years: "
            + ("grow at the unit's drift" if drift else "stay at the last year's"))


def _no_adjustments(_: NoAdjustments) -> tuple[str, str]:
    return ("预测年份没有加分、扣分和调整表中的一票否决（按指标条件的否决仍然适用）",
            "Projected years have no bonus or deduction points and no vetoes from the adjustments table (vetoes by "
            "indicator conditions still apply)")


def _ladder(a: LadderStart) -> tuple[str, str]:
    if a.year is None:
        return ("最后观测年份无法评估：第一个预测年份没有上一年（无进步奖，问责从零开始）",
                "The last observed year could not be evaluated: the first projected year has no year before it (no "
                "progress award, the accountability ladder starts from nothing)")
    return (f"进步奖与问责从{a.year}年（最后观测年份）的名次和连续居末年数接续",
            f"Progress awards and the accountability ladder continue from {a.year}, the last observed year (its "
            "ranks and bottom streaks)")


def _effort(a: EffortResponse) -> tuple[str, str]:
    return (f"假设：目标上调的年份，努力下降——该指标增速降低约 {a.drop:.1%}（目标上调超过 {a.threshold:.0%} 时）",
            f"Assumption: effort falls when the target ratchets up — log growth lower by {a.drop:g} in a year whose "
            f"target rose by more than {a.threshold:.0%}")


def _hold(a: HoldBack) -> tuple[str, str]:
    cap = "计分上限" if a.cap is None else f"{a.cap:g}"
    cap_en = "the scoring cap" if a.cap is None else f"{a.cap:g}"
    less = f"减 {a.margin:g}" if a.margin else ""
    less_en = f" less {a.margin:g}" if a.margin else ""
    return (f"假设：超额单位留有余力——完成率将超过{cap}时，只完成到{cap}{less}",
            f"Assumption: units ahead of target hold back — completion is held to {cap_en}{less_en} when it would "
            "exceed it")


def _left_out(a: LeftOut) -> tuple[str, str]:
    return (f"有 {a.cells} 个单元格（路径×年份×单位×指标，涉及 {a.paths} 条路径）的规则无法计分，"
            "按缺失处理（见 issues 表）",
            f"{a.cells} cells (path × year × unit × indicator, in {a.paths} paths) could not be scored by their rule "
            "and were left out as missing (see the issues table)")


_DESCRIBE: dict[type, Callable[[Any], tuple[str, str]]] = {
    OwnGrowth: _own_growth, UserGrowth: _user_growth, CommonShock: _shock, AssignedTargets: _assigned,
    NoAdjustments: _no_adjustments, LadderStart: _ladder, EffortResponse: _effort, HoldBack: _hold,
    LeftOut: _left_out,
}


def describe(assumption: Any) -> tuple[str, str]:
    """One assumption of a projection as a (Chinese, English) sentence; behavioural assumptions start with
    假设 / Assumption.

    >>> from simkit.analysis.dynamics import AssignedTargets
    >>> describe(AssignedTargets("last"))[0]
    '预测年份的下达目标：保持最后一年'
    """
    fn = _DESCRIBE.get(type(assumption))
    if fn is None:
        raise TypeError(f"no wording for the assumption {assumption!r}")
    return fn(assumption)


def assumptions_table(projection: Projection) -> pd.DataFrame:
    """Every stated assumption of a projection, one row each: columns 假设 (Chinese) and assumption (English).

    >>> import simkit
    >>> from simkit.analysis.dynamics import project
    >>> p = project(simkit.load_scenario("yiyang_2018_reform"), years=1, paths=5, units=["区县市"])
    >>> list(assumptions_table(p).columns), assumptions_table(p)["假设"].iat[0][:3]
    (['假设', 'assumption'], '增长：')
    """
    return pd.DataFrame([describe(a) for a in projection.assumptions], columns=["假设", "assumption"])
