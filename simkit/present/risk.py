"""The manipulability audit for people: each unit's best move in words, the scheme's index, the CSV tables.

Chinese first (``lang="zh"``), English with ``lang="en"``.  A move reads like
"缺报 税收收入 (tax_rev) 2018年数据：名次 8→6，较差→良好，奖金 +10,363,889 元".

>>> import simkit
>>> from simkit.analysis.audit import audit
>>> a = audit(simkit.load_scenario("yiyang_2018_reform").override({"missing": {"policy": "renormalise"}}),
...           simkit.load_data(), kinds=("withhold",))
>>> move_text(a.best.set_index("unit").loc["ZY"], a)
'缺报 税收收入 (tax_rev) 2018年数据：名次 8→6，较差→良好，约谈→无，奖金 +10,363,889 元'
>>> move_text(a.best.set_index("unit").loc["ZY"], a, "en")
'withhold Tax revenue (tax_rev) for 2018: rank 8→6, Poor→Good, interview→none, bonus +10,363,889 yuan'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..analysis.audit import KINDS, Audit
from .labels import SYNTHETIC_NOTE

#: Each kind of move, (Chinese, English).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "withhold": ("缺报", "withhold"), "hold_back": ("压低上年", "hold back"),
    "shift": ("跨年调节", "shift between years"), "category": ("改报组别", "report in another group"),
}

#: Headers of the best-move table, by language.
BEST_HEADERS: dict[str, dict[str, str]] = {
    "zh": {"group": "组别", "rank": "名次", "name": "单位", "grade": "等次", "accountability": "问责",
           "move": "最省力的有利操纵及结果", "cost": "代价(放弃产出)", "net_yuan": "净收益(元)", "misreport": "虚报",
           "tried": "试算操纵数", "improving": "有利操纵数"},
    "en": {"group": "Group", "rank": "Rank", "name": "Unit", "grade": "Grade", "accountability": "Accountability",
           "move": "Cheapest profitable move and its result", "cost": "Cost (output given up)",
           "net_yuan": "Net gain (yuan)", "misreport": "Misreport", "tried": "Moves tried",
           "improving": "Profitable moves"},
}

#: Rows of the index table, (Chinese, English).
INDEX_LABELS: dict[str, tuple[str, str]] = {
    "units": ("考核单位数", "units audited"),
    "manipulable": ("有低代价有利操纵的单位数", "units with a profitable move within the cost cap"),
    "index": ("可操纵指数（占比）", "manipulability index (share of units)"),
    "cost_cap": ("代价上限（占本单位该项产出）", "cost cap (share of the unit's own output)"),
    "grade_share": ("可借操纵提升等次的单位占比", "share of units whose grade a move lifts"),
    "mean_gain_yuan": ("平均净收益（元，全部单位）", "mean net gain (yuan, over every unit)"),
    "max_gain_yuan": ("最大净收益（元）", "largest net gain (yuan)"),
}


def _yuan(x: float, lang: str) -> str:
    sign = "+" if x >= 0 else "−"
    return f"{sign}{abs(round(float(x))):,} {'元' if lang == 'zh' else 'yuan'}"


def _amount(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


class _Words:
    """Names of one audit's indicators, grades, steps and groups in one language."""

    def __init__(self, audit: Audit, lang: str) -> None:
        self.zh = lang == "zh"
        sc, data = audit.scenario, audit.data
        self.info = data.indicator_info
        self.grades = {g.name: (g.name if self.zh else (g.name_en or g.name)) for g in sc.grading.grades}
        acc = sc.consequences.accountability
        self.steps = {} if acc is None else {
            s: (s if self.zh else (acc.steps_en[k] if k < len(acc.steps_en) else s)) for k, s in enumerate(acc.steps)}
        self.groups = data.group_en

    def indicator(self, leaf: str) -> str:
        row = self.info.get(leaf, {})
        name = row.get("name", leaf) if self.zh else (row.get("name_en") or row.get("name", leaf))
        return f"{name} ({leaf})"

    def direction(self, leaf: str) -> float:
        return float(self.info.get(leaf, {}).get("direction", 1))

    def unit_of(self, leaf: str) -> str:
        return str(self.info.get(leaf, {}).get("measure_unit") or "")

    def grade(self, g: Any) -> str:
        return self.grades.get(g, str(g)) if isinstance(g, str) and g else ("无" if self.zh else "none")

    def step(self, s: Any) -> str:
        return self.steps.get(s, str(s)) if isinstance(s, str) and s else ("无" if self.zh else "none")

    def group(self, g: str) -> str:
        return g if self.zh else self.groups.get(g, g)


def _what(row: Any, w: _Words) -> str:
    kind, zh = row["kind"], w.zh
    if kind == "category":
        return f"改在「{w.group(row['to_group'])}」组考核" if zh else f"be ranked in {w.group(row['to_group'])}"
    ind, unit = w.indicator(row["indicator"]), w.unit_of(row["indicator"])
    y0, y1 = int(row["year_from"]), int(row["year_to"])
    amount = f"{_amount(float(row['amount']))} {unit}".strip()
    if kind == "withhold":
        return f"缺报 {ind} {y0}年数据" if zh else f"withhold {ind} for {y0}"
    if kind == "hold_back":
        pct = f"{float(row['fraction']):.0%}"
        if w.direction(row["indicator"]) < 0:  # lower is better: the year is let be worse
            return (f"放松 {y0}年 {ind} {pct}（多 {amount}）" if zh else
                    f"let {ind} be {pct} worse in {y0} ({amount} more)")
        return (f"压低 {y0}年 {ind} {pct}（放弃 {amount}）" if zh else
                f"hold back {pct} of {ind} in {y0} ({amount} given up)")
    return f"将 {ind} {amount} 从{y0}年移至{y1}年" if zh else f"move {amount} of {ind} from {y0} to {y1}"


def _result(row: Any, w: _Words) -> str:
    zh = w.zh
    parts = []
    if pd.notna(row["rank_before"]) and pd.notna(row["rank_after"]) and row["rank_before"] != row["rank_after"]:
        parts.append(f"{'名次' if zh else 'rank'} {int(row['rank_before'])}→{int(row['rank_after'])}")
    if row["grade_before"] != row["grade_after"]:
        parts.append(f"{w.grade(row['grade_before'])}→{w.grade(row['grade_after'])}")
    if row.get("accountability_before") is not None and row["accountability_before"] != row["accountability_after"]:
        parts.append(f"{w.step(row['accountability_before'])}→{w.step(row['accountability_after'])}")
    parts.append(f"{'奖金' if zh else 'bonus'} {_yuan(row['gain_yuan'], 'zh' if zh else 'en')}")
    text = ("，" if zh else ", ").join(parts)
    if pd.notna(row.get("yuan_prev_change")) and (abs(row["yuan_prev_change"]) > 0.5
                                                  or row["grade_prev_before"] != row["grade_prev_after"]):
        lang = "zh" if zh else "en"
        prev = f"{w.grade(row['grade_prev_before'])}→{w.grade(row['grade_prev_after'])}" \
            if row["grade_prev_before"] != row["grade_prev_after"] else ""
        money = _yuan(row["yuan_prev_change"], lang)
        text += (f"（上年 {prev + '，' if prev else ''}奖金 {money}；合计 {_yuan(row['net_yuan'], lang)}）" if zh else
                 f" (the year before: {prev + ', ' if prev else ''}bonus {money}; net {_yuan(row['net_yuan'], lang)})")
    return text


def move_text(row: Any, audit: Audit, lang: str = "zh") -> str:
    """One move (a row of ``audit.moves`` or ``audit.best``) and its result, in words."""
    w = _Words(audit, lang)
    if not row["kind"]:
        return "无有利操纵" if lang == "zh" else "no profitable move"
    return _what(row, w) + ("：" if lang == "zh" else ": ") + _result(row, w)


def _texts(frame: pd.DataFrame, audit: Audit, lang: str, result: bool = True) -> list[str]:
    """Every row's move (and its result) in words."""
    w = _Words(audit, lang)
    sep = "：" if lang == "zh" else ": "
    none = "无有利操纵" if lang == "zh" else "no profitable move"
    return [(_what(r, w) + (sep + _result(r, w) if result else "")) if r["kind"] else none
            for r in frame.to_dict("records")]


def best_table(audit: Audit, lang: str = "zh") -> pd.DataFrame:
    """Per unit (group, rank) its cheapest profitable move in words, the cost, the net gain, with headers in
    Chinese (``zh``) or English (``en``).

    >>> import simkit
    >>> from simkit.analysis.audit import audit
    >>> list(best_table(audit("yiyang_2018_reform", simkit.load_data(), kinds=("withhold",))).columns[:4])
    ['组别', '名次', '单位', '等次']
    """
    b = audit.best
    w = _Words(audit, lang)
    units = audit.data.units.set_index("unit")
    zh = lang == "zh"
    df = pd.DataFrame({
        "group": [w.group(g) for g in b["group"]],
        "rank": b["rank_before"],
        "name": b["name"] if zh else [units.loc[u, "name_en"] or n for u, n in zip(b["unit"], b["name"], strict=True)],
        "grade": [w.grade(g) for g in b["grade_before"]],
    })
    if "accountability_before" in b:
        df["accountability"] = [w.step(s) if s else "" for s in b["accountability_before"]]
    df["move"] = _texts(b, audit, lang)
    df["cost"] = [f"{c:.0%}" if k else "" for c, k in zip(b["cost"].fillna(0.0), b["kind"], strict=True)]
    df["net_yuan"] = pd.array(np.where(b["kind"] != "", b["net_yuan"].fillna(0.0).round(), np.nan), dtype="Int64")
    yes, no = ("是", "否") if zh else ("yes", "no")
    df["misreport"] = [(yes if m else no) if k else "" for m, k in zip(b["misreport"], b["kind"], strict=True)]
    df["tried"], df["improving"] = b["moves_tried"], b["improving"]
    return df.rename(columns=BEST_HEADERS[lang])


def index_table(audit: Audit, lang: str = "zh") -> pd.DataFrame:
    """The scheme's manipulability index, one row per figure, then the share of units by the kind of their best
    move; headers and names in Chinese (``zh``) or English (``en``)."""
    k = 0 if lang == "zh" else 1
    idx = audit.index
    rows = []
    for key, names in INDEX_LABELS.items():
        v = idx[key]
        if key in ("index", "cost_cap", "grade_share"):
            text = f"{v:.1%}"
        elif key.endswith("yuan"):
            text = f"{round(v):,}"
        else:
            text = f"{v:d}"
        rows.append((names[k], text))
    for kind in KINDS:
        label = KIND_LABELS[kind][k]
        rows.append((f"最优操纵为「{label}」的单位占比" if k == 0 else f"share of units whose best move is: {label}",
                     f"{idx['by_kind'][kind]:.1%}"))
    return pd.DataFrame(rows, columns=["指标", "数值"] if k == 0 else ["Figure", "Value"])


def index_tables(audits: Any, lang: str = "zh") -> pd.DataFrame:
    """Several schemes' manipulability indices side by side: ``index_table``'s rows, one column per scheme (its
    name in the language asked for).

    >>> import simkit
    >>> from simkit.analysis.audit import audit
    >>> a = audit("yiyang_2018_reform", simkit.load_data(), kinds=("withhold",))
    >>> index_tables([a], "en").columns.tolist()
    ['Figure', 'Yiyang 2018 reform']
    """
    items = [audits] if isinstance(audits, Audit) else list(audits)
    out: pd.DataFrame | None = None
    for k, a in enumerate(items):
        t = index_table(a, lang)
        name = a.scenario.name if lang == "zh" else (a.scenario.name_en or a.scenario.name)
        if out is not None and name in out.columns:  # two schemes of the same name
            name = f"{name} ({k + 1})"
        t = t.rename(columns={t.columns[1]: name})
        out = t if out is None else out.assign(**{name: t[name].to_numpy()})
    assert out is not None, "give at least one audit"
    return out


def moves_csv(audit: Audit) -> pd.DataFrame:
    """``audit.moves`` as audit.csv writes it: the move in words (Chinese and English), the synthetic mark."""
    m = audit.moves.copy()
    m.insert(4, "move", pd.Series(_texts(m, audit, "zh", result=False), index=m.index, dtype=object))
    m.insert(5, "move_en", pd.Series(_texts(m, audit, "en", result=False), index=m.index, dtype=object))
    return m.assign(data_note=SYNTHETIC_NOTE) if audit.data.synthetic else m


def best_csv(audit: Audit) -> pd.DataFrame:
    """``audit.best`` as audit_best.csv writes it: the move and its result in words (Chinese and English)."""
    b = audit.best.copy()
    b.insert(8, "move", _texts(b, audit, "zh"))
    b.insert(9, "move_en", _texts(b, audit, "en"))
    return b.assign(data_note=SYNTHETIC_NOTE) if audit.data.synthetic else b


__all__ = ["BEST_HEADERS", "INDEX_LABELS", "KIND_LABELS", "best_csv", "best_table", "index_table",
           "index_tables", "move_text", "moves_csv"]


# ============================================================================ consequence risk (问责风险)
#: Headers of the consequence-risk table, by language (grades, steps and tiers follow as P(name)).
RISK_HEADERS: dict[str, dict[str, str]] = {
    "zh": {"group": "组别", "rank": "名次", "name": "单位", "rank_range": "名次区间(5–95%)", "grade": "等次",
           "step": "问责", "p_accountability_years": "各年曾被问责", "p_progress": "P(进步奖)",
           "payout": "奖金区间(万元,5–95%)", "up": "升一等次所需", "down": "降一等次余量"},
    "en": {"group": "Group", "rank": "Rank", "name": "Unit", "rank_range": "Rank 5–95%", "grade": "Grade",
           "step": "Accountability", "p_accountability_years": "Held accountable in any year",
           "p_progress": "P(progress award)", "payout": "Bonus 5–95% (10k yuan)", "up": "To move up a grade",
           "down": "Room before moving down"},
}

#: Rows of the tenure table, (Chinese, English).
TENURE_LABELS: dict[str, tuple[str, str]] = {
    "false": ("误问责率：任期内真实表现从未居末档却被问责", "false accountability: never in the latent bottom tier, "
              "yet 约谈 or moved"),
    "missed": ("漏问责率：真实表现持续居末档却未被问责", "missed accountability: persistently in the latent bottom "
               "tier, never held accountable"),
}


def _pct(x: Any, digits: int = 1) -> str:
    return "" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def _margin_text(row: Any, way: str, names: dict[str, str], grades: dict[str, str], zh: bool) -> str:
    """``一般 总分+0.275；一般公共预算收入 +0.39%`` (or in English) for one direction of one unit."""
    grade = row.get(f"grade_{way}")
    if not isinstance(grade, str):
        if way == "up":
            return "已是最高等次" if zh else "best grade"
        return "已是最低等次" if zh else "worst grade"
    sign = "+" if way == "up" else "−"
    points = f"{'总分' if zh else 'total '}{sign}{row[f'margin_{way}']:.3f}{'分' if zh else ' pts'}"
    text = f"{grades.get(grade, grade)} {points}"
    leaf = row.get(f"{way}_indicator")
    if isinstance(leaf, str) and np.isfinite(row.get(f"{way}_change_pct", np.nan)):
        pct = row[f"{way}_change_pct"]
        text += f"{'；' if zh else '; '}{names.get(leaf, leaf)} {'+' if pct >= 0 else '−'}{abs(pct):.2f}%"
    elif f"{way}_indicator" in row:
        text += "；单项指标不足以改变" if zh else "; no single indicator suffices"
    return text


def risk_table(table: pd.DataFrame, data: Any, lang: str = "zh") -> pd.DataFrame:
    """``analysis.risk.consequence_risk``'s table for people: per unit its rank interval, the probability of each
    grade, of each accountability step and of a progress award (percentages), the bonus interval (10,000 yuan)
    and what moves it a grade up or down; headers in Chinese (``zh``) or English (``en``).

    >>> import simkit
    >>> from simkit.analysis.risk import consequence_risk
    >>> t = consequence_risk("yiyang_2018_reform", draws=100, seed=1, margins=False)
    >>> list(risk_table(t, simkit.load_data()).columns[:6])
    ['组别', '名次', '单位', '名次区间(5–95%)', '等次', 'P(优秀)']
    """
    zh = lang == "zh"
    a = table.attrs
    heads = RISK_HEADERS[lang]
    grade_en = dict(zip(a.get("grades", ()), a.get("grades_en", ()), strict=False))
    step_en = dict(zip(a.get("steps", ()), a.get("steps_en", ()), strict=False))
    grades = {g: (g if zh else grade_en.get(g, g)) for g in a.get("grades", ())}
    steps = {s: (s if zh else step_en.get(s, s)) for s in a.get("steps", ())}
    info = data.indicator_info
    names = {k: (v.get("name", k) if zh else (v.get("name_en") or v.get("name", k))) for k, v in info.items()}
    units = data.units.set_index("unit")
    groups = data.group_en
    out = pd.DataFrame({
        heads["group"]: [g if zh else groups.get(g, g) for g in table["group"]],
        heads["rank"]: table["nominal_rank"],
        heads["name"]: table["name"] if zh else [units.loc[u, "name_en"] or n for u, n in
                                                 zip(table["unit"], table["name"], strict=True)],
        heads["rank_range"]: [f"{lo:.0f}–{hi:.0f}" if np.isfinite(lo) else "" for lo, hi in
                              zip(table["rank_q05"], table["rank_q95"], strict=True)],
        heads["grade"]: [grades.get(g, "") if isinstance(g, str) else "" for g in table["nominal_grade"]],
    })
    for g in a.get("grades", ()):
        out[f"P({grades[g]})"] = [_pct(x) for x in table[f"p_{g}"]]
    if "nominal_step" in table:
        out[heads["step"]] = [steps.get(s, "") for s in table["nominal_step"]]
        for s in a.get("steps", ()):
            out[f"P({steps[s]})"] = [_pct(x) for x in table[f"p_{s}"]]
        out[heads["p_accountability_years"]] = [_pct(x) for x in table["p_accountability_years"]]
    if "p_progress" in table:
        out[heads["p_progress"]] = [_pct(x) for x in table["p_progress"]]
    for tier in a.get("tiers", ()):
        out[f"P({tier})"] = [_pct(x) for x in table[f"p_tier_{tier}"]]
    if "payout_q05" in table:
        out[heads["payout"]] = [f"{lo / 1e4:,.0f}–{hi / 1e4:,.0f}" if np.isfinite(lo) else "" for lo, hi in
                                zip(table["payout_q05"], table["payout_q95"], strict=True)]
    if "margin_up" in table:
        rows = table.to_dict("records")
        out[heads["up"]] = [_margin_text(r, "up", names, grades, zh) for r in rows]
        out[heads["down"]] = [_margin_text(r, "down", names, grades, zh) for r in rows]
    return out


def risk_csv(tables: pd.DataFrame | list[pd.DataFrame], data: Any) -> pd.DataFrame:
    """One or several scenarios' consequence-risk tables as risk.csv writes them: a ``scenario`` column first,
    every column of the library's table, the synthetic mark."""
    frames = [tables] if isinstance(tables, pd.DataFrame) else list(tables)
    out = pd.concat([t.assign(scenario=t.attrs.get("scenario", "")) for t in frames], ignore_index=True)
    out = out[["scenario", *[c for c in out.columns if c != "scenario"]]]
    return out.assign(data_note=SYNTHETIC_NOTE) if getattr(data, "synthetic", False) else out


def tenure_table(table: pd.DataFrame, lang: str = "zh", groups: Any = None, data: Any = None) -> pd.DataFrame:
    """``analysis.risk.tenure_accountability``'s rows side by side: one row per rate, tenure and group, one column
    per scheme with ``rate [lo, hi]`` as percentages and the counts (``n/N``); ``groups`` (default: all) picks the
    groups shown.  In English (``lang="en"``) the schemes are headed by their English names, and the groups are
    named in English when ``data`` (the dataset) is given.

    >>> from simkit.analysis.risk import tenure_accountability
    >>> t = tenure_table(tenure_accountability("yiyang_2018_reform", tenure=3, paths=10), groups=["all"])
    >>> t.columns.tolist(), len(t)
    (['指标', '任期(年)', '组别', '益阳2018改革方案'], 2)
    >>> tenure_table(tenure_accountability("yiyang_2018_reform", tenure=3, paths=10), "en", ["all"]).columns[-1]
    'Yiyang 2018 reform'
    """
    zh = lang == "zh"
    k = 0 if zh else 1
    rows = table if groups is None else table[table["group"].isin(list(groups))]
    labels = list(dict.fromkeys(rows["scenario"]))
    heads = {} if zh else dict(zip(table.attrs.get("labels", ()), table.attrs.get("labels_en", ()), strict=False))
    group_names = {} if zh or data is None else dict(getattr(data, "group_en", {}) or {})
    keys = rows[["tenure", "group"]].drop_duplicates()
    out = []
    all_name = "全部" if zh else "all"
    for name in ("false", "missed"):
        for tenure, group in keys.itertuples(index=False):
            line: dict[str, Any] = {("指标" if zh else "Rate"): TENURE_LABELS[name][k],
                                    ("任期(年)" if zh else "Tenure (years)"): tenure,
                                    ("组别" if zh else "Group"): all_name if group == "all" else
                                    group_names.get(group, group)}
            for label in labels:
                head = heads.get(label, label)
                r = rows[(rows["scenario"] == label) & (rows["tenure"] == tenure) & (rows["group"] == group)]
                if not len(r):
                    line[head] = ""
                    continue
                r = r.iloc[0]
                hit, total = (r["false_count"], r["clear"]) if name == "false" else (r["missed_count"], r["persistent"])
                line[head] = (f"{_pct(r[f'{name}_rate'])} [{_pct(r[f'{name}_lo'])}, {_pct(r[f'{name}_hi'])}] "
                              f"({hit}/{total})") if total else "—"
            out.append(line)
    return pd.DataFrame(out)


def tenure_csv(table: pd.DataFrame, data: Any) -> pd.DataFrame:
    """``tenure_accountability``'s rows as tenure.csv writes them (with the synthetic mark)."""
    return table.assign(data_note=SYNTHETIC_NOTE) if getattr(data, "synthetic", False) else table


__all__ += ["RISK_HEADERS", "TENURE_LABELS", "risk_csv", "risk_table", "tenure_csv", "tenure_table"]
