"""Writing files safely: CSV and Excel protected against formula injection, each file written atomically.

Everything written is protected against spreadsheet formula injection: strings that a spreadsheet would
run as a formula get a leading ``'`` (see :func:`neutralise`).  Workbooks print: A4 landscape, one page wide,
the header row on every page, page numbers in the footer (:class:`PrintLayout`).
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

MANIFEST_SHEET = "运行信息 Manifest"
_MAX_CELL_TEXT = 32767  # Excel's limit on the characters in one cell
_HEADER_FONT = Font(bold=True)
_ZH_HEAD = InlineFont(b=True, sz=11)
_EN_HEAD = InlineFont(sz=8, color="FF595959")
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


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write bytes (a Word document, a workbook made in memory) atomically."""
    return _atomic_write(path, lambda tmp: tmp.write_bytes(data))


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


@dataclass(frozen=True)
class PrintLayout:
    """How a workbook prints: A4 landscape, one page wide, the header row on every page, a footer.

    ``title`` goes in the centre of every page's header; ``footer`` (e.g. the scenario names) at the left of the
    footer, page numbers in its centre; ``mark`` (e.g. the synthetic-data mark) in red at the right of the
    header and the footer.  A table wider than ``max_width`` character widths is split into several sheets,
    each repeating its first ``keep`` columns (the unit's name and id), so that names and numbers are always
    printed on the same page; ``page`` is the page-number text (``&P`` page, ``&N`` pages).
    """

    title: str = ""
    footer: str = ""
    mark: str = ""
    max_width: int = 200
    keep: int = 2
    page: str = "第 &P 页 / 共 &N 页"


#: Number formats (Excel codes) that a caller names: yuan, percentages, scores.
YUAN, PERCENT, SCORE = "#,##0", "0.0%", "0.00"
#: Formats given per column name, or per (sheet, column); a sequence gives one format per row.
Formats = Mapping[Any, str | Sequence[str]]

_FLAG_FILL = PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
_MARK_COLOUR = "C00000"
_WRAP_AT = 40  # text wider than this (in character widths) wraps in its cell instead of widening the column


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


def _header_text(column: Any, headers: Mapping[Any, str] | None, sheet: str = "") -> str:
    """``中文\nEnglish`` for a column with a Chinese label (given by (sheet, column) or by column)."""
    if isinstance(column, tuple):
        column = " / ".join(str(part) for part in column)
    name = str(column)
    label = (headers.get((sheet, name)) or headers.get(name)) if headers else None
    return f"{label}\n{name}" if label else name


_EN_SCALE = 0.75  # the English line of a header is set in 8 pt beside 11 pt: it needs about 3/4 of the width


def _header_need(label: str) -> int:
    """The width a header asks of its column: a long Chinese line may wrap onto two lines (a short one, up to
    five characters, stays whole), the English line (smaller) should not break."""
    zh, _, en = label.partition("\n")
    w = _text_width(zh)
    need = w if w <= 10 else max(10, math.ceil(w / 2))
    return max(need, math.ceil(_text_width(en) * _EN_SCALE)) if en else need


def _header_lines(label: str, width: int) -> float:
    zh, _, en = label.partition("\n")
    room = max(width - 2, 1)
    return math.ceil(_text_width(zh) / room) + (0.75 * math.ceil(_text_width(en) * _EN_SCALE / room) if en else 0)


def _write_header(ws: Worksheet, labels: list[str], widths: Sequence[int] | None = None) -> None:
    """The header row: Chinese in bold over the English name in small grey, on a fill, wrapped; as tall as the
    longest header needs in its column's width."""
    for idx, label in enumerate(labels, start=1):
        cell = ws.cell(row=1, column=idx)
        text = _clean_text(label)
        zh, _, en = text.partition("\n")
        # rich text: a reader that ignores the runs still reads "中文\nEnglish"
        cell.value = CellRichText([TextBlock(_ZH_HEAD, zh + "\n"), TextBlock(_EN_HEAD, en)]) if en else text
        cell.data_type = "s"
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(
            wrap_text=True, vertical="center", horizontal="center"
        )
    if widths is not None:
        lines = max((_header_lines(label, w) for label, w in zip(labels, widths, strict=True)), default=1)
        if lines > 1:
            ws.row_dimensions[1].height = math.ceil(15 * lines + 3)
    elif any("\n" in label for label in labels):
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


def _shown(value: Any, fmt: str | None) -> str:
    """A number as a format shows it (for column widths): separators, decimals, a percent sign."""
    if fmt is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return "" if value is None else str(value)
    decimals = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
    if fmt.endswith("%"):
        return f"{value:.{decimals}%}"
    return f"{value:,.{decimals}f}" if "," in fmt else f"{value:.{decimals}f}"


def _column_format(formats: Formats | None, sheet: str, column: str, row: int) -> str | None:
    """The format a caller gave for this cell (by (sheet, column), else by column), or None."""
    if not formats:
        return None
    fmt = formats.get((sheet, column), formats.get(column))
    if fmt is None or isinstance(fmt, str):
        return fmt
    return fmt[row] if row < len(fmt) else None


@dataclass
class _Sheet:
    """One frame to write: its sheet name (for formats) and the options that apply to it."""

    name: str
    headers: Mapping[Any, str] | None
    up_down: set[str]
    formats: Formats | None
    flags: Mapping[str, Sequence[str]]


def _default_format(series: pd.Series) -> str:
    return _float_format(series) if pd.api.types.is_float_dtype(series.dtype) else "0.00"


def _column_widths(df: pd.DataFrame, spec: _Sheet) -> list[int]:
    """Each column's width as the writer will fit it: the widest header line or value as shown (CJK double)."""
    out = []
    for c in range(df.shape[1]):
        column = str(df.columns[c])
        label = _header_text(df.columns[c], spec.headers, spec.name)
        width = _header_need(label)  # the values, more than the header, set a column's width
        default = _default_format(df.iloc[:, c])
        for r, value in enumerate(df.iloc[:, c].tolist()):
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                continue
            fmt = _column_format(spec.formats, spec.name, column, r) or (
                default if isinstance(value, float) else None)
            width = max(width, _text_width(_shown(value, fmt)) if fmt else _display_width(value))
        out.append(min(max(width + 2, 6), _WRAP_AT + 2))
    return out


def _write_frame(ws: Worksheet, df: pd.DataFrame, spec: _Sheet, widths: list[int]) -> None:
    labels = [_header_text(col, spec.headers, spec.name) for col in df.columns]
    _write_header(ws, labels, widths)
    flagged = {col: df[col].fillna("").astype(str).str.len().to_numpy() > 0
               for col in spec.flags if col in df.columns}
    for c in range(df.shape[1]):
        series = df.iloc[:, c]
        column = str(df.columns[c])
        float_format = _default_format(series)
        colour = column in spec.up_down
        marked = [mask for flag, mask in flagged.items() if column == flag or column in spec.flags[flag]]
        for r, value in enumerate(series.tolist(), start=2):
            number = _set_cell(ws, r, c + 1, value, float_format)
            cell = ws.cell(row=r, column=c + 1)
            fmt = _column_format(spec.formats, spec.name, column, r - 2)
            if fmt is not None and number is not None:
                cell.number_format = fmt
            if isinstance(cell.value, str) and _display_width(cell.value) > widths[c] - 2:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                # readers keep the stored row height: give the row the lines its wrapped text needs
                lines = sum(math.ceil(max(_text_width(line), 1) / max(widths[c] - 3, 1))
                            for line in cell.value.split("\n"))
                height = ws.row_dimensions[r].height or 15
                ws.row_dimensions[r].height = max(height, 15 * lines)
            if colour and number is not None:
                if number > 0:
                    cell.fill, cell.font = _UP_FILL, _UP_FONT
                elif number < 0:
                    cell.fill, cell.font = _DOWN_FILL, _DOWN_FONT
            if any(mask[r - 2] for mask in marked):
                cell.fill = _FLAG_FILL
        ws.column_dimensions[get_column_letter(c + 1)].width = widths[c]
    if df.shape[1]:
        last = get_column_letter(df.shape[1])
        ws.auto_filter.ref = f"A1:{last}{max(df.shape[0] + 1, 1)}"


def _split(widths: list[int], layout: PrintLayout) -> list[list[int]]:
    """Column positions of each printed part: the first ``keep`` columns in every part, the others in order,
    as many per part as fit in ``max_width`` (so the leading columns, the most important, print together)."""
    keep = list(range(min(layout.keep, len(widths))))
    base = sum(widths[k] for k in keep)
    parts: list[list[int]] = []
    current: list[int] = []
    for k in range(len(keep), len(widths)):
        if current and base + sum(widths[j] for j in current) + widths[k] > layout.max_width:
            parts.append(current)
            current = []
        current.append(k)
    parts.append(current)
    return [keep + p for p in parts]


def _hf_text(text: str) -> str:
    """Text for a header or footer: ``&`` is a code there, and Excel keeps at most 255 characters per header."""
    return text.replace("&", "&&")[:120]


def _page_setup(ws: Worksheet, layout: PrintLayout, title: str) -> None:
    """A4 landscape, one page wide, header row on every page, gridlines, header and footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    if ws.max_row > 1:
        ws.print_title_rows = "1:1"
    ws.oddHeader.left.text = _hf_text(title)
    ws.oddHeader.left.size = 9
    if layout.title:
        ws.oddHeader.center.text = _hf_text(layout.title)
        ws.oddHeader.center.size = 10
    ws.oddFooter.left.text = _hf_text(layout.footer)
    ws.oddFooter.left.size = 8
    ws.oddFooter.center.text = layout.page
    ws.oddFooter.center.size = 9
    if layout.mark:
        for part in (ws.oddHeader.right, ws.oddFooter.right):
            part.text, part.size, part.color = _hf_text(layout.mark), 9, _MARK_COLOUR


def _screen_mark(ws: Worksheet, mark: str, columns: int) -> None:
    """The mark beside the header row, for the screen; the print area stops at the table (paper has the mark in
    its header and footer)."""
    cell = ws.cell(row=1, column=columns + 1, value=_clean_text(mark))
    cell.font = Font(bold=True, color="FF" + _MARK_COLOUR)
    cell.alignment = Alignment(vertical="center")
    ws.column_dimensions[get_column_letter(columns + 1)].width = _text_width(mark) + 2
    ws.print_area = f"A1:{get_column_letter(max(columns, 1))}{max(ws.max_row, 1)}"


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
    headers: Mapping[Any, str] | None = None,
    up_down_columns: Iterable[str] = (),
    manifest: Mapping[str, Any] | None = None,
    formats: Formats | None = None,
    layout: PrintLayout | None = None,
    flags: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write a formatted Excel report, one sheet per frame, plus a manifest sheet, ready to print.

    ``headers`` maps English column names (or (sheet name, column)) to Chinese labels (shown as
    ``中文\\nEnglish``).
    In ``up_down_columns`` positive numbers get a green fill and negative ones a red fill.
    ``formats`` gives number formats (``YUAN``, ``PERCENT``, ``SCORE`` or any Excel code) by column name or by
    (sheet name, column); otherwise whole numbers show as ``0`` and other numbers with two decimals.
    ``flags`` maps a column to the columns it marks: where the flag column is not empty, its cell and those
    columns' cells get a yellow fill.  Every sheet prints as ``layout`` says (default: ``PrintLayout()``); a
    table wider than a page is split into sheets named ``<name> 续表1``, ... that repeat its first columns.
    Frame indexes are not written (``reset_index()`` first to keep them). Every string is
    neutralised and stored as text, so no cell is ever a formula. The inputs are not modified.
    """
    if not sheets and manifest is None:
        raise ValueError("write_report needs at least one sheet or a manifest")
    layout = layout or PrintLayout()
    wb = Workbook()
    wb.remove(wb.active)
    used = {MANIFEST_SHEET.lower()}
    for name, df in sheets.items():
        spec = _Sheet(str(name), headers, {str(c) for c in up_down_columns}, formats, dict(flags or {}))
        widths = _column_widths(df, spec)
        parts = _split(widths, layout)
        for k, cols in enumerate(parts):
            title = _sheet_title(name if k == 0 else f"{name} 续表{k}", used)
            ws = wb.create_sheet(title)
            _write_frame(ws, df.iloc[:, cols], spec, [widths[c] for c in cols])
            _page_setup(ws, layout, title)
            if layout.mark:
                _screen_mark(ws, layout.mark, len(cols))
    if manifest is not None:
        ws = wb.create_sheet(MANIFEST_SHEET)
        _write_manifest(ws, manifest)
        _page_setup(ws, layout, MANIFEST_SHEET)
    return _atomic_write(path, lambda tmp: wb.save(tmp))
