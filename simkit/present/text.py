"""Sentences for people, in Chinese and in English: why a unit got its total (``explain``), what a cell's score
came from (``why``), and why a unit was vetoed.

>>> import simkit
>>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
>>> "赫山区" in explain(r, "HS").zh
True
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.explain import Explanation, explanation
from ..engine.result import Result
from ..rules.grading import quota
from .labels import GROUP_EN, MEASURE_LABELS


# ================================================================================================ why
def why(result: Result, unit: int, leaf: int) -> str:
    """What one cell's score came from (focus year, draw 0): each measure's value, target and share.

    ``unit`` and ``leaf`` are positions in the data's units and the scenario's leaves.
    """
    if "measured" not in result or result.measure_weight is None:
        return ""
    k = result.years.index(result.year)
    parts = []
    weights = result.unit_measure_weight  # (U, L, M): a unit's own blend (its group's rules, with groups)
    for j, name in enumerate(result.measures):
        w = weights[unit, leaf, j]
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


def veto_text_en(reason: str, names_en: dict[str, str]) -> str:
    """A veto reason in English: a condition ``deaths 10 ≥ 10`` as ``work-safety deaths 10 ≥ threshold 10``."""
    parts = reason.split(" ")
    if len(parts) == 4 and parts[2] in ("≥", "≤") and parts[0] in names_en:
        return f"{names_en[parts[0]]} {parts[1]} {parts[2]} threshold {parts[3]}"
    return reason or "one-vote veto"


def _cap_of(result: Result, indicator: str) -> float | None:
    """The scoring cap of an indicator's rule (the most a share can be), if it has one."""
    tree = result.plan.tree
    rule = result.scenario.rule_for(tree.path[tree.leaves.index(indicator)])
    cap = getattr(rule.scoring, "cap", None)
    return float(cap) if cap is not None else None


def veto_text(reason: str, names: dict[str, str]) -> str:
    """A veto reason for people: the table's reason as it is; a condition ``deaths 10 ≥ 10`` as
    ``安全生产事故死亡人数 10 ≥ 阈值 10，一票否决``."""
    parts = reason.split(" ")
    if len(parts) == 4 and parts[2] in ("≥", "≤") and parts[0] in names:
        return f"{names[parts[0]]} {parts[1]} {parts[2]} 阈值 {parts[3]}，一票否决"
    return reason or "一票否决"


POLICY_WORDS: dict[str, tuple[str, str]] = {
    "zero": ("不得分", "no points"), "previous_year": ("沿用上年数值", "last year's value carried forward"),
    "group_min": ("按组内最低得分率", "the group's lowest share"),
    "penalty": ("不得分并扣分", "no points and a penalty"),
    "exclude": ("不参加排名定等", "not ranked or graded"),
    "renormalise": ("权重分摊到其他指标", "its weight shared among the unit's other indicators"),
}


def missing_warning(table: pd.DataFrame) -> str | None:
    """A warning naming every unit with cells not reported and the indicators, in Chinese and English (None if
    there are none); ``table`` as ``present.tables.missing_table`` gives it."""
    if table.empty:
        return None
    lines = [f"警告：{table['unit'].nunique()} 个单位有未报送的数据（按方案的缺报规则处理）/ warning: "
             f"{table['unit'].nunique()} unit(s) did not report values the rules read:"]
    for (unit, name, year), part in table.groupby(["unit", "name", "year"], sort=False):
        how = "、".join(dict.fromkeys(POLICY_WORDS[p][0] for p in part["filled_by"]))
        how_en = ", ".join(dict.fromkeys(POLICY_WORDS[p][1] for p in part["filled_by"]))
        inds = "、".join(f"{n} {i}" for n, i in zip(part["indicator_name"], part["indicator"], strict=True))
        lines.append(f"- {name} ({unit}) {year}: {inds} — {how} / {how_en}")
    return "\n".join(lines)


def pool_warning(result: Result) -> str | None:
    """A warning when a bonus pool is not paid out whole (every unit that could take more is held at its
    base: vetoed under ``no_increase``, or paid nothing), in Chinese and English; None when it adds up.

    >>> import simkit
    >>> pool_warning(simkit.evaluate("yiyang_2018_reform")) is None
    True
    """
    b = result.budget()
    if b.get("pool") is None or b.get("difference") is None or abs(b["difference"]) < 1:
        return None
    left = -b["difference"]
    return (f"警告：奖金池 {b['pool']:,.0f} 元未能全部发放，剩余 {left:,.0f} 元（能多得的单位都已按上限发放，如被否决"
            f"且不得高于基数的单位）/ warning: the pool of {b['pool']:,.0f} yuan is not paid out whole; "
            f"{left:,.0f} yuan are left (every unit that could take more is held at its limit, e.g. vetoed units "
            "that may not exceed their base)")


# ============================================================================================ explain
def _places(a: int, b: int, zh: bool) -> str:
    if zh:
        return f"第{a}名" if a == b else f"第{a}–{b}名"
    return f"place {a}" if a == b else f"places {a}–{b}"


def _grade_rule(result: Result, row: pd.Series) -> tuple[str, str]:
    """How this unit's grade was given, as the rule applied to it: the veto that forced or limited it, or the
    places (and the quota or band) of its grade in its group."""
    sc = result.scenario
    grades = sc.grading.grades
    names = [g.name for g in grades]
    g = grades[names.index(row["grade"])]
    en_name = g.name_en or g.name
    veto = sc.adjustments.veto
    if row["vetoed"] and veto.grade is not None:
        counted = veto.counts_in_quota
        return (f"因一票否决，等次直接定为{g.name}（{'占用' if counted else '不占用'}该等次名额）",
                f"vetoed, so the grade is set to {en_name} ({'taking' if counted else 'on top of'} one place of its "
                "quota)")
    units = result.units
    same = units[(units["group"] == row["group"]) & (units["grade"] == row["grade"])]["rank"].dropna().astype(int)
    lo, hi = (int(same.min()), int(same.max())) if len(same) else (int(row["rank"]), int(row["rank"]))
    n = int(row["group_size"])
    zh, en = [f"{g.name}为组内{_places(lo, hi, True)}"], [f"{en_name} went to {_places(lo, hi, False)} of the group"]
    if g.share is not None or g.count is not None:
        q = int(quota(g.share, g.count, np.array([n]), sc.grading.rounding)[0])
        share_zh = f"（{g.share:.0%}）" if g.share is not None else ""
        share_en = f" ({g.share:.0%})" if g.share is not None else ""
        if g.from_ == "bottom":  # a bottom quota is counted from the last place up
            zh.append(f"名额为末{q}名{share_zh}")
            en.append(f"its quota is the last {q}{share_en}")
        else:  # a quota of places after the better grades' places, not "the first q"
            zh.append(f"名额{q}名{share_zh}")
            en.append(f"its quota is {q} place{'s' if q != 1 else ''}{share_en}")
    if g.min_score is not None:
        zh.append(f"需{g.min_score:g}分以上")
        en.append(f"it needs at least {g.min_score:g} points")
    if g.share is None and g.count is None and g.min_score is None:
        zh.append("即未进入更高等次的单位")
        en.append("the units not in a better grade")
    if row["vetoed"] and veto.best_grade is not None:
        best = grades[names.index(veto.best_grade)]
        zh.append(f"一票否决使其等次不能高于{best.name}")
        en.append(f"the veto keeps it from a grade better than {best.name_en or best.name}")
    return "，".join(zh), "; ".join(en)


def _stabilising(result: Result, row: pd.Series) -> tuple[list[str], list[str]]:
    """Sentences on the stabilising options in force: the smoothed score (``ranking.smooth_years``), the
    tolerance band (``grading.tie_margin``) and the accountability threshold (``accountability.require``)."""
    sc = result.scenario
    zh: list[str] = []
    en: list[str] = []
    k = sc.ranking.smooth_years
    if k > 1 and "score_smoothed" in row:
        v = row["score_smoothed"]
        zh.append(f"排名和定等依据近{k}年总分的平均值{v:.2f}分（本年总分{row['score']:.2f}分；数据或可评估年度不足"
                  f"{k}年的，按已有年度平均）。")
        en.append(f"Ranked and graded on the mean of its totals over the last {k} years, {v:.2f} (this year's total "
                  f"{row['score']:.2f}; fewer years where the data, or the years the rules can evaluate, start "
                  "later).")
    m = sc.grading.tie_margin
    if m > 0:
        col = "score_smoothed" if "score_smoothed" in row else "score"
        units = result.units
        near = units[(units["group"] == row["group"]) & (units["unit"] != row["unit"])
                     & ((units[col] - row[col]).abs() < m)]
        who = "、".join(near["name"])
        who_en = ", ".join(n or u for n, u in zip(near["name_en"], near["unit"], strict=True))
        with_zh = f"（本单位与{who}相差不足{m:g}分）" if who else ""
        zh.append(f"容差带：与相邻单位相差不足{m:g}分的视为并列定等{with_zh}。")
        en.append(f"Tolerance band: scores less than {m:g} points from the next one count as tied for grading"
                  + (f" (within {m:g} points of {who_en})" if who else "") + ".")
    acc = sc.consequences.accountability
    if acc is not None and acc.require is not None:
        req = acc.require
        parts_zh, parts_en = [], []
        if req.margin is not None:
            parts_zh.append(f"低于组内末位等次以外最低分{req.margin:g}分以上")
            parts_en.append(f"at least {req.margin:g} points below the lowest score of its group outside the bottom "
                            "tier")
        if req.in_last is not None:
            parts_zh.append(f"近{req.in_last.n}年中至少{req.in_last.m}年处于末位")
            parts_en.append(f"in the bottom tier in at least {req.in_last.m} of the last {req.in_last.n} years")
        join_zh, join_en = ("或", " or ") if req.combine == "any" else ("且", " and ")
        zh.append(f"问责门槛：处于末位且{join_zh.join(parts_zh)}的年度才计入问责。")
        en.append(f"Accountability threshold: a year in the bottom tier counts for the ladder only when the unit is "
                  f"{join_en.join(parts_en)}.")
        if row["grade"] in acc.bottom_grades and not row.get("accountability"):
            zh.append("本单位处于末位，但未达问责门槛，本年不问责。")
            en.append("The unit is in the bottom tier but below the threshold: no accountability this year.")
    return zh, en


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
    ind = result.data.indicators.set_index("indicator")
    names = ind["name"].to_dict()
    names_en = {k: v or k for k, v in ind["name_en"].to_dict().items()}
    group_en = GROUP_EN.get(row["group"], row["group"])

    zh = [f"{name}（{row['group']}）{result.year}年总分{row['score']:.2f}分"
          f"（指标得分{row['base_score']:.2f}，加分{adj['bonus_points']:g}，扣分{adj['deduction_points']:g}），"
          f"在本组{n}个单位中排第{row['rank']}名，等次为{row['grade']}。"]
    en = [f"{name_en} ({group_en}) scored {row['score']:.2f} in {result.year} (indicators "
          f"{row['base_score']:.2f}, bonus {adj['bonus_points']:g}, deductions {adj['deduction_points']:g}), "
          f"ranked {row['rank']} of {n} in its group, grade {row['grade_en']}."]
    rule_zh, rule_en = _grade_rule(result, row)
    zh.append(f"等次规则：{rule_zh}。")
    en.append(f"Grading: {rule_en}.")
    more_zh, more_en = _stabilising(result, row)
    zh += more_zh
    en += more_en
    if row["vetoed"]:
        zh.append(f"该单位被一票否决（{veto_text(row['veto_reason'], names)}）。")
        en.append(f"The unit was vetoed ({veto_text_en(row['veto_reason'], names_en)}).")
    zh.append("得分最多：" + "、".join(f"{r.indicator_name}{r.points:.2f}分/满分{r.weight:.2f}"
                                    for r in best.itertuples()) + "。")
    en.append("Most points from: " + ", ".join(f"{names_en.get(r.indicator, r.indicator)} {r.points:.2f} of "
                                                f"{r.weight:.2f}" for r in best.itertuples()) + ".")
    extra = c[c["points"] > c["weight"] + 1e-9]
    if len(extra):
        caps = sorted({_cap_of(result, i) for i in extra["indicator"]} - {None})
        cap_zh = "、".join(f"{v:.0%}" for v in caps)
        zh.append(f"（得分超过满分的指标为超额完成加分，最高为满分的{cap_zh}。）")
        en.append(f"(Points above the full points are extra credit above target, capped at {cap_zh} of them.)")
    if worst["lost"].max() > 0:
        zh.append("失分最多：" + "、".join(f"{r.indicator_name}失{r.lost:.2f}分（{r.why}）"
                                        for r in worst.itertuples() if r.lost > 0) + "。")
        en.append("Most points lost on: " + ", ".join(f"{names_en.get(r.indicator, r.indicator)} −{r.lost:.2f}"
                                                      for r in worst.itertuples() if r.lost > 0) + ".")
    if "payout" in row:
        f = row["bonus_factor"]
        bonus = result.scenario.consequences.bonus
        scale = result.budget()["scale"]
        scaled_zh = f"，按奖金池缩放×{scale:.4f}" if bonus.pool is not None else ""
        scaled_en = f", scaled ×{scale:.4f} to the pool" if scaled_zh else ""
        by_zh, by_en = ("按名次档次", "by rank tier") if bonus.by == "tier" else ("按等次", "by grade")
        real = row.get("realised_float", np.nan)
        real_zh = f"，实际浮动{real:+.1%}" if scaled_zh and not np.isnan(real) else ""
        real_en = f", paid {real:+.1%} on the base" if scaled_zh and not np.isnan(real) else ""
        zh.append(f"绩效奖金{row['payout']:,.0f}元（基数{row['bonus_base']:,.0f}元，{by_zh}浮动{f:+.0%}{scaled_zh}"
                  f"{real_zh}）。")
        en.append(f"Bonus {row['payout']:,.0f} yuan (base {row['bonus_base']:,.0f}, float {f:+.0%} {by_en}"
                  f"{scaled_en}{real_en}).")
        if row["vetoed"] and bonus.veto_cap_applies(result.scenario.consequences.veto) and \
                row["payout"] >= row["bonus_base"] - 0.5 and (scale or 0) > 1:
            zh.append("因一票否决，奖金不超过基数，奖金池余额按比例分给其他单位。")
            en.append("As it was vetoed, its bonus does not exceed its base; the rest of the pool goes to the others "
                      "in proportion.")
    if "award_slots" in row:
        zh.append(f"评先评优指标{row['award_slots']}个。")
        en.append(f"Award slots: {row['award_slots']}.")
    if row.get("prize", 0) > 0:  # prize money: the grade's (综合奖励) and the progress award's (进步奖励)
        by_grade = result.scenario.consequences.prizes.by_grade
        overall = float(by_grade.get(row["grade"], 0.0)) if row["grade"] is not None else 0.0
        for amount, zh_word, en_word in ((overall, "综合奖励", "Overall award"),
                                         (float(row["prize"]) - overall, "进步奖励", "Progress award prize")):
            if amount > 0.5:
                zh.append(f"获{zh_word}" + (f"{amount / 10000:g}万元。" if amount >= 10000 else f"{amount:,.0f}元。"))
                en.append(f"{en_word}: {amount:,.0f} yuan.")
    if row.get("progress_award"):
        zh.append(f"比上年上升{row['rank_change']}位，获进步奖。")
        en.append(f"Up {row['rank_change']} places on last year: progress award.")
    if row.get("accountability"):
        zh.append(f"连续{row['bottom_years']}年处于末位，问责措施：{row['accountability']}。")
        en.append(f"In the bottom tier {row['bottom_years']} year(s) running: {row['accountability_en']}.")
    gaps = c[c["filled_by"] != ""] if "filled_by" in c else c.iloc[:0]
    if len(gaps):
        pol = "、".join(dict.fromkeys(POLICY_WORDS[p][0] for p in gaps["filled_by"]))
        pol_en = ", ".join(dict.fromkeys(POLICY_WORDS[p][1] for p in gaps["filled_by"]))
        zh.append(f"未报送{len(gaps)}项指标（{'、'.join(gaps['indicator_name'])}），按缺报规则{pol}。")
        en.append(f"{len(gaps)} indicator(s) not reported ("
                  + ", ".join(names_en.get(i, i) for i in gaps["indicator"]) + f"): {pol_en}.")
    if row.get("excluded"):
        zh.append("因缺报，该单位本年不参加排名定等。")
        en.append("Because of values not reported, the unit is not ranked or graded this year.")
    from .parts import explain_sentences  # parts of the year, events, the cascade, league tables (if any)

    more_zh, more_en = explain_sentences(result, row)
    zh += more_zh
    en += more_en
    if result.data.synthetic:
        zh.append("（合成数据，仅供演示）")
        en.append("(synthetic data, for illustration only)")
    return replace(exp, contributions=c, zh="".join(zh), en=" ".join(en))


# ============================================================================================ problems
def problem_summary(problems: list, limit: int = 20) -> str | None:
    """A long list of problems summarised by kind (how many, one example each), or None if it is short.

    Problems of one kind differ only in the unit, indicator, year or value they name.
    """
    import re
    from collections import Counter

    if len(problems) <= limit:
        return None
    kinds: Counter[str] = Counter()
    example: dict[str, str] = {}
    for p in problems:
        key = re.sub(r"'[^']*'|\([^)]*\)|-?\d[\d.,]*", "…", p.message)
        kinds[key] += 1
        example.setdefault(key, str(p))
    lines = [f"{len(problems)} problems of {len(kinds)} kind(s) / {len(problems)} 个问题，{len(kinds)} 类:"]
    lines += [f"- {n} × {example[k]}" for k, n in kinds.most_common()]
    return "\n".join(lines)


# ===================================================================================== what would it take
def what_it_takes_text(w: Any, lang: str = "zh") -> str:
    """The sentence for a ``simkit.analysis.sensitivity.WhatItTakes``: which value of the indicator moves the
    unit up a grade, or why none does.

    >>> import simkit
    >>> from simkit.analysis.sensitivity import what_would_it_take
    >>> w = what_would_it_take(simkit.evaluate("yiyang_2018_reform"), "ZY", "tax_rev")
    >>> what_it_takes_text(w).startswith("资阳区：")
    True
    """
    if not w.feasible:
        reach = f"{w.limit:,.6g}" if w.limit is not None else ""
        said = {"best_grade": ("已是最高等次", "already in the best grade"),
                "no_grade": ("没有等次（未参加评定）", "has no grade (not graded)"),
                "out_of_reach": (f"{w.indicator_name}（{w.indicator}）在可计分范围内（至 {reach}）无论取何值"
                                 "都不能提升等次",
                                 f"no value of {w.indicator} the rules can score (up to {reach}) moves it up a grade")}
        if w.reason in said:
            zh, en = said[w.reason]
            return f"{w.unit}: {en}." if lang == "en" else f"{w.name}：{zh}。"
    if lang == "en":
        if not w.feasible:
            return f"{w.unit}: {w.note}"
        pct = f" ({w.change_pct:+.2f}%)" if w.change_pct is not None else ""
        en = w.grade_names_en
        return (f"{w.unit}: {w.indicator} {w.year} from {w.value:,.6g} to {w.required_value:,.6g}{pct} moves it "
                f"from {en.get(w.grade_now, w.grade_now)} to {en.get(w.grade_then, w.grade_then)} "
                f"(rank {w.rank_now} → {w.rank_then}).")
    if not w.feasible:
        return f"{w.name}：{w.note}"
    pct = f"（{w.change_pct:+.2f}%）" if w.change_pct is not None else ""
    return (f"{w.name}：{w.indicator_name}（{w.indicator}）{w.year}年由 {w.value:,.6g} 变为 {w.required_value:,.6g}"
            f"{pct}，等次由{w.grade_now}升为{w.grade_then}（名次 {w.rank_now} → {w.rank_then}）。")
