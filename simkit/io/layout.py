"""Where a table is in a file: header names in any of their forms, table and wide-sheet names, and what is wrong
when the header is not where it should be (title rows above it, a transposed table, another table).

Shared by the CSV and the workbook readers, so that both say the same thing about the same mistake.

>>> normalise_header("单位编码 (unit)", "units"), match_table("考核对象 Units"), wide_year("观测值2018")
('unit', 'units', 2018)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..schema.tables import SCHEMA, WIDE_NAMES

_ALL_TABLES = tuple(SCHEMA)
_SEPARATORS_RE = re.compile(r"[\s()\[\]{}<>（）【】〔〕《》「」/|:：,，;；]+")
_ENGLISH_SEP_RE = re.compile(r"[\s\-]+")
_WIDE_RE = re.compile(r"^(?:" + "|".join(WIDE_NAMES) + r")[\s_\-]*(\d{4})\s*年?(?:度)?$", re.IGNORECASE)
_YEAR_IN_NAME_RE = re.compile(r"(?<!\d)(19\d\d|2[01]\d\d)(?!\d)")
SCAN_ROWS = 12  # rows looked at for a header below title rows
_TITLE_SHOWN = 30  # characters of a title row quoted in a message


def split_label(label: str) -> tuple[str, str]:
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
    chinese, english = split_label(raw)
    if english in columns:
        return english
    if chinese:
        by_chinese = {zh: en for en, zh in columns.items()}
        if chinese in by_chinese:
            return by_chinese[chinese]
    return raw.strip()


def match_table(sheet_name: str) -> str | None:
    """The table a sheet (or CSV file stem) holds (``units``, ``Units``, ``考核对象 units``), or None."""
    name = sheet_name.strip().lower()
    if name in _ALL_TABLES:
        return name
    chinese, english = split_label(sheet_name)
    if english in _ALL_TABLES:
        return english
    for table, spec in SCHEMA.items():
        if chinese and chinese == spec.label and not english:
            return table
    return None


def wide_year(name: str) -> int | None:
    """The year of a wide observations sheet or file named ``observations_2018``, ``观测值2018`` or
    ``观测值 2018年``; None for any other name."""
    found = _WIDE_RE.match(unicodedata.normalize("NFKC", name).strip())
    return int(found.group(1)) if found else None


def year_in_name(name: str) -> int | None:
    """A year written in a sheet or file name (``2018年数据``), or None."""
    found = _YEAR_IN_NAME_RE.findall(unicodedata.normalize("NFKC", name))
    return int(found[0]) if len(set(found)) == 1 else None


# ------------------------------------------------------------------------------------------------ the header
@dataclass(frozen=True)
class Layout:
    """Where a table's header is (0-based among the rows given), or the mistake that hides it.

    ``problem`` is (message, fix) for a layout the reader refuses; ``skipped`` counts blank rows above a header
    that is otherwise in place (read, and noted).
    """

    header: int = 0
    skipped: int = 0
    problem: tuple[str, str] | None = None


def _blank(cells: Sequence[str]) -> bool:
    return all(not c.strip() for c in cells)


def _matches(cells: Sequence[str], table: str) -> int:
    """How many cells name a required column of ``table``."""
    required = {c.name for c in SCHEMA[table].columns if c.required}
    return len({normalise_header(c, table) for c in cells if c.strip()} & required)


def find_header(rows: Sequence[Sequence[str]], first_column: Sequence[str], table: str, unit: str = "row"
                ) -> Layout:
    """The header of ``table`` among the first rows of a sheet or file (``rows``, as text, row 1 first).

    ``first_column`` is the text of column A further down (for a transposed table); ``unit`` is how rows are
    called in messages ("row" in a sheet, "line" in a CSV file).
    """
    nonblank = [k for k, cells in enumerate(rows) if not _blank(cells)]
    if not nonblank:
        return Layout()
    first = nonblank[0]
    required = sum(c.required for c in SCHEMA[table].columns)
    mine = _matches(rows[first], table)
    if mine == required:
        return Layout(header=first, skipped=first)
    for other in SCHEMA:
        if other != table and _matches(rows[first], other) == sum(c.required for c in SCHEMA[other].columns):
            return Layout(problem=(
                f"this holds the `{other}` table (its header has the columns of `{other}`), not `{table}`",
                f"put the `{other}` table in its own {'sheet' if unit == 'row' else 'file'} named {other} and the "
                f"`{table}` table here"))
    needed = min(2, required)
    down = _matches(first_column, table)
    if down >= needed and down > mine:
        return Layout(problem=(
            "the table is transposed: the column names are down column A and each record is a column",
            "turn it round, one record per row under one header row: copy the table and paste it transposed "
            "(选择性粘贴 → 转置 / Paste Special → Transpose)"))
    if mine:
        return Layout(header=first, skipped=first)
    best, at = max(((_matches(rows[k], table), k) for k in nonblank[1:SCAN_ROWS]), default=(0, 0))
    if best >= needed:
        title = " ".join(c.strip() for c in rows[first] if c.strip())[:_TITLE_SHOWN]
        above = f"{unit} {first + 1} holds" if at == first + 1 else f"{unit}s {first + 1}–{at} hold"
        return Layout(problem=(
            f"the header is on {unit} {at + 1}, not {unit} 1: {above} a title or notes above it ({title!r})",
            f"delete the title {unit}s above the header, so that the column names are in {unit} 1 (a title can go "
            "in the file name or the README sheet)"))
    return Layout(header=first, skipped=first)
