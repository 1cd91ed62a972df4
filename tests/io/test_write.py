"""Writing files safely: formula injection, UTF-8 CSV, formatted reports, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from simkit.io.template import write_template
from simkit.io.write import MANIFEST_SHEET, neutralise, neutralise_frame, write_csv_safe, write_report


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+86", "'+86"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), (" =cmd", "' =cmd"),
     ("\t=1", "'\t=1"), ("\rabc", "'\rabc"), ("normal", "normal"), ("赫山区", "赫山区"), ("", ""), (-5, -5),
     (3.2, 3.2), (None, None)],
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


@pytest.fixture
def report_frames() -> dict[str, pd.DataFrame]:
    scores = pd.DataFrame({
        "unit": ["HS", "ZY", "AH"], "name": ['=HYPERLINK("x")', "@foo", "资阳区"], "score": [91.256, 88.0, 75.5],
        "rank": [1, 2, 3], "rank_change": [2, -1, 0],
    })
    detail = pd.DataFrame({"indicator": ["GDP", "-x"], "value": [1.0, 2.0]})
    return {"scores": scores, "detail": detail}


def _write(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> Path:
    return write_report(tmp_path / "report.xlsx", frames,
                        headers={"unit": "单位编码", "score": "得分", "rank_change": "名次变化"},
                        up_down_columns=["rank_change"],
                        manifest={"scenario": "base", "seed": 7, "years": [2018, 2019], "opts": {"a": 1}})


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
    assert ws.column_dimensions["A"].width >= 8  # CJK characters count double for widths

    manifest = wb[MANIFEST_SHEET]
    rows = {r[0]: r[1] for r in manifest.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"scenario", "seed", "years", "opts"}
    assert rows["seed"] == 7
    assert rows["years"] == "[2018, 2019]"
    assert rows["opts"] == '{"a": 1}'


def test_write_report_does_not_modify_inputs(tmp_path: Path, report_frames: dict[str, pd.DataFrame]) -> None:
    before = {k: v.copy() for k, v in report_frames.items()}
    _write(tmp_path, report_frames)
    for name, frame in report_frames.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_atomic_writes_leave_no_temp_files(tmp_path: Path, report_frames: dict[str, pd.DataFrame]) -> None:
    _write(tmp_path, report_frames)
    _write(tmp_path, report_frames)  # overwrite in place
    write_template(tmp_path / "template.xlsx")
    write_csv_safe(report_frames["scores"], tmp_path / "scores.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx", "scores.csv", "template.xlsx"]


def test_failed_write_keeps_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
