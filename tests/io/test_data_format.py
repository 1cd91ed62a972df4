"""The one table declaration: consistent in itself, and docs/data-format.md is generated from it."""

from __future__ import annotations

import pandas as pd
import pytest

from simkit.errors import DataError
from simkit.io.validate import build_dataset
from simkit.schema.reference import data_format_markdown
from simkit.schema.tables import DIRECTIONS, KIND_LABELS, SCHEMA, plain

from ..conftest import ROOT


def test_data_format_page_is_current():
    committed = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    assert committed == data_format_markdown(), "run `python scripts/make_data_docs.py`"


def test_the_page_describes_every_table_and_column():
    page = data_format_markdown()
    for table, spec in SCHEMA.items():
        assert f"## `{table}` ({spec.label})" in page
        for col in (*spec.columns, *spec.examples):
            assert f"| `{col.name}` | {col.label} |" in page, (table, col.name)


@pytest.mark.parametrize("table", list(SCHEMA))
def test_declaration_is_consistent(table):
    spec = SCHEMA[table]
    names = spec.names
    assert len(set(names)) == len(names)
    assert len({c.label for c in spec.columns}) == len(spec.columns)
    assert set(spec.key) <= set(names)
    # the frame may add columns derived from the file's (the events' year, from their date)
    assert not spec.frame_order or set(names) <= set(spec.frame_order) <= set(names) | {"year"}
    for col in (*spec.columns, *spec.examples):
        assert col.kind in KIND_LABELS
        assert col.label and col.meaning_zh and col.meaning_en
        if col.kind == "choice":
            assert col.choices
        if col.kind == "direction":
            assert set(col.choices) <= set(DIRECTIONS) and col.default in DIRECTIONS
        if col.empty == "error" or col.references or col.kind in ("choice", "direction", "number", "integer"):
            assert col.what or col in spec.examples, (table, col.name)  # the words of its problems
        if col.references is not None:
            other, column = col.references
            assert column in SCHEMA[other].names
            assert col.fix
    for col in spec.columns:
        assert plain(col.meaning_en).count("`") == 0


def test_missing_columns_are_named_from_the_declaration():
    given = {"units": "unit", "indicators": "indicator", "observations": "unit"}
    with pytest.raises(DataError) as info:
        build_dataset({t: pd.DataFrame({c: ["a"]}) for t, c in given.items()})
    missing = {(p.file, p.field) for p in info.value.problems}
    expected = {(t, c.name) for t in given for c in SCHEMA[t].columns if c.required and c.name != given[t]}
    assert missing == expected
    assert f"(the table's columns are: {', '.join(SCHEMA['units'].names)})" in str(info.value)
