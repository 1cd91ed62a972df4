"""Number cells as people type them in Excel or WPS: each is read as a number, read as missing, read and noted,
or refused with a message, and never silently changed.

A column is read by ``pandas.to_numeric`` at once; only the cells that fail (few, or one distinct text many
times) are looked at one distinct text at a time by ``read_text``.

>>> read_text("１２３").clean, read_text("8 %").percent, read_text("1,234.5").clean, read_text("1.234,5").kind
('123', True, '1234.5', 'decimal_comma')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema.tables import AMBIGUOUS_MARKS, MAX_MAGNITUDE, MISSING_WORDS

_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20, 0x2212: 0x2D, 0xFE63: 0x2D}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_SPACED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:\.\d*)?")
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_EUROPEAN = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})*,\d+")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YEAR_WORD = re.compile(r"(\d{4})\s*年度?")
_WITH_UNIT = re.compile(r"[+-]?\d[\d.,]*\s*([^\d\s.,%+-][^\d]*)")
_EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                 "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#BUSY!"}
_INFINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_MISSING = {w.lower() for w in MISSING_WORDS}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
SCIENTIFIC_FROM = 1e11  # Excel's General format writes a number this wide as 1.23457E+11 in a CSV file
LIMIT = 10  # problems of one kind in one column named one by one; more are reported once, with a count


@dataclass(frozen=True)
class Reading:
    """What one distinct text of a number cell is: ``clean`` (text ``to_numeric`` reads, "" = missing) or a
    problem ``kind``; ``notes`` say what was interpreted; ``percent`` that it ended in %."""

    clean: str = ""
    kind: str = ""
    notes: tuple[str, ...] = ()
    percent: bool = False
    detail: str = ""


def read_text(text: str, integer: bool = False) -> Reading:
    """Read one cell's text as typed (see the module's doc)."""
    notes: list[str] = []
    t = text.strip()
    if not t:
        return Reading()
    for table, note in ((_INVISIBLE, "invisible"), (_FULLWIDTH, "fullwidth")):
        u = t.translate(table).strip()
        if u != t:
            notes.append(note)
            t = u
    if len(t) > 1 and t[0] in "'‘’":
        notes.append("apostrophe")
        t = t[1:].strip()
    low = t.lower()
    if t.upper() in _EXCEL_ERRORS:
        return Reading(kind="excel_error", notes=tuple(notes))
    if low in _MISSING:  # a year must be given: there it is no number
        return Reading(kind="not_number", notes=tuple(notes)) if integer else Reading(notes=(*notes, "words"))
    if t in AMBIGUOUS_MARKS:
        return Reading(kind="ambiguous", notes=tuple(notes))
    if low in _INFINITE:
        return Reading(kind="infinite", notes=tuple(notes))
    date = _DATE.fullmatch(t)
    if date:
        return Reading(kind="date", detail=_date_hint(date), notes=tuple(notes))
    if integer and _YEAR_WORD.fullmatch(t):
        return Reading(clean=_YEAR_WORD.fullmatch(t).group(1), notes=(*notes, "year_word"))
    core, percent = (t[:-1].rstrip(), True) if t.endswith("%") else (t, False)
    if _PLAIN.fullmatch(core):
        clean = core
    elif _THOUSANDS.fullmatch(core):
        clean = core.replace(",", "")
    elif _SPACED.fullmatch(core):
        clean = _SPACES.sub("", core)
        notes.append("spaces")
    elif _EUROPEAN.fullmatch(core):
        return Reading(kind="decimal_comma", detail=core.replace(".", "").replace(",", "."), notes=tuple(notes))
    elif "," in core and re.fullmatch(r"[+-]?[\d,]+(?:\.\d*)?", core):
        return Reading(kind="comma", notes=tuple(notes))
    else:
        unit = _WITH_UNIT.fullmatch(t)
        paren = re.fullmatch(r"\((\d[\d.,]*)\)", t)
        detail = (f"; {text.strip()!r} holds a unit ({unit.group(1).strip()}): write the number only, in the unit of "
                  "measure" if unit else f"; write -{paren.group(1)} for a negative number" if paren else "")
        return Reading(kind="not_number", detail=detail, notes=tuple(notes))
    return Reading(clean=clean, notes=tuple(notes), percent=percent)


def _date_hint(found: re.Match[str]) -> str:
    """The date as written, and the year it probably was when Excel turned a typed year into a date."""
    try:
        day = dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return ""
    serial = (day - _EXCEL_EPOCH).days
    if 1900 <= serial <= 2200:
        return f"; Excel stored the year {serial} as the date {day} because the cell was formatted as a date"
    return ""


# ------------------------------------------------------------------------------------------------- messages
def problem_text(kind: str, what: str, col: str, text: str, detail: str = "", integer: bool = False
                 ) -> tuple[str, str]:
    """(message, fix) of a number cell that is refused."""
    plain = f"write a plain number in `{col}` (no units or text; leave the cell empty for a missing value)"
    text = text.removesuffix(" 00:00:00") if kind == "date" else text  # a date cell of a workbook, as str()
    if kind == "date" and integer:
        return (f"the {what} {text!r} is a date, not a year", f"write the year only (2018) in `{col}`; in Excel, "
                f"format the column as 常规 General or 数值 Number, not as a date{detail}")
    texts = {
        "not_number": (f"the {what} {text!r} is not a number", f"{plain}{detail}"),
        "infinite": (f"the {what} {text!r} is not a finite number",
                     f"write a plain number in `{col}`, or leave the cell empty for a missing value"),
        "too_large": (f"the {what} {text!r} is too large: beyond ±10^15 a spreadsheet no longer keeps every digit",
                      f"check the cell for a typo or a wrong unit of measure (亿元 rather than 元) and write the value "
                      f"in `{col}` again"),
        "ambiguous": (f"the {what} {text!r} does not say whether the value is 0 or unknown",
                      f"write 0 if there is none, or leave the cell empty for a missing value (`{col}` takes a "
                      "plain number)"),
        "excel_error": (f"the {what} {text!r} is an Excel error value: the formula of this cell failed",
                        "correct the formula (or type the value) in the workbook, then save the table again"),
        "date": (f"the {what} {text!r} is a date, not a number", "Excel turned what was typed into a date: format "
                 f"the cells as 数值 Number (or 文本 Text) and type the value again in `{col}`{detail}"),
        "decimal_comma": (f"the {what} {text!r} uses a comma as the decimal mark",
                          f"write it with a decimal point and no thousands separator ({detail}) in `{col}`"),
        "comma": (f"the {what} {text!r} has a comma that is not a thousands separator",
                  f"write a plain number in `{col}`: a decimal point (1.5) and, if any, commas between groups of "
                  "three digits (1,234.5)"),
        "percent": (f"the {what} {text!r} is a percentage, but `{col}` takes a plain number",
                    f"write the number without % in `{col}`"),
        "bounds": (f"the {what} {text!r} is not a year between {detail}", f"write a year such as 2018 in `{col}`"),
    }
    return texts[kind]


# kind: (what the cells are, plural and singular; how they are read; how to silence the note)
_NOTES = {
    "fullwidth": ("are written in full-width characters", "is written in full-width characters",
                  "they are read as half-width characters", "type numbers in half-width characters (English input "
                  "mode)"),
    "invisible": ("hold invisible characters (zero-width spaces)", "holds invisible characters (zero-width spaces)",
                  "these are removed", "retype the cells, or paste them as values only"),
    "apostrophe": ("start with an apostrophe (Excel's mark for a number stored as text)",
                   "starts with an apostrophe (Excel's mark for a number stored as text)",
                   "it is dropped and the number read", "delete the apostrophes"),
    "words": ("say that the value is not available", "says that the value is not available",
              "they are read as missing values", "leave such cells empty"),
    "spaces": ("separate thousands with spaces", "separates thousands with spaces", "they are read without them",
               "write the numbers without spaces"),
    "percent": ("are percentages", "is a percentage", "their indicators are measured in %, so 8% is read as 8",
                "write the numbers without %"),
    "year_word": ("write the year with 年", "writes the year with 年", "they are read as the year",
                  "write the year only (2018)"),
    "scientific": ("are written in scientific notation", "is written in scientific notation",
                   "Excel saves a wide number so in a CSV file, keeping 6 digits only", "check them against the "
                   "workbook: format the column as 数值 Number before saving the CSV file, so that every digit is "
                   "kept"),
}


def note_text(kind: str, col: str, count: int, example: str, row_text: str) -> tuple[str, str]:
    """(message, fix) of a note on ``count`` cells of a column read with an interpretation."""
    many, one, then, fix = _NOTES[kind]
    cells, what = ("1 cell", one) if count == 1 else (f"{count} cells", many)
    return (f"{cells} of `{col}` {what} (e.g. {example!r}, {row_text}): {then}",
            f"nothing to do if this is what was meant; to silence this note, {fix}")


# ------------------------------------------------------------------------------------------------- a column
@dataclass
class Column:
    """A number column read: the numbers, and the cells refused or interpreted (positions in the column)."""

    values: pd.Series
    refused: list[tuple[int, str, str, str]]  # (position, kind, text as typed, detail)
    noted: dict[str, list[tuple[int, str]]]  # note kind -> [(position, text as typed)]
    empty: np.ndarray  # positions of empty cells


def _numbers(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce")``, read once per distinct value when there are few (years)."""
    head = text.iloc[:10_000]
    if len(text) <= 10_000 or len(pd.unique(head)) > len(head) // 10:
        return pd.to_numeric(text, errors="coerce")
    codes, uniques = pd.factorize(text)
    # the dtype (int64, uint64 or float64) depends on the set of values only, so it is the same
    return pd.Series(pd.to_numeric(pd.Series(uniques), errors="coerce").to_numpy()[codes], index=text.index)


def read_column(raw: pd.Series, *, integer: bool = False, bounds: tuple[int, int] | None = None,
                percent_ok: Callable[[np.ndarray], np.ndarray] | None = None) -> Column:
    """Read a column of number cells (text).  ``percent_ok(positions)`` says where "8%" may be read as 8."""
    num = _numbers(raw)
    odd = np.flatnonzero((num.isna() | np.isinf(num)).to_numpy())
    texts = raw.to_numpy(dtype=object)[odd]
    codes, uniques = pd.factorize(texts)
    readings = [read_text(str(u), integer) for u in uniques]

    def each(attr: Callable[[Reading], object], dtype: type = bool) -> np.ndarray:
        """A property of every odd cell, computed once per distinct text."""
        return np.array([attr(r) for r in readings], dtype=dtype)[codes] if len(odd) else np.array([], dtype=dtype)

    clean = each(lambda r: r.clean, object)
    refused: list[tuple[int, str, str, str]] = []
    noted: dict[str, list[tuple[int, str]]] = {}
    for k in np.flatnonzero(each(lambda r: bool(r.kind or r.notes))):  # the cells refused or noted only
        r = readings[codes[k]]
        for note in r.notes:
            noted.setdefault(note, []).append((int(odd[k]), texts[k]))
        if r.kind:
            refused.append((int(odd[k]), r.kind, texts[k].strip(), r.detail))
    empty = odd[each(lambda r: not r.clean and not r.kind)]
    percent = np.flatnonzero(each(lambda r: r.percent))
    if len(percent):
        ok = percent_ok(odd[percent]) if percent_ok is not None else np.zeros(len(percent), dtype=bool)
        for k in percent[~ok]:
            refused.append((int(odd[k]), "percent", texts[k].strip(), ""))
            clean[k] = ""
        if ok.any():
            noted["percent"] = [(int(odd[k]), texts[k]) for k in percent[ok]]
    if (clean != "").any():  # some cells read once cleaned: read the column with the cleaned text
        full = raw.to_numpy(dtype=object).copy()
        full[odd] = clean
        num = pd.to_numeric(pd.Series(full, index=raw.index, dtype=object).where(full != ""), errors="coerce")
    if refused:  # their cells are no numbers, whatever pandas made of them ("inf")
        num = num.astype(float)
        num.iloc[[p for p, *_ in refused]] = np.nan
    refused += _out_of_range(num, raw, integer, bounds)
    num = num.where(~np.isinf(num))
    if refused:
        num = num.astype(float)
        num.iloc[[p for p, *_ in refused]] = np.nan
    noted.update(_scientific(num, raw))
    return Column(num, sorted(refused), noted, empty)


def _out_of_range(num: pd.Series, raw: pd.Series, integer: bool, bounds: tuple[int, int] | None
                  ) -> list[tuple[int, str, str, str]]:
    values = num.to_numpy(dtype=float, na_value=np.nan)
    if integer and bounds is not None:
        lo, hi = bounds
        wrong = np.flatnonzero((values < lo) | (values > hi))
        return [(int(p), "bounds", str(raw.iat[p]).strip(), f"{lo} and {hi}") for p in wrong]
    big = np.flatnonzero(np.abs(values) >= MAX_MAGNITUDE) if not integer else np.array([], dtype=int)
    return [(int(p), "too_large", str(raw.iat[p]).strip(), "") for p in big]


def _scientific(num: pd.Series, raw: pd.Series) -> dict[str, list[tuple[int, str]]]:
    """Wide numbers written as 1.23457E+11: a CSV file saved by Excel may have rounded them."""
    values = num.to_numpy(dtype=float, na_value=np.nan)
    wide = np.flatnonzero(np.abs(values) >= SCIENTIFIC_FROM)
    if not len(wide):
        return {}
    text = raw.iloc[wide].astype(str)
    hit = text.str.contains("e", case=False, regex=False).to_numpy(dtype=bool)
    return {"scientific": [(int(p), t) for p, t in zip(wide[hit], text[hit], strict=True)]} if hit.any() else {}
