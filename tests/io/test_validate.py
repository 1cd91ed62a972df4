"""Validating raw tables: every problem names the file, the row, the column and a fix; cells are read column
by column with the same result as the per-cell rules."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simkit.errors import DataError
from simkit.io.dataset import BUNDLED
from simkit.io.numbers import read_text
from simkit.io.read import load_data
from simkit.io.template import write_template
from simkit.io.validate import as_text, build_dataset


def test_fingerprint_ignores_row_order(data):
    shuffled = {t: getattr(data, t).sample(frac=1.0, random_state=3).astype(str) for t in
                ("units", "indicators", "observations", "targets", "adjustments")}
    for t, f in shuffled.items():
        shuffled[t] = f.replace({"nan": "", "None": "", "<NA>": ""})
    again = build_dataset(shuffled)
    assert again.fingerprint() == data.fingerprint()


def test_missing_values_are_nan_in_the_cube():
    raw = {
        "units": pd.DataFrame({"unit": ["a", "b"], "name": ["甲", "乙"], "group": ["g", "g"]}),
        "indicators": pd.DataFrame({"indicator": ["x"], "name": ["X"]}),
        "observations": pd.DataFrame({"unit": ["a", "b"], "indicator": ["x", "x"], "year": ["2018", "2018"],
                                      "value": ["1.5", ""]}),
    }
    d = build_dataset(raw)
    assert d.cube[0, 0, 0] == 1.5 and np.isnan(d.cube[1, 0, 0])


def test_the_callers_tables_are_not_changed():
    raw = {
        "units": pd.DataFrame({"unit": [" a", "b"], "name": ["甲", "乙"], "group": ["g", "g"], "n": [1.0, None]}),
        "indicators": pd.DataFrame({"indicator": ["x"], "name": ["X"]}),
        "observations": pd.DataFrame({"unit": ["a", "b"], "indicator": ["x", "x"], "year": [2018, 2018],
                                      "value": ["1,500", None]}),
    }
    before = {t: f.copy() for t, f in raw.items()}
    build_dataset(raw)
    for t, f in raw.items():
        pd.testing.assert_frame_equal(f, before[t])


def _text_per_cell(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def test_as_text_is_the_per_cell_rule():
    rng = np.random.default_rng(1)
    pool = [None, np.nan, 1.5, 2018.0, "a", " b ", 1, True, pd.NA, pd.NaT, 1e20, 0.1, np.int64(3), "", "1,234"]
    values = [pool[k] for k in rng.integers(0, len(pool), 400)]
    assert as_text(pd.Series(values, dtype=object)).tolist() == [_text_per_cell(v) for v in values]
    assert as_text(pd.Series([1.5, np.nan])).tolist() == ["1.5", ""]
    assert as_text(pd.Series(["1", pd.NA], dtype="string")).tolist() == ["1", "<NA>"]


def _numbers_per_cell(cells: list[str]) -> tuple[pd.Series, np.ndarray]:
    """The reading of a number column one cell at a time (``numbers.read_text``): the values and the bad cells."""
    readings = [read_text(c) for c in cells]
    clean = pd.Series([r.clean for r in readings], dtype=object)
    values = pd.to_numeric(clean.where(clean != ""), errors="coerce")
    bad = np.array([bool(r.kind) or r.percent for r in readings]) | np.isinf(values).to_numpy()
    return values.where(~bad), bad


def _cells_named(problems: list) -> int:
    """How many cells the problems name: one each, or the count of a problem that stands for many."""
    return sum(int(p.message.split(" cells of ")[0]) if " cells of " in p.message else 1 for p in problems)


@pytest.mark.parametrize("size", [50, 30_000])  # 30,000 rows: read once per distinct value
def test_numbers_read_as_the_per_cell_rule(size):
    rng = np.random.default_rng(size)
    odd = [" 12", "1,234", "\u30001.5", "", "  ", "inf", "nan", "12亿", "1e3", "+5", "-0", "2018.0", "\t7 ", "８",
           "1.234,5", "N/A", "—", "1e400", "5%"]
    for pool in (["2015", "2016", "2017", *odd], ["2015", "2016", "2017"], ["1", "2", '"1,000"'.strip('"')],
                 [f"{v:.2f}" for v in rng.normal(size=200)] + odd):
        cells = [pool[k] for k in rng.integers(0, len(pool), size)]
        ids = [f"u{k}" for k in range(size // 300 + 1)]  # keys within the years allowed (1900-2200)
        units = pd.DataFrame({"unit": ids, "name": ids, "group": "g"})
        raw = {"units": units.assign(n="1"), "indicators": pd.DataFrame({"indicator": ["x"], "name": ["X"]}),
               "observations": pd.DataFrame({"unit": [ids[k // 300] for k in range(size)], "indicator": "x",
                                             "year": [str(1900 + k % 300) for k in range(size)], "value": cells})}
        expected, bad = _numbers_per_cell(cells)
        if bad.any():
            with pytest.raises(DataError) as info:
                build_dataset(raw)
            problems = info.value.problems
            assert _cells_named(problems) == bad.sum()
            assert {p.row for p in problems} <= set((np.flatnonzero(bad) + 2).tolist())
        else:
            got = build_dataset(raw).observations["value"]
            pd.testing.assert_series_equal(got, expected.rename("value"), check_index=False)


# ------------------------------------------------------------------ malformed data sets (as tests/test_bad_input.py)
def _copy(tmp_path: Path, edit: Callable[[dict[str, list[str]]], None]) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(BUNDLED, dest)
    files = {f.stem: f.read_text("utf-8").splitlines() for f in dest.glob("*.csv")}
    edit(files)
    for stem, lines in files.items():
        (dest / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def _set(lines: list[str], prefix: str, column: int, value: str) -> int:
    k = next(k for k, line in enumerate(lines) if line.startswith(prefix))
    cells = lines[k].split(",")
    cells[column] = value
    lines[k] = ",".join(cells)
    return k + 1


def _blank_lines_above(f: dict[str, list[str]]) -> None:
    _set(f["observations"], "HS,gdp,2018,", 3, "abc")
    f["observations"][3:3] = ["", ""]


def _no_name_column(f: dict[str, list[str]]) -> None:
    f["units"] = [",".join(c for k, c in enumerate(line.split(",")) if k != 1) for line in f["units"]]


_OBS = (BUNDLED / "observations.csv").read_text("utf-8").splitlines()
ROW_HS_GDP_2018 = next(k for k, line in enumerate(_OBS) if line.startswith("HS,gdp,2018,")) + 1  # as a sheet counts
NEW_OBS_ROW = len(_OBS) + 1  # the row of a line appended to observations.csv
CASES: dict[str, tuple[Callable[[dict[str, list[str]]], object], str, list[str]]] = {
    # name: (edit, file, text the message must hold)
    "unknown_indicator": (lambda f: f["observations"].append("HS,fiscal_revenue,2018,100"), "observations.csv",
                          [f"row {NEW_OBS_ROW}", "'indicator'", "'fiscal_revenue'", "did you mean 'fiscal_rev'?"]),
    "text_in_number": (lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "12亿"), "observations.csv",
                       [f"row {ROW_HS_GDP_2018}", "'value'", "'12亿' is not a number"]),
    "year_not_whole": (lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "2018.5"), "observations.csv",
                       [f"row {ROW_HS_GDP_2018}", "'year'", "2018.5 is not a whole number"]),
    "duplicate": (lambda f: f["observations"].append("HS,gdp,2018,1"), "observations.csv",
                  [f"row {NEW_OBS_ROW}", "duplicate observation (unit=HS, indicator=gdp, year=2018)"]),
    "inner_node": (lambda f: f["observations"].append("HS,Q,2018,80"), "observations.csv",
                   [f"row {NEW_OBS_ROW}", "'Q' has sub-indicators"]),
    "group_empty": (lambda f: _set(f["units"], "ZY,", 3, ""), "units.csv", ["row 3", "'group'", "is empty"]),
    "unit_twice": (lambda f: f["units"].append("HS,赫山区二,Heshan 2,区县市,区县市,1,1,1,1"), "units.csv",
                   ["row 58", "duplicate unit id (unit=HS) in rows 2, 58"]),
    "no_name_column": (_no_name_column, "units.csv", ["row 1", "'name'", "the required column `name` is missing"]),
    "unknown_parent": (lambda f: _set(f["indicators"], "tax_rev,", 3, "QQ"), "indicators.csv",
                       ["'parent'", "unknown parent indicator 'QQ'"]),
    "tree_cycle": (lambda f: _set(f["indicators"], "Q,", 3, "gdp"), "indicators.csv", ["'parent'", "circle"]),
    "direction_up": (lambda f: _set(f["indicators"], "gdp,", 4, "up"), "indicators.csv",
                     ["'direction'", "direction 'up' is not understood"]),
    "kind_reward": (lambda f: _set(f["adjustments"], "AH,2018,", 2, "reward"), "adjustments.csv",
                    ["row 8", "'kind'", "unknown adjustment kind 'reward'"]),
    "negative_bonus": (lambda f: _set(f["adjustments"], "AH,2018,", 3, "-3"), "adjustments.csv",
                       ["row 8", "'value'", "points must be positive"]),
    "blank_lines_above": (_blank_lines_above, "observations.csv", [f"row {ROW_HS_GDP_2018 + 2}", "'abc'"]),
    "year_out_of_range": (lambda f: _set(f["observations"], "HS,gdp,2018,", 2, "1e20"), "observations.csv",
                          ["'year'", "'1e20' is not a year between 1900 and 2200"]),
    "infinite": (lambda f: _set(f["observations"], "HS,gdp,2018,", 3, "inf"), "observations.csv",
                 ["'value'", "'inf' is not a finite number"]),
    "semicolons": (lambda f: f.update(units=[line.replace(",", ";") for line in f["units"]]), "units.csv",
                   ["row 1", "separated by semicolons"]),
    "thousands_unquoted": (lambda f: _set(f["observations"], "HS,", 3, "1,234"), "observations.csv",
                           ["more cells than the header", "double quotes"]),
    "wrong_track": (lambda f: f["observations"].append("D01,gdp,2018,1"), "observations.csv",
                    [f"row {NEW_OBS_ROW}", "indicator 'gdp' belongs to track '区县市'", "unit 'D01' is in track"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_csv_data(tmp_path, name):
    edit, file, tokens = CASES[name]
    folder = _copy(tmp_path, edit)
    with pytest.raises(DataError) as info:
        load_data(folder)
    text = str(info.value)
    for p in info.value.problems:
        assert p.file and p.fix, p
    for token in [file, *tokens, "Fix:"]:
        assert token in text, f"{token!r} missing from:\n{text}"


def test_gbk_is_read_and_named(tmp_path, data):
    folder = _copy(tmp_path, lambda f: None)
    (folder / "units.csv").write_bytes((folder / "units.csv").read_text("utf-8").encode("gbk"))
    again = load_data(folder)
    assert again.fingerprint() == data.fingerprint()
    assert again.encodings["units.csv"] == "gbk"


def test_mixed_encodings_are_refused(tmp_path):
    folder = _copy(tmp_path, lambda f: None)
    lines = (folder / "units.csv").read_text("utf-8").splitlines(keepends=True)
    (folder / "units.csv").write_bytes("".join(lines[:5]).encode("utf-8") + "".join(lines[5:]).encode("gbk"))
    with pytest.raises(DataError, match=r"row 6.*mixes two encodings: line 2 is UTF-8 but line 6 is not"):
        load_data(folder)


@pytest.mark.parametrize(("name", "needs"), [("observations.csv", "required table `observations`"),
                                             ("targets.csv", "the file is empty")])
def test_missing_or_empty_file(tmp_path, name, needs):
    folder = _copy(tmp_path, lambda f: None)
    if name == "targets.csv":
        (folder / name).write_text("", encoding="utf-8")
    else:
        (folder / name).unlink()
    with pytest.raises(DataError, match=needs):
        load_data(folder)


@pytest.mark.parametrize(("name", "says"), [("no_such_folder", "does not exist"), ("data.txt", ".xlsx"),
                                            ("data.xls", "save it as an Excel workbook (.xlsx)")])
def test_not_a_data_set(tmp_path, name, says):
    path = tmp_path / name
    if name != "no_such_folder":
        path.write_text("unit,name\nHS,x\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_data(path)
    assert name in str(info.value) and says in str(info.value)


def test_workbook_without_observations(tmp_path):
    from openpyxl import load_workbook

    book = write_template(tmp_path / "book.xlsx")
    wb = load_workbook(book)
    del wb["observations"]
    wb.save(book)
    with pytest.raises(DataError, match=r"book\.xlsx.*required sheet 'observations'"):
        load_data(book)
