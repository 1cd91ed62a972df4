"""The Chinese words of the problems of the parts of the year, the events, the scope, the rules per group, the
league tables and the cascade to people (issue 13), in the form of ``problems_catalogue``: (pattern of the
English text, Chinese template) pairs, tried after that catalogue's, and the words they use.

>>> from simkit.present.problems import message_zh, fix_zh
>>> message_zh("the period '2017-Q2' is outside the year 2018")
"期间 '2017-Q2' 不在该行年度 2018 年之内"
>>> fix_zh("write 督查, 巡视巡察, 审计 or 其他 (supervision, inspection, audit, other)")
'填写 督查、巡视巡察、审计 或 其他'
"""

from __future__ import annotations

#: The events table's Chinese label.
TABLES = {"events": "督查巡察审计事项"}

#: Words that stand in a message as a group (``w_`` groups): what an events cell holds, a frequency.
WORDS = {
    "source": "来源", "date": "日期", "event kind": "问题类型", "points": "扣分", "note": "说明",
    "month": "月", "quarter": "季度", "half": "半年",
}

_NODES_TABLE = "which is not in the data's indicators table"

MESSAGES: list[tuple[str, str]] = [
    # ------------------------------------------------------------------------ periods and dates (io)
    (r"the date {q:d} is not a date", "日期 {d} 不是有效的日期"),
    (r"the date {q:d} is not between (?P<lo>\d+) and (?P<hi>\d+)", "日期 {d} 不在 {lo} 年至 {hi} 年之间"),
    (r"the period {q:p} is outside the year (?P<y>\d{4})", "期间 {p} 不在该行年度 {y} 年之内"),
    (r"unit {q:u}, indicator {q:i}, (?P<y>\d{4}): the value is given for the whole year \(row (?P<r>\d+)\) and "
     r"by period \((?P<p_rows>rows [^)]*)\)",
     "单位 {u}、指标 {i}、{y} 年：既填报了全年数值（第 {r} 行），又按期间填报（{p_rows}）"),
    (r"unit {q:u}, indicator {q:i}, (?P<y>\d{4}): the values are given by (?P<w_a>month|quarter|half) and by "
     r"(?P<w_b>month|quarter|half)", "单位 {u}、指标 {i}、{y} 年：数值既按{w_a}又按{w_b}填报"),
    # ------------------------------------------------------------------------ the scenario against the data
    (r"component (?P<c>.+?): over_year_by names {q:n}, " + _NODES_TABLE,
     "考核环节 {c}：over_year_by 指定的 {n} 不在数据的指标表中"),
    (r"component (?P<c>.+?) names {q:n}, " + _NODES_TABLE, "考核环节 {c} 指定的 {n} 不在数据的指标表中"),
    (r"component id {q:c} is also an indicator id of the data", "考核环节编码 {c} 与数据中的一个指标编码相同"),
    (r"component (?P<c>.+?) holds no indicator that applies to the units evaluated",
     "考核环节 {c} 中没有适用于被考核单位的指标"),
    (r"(?P<f>groups\.[^ :]+) names {q:n}, which is not a node of the data's indicators table",
     "{f} 指定的 {n} 不是数据指标表中的节点"),
    (r"groups names {q:g}, which is neither a group nor a track of the data",
     "groups 指定的 {g} 既不是数据中的考核组别，也不是考核序列"),
    (r"(?P<g>groups\.[^ :]+): (?P<m_rest>.+)", "{g}：{m_rest}"),
    (r"(?P<f>scope\.(?:units|exclude)) names {q:n}, which is neither a unit id, a group nor a track of the data",
     "{f} 指定的 {n} 既不是单位编码，也不是考核组别或考核序列"),
    (r"scope\.indicators names {q:n}, " + _NODES_TABLE, "scope.indicators 指定的 {n} 不在数据的指标表中"),
    (r"the scope leaves no unit to evaluate", "考核范围内没有可考核的单位"),
    (r"the units table has no `(?P<c>[^`]+)` column, which the scenario's (?P<f>\S+) names",
     "考核对象表中没有方案的 {f} 所指定的 `{c}` 列"),
    # ------------------------------------------------------------------------ the scenario itself (schema)
    (r"events\.sources names {q:s}, which is not a source", "events.sources 指定的 {s} 不是事项来源"),
    (r"by_kind points must be 0 or more: (?P<k>.+)", "by_kind 中的扣分须为 0 或正数：{k}"),
    (r"the components' points add up to (?P<p>[\d.]+) \((?P<l>[^)]*)\), not to the total of (?P<t>[\d.]+)",
     "各考核环节分值合计为 {p}（{l}），不等于总分 {t}"),
    (r"components need different ids and names", "各考核环节的编码和名称不能重复"),
    (r"node {q:n} is in two components \((?P<a>.+) and (?P<b>.+)\)", "节点 {n} 同时属于两个考核环节（{a} 和 {b}）"),
    (r"scope names (?P<n>.+) both in `units` and in `exclude`", "scope 在 `units` 和 `exclude` 中都列出了 {n}"),
    (r"the table id {q:i} would be confused with another column of the results(?: \(got {q:g}\))?",
     "榜单编码 {i} 会与结果中的其他列混淆"),
    (r"league tables need different ids", "各榜单的编码不能重复"),
    (r"league table {q:t}: awards\.weights names (?P<g>.+), which is not a grade of the table",
     "榜单 {t}：awards.weights 指定的 {g} 不是该榜单的等次"),
    (r"staff shares must be between 0 and 1: (?P<l>.+)", "员工优秀比例须在 0 到 1 之间：{l}"),
    (r"consequences\.cascade\.team\.mapping gives no team grade for (?P<g>.+)",
     "consequences.cascade.team.mapping 没有为 {g} 指定领导班子等次"),
    (r"(?P<p_l>.+?), which is not a team grade", "{p_l}，不是领导班子等次"),
    (r"team grade names must be unique", "领导班子等次的名称不能重复"),
    (r"cascade\.per_head shares the bonus by the staff 优秀 slots, but there is no cascade\.staff",
     "cascade.per_head 按员工优秀名额分配个人奖金，但方案没有设定 cascade.staff"),
    (r"cascade\.leader\.eligible_team_grades names team grades, but there is no cascade\.team",
     "cascade.leader.eligible_team_grades 指定了班子等次，但方案没有设定 cascade.team"),
    (r"cascade\.leader\.eligible_team_grades names (?P<g>.+), which is not a team grade",
     "cascade.leader.eligible_team_grades 指定的 {g} 不是领导班子等次"),
    (r"cascade\.leader links the main leader to the accountability ladder, but the scenario has none",
     "cascade.leader 把主要领导与问责挂钩，但方案没有设定问责（consequences.accountability）"),
    (r"cascade\.per_head shares the unit's bonus among its staff, but the scenario pays no bonus",
     "cascade.per_head 在单位职工中分配单位奖金，但方案没有设定绩效奖金（consequences.bonus）"),
]

FIXES: list[tuple[str, str]] = [
    (r"write 督查, 巡视巡察, 审计 or 其他 \(supervision, inspection, audit, other\)",
     "填写 督查、巡视巡察、审计 或 其他"),
    (r"write a date such as 2018-06-12 \(or 2018/6/12, 2018年6月12日\)",
     "填写日期，如 2018-06-12（或 2018/6/12、2018年6月12日）"),
    (r"correct the year, or write a period of the row's year \(e\.g\. 2018-03 for 2018\)",
     "更正年度，或填写该行年度之内的期间（如 2018 年填 2018-03）"),
    (r"give either one value for the year \(period empty\) or one value per period",
     "一年只填一个全年数值（期间留空），或每个期间各填一个数值"),
    (r"give all the values of a year at one frequency \(every month, or every quarter\)",
     "同一年度的数值按同一频率填报（全部按月，或全部按季度）"),
    (r"correct the id \(see the indicators table\)", "更正编码（见指标表）"),
    (r"correct the id", "更正编码"),
    (r"use a group or track of the units table \((?P<g>[^;]*); tracks (?P<t>[^)]*)\)",
     "使用考核对象表中的考核组别或考核序列（组别：{g}；序列：{t}）"),
    (r"(?:did you mean {q:c}\? )?name unit ids, groups or tracks of the units table \(the groups: (?P<g>[^)]*)\)",
     "[[是否应为 {c}？]]填写考核对象表中的单位编码、考核组别或考核序列（组别：{g}）"),
    (r"name some units, groups or tracks under scope\.units, or fewer under scope\.exclude",
     "在 scope.units 中列出一些单位、组别或序列，或在 scope.exclude 中少列一些"),
    (r"name nodes of the data's indicators that these units have, or remove the component",
     "列出这些单位适用的指标节点，或删除该考核环节"),
    (r"give the component another id", "为考核环节另取一个编码"),
    (r"change the points so that they add up to `total`", "修改分值，使其合计等于 `total`"),
    (r"rename the repeated ones", "重命名重复的项"),
    (r"put every indicator in one component", "每个指标只放在一个考核环节中"),
    (r"name each in one of them", "每项只在其中之一列出"),
    (r"use (?P<l>督查, 巡视巡察, 审计, 其他)", "使用 督查、巡视巡察、审计、其他"),
    (r"choose another id, e\.g\. `total` or `growth`", "另取编码，如 `total` 或 `growth`"),
    (r"add cascade\.staff, or remove cascade\.per_head", "添加 cascade.staff，或删除 cascade.per_head"),
    (r"add cascade\.team, or remove eligible_team_grades", "添加 cascade.team，或删除 eligible_team_grades"),
    (r"map every grade of the scenario to a team grade", "为方案的每个等次指定领导班子等次"),
    (r"use (?P<g>[^()]+?) \(or list it under `grades`\)", "使用 {g}（或在 `grades` 中列出）"),
    (r"add consequences\.accountability, or set leader\.accountability: false",
     "添加 consequences.accountability，或设定 leader.accountability: false"),
    (r"add consequences\.bonus, or remove cascade\.per_head", "添加 consequences.bonus，或删除 cascade.per_head"),
    (r"add a `(?P<c>[^`]+)` column to the units table, or change (?P<f>\S+) in the scenario",
     "在考核对象表中添加 `{c}` 列，或修改方案中的 {f}"),
]
