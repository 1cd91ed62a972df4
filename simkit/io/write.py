"""Writing files safely: CSV and Excel protected against formula injection, each file written atomically.

Everything written is protected against spreadsheet formula injection: strings that a spreadsheet would
run as a formula get a leading ``'`` (see :func:`neutralise`).
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
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MANIFEST_SHEET = "运行信息 Manifest"
_MAX_CELL_TEXT = 32767  # Excel's limit on the characters in one cell
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

_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_SHEET_NAME_BAD_RE = re.compile(r"[\[\]:*?/\\]")


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


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically (a temp file beside it, then a rename)."""
    return _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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
