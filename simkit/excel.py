"""Excel input and output: the fill-in template, reading workbooks, safe CSV and formatted reports.

Headers are read in any of the forms ``unit``, ``单位编码``, ``单位编码 unit``, ``单位编码 (unit)`` or
``单位编码\\nunit``. Everything written is protected against spreadsheet formula injection: strings that
a spreadsheet would run as a formula get a leading ``'`` (see :func:`neutralise`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from simkit.errors import Problem

__all__ = [
    "EXAMPLE_HEADERS",
    "HEADERS",
    "MANIFEST_SHEET",
    "OPTIONAL_TABLES",
    "README_SHEET",
    "REQUIRED_TABLES",
    "TABLE_LABELS",
    "neutralise",
    "neutralise_frame",
    "normalise_header",
    "read_workbook",
    "write_csv_safe",
    "write_report",
    "write_template",
]

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

README_SHEET = "说明 README"
MANIFEST_SHEET = "运行信息 Manifest"

_ALL_TABLES = REQUIRED_TABLES + OPTIONAL_TABLES
_TEMPLATE_ROWS = 5000  # rows covered by the template's dropdowns
_MAX_CELL_TEXT = 32767  # Excel's limit on the characters in one cell

# (type, required, 中文说明, English meaning) per table and column, from docs/data-format.md.
_COLUMN_NOTES: dict[str, dict[str, tuple[str, str, str, str]]] = {
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

_TABLE_NOTES: dict[str, tuple[str, str]] = {
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

_DROPDOWNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("indicators", "direction"): ("1", "-1"),
    ("indicators", "kind"): ("objective", "subjective"),
    ("adjustments", "kind"): ("bonus", "deduction", "veto"),
}

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill(
    fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7"
)
_UP_FILL = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
_UP_FONT = Font(color="FF006100")
_DOWN_FILL = PatternFill(
    fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE"
)
_DOWN_FONT = Font(color="FF9C0006")

_SEPARATORS_RE = re.compile(r"[\s()\[\]{}<>（）【】〔〕《》「」/|:：,，;；]+")
_ENGLISH_SEP_RE = re.compile(r"[\s\-]+")
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_SHEET_NAME_BAD_RE = re.compile(r"[\[\]:*?/\\]")


# ---------------------------------------------------------------------------------------------
# headers


def _split_label(label: str) -> tuple[str, str]:
    """Split a header/sheet label into its Chinese part and its normalised English part."""
    text = unicodedata.normalize("NFKC", label)
    text = _SEPARATORS_RE.sub(" ", text).strip()
    chinese = "".join(ch for ch in text if ord(ch) > 127 and not ch.isspace())
    english = "".join(ch if ord(ch) < 128 else " " for ch in text).strip()
    english = _ENGLISH_SEP_RE.sub("_", english).lower()
    return chinese, english


def _columns(table: str) -> dict[str, str]:
    """Known English column -> Chinese label for a table, including the example columns."""
    if table not in HEADERS:
        raise ValueError(
            f"unknown table {table!r}; expected one of {', '.join(_ALL_TABLES)}"
        )
    return {**HEADERS[table], **EXAMPLE_HEADERS.get(table, {})}


def normalise_header(label: str, table: str) -> str:
    """Map a header cell (``unit``, ``单位编码``, ``单位编码 unit``, ...) to its English column name.

    Unknown headers (e.g. an extra attribute column ``population``) are returned stripped.
    """
    raw = "" if label is None else str(label)
    columns = _columns(table)
    chinese, english = _split_label(raw)
    if english in columns:
        return english
    if chinese:
        by_chinese = {zh: en for en, zh in columns.items()}
        if chinese in by_chinese:
            return by_chinese[chinese]
    return raw.strip()


def _match_table(sheet_name: str) -> str | None:
    """The table a sheet holds (``units``, ``Units``, ``考核对象 units``), or None."""
    name = sheet_name.strip().lower()
    if name in _ALL_TABLES:
        return name
    chinese, english = _split_label(sheet_name)
    if english in _ALL_TABLES:
        return english
    for table, zh in TABLE_LABELS.items():
        if chinese and chinese == zh and not english:
            return table
    return None


# ---------------------------------------------------------------------------------------------
# atomic writes and text width


def _atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temp file next to ``path``, then move it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target


def _text_width(text: str) -> int:
    """Display width of a line: CJK and other wide characters count double."""
    return sum(
        2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text
    )


def _display_width(value: Any) -> int:
    """Widest line of a value as it will show in a cell."""
    if value is None:
        return 0
    if isinstance(value, float):
        text = f"{value:,.2f}"
    elif isinstance(value, (dt.datetime, dt.date)):
        text = value.isoformat()[:16]
    else:
        text = str(value)
    return max((_text_width(line) for line in text.split("\n")), default=0)


def _fit_widths(
    ws: Worksheet, widths: dict[int, int], lo: int = 6, hi: int = 60
) -> None:
    """Set column widths from measured character widths, within [lo, hi]."""
    for idx, width in widths.items():
        ws.column_dimensions[get_column_letter(idx)].width = min(max(width + 2, lo), hi)


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
        zh, en = _TABLE_NOTES[table]
        ws.append([table, "", TABLE_LABELS[table], "", "", zh, en])
        for cell in ws[ws.max_row]:
            cell.font = _HEADER_FONT
        for column, label in _columns(table).items():
            kind, required, note_zh, note_en = _COLUMN_NOTES[table][column]
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
        options = _DROPDOWNS.get((table, column))
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


# ---------------------------------------------------------------------------------------------
# reading


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(
    ws: Worksheet, table: str, label: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one table sheet as raw cells, with the spreadsheet row number in ``_row``."""
    problems: list[Problem] = []
    rows = list(ws.iter_rows(min_row=1, values_only=True))
    header = list(rows[0]) if rows else []
    width = max((len(r) for r in rows), default=0)
    header += [None] * (width - len(header))

    keep: list[int] = []
    names: list[str] = []
    seen: dict[str, int] = {"_row": 0}
    for idx, cell in enumerate(header):
        letter = get_column_letter(idx + 1)
        has_data = any(idx < len(r) and not _is_blank(r[idx]) for r in rows[1:])
        if _is_blank(cell):
            if has_data:
                problems.append(
                    Problem(
                        file=label,
                        row=1,
                        message=f"column {letter} has data but no header",
                        fix=f"write the column name in cell {letter}1 or delete the column",
                    )
                )
            continue
        name = normalise_header(str(cell), table)
        if name in seen:
            first = (
                "reserved"
                if name == "_row"
                else f"column {get_column_letter(seen[name])}"
            )
            problems.append(
                Problem(
                    file=label,
                    row=1,
                    field=name,
                    message=f"column {letter} repeats column {name!r} ({first})",
                    fix="keep one column with this name and delete or rename the other",
                )
            )
            continue
        seen[name] = idx + 1
        keep.append(idx)
        names.append(name)

    if not rows or not keep:
        problems.append(
            Problem(
                file=label,
                row=1,
                message=f"sheet {ws.title!r} has no header row",
                fix="put the column names in row 1 (see `simkit template`), data from row 2",
            )
        )

    records: list[list[Any]] = []
    row_numbers: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        values = [row[i] if i < len(row) else None for i in keep]
        if all(_is_blank(v) for v in row):
            continue
        records.append(values)
        row_numbers.append(number)

    frame = pd.DataFrame(records, columns=names, dtype=object)
    if not records:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    frame["_row"] = pd.Series(row_numbers, index=frame.index, dtype="int64")
    frame.attrs["file"] = label
    frame.attrs["sheet"] = ws.title
    return frame, problems


def read_workbook(
    path: str | os.PathLike[str],
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read every table sheet of a workbook as raw cells; problems are returned, not raised.

    Each frame has the English column names and a ``_row`` column with the 1-based spreadsheet
    row. Cell values are not converted: validating them is the caller's job.
    """
    name = Path(path).name
    try:
        wb = load_workbook(path, data_only=True)
    except FileNotFoundError:
        return {}, [
            Problem(
                file=name,
                message=f"file not found: {path}",
                fix="check the path and name",
            )
        ]
    except Exception as exc:
        return {}, [
            Problem(
                file=name,
                message=f"cannot read the file as an Excel .xlsx workbook ({type(exc).__name__})",
                fix="open it in Excel or WPS and save it as an Excel workbook (.xlsx), "
                "or start from `simkit template`",
            )
        ]

    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    sheet_of: dict[str, str] = {}
    try:
        for ws in wb.worksheets:
            if ws.title.strip().lower() == README_SHEET.lower():
                continue
            table = _match_table(ws.title)
            if table is None:
                continue
            if table in sheet_of:
                problems.append(
                    Problem(
                        file=name,
                        message=f"sheets {sheet_of[table]!r} and {ws.title!r} are both "
                        f"the {table!r} table",
                        fix=f"keep one sheet named {table!r} and delete or rename the other",
                    )
                )
                continue
            sheet_of[table] = ws.title
            frame, found = _read_sheet(ws, table, f"{name} (sheet {ws.title!r})")
            tables[table] = frame
            problems.extend(found)
    finally:
        wb.close()

    for table in REQUIRED_TABLES:
        if table not in tables:
            columns = ", ".join(HEADERS[table])
            problems.append(
                Problem(
                    file=name,
                    message=f"required sheet {table!r} ({TABLE_LABELS[table]}) is missing",
                    fix=f"add a sheet named {table!r} with the columns {columns} "
                    "(`simkit template` writes a blank workbook with every sheet)",
                )
            )
    return {t: tables[t] for t in _ALL_TABLES if t in tables}, problems


# ---------------------------------------------------------------------------------------------
# safe export


def neutralise(value: Any) -> Any:
    """Prefix ``'`` to a string a spreadsheet would treat as a formula (CSV/formula injection).

    Triggers (OWASP): ``= + - @`` as the first non-blank character, or a leading tab or
    carriage return. Non-strings (including negative numbers) are returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "\t\r" or value.lstrip().startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with text cells and column labels passed through :func:`neutralise`."""
    out = df.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if not _is_text_column(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        out.isetitem(i, series.map(neutralise))
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(neutralise(part) for part in col) for col in out.columns],
            names=out.columns.names,
        )
    else:
        out.columns = pd.Index(
            [neutralise(col) for col in out.columns], name=out.columns.name
        )
    return out


def write_csv_safe(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` (without its index) as UTF-8 CSV with BOM, neutralised, atomically."""
    safe = neutralise_frame(df)
    return _atomic_write(
        path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig")
    )


# ---------------------------------------------------------------------------------------------
# reports


def _clean_text(text: str) -> str:
    """Neutralised text without characters Excel cannot store, within Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return str(neutralise(text))[:_MAX_CELL_TEXT]


def _set_cell(
    ws: Worksheet, row: int, col: int, value: Any, float_format: str = "0.00"
) -> Any:
    """Write one value safely; return the numeric value written (or None)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, (np.datetime64, np.timedelta64)):
        value = (
            pd.Timestamp(value)
            if isinstance(value, np.datetime64)
            else pd.Timedelta(value)
        )
    elif isinstance(value, np.generic):
        value = value.item()  # numpy scalar -> Python
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        cell.value = value
        return None
    if isinstance(value, (int, Decimal)) or (
        isinstance(value, float) and math.isfinite(value)
    ):
        cell.value = value
        cell.number_format = "0" if isinstance(value, int) else float_format
        return value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, (dt.datetime, dt.date)):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.isoformat()
        else:
            cell.value = value
            cell.number_format = (
                "yyyy-mm-dd hh:mm"
                if isinstance(value, dt.datetime) and value.time() != dt.time()
                else "yyyy-mm-dd"
            )
            return None
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    cell.value = _clean_text(str(value))
    cell.data_type = "s"
    return None


def _header_text(column: Any, headers: Mapping[str, str] | None) -> str:
    if isinstance(column, tuple):
        column = " / ".join(str(part) for part in column)
    name = str(column)
    if headers and name in headers and headers[name]:
        return f"{headers[name]}\n{name}"
    return name


def _write_header(ws: Worksheet, labels: list[str]) -> None:
    for idx, label in enumerate(labels, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.value = _clean_text(label)
        cell.data_type = "s"
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(
            wrap_text=True, vertical="center", horizontal="center"
        )
    if any("\n" in label for label in labels):
        ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"


def _float_format(series: pd.Series) -> str:
    """'0' for a float column holding only whole numbers, else two decimals."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    finite = values[np.isfinite(values)]
    if finite.size and ((finite % 1) == 0).all():
        return "0"
    return "0.00"


def _write_frame(
    ws: Worksheet,
    df: pd.DataFrame,
    headers: Mapping[str, str] | None,
    up_down: set[str],
) -> None:
    labels = [_header_text(col, headers) for col in df.columns]
    _write_header(ws, labels)
    widths = {
        idx: max(_text_width(line) for line in label.split("\n"))
        for idx, label in enumerate(labels, start=1)
    }
    for c in range(df.shape[1]):
        series = df.iloc[:, c]
        column = df.columns[c]
        float_format = (
            _float_format(series)
            if pd.api.types.is_float_dtype(series.dtype)
            else "0.00"
        )
        colour = str(column) in up_down
        for r, value in enumerate(series.tolist(), start=2):
            number = _set_cell(ws, r, c + 1, value, float_format)
            cell = ws.cell(row=r, column=c + 1)
            widths[c + 1] = max(widths[c + 1], _display_width(cell.value))
            if colour and number is not None:
                if number > 0:
                    cell.fill, cell.font = _UP_FILL, _UP_FONT
                elif number < 0:
                    cell.fill, cell.font = _DOWN_FILL, _DOWN_FONT
    if df.shape[1]:
        last = get_column_letter(df.shape[1])
        ws.auto_filter.ref = f"A1:{last}{max(df.shape[0] + 1, 1)}"
    _fit_widths(ws, widths)


def _sheet_title(name: Any, used: set[str]) -> str:
    """A valid, unique Excel sheet title (31 characters, no []:*?/\\)."""
    title = _SHEET_NAME_BAD_RE.sub("_", str(name)).strip().strip("'") or "Sheet"
    title = title[:31]
    candidate, n = title, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = title[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _write_manifest(ws: Worksheet, manifest: Mapping[str, Any]) -> None:
    _write_header(ws, ["项目\nKey", "内容\nValue"])
    widths = {1: 8, 2: 8}
    for r, (key, value) in enumerate(manifest.items(), start=2):
        if isinstance(value, (dict, list, tuple, set)):
            value = json.dumps(
                sorted(value, key=str) if isinstance(value, set) else value,
                ensure_ascii=False,
                default=str,
            )
        _set_cell(ws, r, 1, str(key))
        _set_cell(ws, r, 2, value)
        for c in (1, 2):
            widths[c] = max(widths[c], _display_width(ws.cell(row=r, column=c).value))
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    _fit_widths(ws, widths, hi=100)


def write_report(
    path: str | os.PathLike[str],
    sheets: Mapping[str, pd.DataFrame],
    *,
    headers: Mapping[str, str] | None = None,
    up_down_columns: Iterable[str] = (),
    manifest: Mapping[str, Any] | None = None,
) -> Path:
    """Write a formatted Excel report, one sheet per frame, plus a manifest sheet.

    ``headers`` maps English column names to Chinese labels (shown as ``中文\\nEnglish``).
    In ``up_down_columns`` positive numbers get a green fill and negative ones a red fill.
    Frame indexes are not written (``reset_index()`` first to keep them). Every string is
    neutralised and stored as text, so no cell is ever a formula. The inputs are not modified.
    """
    if not sheets and manifest is None:
        raise ValueError("write_report needs at least one sheet or a manifest")
    up_down = {str(c) for c in up_down_columns}
    wb = Workbook()
    wb.remove(wb.active)
    used = {MANIFEST_SHEET.lower()}
    for name, df in sheets.items():
        ws = wb.create_sheet(_sheet_title(name, used))
        _write_frame(ws, df, headers, up_down)
    if manifest is not None:
        _write_manifest(wb.create_sheet(MANIFEST_SHEET), manifest)
    return _atomic_write(path, lambda tmp: wb.save(tmp))
