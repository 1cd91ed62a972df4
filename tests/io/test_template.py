"""The fill-in template: its sheets, headers, dropdowns and README rows come from the table declaration."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from simkit.errors import DataError
from simkit.io.read import README_SHEET, load_data, read_workbook
from simkit.io.template import column_required, column_type, write_template
from simkit.schema.tables import OPTIONAL_TABLES, REQUIRED_TABLES, SCHEMA, plain


def test_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "template.xlsx")
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
