"""A catalogue of malformed data sets: CSV folders and workbooks made from the bundled data, each broken in one
way.  Every one must end in a ``DataError`` (never another exception) whose problems name the file, the row or
the column where one applies, and a fix; and ``simkit validate`` must exit with code 2, say "Fix:" and show no
traceback.  Inputs that are read with a note, or read exactly as the original (BOM, CRLF, GBK, UTF-16, trailing
commas), are in ``test_interpreted.py``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from simkit.cli import main
from simkit.errors import DataError
from simkit.io.dataset import BUNDLED, Dataset
from simkit.io.read import load_data
from simkit.io.template import write_workbook

Lines = dict[str, list[str]]


# ---------------------------------------------------------------------------------------------------- helpers
def _set(lines: list[str], prefix: str, column: int, value: str) -> int:
    """Set one comma-separated cell of the first line starting with ``prefix``; its row number."""
    k = next(k for k, line in enumerate(lines) if line.startswith(prefix))
    cells = lines[k].split(",")
    cells[column] = value
    lines[k] = ",".join(cells)
    return k + 1


def _row_of(stem: str, prefix: str) -> int:
    lines = (BUNDLED / f"{stem}.csv").read_text("utf-8").splitlines()
    return next(k for k, line in enumerate(lines) if line.startswith(prefix)) + 1


HS_GDP_2018 = _row_of("observations", "HS,gdp,2018,")
NEW_OBS = len((BUNDLED / "observations.csv").read_text("utf-8").splitlines()) + 1


@dataclass
class Case:
    """``make(tmp)`` writes the bad data set and returns its path; the message must hold every token of ``says``
    and, unless ``where`` is False, some problem names a row or a column."""

    make: Callable[[Path], Path]
    says: list[str]
    file: str = ""
    where: bool = True
    notes: list[str] = field(default_factory=list)


def folder(edit: Callable[[Lines], object] | None = None, raw: Callable[[Path], object] | None = None
           ) -> Callable[[Path], Path]:
    """A copy of the bundled folder; ``edit`` changes the lines of its CSV files, ``raw`` the files."""
    def make(tmp: Path) -> Path:
        dest = tmp / "data"
        shutil.copytree(BUNDLED, dest)
        if edit is not None:
            files = {f.stem: f.read_text("utf-8").splitlines() for f in dest.glob("*.csv")}
            before = {k: list(v) for k, v in files.items()}
            edit(files)
            for stem, lines in files.items():
                if lines != before.get(stem):
                    (dest / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
            for stem in set(before) - set(files):
                (dest / f"{stem}.csv").unlink()
        if raw is not None:
            raw(dest)
        return dest
    return make


_SMALL: dict[str, Path] = {}


def _small() -> Dataset:
    """The bundled data of 2017 and 2018 only: workbooks stay quick to write and read."""
    d = load_data()

    def recent(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["year"] >= 2017].reset_index(drop=True)

    return Dataset(d.units, d.indicators, recent(d.observations), recent(d.targets), recent(d.adjustments),
                   source=d.source, synthetic=True)


def book(edit: Callable[[openpyxl.Workbook], object], *, wide: bool = False) -> Callable[[Path], Path]:
    """A workbook of the small data (long or wide); ``edit`` changes it with openpyxl."""
    def make(tmp: Path) -> Path:
        key = "wide" if wide else "long"
        if key not in _SMALL:
            _SMALL[key] = write_workbook(_small(), tmp.parent / f"base_{key}.xlsx", wide=wide)
        path = tmp / "data.xlsx"
        wb = openpyxl.load_workbook(_SMALL[key])
        edit(wb)
        wb.save(path)
        return path
    return make


def _find(ws: openpyxl.worksheet.worksheet.Worksheet, column: int, value: object) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, column).value == value)


def _obs_cell(wb: openpyxl.Workbook, unit: str, indicator: str, year: int, column: int, value: object) -> None:
    ws = wb["observations"]
    row = next(r for r in range(2, ws.max_row + 1) if (ws.cell(r, 1).value, ws.cell(r, 2).value,
                                                         ws.cell(r, 3).value) == (unit, indicator, year))
    ws.cell(row, column).value = value


def _wide_cell(wb: openpyxl.Workbook, sheet: str, unit: str, indicator: str, value: object) -> None:
    ws = wb[sheet]
    row = _find(ws, 1, unit)
    col = next(c for c in range(1, ws.max_column + 1) if str(ws.cell(1, c).value).endswith(f" {indicator}"))
    ws.cell(row, col).value = value


def _bytes(name: str, content: bytes) -> Callable[[Path], object]:
    return lambda d: (d / name).write_bytes(content)


def _recode(name: str, encoding: str) -> Callable[[Path], object]:
    return lambda d: (d / name).write_bytes((d / name).read_text("utf-8").encode(encoding))


def _path(name: str, content: bytes | None = None) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        p = tmp / name
        if content is not None:
            p.write_bytes(content)
        return p
    return make


def _transpose_units(f: Lines) -> None:
    rows = [line.split(",") for line in f["units"][:6]]
    f["units"] = [",".join(r[k] for r in rows) for k in range(5)]


def _paste_twice(f: Lines) -> None:
    f["observations"] += f["observations"][1:]


def _wide_csv(year: int, name: str | None = None, edit: Callable[[list[list[str]]], object] | None = None
              ) -> Callable[[Path], object]:
    """A wide CSV file of one year's county observations beside the long table."""
    def write(d: Path) -> None:
        obs = pd.read_csv(BUNDLED / "observations.csv", dtype=str)
        obs = obs[(obs["year"] == str(year)) & obs["indicator"].isin(["gdp", "fiscal_rev"])]
        wide = obs.pivot(index="unit", columns="indicator", values="value").reset_index()
        rows = [["单位编码 unit", "地区生产总值 gdp", "一般公共预算收入 fiscal_rev"],
                *wide[["unit", "gdp", "fiscal_rev"]].values.tolist()]
        if edit is not None:
            edit(rows)
        (d / f"{name or f'observations_{year}'}.csv").write_text("\n".join(",".join(r) for r in rows) + "\n",
                                                                 encoding="utf-8")
    return write


def _drop_long(year: int, indicators: tuple[str, ...] = ("gdp", "fiscal_rev")) -> Callable[[Lines], None]:
    def edit(f: Lines) -> None:
        f["observations"] = [line for line in f["observations"] if not any(
            line.startswith(f"{u},{i},{year},") for u in ("HS", "ZY", "YJ", "NX", "TJ", "AH", "DTH", "GX")
            for i in indicators)]
    return edit


def _title_row(sheet: str, rows: int = 1) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        ws.insert_rows(1, rows)
        ws["A1"] = "2018年绩效考核数据"
        ws.merge_cells(f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}1")
    return edit


def _merge_group(wb: openpyxl.Workbook) -> None:
    ws = wb["units"]
    for r in range(3, 10):
        ws.cell(r, 4).value = None
    ws.merge_cells("D2:D9")


def _formulas(wb: openpyxl.Workbook) -> None:
    ws = wb["observations"]
    for r in (5, 9, 12):
        ws.cell(r, 4).value = f"=D{r - 1}*1.1"


def _dates_as_years(wb: openpyxl.Workbook) -> None:
    ws = wb["observations"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 3).value = dt.datetime(int(ws.cell(r, 3).value), 1, 1)
        ws.cell(r, 3).number_format = "yyyy"


def _year_in_date_cell(wb: openpyxl.Workbook) -> None:
    ws = wb["observations"]
    ws.cell(2, 3).value = dt.datetime(1899, 12, 30) + dt.timedelta(days=2018)
    ws.cell(2, 3).number_format = "yyyy-mm-dd"


def _percent_format(wb: openpyxl.Workbook) -> None:
    ws = wb["observations"]
    r = _find(ws, 2, "gdp")
    ws.cell(r, 4).value = 0.08
    ws.cell(r, 4).number_format = "0%"


def _rename(sheet: str, to: str) -> Callable[[openpyxl.Workbook], None]:
    return lambda wb: setattr(wb[sheet], "title", to)


def _copy_sheet(sheet: str, to: str) -> Callable[[openpyxl.Workbook], None]:
    return lambda wb: setattr(wb.copy_worksheet(wb[sheet]), "title", to)


def _transpose_sheet(wb: openpyxl.Workbook) -> None:
    ws = wb["units"]
    cells = [[c.value for c in row] for row in ws.iter_rows(max_row=6)]
    ws.delete_rows(1, ws.max_row)
    for k in range(len(cells[0])):
        for r, row in enumerate(cells):
            ws.cell(k + 1, r + 1).value = row[k]


def _header_cell(sheet: str, column: int, value: object) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        wb[sheet].cell(1, column).value = value
    return edit


def _extra_column(wb: openpyxl.Workbook) -> None:
    ws = wb["observations"]  # unit, indicator, year, value, period: one column left empty, then a value in G
    ws.cell(5, ws.max_column + 2).value = 12.5


def _only(*sheets: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        for name in list(wb.sheetnames):
            if name not in sheets:
                del wb[name]
    return edit


def _wide_dup(wb: openpyxl.Workbook) -> None:
    copy = wb.copy_worksheet(wb["观测值2018"])
    copy.title = "observations_2018"


def _wide_shift(wb: openpyxl.Workbook) -> None:
    ws = wb["观测值2018"]
    ws.cell(3, 2).value = "赫山区"


def _wide_nounit(wb: openpyxl.Workbook) -> None:
    ws = wb["观测值2018"]
    ws.delete_cols(1, 2)


def _wide_inner(wb: openpyxl.Workbook) -> None:
    wb["观测值2018"].cell(1, 3).value = "高质量发展 Q"


def _wide_unknown(wb: openpyxl.Workbook) -> None:
    wb["观测值2018"].cell(1, 3).value = "备注"


def _wide_long_twice(wb: openpyxl.Workbook) -> None:
    ws = wb.create_sheet("observations")
    ws.append(["unit", "indicator", "year", "value"])
    ws.append(["HS", "gdp", 2018, 350.0])


_CSV_PLAIN = b"unit,name\nHS,x\n"
CASES: dict[str, Case] = {
    # ------------------------------------------------------------------------------------ tables and columns
    "missing_units": Case(folder(lambda f: f.pop("units")), ["required table `units` is missing"], "units.csv",
                          where=False),
    "missing_indicators": Case(folder(lambda f: f.pop("indicators")), ["required table `indicators`"],
                               "indicators.csv", where=False),
    "missing_observations": Case(folder(lambda f: f.pop("observations")), ["required table `observations`"],
                                 "observations.csv", where=False),
    "folder_with_one_csv": Case(folder(lambda f: [f.pop(t) for t in ("units", "indicators", "targets",
                                                                       "adjustments")]),
                                ["`units` is missing", "`indicators` is missing"], "units.csv", where=False),
    "empty_folder": Case(lambda tmp: (tmp / "e").mkdir() or tmp / "e", ["required table `units`"], "units.csv",
                         where=False),
    "missing_column_name": Case(folder(lambda f: f.update(units=[",".join(c for k, c in enumerate(line.split(","))
                                                                          if k != 1) for line in f["units"]])),
                                ["row 1", "'name'", "required column `name` is missing"], "units.csv"),
    "missing_column_value": Case(folder(lambda f: f.update(observations=[line.rsplit(",", 1)[0]
                                                                         for line in f["observations"]])),
                                 ["required column `value` is missing"], "observations.csv"),
    "duplicate_unit": Case(folder(lambda f: f["units"].append(f["units"][1])), ["duplicate unit id (unit=HS)",
                                                                               "rows 2, 58"], "units.csv"),
    "duplicate_indicator": Case(folder(lambda f: f["indicators"].append(f["indicators"][6])),
                                ["duplicate indicator id (indicator=gdp)"], "indicators.csv"),
    "duplicate_observation": Case(folder(lambda f: f["observations"].append("HS,gdp,2018,1")),
                                  ["duplicate observation (unit=HS, indicator=gdp, year=2018)", f"row {NEW_OBS}"],
                                  "observations.csv"),
    "pasted_twice": Case(folder(_paste_twice), ["more observations are given more than once", "pasted twice"],
                         "observations.csv"),
    "unknown_unit": Case(folder(lambda f: f["observations"].append("HSX,gdp,2018,1")),
                         ["unknown unit id 'HSX'", "did you mean 'HS'"], "observations.csv"),
    "unknown_indicator": Case(folder(lambda f: f["observations"].append("HS,gpd,2018,1")),
                              ["unknown indicator id 'gpd'", "did you mean 'gdp'"], "observations.csv"),
    "unit_names_for_ids": Case(folder(lambda f: f.update(observations=[
        line.replace("HS,", "赫山区,").replace("ZY,", "资阳区,") for line in f["observations"]])),
        ["unknown unit id '赫山区'"], "observations.csv"),
    "unknown_unit_in_targets": Case(folder(lambda f: f["targets"].append("XX,poverty_exits,2018,1")),
                                    ["unknown unit id 'XX'"], "targets.csv"),
    "unknown_unit_in_adjustments": Case(folder(lambda f: f["adjustments"].append("XX,2018,bonus,1,x")),
                                        ["unknown unit id 'XX'"], "adjustments.csv"),
    "tree_cycle": Case(folder(lambda f: _set(f["indicators"], "Q,", 3, "gdp")), ["'parent'", "circle"],
                       "indicators.csv"),
    "own_parent": Case(folder(lambda f: _set(f["indicators"], "gdp,", 3, "gdp")), ["circle: gdp → gdp"],
                       "indicators.csv"),
    "unknown_parent": Case(folder(lambda f: _set(f["indicators"], "tax_rev,", 3, "QQ")),
                           ["unknown parent indicator 'QQ'"], "indicators.csv"),
    "inner_node_with_value": Case(folder(lambda f: f["observations"].append("HS,Q,2018,80")),
                                  ["'Q' has sub-indicators"], "observations.csv"),
    "wrong_track": Case(folder(lambda f: f["observations"].append("D01,gdp,2018,1")),
                        ["indicator 'gdp' belongs to track '区县市'"], "observations.csv"),
    "group_empty": Case(folder(lambda f: _set(f["units"], "ZY,", 3, "")), ["row 3", "'group'", "is empty"],
                        "units.csv"),
    "unit_id_empty": Case(folder(lambda f: _set(f["units"], "ZY,", 0, "")), ["row 3", "unit id is empty"],
                          "units.csv"),
    "group_en_twice": Case(folder(lambda f: _set(f["units"], "ZY,", 4, "Counties")),
                           ["group '区县市' has two English names"], "units.csv"),
    "direction_up": Case(folder(lambda f: _set(f["indicators"], "gdp,", 4, "up")), ["direction 'up'"],
                         "indicators.csv"),
    "indicator_kind": Case(folder(lambda f: _set(f["indicators"], "gdp,", 8, "objektiv")),
                           ["unknown indicator kind 'objektiv'"], "indicators.csv"),
    "adjustment_kind": Case(folder(lambda f: _set(f["adjustments"], "AH,2018,", 2, "reward")),
                            ["unknown adjustment kind 'reward'"], "adjustments.csv"),
    "negative_bonus": Case(folder(lambda f: _set(f["adjustments"], "AH,2018,", 3, "-3")),
                           ["points must be positive"], "adjustments.csv"),
    "negative_weight": Case(folder(lambda f: _set(f["indicators"], "gdp,", 6, "-6")),
                            ["weight cannot be negative"], "indicators.csv"),
    "negative_headcount": Case(folder(lambda f: _set(f["units"], "ZY,", 8, "-1500")),
                               ["row 3", "`headcount` cannot be negative"], "units.csv"),
    # ---------------------------------------------------------------------------------------------- cells
    "number_with_unit": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "12亿元")),
                             [f"row {HS_GDP_2018}", "'12亿元' is not a number", "holds a unit (亿元)"],
                             "observations.csv"),
    "text_in_value": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "abc")),
                          ["'abc' is not a number"], "observations.csv"),
    "year_1e20": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "1e20")),
                      ["'1e20' is not a year between 1900 and 2200"], "observations.csv"),
    "year_1850": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "1850")),
                      ["'1850' is not a year between"], "observations.csv"),
    "year_2300": Case(folder(lambda f: _set(f["targets"], "HS,poverty_exits,2018,", 2, "2300")),
                      ["'2300' is not a year between"], "targets.csv"),
    "year_fraction": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "2018.5")),
                          ["2018.5 is not a whole number"], "observations.csv"),
    "year_date_text": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "2018-01-01")),
                           ["'2018-01-01' is a date, not a year"], "observations.csv"),
    "year_empty": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "")), ["year is empty"],
                       "observations.csv"),
    "year_na": Case(folder(lambda f: _set(f["adjustments"], "AH,2018,", 1, "N/A")), ["'N/A' is not a number"],
                    "adjustments.csv"),
    "value_1e300": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "1e300")),
                        ["'1e300' is too large"], "observations.csv"),
    "value_1e400": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "1e400")),
                        ["'1e400' is too large"], "observations.csv"),
    "value_huge_integer": Case(folder(lambda f: _set(f["units"], "ZY,", 6, "123456789012345678901234567890")),
                               ["is too large"], "units.csv"),
    "value_inf": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "inf")),
                      ["'inf' is not a finite number"], "observations.csv"),
    "decimal_comma": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, '"1.234,5"')),
                          ["'1.234,5' uses a comma as the decimal mark", "1234.5"], "observations.csv"),
    "decimal_comma_short": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, '"1,5"')),
                                ["'1,5' uses a comma as the decimal mark"], "observations.csv"),
    "bad_grouping": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, '"12,34,567"')),
                         ["'12,34,567' has a comma that is not a thousands separator"], "observations.csv"),
    "dash": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "-")),
                 ["'-' does not say whether the value is 0 or unknown"], "observations.csv"),
    "em_dash": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "—")),
                    ["'—' does not say whether"], "observations.csv"),
    "wu": Case(folder(lambda f: _set(f["observations"], "HS,accident_deaths,2018,", 3, "无")),
               ["'无' does not say whether"], "observations.csv"),
    "fullwidth_minus_alone": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "－")),
                                  ["'－' does not say whether"], "observations.csv"),
    "excel_error": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "#DIV/0!")),
                        ["'#DIV/0!' is an Excel error value"], "observations.csv"),
    "percent_not_percent_unit": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "8%")),
                                     ["'8%' is a percentage, but indicator 'gdp' is measured in 亿元"],
                                     "observations.csv"),
    "percent_in_weight": Case(folder(lambda f: _set(f["indicators"], "gdp,", 6, "6%")),
                              ["'6%' is a percentage, but `weight` takes a plain number"], "indicators.csv"),
    "parentheses": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "(12)")),
                        ["'(12)' is not a number", "write -12"], "observations.csv"),
    "many_bad_values": Case(folder(lambda f: f.update(observations=[f["observations"][0], *(
        line.rsplit(",", 1)[0] + ",abc" for line in f["observations"][1:])])),
        ["cells of `value` have this problem", "'abc' is not a number"], "observations.csv"),
    # ------------------------------------------------------------------------------------------- layouts
    "semicolons": Case(folder(lambda f: f.update(units=[line.replace(",", ";") for line in f["units"]])),
                       ["row 1", "separated by semicolons"], "units.csv"),
    "tabs": Case(folder(lambda f: f.update(units=[line.replace(",", "\t") for line in f["units"]])),
                 ["separated by tabs"], "units.csv"),
    "unicode_text": Case(folder(raw=lambda d: (d / "units.csv").write_bytes(
        (d / "units.csv").read_text("utf-8").replace(",", "\t").encode("utf-16"))),
        ["separated by tabs", "Unicode text"], "units.csv"),
    "title_line_csv": Case(folder(lambda f: f["units"].insert(0, "2018年绩效考核数据,,,")),
                           ["the header is on line 2, not line 1", "2018年绩效考核数据"], "units.csv"),
    "two_title_lines_csv": Case(folder(lambda f: f["observations"][:0].extend([]) or
                                       f.update(observations=["益阳市绩效考核", "单位：亿元", *f["observations"]])),
                                ["the header is on line 3, not line 1", "lines 1–2 hold"], "observations.csv"),
    "transposed_csv": Case(folder(_transpose_units), ["transposed"], "units.csv"),
    "other_table_in_file": Case(folder(lambda f: f.update(units=f["indicators"])),
                                ["this holds the `indicators` table"], "units.csv"),
    "thousands_unquoted": Case(folder(lambda f: _set(f["observations"], "HS,", 3, "1,234")),
                               ["more cells than the header", "thousands separator"], "observations.csv"),
    "cells_beyond_header": Case(folder(lambda f: f["observations"].__setitem__(9, f["observations"][9] + ",x")),
                                ["more cells than the header has columns (4)"], "observations.csv"),
    "unclosed_quote": Case(folder(lambda f: _set(f["units"], "ZY,", 2, '"Ziyang')), ["never closed"],
                           "units.csv"),
    "data_without_header": Case(folder(lambda f: f.update(units=[f["units"][0] + ",", *(
        line + ",7" for line in f["units"][1:])])), ["column K has data but no header"], "units.csv"),
    "header_twice": Case(folder(lambda f: f.update(units=[f["units"][0].replace("name_en", "单位编码"),
                                                          *f["units"][1:]])), ["names the column(s) unit twice"],
                         "units.csv"),
    "two_files_one_table": Case(folder(raw=lambda d: shutil.copy(d / "units.csv", d / "考核对象.csv")),
                                ["are both the `units` table"], "考核对象.csv", where=False),
    "empty_units_file": Case(folder(raw=_bytes("units.csv", b"")), ["row 1", "the file is empty"], "units.csv"),
    "empty_targets_file": Case(folder(raw=_bytes("targets.csv", b"\n\n")), ["the file is empty", "optional"],
                               "targets.csv"),
    "header_only_units": Case(folder(lambda f: f.update(units=f["units"][:1])), ["the table has no rows"],
                              "units.csv", where=False),
    "header_only_observations": Case(folder(lambda f: f.update(observations=f["observations"][:1])),
                                     ["the table has no rows"], "observations.csv", where=False),
    # ------------------------------------------------------------------------------------------ encodings
    "binary_file": Case(folder(raw=_bytes("units.csv", bytes(range(256)) * 8)), ["not text"], "units.csv",
                        where=False),
    "xlsx_named_csv": Case(folder(raw=_bytes("units.csv", b"PK\x03\x04" + bytes(100))),
                           ["an Excel workbook (.xlsx)", "under a .csv name"], "units.csv", where=False),
    "pdf_named_csv": Case(folder(raw=_bytes("indicators.csv", b"%PDF-1.4 ...")), ["a PDF document"],
                          "indicators.csv", where=False),
    "mixed_encodings": Case(folder(raw=lambda d: (d / "units.csv").write_bytes(
        "".join((d / "units.csv").read_text("utf-8").splitlines(keepends=True)[:5]).encode("utf-8")
        + "".join((d / "units.csv").read_text("utf-8").splitlines(keepends=True)[5:]).encode("gbk"))),
        ["mixes two encodings", "line 6"], "units.csv"),
    "latin1_line_in_utf8": Case(folder(raw=lambda d: (d / "units.csv").write_bytes(
        (d / "units.csv").read_bytes().replace(b"Heshan", "Hé".encode("latin-1") + b"shan"))),
        ["mixes two encodings", "line 2 is not"], "units.csv"),
    "latin1": Case(folder(raw=_bytes("units.csv", "unit,name,group\nHS,Héshan,g\n".encode("latin-1"))),
                   ["is not UTF-8, GBK/GB18030 or UTF-16 text", "row 2"], "units.csv"),
    "bom_and_bad_value": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "abc"),
                                     raw=lambda d: (d / "observations.csv").write_bytes(
                                         b"\xef\xbb\xbf" + (d / "observations.csv").read_bytes())),
                              [f"row {HS_GDP_2018}", "'abc'"], "observations.csv"),
    "crlf_and_bad_value": Case(folder(lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "abc"),
                                      raw=lambda d: (d / "observations.csv").write_bytes(
                                          (d / "observations.csv").read_bytes().replace(b"\n", b"\r\n"))),
                               [f"row {HS_GDP_2018}", "'abc'"], "observations.csv"),
    "gbk_and_bad_value": Case(folder(lambda f: _set(f["units"], "ZY,", 6, "很多"), raw=_recode("units.csv", "gbk")),
                              ["row 3", "'很多' is not a number"], "units.csv"),
    "trailing_columns_and_bad": Case(folder(lambda f: (_set(f["observations"], "HS,gdp,2018,", 3, "x"), f.update(
        observations=[line + ",," for line in f["observations"]]))), [f"row {HS_GDP_2018}", "'x' is not a number"],
        "observations.csv"),
    # --------------------------------------------------------------------------------------- paths
    "path_missing": Case(_path("nope"), ["does not exist"], "nope", where=False),
    "xls_file": Case(_path("data.xls", b"\xd0\xcf\x11\xe0 old"), ["save it as an Excel workbook (.xlsx)"],
                     "data.xls", where=False),
    "ods_file": Case(_path("data.ods", b"PK\x03\x04"), [".ods files are not read"], "data.ods", where=False),
    "one_csv_file": Case(_path("units.csv", _CSV_PLAIN), ["give the folder"], "units.csv", where=False),
    "txt_file": Case(_path("data.txt", _CSV_PLAIN), ["neither a folder nor an .xlsx workbook"], "data.txt",
                     where=False),
    "folder_with_workbook": Case(lambda tmp: (tmp / "w").mkdir() or (tmp / "w" / "data.xlsx").write_bytes(b"")
                                 or tmp / "w", ["holds no CSV files but the workbook data.xlsx"], "w", where=False),
    "nested_folder": Case(lambda tmp: shutil.copytree(BUNDLED, tmp / "outer" / "yiyang") and tmp / "outer",
                          ["its subfolder yiyang holds the tables"], "outer", where=False),
    # ----------------------------------------------------------------------------------------- wide CSV
    "wide_csv_unknown_unit": Case(folder(_drop_long(2018), raw=_wide_csv(2018, edit=lambda r: r.append(
        ["QQ", "1", "2"]))), ["unknown unit id 'QQ'"], "observations_2018.csv"),
    "wide_csv_twice": Case(folder(raw=_wide_csv(2018)),
                           ["(unit=HS, indicator=gdp, year=2018) is given twice", "observations_2018.csv row 5"],
                           "observations.csv"),
    "wide_csv_two_files": Case(folder(_drop_long(2018), raw=lambda d: (_wide_csv(2018)(d), _wide_csv(
        2018, "观测值2018")(d))), ["is given twice", "观测值2018.csv"], "observations_2018.csv"),
    "wide_csv_no_year": Case(folder(_drop_long(2018), raw=_wide_csv(2018, "县区数据")),
                             ["'县区数据' does not say its year"], "县区数据.csv", where=False),
    "wide_csv_bad_column": Case(folder(_drop_long(2018), raw=_wide_csv(2018, edit=lambda r: r[0].__setitem__(
        2, "财政收入"))), ["column C ('财政收入') is neither a unit column nor an indicator"],
        "observations_2018.csv"),
    "wide_csv_bad_cell": Case(folder(_drop_long(2018), raw=_wide_csv(2018, edit=lambda r: r[1].__setitem__(
        1, "12亿"))), ["row 2", "地区生产总值 gdp (column B)", "'12亿' is not a number", "(安化县, 2018)"],
        "observations_2018.csv"),
    "wide_csv_inner_node": Case(folder(_drop_long(2018), raw=_wide_csv(2018, edit=lambda r: r[0].__setitem__(
        2, "三大攻坚战 B"))), ["'B' has sub-indicators"], "observations_2018.csv"),
    # ------------------------------------------------------------------------------------------- workbooks
    "formulas_without_values": Case(book(_formulas), ["sheet 'observations', cells D5, D9, D12 hold formulas "
                                                      "without a computed value", "open the workbook in Excel"],
                                    "data.xlsx"),
    "title_row_xlsx": Case(book(_title_row("units", 2)), ["the header is on row 3, not row 1",
                                                          "delete the title rows"], "data.xlsx"),
    "merged_group": Case(book(_merge_group), ["cells D2:D9 are merged", "only in the first cell, D2",
                                              "unmerge"], "data.xlsx"),
    "merged_header": Case(book(lambda wb: wb["indicators"].merge_cells("B1:C1")),
                          ["header cells B1:C1 are merged"], "data.xlsx"),
    "years_as_dates": Case(book(_dates_as_years), ["is a date, not a year", "cells of `year` have this problem"],
                           "data.xlsx"),
    "year_typed_in_date_cell": Case(book(_year_in_date_cell), ["a date, not a year",
                                                               "Excel stored the year 2018 as the date"],
                                    "data.xlsx"),
    "percent_format_not_percent": Case(book(_percent_format), ["'8%' is a percentage, but indicator 'gdp'"],
                                       "data.xlsx"),
    "excel_error_cell": Case(book(lambda wb: _obs_cell(wb, "HS", "gdp", 2018, 4, "#N/A")),
                             ["'#N/A' is an Excel error value"], "data.xlsx"),
    "text_value_xlsx": Case(book(lambda wb: _obs_cell(wb, "HS", "gdp", 2018, 4, "约350")),
                            ["'约350' is not a number"], "data.xlsx"),
    "missing_sheet": Case(book(lambda wb: wb.remove(wb["observations"])), ["required sheet 'observations'"],
                          "data.xlsx", where=False),
    "only_default_sheet": Case(book(_only("说明 README")), ["required sheet 'units'"], "data.xlsx", where=False),
    "two_sheets_one_table": Case(book(_copy_sheet("units", "考核对象")), ["are both the 'units' table"],
                                 "data.xlsx", where=False),
    "transposed_sheet": Case(book(_transpose_sheet), ["transposed"], "data.xlsx"),
    "sheet_column_no_header": Case(book(_extra_column), ["column G has data but no header"], "data.xlsx"),
    "sheet_column_twice": Case(book(_header_cell("units", 3, "单位名称")), ["repeats column 'name'"], "data.xlsx"),
    "not_a_workbook": Case(_path("data.xlsx", _CSV_PLAIN), ["cannot read the file as an Excel .xlsx workbook",
                                                            "text file"], "data.xlsx", where=False),
    "xls_named_xlsx": Case(_path("data.xlsx", b"\xd0\xcf\x11\xe0" + bytes(100)),
                           ["old Excel 97-2003 workbook (.xls) or a password-protected workbook"], "data.xlsx",
                           where=False),
    "empty_xlsx_file": Case(_path("data.xlsx", b""), ["cannot read the file as an Excel .xlsx workbook"],
                            "data.xlsx", where=False),
    # -------------------------------------------------------------------------------------- wide workbooks
    "wide_bad_cell": Case(book(lambda wb: _wide_cell(wb, "观测值2018", "HS", "gdp", "n.a"), wide=True),
                          ["sheet '观测值2018'", "row 2", "地区生产总值 gdp (column C)", "(赫山区, 2018)"],
                          "data.xlsx"),
    "wide_and_long_twice": Case(book(_wide_long_twice, wide=True),
                                ["(unit=HS, indicator=gdp, year=2018) is given twice", "(sheet observations) row 2",
                                 "sheet '观测值2018') row 2, 地区生产总值 gdp (column C)"], "data.xlsx"),
    "wide_two_sheets": Case(book(_wide_dup, wide=True), ["is given twice", "observations_2018"], "data.xlsx"),
    "wide_rows_shifted": Case(book(_wide_shift, wide=True), ["unit 'ZY' is '资阳区' in the units table, not "
                                                             "'赫山区'", "shifted"], "data.xlsx"),
    "wide_no_unit_column": Case(book(_wide_nounit, wide=True), ["needs a unit column"], "data.xlsx"),
    "wide_title_row": Case(book(_title_row("观测值2018"), wide=True), ["the header is on row 2, not row 1"],
                           "data.xlsx"),
    "wide_inner_node": Case(book(_wide_inner, wide=True), ["'Q' has sub-indicators"], "data.xlsx"),
    "wide_unknown_column": Case(book(_wide_unknown, wide=True), ["column C ('备注') is neither"], "data.xlsx"),
    "wide_wrong_track": Case(book(lambda wb: _wide_cell(wb, "观测值2018", "D01", "gdp", 5.0), wide=True),
                             ["indicator 'gdp' belongs to track '区县市' but unit 'D01'", "(column C)"],
                             "data.xlsx"),
    "wide_merged_units": Case(book(lambda wb: wb["观测值2017"].merge_cells("A2:A3"), wide=True),
                              ["cells A2:A3 are merged"], "data.xlsx"),
}


def _text(exc: DataError) -> str:
    return str(exc)


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = case.make(tmp_path)
    with pytest.raises(DataError) as info:
        load_data(path)
    problems = info.value.problems
    text = _text(info.value)
    assert problems and len(problems) <= 12, text  # one cause is reported once, not hundreds of times
    for p in problems:
        assert p.file and p.fix.strip(), p
    assert case.file in text, f"{case.file!r} not named in:\n{text}"
    if case.where:
        assert any(p.row is not None or p.field is not None for p in problems), text
    for token in case.says:
        assert token in text, f"{token!r} missing from:\n{text}"

    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Fix:" in result.output and "Traceback" not in result.output, result.output
