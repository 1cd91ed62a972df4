"""The fill-in template: its sheets, headers, dropdowns and README rows come from the table declaration."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from simkit.errors import DataError
from simkit.io.read import README_SHEET, load_data, read_workbook
from simkit.io.template import SYNTHETIC_LINE, column_required, column_type, write_template, write_workbook
from simkit.schema.tables import OPTIONAL_TABLES, REQUIRED_TABLES, SCHEMA, plain


def test_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "template.xlsx", years=[2018])
    assert path == tmp_path / "template.xlsx"
    tables, problems = read_workbook(path)
    assert problems == []
    assert set(tables) == set(REQUIRED_TABLES + OPTIONAL_TABLES)
    for table, frame in tables.items():
        assert list(frame.columns) == [*SCHEMA[table].headers, "_row"], table
        assert len(frame) == 0


def test_empty_template_says_the_observations_are_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the table has no rows"):
        load_data(write_template(tmp_path / "t.xlsx"))


def test_template_layout(tmp_path: Path) -> None:
    wb = load_workbook(write_template(tmp_path / "t.xlsx", years=[2018]))
    assert wb.sheetnames == [README_SHEET, *REQUIRED_TABLES, *OPTIONAL_TABLES, "观测值2018"]
    assert [c.value for c in wb["观测值2018"][1]] == ["单位编码 unit", "单位名称 name"]
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
    for table, spec in SCHEMA.items():  # a dropdown for every column with choices, over the column's cells
        ranges = {str(dv.sqref) for dv in wb[table].data_validations.dataValidation}
        letters = [chr(ord("A") + k) for k, c in enumerate(spec.columns) if c.choices]
        assert ranges == {f"{x}2:{x}5000" for x in letters}, table


def test_readme_rows_are_the_declaration(tmp_path: Path) -> None:
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    rows = [r for r in wb[README_SHEET].iter_rows(values_only=True)]
    text = "\n".join(str(v) for row in rows for v in row if v)
    assert "第 2 行" in text and "row 2" in text and "`" not in text
    described = {(r[0], r[1]): r for r in rows if r[0] in SCHEMA and r[1]}
    for table, spec in SCHEMA.items():
        assert (table, None) not in described
        for col in (*spec.columns, *spec.examples):
            row = described[(table, col.name)]
            assert row[2:] == (f"{col.label} {col.name}", column_type(col), column_required(col),
                               plain(col.meaning_zh), plain(col.meaning_en))
    assert described[("indicators", "direction")][3:5] == ("1 / -1", "no 否 (1)")
    assert described[("targets", "target")][3:5] == ("number 数值", "yes 是")
    assert described[("observations", "value")][4] == "no 否"


@pytest.mark.parametrize("wide", [False, True])
def test_write_workbook_gives_the_same_data(tmp_path: Path, data, wide: bool) -> None:
    path = write_workbook(data, tmp_path / "data.xlsx", wide=wide)
    wb = load_workbook(path)
    assert ("observations" in wb.sheetnames) != wide
    assert wide == all(f"观测值{y}" in wb.sheetnames for y in data.years)
    assert wb[README_SHEET]["A1"].value == SYNTHETIC_LINE
    again = load_data(path)
    assert again.fingerprint() == data.fingerprint()
    assert again.synthetic and not again.notes


def test_wide_sheet_headers_and_shading(tmp_path: Path, data) -> None:
    wb = load_workbook(write_workbook(data, tmp_path / "data.xlsx", wide=True))
    ws = wb["观测值2018"]
    heads = [c.value for c in ws[1]]
    assert heads[:3] == ["单位编码 unit", "单位名称 name", "地区生产总值 gdp"]
    d01 = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "D01")
    assert ws.cell(d01, 3).value is None and ws.cell(d01, 3).fill.start_color.rgb == "FFEDEDED"
    assert ws.cell(2, 3).value == data.value("gdp", 2018)["HS"]


def test_not_synthetic_data_carry_no_mark(tmp_path: Path, data) -> None:
    import dataclasses

    real = dataclasses.replace(data, synthetic=False, _cache={})
    again = load_data(write_workbook(real, tmp_path / "real.xlsx"))
    assert not again.synthetic and again.fingerprint() == data.fingerprint()


def test_template_with_data_lists_units_and_indicators(tmp_path: Path, data) -> None:
    path = write_template(tmp_path / "t.xlsx", data=data)
    wb = load_workbook(path)
    assert wb.sheetnames[-1] == "观测值2019"
    ws = wb["观测值2019"]
    assert ws.max_row == len(data.units) + 1 and ws.max_column == 2 + len(data.leaves)
    with pytest.raises(DataError, match="the table has no rows"):
        load_data(path)  # the units and indicators are read, the observations are still to be given


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, data) -> None:
    import dataclasses

    adj = data.adjustments.copy()
    adj.loc[0, "reason"] = "=1+2"
    odd = dataclasses.replace(data, adjustments=adj, _cache={})
    again = load_data(write_workbook(odd, tmp_path / "odd.xlsx"))
    assert again.adjustments.loc[0, "reason"] == "=1+2"
