"""Tests for simkit.excel: headers, template, reading, safe export and reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from simkit.excel import (
    EXAMPLE_HEADERS,
    HEADERS,
    MANIFEST_SHEET,
    OPTIONAL_TABLES,
    README_SHEET,
    REQUIRED_TABLES,
    neutralise,
    neutralise_frame,
    normalise_header,
    read_workbook,
    write_csv_safe,
    write_report,
    write_template,
)

from simkit.errors import Problem

# ---------------------------------------------------------------------------------------------
# headers


@pytest.mark.parametrize(
    "label",
    [
        "unit",
        "Unit",
        "  UNIT  ",
        "单位编码",
        " 单位编码 ",
        "单位编码 unit",
        "单位编码 Unit",
        "单位编码  unit",
        "单位编码\u3000unit",
        "单位编码 (unit)",
        "单位编码(unit)",
        "单位编码（unit）",
        "单位编码 [unit]",
        "单位编码【unit】",
        "单位编码\nunit",
        "单位编码\r\nUnit",
        "单位编码\n(unit)",
    ],
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


def test_normalise_header_every_known_column_round_trips() -> None:
    for table, columns in HEADERS.items():
        for english, chinese in columns.items():
            for label in (
                english,
                english.upper(),
                chinese,
                f"{chinese} {english}",
                f"{chinese} ({english})",
                f"{chinese}\n{english}",
            ):
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
    assert OPTIONAL_TABLES == ("targets", "adjustments")
    assert set(HEADERS) == set(REQUIRED_TABLES + OPTIONAL_TABLES)
    assert HEADERS["units"]["group"] == "考核组别"
    assert HEADERS["adjustments"]["reason"] == "事由"


# ---------------------------------------------------------------------------------------------
# template and reading


def test_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "template.xlsx")
    assert path == tmp_path / "template.xlsx"
    tables, problems = read_workbook(path)
    assert problems == []
    assert set(tables) == set(REQUIRED_TABLES + OPTIONAL_TABLES)
    for table, frame in tables.items():
        expected = list(HEADERS[table]) + list(EXAMPLE_HEADERS.get(table, {}))
        assert list(frame.columns) == [*expected, "_row"], table
        assert len(frame) == 0


def test_template_layout(tmp_path: Path) -> None:
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    assert wb.sheetnames == [README_SHEET, *REQUIRED_TABLES, *OPTIONAL_TABLES]
    units = wb["units"]
    assert units["A1"].value == "单位编码 unit"
    assert units["A1"].font.bold
    assert units.freeze_panes == "A2"
    headers = [c.value for c in units[1]]
    assert "在编人数 headcount" in headers
    assert "人均绩效奖金基数 bonus_per_head" in headers
    assert units.column_dimensions["A"].width >= 12

    def lists(sheet: str) -> set[str]:
        return {dv.formula1 for dv in wb[sheet].data_validations.dataValidation}

    assert lists("indicators") == {'"1,-1"', '"objective,subjective"'}
    assert lists("adjustments") == {'"bonus,deduction,veto"'}

    readme = "\n".join(
        str(v) for row in wb[README_SHEET].iter_rows(values_only=True) for v in row if v
    )
    assert "第 2 行" in readme and "row 2" in readme
    for table, columns in HEADERS.items():
        assert table in readme
        for english, chinese in columns.items():
            assert f"{chinese} {english}" in readme


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
    path = _workbook(
        tmp_path / "d.xlsx",
        {"Units": UNITS, "INDICATORS": INDICATORS, "observations": observations},
    )
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
    path = _workbook(
        tmp_path / "d.xlsx",
        {
            README_SHEET: [["anything"]],
            "units": units,
            "indicators": INDICATORS,
            "observations": [["unit", "indicator", "year", "value"]],
        },
    )
    tables, problems = read_workbook(path)
    assert problems == []
    assert tables["units"]["population"].tolist() == [88.5]
    assert len(tables["observations"]) == 0


def test_duplicate_and_unnamed_columns(tmp_path: Path) -> None:
    units = [["unit", "单位编码", "name", None], ["HS", "HS", "赫山区", "x"]]
    path = _workbook(
        tmp_path / "d.xlsx",
        {"units": units, "indicators": INDICATORS, "observations": [["unit"]]},
    )
    tables, problems = read_workbook(path)
    assert len(problems) == 2
    assert all(p.row == 1 for p in problems)
    assert tables["units"].columns.tolist() == ["unit", "name", "_row"]


# ---------------------------------------------------------------------------------------------
# neutralise and CSV


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (" =cmd", "' =cmd"),
        ("\t=1", "'\t=1"),
        ("\rabc", "'\rabc"),
        ("normal", "normal"),
        ("赫山区", "赫山区"),
        ("", ""),
        (-5, -5),
        (3.2, 3.2),
        (None, None),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert neutralise(value) == expected
    assert type(neutralise(value)) is type(expected)


def test_neutralise_frame_copies() -> None:
    df = pd.DataFrame({"=bad": ["=1+1", "ok"], "n": [-1, 2], "cat": ["-a", "b"]})
    df["cat"] = df["cat"].astype("category")
    before = df.copy()
    out = neutralise_frame(df)
    pd.testing.assert_frame_equal(df, before)
    assert out.columns.tolist() == ["'=bad", "n", "cat"]
    assert out["'=bad"].tolist() == ["'=1+1", "ok"]
    assert out["n"].tolist() == [-1, 2]
    assert out["cat"].tolist() == ["'-a", "b"]


def test_write_csv_safe(tmp_path: Path) -> None:
    df = pd.DataFrame({"单位": ["赫山区", "=cmd|' /C calc'!A0"], "分": [-1.5, 2]})
    path = write_csv_safe(df, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "赫山区" in text
    assert "'=cmd" in text
    assert "-1.5" in text and "'-1.5" not in text
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# ---------------------------------------------------------------------------------------------
# report


@pytest.fixture
def report_frames() -> dict[str, pd.DataFrame]:
    scores = pd.DataFrame(
        {
            "unit": ["HS", "ZY", "AH"],
            "name": ['=HYPERLINK("x")', "@foo", "资阳区"],
            "score": [91.256, 88.0, 75.5],
            "rank": [1, 2, 3],
            "rank_change": [2, -1, 0],
        }
    )
    detail = pd.DataFrame({"indicator": ["GDP", "-x"], "value": [1.0, 2.0]})
    return {"scores": scores, "detail": detail}


def _write(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> Path:
    return write_report(
        tmp_path / "report.xlsx",
        frames,
        headers={"unit": "单位编码", "score": "得分", "rank_change": "名次变化"},
        up_down_columns=["rank_change"],
        manifest={
            "scenario": "base",
            "seed": 7,
            "years": [2018, 2019],
            "opts": {"a": 1},
        },
    )


def test_write_report(tmp_path: Path, report_frames: dict[str, pd.DataFrame]) -> None:
    wb = load_workbook(_write(tmp_path, report_frames))
    assert wb.sheetnames == ["scores", "detail", MANIFEST_SHEET]
    ws = wb["scores"]
    assert ws["A1"].value == "单位编码\nunit"
    assert ws["B1"].value == "name"
    assert ws["A1"].font.bold
    assert ws["A1"].alignment.wrap_text
    assert ws["A1"].fill.fgColor.rgb not in (None, "00000000")
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"
    assert wb["detail"].freeze_panes == "A2"

    assert ws["B2"].value == "'" + '=HYPERLINK("x")'
    assert ws["B3"].value == "'@foo"
    assert ws["B2"].data_type == "s"
    assert wb["detail"]["A3"].value == "'-x"
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)

    assert ws["C2"].value == pytest.approx(91.256)
    assert ws["C2"].number_format == "0.00"
    assert ws["D2"].number_format == "0"
    assert wb["detail"]["B2"].number_format == "0"  # whole-number float column

    up, down, zero = ws["E2"], ws["E3"], ws["E4"]
    assert up.value == 2 and down.value == -1
    assert up.fill.fgColor.rgb != down.fill.fgColor.rgb
    assert up.fill.fill_type == "solid" and down.fill.fill_type == "solid"
    assert zero.fill.fill_type is None
    assert ws["D2"].fill.fill_type is None  # rank is not an up/down column

    # CJK characters count double for widths
    assert ws.column_dimensions["A"].width >= 8

    manifest = wb[MANIFEST_SHEET]
    rows = {r[0]: r[1] for r in manifest.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"scenario", "seed", "years", "opts"}
    assert rows["seed"] == 7
    assert rows["years"] == "[2018, 2019]"
    assert rows["opts"] == '{"a": 1}'


def test_write_report_does_not_modify_inputs(
    tmp_path: Path, report_frames: dict[str, pd.DataFrame]
) -> None:
    before = {k: v.copy() for k, v in report_frames.items()}
    _write(tmp_path, report_frames)
    for name, frame in report_frames.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_atomic_writes_leave_no_temp_files(
    tmp_path: Path, report_frames: dict[str, pd.DataFrame]
) -> None:
    _write(tmp_path, report_frames)
    _write(tmp_path, report_frames)  # overwrite in place
    write_template(tmp_path / "template.xlsx")
    write_csv_safe(report_frames["scores"], tmp_path / "scores.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.xlsx",
        "scores.csv",
        "template.xlsx",
    ]


def test_failed_write_keeps_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")

    def broken_save(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_report(target, {"s": pd.DataFrame({"a": [1]})})
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]
