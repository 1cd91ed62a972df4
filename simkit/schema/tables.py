"""The data tables, declared once: every table and column with its kind, whether it is required, its default,
its Chinese label and bilingual meaning, its allowed values and what it refers to.

This one declaration drives the reader (header names in Chinese or English), the validator (what must be
filled, what is a number, which ids must exist, and the words of every problem), the Excel template (sheets,
headers, dropdowns and the README sheet) and docs/data-format.md (``simkit.schema.reference``).
We keep this small spec instead of pandera, the ecosystem's tool for declarative frame schemas, because
pandera's messages do not name the spreadsheet row and a fix a non-programmer can follow, it cannot produce the
bilingual template, and importing it costs 0.4 s.

Text in meanings and notes is Markdown: `code` spans are shown as code in the docs and without the backticks
in the template.

>>> SCHEMA["observations"].key
('unit', 'indicator', 'year')
>>> SCHEMA["adjustments"].column("kind").choices
('bonus', 'deduction', 'veto')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: How a column's cells are read: ``text``; ``number`` (float, empty = missing); ``integer`` (a year);
#: ``direction`` (1 or -1, also written as in ``DIRECTIONS``); ``choice`` (one of ``choices``); ``date`` (a day,
#: ``2018-06-12``); ``period`` (a month, quarter or half of the row's year, ``2018-03``, ``2018-Q1``).
Kind = Literal["text", "number", "integer", "direction", "choice", "date", "period"]
#: What an empty cell means: ``error`` (it must be filled), ``missing`` (a missing value, or the ``default``),
#: ``drop`` (the row is left out: a target without its value).
Empty = Literal["error", "missing", "drop"]

ALL_TRACKS = "all"
#: The years a year column accepts (a value outside is a typo, a date read as a number, or an overflow).
YEAR_RANGE: tuple[int, int] = (1900, 2200)
#: The largest magnitude a number may have: Excel keeps 15 significant digits, so a bigger value has lost its
#: last digits (or is a typo such as 1e300).
MAX_MAGNITUDE = 1e15
#: Units of measure that mean "in percent": there ``8%`` is read as 8.
PERCENT_UNITS: tuple[str, ...] = ("%", "％", "百分比", "percent")
#: Words that say "no value" without doubt; a number cell holding one is read as missing (and noted).
MISSING_WORDS: tuple[str, ...] = ("N/A", "NA", "n.a.", "缺失", "缺", "空", "不详")
#: Marks that may mean 0 as well as "no value" (Excel shows a zero as "-" in the accounting format; 无 is
#: "none"); a number cell holding one is refused.
AMBIGUOUS_MARKS: tuple[str, ...] = ("-", "--", "—", "——", "–", "－", "/", "无", "暂无", "…", "...")
#: The sheet (or CSV file) names of a wide table of observations, followed by the year: ``observations_2018``,
#: ``观测值2018``.
WIDE_NAMES: tuple[str, ...] = ("observations", "观测值")
#: Accepted spellings of a direction (read in lower case).
DIRECTIONS: dict[str, int] = {"1": 1, "+1": 1, "-1": -1, "higher": 1, "lower": -1, "正向": 1, "逆向": -1,
                              "1.0": 1, "-1.0": -1}
#: How each kind is named in the template (English, Chinese) and in the docs (the English part).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "text": ("text", "文本"), "choice": ("text", "文本"), "number": ("number", "数值"),
    "integer": ("integer", "整数"), "direction": ("1 / -1", ""), "date": ("date", "日期"),
    "period": ("period", "期间"),
}
#: How a period is written (read in upper case, with the row's year where none is written): a month, a quarter or
#: a half-year; a date is read as its month.
PERIOD_FORMS: tuple[str, ...] = ("2018-03", "2018年3月", "3月", "M03", "2018-Q1", "2018Q1", "2018年第1季度", "Q1",
                                 "2018-H1", "2018年上半年", "H1")
#: How a date is written: ``2018-06-12``, ``2018/6/12``, ``2018年6月12日`` or a date cell of a workbook.
DATE_FORMS: tuple[str, ...] = ("2018-06-12", "2018/6/12", "2018.6.12", "2018年6月12日")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a data table.

    ``what`` names a cell's content in problems ("the unit id is empty"); ``fix`` says how to correct a value
    that is not allowed (not a known id, not a choice), ``{known}`` standing for the known values.
    """

    name: str
    label: str
    meaning_zh: str
    meaning_en: str
    kind: Kind = "text"
    required: bool = False  # the column must be in the header
    empty: Empty = "missing"
    default: str | None = None  # what an empty cell is read as
    what: str = ""
    choices: tuple[str, ...] = ()  # the allowed values, offered as the template's dropdown
    lower: bool = False  # read case-insensitively (as lower case)
    references: tuple[str, str] | None = None  # (table, column) whose values this column must take
    leaves_only: bool = False  # an indicator column: concerns leaves (末级指标) only
    nonnegative: bool = False
    fix: str = ""
    bounds: tuple[int, int] | None = None  # the values allowed (inclusive), e.g. ``YEAR_RANGE``
    percent_by: str | None = None  # the column naming the indicator whose measure_unit allows "8%" (read as 8)

    @property
    def filled(self) -> bool:
        """Whether a row needs a value here (the template's and the docs' "required")."""
        return self.empty in ("error", "drop")


@dataclass(frozen=True)
class TableSpec:
    """One data table: a CSV file or an Excel sheet of that name.

    ``key`` is unique per row (``key_what`` names it in problems); ``attributes`` describes the free numeric
    columns a table may add (None: no extra columns are read); ``examples`` are such columns the template
    offers; ``frame_order`` is the column order of the validated frame when it differs from ``columns`` (kept
    so that fingerprints stay as they were).
    """

    name: str
    label: str
    note_zh: str
    note_en: str
    about: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    key_what: str = ""
    attributes: ColumnSpec | None = None
    examples: tuple[ColumnSpec, ...] = ()
    frame_order: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The declared column names, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        """The declared or example column ``name``."""
        for col in (*self.columns, *self.examples):
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def headers(self) -> dict[str, str]:
        """English column name → Chinese label, the example columns included (the template's header row)."""
        return {c.name: c.label for c in (*self.columns, *self.examples)}


def _id(name: str, label: str, zh: str, en: str, what: str, **kw: Any) -> ColumnSpec:
    """A column every row must fill (an id, a name, a year)."""
    return ColumnSpec(name, label, zh, en, required=True, empty="error", what=what, **kw)


_UNIT_REF = {"references": ("units", "unit"), "fix": "use an id from the units table, or add the unit there"}
_LEAF_REF = {"references": ("indicators", "indicator"), "leaves_only": True,
             "fix": "use an id from the indicators table, or add the indicator there"}

UNITS = TableSpec(
    "units", "考核对象", "考核对象，每行一个单位（必填表）", "the units assessed, one row each (required)",
    "The units assessed, one row each. A unit is ranked within its `group`; its `track` says which indicators "
    "apply to it, and every track needs at least one leaf indicator.",
    required=True, key=("unit",), key_what="unit id",
    columns=(
        _id("unit", "单位编码", "唯一编码，如 `HS`", "unique id, e.g. `HS`", "unit id"),
        _id("name", "单位名称", "中文名称，如 `赫山区`", "Chinese name, e.g. `赫山区`", "unit name"),
        ColumnSpec("name_en", "英文名称", "英文名称（可用拼音）", "English name (pinyin is fine)"),
        _id("group", "考核组别", "排名所在的考核组别，如 `区县市`、`党群类`",
            "the group a unit is ranked in, e.g. `区县市`, `党群类`", "group (考核组别)"),
        ColumnSpec("group_en", "组别英文名称", "考核组别的英文名称（英文表格和图用）；同一组别各行一致，可只填一行",
                   "English name of the group (for English tables and plots); the same in every row of a group, "
                   "it may be given in one row only", what="English group name"),
        ColumnSpec("track", "考核序列", "适用的指标序列，如 `区县市` 或 `市直单位`；空 = 全部（`all`）",
                   "which indicator set applies, e.g. `区县市` or `市直单位`; empty = `all`", default=ALL_TRACKS,
                   what="track"),
    ),
    attributes=ColumnSpec("any other", "", "其他数值属性列（规模或金额），如 `population` 人口、`area_km2` 面积",
                          "size or money attributes, e.g. `population`, `area_km2`", kind="number",
                          what="value of attribute `{name}`"),
    examples=(
        ColumnSpec("headcount", "在编人数",
                   "示例属性列：在编人数。可增加其他数值列（如 `population` 人口、`area_km2` 面积）",
                   "example attribute column: staff headcount. Other numeric columns (e.g. `population`, "
                   "`area_km2`) may be added", kind="number", nonnegative=True),
        ColumnSpec("bonus_per_head", "人均绩效奖金基数", "示例属性列：人均绩效奖金基数（元）",
                   "example attribute column: performance bonus base per head", kind="number",
                   nonnegative=True),
    ),
)

INDICATORS = TableSpec(
    "indicators", "指标", "指标体系（树形），上级指标为空的是一级指标；观测值只填末级指标（必填表）",
    "the indicator tree; empty parent = first-level indicator; observations are for leaves only (required)",
    "The indicator tree. A row with an empty `parent` is a first-level indicator (一级指标). Observations are "
    "given for leaves only; inner nodes are aggregated. The tree must not go round in a circle.",
    required=True, key=("indicator",), key_what="indicator id",
    frame_order=("indicator", "name", "name_en", "parent", "measure_unit", "track", "kind", "direction", "weight"),
    columns=(
        _id("indicator", "指标编码", "唯一编码", "unique id", "indicator id"),
        _id("name", "指标名称", "中文名称", "Chinese name", "indicator name"),
        ColumnSpec("name_en", "英文名称", "英文名称", "English name"),
        ColumnSpec("parent", "上级指标", "上级指标的编码；一级指标留空",
                   "id of the parent node; empty for a first-level indicator", what="parent indicator",
                   references=("indicators", "indicator"),
                   fix="write the id of another row of the indicators table, or leave it empty for a first-level "
                       "indicator"),
        ColumnSpec("direction", "指标方向",
                   "1 = 越高越好（正向），-1 = 越低越好（逆向）；也可填 higher/lower/正向/逆向",
                   "1 = higher is better, -1 = lower is better; higher/lower/正向/逆向 are accepted",
                   kind="direction", default="1", what="direction", choices=("1", "-1"), lower=True,
                   fix="write 1 (higher is better, 正向) or -1 (lower is better, 逆向)"),
        ColumnSpec("measure_unit", "计量单位", "计量单位，如 `亿元`、`%`", "unit of measure, e.g. `亿元`, `%`"),
        ColumnSpec("weight", "权重", "默认权重（分值或相对权重），方案可覆盖",
                   "default weight (points or relative); a scenario overrides it", kind="number", what="weight",
                   nonnegative=True),
        ColumnSpec("track", "考核序列", "仅末级指标：适用的考核序列；空 = 全部序列",
                   "leaves only: the track the indicator applies to; empty = all tracks", default=ALL_TRACKS,
                   what="track", references=("units", "track"), leaves_only=True,
                   fix="use a track that some unit has ({known}), or leave it empty for all tracks"),
        ColumnSpec("kind", "指标类型", "`objective`（客观）或 `subjective`（主观评价：满意度调查、互评）",
                   "`objective` or `subjective` (survey, mutual scoring)", kind="choice", default="objective",
                   what="indicator kind", choices=("objective", "subjective"),
                   fix="write `objective` or `subjective`"),
    ),
)

OBSERVATIONS = TableSpec(
    "observations", "观测值", "观测值，长表：每个单位、指标、年度一行（必填表）",
    "observed values, long form: one row per unit, indicator and year (required)",
    "Long form: one row per unit, indicator and year. An indicator that belongs to a track is given only for "
    "the units of that track.",
    required=True, key=("unit", "indicator", "year"), key_what="observation",
    columns=(
        _id("unit", "单位编码", "单位编码（见 `units` 表）", "a unit id (see `units`)", "unit id", **_UNIT_REF),
        _id("indicator", "指标编码", "末级指标编码（见 `indicators` 表）", "a leaf indicator id (see `indicators`)",
            "indicator id", **_LEAF_REF),
        _id("year", "年度", "年度，如 2018", "year, e.g. 2018", "year", kind="integer", bounds=YEAR_RANGE),
        ColumnSpec("value", "数值", "观测值；空单元格表示缺失", "the observed value; an empty cell is a missing value",
                   kind="number", required=True, what="value", percent_by="indicator"),
        ColumnSpec("period", "期间", "可选：按月或按季度填报的数值的期间，如 `2018-03`、`2018-Q1`，须在该行年度之内；"
                   "空 = 全年数值",
                   "optional: the month or quarter of a value given by period, e.g. `2018-03`, `2018-Q1`, within "
                   "the row's year; empty = the value of the whole year", kind="period", what="period",
                   fix="write a month (`2018-03`), a quarter (`2018-Q1`) or a half-year (`2018-H1`) of the row's "
                       "year, or leave it empty for the whole year"),
    ),
)

TARGETS = TableSpec(
    "targets", "下达目标", "专项职能部门下达的目标值，供 assigned 目标规则使用（可选表）",
    "targets assigned per unit, used by the assigned target rule (optional)",
    "Targets assigned per unit by the functional departments (专项职能部门确定的工作任务). Used by the "
    "`assigned` target rule. Targets are on the indicator's measured quantity (level, increment or growth, as "
    "the scenario says).",
    required=False, key=("unit", "indicator", "year"), key_what="target",
    columns=(
        _id("unit", "单位编码", "单位编码", "a unit id", "unit id", **_UNIT_REF),
        _id("indicator", "指标编码", "指标编码", "an indicator id", "indicator id", **_LEAF_REF),
        _id("year", "年度", "年度", "year", "year", kind="integer", bounds=YEAR_RANGE),
        ColumnSpec("target", "目标值", "专项职能部门下达的目标值（水平、增量或增速，按方案口径）",
                   "the assigned target (level, increment or growth, as the scenario says)", kind="number",
                   required=True, empty="drop", what="target", percent_by="indicator"),
    ),
)

ADJUSTMENTS = TableSpec(
    "adjustments", "加减分与否决", "百分制之外的加减分与一票否决（可选表）",
    "bonus/deduction points outside the 100-point scale and one-vote vetoes (optional)",
    "Points outside the 100-point scale and one-vote vetoes (一票否决). A bonus or deduction needs its points, "
    "written without a minus sign: the kind says whether they are added or deducted.",
    required=False,
    columns=(
        _id("unit", "单位编码", "单位编码", "a unit id", "unit id", references=("units", "unit"),
            fix="use an id from the units table"),
        _id("year", "年度", "年度", "year", "year", kind="integer", bounds=YEAR_RANGE),
        _id("kind", "类型", "`bonus`（加分）、`deduction`（扣分）或 `veto`（一票否决）",
            "`bonus`, `deduction` or `veto` (one-vote veto)", "adjustment kind", kind="choice",
            choices=("bonus", "deduction", "veto"), lower=True,
            fix="write bonus (加分), deduction (扣分) or veto (一票否决)"),
        ColumnSpec("value", "分值", "分值（正数）；veto 时忽略", "points (positive); ignored for `veto`", kind="number",
                   what="value"),
        ColumnSpec("reason", "事由", "事由，如 `获国家级表彰`、`发生较大安全生产事故`",
                   "why, e.g. a national award, a serious work-safety accident"),
    ),
)

EVENTS = TableSpec(
    "events", "督查巡察审计事项", "督查、巡视巡察、审计发现的问题，按方案规则扣分或一票否决（可选表）",
    "findings of supervision, inspection tours and audits, deducted or vetoed as the scenario says (optional)",
    "What supervision (督查), inspection tours (巡视巡察) and audits (审计) found as the year went, one row per "
    "event. The scenario's `events` rules say what an event deducts (per source, with caps per source and in "
    "total) and which kinds trigger a one-vote veto; without them the table is not applied. An event counts in "
    "the year of its date.",
    required=False, frame_order=("unit", "date", "year", "source", "kind", "points", "note"),
    columns=(
        _id("unit", "单位编码", "单位编码", "a unit id", "unit id", **_UNIT_REF),
        _id("date", "日期", "发现或通报日期，如 `2018-06-12`；计入该日期所在年度",
            "the date of the finding, e.g. `2018-06-12`; it counts in that year", "date", kind="date",
            fix="write a date such as 2018-06-12 (or 2018/6/12, 2018年6月12日)"),
        _id("source", "来源", "`督查`、`巡视巡察`、`审计` 或 `其他`", "`督查` (supervision), `巡视巡察` "
            "(inspection tour), `审计` (audit) or `其他` (other); English names are read too", "source",
            kind="choice", choices=("督查", "巡视巡察", "审计", "其他"),
            fix="write 督查, 巡视巡察, 审计 or 其他 (supervision, inspection, audit, other)"),
        _id("kind", "问题类型", "问题类型，如 `通报批评`、`整改不到位`、`重大安全生产事故`",
            "the kind of finding, e.g. `通报批评` (public criticism), `整改不到位` (rectification not done)",
            "event kind"),
        ColumnSpec("points", "扣分", "该事项的扣分（正数）；方案可按来源或类型另定", "the points the finding deducts "
                   "(positive); the scenario may set them per source or kind instead", kind="number",
                   what="points", nonnegative=True),
        ColumnSpec("note", "说明", "说明，如发现的问题", "a note, e.g. what was found"),
    ),
)

#: Every table, in the order they are read, reported and shown.
SCHEMA: dict[str, TableSpec] = {t.name: t for t in (UNITS, INDICATORS, OBSERVATIONS, TARGETS, ADJUSTMENTS,
                                                     EVENTS)}
REQUIRED_TABLES: tuple[str, ...] = tuple(t.name for t in SCHEMA.values() if t.required)
OPTIONAL_TABLES: tuple[str, ...] = tuple(t.name for t in SCHEMA.values() if not t.required)


def plain(text: str) -> str:
    """Markdown text as a spreadsheet shows it (code spans without their backticks).

    >>> plain("e.g. `HS`")
    'e.g. HS'
    """
    return text.replace("`", "")
