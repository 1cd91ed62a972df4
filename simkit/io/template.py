"""The fill-in template (an empty workbook with a bilingual README sheet, one sheet per table and a wide sheet
of observations per year) and the export of a data set as such a workbook (``write_workbook``).

Sheets, headers, dropdowns and the README rows all come from the table declaration in
``simkit.schema.tables``, the one that drives the reader and the validator.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..schema.tables import (
    KIND_LABELS,
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    SCHEMA,
    WIDE_NAMES,
    ColumnSpec,
    TableSpec,
    plain,
)
from .dataset import Dataset
from .read import README_SHEET, SYNTHETIC_MARK
from .write import _FORMULA_TRIGGERS, _HEADER_FILL, _HEADER_FONT, _atomic_write, _text_width

_TEMPLATE_ROWS = 5000  # rows covered by the template's dropdowns
_README_HEAD = ("工作表 Sheet", "列 Column", "表头 Header", "类型 Type", "必填 Required", "说明", "Meaning")


def _intro() -> list[str]:
    """The README sheet's opening lines, Chinese then English."""
    names, required, optional = "、".join(SCHEMA), "、".join(REQUIRED_TABLES), "、".join(OPTIONAL_TABLES)
    lines = [
        "simkit 绩效考核数据模板 / simkit performance-evaluation data template",
        f"每张工作表对应一张数据表，工作表名称即表名（{names}），请勿改名。",
        "Each sheet is one table and is named by the table name; do not rename the sheets.",
        "第 1 行是表头（中文 + 英文，两种写法都能读取），数据从第 2 行开始填写，每行一条记录。",
        "Row 1 is the header (Chinese and English; either form is read). Data starts at row 2, one record per row.",
        f"{required} 为必填表；{optional} 为可选表，不用可留空。",
        f"{_and(REQUIRED_TABLES)} are required; {_and(OPTIONAL_TABLES)} are optional and may be left empty.",
    ]
    for spec in SCHEMA.values():
        if spec.attributes is not None:
            shown = ["population", "area_km2", *(c.name for c in spec.examples)]
            lines += [f"{spec.name} 表可增加数值属性列（如 {'、'.join(shown)}）。",
                      f"Extra numeric attribute columns may be added to {spec.name} (e.g. population, area_km2)."]
    wide = f"{WIDE_NAMES[1]}2018"
    lines += [
        f"观测值也可按年填在宽表中：工作表 {wide}（或 {WIDE_NAMES[0]}_2018）每行一个单位，每列一个末级指标，"
        "表头写指标名称和编码（如 地区生产总值 gdp）；空单元格表示缺失。长表与宽表可以并用，但同一数值不得填两次。",
        f"Observations may also be given wide, one sheet per year: {wide} (or {WIDE_NAMES[0]}_2018), one unit per "
        "row, one leaf indicator per column headed by its name and id (地区生产总值 gdp); an empty cell is missing. "
        "Long and wide sheets may be mixed, but no value may be given twice.",
        "计量单位为 % 的指标可写 8% 或 8，均读作 8；其他数值列请只写数字（不带单位、不带 %）。",
        "For an indicator measured in %, 8% and 8 are both read as 8; other number cells take plain numbers only.",
    ]
    return [*lines, "出错时会一次性报告所有问题，包括文件、行号（表头为第 1 行）、列以及修改方法。",
            "All problems are reported together, with the sheet, row (header = row 1), column and fix."]


def _and(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def column_type(col: ColumnSpec) -> str:
    """How the template names a column's kind (``text 文本``, ``1 / -1``)."""
    return " ".join(part for part in KIND_LABELS[col.kind] if part)


def column_required(col: ColumnSpec) -> str:
    """``yes 是``, ``no 否`` or ``no 否 (default)``."""
    if col.filled:
        return "yes 是"
    return "no 否" + (f" ({col.default})" if col.default is not None else "")


def _readme_rows(spec: TableSpec) -> list[list[str]]:
    rows = [[spec.name, "", spec.label, "", "", plain(spec.note_zh), plain(spec.note_en)]]
    for col in (*spec.columns, *spec.examples):
        rows.append([spec.name, col.name, f"{col.label} {col.name}", column_type(col), column_required(col),
                     plain(col.meaning_zh), plain(col.meaning_en)])
    return rows


def _write_readme(ws: Worksheet) -> None:
    """Fill the bilingual README sheet of the template."""
    for line in _intro():
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(list(_README_HEAD))
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for spec in SCHEMA.values():
        first, *columns = _readme_rows(spec)
        ws.append(first)
        for cell in ws[ws.max_row]:
            cell.font = _HEADER_FONT
        for row in columns:
            ws.append(row)
    widths = {1: 14, 2: 16, 3: 26, 4: 14, 5: 18, 6: 60, 7: 70}
    for idx, width in widths.items():
        ws.column_dimensions[get_column_letter(idx)].width = width
    for row in ws.iter_rows(min_row=head_row + 1):
        for cell in row[5:7]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _dropdown(col: ColumnSpec, letter: str) -> DataValidation:
    header, options = f"{col.label} {col.name}", ", ".join(col.choices)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(col.choices) + '"',
        allow_blank=True,
        showDropDown=False,  # False = show the in-cell dropdown arrow (OOXML quirk)
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=header,
        error="请从下拉列表选择 / please pick a value from the list: " + options,
        promptTitle=header,
        prompt=options,
        showInputMessage=True,
    )
    dv.add(f"{letter}2:{letter}{_TEMPLATE_ROWS}")
    return dv


def _write_table_sheet(ws: Worksheet, spec: TableSpec) -> None:
    """Header row, widths, freeze and dropdowns for one empty table sheet."""
    columns = (*spec.columns, *spec.examples)
    ws.append([f"{col.label} {col.name}" for col in columns])
    for idx, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(_text_width(f"{col.label} {col.name}") + 4, 14)
        if col.choices:
            ws.add_data_validation(_dropdown(col, letter))
    ws.freeze_panes = "A2"


_NOT_APPLICABLE = PatternFill(fill_type="solid", start_color="FFEDEDED", end_color="FFEDEDED")
SYNTHETIC_LINE = (f"⚠️ {SYNTHETIC_MARK} DATA — 合成数据，仅供演示，非真实统计数据 / every number in this workbook is "
                  "synthetic, for demonstration only; not real statistics")


def wide_sheet_name(year: int) -> str:
    """The name of the wide sheet of one year's observations (``观测值2018``)."""
    return f"{WIDE_NAMES[1]}{year}"


def _unit_headers() -> list[str]:
    units = SCHEMA["units"]
    return [f"{units.column(c).label} {c}" for c in ("unit", "name")]


def _write_wide_sheet(ws: Worksheet, data: Dataset | None, year: int, values: np.ndarray | None = None) -> None:
    """A wide sheet: the units in rows, the leaves in columns (``地区生产总值 gdp``); cells of an indicator that
    does not apply to a unit's track are shaded."""
    leaves: Sequence[str] = data.leaves if data is not None else ()
    names = data.indicators.set_index("indicator")["name"] if data is not None else pd.Series(dtype=object)
    heads = [*_unit_headers(), *(f"{names[lf]} {lf}" for lf in leaves)]
    ws.append(heads)
    for idx, head in enumerate(heads, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(idx)].width = max(_text_width(head) + 2, 12)
    ws.freeze_panes = "C2"
    if data is None:
        return
    applicable = data.applicable
    for r, (unit, name) in enumerate(zip(data.units["unit"], data.units["name"], strict=True), start=2):
        _put(ws.cell(row=r, column=1), unit)
        _put(ws.cell(row=r, column=2), name)
        for c in range(len(leaves)):
            cell = ws.cell(row=r, column=c + 3)
            if values is not None:
                _put(cell, values[r - 2, c])
            if not applicable[r - 2, c]:
                cell.fill = _NOT_APPLICABLE


def _put(cell: Any, value: Any) -> None:
    """One value as Excel keeps it: a number as a number, text as text (never a formula), empty as nothing."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return
    if isinstance(value, (bool, int, float)):
        cell.value = value
        return
    text = str(value)
    cell.value = text
    cell.data_type = "s"  # a text such as "=1+2" stays text
    if text.lstrip().startswith(_FORMULA_TRIGGERS):
        cell.quotePrefix = True  # Excel's own mark: shown and kept as text when edited


def _write_rows(ws: Worksheet, spec: TableSpec, frame: pd.DataFrame, extra: Iterable[str] = ()) -> None:
    """A table sheet filled from a validated table (the declared columns, then ``extra`` attribute columns)."""
    columns = [*spec.names, *extra]
    heads = [f"{spec.headers[c]} {c}" if c in spec.headers else c for c in columns]
    ws.append(heads)
    for idx, head in enumerate(heads, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(idx)].width = max(_text_width(head) + 4, 14)
    ws.freeze_panes = "A2"
    present = [c for c in columns if c in frame.columns]
    for r, row in enumerate(frame[present].itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            _put(ws.cell(row=r, column=columns.index(present[c - 1]) + 1), value)


def _book(readme_first: list[str]) -> Workbook:
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    for line in readme_first:
        readme.append([line])
    _write_readme(readme)
    if readme_first:
        readme["A1"].font = Font(bold=True, size=13, color="FFC00000")
    return wb


def write_template(path: str | os.PathLike[str], data: Dataset | None = None,
                   years: Iterable[int] | None = None) -> Path:
    """Write a fill-in workbook: a README sheet, one sheet per table and a wide sheet of observations per year.

    Without ``data`` the sheets are empty and one wide sheet is offered for last year; with ``data`` the units
    and indicators are filled in and the wide sheets (of ``years``, default the year after the data's last)
    list the units and the data's leaf indicators, ready for the values.
    """
    years = list(years) if years is not None else [data.years[-1] + 1 if data is not None and data.years
                                                    else dt.date.today().year - 1]
    wb = _book([SYNTHETIC_LINE] if data is not None and data.synthetic else [])
    for spec in SCHEMA.values():
        ws = wb.create_sheet(spec.name)
        if data is not None and spec.name in ("units", "indicators"):
            frame = getattr(data, spec.name)
            _write_rows(ws, spec, frame, data.attributes if spec.name == "units" else ())
        else:
            _write_table_sheet(ws, spec)
    for year in years:
        _write_wide_sheet(wb.create_sheet(wide_sheet_name(year)), data, year)
    return _atomic_write(path, lambda tmp: wb.save(tmp))


def write_workbook(data: Dataset, path: str | os.PathLike[str], *, wide: bool = False) -> Path:
    """Write a data set as a filled template; ``load_data`` of the workbook gives the same data set.

    ``wide=True`` writes the observations as one wide sheet per year instead of the long sheet (an observation
    row without a value is then not written: an empty cell and no row mean the same); values given by period
    (month, quarter) stay rows of the long sheet beside the wide ones.  Synthetic data carry the
    synthetic mark (the README sheet's first line), which ``load_data`` reads back.
    """
    wb = _book([SYNTHETIC_LINE] if data.synthetic else [])
    if data.synthetic:
        wb.properties.keywords = SYNTHETIC_MARK
    obs = data.observations
    by_period = (obs["period"] != "").to_numpy() if "period" in obs.columns else np.zeros(len(obs), dtype=bool)
    for spec in SCHEMA.values():
        frame = getattr(data, spec.name)
        if wide and spec.name == "observations":
            if not by_period.any():
                continue
            frame = frame[by_period]  # values given by month or quarter stay rows: a wide sheet holds one a year
        _write_rows(wb.create_sheet(spec.name), spec, frame, data.attributes if spec.name == "units" else ())
    if wide:
        whole = obs[~by_period]
        cube = np.full((len(data.unit_ids), len(data.leaves), len(data.years)), np.nan)
        cube[pd.Index(data.unit_ids).get_indexer(whole["unit"]), pd.Index(data.leaves).get_indexer(whole["indicator"]),
             pd.Index(data.years).get_indexer(whole["year"])] = whole["value"].to_numpy(dtype=float)
        for t, year in enumerate(data.years):
            _write_wide_sheet(wb.create_sheet(wide_sheet_name(year)), data, year, cube[:, :, t])
    return _atomic_write(path, lambda tmp: wb.save(tmp))
