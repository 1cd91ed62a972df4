"""Reading a data set: a folder of CSV files or one .xlsx workbook → raw text tables → a ``Dataset``.

Headers are read in any of the forms ``unit``, ``单位编码``, ``单位编码 unit``, ``单位编码 (unit)`` or
``单位编码\\nunit``.  Every problem is reported at once with the file, the row, the column and a fix; what is
read with an interpretation (a percentage, full-width digits) is kept as a note on the ``Dataset``.
The CSV side is ``simkit.io.csvfiles``, the workbook side ``simkit.io.excel``, the layout rules both share
``simkit.io.layout``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError, Problem
from .csvfiles import read_folder
from .dataset import BUNDLED, Dataset
from .excel import README_SHEET, SYNTHETIC_MARK, cell_text, read_book, read_workbook
from .layout import match_table, normalise_header
from .raw import RawData
from .validate import build_dataset

__all__ = ["README_SHEET", "SYNTHETIC_MARK", "cell_text", "load_data", "match_table", "normalise_header",
           "read_raw", "read_workbook"]

_OTHER_FORMATS = (".xls", ".et", ".ods", ".numbers")


def read_raw(path: str | Path) -> RawData:
    """The raw tables of a folder of CSV files or an .xlsx workbook, unvalidated; problems are kept, not raised."""
    path = Path(path)
    if not path.exists():
        return RawData({}, {}, problems=[Problem(str(path), "the data path does not exist",
                                                 "give a folder of CSV files or an .xlsx workbook (see "
                                                 "docs/data-format.md)")])
    if path.is_dir():
        raw = read_folder(path)
        readme = path / "README.md"
        raw.synthetic = readme.exists() and SYNTHETIC_MARK in readme.read_text("utf-8", errors="replace").upper()
        return raw
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = read_book(path)
        for frame in [*raw.tables.values(), *(w.frame for w in raw.wide)]:
            for c in frame.columns:
                if c != "_row":
                    frame[c] = cell_text(frame[c])
        return raw
    suffix = path.suffix.lower()
    fix = ("give a folder holding units.csv, indicators.csv and observations.csv, "
           "or an .xlsx workbook (`simkit template` writes an empty one)")
    if suffix in _OTHER_FORMATS:
        fix = f"open it in Excel or WPS and save it as an Excel workbook (.xlsx); {suffix} files are not read"
    elif suffix == ".csv":
        fix = f"give the folder that holds the CSV files ({path.parent}), not one file"
    return RawData({}, {}, problems=[Problem(str(path), "this is neither a folder nor an .xlsx workbook", fix)])


def bundled(name: str) -> Path | None:
    """The folder of a bundled data set named ``name`` (``yiyang``, ``yiyang_full``), or None.

    >>> bundled("yiyang_full").name, bundled("no such set")
    ('yiyang_full', None)
    """
    folder = BUNDLED.parent / name
    return folder if name and "/" not in name and "\\" not in name and (folder / "units.csv").is_file() else None


def load_data(path: str | Path | None = None) -> Dataset:
    """Read and validate a data set: a folder of CSV files or one .xlsx workbook; None = the bundled data
    (``yiyang``); the name of another bundled set (``"yiyang_full"``) reads that one.  A path that exists wins
    over a bundled name.

    Raises ``DataError`` listing every problem found.
    """
    if path is not None and not Path(path).exists() and bundled(str(path)) is not None:
        path = bundled(str(path))
    path = Path(BUNDLED if path is None else path)
    raw = read_raw(path)
    if raw.problems:
        raise DataError(raw.problems)
    return build_dataset(raw, source=str(path))
