"""What people read about the parts of the year, the events, the cascade to people and the further league tables:
labels (Chinese and English), tables for people, and the sentences ``simkit.present.text.explain`` adds.

Every function returns nothing new for a scenario that uses none of these, so the tables and sentences of the
other scenarios stay as they were.

>>> import simkit
>>> r = simkit.evaluate("reform_components_events")
>>> "日常管理" in explain_sentences(r, r.units.iloc[0])[0][0]
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..engine.result import Result
from ..schema.sources import SOURCE_CODES, SOURCE_EN, SOURCES

#: How a year's value is made from its periods, (Chinese, English).
OVER_YEAR_WORDS: dict[str, tuple[str, str]] = {
    "mean": ("各期均值", "the mean of its periods"), "last": ("取最后一期", "the last period's"),
    "sum": ("各期合计", "the sum of its periods"),
}

#: Headers of the tables for people (Chinese; English in parentheses where a table is shown in English).
HEADERS: dict[str, dict[str, str]] = {
    "zh": {"unit": "编码", "name": "单位", "group": "组别", "grade": "等次", "component": "考核环节",
           "points": "分值", "score": "得分率(百分制)", "earned": "得分", "over_year": "年度取值",
           "date": "日期", "source": "来源", "kind": "问题类型", "deducts": "扣分", "veto": "一票否决",
           "note": "说明", "cap": "封顶", "staff_excellent_slots": "优秀名额", "team_grade": "班子等次",
           "leader_accountability": "主要领导问责", "leader_eligible": "主要领导可评优",
           "per_head_excellent": "优秀人均奖金(元)", "per_head_other": "其他人均奖金(元)",
           "individual_grade": "个人等次", "heads": "人数", "amount": "人均(元)", "plus_one": "多1元人数",
           "total": "合计(元)", "table": "榜单", "rank": "名次", "award_slots": "奖励名额",
           "staff_slots_base": "基准优秀名额", "staff_slots_reform": "改革优秀名额", "staff_slots_change": "名额变化",
           "team_grade_base": "基准班子等次", "team_grade_reform": "改革班子等次"},
    "en": {"unit": "Id", "name": "Unit", "group": "Group", "grade": "Grade", "component": "Part of the year",
           "points": "Points", "score": "Score (of 100)", "earned": "Points earned", "over_year": "Year's value",
           "date": "Date", "source": "Source", "kind": "Kind", "deducts": "Deducted", "veto": "Veto",
           "note": "Note", "cap": "Capped", "staff_excellent_slots": "Staff 优秀 slots", "team_grade": "Team grade",
           "leader_accountability": "Main leader", "leader_eligible": "Leader eligible for 优秀",
           "per_head_excellent": "Per head, 优秀 (yuan)", "per_head_other": "Per head, others (yuan)",
           "individual_grade": "Individual grade", "heads": "Heads", "amount": "Per head (yuan)",
           "plus_one": "Heads with 1 yuan more", "total": "Total (yuan)", "table": "League table", "rank": "Rank",
           "award_slots": "Award slots", "staff_slots_base": "Staff slots (base)",
           "staff_slots_reform": "Staff slots (reform)", "staff_slots_change": "Change",
           "team_grade_base": "Team grade (base)", "team_grade_reform": "Team grade (reform)"},
}


def _amount(x: float) -> str:
    return f"{x:g}"


# =============================================================================================== tables
def components_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """Per unit and part of the year: its points, the unit's score on it (of 100) and the points earned."""
    comps = result.scenario.components
    if not comps:
        return pd.DataFrame()
    u = result.units
    zh = lang == "zh"
    by_period = _periodic_components(result)
    how = {}
    for c in comps:  # how the year's value is made: only a component with values by period has a way
        if c.id in by_period:
            freq, words = by_period[c.id][0 if zh else 1], OVER_YEAR_WORDS[c.over_year][0 if zh else 1]
            how[c.id] = f"{freq}数据{words}" if zh else f"{freq} values, {words}"
        else:
            how[c.id] = "全年数值" if zh else "values of the year"
    rows = []
    for _, row in u.iterrows():
        for c in comps:
            score = float(row[f"score_{c.id}"])
            rows.append({"group": row["group"], "name": row["name"] if zh else (row["name_en"] or row["name"]),
                         "component": c.name if zh else (c.name_en or c.name), "points": c.points,
                         "score": round(score, 2), "earned": round(score * c.points / 100.0, 2),
                         "over_year": how[c.id]})
    return pd.DataFrame(rows).rename(columns=HEADERS[lang])


def components_summary(result: Result, lang: str = "zh") -> pd.DataFrame:
    """One row per unit, ranked within its group: the points earned on each part of the year (its full points
    in the header) and the total, as ``simkit run`` prints it; empty without ``components``.

    >>> import simkit
    >>> t = components_summary(simkit.evaluate("reform_components_events"))
    >>> list(t.columns)[:3], len(t) == 56
    (['组别', '单位', '日常管理（20分）'], True)
    """
    comps = result.scenario.components
    if not comps:
        return pd.DataFrame()
    zh = lang == "zh"
    u = result.units.sort_values(["group", "rank"], kind="stable")
    out = pd.DataFrame({HEADERS[lang]["group"]: u["group"].to_numpy(),
                        HEADERS[lang]["name"]: (u["name"] if zh else u["name_en"].fillna("").where(
                            u["name_en"].fillna("") != "", u["name"])).to_numpy()})
    for c in comps:
        head = f"{c.name}（{c.points:g}分）" if zh else f"{c.name_en or c.name} ({c.points:g} points)"
        out[head] = (u[f"score_{c.id}"].to_numpy(dtype=float) * c.points / 100.0).round(2)
    out["总分" if zh else "Total"] = u["score"].to_numpy(dtype=float).round(2)
    return out


def events_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """The focus year's events for people: unit, date, source, kind, points deducted, veto, whether a cap bound."""
    ev = result.events
    if ev.empty:
        return pd.DataFrame()
    zh = lang == "zh"
    out = pd.DataFrame({
        "group": ev["group"], "name": ev["name"], "date": ev["date"],
        "source": ev["source"] if zh else ev["source"].map(SOURCE_EN),
        "kind": ev["kind"], "deducts": ev["deducts"].round(2),
        "veto": ev["veto"].map({True: "是" if zh else "yes", False: ""}),
        "cap": [("总上限" if zh else "total cap") if t else (("来源上限" if zh else "source cap") if s else "")
                for s, t in zip(ev["source_cap_bound"], ev["total_cap_bound"], strict=True)],
        "note": ev["note"].fillna(""),
    })
    return out.rename(columns=HEADERS[lang])


def people_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """Per unit, the cascade: staff 优秀 slots, the team's grade, the main leader, per-head bonuses."""
    u = result.units
    cols = [c for c in ("staff_excellent_slots", "team_grade", "leader_accountability", "leader_eligible",
                        "per_head_excellent", "per_head_other") if c in u]
    if not cols:
        return pd.DataFrame()
    df = u[["group", "name", "grade", *cols]].copy()
    if lang == "en":
        df["name"] = u["name_en"].where(u["name_en"] != "", u["name"])
        df["grade"] = u["grade_en"]
        for c in ("team_grade", "leader_accountability"):
            if c in df:
                df[c] = u[f"{c}_en"]
    if "leader_eligible" in df:
        df["leader_eligible"] = df["leader_eligible"].map({True: "是" if lang == "zh" else "yes",
                                                           False: "否" if lang == "zh" else "no"})
    return df.rename(columns=HEADERS[lang])


def league_tables(result: Result, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Each further league table as ranked units: group, rank, name, score, grade, award slots."""
    out = {}
    for t in result.scenario.league_tables or ():
        if t.id not in result.leagues or result.year not in result.leagues[t.id].years:
            continue
        lg = result.leagues[t.id].at(result.year).units
        cols = ["group", "rank", "name", "score", "grade", *(["award_slots"] if "award_slots" in lg else [])]
        df = lg[cols].copy()
        if lang == "en":
            df["name"] = lg["name_en"].where(lg["name_en"] != "", lg["name"])
            df["grade"] = lg["grade_en"]
        df["score"] = df["score"].round(2)
        out[t.name if lang == "zh" else (t.name_en or t.name)] = df.rename(columns=HEADERS[lang])
    return out


def staff_changes(comparison: Any, lang: str = "zh") -> pd.DataFrame:
    """Per unit, the staff 优秀 slots under the base and the reform and the change (a comparison where either
    sets the cascade), and the team grades; empty otherwise."""
    c = comparison.units
    if "staff_slots_change" not in c:
        return pd.DataFrame()
    cols = ["group", "name", "grade_base", "grade_reform", "staff_slots_base", "staff_slots_reform",
            "staff_slots_change", *[x for x in ("team_grade_base", "team_grade_reform") if x in c]]
    df = c[cols].copy()
    for col in ("staff_slots_base", "staff_slots_reform", "staff_slots_change"):
        df[col] = df[col].round().astype("Int64")
    heads = {**HEADERS[lang], "grade_base": "基准等次" if lang == "zh" else "Grade (base)",
             "grade_reform": "改革等次" if lang == "zh" else "Grade (reform)"}
    return df.rename(columns=heads)


# ============================================================================================ sentences
def explain_sentences(result: Result, row: pd.Series) -> tuple[list[str], list[str]]:
    """The sentences (Chinese, English) that explain a unit's parts of the year, events, cascade and league
    tables; none for a scenario without them."""
    zh: list[str] = []
    en: list[str] = []
    sc = result.scenario
    if sc.components:
        parts_zh, parts_en = [], []
        by_period = _periodic_components(result)
        for c in sc.components:
            score = float(row.get(f"score_{c.id}", np.nan))
            earned = score * c.points / 100.0
            how_zh, how_en = OVER_YEAR_WORDS[c.over_year]
            freq_zh, freq_en = by_period.get(c.id, ("", ""))
            extra_zh = f"，{freq_zh}数据{how_zh}" if freq_zh else ""
            extra_en = f"; {freq_en} values, {how_en}" if freq_en else ""
            parts_zh.append(f"{c.name}{earned:.2f}分（满分{c.points:g}分，得分率{score:.1f}%{extra_zh}）")
            parts_en.append(f"{c.name_en or c.name} {earned:.2f} of {c.points:g} (score {score:.1f}{extra_en})")
        count = "一两三四五六七八九"[len(sc.components) - 1] if len(sc.components) < 10 else str(len(sc.components))
        zh.append(f"全年分{count}部分：" + "、".join(parts_zh) + "。")
        en.append("Parts of the year: " + "; ".join(parts_en) + ".")
    if result.inputs.events is not None:
        z, e = _event_sentences(result, row)
        zh += z
        en += e
    z, e = _people_sentences(result, row)
    zh += z
    en += e
    for t in sc.league_tables or ():
        rank = row.get(f"{t.id}_rank")
        if rank is None or pd.isna(rank):
            continue
        slots = row.get(f"{t.id}_award_slots")
        slot_zh = f"，奖励名额{int(slots)}个" if slots is not None and not pd.isna(slots) and slots > 0 else ""
        slot_en = f", {int(slots)} award slot(s)" if slot_zh else ""
        zh.append(f"{t.name}榜：第{int(rank)}名（{row[f'{t.id}_grade']}）{slot_zh}。")
        en.append(f"{t.name_en or t.name} table: rank {int(rank)} ({row[f'{t.id}_grade']}){slot_en}.")
    return zh, en


def _periodic_components(result: Result) -> dict[str, tuple[str, str]]:
    """Per component with leaves given by period: how often (月度, 季度 …), in Chinese and English."""
    data = result.data
    if not data.has_periods:
        return {}
    obs = data.observations
    freq = obs.loc[obs["period"] != ""].drop_duplicates("indicator").set_index("indicator")["period"].str[5]
    words = {"Q": ("季度", "quarterly"), "H": ("半年", "half-yearly")}
    out: dict[str, tuple[str, str]] = {}
    tree = result.plan.tree
    ids = {c.id for c in result.scenario.components}
    for k, leaf in enumerate(tree.leaves):
        if leaf not in freq.index:
            continue
        node = k
        while tree.parent[node] >= 0 and tree.nodes[tree.parent[node]] not in ids:
            node = tree.parent[node]
        comp = tree.nodes[tree.parent[node]] if tree.parent[node] >= 0 else None
        if comp is not None:
            zh, en = words.get(freq[leaf], ("月度", "monthly"))
            old = out.get(comp)
            out[comp] = (zh, en) if old is None or old == (zh, en) else ("按期", "periodic")
    return out


def _event_sentences(result: Result, row: pd.Series) -> tuple[list[str], list[str]]:
    ev = result.events
    mine = ev[ev["unit"] == row["unit"]]
    if mine.empty:
        return ["本年无督查、巡视巡察、审计扣分事项。"], ["No findings of supervision, inspection tours or audits this "
                                                     "year."]
    rules = result.scenario.events
    zh_parts, en_parts = [], []
    for source in SOURCES:
        part = mine[mine["source"] == source]
        if part.empty:
            continue
        items = "、".join(f"{r.date} {r.kind}{_amount(r.deducts)}分" for r in part.itertuples())
        items_en = ", ".join(f"{r.date} {r.kind} {_amount(r.deducts)}" for r in part.itertuples())
        raw = float(part["deducts"].sum())
        counted = float(row.get(f"deduction_{SOURCE_CODES[source]}", raw))
        cap = rules.rule_for(source).cap
        if bool(part["source_cap_bound"].iloc[0]):
            zh_parts.append(f"{source}（{items}）合计{_amount(raw)}分，超过{source}扣分上限{_amount(cap)}分，按"
                            f"{_amount(counted)}分计")
            en_parts.append(f"{SOURCE_EN[source]} ({items_en}) {_amount(raw)} in all, above the {SOURCE_EN[source]} "
                            f"cap of {_amount(cap)}: {_amount(counted)} counted")
        else:
            zh_parts.append(f"{source}（{items}）{_amount(counted)}分")
            en_parts.append(f"{SOURCE_EN[source]} ({items_en}) {_amount(counted)}")
    total = float(row.get("event_deduction", 0.0))
    zh = ["督查、巡视巡察、审计扣分：" + "；".join(zh_parts) + "。"]
    en = ["Findings deducted: " + "; ".join(en_parts) + "."]
    if "total" in str(row.get("event_cap", "")).split(","):
        zh.append(f"各来源合计超过总扣分上限{_amount(rules.cap)}分，按{_amount(total)}分扣减。")
        en.append(f"Together they exceed the cap of {_amount(rules.cap)} in total: {_amount(total)} deducted.")
    else:
        zh.append(f"合计扣{_amount(total)}分。")
        en.append(f"{_amount(total)} deducted in all.")
    vetoing = mine[mine["veto"]]
    if len(vetoing):
        zh.append("其中" + "、".join(f"{r.source}{r.kind}" for r in vetoing.itertuples()) + "属一票否决事项。")
        en.append("Of these, " + ", ".join(f"{r.kind} ({SOURCE_EN[r.source]})" for r in vetoing.itertuples())
                  + " is a veto kind.")
    return zh, en


def _people_sentences(result: Result, row: pd.Series) -> tuple[list[str], list[str]]:
    cascade = result.scenario.consequences.cascade
    if cascade is None:
        return [], []
    zh, en = [], []
    if "staff_excellent_slots" in row:
        st = cascade.staff
        share = st.vetoed if row["vetoed"] and st.vetoed is not None else st.share_of(row["grade"] or "")
        how_zh = (f"全市合计{st.city_total}个按最大余数分配" if st.city_total is not None else
                  ("向下取整" if st.rounding == "floor" else "四舍五入"))
        how_en = (f"{st.city_total} citywide, by largest remainder" if st.city_total is not None else
                  ("rounded down" if st.rounding == "floor" else "rounded half up"))
        zh.append(f"全员绩效考评优秀名额{int(row['staff_excellent_slots'])}个（{row['grade']}等次单位可评优秀比例"
                  f"{share:.0%}，{how_zh}）。")
        en.append(f"Staff 优秀 slots: {int(row['staff_excellent_slots'])} ({share:.0%} of staff for a unit graded "
                  f"{row['grade_en']}, {how_en}).")
    if "team_grade" in row and row["team_grade"] is not None:
        veto = "（因一票否决，班子等次最高为" + cascade.team.vetoed + "）" \
            if row["vetoed"] and cascade.team.vetoed is not None else ""
        veto_en = f" (after the veto, at best {cascade.team.vetoed})" if veto else ""
        zh.append(f"领导班子等次为{row['team_grade']}{veto}。")
        en.append(f"Leadership team: {row['team_grade_en']}{veto_en}.")
    if "leader_accountability" in row:
        step = row["leader_accountability"]
        can = "可" if row.get("leader_eligible", True) else "不可"
        zh.append(f"主要领导：{'问责措施' + step if step else '无问责'}，{can}评为优秀。")
        en.append(f"Main leader: {row['leader_accountability_en'] or 'no accountability step'}; "
                  f"{'may' if row.get('leader_eligible', True) else 'may not'} be rated 优秀.")
    if "per_head_excellent" in row:
        ph = cascade.per_head
        zh.append(f"个人奖金：{ph.excellent_name}每人约{row['per_head_excellent']:,.0f}元（×{ph.excellent:g}），"
                  f"{ph.other_name}每人约{row['per_head_other']:,.0f}元（×{ph.other:g}），合计等于单位奖金"
                  f"{row['payout']:,.0f}元。")
        en.append(f"Per head: about {row['per_head_excellent']:,.0f} yuan for staff rated 优秀 (×{ph.excellent:g}), "
                  f"{row['per_head_other']:,.0f} for the others (×{ph.other:g}), adding up to the unit's "
                  f"{row['payout']:,.0f}.")
    return zh, en
