"""Sentences for people, in Chinese and in English: why a unit got its total (``explain``), what a cell's score
came from (``why``), and why a unit was vetoed.

>>> import simkit
>>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
>>> "赫山区" in explain(r, "HS").zh
True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..analysis.explain import Explanation, explanation
from ..engine.result import Result
from ..rules.grading import quota
from .labels import MEASURE_LABELS


# ================================================================================================ why
def why(result: Result, unit: int, leaf: int) -> str:
    """What one cell's score came from (focus year, draw 0): each measure's value, target and share.

    ``unit`` and ``leaf`` are positions in the data's units and the scenario's leaves.
    """
    if "measured" not in result or result.measure_weight is None:
        return ""
    k = result.years.index(result.year)
    parts = []
    for j, name in enumerate(result.measures):
        w = result.measure_weight[leaf, j]
        if w == 0:
            continue
        mv, qv, sv = (result[v][0, k, unit, leaf, j] for v in ("measured", "target", "part_share"))
        fmt = "{:.2%}" if name == "growth" else "{:,.4g}"
        txt = f"{MEASURE_LABELS[name][0]} {fmt.format(mv) if not np.isnan(mv) else '缺失'}"
        if not np.isnan(qv):
            txt += f" / 目标 {fmt.format(qv)}"
        txt += f" → 得分率 {sv:.1%}" if not np.isnan(sv) else " → 缺失"
        if w < 1:
            txt += f"（权重{w:.0%}）"
        parts.append(txt)
    return "；".join(parts)


def why_column(result: Result, table: pd.DataFrame) -> list[str]:
    """``why`` for every row of an indicators table of ``result`` (built on demand: one string per row)."""
    units = {u: k for k, u in enumerate(result.data.unit_ids)}
    leaves = {lf: k for k, lf in enumerate(result.plan.tree.leaves)}
    return [why(result, units[u], leaves[i]) for u, i in zip(table["unit"], table["indicator"], strict=True)]


def veto_text(reason: str, names: dict[str, str]) -> str:
    """A veto reason for people: the table's reason as it is; a condition ``deaths 10 ≥ 10`` as
    ``安全生产事故死亡人数 10 ≥ 阈值 10，一票否决``."""
    parts = reason.split(" ")
    if len(parts) == 4 and parts[2] in ("≥", "≤") and parts[0] in names:
        return f"{names[parts[0]]} {parts[1]} {parts[2]} 阈值 {parts[3]}，一票否决"
    return reason or "一票否决"


# ============================================================================================ explain
def _grade_rule(result: Result, grade: str, n: int) -> tuple[str, str]:
    """How the grade is given, in words."""
    g = next(g for g in result.scenario.grading.grades if g.name == grade)
    zh, en = [], []
    if g.share is not None or g.count is not None:
        q = int(quota(g.share, g.count, np.array([n]), result.scenario.grading.rounding)[0])
        where = "末" if g.from_ == "bottom" else "前"
        zh.append(f"{g.name}为组内{where}{q}名" + (f"（{g.share:.0%}）" if g.share is not None else ""))
        en.append(f"{g.name_en or g.name} goes to the {'bottom' if g.from_ == 'bottom' else 'top'} {q} of the group"
                  + (f" ({g.share:.0%})" if g.share is not None else ""))
    if g.min_score is not None:
        zh.append(f"需{g.min_score:g}分以上")
        en.append(f"needs at least {g.min_score:g} points")
    if not zh:
        zh.append(f"未进入更高等次的单位为{g.name}")
        en.append(f"units not in a better grade are {g.name_en or g.name}")
    return "，".join(zh), "; ".join(en)


def explain(result: Result, unit: str, top: int = 3) -> Explanation:
    """Break a unit's total into indicator contributions and adjustments, and say why in two languages.

    >>> import simkit
    >>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
    >>> explain(r, "HS").contributions.columns[:3].tolist()
    ['indicator', 'indicator_name', 'parent']
    """
    exp = explanation(result, unit)
    row, adj = exp.row, exp.adjustments
    c = exp.contributions.copy()
    c["why"] = why_column(result, c.assign(unit=row["unit"]))
    name, name_en = row["name"], row["name_en"] or row["name"]
    n = int(row["group_size"])
    best = c.head(top)
    worst = c.sort_values("lost", ascending=False).head(top)
    names = result.data.indicators.set_index("indicator")["name"].to_dict()

    zh = [f"{name}（{row['group']}）{result.year}年总分{row['score']:.2f}分"
          f"（指标得分{row['base_score']:.2f}，加分{adj['bonus_points']:g}，扣分{adj['deduction_points']:g}），"
          f"在本组{n}个单位中排第{row['rank']}名，等次为{row['grade']}。"]
    en = [f"{name_en} ({row['group']}) scored {row['score']:.2f} in {result.year} (indicators "
          f"{row['base_score']:.2f}, bonus {adj['bonus_points']:g}, deductions {adj['deduction_points']:g}), "
          f"ranked {row['rank']} of {n} in its group, grade {row['grade_en']}."]
    rule_zh, rule_en = _grade_rule(result, row["grade"], n)
    zh.append(f"等次规则：{rule_zh}。")
    en.append(f"Grading: {rule_en}.")
    if row["vetoed"]:
        zh.append(f"该单位被一票否决（{veto_text(row['veto_reason'], names)}），不能评为更高等次。")
        en.append(f"The unit was vetoed ({row['veto_reason']}), which limits its grade.")
    zh.append("得分最多：" + "、".join(f"{r.indicator_name}{r.points:.2f}分/满分{r.weight:.2f}"
                                    for r in best.itertuples()) + "。")
    en.append("Most points from: " + ", ".join(f"{r.indicator} {r.points:.2f} of {r.weight:.2f}"
                                                for r in best.itertuples()) + ".")
    if worst["lost"].max() > 0:
        zh.append("失分最多：" + "、".join(f"{r.indicator_name}失{r.lost:.2f}分（{r.why}）"
                                        for r in worst.itertuples() if r.lost > 0) + "。")
        en.append("Most points lost on: " + ", ".join(f"{r.indicator} −{r.lost:.2f}"
                                                      for r in worst.itertuples() if r.lost > 0) + ".")
    if "payout" in row:
        f = row["bonus_factor"]
        bonus = result.scenario.consequences.bonus
        scale = result.budget()["scale"]
        scaled_zh = f"，按奖金池缩放×{scale:.4f}" if bonus.pool is not None else ""
        scaled_en = f", scaled ×{scale:.4f} to the pool" if scaled_zh else ""
        by_zh, by_en = ("按名次档次", "by rank tier") if bonus.by == "tier" else ("按等次", "by grade")
        zh.append(f"绩效奖金{row['payout']:,.0f}元（基数{row['bonus_base']:,.0f}元，{by_zh}浮动{f:+.0%}{scaled_zh}）。")
        en.append(f"Bonus {row['payout']:,.0f} yuan (base {row['bonus_base']:,.0f}, float {f:+.0%} {by_en}"
                  f"{scaled_en}).")
    if "award_slots" in row:
        zh.append(f"评先评优指标{row['award_slots']}个。")
        en.append(f"Award slots: {row['award_slots']}.")
    if row.get("progress_award"):
        zh.append(f"比上年上升{row['rank_change']}位，获进步奖。")
        en.append(f"Up {row['rank_change']} places on last year: progress award.")
    if row.get("accountability"):
        zh.append(f"连续{row['bottom_years']}年处于末位，问责措施：{row['accountability']}。")
        en.append(f"In the bottom tier {row['bottom_years']} year(s) running: {row['accountability_en']}.")
    if result.data.synthetic:
        zh.append("（合成数据，仅供演示）")
        en.append("(synthetic data, for illustration only)")
    return replace(exp, contributions=c, zh="".join(zh), en=" ".join(en))
