"""Workbooks that print: A4 landscape, one page wide, the header row on every page, a footer with the scenario
names, page numbers and the synthetic mark; yuan, percentages and scores formatted; names first; wide tables
split into sheets; cells filled by the missing-data policy marked.  Checked with openpyxl (and, when LibreOffice
is installed, by printing to PDF and counting the pages)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import simkit
from simkit.io.write import MANIFEST_SHEET, PERCENT, SCORE, YUAN, PrintLayout
from simkit.present.labels import BAND_ZH, SYNTHETIC_NOTE
from simkit.present.reports import comparison_report, fairness_report, run_report, write_report_files
from simkit.present.tables import fairness_table


@pytest.fixture(scope="module")
def comparison(data, legacy, reform):
    return simkit.compare(legacy, reform, data)


@pytest.fixture(scope="module")
def comparison_book(comparison, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("comparison")
    write_report_files(comparison_report(comparison, size="gdp"), folder)
    return folder / "comparison.xlsx"


def _columns(ws) -> dict[str, int]:
    """English column name → column number (headers are 中文\\nEnglish); the on-screen mark is left out."""
    return {str(c.value).split("\n")[-1]: c.column for c in ws[1] if c.value and c.value != SYNTHETIC_NOTE}


def _widths(ws) -> float:
    return sum(ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in _columns(ws).values())


def _printed_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title != MANIFEST_SHEET]


def test_every_sheet_prints_landscape_one_page_wide_with_titles(comparison_book) -> None:
    wb = openpyxl.load_workbook(comparison_book)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title  # the header row on every printed page
        footer = ws.oddFooter
        assert "&P" in footer.center.text and "&N" in footer.center.text  # page x of y
        assert "旧规则（总量比较）" in footer.left.text and "益阳2018改革方案" in footer.left.text
        assert footer.right.text == SYNTHETIC_NOTE and ws.oddHeader.right.text == SYNTHETIC_NOTE
    for ws in _printed_sheets(wb):
        assert ws.freeze_panes == "A2"
        assert ws.print_area is not None and ws.print_area.startswith(f"'{ws.title}'!$A$1")
        assert ws.cell(1, ws.max_column).value == SYNTHETIC_NOTE  # beside the header, on screen only


def test_number_formats_yuan_percent_scores(comparison_book) -> None:
    ws = openpyxl.load_workbook(comparison_book)["对比 Comparison"]
    cols = _columns(ws)
    row = 2
    assert ws.cell(row, cols["payout_base"]).number_format == YUAN == "#,##0"
    assert ws.cell(row, cols["payout_change"]).number_format == YUAN
    assert ws.cell(row, cols["payout_change_pct"]).number_format == PERCENT == "0.0%"
    assert ws.cell(row, cols["score_base"]).number_format == SCORE == "0.00"
    assert ws.cell(row, cols["rank_base"]).number_format == "0"
    base = openpyxl.load_workbook(comparison_book)["基准 Base"]
    bcols = _columns(base)
    assert base.cell(2, bcols["score"]).number_format == SCORE
    assert base.cell(2, bcols["score_Q"]).number_format == SCORE
    assert base.cell(1, bcols["score_Q"]).value == "高质量发展得分\nscore_Q"  # the data's indicator names


def test_names_first_wide_tables_split_and_bands_in_chinese(comparison_book, comparison) -> None:
    wb = openpyxl.load_workbook(comparison_book)
    limit = PrintLayout().max_width
    for ws in _printed_sheets(wb):
        assert _widths(ws) <= limit, ws.title
    parts = [ws for ws in wb.worksheets if ws.title.startswith("基准 Base")]
    assert len(parts) >= 2, "the results (30 columns) do not fit on one page: they are split"
    for ws in parts:
        cols = list(_columns(ws))
        assert cols[:2] == ["name", "unit"], ws.title  # every part repeats the unit's name and id
    assert {"rank", "grade", "payout"} <= set(_columns(parts[0]))  # names and money on the same page
    seen = set().union(*(set(_columns(ws)) for ws in parts))
    people = set(comparison.base.units.columns) - {"name_en", "grade_en", "accountability_en", "year",
                                                   "group_size", "missing", "excluded"}
    assert people <= seen  # nothing lost in the split
    ws = wb["对比 Comparison"]
    cols = _columns(ws)
    assert list(cols)[:3] == ["name", "unit", "group"]
    bands = {ws.cell(r, cols["rank_band"]).value for r in range(2, ws.max_row + 1)}
    assert bands <= set(BAND_ZH.values()) and "不变" in bands
    winners = wb["赢家输家 Winners"]
    assert "上升3位及以上" in [winners.cell(r, 2).value for r in range(2, winners.max_row + 1)]
    summary = wb["汇总 Summary"]
    items = {summary.cell(r, 2).value: summary.cell(r, 3) for r in range(2, summary.max_row + 1)}
    assert items["paid_base"].number_format == YUAN and items["kendall_tau"].number_format == "0.000"
    assert summary.cell(2, 1).value == "年度"


def test_real_data_have_no_mark(comparison, tmp_path) -> None:
    real = dataclasses.replace(comparison.base.data, synthetic=False)
    cmp = simkit.compare(comparison.base.scenario, comparison.reform.scenario, real)
    write_report_files(comparison_report(cmp), tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "comparison.xlsx")
    for ws in wb.worksheets:
        assert not ws.oddFooter.right.text and not ws.oddHeader.right.text
    assert SYNTHETIC_NOTE not in [c.value for c in wb["对比 Comparison"][1]]


def _with_a_gap(data):
    """The bundled data with HS's 2018 GDP not reported (the scenario's policy fills it)."""
    obs = data.observations
    drop = (obs["unit"] == "HS") & (obs["indicator"] == "gdp") & (obs["year"] == 2018)
    return dataclasses.replace(data, observations=obs[~drop].reset_index(drop=True), _cache={})


def test_run_workbook_marks_filled_cells(data, reform, tmp_path) -> None:
    gappy = _with_a_gap(data)
    result = simkit.evaluate(reform, gappy)
    assert (result.indicators["filled_by"] != "").sum() == 1
    report = run_report(result)
    assert report.files == ["results.csv", "indicators.csv", "results.xlsx"]
    write_report_files(report, tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert wb.sheetnames[0] == "结果 Results"
    ind = wb["指标 Indicators"]
    cols = _columns(ind)
    assert list(cols)[:2] == ["name", "indicator_name"]
    assert ind.cell(1, cols["filled_note"]).value.startswith("缺报处理")
    rows = [r for r in range(2, ind.max_row + 1) if ind.cell(r, cols["filled_note"]).value]
    assert len(rows) == 1
    r = rows[0]
    assert ind.cell(r, cols["name"]).value == "赫山区" and ind.cell(r, cols["indicator_name"]).value == "地区生产总值"
    assert "缺报" in ind.cell(r, cols["filled_note"]).value and "not reported" in ind.cell(r, cols["filled_note"]).value
    for col in ("value", "score", "points", "filled_note"):  # the cell the policy filled, and its note
        assert ind.cell(r, cols[col]).fill.fill_type == "solid", col
    other = rows[0] + 1 if rows[0] + 1 <= ind.max_row else rows[0] - 1
    assert ind.cell(other, cols["score"]).fill.fill_type is None
    assert ind.cell(2, cols["share"]).number_format == PERCENT
    res = wb["结果 Results"]
    rc = _columns(res)
    assert res.cell(2, rc["payout"]).number_format == YUAN
    assert res.cell(2, rc["realised_float"]).number_format == PERCENT
    assert "missing" in set().union(*(set(_columns(ws)) for ws in wb.worksheets if ws.title.startswith("结果")))
    # the CSV files are the ones `simkit run` writes (every column, English names)
    assert "name_en" in pd.read_csv(tmp_path / "results.csv", encoding="utf-8-sig")
    assert run_report(result, workbook=False).files == ["results.csv", "indicators.csv"]
    assert run_report(result).workbook_only().files == ["results.xlsx"]


def test_fairness_workbook(data, legacy, reform, tmp_path) -> None:
    table = fairness_table([legacy, reform], data, n_boot=100)
    report = fairness_report(table, data, manifest={"seed": 0})
    write_report_files(report, tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "fairness.xlsx")
    ws = wb["公平性 Fairness"]
    cols = _columns(ws)
    assert list(cols)[:2] == ["metric_zh", "group"]
    assert ws.cell(2, cols[legacy.name]).number_format == "0.000"
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert legacy.name in ws.oddFooter.left.text and ws.oddFooter.right.text == SYNTHETIC_NOTE
    assert pd.read_csv(tmp_path / "fairness.csv", encoding="utf-8-sig")["data_note"].str.contains("合成").all()


def test_cli_writes_the_workbooks_with_xlsx(tmp_path) -> None:
    from click.testing import CliRunner

    from simkit.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["run", "yiyang_2018_reform", "--out", str(tmp_path / "run"), "--xlsx"])
    assert out.exit_code == 0, out.output
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"results.csv", "indicators.csv", "manifest.json",
                                                              "results.xlsx"}
    out = runner.invoke(main, ["run", "yiyang_2018_reform", "--out", str(tmp_path / "plain")])
    assert not (tmp_path / "plain" / "results.xlsx").exists()  # without --xlsx, the CSV files only
    out = runner.invoke(main, ["fairness", "legacy_totals", "yiyang_2018_reform", "--boot", "50", "--out",
                               str(tmp_path / "fair"), "--xlsx"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "fair" / "fairness.xlsx").is_file()


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed (apt-get install -y "
                    "libreoffice-calc-nogui) to print the workbook to PDF")
@pytest.mark.timeout(180)
def test_comparison_workbook_prints_on_few_pages(comparison_book, tmp_path) -> None:
    """It printed 51 A4 pages before page setup; now about a dozen."""
    profile = tmp_path / "lo-profile"  # LibreOffice's own profile, so that runs do not meet
    subprocess.run(["libreoffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(comparison_book)], check=True, capture_output=True, timeout=150)
    pages = _pages(tmp_path / "comparison.pdf")
    print(f"comparison.xlsx prints on {pages} A4 pages")
    assert 0 < pages <= 16
