"""Reports: the sets of tables a command writes, built once by the library for the CLI, the notebooks and the
dashboard alike.

A ``Report`` is the sheets of a workbook (for people, with Chinese headers, ready to print) and the CSV files
beside it (for programs); ``write_report_files`` writes them with ``simkit.io.write`` (every file neutralised
against formula injection, written atomically).  Workbooks print on A4 landscape, one page wide, with the
header row on every page and a footer naming the scenarios, the page and, for synthetic data, the mark; yuan
show with thousands separators, percentages as %, scores with two decimals; the unit's name is the first
column and a table wider than a page is split into sheets that repeat it.

>>> import simkit
>>> r = run_report(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")))
>>> r.files
['results.csv', 'indicators.csv', 'results.xlsx']
>>> list(r.sheets)
['结果 Results', '指标 Indicators']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.compare import Comparison
from ..analysis.fairness import size_correlation
from ..engine.result import Result
from ..io.write import PERCENT, SCORE, YUAN, PrintLayout, write_csv_safe, write_report
from .labels import BAND_ZH, COMPARISON_HEADERS, SYNTHETIC_NOTE
from .tables import bands_table, decomposition_table, indicators_table, labelled, results_table
from .text import POLICY_WORDS

__all__ = ["Report", "comparison_report", "comparison_summary", "fairness_report", "run_report",
           "write_report_files"]

#: Chinese headers of the per-unit results (``result.units``) in workbooks; first-level scores are added per data.
RESULT_HEADERS: dict[str, str] = {
    "unit": "单位编码", "name": "单位名称", "group": "考核组别", "score": "总分", "base_score": "基础得分",
    "score_smoothed": "近年平均分(排名定等依据)", "bonus_points": "加分", "deduction_points": "扣分",
    "vetoed": "一票否决", "missing": "缺报指标数",
    "excluded": "不参加排名", "veto_reason": "否决原因", "rank": "名次", "group_size": "组内单位数",
    "grade": "等次", "bonus_base": "奖金基数(元)", "bonus_factor": "浮动比例", "payout": "绩效奖金(元)",
    "realised_float": "实际浮动", "award_slots": "评优指标", "previous_rank": "上年名次",
    "rank_change": "名次变化(上升为正)", "score_change": "总分变化", "progress_award": "进步奖",
    "bottom_years": "连续末位年数", "accountability": "问责", "data_note": "数据说明",
}

#: Chinese headers of the indicator table (``result.indicators``) in the run workbook.
INDICATOR_HEADERS: dict[str, str] = {
    "indicator": "指标编码", "indicator_name": "指标名称", "parent": "一级指标", "direction": "方向(1正向/-1逆向)",
    "measure": "考核口径", "value": "数值", "previous": "上年数值", "measured": "考核值", "target": "目标值",
    "share": "完成率", "score": "指标得分率(%)", "weight": "权重分", "points": "得分", "scoring": "计分规则",
    "target_rule": "目标规则", "filled_note": "缺报处理", "why": "说明",
}

#: Number formats by column: yuan, percentages, scores (other numbers: whole or two decimals).
NUMBER_FORMATS: dict[str, str] = {
    **dict.fromkeys(("payout", "bonus_base", "payout_base", "payout_reform", "payout_change",
                     "payout_change_total"), YUAN),
    **dict.fromkeys(("bonus_factor", "realised_float", "payout_change_pct", "share"), PERCENT),
    **dict.fromkeys(("score", "base_score", "score_smoothed", "bonus_points", "deduction_points", "score_change",
                     "score_base", "score_reform", "mean_abs_rank_change", "points", "weight"), SCORE),
    **dict.fromkeys(("value", "previous", "measured", "target"), "#,##0.00"),
}

_SUMMARY_LABELS: dict[str, str] = {
    "year": "年度", "base": "基准方案", "reform": "改革方案", "kendall_tau": "名次相关 Kendall τ",
    "spearman_rho": "名次相关 Spearman ρ", "units_moving_rank": "名次变动单位数",
    "units_changing_grade": "等次变动单位数", "paid_base": "基准实发奖金(元)", "paid_reform": "改革实发奖金(元)",
    "budget_base": "基准预算(元)", "budget_reform": "改革预算(元)", "paid_difference": "实发差额(元)",
    "scale_reform": "改革奖金池缩放系数",
}
_MEASURE_ZH = {"rank": "名次 rank", "money": "奖金 money"}
#: The results for people: name and money first (a table split over sheets keeps these on the first one).
_UNIT_ORDER = ("name", "unit", "group", "rank", "score", "grade", "payout", "realised_float", "award_slots",
               "accountability", "vetoed", "veto_reason", "progress_award")
#: English twins and constants (the CSV files have them)
_DROP = ("name_en", "grade_en", "accountability_en", "year", "group_size")


@dataclass(frozen=True)
class Report:
    """CSV files (name → table) and a workbook (name → sheets), with the workbook's headers, coloured columns,
    number formats, print layout and marked cells (``flags``: a column → the columns it marks)."""

    csv: Mapping[str, pd.DataFrame]
    workbook: str | None = None
    sheets: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    headers: Mapping[Any, str] = field(default_factory=dict)
    up_down: tuple[str, ...] = ()
    manifest: Mapping[str, Any] = field(default_factory=dict)
    formats: Mapping[Any, str | Sequence[str]] = field(default_factory=lambda: dict(NUMBER_FORMATS))
    layout: PrintLayout = field(default_factory=PrintLayout)
    flags: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def files(self) -> list[str]:
        return [*self.csv, *([self.workbook] if self.workbook else [])]

    def workbook_only(self) -> Report:
        """The same report without its CSV files (for a command that writes those itself)."""
        return replace(self, csv={})


def write_report_files(report: Report, folder: Path) -> list[Path]:
    """Write every file of the report into ``folder`` (which must exist); returns the paths written."""
    out = []
    for name, table in report.csv.items():
        out.append(write_csv_safe(table, folder / name))
    if report.workbook:
        out.append(write_report(folder / report.workbook, report.sheets, headers=report.headers,
                                up_down_columns=report.up_down, manifest=report.manifest, formats=report.formats,
                                layout=report.layout, flags=report.flags))
    return out


# ============================================================================================ helpers
def _layout(title: str, footer: str, data: Any) -> PrintLayout:
    return PrintLayout(title=title, footer=footer, mark=SYNTHETIC_NOTE if getattr(data, "synthetic", False) else "")


def _for_people(frame: pd.DataFrame, first: Sequence[str] = _UNIT_ORDER) -> pd.DataFrame:
    """A table for a printed sheet: the name first, yes/no in words, no English twins, a short synthetic mark."""
    # the mark is in every printed page's header and footer and beside the header row on screen
    df = frame.drop(columns=[c for c in (*_DROP, "data_note") if c in frame.columns])
    for col in ("missing", "excluded"):  # columns about missing data, shown only when some data are missing
        if col in df and not df[col].astype(bool).any():
            df = df.drop(columns=col)
    for col, yes in (("vetoed", "是"), ("excluded", "是"), ("progress_award", "★")):
        if col in df and pd.api.types.is_bool_dtype(df[col].dtype):
            df[col] = df[col].map({True: yes, False: ""})
    lead = [c for c in first if c in df.columns]
    return df[[*lead, *(c for c in df.columns if c not in lead)]]


def _node_headers(result: Result) -> dict[str, str]:
    """``score_Q`` → ``高质量发展得分``: the first-level scores' headers from the data's indicator names."""
    names = result.data.indicators.set_index("indicator")["name"].to_dict()
    cols = [c for c in result.units.columns if c.startswith("score_") and c not in ("score_change", "score_smoothed")]
    return {c: f"{names.get(c[6:], c[6:])}得分" for c in cols}


def _node_formats(result: Result) -> dict[str, str]:
    return dict.fromkeys(_node_headers(result), SCORE)


# ============================================================================================ run
def _filled_note(codes: pd.Series) -> list[str]:
    """The missing-data policy that filled a cell, in words (empty for a reported value)."""
    return [f"缺报：{POLICY_WORDS[c][0]} / not reported: {POLICY_WORDS[c][1]}" if c in POLICY_WORDS else ""
            for c in codes]


def _indicators_for_people(result: Result) -> pd.DataFrame:
    table = indicators_table(result)
    table = table.assign(filled_note=_filled_note(table["filled_by"])).drop(columns=["filled_by", "missing"])
    order = ["name", "indicator_name", "value", "filled_note", "previous", "measured", "target", "share", "score",
             "weight", "points", "unit", "indicator", "group", "parent", "measure", "scoring", "target_rule",
             "direction", "why", "data_note"]
    return _for_people(table[[c for c in order if c in table.columns]], first=("name", "indicator_name"))


def run_report(result: Result, *, workbook: bool = True) -> Report:
    """results.csv and indicators.csv (as ``simkit run`` writes them) and, with ``workbook``, results.xlsx: the
    ranked results and the indicators, a cell the missing-data policy filled marked in yellow with a note."""
    units = results_table(result)
    indicators = indicators_table(result)
    headers: dict[Any, str] = {**RESULT_HEADERS, **_node_headers(result)}
    ind_sheet = "指标 Indicators"
    headers.update({(ind_sheet, k): v for k, v in INDICATOR_HEADERS.items()})
    headers[(ind_sheet, "name")] = "单位名称"
    formats: dict[Any, str] = {**NUMBER_FORMATS, **_node_formats(result), (ind_sheet, "score"): SCORE}
    return Report(
        csv={"results.csv": units, "indicators.csv": indicators},
        workbook="results.xlsx" if workbook else None,
        sheets={"结果 Results": _for_people(units), ind_sheet: _indicators_for_people(result)},
        headers=headers, up_down=("rank_change", "score_change"), manifest=result.manifest(), formats=formats,
        layout=_layout(f"考核结果 results · {result.scenario.name} · {result.year}",
                       f"方案 scenario: {result.scenario.name}", result.data),
        flags={"filled_note": ("value", "score", "points")})


# ============================================================================================ compare
def comparison_summary(comparison: Comparison, size: str | None = None) -> pd.DataFrame:
    """The summary (metric, value) with, given ``size``, the size correlation of each ranking per group."""
    summary = comparison.summary_table()
    if size is not None:
        rows = []
        for label, res in (("base", comparison.base), ("reform", comparison.reform)):
            for row in size_correlation(res, size).itertuples():
                rows.append([f"size_rho_{label} [{row.group}, {size}]", round(row.spearman_rho, 3)])
        summary = pd.concat([summary, pd.DataFrame(rows, columns=summary.columns)], ignore_index=True)
    return summary


def _summary_for_people(summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The summary with a Chinese item name first, and the number format of each row."""
    items, fmts = [], []
    for metric in summary["metric"]:
        if metric.startswith("size_rho_"):
            which, rest = metric[len("size_rho_"):].split(" ", 1)
            items.append(f"名次与规模相关 ρ（{'基准' if which == 'base' else '改革'}）{rest}")
        else:
            items.append(_SUMMARY_LABELS.get(metric, metric))
        money = metric.startswith(("paid_", "budget_"))
        fmts.append(YUAN if money else "0" if metric.startswith(("units_", "year")) else "0.000")
    return summary.assign(item=items)[["item", "metric", "value"]], fmts


def _bands_for_people(comparison: Comparison) -> pd.DataFrame:
    b = bands_table(comparison)
    b["measure"] = b["measure"].map(_MEASURE_ZH).fillna(b["measure"])
    return b[["measure", "band_zh", "units", "share", "band"]]


def comparison_report(comparison: Comparison, *, size: str | None = None) -> Report:
    """comparison.csv, both results, and comparison.xlsx (comparison, winners, summary, decomposition, both
    results), every table of synthetic data marked so; the change bands are in Chinese in the workbook."""
    data = comparison.base.data
    summary = comparison_summary(comparison, size)
    manifest = {**comparison.reform.manifest(), "base_scenario": comparison.base.manifest()["scenario"]}
    units = labelled(comparison.units, data)
    shown = units.assign(rank_band=units["rank_band"].map(BAND_ZH).fillna(units["rank_band"]),
                         money_band=units["money_band"].map(BAND_ZH).fillna(units["money_band"]))
    people_summary, summary_formats = _summary_for_people(summary)
    decomposition = decomposition_table(comparison)
    decomposition = decomposition[["step", "part_zh", "rank_moves", "mean_abs_rank_change", "payout_change_total",
                                   "note", "part"]]
    base, reform = comparison.base, comparison.reform
    headers = {**RESULT_HEADERS, **_node_headers(base), **_node_headers(reform), **COMPARISON_HEADERS,
               "item": "项目", "band_zh": "档位"}
    formats = {**NUMBER_FORMATS, **_node_formats(base), **_node_formats(reform),
               ("汇总 Summary", "value"): summary_formats}
    order = ["name", "unit", "group", "rank_base", "rank_reform", "rank_change", "rank_band", "grade_base",
             "grade_reform", "payout_base", "payout_reform", "payout_change", "payout_change_pct", "money_band"]
    shown = shown[[*order, *(c for c in shown.columns if c not in order)]]
    return Report(
        csv={"comparison.csv": units, "results_base.csv": labelled(base.units, data),
             "results_reform.csv": labelled(reform.units, data)},
        workbook="comparison.xlsx",
        sheets={"对比 Comparison": _for_people(shown), "赢家输家 Winners": _bands_for_people(comparison),
                "汇总 Summary": people_summary, "分解 Decomposition": decomposition,
                "基准 Base": _for_people(labelled(base.units, data)),
                "改革 Reform": _for_people(labelled(reform.units, data))},
        headers=headers, up_down=("rank_change", "payout_change", "payout_change_pct"), manifest=manifest,
        formats=formats,
        layout=_layout(f"方案对比 comparison · {base.year}",
                       f"基准 base: {base.scenario.name} → 改革 reform: {reform.scenario.name}", data))


# ============================================================================================ fairness
def fairness_report(table: pd.DataFrame, data: Any = None, *, manifest: Mapping[str, Any] | None = None,
                    workbook: bool = True) -> Report:
    """fairness.csv (as ``simkit fairness`` writes it) and, with ``workbook``, fairness.xlsx: one row per metric
    and group, for each scenario the estimate and its bootstrap interval.  ``data``: the data the table was made
    from (marks synthetic data)."""
    labels = list(table.attrs.get("labels", []))
    shown = table[["metric_zh", "group", *(c for c in table.columns if c not in ("metric", "metric_zh", "group")),
                   "metric"]]
    headers: dict[Any, str] = {"metric_zh": "指标", "group": "组别", "metric": "指标编码", "data_note": "数据说明"}
    for label in labels:
        headers.update({label: "估计值", f"{label} lo": "区间下限", f"{label} hi": "区间上限"})
    numeric = [c for c in shown.columns if pd.api.types.is_float_dtype(shown[c].dtype)]
    years = table.attrs.get("years", ())
    span = f"{years[0]}–{years[-1]}" if years else ""
    return Report(
        csv={"fairness.csv": labelled(table, data)},
        workbook="fairness.xlsx" if workbook else None,
        sheets={"公平性 Fairness": _for_people(labelled(shown, data), first=("metric_zh", "group"))},
        headers=headers, manifest=dict(manifest or {}), formats=dict.fromkeys(numeric, "0.000"),
        layout=_layout(f"公平性 fairness · {span}", "方案 scenarios: " + "、".join(labels), data))
