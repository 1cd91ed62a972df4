"""Reading data sets: header forms, CSV folders and workbooks, raw cells, blank lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl import Workbook

from simkit.errors import Problem
from simkit.io.dataset import BUNDLED
from simkit.io.read import README_SHEET, cell_text, load_data, normalise_header, read_workbook
from simkit.schema.tables import OPTIONAL_TABLES, REQUIRED_TABLES, SCHEMA

# ---------------------------------------------------------------------------------------------- CSV and workbook


def _workbook_from_csv(folder: Path, path: Path, chinese_headers: bool) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table, spec in SCHEMA.items():
        f = folder / f"{table}.csv"
        if not f.exists():
            continue
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        ws = wb.create_sheet(table)
        heads = [f"{spec.headers[c]} {c}" if chinese_headers and c in spec.names else c for c in frame.columns]
        ws.append(heads)
        for row in frame.itertuples(index=False):
            ws.append([_cell(v) for v in row])
    wb.save(path)


def _cell(v: str) -> object:
    try:
        return float(v) if v != "" else None
    except ValueError:
        return v


@pytest.mark.parametrize("chinese", [False, True])
def test_workbook_and_csv_folder_give_the_same_data(tmp_path, data, chinese):
    book = tmp_path / "data.xlsx"
    _workbook_from_csv(BUNDLED, book, chinese)
    from_book = load_data(book)
    assert from_book.fingerprint() == data.fingerprint()
    assert from_book.years == data.years


def test_blank_and_comma_only_lines_are_skipped(tmp_path, data):
    folder = tmp_path / "d"
    shutil.copytree(BUNDLED, folder)
    obs = folder / "observations.csv"
    lines = obs.read_text("utf-8").splitlines()
    lines[5:5] = ["", " , ,\t, ", "\u3000,,,"]
    obs.write_text("\n".join([*lines, "", ",,,"]) + "\n", encoding="utf-8")
    again = load_data(folder)
    pd.testing.assert_frame_equal(again.observations, data.observations)


def test_chinese_csv_headers_are_read(tmp_path, data):
    folder = tmp_path / "d"
    shutil.copytree(BUNDLED, folder)
    for table, spec in SCHEMA.items():
        f = folder / f"{table}.csv"
        if not f.exists():  # an optional table the bundled data do not have (events)
            continue
        head, *rest = f.read_text("utf-8").splitlines()
        heads = [c if c not in spec.headers else spec.headers[c] if k % 2 else f"{spec.headers[c]} ({c})"
                 for k, c in enumerate(head.split(","))]
        f.write_text("\n".join([",".join(heads), *rest]) + "\n", encoding="utf-8")
    assert load_data(folder).fingerprint() == data.fingerprint()


# ------------------------------------------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    "label",
    ["unit", "Unit", "  UNIT  ", "单位编码", " 单位编码 ", "单位编码 unit", "单位编码 Unit", "单位编码  unit",
     "单位编码\u3000unit", "单位编码 (unit)", "单位编码(unit)", "单位编码（unit）", "单位编码 [unit]",
     "单位编码【unit】", "单位编码\nunit", "单位编码\r\nUnit", "单位编码\n(unit)"],
)
def test_normalise_header_forms(label: str) -> None:
    assert normalise_header(label, "units") == "unit"


@pytest.mark.parametrize(
    ("label", "table", "expected"),
    [
        ("英文名称 name_en", "units", "name_en"),
        ("英文名称", "indicators", "name_en"),
        ("Name EN", "units", "name_en"),
        ("单位名称\nname", "units", "name"),
        ("指标方向 (direction)", "indicators", "direction"),
        ("计量单位", "indicators", "measure_unit"),
        ("年度 Year", "observations", "year"),
        ("目标值\ntarget", "targets", "target"),
        ("类型 kind", "adjustments", "kind"),
        ("分值", "adjustments", "value"),
        ("事由 (Reason)", "adjustments", "reason"),
        ("在编人数 headcount", "units", "headcount"),
        ("人均绩效奖金基数", "units", "bonus_per_head"),
    ],
)
def test_normalise_header_tables(label: str, table: str, expected: str) -> None:
    assert normalise_header(label, table) == expected


def test_normalise_header_every_declared_column_round_trips() -> None:
    for table, spec in SCHEMA.items():
        for english, chinese in spec.headers.items():
            for label in (english, english.upper(), chinese, f"{chinese} {english}", f"{chinese} ({english})",
                          f"{chinese}\n{english}"):
                assert normalise_header(label, table) == english, (table, label)


def test_normalise_header_unknown_is_stripped_unchanged() -> None:
    assert normalise_header("  population ", "units") == "population"
    assert normalise_header(" 户籍人口 ", "units") == "户籍人口"
    assert normalise_header("area_km2", "units") == "area_km2"


def test_normalise_header_unknown_table() -> None:
    with pytest.raises(ValueError, match="unknown table"):
        normalise_header("unit", "nope")


def test_tables() -> None:
    assert REQUIRED_TABLES == ("units", "indicators", "observations")
    assert OPTIONAL_TABLES == ("targets", "adjustments", "events")
    assert SCHEMA["units"].headers["group"] == "考核组别"
    assert SCHEMA["adjustments"].headers["reason"] == "事由"


# -------------------------------------------------------------------------------------------------- workbooks


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


UNITS = [["单位编码 unit", "单位名称", "group"], ["HS", "赫山区", "区县市"]]
INDICATORS = [["indicator", "name"], ["GDP", "地区生产总值"]]


def test_missing_observations_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "data.xlsx", {"units": UNITS, "indicators": INDICATORS})
    tables, problems = read_workbook(path)
    assert set(tables) == {"units", "indicators"}
    assert len(problems) == 1
    problem = problems[0]
    assert isinstance(problem, Problem)
    assert problem.file == "data.xlsx"
    assert "observations" in problem.message
    assert "observations" in problem.fix and "add" in problem.fix
    text = str(problem)
    assert text.startswith("data.xlsx: ")
    assert "Fix: " in text


def test_all_required_sheets_missing(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "other.xlsx", {"Sheet1": [["a"], [1]]})
    tables, problems = read_workbook(path)
    assert tables == {}
    assert sorted(p.message.split("'")[1] for p in problems) == sorted(REQUIRED_TABLES)


def test_sheets_named_in_chinese_or_both(tmp_path: Path) -> None:
    obs = [["unit", "indicator", "year", "value"], ["HS", "GDP", 2018, 1.0]]
    path = _workbook(tmp_path / "d.xlsx", {"考核对象": UNITS, "指标 indicators": INDICATORS, "OBSERVATIONS": obs})
    tables, problems = read_workbook(path)
    assert problems == [] and set(tables) == set(REQUIRED_TABLES)


@pytest.mark.parametrize("content", [b"unit,name\nHS,x\n", b"", b"PK\x03\x04garbage"])
def test_not_an_xlsx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(content)
    tables, problems = read_workbook(path)
    assert tables == {}
    assert len(problems) == 1
    assert problems[0].file == "data.xlsx"
    assert ".xlsx" in problems[0].fix


def test_missing_file(tmp_path: Path) -> None:
    tables, problems = read_workbook(tmp_path / "nope.xlsx")
    assert tables == {}
    assert len(problems) == 1


def test_rows_blank_lines_and_raw_values(tmp_path: Path) -> None:
    observations = [
        ["单位编码\nunit", "指标编码 (indicator)", "Year", "数值"],
        ["HS", "GDP", 2018, 1.5],
        [None, None, None, None],
        ["  ", None, None, None],  # whitespace only counts as empty
        ["HS", "GDP", "2019", "n/a"],
        [],
        ["ZY", "GDP", 2018, None],
    ]
    path = _workbook(tmp_path / "d.xlsx", {"Units": UNITS, "INDICATORS": INDICATORS, "observations": observations})
    tables, problems = read_workbook(path)
    assert problems == []
    obs = tables["observations"]
    assert list(obs.columns) == ["unit", "indicator", "year", "value", "_row"]
    assert obs["_row"].tolist() == [2, 5, 7]
    # nothing is coerced: the caller validates
    assert obs["year"].tolist() == [2018, "2019", 2018]
    assert obs["value"].tolist()[:2] == [1.5, "n/a"]
    assert obs["value"].tolist()[2] is None
    assert tables["units"].columns.tolist() == ["unit", "name", "group", "_row"]
    assert tables["units"]["_row"].tolist() == [2]


def test_extra_unit_columns_and_readme_ignored(tmp_path: Path) -> None:
    units = [["unit", "name", "group", "population"], ["HS", "赫山区", "区县市", 88.5]]
    path = _workbook(tmp_path / "d.xlsx", {README_SHEET: [["anything"]], "units": units, "indicators": INDICATORS,
                                           "observations": [["unit", "indicator", "year", "value"]]})
    tables, problems = read_workbook(path)
    assert problems == []
    assert tables["units"]["population"].tolist() == [88.5]
    assert len(tables["observations"]) == 0


def test_duplicate_and_unnamed_columns(tmp_path: Path) -> None:
    units = [["unit", "单位编码", "name", None], ["HS", "HS", "赫山区", "x"]]
    path = _workbook(tmp_path / "d.xlsx", {"units": units, "indicators": INDICATORS, "observations": [["unit"]]})
    tables, problems = read_workbook(path)
    assert len(problems) == 2
    assert all(p.row == 1 for p in problems)
    assert tables["units"].columns.tolist() == ["unit", "name", "_row"]


def test_whole_floats_of_a_workbook_read_as_integers(tmp_path: Path) -> None:
    obs = [["unit", "indicator", "year", "value"], ["HS", "GDP", 2018.0, 3.0], ["HS", "GDP", 2019, 2.5]]
    data = load_data(_workbook(tmp_path / "d.xlsx", {"units": UNITS, "indicators": INDICATORS, "observations": obs}))
    assert data.years == (2018, 2019)
    assert data.observations["value"].tolist() == [3.0, 2.5]


# ------------------------------------------------------------------------------ cells, column by column


def _cell_text_per_cell(v: object) -> str:
    """The rule the vectorised ``cell_text`` follows, one cell at a time."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def test_cell_text_is_the_per_cell_rule() -> None:
    import datetime as dt

    rng = np.random.default_rng(0)
    pool = [None, np.nan, 2018.0, 1.5, -0.0, 1e20, 1e300, float("inf"), float("-inf"), 7, True, "a", " 2018 ", "",
            dt.datetime(2018, 1, 2), 0.1, 123456789.125, np.float64(4.0), "n/a", 10**30]
    values = [pool[k] for k in rng.integers(0, len(pool), 500)]
    got = cell_text(pd.Series(values, dtype=object)).tolist()
    assert got == [_cell_text_per_cell(v) for v in values]
