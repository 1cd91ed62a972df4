"""Reading a folder of CSV files into raw text tables: the encoding of each file, its layout (separators, blank
or title lines above the header, cells without a header, rows with too many cells) and its cells, unconverted.

A file is read by pandas' C parser in one go; the ``csv`` module looks at the first lines only, and at every
line only when pandas has already failed.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from ..errors import Problem
from ..schema.tables import SCHEMA, WIDE_NAMES
from .encoding import SAVE_AS_UTF8, Undecodable, decode, utf8_head
from .layout import find_header, match_table, normalise_header, wide_year
from .raw import RawData, WideTable

_HEAD_CHARS = 200_000  # enough text for the first lines of any file
_HEAD_LINES = 30
_COMMA_FIX = ("check the commas in the row: a number with a thousands separator (1,234) or a text holding a comma "
              "must be in double quotes; delete any extra cells")
_UNIT_HEADERS = {"unit", "name"}


def read_folder(path: Path) -> RawData:
    """Every CSV file of a folder: the tables by name, wide observation files, the encodings; problems kept."""
    raw = RawData({}, {t: str(path / f"{t}.csv") for t in SCHEMA})
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    if not files and _nothing_here(path, raw):
        return raw
    claimed: dict[str, Path] = {}
    for f in files:
        table = match_table(f.stem)
        if table is None:
            _read_wide(f, raw, named=wide_year(f.stem) is not None)
        elif table in claimed:
            raw.problems.append(Problem(str(f), f"{claimed[table].name} and {f.name} are both the `{table}` table",
                                        f"keep one file for the `{table}` table and delete or rename the other"))
        else:
            claimed[table] = f
            raw.names[table] = str(f)
            frame = _read_table(f, table, raw)
            if frame is not None:
                raw.tables[table] = frame
    for table, spec in SCHEMA.items():
        if spec.required and table not in claimed:
            f = path / f"{table}.csv"
            problem = Problem(str(f), f"the required table `{table}` is missing",
                              f"add {table}.csv to {path} (columns: {', '.join(spec.names)})")
            if table == "observations" and any(len(w.frame) for w in raw.wide):
                raw.missing[table] = problem  # unless the wide files hold the observations
            else:
                raw.problems.append(problem)
    return raw


def _nothing_here(path: Path, raw: RawData) -> bool:
    """A folder without CSV files: say where the data seem to be, if anywhere (True when said)."""
    books = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".et", ".ods"))
    if books:
        raw.problems.append(Problem(str(path), f"the folder holds no CSV files but the workbook {books[0]}",
                                    f"give the workbook itself: {path / books[0]}"))
        return True
    inner = sorted(p.parent for p in path.glob("*/*.csv") if match_table(p.stem) == "units")
    if inner:
        raw.problems.append(Problem(str(path), f"the folder holds no CSV files; its subfolder {inner[0].name} "
                                    "holds the tables", f"give that folder: {inner[0]}"))
        return True
    return False


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or white space (a blank line, or commas only)."""
    from .validate import strip

    blank = np.ones(len(frame), dtype=bool)
    for c in range(frame.shape[1]):
        # only rows blank so far are looked at: after the first column they are few
        at = np.flatnonzero(blank)
        if not len(at):
            break
        blank[at] = (strip(frame.iloc[at, c]) == "").to_numpy()
    return blank


class _Cells:
    """One CSV file read as text cells: ``frame`` (columns by position), ``header`` (the header cells as
    written), the line of the header; or ``problem``."""

    def __init__(self, f: Path, raw: RawData) -> None:
        self.f, self.raw = f, raw
        self.frame: pd.DataFrame | None = None
        self.header: list[str] = []
        self.header_line = 1
        self.rows: list[list[str]] = []
        self._text: str | None = None
        self.encoding, self.ok = "", False
        self.data = f.read_bytes()
        head = utf8_head(self.data, _HEAD_CHARS)
        if head is not None:  # UTF-8 as far as it was looked at: pandas decodes the rest (see ``parse``)
            self.encoding = "utf-8-sig" if self.data.startswith(b"\xef\xbb\xbf") else "utf-8"
        elif not self._decode():
            return
        else:
            head = self.text[:_HEAD_CHARS]
        self.ok = True
        raw.encodings[f.name] = self.encoding
        self.rows = list(itertools.islice(csv.reader(io.StringIO(head.lstrip("\ufeff"))), _HEAD_LINES))

    def _decode(self) -> bool:
        """Decode the whole file, detecting its encoding; False (and a problem) when it cannot be read."""
        try:
            self._text, self.encoding = decode(self.data)
        except Undecodable as exc:
            self.fail(exc.message, exc.fix, exc.row)
            return False
        self.raw.encodings[self.f.name] = self.encoding
        return True

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode(self.encoding, errors="replace")
        return self._text

    def fail(self, message: str, fix: str, row: int | None = None, field: str | None = None) -> None:
        self.raw.problems.append(Problem(str(self.f), message, fix, row=row, field=field))
        self.frame = None

    @property
    def empty(self) -> bool:
        return not any(c.strip() for cells in self.rows for c in cells)

    def separators(self) -> bool:
        """Refuse a file whose columns are separated by semicolons or tabs (True when refused)."""
        first = next((cells for cells in self.rows if any(c.strip() for c in cells)), [])
        if len(first) == 1 and (";" in first[0] or "\t" in first[0]):
            sep = "semicolons" if ";" in first[0] else "tabs"
            kind = " (Excel's \"Unicode text\" format)" if sep == "tabs" and self.encoding.startswith("utf-16") else ""
            self.fail(f"the columns are separated by {sep}, not commas{kind}",
                      "save the file as CSV UTF-8 (comma-separated): in Excel, 另存为 → CSV UTF-8 (逗号分隔) / "
                      "Save As → CSV UTF-8 (comma delimited)", row=1)
            return True
        return False

    def parse(self, skipped: int) -> None:
        """The cells under the header (on line ``skipped + 1``); blank lines dropped, ``_row`` the line number."""
        self.header_line = skipped + 1
        self.header = list(self.rows[skipped]) if skipped < len(self.rows) else []
        options = {"dtype": str, "keep_default_na": False, "skip_blank_lines": False, "skiprows": skipped}
        try:
            frame = self._pandas(options)
            if frame is None:
                return
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame(columns=self.header)
        except pd.errors.ParserError as exc:
            if "EOF inside string" in str(exc):
                self.fail("a double quote (\") opens a text that is never closed, so the lines after it are read "
                          "as one cell", "delete the stray double quote, or close the text with another one",
                          row=self._quote_line(skipped))
                return
            frame = None
        if frame is None or not isinstance(frame.index, pd.RangeIndex):
            # rows with one cell too many: pandas failed, or took the first column as an index
            frame = self._extra_cells(skipped, options)
            if frame is None:
                return
        frame = frame.iloc[:, :len(self.header)] if len(self.header) < frame.shape[1] else frame
        frame.columns = [f"_c{k}" for k in range(frame.shape[1])]
        frame["_row"] = np.arange(len(frame)) + skipped + 2
        self.header += [""] * (frame.shape[1] - 1 - len(self.header))
        self.frame = frame[~_blank_rows(frame.iloc[:, :-1])]

    def _pandas(self, options: dict) -> pd.DataFrame | None:
        """pandas' reading of the file: of the bytes while they are taken as UTF-8, else of the decoded text;
        None when the file turns out not to be readable text."""
        if self._text is None:
            try:
                return pd.read_csv(io.BytesIO(self.data), encoding="utf-8-sig", **options)
            except UnicodeDecodeError:  # not UTF-8 after all (GBK beyond the first lines): detect the encoding
                if not self._decode():
                    return None
        return pd.read_csv(io.StringIO(self.text), **options)

    def _quote_line(self, skipped: int) -> int | None:
        for k, line in enumerate(self.text.splitlines()[skipped:], start=skipped + 1):
            if line.count('"') % 2:
                return k
        return None

    def _extra_cells(self, skipped: int, options: dict) -> pd.DataFrame | None:
        """Rows with more cells than the header: read when the extra cells are empty (trailing commas), else
        the first such row is refused."""
        width = len(self.header)
        lines = csv.reader(io.StringIO(self.text.lstrip("\ufeff")))
        full, widest = [], width
        for cells in itertools.islice(lines, skipped + 1, None):
            if len(cells) > width:
                widest = max(widest, len(cells))
                if any(c.strip() for c in cells[width:]):
                    full.append((lines.line_num, cells))
        quote = self._quote_line(skipped)
        if full and quote is not None and quote <= full[0][0]:
            self.fail("a double quote (\") opens a text that is never closed, so the lines after it are read as "
                      "one cell", "delete the stray double quote, or close the text with another one", row=quote)
            return None
        if full:
            row, cells = full[0]
            more = f" (and {len(full) - 1} more rows)" if len(full) > 1 else ""
            hint = ""
            digits = cells[width].strip()
            if width and cells[width - 1].strip().lstrip("-").isdigit() and len(digits) == 3 and digits.isdigit():
                hint = (f": {cells[width - 1].strip()},{cells[width].strip()} looks like a number with a thousands "
                        "separator that is not in double quotes")
            self.fail(f"the row has more cells than the header has columns ({width}){hint}{more}", _COMMA_FIX,
                      row=row)
            return None
        if len(set(self.header)) < len(self.header):
            names = [f"_h{k}" for k in range(widest)]
        else:
            names = [*self.header, *(f"_pad{k}" for k in range(widest - width))]
        frame = self._pandas({**options, "header": 0, "names": names, "index_col": False})
        return None if frame is None else frame.iloc[:, :width]

    def unnamed(self) -> tuple[list[int], bool]:
        """Positions of header cells that are empty, and whether one of them has data below it (a problem)."""
        from .validate import strip

        blank = [k for k, h in enumerate(self.header) if not h.strip()]
        bad = False
        for k in blank:
            if (strip(self.frame.iloc[:, k].fillna("")) != "").any():
                letter = get_column_letter(k + 1)
                self.raw.problems.append(Problem(
                    str(self.f), f"column {letter} has data but no header", f"write the column name in the header "
                    f"line (its cell {k + 1}, column {letter}) or delete the column's cells", row=self.header_line))
                bad = True
        return blank, bad


def _read_table(f: Path, table: str, raw: RawData) -> pd.DataFrame | None:
    """One table's file as raw text cells under its English column names, with ``_row``; None on a problem."""
    spec = SCHEMA[table]
    cells = _Cells(f, raw)
    if not cells.ok:
        return None
    if cells.empty:
        cells.fail("the file is empty", f"write the header row ({', '.join(spec.names)}) and the data"
                   + ("" if spec.required else f", or delete {f.name}: the table is optional"), row=1)
        return None
    if cells.separators():
        return None
    layout = find_header(cells.rows, [r[0] if r else "" for r in cells.rows], table, unit="line")
    if layout.problem is not None:
        cells.fail(*layout.problem, row=1)
        return None
    cells.parse(layout.skipped)
    if cells.frame is None:
        return None
    if layout.skipped:
        raw.notes.append(Problem(str(f), f"the header is on line {layout.skipped + 1}; the blank line(s) above it "
                                 "are skipped", "nothing to do (delete the blank lines to silence this note)",
                                 row=layout.skipped + 1))
    blank, bad = cells.unnamed()
    if bad:
        return None
    frame = cells.frame.drop(columns=[f"_c{k}" for k in blank])
    names = [normalise_header(h, table) for k, h in enumerate(cells.header) if k not in blank]
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        cells.fail(f"the header names the column(s) {', '.join(dup)} twice (a Chinese and an English header name "
                   "the same column)", "keep one of the two columns and delete the other", row=1, field=dup[0])
        return None
    frame.columns = [*names, "_row"]
    return frame


def _read_wide(f: Path, raw: RawData, *, named: bool) -> None:
    """A CSV file that is not a table: a wide table of observations (``observations_2018.csv``), or a file that
    may be one (decided by the validator from its header)."""
    cells = _Cells(f, raw)
    if not cells.ok:
        return
    if cells.empty:
        if named:
            raw.notes.append(Problem(str(f), "the file is empty and is not read", "delete it, or fill it in"))
        return
    if cells.separators():
        return
    nonblank = [k for k, r in enumerate(cells.rows) if any(c.strip() for c in r)]
    header = next((k for k in nonblank if _has_unit_column(cells.rows[k])), None)
    if header is None:
        if named:
            cells.fail("a wide table of observations needs a unit column: its first column holds the unit id "
                       "(单位编码 unit) or the unit name (单位名称 name)",
                       "write 单位编码 unit (or 单位名称 name) above the units' column", row=1)
        else:
            raw.notes.append(Problem(str(f), "the file is not read: its name is not a table name",
                                     f"name it after a table ({', '.join(SCHEMA)}) or a year of observations "
                                     f"({WIDE_NAMES[0]}_2018.csv), or move it out of the folder"))
        return
    if header != nonblank[0]:
        title = " ".join(c.strip() for c in cells.rows[nonblank[0]] if c.strip())[:30]
        cells.fail(f"the header is on line {header + 1}, not line 1: a title or notes above it ({title!r})",
                   "delete the title lines above the header, so that the column names are in line 1", row=1)
        return
    cells.parse(header)
    if cells.frame is None:
        return
    letters = [get_column_letter(k + 1) for k in range(len(cells.header))]
    frame = cells.frame
    frame.columns = [*letters, "_row"]
    raw.wide.append(WideTable(str(f), f.stem, frame, dict(zip(letters, cells.header, strict=True)),
                              wide_year(f.stem), header_row=header + 1, named=named))


def _has_unit_column(cells: list[str]) -> bool:
    return any(normalise_header(c, "units") in _UNIT_HEADERS or c.strip() in ("单位", "考核对象") for c in cells)


__all__ = ["SAVE_AS_UTF8", "read_folder"]
