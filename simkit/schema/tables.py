"""The data tables: their columns, which are required, their Chinese labels and what they mean.

One declaration drives the reader, the validator, the Excel template and docs/data-format.md.
"""

from __future__ import annotations

TABLES: dict[str, dict[str, bool]] = {
    # table -> column -> required
    "units": {"unit": True, "name": True, "name_en": False, "group": True, "track": False},
    "indicators": {
        "indicator": True, "name": True, "name_en": False, "parent": False, "direction": False,
        "measure_unit": False, "weight": False, "track": False, "kind": False,
    },
    "observations": {"unit": True, "indicator": True, "year": True, "value": True},
    "targets": {"unit": True, "indicator": True, "year": True, "target": True},
    "adjustments": {"unit": True, "year": True, "kind": True, "value": False, "reason": False},
}
REQUIRED = ("units", "indicators", "observations")
DIRECTIONS = {"1": 1, "+1": 1, "-1": -1, "higher": 1, "lower": -1, "正向": 1, "逆向": -1, "1.0": 1, "-1.0": -1}
KINDS = ("objective", "subjective")
ADJUSTMENT_KINDS = ("bonus", "deduction", "veto")
ALL_TRACKS = "all"

REQUIRED_TABLES: tuple[str, ...] = ("units", "indicators", "observations")
OPTIONAL_TABLES: tuple[str, ...] = ("targets", "adjustments")

#: Per table: English column name -> Chinese label (docs/data-format.md).
HEADERS: dict[str, dict[str, str]] = {
    "units": {
        "unit": "单位编码",
        "name": "单位名称",
        "name_en": "英文名称",
        "group": "考核组别",
        "track": "考核序列",
    },
    "indicators": {
        "indicator": "指标编码",
        "name": "指标名称",
        "name_en": "英文名称",
        "parent": "上级指标",
        "direction": "指标方向",
        "measure_unit": "计量单位",
        "weight": "权重",
        "track": "考核序列",
        "kind": "指标类型",
    },
    "observations": {
        "unit": "单位编码",
        "indicator": "指标编码",
        "year": "年度",
        "value": "数值",
    },
    "targets": {
        "unit": "单位编码",
        "indicator": "指标编码",
        "year": "年度",
        "target": "目标值",
    },
    "adjustments": {
        "unit": "单位编码",
        "year": "年度",
        "kind": "类型",
        "value": "分值",
        "reason": "事由",
    },
}

#: Optional example columns shown in the template (free numeric attribute columns of ``units``).
EXAMPLE_HEADERS: dict[str, dict[str, str]] = {
    "units": {"headcount": "在编人数", "bonus_per_head": "人均绩效奖金基数"},
}

#: Chinese name of each table.
TABLE_LABELS: dict[str, str] = {
    "units": "考核对象",
    "indicators": "指标",
    "observations": "观测值",
    "targets": "下达目标",
    "adjustments": "加减分与否决",
}


# (type, required, 中文说明, English meaning) per table and column, from docs/data-format.md.
COLUMN_NOTES: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "units": {
        "unit": ("text 文本", "yes 是", "唯一编码，如 HS", "unique id, e.g. HS"),
        "name": (
            "text 文本",
            "yes 是",
            "中文名称，如 赫山区",
            "Chinese name, e.g. 赫山区",
        ),
        "name_en": (
            "text 文本",
            "no 否",
            "英文名称（可用拼音）",
            "English name (pinyin is fine)",
        ),
        "group": (
            "text 文本",
            "yes 是",
            "排名所在的考核组别，如 区县市、党群类",
            "the group a unit is ranked in, e.g. 区县市, 党群类",
        ),
        "track": (
            "text 文本",
            "no 否",
            "适用的指标序列，如 区县市 或 市直单位；空 = 全部（all）",
            "which indicator set applies, e.g. 区县市 or 市直单位; empty = all",
        ),
        "headcount": (
            "number 数值",
            "no 否",
            "示例属性列：在编人数。可增加其他数值列（如 population 人口、area_km2 面积）",
            (
                "example attribute column: staff headcount. Other numeric columns "
                "(e.g. population, area_km2) may be added"
            ),
        ),
        "bonus_per_head": (
            "number 数值",
            "no 否",
            "示例属性列：人均绩效奖金基数（元）",
            "example attribute column: performance bonus base per head",
        ),
    },
    "indicators": {
        "indicator": ("text 文本", "yes 是", "唯一编码", "unique id"),
        "name": ("text 文本", "yes 是", "中文名称", "Chinese name"),
        "name_en": ("text 文本", "no 否", "英文名称", "English name"),
        "parent": (
            "text 文本",
            "no 否",
            "上级指标的编码；一级指标留空",
            "id of the parent node; empty for a first-level indicator",
        ),
        "direction": (
            "1 / -1",
            "no 否 (1)",
            "1 = 越高越好（正向），-1 = 越低越好（逆向）；也可填 higher/lower/正向/逆向",
            "1 = higher is better, -1 = lower is better; higher/lower/正向/逆向 are accepted",
        ),
        "measure_unit": (
            "text 文本",
            "no 否",
            "计量单位，如 亿元、%",
            "unit of measure, e.g. 亿元, %",
        ),
        "weight": (
            "number 数值",
            "no 否",
            "默认权重（分值或相对权重），方案可覆盖",
            "default weight (points or relative); a scenario overrides it",
        ),
        "track": (
            "text 文本",
            "no 否",
            "仅末级指标：适用的考核序列；空 = 全部序列",
            "leaves only: the track the indicator applies to; empty = all tracks",
        ),
        "kind": (
            "text 文本",
            "no 否 (objective)",
            "objective（客观）或 subjective（主观评价：满意度调查、互评）",
            "objective or subjective (survey, mutual scoring)",
        ),
    },
    "observations": {
        "unit": (
            "text 文本",
            "yes 是",
            "单位编码（见 units 表）",
            "a unit id (see units)",
        ),
        "indicator": (
            "text 文本",
            "yes 是",
            "末级指标编码（见 indicators 表）",
            "a leaf indicator id (see indicators)",
        ),
        "year": ("integer 整数", "yes 是", "年度，如 2018", "year, e.g. 2018"),
        "value": (
            "number 数值",
            "no 否",
            "观测值；空单元格表示缺失",
            "the observed value; an empty cell is a missing value",
        ),
    },
    "targets": {
        "unit": ("text 文本", "yes 是", "单位编码", "a unit id"),
        "indicator": ("text 文本", "yes 是", "指标编码", "an indicator id"),
        "year": ("integer 整数", "yes 是", "年度", "year"),
        "target": (
            "number 数值",
            "yes 是",
            "专项职能部门下达的目标值（水平、增量或增速，按方案口径）",
            "the assigned target (level, increment or growth, as the scenario says)",
        ),
    },
    "adjustments": {
        "unit": ("text 文本", "yes 是", "单位编码", "a unit id"),
        "year": ("integer 整数", "yes 是", "年度", "year"),
        "kind": (
            "text 文本",
            "yes 是",
            "bonus（加分）、deduction（扣分）或 veto（一票否决）",
            "bonus, deduction or veto (one-vote veto)",
        ),
        "value": (
            "number 数值",
            "no 否",
            "分值（正数）；veto 时忽略",
            "points (positive); ignored for veto",
        ),
        "reason": (
            "text 文本",
            "no 否",
            "事由，如 获国家级表彰、发生较大安全生产事故",
            "why, e.g. a national award, a serious work-safety accident",
        ),
    },
}

TABLE_NOTES: dict[str, tuple[str, str]] = {
    "units": (
        "考核对象，每行一个单位（必填表）",
        "the units assessed, one row each (required)",
    ),
    "indicators": (
        "指标体系（树形），上级指标为空的是一级指标；观测值只填末级指标（必填表）",
        (
            "the indicator tree; empty parent = first-level indicator; observations are "
            "for leaves only (required)"
        ),
    ),
    "observations": (
        "观测值，长表：每个单位、指标、年度一行（必填表）",
        "observed values, long form: one row per unit, indicator and year (required)",
    ),
    "targets": (
        "专项职能部门下达的目标值，供 assigned 目标规则使用（可选表）",
        "targets assigned per unit, used by the assigned target rule (optional)",
    ),
    "adjustments": (
        "百分制之外的加减分与一票否决（可选表）",
        "bonus/deduction points outside the 100-point scale and one-vote vetoes (optional)",
    ),
}

DROPDOWNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("indicators", "direction"): ("1", "-1"),
    ("indicators", "kind"): ("objective", "subjective"),
    ("adjustments", "kind"): ("bonus", "deduction", "veto"),
}
