"""Every label people read, in Chinese and English: column headers, measures, bands, metrics, provisions.

The library's tables keep stable machine column names (``rank``, ``payout``, ...) for programs; the tables for
people (``simkit.present.tables``) take their headers from here, so the CLI, the notebooks, the dashboard and
the workbooks show the same words.
"""

from __future__ import annotations

#: The synthetic-data mark on every table, figure and report made from synthetic data.
SYNTHETIC_NOTE = "合成数据，仅供演示 / synthetic data, for illustration only"

#: Headers of the ranked table, by language.
LABELS: dict[str, dict[str, str]] = {
    "zh": {"group": "组别", "rank": "名次", "name": "单位", "score": "总分", "score_smoothed": "近年平均分",
           "grade": "等次", "vetoed": "否决",
           "unit": "编码", "payout": "绩效奖金(元)", "award_slots": "评优指标", "progress_award": "进步奖",
           "accountability": "问责", "prize": "奖励金额(元)", "staff_excellent_slots": "员工优秀名额",
           "team_grade": "班子等次"},
    "en": {"group": "Group", "rank": "Rank", "name": "Unit", "score": "Score", "score_smoothed": "Smoothed score",
           "grade": "Grade", "vetoed": "Vetoed",
           "unit": "Id", "payout": "Bonus (yuan)", "award_slots": "Award slots", "progress_award": "Progress award",
           "accountability": "Accountability", "prize": "Prize (yuan)", "staff_excellent_slots": "Staff 优秀 slots",
           "team_grade": "Team grade"},
}

#: What is measured, (Chinese, English).
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "level": ("总量", "level"),
    "increment": ("增量", "increment"),
    "growth": ("增速", "growth rate"),
}

#: Headers of the comparison tables (Chinese, shown as 中文\nEnglish in workbooks).
COMPARISON_HEADERS: dict[str, str] = {
    "unit": "单位编码", "name": "单位名称", "group": "考核组别", "rank_base": "基准名次", "rank_reform": "改革名次",
    "rank_change": "名次变化(上升为正)", "grade_base": "基准等次", "grade_reform": "改革等次",
    "payout_base": "基准奖金(元)", "payout_reform": "改革奖金(元)", "payout_change": "奖金变化(元)",
    "payout_change_pct": "奖金变化率", "score_base": "基准总分", "score_reform": "改革总分",
    "slots_base": "基准评优指标", "slots_reform": "改革评优指标", "rank_band": "名次变化档",
    "money_band": "奖金变化档", "band": "档位", "band_zh": "档位(中文)", "measure": "口径", "units": "单位数",
    "share": "占比", "metric": "指标", "value": "数值", "step": "步骤", "part": "变化部分", "part_zh": "变化部分(中文)",
    "rank_moves": "名次变动单位数", "payout_change_total": "奖金变化合计(元)", "mean_abs_rank_change": "平均名次变动",
    "note": "说明", "prize_base": "基准奖励金额(元)", "prize_reform": "改革奖励金额(元)",
    "prize_change": "奖励金额变化(元)", "staff_slots_base": "基准员工优秀名额",
    "staff_slots_reform": "改革员工优秀名额",
    "staff_slots_change": "员工优秀名额变化", "team_grade_base": "基准班子等次", "team_grade_reform": "改革班子等次",
}

#: Change bands in Chinese, by their machine labels.
BAND_ZH: dict[str, str] = {
    "up ≥3": "上升3位及以上", "up 1–2": "上升1–2位", "no change": "不变", "down 1–2": "下降1–2位",
    "down ≥3": "下降3位及以上",
    "gain >5%": "增加超过5%", "gain ≤5%": "增加不超过5%", "lose ≤5%": "减少不超过5%", "lose >5%": "减少超过5%",
}

#: A scenario's sections and settings, (Chinese, English): a provision of a diff is named by its path.
PART_LABELS: dict[str, tuple[str, str]] = {
    "include_subjective": ("主观评价", "subjective component"), "weights": ("权重", "weights"),
    "defaults": ("计分规则（默认）", "default rules"), "indicators": ("指标规则", "indicator rules"),
    "aggregation": ("汇总方法", "aggregation"), "total": ("总分值", "total points"),
    "adjustments": ("加减分与否决", "adjustments"), "ranking": ("排名规则", "ranking"),
    "grading": ("等次规则", "grading"), "consequences": ("结果运用", "consequences"),
    "values": ("分值", "points"), "children": ("下级分值口径", "sub-item points"),
    "mode": ("权重口径", "weight mode"), "target": ("目标规则", "target rule"), "scoring": ("计分规则", "scoring rule"),
    "measures": ("考核口径", "measures"),
    "nonpositive_base": ("零或负基数", "zero or negative base"), "bonus": ("绩效奖金", "bonus"),
    "factors": ("浮动比例", "floats"), "pool": ("奖金池", "pool"), "awards": ("评先评优指标", "award slots"),
    "progress": ("进步奖", "progress award"), "accountability": ("问责", "accountability"),
    "veto": ("一票否决", "veto"),
    "grades": ("等次", "grades"), "tiers": ("名次档次", "rank tiers"), "rest": ("其余", "the rest"),
    "bonus_cap": ("加分上限", "bonus cap"), "deduction_cap": ("扣分上限", "deduction cap"),
    "by_node": ("分节点汇总方法", "method by node"), "method": ("汇总方法", "method"),
    "missing": ("缺失值处理", "missing values"), "ties": ("并列规则", "tie rule"),
    "tie_break": ("并列时比较", "tie-break"),
    "rounding": ("名额取整", "quota rounding"), "quota": ("名额", "quota"),
    "prizes": ("奖励金额", "prize money"), "by_grade": ("按等次奖励", "prize by grade"),
    "scope": ("考核范围", "scope"), "components": ("考核环节", "parts of the year"),
    "events": ("督查巡察审计扣分", "inspection and audit findings"), "groups": ("分类考核规则", "rules per group"),
    "league_tables": ("榜单", "league tables"), "cascade": ("考人", "cascade to people"),
    "staff": ("员工优秀名额", "staff 优秀 slots"), "team": ("领导班子等次", "team grade"),
    "leader": ("主要领导", "main leader"), "per_head": ("个人奖金", "per-head bonus"),
    "sources": ("来源", "sources"), "cap": ("上限", "cap"), "veto_kinds": ("否决事项", "veto kinds"),
}

#: The fairness metrics (Chinese, English), by id.
METRICS: dict[str, tuple[str, str]] = {
    "size_spearman": ("名次与规模相关 Spearman ρ", "rank vs size, Spearman rho"),
    "size_kendall": ("名次与规模相关 Kendall τ", "rank vs size, Kendall tau"),
    "top_grade_share_largest": ("最大三分之一单位所得最高等次占比", "share of top grades held by the largest third"),
    "payout_gini": ("奖金基尼系数", "payout Gini"),
    "payout_top_bottom": ("奖金高低倍数", "payout top/bottom ratio"),
    "mobility_kendall": ("相邻年份名次相关 Kendall τ", "year-to-year rank Kendall tau"),
    "grade_change_share": ("等次变动单位占比", "share of units changing grade"),
    "bottom_share_smallest": ("最小三分之一单位居末位年份占比", "smallest third: share of years in the bottom tier"),
    "bottom_stuck_smallest": ("最小三分之一单位中≥m年居末位的占比", "smallest third: share at the bottom ≥ m years"),
    "shock_same_ranking": ("共同冲击后排名不变", "ranking unchanged by a common shock (1 = yes)"),
}

#: Labels of the metrics the fairness table adds on request (``tenure=``: ``analysis.risk.tenure_accountability``).
OPT_IN_METRICS: dict[str, tuple[str, str]] = {
    "false_accountability": ("任期内误问责率（真实表现从未居末档却被问责）",
                             "false accountability over a tenure (never in the latent bottom tier, yet 约谈 or moved)"),
    "missed_accountability": ("任期内漏问责率（真实表现持续居末档却未被问责）",
                              "missed accountability over a tenure (persistently in the latent bottom tier, never "
                              "held accountable)"),
}

#: The pooled group of a table over groups.
ALL_GROUPS = "全部 all"

#: English names of the bundled data's groups (for ``lang="en"``); other groups keep their own name.
GROUP_EN: dict[str, str] = {
    "区县市": "Counties and districts", "园区": "Parks", "市直单位": "City departments",
    "党群类": "Party and mass organisations", "经济发展类": "Economic development", "社会工作类": "Social affairs",
    "城建交通类": "Construction and transport", "农业农村类": "Agriculture and rural affairs",
    "执法监管类": "Law enforcement and supervision", "政法类": "Political and legal affairs",
    "服务保障类": "Services and support",
}


def part_label(path: str, lang: str = "zh", names: dict[str, str] | None = None) -> str:
    """A provision's path in words: ``indicators.Q.measures`` → ``指标规则·高质量发展·考核口径``.

    ``names`` maps node ids to their names (the data's indicators); unknown pieces are shown as they are.

    >>> part_label("consequences.bonus.factors.优秀")
    '结果运用·绩效奖金·浮动比例·优秀'
    >>> part_label("indicators.{a,b}.scoring", "en")
    'indicator rules·{a,b}·scoring rule'
    """
    k = 0 if lang == "zh" else 1
    names = names or {}
    out = []
    for piece in path.split("."):
        if piece in PART_LABELS:
            out.append(PART_LABELS[piece][k])
        elif piece.startswith("{") and piece.endswith("}"):
            out.append("{" + ",".join(names.get(n, n) for n in piece[1:-1].split(",")) + "}")
        else:
            out.append(names.get(piece, piece))
    return "·".join(out)


# ================================================================================ targets (会审) and floats
#: Target rules in words, (Chinese, English): the source of a target.
RULE_LABELS: dict[str, tuple[str, str]] = {
    "none": ("无目标", "no target"), "uniform": ("统一目标", "uniform"),
    "baseline": ("近三年平均水平", "average of recent years"), "assigned": ("职能部门下达", "assigned by departments"),
    "decomposed": ("重点工作分解", "city target decomposed"), "ratchet": ("棘轮调整", "ratchet"),
    "combine": ("多来源合并", "sources combined"), "floor": ("保底", "floor"),
}

#: Headers of the target review (会审表) and the equal-difficulty table (Chinese; shown as 中文\nEnglish).
TARGET_REVIEW_HEADERS: dict[str, str] = {
    "unit": "单位编码", "name": "单位名称", "group": "考核组别", "year": "年度", "indicator": "指标编码",
    "indicator_name": "指标名称", "direction": "方向(1正向/-1逆向)", "measure": "考核口径", "blend": "口径权重",
    "source": "目标来源", "source_used": "实际采用来源", "target": "目标值", "target_level": "折合水平目标",
    "previous": "上年实际值", "implied_growth": "目标要求的改善(正向为增速,逆向为降幅)",
    "trend": "近年趋势(对数增长均值)",
    "volatility": "波动(对数增长标准差)", "n_growth": "增长年数", "group_percentile": "组内百分位",
    "p_meet": "达标概率(正态)", "p_meet_past": "达标概率(历年占比)", "value": "本年实际值", "met": "是否达标",
    "baseline_target": "基期规则目标", "assigned_gap": "下达目标与基期规则差", "flags": "标记",
    "reason_zh": "审核意见", "reason_en": "reason", "p_before": "现行规则达标概率", "p_after": "等难度达标概率",
    "units": "单位数", "p_min": "最低达标概率", "p_mean": "平均达标概率", "p_max": "最高达标概率", "spread": "极差",
    "data_note": "数据说明",
}

#: Why a target is flagged: (Chinese, English) templates, filled from the review row.
FLAG_REASONS: dict[str, tuple[str, str]] = {
    "missing": ("未设定目标（{source_zh}规则给不出目标）", "no target (the {source_en} rule gives none)"),
    "below_last": ("目标{target_level:,.2f}{below_zh}上年实际值{previous:,.2f}",
                   "the target {target_level:,.2f} is {below_en} last year's value {previous:,.2f}"),
    "softer": ("目标要求的改善{implied_growth:+.1%}（正向指标为增速，逆向指标为降幅），在本组近{years}年实际改善中"
               "居第{group_percentile:.0f}百分位，低于第{lo:g}百分位，明显偏松",
               "asks an improvement of {implied_growth:+.1%} (growth, or the fall of a lower-is-better indicator), at "
               "percentile {group_percentile:.0f} of what the group achieved in the last {years} years (below "
               "{lo:g}): far softer"),
    "harder": ("目标要求的改善{implied_growth:+.1%}（正向指标为增速，逆向指标为降幅），在本组近{years}年实际改善中"
               "居第{group_percentile:.0f}百分位，高于第{hi:g}百分位，明显偏紧",
               "asks an improvement of {implied_growth:+.1%} (growth, or the fall of a lower-is-better indicator), at "
               "percentile {group_percentile:.0f} of what the group achieved in the last {years} years (above "
               "{hi:g}): far harder"),
    "assigned_gap": ("下达目标比基期规则目标{baseline_target:,.2f}{gap_zh}{gap_abs:.0%}，超过{margin:.0%}",
                     "the assigned target asks {gap_abs:.0%} {gap_en} than the baseline rule's {baseline_target:,.2f} "
                     "(more than {margin:.0%})"),
}

#: The flags of the review in a few words, (Chinese, English).
FLAG_NAMES: dict[str, tuple[str, str]] = {
    "missing": ("缺目标", "missing"), "below_last": ("低于上年", "below last year"), "softer": ("偏松", "softer"),
    "harder": ("偏紧", "harder"), "assigned_gap": ("下达目标偏离", "assigned off baseline"),
}

#: The sign-off lines at the bottom of a sheet an office prints and signs.
SIGN_OFF: tuple[str, ...] = ("审核人 Reviewer：____________", "日期 Date：____________")

#: Headers of the float table (grade, stated factor, realised float, units, paid).
FLOAT_HEADERS: dict[str, dict[str, str]] = {
    "zh": {"grade": "等次", "factor": "规定浮动", "realised_float": "实际浮动(按基数加权)", "units": "单位数",
           "vetoed": "否决单位数", "base": "奖金基数(元)", "paid": "实发奖金(元)", "prize": "奖励金额(元)"},
    "en": {"grade": "Grade", "factor": "Stated float", "realised_float": "Realised float (base-weighted)",
           "units": "Units", "vetoed": "Vetoed", "base": "Base (yuan)", "paid": "Paid (yuan)",
           "prize": "Prizes (yuan)"},
}

#: The name of a scenario whose floats were solved: (Chinese, English) suffixes.
SOLVED_SUFFIX: tuple[str, str] = ("·浮动求解", ", solved floats")
