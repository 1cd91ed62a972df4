"""Reading a data set: a folder of CSV files or one .xlsx workbook → raw text tables → a ``Dataset``.

Headers are read in any of the forms ``unit``, ``单位编码``, ``单位编码 unit``, ``单位编码 (unit)`` or
``单位编码\\nunit``.  Every problem is reported at once with the file, the row, the column and a fix.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import DataError, Problem
from ..schema.tables import REQUIRED_TABLES, SCHEMA
from .dataset import BUNDLED, Dataset
from .validate import as_text, build_dataset, strip

README_SHEET = "说明 README"
_ALL_TABLES = tuple(SCHEMA)
_SEPARATORS_RE = re.compile(r"[\s()\[\]{}<>（）【】〔〕《》「」/|:：,，;；]+")
_ENGLISH_SEP_RE = re.compile(r"[\s\-]+")


def load_data(path: str | Path | None = None) -> Dataset:
    """Read and validate a data set: a folder of CSV files or one .xlsx workbook; None = bundled data.

    Raises ``DataError`` listing every problem found.
    """
    if path is None:
        path = BUNDLED
    path = Path(path)
    if not path.exists():
        raise DataError(Problem(str(path), "the data path does not exist",
                                "give a folder of CSV files or an .xlsx workbook (see docs/data-format.md)"))
    if path.is_dir():
        raw, problems, names = _read_folder(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raw, problems, names = _read_xlsx(path)
    else:
        suffix = path.suffix.lower()
        fix = ("give a folder holding units.csv, indicators.csv and observations.csv, "
               "or an .xlsx workbook (`simkit template` writes an empty one)")
        if suffix in (".xls", ".et", ".ods", ".numbers"):
            fix = f"open it in Excel or WPS and save it as an Excel workbook (.xlsx); {suffix} files are not read"
        elif suffix == ".csv":
            fix = f"give the folder that holds the CSV files ({path.parent}), not one file"
        raise DataError(Problem(str(path), "this is neither a folder nor an .xlsx workbook", fix))
    if problems:
        raise DataError(problems)
    synthetic = (path / "README.md").exists() and "SYNTHETIC" in (path / "README.md").read_text("utf-8").upper()
    return build_dataset(raw, names, source=str(path), synthetic=synthetic)


def _read_folder(path: Path) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[str, str]]:
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    names: dict[str, str] = {}
    for table, spec in SCHEMA.items():
        f = path / f"{table}.csv"
        names[table] = str(f)
        columns = ", ".join(spec.names)
        if not f.exists():
            if spec.required:
                problems.append(Problem(str(f), f"the required table `{table}` is missing",
                                        f"add {table}.csv to {path} (columns: {columns})"))
            continue
        try:
            # Blank lines are read (and dropped below) so that `_row` stays the line number a spreadsheet shows.
            frame = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False)
        except UnicodeDecodeError:
            problems.append(_not_utf8(f))
            continue
        except pd.errors.EmptyDataError:
            problems.append(Problem(str(f), "the file is empty", f"write the header row ({columns}) and the data"
                                    + ("" if spec.required else f", or delete {f.name}: the table is optional"),
                                    row=1))
            continue
        except pd.errors.ParserError as exc:
            found = re.search(r"line (\d+)", str(exc))
            problems.append(Problem(str(f), f"the CSV cannot be read: {str(exc).strip()}",
                                    "check that every row has the same number of commas as the header (a text "
                                    "holding a comma must be in double quotes)",
                                    row=int(found.group(1)) if found else None))
            continue
        if not isinstance(frame.index, pd.RangeIndex):  # rows with one cell too many: pandas took it as an index
            import csv

            with f.open(encoding="utf-8-sig", newline="") as fh:
                lines = csv.reader(fh)
                width = len(next(lines))
                row = next((k for k, cells in enumerate(lines, start=2) if len(cells) > width), None)
            problems.append(Problem(str(f), f"the row has more cells than the header has columns ({width})",
                                    "check the commas in the row: a number with a thousands separator (1,234) or a "
                                    "text holding a comma must be in double quotes; delete any extra cells", row=row))
            continue
        frame["_row"] = np.arange(len(frame)) + 2
        cells = [c for c in frame.columns if c != "_row"]
        frame = frame[~_blank_rows(frame[cells])]
        if len(cells) == 1 and (";" in cells[0] or "\t" in cells[0]):
            sep = "semicolons" if ";" in cells[0] else "tabs"
            problems.append(Problem(str(f), f"the columns are separated by {sep}, not commas",
                                    "save the file as CSV UTF-8 (comma-separated)", row=1))
            continue
        frame.columns = [c if c == "_row" else normalise_header(str(c), table) for c in frame.columns]
        dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
        if dup:
            problems.append(Problem(str(f), f"the header names the column(s) {', '.join(dup)} twice (a Chinese "
                                    "and an English header name the same column)",
                                    "keep one of the two columns and delete the other", row=1, field=dup[0]))
            continue
        raw[table] = frame
    return raw, problems, names


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or white space (a blank line, or commas only)."""
    blank = np.ones(len(frame), dtype=bool)
    for c in range(frame.shape[1]):
        # only rows blank so far are looked at: after the first column they are few
        at = np.flatnonzero(blank)
        if not len(at):
            break
        blank[at] = (strip(frame.iloc[at, c]) == "").to_numpy()
    return blank


def _not_utf8(f: Path) -> Problem:
    """Say where a CSV stops being UTF-8, and whether it looks like GBK (the Chinese Windows default)."""
    data = f.read_bytes()
    try:
        data.decode("utf-8-sig")
        start = None
    except UnicodeDecodeError as exc:
        start = exc.start
    try:
        data.decode("gb18030")
        kind = "it looks like GBK/GB18030, the default of Chinese Windows and Excel"
    except UnicodeDecodeError:
        kind = "its encoding is unknown"
    row = data[:start].count(b"\n") + 1 if start is not None else None
    return Problem(str(f), f"the file is not UTF-8 text ({kind})",
                   "save it as UTF-8: in Excel, 另存为 → CSV UTF-8 (逗号分隔) / Save As → CSV UTF-8 "
                   "(comma delimited); in WPS or a text editor choose the UTF-8 encoding", row=row)


def _read_xlsx(path: Path) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[str, str]]:
    tables, problems = read_workbook(path)
    raw = {}
    for table, frame in tables.items():
        frame = frame.copy(deep=False)
        for c in frame.columns:
            if c != "_row":
                frame[c] = cell_text(frame[c])
        raw[table] = frame
    return raw, list(problems), {t: f"{path} (sheet {t})" for t in SCHEMA}


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
    if table not in SCHEMA:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(_ALL_TABLES)}")
    return SCHEMA[table].headers


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
    for table, spec in SCHEMA.items():
        if chinese and chinese == spec.label and not english:
            return table
    return None


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
            columns = ", ".join(SCHEMA[table].names)
            problems.append(
                Problem(
                    file=name,
                    message=f"required sheet {table!r} ({SCHEMA[table].label}) is missing",
                    fix=f"add a sheet named {table!r} with the columns {columns} "
                    "(`simkit template` writes a blank workbook with every sheet)",
                )
            )
    return {t: tables[t] for t in _ALL_TABLES if t in tables}, problems

