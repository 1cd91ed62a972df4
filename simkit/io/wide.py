"""Wide tables of observations (units in rows, leaf indicators in columns, one year) turned into long-form rows,
and the places the rows came from, so that a problem names the wide sheet's own row and column.

A long-form row keeps its spreadsheet row as its key; the cells of wide table ``k`` get the keys
``(k + 1) * WIDE_BASE + r * n + c`` (row ``r``, indicator column ``c`` of ``n``), which ``Places`` turns back
into the sheet, the row, the unit and the column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Problem
from ..schema.tables import SCHEMA, YEAR_RANGE
from .layout import normalise_header, split_label, year_in_name
from .raw import WideTable

WIDE_BASE = 1 << 40
_UNIT_INFO = ("name_en", "group", "group_en", "track")  # unit columns a wide sheet may show; not read
_SHOWN = 8


@dataclass(frozen=True)
class _Piece:
    """One wide table's cells as long rows: the sheet rows, unit labels and indicator columns behind the keys."""

    table: WideTable
    rows: np.ndarray
    labels: np.ndarray
    letters: tuple[str, ...]
    year: np.ndarray


class Places:
    """Where the rows of a table came from: its own file for long rows, a wide table's cell for the others."""

    def __init__(self, file: str, pieces: Iterable[_Piece] = ()) -> None:
        self.file = file
        self.pieces = list(pieces)

    def place(self, key: int, col: str | None) -> tuple[str, int, str | None, str]:
        """(file, row, field, what to add to the message) of a row's key."""
        if key < WIDE_BASE:
            return self.file, key, col, ""
        piece = self.pieces[key // WIDE_BASE - 1]
        r, c = divmod(key % WIDE_BASE, len(piece.letters))
        letter = piece.letters[c]
        field = col
        if col in ("value", "indicator", None):
            field = f"{piece.table.headers[letter].strip()} (column {letter})"
        return piece.table.file, int(piece.rows[r]), field, f" ({piece.labels[r]}, {piece.year[r]})"

    def where(self, key: int) -> str:
        """A row's place in words: ``row 5`` or ``data.xlsx (sheet '观测值2018') row 5, column F``."""
        if key < WIDE_BASE:
            return f"{self.file} row {key}"
        file, row, field, _ = self.place(key, None)
        return f"{file} row {row}, {field}"

    def rows(self, keys: Iterable[int]) -> str:
        """Rows named in a message: ``2, 58`` for long rows (as before), places for wide cells."""
        keys = [int(k) for k in keys]
        if all(k < WIDE_BASE for k in keys):
            return ", ".join(map(str, keys))
        return "; ".join(self.where(k) for k in keys)


_BRACKETS = re.compile(r"[()\[\]（）【】\n\r\t/|:：]+")


def _indicator_of(header: str, ids: dict[str, str], names: dict[str, str]) -> tuple[str | None, str | None]:
    """The indicator a wide column's header names (its id, its name, or both: ``地区生产总值 gdp``), and the
    other indicator its name part names when the two disagree."""
    text = unicodedata.normalize("NFKC", header).strip()
    if text.lower() in ids:
        return ids[text.lower()], None
    if text in names:
        return names[text], None
    tokens = _BRACKETS.sub(" ", text).split()
    for id_at, rest in ((-1, tokens[:-1]), (0, tokens[1:])):
        if tokens and tokens[id_at].lower() in ids:
            found, name = ids[tokens[id_at].lower()], " ".join(rest)
            other = names.get(name) or names.get(name.replace(" ", ""))
            return found, other if other not in (None, found) else None
    chinese, english = split_label(text)
    if english in ids:
        return ids[english], None
    return names.get(chinese), None


class WideReader:
    """Turns the wide tables into long-form observation rows, reporting what cannot be placed."""

    def __init__(self, units: pd.DataFrame, indicators: pd.DataFrame, leaves: list[str],
                 add: Callable[[Problem], None], note: Callable[[Problem], None]) -> None:
        self.add, self.note = add, note
        self.unit_ids = set(units["unit"]) - {""}
        self.unit_name = dict(zip(units["unit"], units["name"], strict=True))
        names = units.groupby("name")["unit"].agg(list)
        self.by_name = {n: u[0] for n, u in names.items() if n and len(u) == 1}
        self.ambiguous = {n for n, u in names.items() if len(u) > 1}
        ids = indicators["indicator"]
        self.ids = {i.lower(): i for i in ids if i}
        self.names = {n: i for i, n in zip(ids, indicators["name"], strict=True) if n}
        self.leaves = set(leaves)
        self.pieces: list[_Piece] = []

    def read(self, tables: list[WideTable]) -> list[pd.DataFrame]:
        """Long-form text frames (unit, indicator, year, value, _row as keys), one per wide table read."""
        out = []
        for table in tables:
            frame = self._one(table, (len(self.pieces) + 1) * WIDE_BASE)
            if frame is not None:
                out.append(frame)
        return out

    def _problem(self, table: WideTable, message: str, fix: str, row: int | None = None,
                 field: str | None = None) -> None:
        self.add(Problem(table.file, message, fix, row=row, field=field))

    def _columns(self, table: WideTable) -> tuple[dict[str, str], dict[str, str], bool]:
        """(role → letter for unit, name, year) and (letter → indicator); False when a column is not understood."""
        roles: dict[str, str] = {}
        indicators: dict[str, str] = {}
        ok = True
        frame = table.frame
        for letter, header in table.headers.items():
            if not header.strip():
                if (frame[letter] != "").any():
                    self._problem(table, f"column {letter} has data but no header", f"write the indicator's name "
                                  f"and id in cell {letter}{table.header_row} or delete the column",
                                  row=table.header_row)
                    ok = False
                continue
            role = normalise_header(header, "units")
            role = "year" if normalise_header(header, "observations") == "year" else role
            if header.strip() in ("单位", "考核对象"):
                role = "unit"
            if role in ("unit", "name", "year", *_UNIT_INFO):
                if role in roles:
                    self._problem(table, f"columns {roles[role]} and {letter} are both the {role} column",
                                  "keep one of them and delete the other", row=table.header_row, field=role)
                    ok = False
                roles[role] = letter
                continue
            ind, other = _indicator_of(header, self.ids, self.names)
            where = f"column {letter} ({header.strip()!r})"
            if other is not None:
                self._problem(table, f"{where} names indicator {ind!r} by its id but {other!r} by its name",
                              "correct the name or the id in the header", row=table.header_row, field=header.strip())
                ok = False
            elif ind is None:
                if table.named:
                    self._problem(table, f"{where} is neither a unit column nor an indicator",
                                  "write a leaf indicator's name and id in the header (e.g. 地区生产总值 gdp, as "
                                  "`simkit template` does), or delete the column", row=table.header_row,
                                  field=header.strip())
                ok = False
            elif ind not in self.leaves:
                self._problem(table, f"{where}: {ind!r} has sub-indicators, so its values are computed, not given",
                              "give values for its sub-indicators (leaves) only, or delete the column",
                              row=table.header_row, field=header.strip())
                ok = False
            elif ind in indicators.values():
                first = next(x for x, i in indicators.items() if i == ind)
                self._problem(table, f"columns {first} and {letter} are both indicator {ind!r}",
                              "keep one of them and delete the other", row=table.header_row, field=header.strip())
                ok = False
            else:
                indicators[letter] = ind
        return roles, indicators, ok

    def _one(self, table: WideTable, base: int) -> pd.DataFrame | None:
        roles, indicators, ok = self._columns(table)
        if not table.named and not (indicators and ("unit" in roles or "name" in roles)):
            self.note(Problem(table.file, f"{table.name!r} is not read: its name is not a table name and its "
                              "header is not a unit column and indicator columns",
                              "name it after a table, or 观测值2018 / observations_2018 for a wide table of "
                              "observations; or move it away"))
            return None
        if not ok:
            return None
        if "unit" not in roles and "name" not in roles:
            self._problem(table, "a wide table of observations needs a unit column (单位编码 unit or 单位名称 name)",
                          "add the unit ids in the first column, headed 单位编码 unit", row=table.header_row)
            return None
        frame = table.frame
        units = self._units(table, roles)
        years = self._years(table, roles)
        if units is None or years is None:
            return None
        keep = np.flatnonzero((units != "") & (years != ""))
        letters = tuple(indicators)
        cells = frame[list(letters)].to_numpy(dtype=object)[keep]
        filled = cells != ""
        n = len(letters)
        r, c = np.nonzero(filled)
        labels = pd.Series(units[keep], dtype=object).map(self.unit_name).to_numpy(dtype=object)
        self.pieces.append(_Piece(table, frame["_row"].to_numpy()[keep], labels, letters, years[keep]))
        return pd.DataFrame({
            "unit": units[keep][r], "indicator": np.array([indicators[x] for x in letters], dtype=object)[c],
            "year": years[keep][r], "value": cells[r, c], "_row": base + r * n + c,
        })

    def _units(self, table: WideTable, roles: dict[str, str]) -> np.ndarray | None:
        """The unit id of every row ("" for a row left out), or None when a row names no known unit."""
        frame = table.frame
        rows = frame["_row"].to_numpy()
        ids = frame[roles["unit"]].str.strip().to_numpy(dtype=object) if "unit" in roles else None
        names = frame[roles["name"]].str.strip().to_numpy(dtype=object) if "name" in roles else None
        bad: list[tuple[int, str, str]] = []
        if ids is None:
            ids = pd.Series(names, dtype=object).map(self.by_name).fillna("").to_numpy(dtype=object)
            for k in np.flatnonzero(ids == ""):
                what = "names more than one unit" if names[k] in self.ambiguous else "is not a unit name"
                bad.append((k, f"{names[k]!r} {what} of the units table" if names[k] else "the unit name is empty",
                            "write the unit id in a column headed 单位编码 unit"))
        else:
            known = pd.Series(ids, dtype=object).isin(self.unit_ids).to_numpy()
            for k in np.flatnonzero(~known):
                bad.append((k, f"unknown unit id {ids[k]!r}" if ids[k] else "the unit id is empty",
                            SCHEMA["observations"].column("unit").fix))
            if names is not None:
                given = pd.Series(ids, dtype=object).map(self.unit_name).to_numpy(dtype=object)
                for k in np.flatnonzero((names != "") & (given != names) & known):
                    bad.append((k, f"unit {ids[k]!r} is {given[k]!r} in the units table, not {names[k]!r} (are "
                                "the rows shifted?)", "correct the unit id or the name"))
        letter = roles.get("unit", roles.get("name"))
        field = f"{table.headers[letter].strip()} (column {letter})"
        bad.sort(key=lambda b: b[0])
        for k, message, fix in bad[:_SHOWN]:
            self._problem(table, message, fix, row=int(rows[k]), field=field)
        if len(bad) > _SHOWN:
            self._problem(table, f"{len(bad) - _SHOWN} more rows name no unit of the units table", bad[-1][2],
                          row=int(rows[bad[_SHOWN][0]]), field=field)
        return None if bad else ids

    def _years(self, table: WideTable, roles: dict[str, str]) -> np.ndarray | None:
        """The year of every row as text, from the name or a year column; None when it cannot be told."""
        n = len(table.frame)
        named = table.year if table.year is not None else (None if table.named else year_in_name(table.name))
        if "year" not in roles:
            if named is None:
                self._problem(table, f"{table.name!r} does not say its year", "name it with the year, as "
                              "观测值2018 or observations_2018, or add a column headed 年度 year")
                return None
            return np.full(n, str(named), dtype=object)
        letter = roles["year"]
        text = table.frame[letter].str.strip()
        if named is not None:
            text = text.replace("", str(named))
        years = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        lo, hi = YEAR_RANGE
        right = (years >= lo) & (years <= hi) & (years == np.floor(years))
        if named is not None:
            right &= years == named
        wrong = np.flatnonzero(~right)
        for k in wrong[:_SHOWN]:
            message = (f"the year {text.iat[k]!r} is not the year of {table.name!r} ({named})" if named is not None
                       else f"the year {text.iat[k]!r} is not a year between {lo} and {hi}" if text.iat[k]
                       else "the year is empty")
            self._problem(table, message, "write the year, such as 2018", row=int(table.frame["_row"].iat[k]),
                          field=f"{table.headers[letter].strip()} (column {letter})")
        if len(wrong):
            return None
        return years.astype(int).astype(str).astype(object)
