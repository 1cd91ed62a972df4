"""The fill-in template: an empty workbook with a bilingual README sheet and one sheet per table."""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..schema.tables import COLUMN_NOTES, DROPDOWNS, OPTIONAL_TABLES, REQUIRED_TABLES, TABLE_LABELS, TABLE_NOTES
from .read import README_SHEET, _columns
from .write import _HEADER_FILL, _HEADER_FONT, _atomic_write, _text_width

_ALL_TABLES = REQUIRED_TABLES + OPTIONAL_TABLES
_TEMPLATE_ROWS = 5000  # rows covered by the template's dropdowns


# ---------------------------------------------------------------------------------------------
# template


def _write_readme(ws: Worksheet) -> None:
    """Fill the bilingual README sheet of the template."""
    intro = [
        "simkit 绩效考核数据模板 / simkit performance-evaluation data template",
        (
            "每张工作表对应一张数据表，工作表名称即表名（units、indicators、observations、"
            "targets、adjustments），请勿改名。"
        ),
        "Each sheet is one table and is named by the table name; do not rename the sheets.",
        "第 1 行是表头（中文 + 英文，两种写法都能读取），数据从第 2 行开始填写，每行一条记录。",
        (
            "Row 1 is the header (Chinese and English; either form is read). "
            "Data starts at row 2, one record per row."
        ),
        "units、indicators、observations 为必填表；targets、adjustments 为可选表，不用可留空。",
        (
            "units, indicators and observations are required; "
            "targets and adjustments are optional and may be left empty."
        ),
        "units 表可增加数值属性列（如 population、area_km2、headcount、bonus_per_head）。",
        "Extra numeric attribute columns may be added to units (e.g. population, area_km2).",
        "出错时会一次性报告所有问题，包括文件、行号（表头为第 1 行）、列以及修改方法。",
        "All problems are reported together, with the sheet, row (header = row 1), column and fix.",
    ]
    for line in intro:
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    head = [
        "工作表 Sheet",
        "列 Column",
        "表头 Header",
        "类型 Type",
        "必填 Required",
        "说明",
        "Meaning",
    ]
    ws.append(head)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for table in _ALL_TABLES:
        zh, en = TABLE_NOTES[table]
        ws.append([table, "", TABLE_LABELS[table], "", "", zh, en])
        for cell in ws[ws.max_row]:
            cell.font = _HEADER_FONT
        for column, label in _columns(table).items():
            kind, required, note_zh, note_en = COLUMN_NOTES[table][column]
            ws.append(
                [table, column, f"{label} {column}", kind, required, note_zh, note_en]
            )
    widths = {1: 14, 2: 16, 3: 26, 4: 14, 5: 18, 6: 60, 7: 70}
    for idx, width in widths.items():
        ws.column_dimensions[get_column_letter(idx)].width = width
    for row in ws.iter_rows(min_row=head_row + 1):
        for cell in row[5:7]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_table_sheet(ws: Worksheet, table: str) -> None:
    """Header row, widths, freeze and dropdowns for one empty table sheet."""
    columns = _columns(table)
    ws.append([f"{label} {column}" for column, label in columns.items()])
    for idx, (column, label) in enumerate(columns.items(), start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        width = max(_text_width(f"{label} {column}") + 4, 14)
        ws.column_dimensions[get_column_letter(idx)].width = width
        options = DROPDOWNS.get((table, column))
        if options:
            letter = get_column_letter(idx)
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(options) + '"',
                allow_blank=True,
                showDropDown=False,  # False = show the in-cell dropdown arrow (OOXML quirk)
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle=f"{label} {column}",
                error="请从下拉列表选择 / please pick a value from the list: "
                + ", ".join(options),
                promptTitle=f"{label} {column}",
                prompt=", ".join(options),
                showInputMessage=True,
            )
            dv.add(f"{letter}2:{letter}{_TEMPLATE_ROWS}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"


def write_template(path: str | os.PathLike[str]) -> Path:
    """Write an empty fill-in workbook: a README sheet and one sheet per table."""
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    _write_readme(readme)
    for table in _ALL_TABLES:
        _write_table_sheet(wb.create_sheet(table), table)
    return _atomic_write(path, lambda tmp: wb.save(tmp))
