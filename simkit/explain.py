"""Why a unit got its total, rank, grade, bonus and award slots: contributions and a sentence in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import Problem, SimkitError
from .grading import quota


@dataclass(frozen=True)
class Explanation:
    unit: str
    name: str
    contributions: pd.DataFrame  # per indicator: weight (points available), share, points, lost
    adjustments: dict[str, float]
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return f"{self.zh}\n{self.en}"


def _find(result, unit: str) -> pd.Series:
    u = result.units
    hit = u[(u["unit"] == unit) | (u["name"] == unit) | (u["name_en"] == unit)]
    if hit.empty:
        raise SimkitError(Problem(result.data.source, f"no unit called {unit!r}",
                                  "give a unit id or name from the units table (e.g. "
                                  f"{u['unit'].iat[0]} or {u['name'].iat[0]})", field="unit"))
    return hit.iloc[0]


def _grade_rule(result, grade: str, n: int) -> tuple[str, str]:
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


def explain(result, unit: str, top: int = 3) -> Explanation:
    """Break a unit's total into indicator contributions and adjustments, and say why in two languages.

    >>> import simkit
    >>> r = simkit.evaluate(simkit.load_scenario("scenarios/yiyang_2018_reform.yaml"))
    >>> "赫山区" in r.explain("HS").zh
    True
    """
    row = _find(result, unit)
    ind = result.indicators
    c = ind[ind["unit"] == row["unit"]][["indicator", "indicator_name", "parent", "weight", "share", "points",
                                         "why"]].copy()
    c["lost"] = (c["weight"] - c["points"]).clip(lower=0)
    c = c.sort_values("points", ascending=False).reset_index(drop=True)
    adj = {"bonus_points": float(row["bonus_points"]), "deduction_points": float(row["deduction_points"])}
    name, name_en = row["name"], row["name_en"] or row["name"]
    n = int(row["group_size"])
    best = c.head(top)
    worst = c.sort_values("lost", ascending=False).head(top)

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
        zh.append(f"该单位被一票否决（{row['veto_reason']}），不能评为更高等次。")
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
        scale = result.budget()["scale"]
        scaled_zh = f"，按奖金池缩放×{scale:.4f}" if result.scenario.consequences.bonus.pool is not None else ""
        scaled_en = f", scaled ×{scale:.4f} to the pool" if scaled_zh else ""
        by_tier = result.scenario.consequences.bonus.by == "tier"
        by_zh, by_en = ("按名次档次", "by rank tier") if by_tier else ("按等次", "by grade")
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
    return Explanation(row["unit"], name, c, adj, "".join(zh), " ".join(en))
