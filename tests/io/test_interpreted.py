"""Inputs that are read, not refused: with a note saying how (a percentage, full-width digits, blank lines above
the header, a file or sheet not read), or exactly as the original data (BOM, CRLF, GBK, GB18030, UTF-16,
trailing commas, Chinese or upper-case file names, a wide file beside the long table)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from simkit.io.dataset import Dataset
from simkit.io.read import load_data

from .test_malformed import Lines, _drop_long, _recode, _row_of, _set, _wide_csv, book, folder


# --------------------------------------------------------------------------------------- read, with a note
def _pct(f: Lines) -> None:
    _set(f["observations"], "HS,debt_ratio,2018,", 3, f["observations"][HS_DEBT - 1].split(",")[3] + "%")


HS_DEBT = _row_of("observations", "HS,debt_ratio,2018,")
NOTED: dict[str, tuple[Callable[[Path], Path], list[str]]] = {
    "blank_lines_above_header": (folder(lambda f: f["units"][:0].extend([]) or f.update(units=["", ",,", *f["units"]])),
                                 ["the header is on line 3; the blank line(s) above it are skipped"]),
    "percent_of_a_percent_indicator": (folder(_pct), ["1 cell of `value` is a percentage", "so 8% is read as 8"]),
    "full_width_digits": (folder(lambda f: _set(f["observations"], "HS,gdp,2011,", 2, "２０１１")),
                          ["1 cell of `year` is written in full-width characters", "'２０１１'"]),
    "apostrophe": (folder(lambda f: _set(f["observations"], "HS,gdp,2011,", 3, "'183.14")),
                   ["starts with an apostrophe"]),
    "not_available": (folder(lambda f: _set(f["observations"], "HS,gdp,2011,", 3, "N/A")),
                      ["says that the value is not available", "read as missing"]),
    "spaced_thousands": (folder(lambda f: _set(f["observations"], "HS,rd_spend,2011,", 3, "12 345")),
                         ["separates thousands with spaces"]),
    "year_with_nian": (folder(lambda f: _set(f["observations"], "HS,gdp,2011,", 2, "2011年")),
                       ["writes the year with 年"]),
    "scientific_notation": (folder(lambda f: _set(f["units"], "HS,", 7, "1.23457E+11")),
                            ["scientific notation", "6 digits"]),
    "unknown_csv_file": (folder(raw=lambda d: (d / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")),
                         ["notes.csv: the file is not read"]),
    "unknown_sheet": (book(lambda wb: wb.create_sheet("我的备注").append(["随便写写"])), ["the sheet is not read"]),
    "blank_rows_above_sheet_header": (book(lambda wb: wb["units"].insert_rows(1, 2)),
                                      ["the header is on row 3; the blank row(s) above it are skipped"]),
}


@pytest.mark.parametrize("name", sorted(NOTED))
def test_read_with_a_note(tmp_path: Path, name: str) -> None:
    make, says = NOTED[name]
    data = load_data(make(tmp_path))
    text = "\n".join(str(n) for n in data.notes)
    for token in says:
        assert token in text, f"{token!r} missing from:\n{text}"
    assert all(n.file and n.fix for n in data.notes)


def test_a_percentage_is_read_as_percent_points(tmp_path: Path) -> None:
    data = load_data(folder(_pct)(tmp_path))
    original = load_data()
    assert data.value("debt_ratio", 2018)["HS"] == original.value("debt_ratio", 2018)["HS"]


def test_a_percent_cell_of_a_workbook_is_what_it_shows(tmp_path: Path) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb["observations"]
        r = next(r for r in range(2, ws.max_row + 1) if (ws.cell(r, 1).value, ws.cell(r, 2).value) == ("HS",
                                                                                                         "debt_ratio"))
        ws.cell(r, 4).value /= 100
        ws.cell(r, 4).number_format = "0.00%"

    again = load_data(book(edit)(tmp_path))
    (tmp_path / "plain").mkdir()
    assert again.fingerprint() == load_data(book(lambda wb: None)(tmp_path / "plain")).fingerprint()
    assert any("is a percentage" in n.message for n in again.notes)


# ------------------------------------------------------------------------------------------- read the same
def _wide_split(d: Path) -> None:
    """2018's county GDP and fiscal revenue moved from the long table to a wide file."""
    _wide_csv(2018)(d)


SAME: dict[str, Callable[[Path], Path]] = {
    "bom": folder(raw=lambda d: [(f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())) for f in d.glob("*.csv")]),
    "crlf": folder(raw=lambda d: [f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n")) for f in d.glob("*.csv")]),
    "gbk": folder(raw=lambda d: [_recode(f.name, "gbk")(d) for f in d.glob("*.csv")]),
    "gb18030": folder(raw=lambda d: [_recode(f.name, "gb18030")(d) for f in d.glob("*.csv")]),
    "utf16": folder(raw=lambda d: [_recode(f.name, "utf-16")(d) for f in d.glob("*.csv")]),
    "trailing_commas": folder(lambda f: f.update(observations=[line + ",," for line in f["observations"]])),
    "empty_trailing_columns": folder(lambda f: f.update(units=[f["units"][0] + ",,", *f["units"][1:]])),
    "chinese_file_names": folder(raw=lambda d: (d / "units.csv").rename(d / "考核对象.csv")),
    "upper_case_names": folder(raw=lambda d: (d / "targets.csv").rename(d / "Targets.CSV")),
    "wide_csv_beside_long": folder(_drop_long(2018), raw=_wide_split),
    "wide_csv_found_by_its_header": folder(_drop_long(2018), raw=_wide_csv(2018, "县区数据2018年")),
    "wide_csv_with_a_year_column": folder(_drop_long(2018), raw=_wide_csv(2018, "县区数据", edit=lambda rows: [
        r.insert(1, "年度 year" if k == 0 else "2018") for k, r in enumerate(rows)])),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_read_the_same(tmp_path: Path, name: str, data: Dataset) -> None:
    again = load_data(SAME[name](tmp_path))
    assert again.fingerprint() == data.fingerprint()


def test_gbk_folder_names_its_encoding(tmp_path: Path, data: Dataset) -> None:
    again = load_data(SAME["gbk"](tmp_path))
    assert again.fingerprint() == data.fingerprint()
    assert again.encodings["units.csv"] in ("gbk", "gb18030") and again.encodings["indicators.csv"] == "gbk"
    assert data.encodings["units.csv"] == "utf-8"


def test_an_encoding_is_detected_beyond_the_first_lines(tmp_path: Path, data: Dataset, monkeypatch) -> None:
    """The reader looks at the first bytes only and lets pandas decode the rest; GBK further down is still
    found, and so is a second encoding pasted below UTF-8 lines."""
    import simkit.io.csvfiles as csvfiles
    from simkit.errors import DataError
    from simkit.io.dataset import BUNDLED

    monkeypatch.setattr(csvfiles, "_HEAD_CHARS", 300)
    path = folder(raw=_recode("indicators.csv", "gbk"))(tmp_path)
    again = load_data(path)
    assert again.fingerprint() == data.fingerprint() and again.encodings["indicators.csv"] == "gbk"
    lines = (BUNDLED / "indicators.csv").read_text("utf-8").splitlines(keepends=True)
    (path / "indicators.csv").write_bytes("".join(lines[:30]).encode("utf-8") + "".join(lines[30:]).encode("gbk"))
    with pytest.raises(DataError, match="line 31 is not"):
        load_data(path)
