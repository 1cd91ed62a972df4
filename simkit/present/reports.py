"""Reports: the sets of tables a command writes, built once by the library for the CLI and the notebooks alike.

A ``Report`` is the sheets of a workbook (for people, with Chinese headers) and the CSV files beside it (for
programs); ``write_report_files`` writes them with ``simkit.io.write`` (every file neutralised against
formula injection, written atomically).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.compare import Comparison
from ..analysis.fairness import size_correlation
from ..io.write import write_csv_safe, write_report
from .labels import COMPARISON_HEADERS
from .tables import bands_table, decomposition_table, labelled


@dataclass(frozen=True)
class Report:
    """CSV files (name → table) and a workbook (name → sheets), with the workbook's headers and coloured columns."""

    csv: Mapping[str, pd.DataFrame]
    workbook: str | None = None
    sheets: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    up_down: tuple[str, ...] = ()
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> list[str]:
        return [*self.csv, *([self.workbook] if self.workbook else [])]


def write_report_files(report: Report, folder: Path) -> list[Path]:
    """Write every file of the report into ``folder`` (which must exist); returns the paths written."""
    out = []
    for name, table in report.csv.items():
        out.append(write_csv_safe(table, folder / name))
    if report.workbook:
        out.append(write_report(folder / report.workbook, report.sheets, headers=report.headers,
                                up_down_columns=report.up_down, manifest=report.manifest))
    return out


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


def comparison_report(comparison: Comparison, *, size: str | None = None) -> Report:
    """comparison.csv, both results, and comparison.xlsx (comparison, winners, summary, decomposition, both
    results), every table of synthetic data marked so."""
    data = comparison.base.data
    summary = comparison_summary(comparison, size)
    manifest = {**comparison.reform.manifest(), "base_scenario": comparison.base.manifest()["scenario"]}
    units = labelled(comparison.units, data)
    return Report(
        csv={"comparison.csv": units, "results_base.csv": labelled(comparison.base.units, data),
             "results_reform.csv": labelled(comparison.reform.units, data)},
        workbook="comparison.xlsx",
        sheets={"对比 Comparison": units, "赢家输家 Winners": bands_table(comparison), "汇总 Summary": summary,
                "分解 Decomposition": decomposition_table(comparison), "基准 Base": comparison.base.units,
                "改革 Reform": comparison.reform.units},
        headers=COMPARISON_HEADERS, up_down=("rank_change", "payout_change", "payout_change_pct"),
        manifest=manifest)
