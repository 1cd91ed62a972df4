"""Reading an .xlsx workbook into raw tables: one sheet per table, wide sheets of observations (``观测值2018``),
and what a workbook can hide from a reader that looks at values only: formulas that were never computed, merged
cells, title rows above the header, cells shown as percentages.

Cell values are not converted here (``cell_text`` turns them into text for the validator), so that the
validator sees what Excel stores.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import Problem
from ..schema.tables import REQUIRED_TABLES, SCHEMA, WIDE_NAMES
from .layout import SCAN_ROWS, find_header, match_table, normalise_header, wide_year
from .raw import RawData, WideTable
from .validate import as_text

README_SHEET = "说明 README"
#: A README sheet cell holding this word marks the workbook's data as synthetic (as README.md does a folder).
SYNTHETIC_MARK = "SYNTHETIC"
_README_NAMES = {README_SHEET.lower(), "readme", "说明"}
_SKIPPED_SHEETS = {"运行信息 manifest"}  # simkit's own report sheets
_ALL_TABLES = tuple(SCHEMA)
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
_PERCENT_STYLE_RE = re.compile(rb'numFmtId="(?:9|10)"|formatCode="[^"]*%')
_SHOWN = 8  # cells named in one message
_UNIT_HEADERS = {"unit", "name"}

_isinstance = np.frompyfunc(isinstance, 2, 1)
_int = np.frompyfunc(int, 1, 1)
_str = np.frompyfunc(str, 1, 1)


def cell_text(column: pd.Series) -> pd.Series:
    """Spreadsheet cells as text: empty as ``""``, a whole float as an integer (2018.0 → ``"2018"``).

    >>> cell_text(pd.Series([None, 2018.0, 1.5, "a", 7], dtype=object)).tolist()
    ['', '2018', '1.5', 'a', '7']
    """
    text = as_text(column)
    values = column.to_numpy(dtype=object)
    floats = np.flatnonzero(_isinstance(values, float).astype(bool))
    if len(floats):
        f = values[floats].astype(float)
        whole = floats[np.isfinite(f) & (f == np.floor(f))]  # float.is_integer()
        text.iloc[whole] = _str(_int(values[whole]))
    return text


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _book_flags(path: str | os.PathLike[str]) -> tuple[bool, bool]:
    """Whether any sheet holds a formula, and whether any cell style shows numbers as percentages."""
    try:
        with zipfile.ZipFile(path) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            formulas = any(_FORMULA_RE.search(z.read(n)) for n in sheets)
            styles = z.read("xl/styles.xml") if "xl/styles.xml" in z.namelist() else b""
    except (OSError, zipfile.BadZipFile, KeyError):
        return False, False
    return formulas, bool(_PERCENT_STYLE_RE.search(styles))


class _Book:
    """One workbook being read: its sheets, the formula view (loaded only when some sheet has a formula)."""

    def __init__(self, path: str | os.PathLike[str], raw: RawData) -> None:
        self.path, self.raw = Path(path), raw
        self.name = self.path.name
        self.has_formulas, self.has_percent = _book_flags(path)
        self._formulas: Any = None

    def problem(self, label: str, message: str, fix: str, row: int | None = None, field: str | None = None) -> None:
        self.raw.problems.append(Problem(file=label, message=message, fix=fix, row=row, field=field))

    def formulas_without_values(self, ws: Worksheet, first_row: int) -> list[str]:
        """Cells from ``first_row`` on that hold a formula whose value was never computed (it reads as empty)."""
        if not self.has_formulas:
            return []
        if self._formulas is None:
            self._formulas = load_workbook(self.path, data_only=False, read_only=True)
        found = []
        for row in self._formulas[ws.title].iter_rows(min_row=first_row):
            for cell in row:
                if cell.data_type == "f" and ws.cell(row=cell.row, column=cell.column).value is None:
                    found.append(cell.coordinate)
        return found

    def close(self) -> None:
        if self._formulas is not None:
            self._formulas.close()

    def hidden(self, ws: Worksheet, label: str, header_row: int, headers: list[Any]) -> bool:
        """Report what hides values in a sheet (merged cells, uncomputed formulas); True when found."""
        merged = sorted((r for r in ws.merged_cells.ranges if r.max_row >= header_row),
                        key=lambda r: (r.min_row, r.min_col))
        for rng in merged[:_SHOWN]:
            first = f"{get_column_letter(rng.min_col)}{rng.min_row}"
            head = headers[rng.min_col - 1] if rng.min_col - 1 < len(headers) else None
            last = len(merged) > _SHOWN and rng is merged[_SHOWN - 1]
            more = f" ({len(merged) - _SHOWN} more merged ranges follow)" if last else ""
            if rng.min_row <= header_row:
                self.problem(label, f"header cells {rng.coord} are merged: the name sits only in {first}, the other "
                             f"columns have no header{more}", "unmerge the cells (取消合并单元格 / Unmerge Cells) and "
                             "write one column name in each header cell", row=rng.min_row)
            else:
                self.problem(label, f"cells {rng.coord} are merged: the value sits only in the first cell, {first}, "
                             f"and the other rows read as empty{more}", "unmerge the cells (取消合并单元格 / Unmerge "
                             "Cells) and fill the value into every row", row=rng.min_row,
                             field=None if _is_blank(head) else str(head).strip())
        uncomputed = self.formulas_without_values(ws, header_row + 1)
        if uncomputed:
            shown = ", ".join(uncomputed[:_SHOWN]) + (f" … ({len(uncomputed)} cells)" if len(uncomputed) > _SHOWN
                                                      else "")
            row = int(re.sub(r"\D", "", uncomputed[0]))
            self.problem(label, f"sheet {ws.title!r}, cells {shown} hold formulas without a computed value (the "
                         "workbook was written by a program and never opened and saved in Excel or WPS, so the "
                         "values would read as empty)", "open the workbook in Excel or WPS and save it, so that the "
                         "values are stored; or type the values instead of the formulas", row=row)
        return bool(merged or uncomputed)

    def percents(self, ws: Worksheet, rows: list[list[Any]], first_row: int, columns: list[int]) -> None:
        """Numbers shown as percentages (0.08 shown as 8%) become the text a person sees ("8%")."""
        if not self.has_percent:
            return
        for r, values in enumerate(rows, start=first_row):
            for c in columns:
                v = values[c] if c < len(values) else None
                if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in ws.cell(r, c + 1).number_format:
                    values[c] = f"{v * 100:.12g}%"


def read_book(path: str | os.PathLike[str]) -> RawData:
    """Every table sheet and wide sheet of a workbook as raw cells; problems and notes are kept, not raised."""
    raw = RawData({}, {t: f"{path} (sheet {t})" for t in SCHEMA})
    name = Path(path).name
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except FileNotFoundError:
        raw.problems.append(Problem(file=name, message=f"file not found: {path}", fix="check the path and name"))
        return raw
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raw.problems.append(Problem(name, "this is an old Excel 97-2003 workbook (.xls) or a password-protected "
                                    "workbook, not an .xlsx workbook", "open it in Excel or WPS, remove any password "
                                    "(文件 → 信息 → 保护工作簿 / File → Info → Protect Workbook) and save it as an "
                                    "Excel workbook (.xlsx)"))
        return raw
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:
        what = "it is a text file, perhaps a CSV file renamed" if magic and not magic.startswith(b"PK") else \
            type(exc).__name__
        raw.problems.append(Problem(file=name, message=f"cannot read the file as an Excel .xlsx workbook ({what})",
                                    fix="open it in Excel or WPS and save it as an Excel workbook (.xlsx), "
                                        "or start from `simkit template`"))
        return raw
    book = _Book(path, raw)
    sheet_of: dict[str, str] = {}
    try:
        for ws in wb.worksheets:
            _read_any_sheet(book, ws, sheet_of)
    finally:
        wb.close()
        book.close()
    for table in REQUIRED_TABLES:
        if table not in sheet_of:
            columns = ", ".join(SCHEMA[table].names)
            problem = Problem(file=name, message=f"required sheet {table!r} ({SCHEMA[table].label}) is missing",
                              fix=f"add a sheet named {table!r} with the columns {columns} "
                              "(`simkit template` writes a blank workbook with every sheet)")
            if table == "observations" and any(len(w.frame) for w in raw.wide):
                raw.missing[table] = problem
            else:
                raw.problems.append(problem)
    raw.tables = {t: raw.tables[t] for t in _ALL_TABLES if t in raw.tables}
    return raw


def _read_any_sheet(book: _Book, ws: Worksheet, sheet_of: dict[str, str]) -> None:
    title = ws.title.strip()
    label = f"{book.name} (sheet {ws.title!r})"
    if title.lower() in _README_NAMES:
        book.raw.synthetic |= any(isinstance(v, str) and SYNTHETIC_MARK in v.upper()
                                  for row in ws.iter_rows(max_row=60, max_col=3, values_only=True) for v in row)
        return
    if title.lower() in _SKIPPED_SHEETS:
        return
    table = match_table(ws.title)
    if table is None:
        _read_wide_sheet(book, ws, label, wide_year(ws.title))
        return
    if table in sheet_of:
        book.problem(book.name, f"sheets {sheet_of[table]!r} and {ws.title!r} are both the {table!r} table",
                     f"keep one sheet named {table!r} and delete or rename the other")
        return
    sheet_of[table] = ws.title
    frame = _read_sheet(book, ws, table, label)
    if frame is not None:
        book.raw.tables[table] = frame


def _read_sheet(book: _Book, ws: Worksheet, table: str, label: str) -> pd.DataFrame | None:
    """Read one table sheet as raw cells, with the spreadsheet row number in ``_row``; None on a layout problem."""
    rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
    head = [[_text(v) for v in r] for r in rows[:SCAN_ROWS]]
    layout = find_header(head, [_text(r[0]) if r else "" for r in rows[:40]], table)
    if layout.problem is not None:
        book.problem(label, *layout.problem, row=1)
        return None
    h = layout.header
    header = rows[h] if rows else []
    if book.hidden(ws, label, h + 1, header):
        return None
    if layout.skipped:
        book.raw.notes.append(Problem(label, f"the header is on row {h + 1}; the blank row(s) above it are skipped",
                                      "nothing to do (delete the blank rows to silence this note)", row=h + 1))
    width = max((len(r) for r in rows), default=0)
    header = header + [None] * (width - len(header))

    keep: list[int] = []
    names: list[str] = []
    seen: dict[str, int] = {"_row": 0}
    for idx, cell in enumerate(header):
        letter = get_column_letter(idx + 1)
        has_data = any(idx < len(r) and not _is_blank(r[idx]) for r in rows[h + 1:])
        if _is_blank(cell):
            if has_data:
                book.problem(label, f"column {letter} has data but no header",
                             f"write the column name in cell {letter}{h + 1} or delete the column", row=h + 1)
            continue
        name = normalise_header(str(cell), table)
        if name in seen:
            first = "reserved" if name == "_row" else f"column {get_column_letter(seen[name])}"
            book.problem(label, f"column {letter} repeats column {name!r} ({first})",
                         "keep one column with this name and delete or rename the other", row=h + 1, field=name)
            continue
        seen[name] = idx + 1
        keep.append(idx)
        names.append(name)

    if not rows or not keep:
        book.problem(label, f"sheet {ws.title!r} has no header row",
                     "put the column names in row 1 (see `simkit template`), data from row 2", row=1)
    spec = SCHEMA[table]
    numeric = [i for i, n in zip(keep, names, strict=True) if n not in spec.names or spec.column(n).kind == "number"]
    book.percents(ws, rows[h + 1:], h + 2, numeric)

    records: list[list[Any]] = []
    row_numbers: list[int] = []
    for number, row in enumerate(rows[h + 1:], start=h + 2):
        if all(_is_blank(v) for v in row):
            continue
        records.append([row[i] if i < len(row) else None for i in keep])
        row_numbers.append(number)
    return _frame(records, names, row_numbers, label, ws.title)


def _frame(records: list[list[Any]], names: list[str], rows: list[int], label: str, sheet: str) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=names, dtype=object)
    if not records:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    frame["_row"] = pd.Series(rows, index=frame.index, dtype="int64")
    frame.attrs["file"] = label
    frame.attrs["sheet"] = sheet
    return frame


def _has_unit_column(cells: list[Any]) -> bool:
    return any(not _is_blank(c) and (normalise_header(str(c), "units") in _UNIT_HEADERS
                                     or str(c).strip() in ("单位", "考核对象")) for c in cells)


def _read_wide_sheet(book: _Book, ws: Worksheet, label: str, year: int | None) -> None:
    """A sheet that is not a table: a wide sheet of observations (``观测值2018``) or one the validator may take
    as such from its header (a unit column and indicator columns)."""
    rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
    nonblank = [k for k, r in enumerate(rows[:SCAN_ROWS]) if not all(_is_blank(v) for v in r)]
    if not nonblank:
        return  # an empty sheet (Excel's Sheet1): nothing to read
    named = year is not None
    header = next((k for k in nonblank if _has_unit_column(rows[k])), None)
    if header is None:
        if named:
            book.problem(label, "a wide sheet of observations needs a unit column: its first column holds the unit "
                         "id (单位编码 unit) or the unit name (单位名称 name)",
                         "write 单位编码 unit (or 单位名称 name) above the units' column", row=nonblank[0] + 1)
        else:
            book.raw.notes.append(Problem(label, "the sheet is not read: its name is not a table name",
                                          f"name it after a table ({', '.join(SCHEMA)}) or a year of observations "
                                          f"({WIDE_NAMES[1]}2018), or delete it"))
        return
    if header != nonblank[0]:
        title = " ".join(str(v).strip() for v in rows[nonblank[0]] if not _is_blank(v))[:30]
        book.problem(label, f"the header is on row {header + 1}, not row 1: a title or notes above it ({title!r})",
                     "delete the title rows above the header, so that the column names are in row 1", row=1)
        return
    heads = rows[header]
    if book.hidden(ws, label, header + 1, heads):
        return
    width = max(len(r) for r in rows)
    letters = [get_column_letter(k + 1) for k in range(width)]
    unit_columns = [k for k, c in enumerate(heads) if not _is_blank(c) and normalise_header(str(c), "units")
                    in (*_UNIT_HEADERS, "name_en", "group", "group_en", "track")]
    book.percents(ws, rows[header + 1:], header + 2, [k for k in range(width) if k not in unit_columns])
    records, numbers = [], []
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        if all(_is_blank(v) for v in row):
            continue
        records.append(row + [None] * (width - len(row)))
        numbers.append(number)
    frame = _frame(records, letters, numbers, label, ws.title)
    headers = {x: _text(heads[k]) if k < len(heads) else "" for k, x in enumerate(letters)}
    book.raw.wide.append(WideTable(label, ws.title, frame, headers, year, header_row=header + 1, named=named))


def read_workbook(
    path: str | os.PathLike[str],
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read every table sheet of a workbook as raw cells; problems are returned, not raised.

    Each frame has the English column names and a ``_row`` column with the 1-based spreadsheet
    row. Cell values are not converted: validating them is the caller's job.
    """
    raw = read_book(path)
    return raw.tables, [*raw.problems, *raw.missing.values()]
