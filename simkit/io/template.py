"""The fill-in template: an empty workbook with a bilingual README sheet and one sheet per table.

Sheets, headers, dropdowns and the README rows all come from the table declaration in
``simkit.schema.tables``, the one that drives the reader and the validator.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..schema.tables import KIND_LABELS, OPTIONAL_TABLES, REQUIRED_TABLES, SCHEMA, ColumnSpec, TableSpec, plain
from .read import README_SHEET
from .write import _HEADER_FILL, _HEADER_FONT, _atomic_write, _text_width

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


def write_template(path: str | os.PathLike[str]) -> Path:
    """Write an empty fill-in workbook: a README sheet and one sheet per table."""
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    _write_readme(readme)
    for spec in SCHEMA.values():
        _write_table_sheet(wb.create_sheet(spec.name), spec)
    return _atomic_write(path, lambda tmp: wb.save(tmp))
