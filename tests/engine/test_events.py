"""Events from inspections and audits (督查、巡视巡察、审计成果) on a hand-computed example.

Four units of one group, all scoring 100 on one indicator; the scenario's ``events`` rules:
督查 capped at 2 a year, 审计 capped at 3, 巡视巡察 at half the written points, 其他 by kind (约谈 0.5) ×2;
at most 4 in total; the kind 重大违纪 vetoes, and a vetoed unit is graded 较差.

    unit  2018 events (source, written points)              per source (after its cap)     total (cap 4)
    A     督查 1.0, 督查 1.5, 审计 1.0                        督查 2.5 → 2 (cap bound), 审计 1   3
          (审计 9.0 in 2017: another year, not counted in 2018)
    B     审计 2.0, audit 2.0, 督查 1.5                       审计 4 → 3 (cap bound), 督查 1.5   4.5 → 4 (total bound)
    C     巡察 重大违纪 0                                      巡视巡察 0                        0, vetoed
    D     其他 约谈 3.0 (by kind 0.5 × 2), 巡视巡察 1.0 (×0.5) 其他 1, 巡视巡察 0.5              1.5

    scores: A 97, B 96, C 100 (vetoed → 较差), D 98.5
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.read import load_data
from simkit.io.scenarios import scenario_from_dict
from simkit.io.template import write_template, write_workbook
from simkit.io.validate import build_dataset

EVENTS = [
    ["A", "2018-03-01", "督查", "通报批评", 1.0, "督查一"], ["A", "2018-05-02", "督查", "通报批评", 1.5, ""],
    ["A", "2018-07-03", "审计", "违规使用资金", 1.0, "审计一"],
    ["A", "2017-07-03", "审计", "违规使用资金", 9.0, "上年"],
    ["B", "2018-02-01", "审计", "违规使用资金", 2.0, ""], ["B", "2018/4/1", "audit", "违规使用资金", 2.0, ""],
    ["B", "2018年6月1日", "督查", "交办逾期", 1.5, ""], ["C", "2018-08-30", "巡察", "重大违纪", 0, "线索移交"],
    ["D", "2018-09-01", "其他", "约谈", 3.0, ""], ["D", "2018-10-01", "巡视巡察", "整改不到位", 1.0, ""],
]
EVENT_COLUMNS = ["unit", "date", "source", "kind", "points", "note"]


def table(rows: list[list[object]], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data(events: list[list[object]] = EVENTS) -> simkit.Dataset:
    units = table([[u, n, "G"] for u, n in zip("ABCD", "甲乙丙丁", strict=True)], ["unit", "name", "group"])
    ind = table([["x", "指标x", "1"]], ["indicator", "name", "direction"])
    obs = [[u, "x", y, 90] for u in "ABCD" for y in (2017, 2018)]
    return build_dataset({"units": units, "indicators": ind,
                          "observations": table(obs, ["unit", "indicator", "year", "value"]),
                          "events": table(events, EVENT_COLUMNS)})


RULES = {
    "sources": {"督查": {"cap": 2}, "审计": {"cap": 3}, "巡视巡察": {"factor": 0.5},
                "other": {"by_kind": {"约谈": 0.5}, "factor": 2}},  # a source may be named in English
    "cap": 4,
    "veto_kinds": ["重大违纪"],
}


def make_scenario(events: dict | None = RULES, **changes) -> simkit.Scenario:
    doc = {
        "name": "events-test", "total": 100, "weights": {"mode": "points", "values": {"x": 100}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "leader"}},
        "adjustments": {"veto": {"grade": "较差"}},
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share",
                    "grades": [{"name": "优秀", "count": 1}, {"name": "一般"},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
    }
    if events is not None:
        doc["events"] = events
    doc.update(changes)
    return scenario_from_dict(doc)


@pytest.fixture(scope="module")
def result() -> simkit.Result:
    return simkit.evaluate(make_scenario(), make_data(), 2018)


@pytest.fixture(scope="module")
def units(result) -> pd.DataFrame:
    return result.units.set_index("unit")


SOURCE_COLUMNS = ["deduction_supervision", "deduction_inspection", "deduction_audit", "deduction_other"]


@pytest.mark.parametrize(("unit", "per_source", "total", "bound"), [
    ("A", [2.0, 0.0, 1.0, 0.0], 3.0, "supervision"),  # 督查 1 + 1.5 = 2.5, capped at 2
    ("B", [1.5, 0.0, 3.0, 0.0], 4.0, "audit,total"),  # 审计 2 + 2 = 4 → 3; 1.5 + 3 = 4.5 → 4
    ("C", [0.0, 0.0, 0.0, 0.0], 0.0, ""),
    ("D", [0.0, 0.5, 0.0, 1.0], 1.5, ""),  # 巡视巡察 1 × 0.5; 其他 约谈 by kind 0.5 × 2
])
def test_deductions_per_source_and_the_caps(units, unit, per_source, total, bound):
    assert units.loc[unit, SOURCE_COLUMNS].tolist() == pytest.approx(per_source)
    assert units.loc[unit, "event_deduction"] == pytest.approx(total)
    assert units.loc[unit, "event_cap"] == bound


def test_the_deduction_comes_off_the_total(units):
    assert units["base_score"].tolist() == pytest.approx([100.0] * 4)
    assert units.loc[["A", "B", "C", "D"], "score"].tolist() == pytest.approx([97.0, 96.0, 100.0, 98.5])
    assert units.loc[["A", "B", "C", "D"], "deduction_points"].tolist() == pytest.approx([3.0, 4.0, 0.0, 1.5])


def test_a_veto_kind_vetoes_and_its_event_is_the_reason(units):
    assert units.loc["C", "vetoed"]
    assert not units.loc[["A", "B", "D"], "vetoed"].any()
    assert units.loc["C", "grade"] == "较差"  # adjustments.veto.grade
    assert "巡视巡察" in units.loc["C", "veto_reason"] and "重大违纪" in units.loc["C", "veto_reason"]
    assert "2018-08-30" in units.loc["C", "veto_reason"] and "线索移交" in units.loc["C", "veto_reason"]


def test_the_events_table_of_the_result(result):
    ev = result.events
    assert len(ev) == 9  # the 2017 event is not in the focus year
    assert list(ev["source"].unique()) == ["督查", "审计", "巡视巡察", "其他"]  # English and 巡察 read as sources
    b = ev[ev["unit"] == "B"].set_index("date")
    assert list(b.index) == ["2018-02-01", "2018-04-01", "2018-06-01"]  # dates in one spelling
    assert b.loc["2018-04-01", "source"] == "审计"
    assert b["source_cap_bound"].tolist() == [True, True, False] and b["total_cap_bound"].all()
    d = ev[ev["unit"] == "D"].set_index("kind")
    assert d.loc["约谈", "points"] == 3.0 and d.loc["约谈", "deducts"] == pytest.approx(1.0)
    assert d.loc["整改不到位", "deducts"] == pytest.approx(0.5)
    assert ev.loc[ev["unit"] == "C", "veto"].tolist() == [True]


def test_another_year_counts_its_own_events():
    r = simkit.evaluate(make_scenario(), make_data(), 2017)
    a = r.units.set_index("unit").loc["A"]
    assert a["deduction_audit"] == pytest.approx(3.0)  # 审计 9 in 2017 → the audit cap of 3
    assert a["event_deduction"] == pytest.approx(3.0) and a["event_cap"] == "audit"  # 3 ≤ 4 in total
    assert a["score"] == pytest.approx(97.0)


def test_explain_names_the_events_and_the_cap_that_bound(result):
    a = simkit.explain(result, "A")
    assert "督查（2018-03-01 通报批评1分、2018-05-02 通报批评1.5分）合计2.5分，超过督查扣分上限2分，按2分计" in a.zh
    assert "审计（2018-07-03 违规使用资金1分）1分" in a.zh
    assert "above the supervision cap of 2: 2 counted" in a.en
    b = simkit.explain(result, "B")
    assert "超过审计扣分上限3分，按3分计" in b.zh and "总扣分上限4分" in b.zh
    assert "the cap of 4 in total: 4 deducted" in b.en
    c = simkit.explain(result, "C")
    assert "重大违纪" in c.zh and "一票否决" in c.zh and "veto kind" in c.en


def test_without_the_events_block_the_table_is_not_applied():
    r = simkit.evaluate(make_scenario(None), make_data(), 2018)
    u = r.units.set_index("unit")
    assert u["score"].tolist() == pytest.approx([100.0] * 4) and not u["vetoed"].any()
    assert "event_deduction" not in u.columns and r.events.empty


def test_use_table_false_ignores_the_events():
    r = simkit.evaluate(make_scenario({**RULES, "use_table": False}), make_data(), 2018)
    u = r.units.set_index("unit")
    assert u["event_deduction"].tolist() == pytest.approx([0.0] * 4) and not u["vetoed"].any()


def test_events_are_not_bound_by_the_adjustments_deduction_cap():
    r = simkit.evaluate(make_scenario(adjustments={"deduction_cap": 1, "veto": {"grade": "较差"}}), make_data(), 2018)
    assert r.units.set_index("unit").loc["B", "score"] == pytest.approx(96.0)


def test_an_unknown_source_in_the_rules_is_an_error_naming_it():
    with pytest.raises(ScenarioError, match=r"events\.sources names '纪检'"):
        make_scenario({"sources": {"纪检": {"cap": 1}}})


def test_the_excel_workbook_round_trips_an_events_sheet(tmp_path: Path):
    data = make_data()
    path = write_workbook(data, tmp_path / "data.xlsx")
    from openpyxl import load_workbook

    assert "events" in load_workbook(path).sheetnames
    again = load_data(path)
    assert again.events[EVENT_COLUMNS].astype(str).equals(data.events[EVENT_COLUMNS].astype(str))
    assert again.fingerprint() == data.fingerprint()
    r = simkit.evaluate(make_scenario(), again, 2018)
    assert r.units.set_index("unit").loc[list("ABCD"), "event_deduction"].tolist() == pytest.approx([3, 4, 0, 1.5])


def test_the_template_has_an_events_sheet_that_reads_back(tmp_path: Path):
    from openpyxl import load_workbook

    template = load_workbook(write_template(tmp_path / "template.xlsx", years=[2018]))
    ws = template["events"]
    assert [c.value for c in ws[1]] == ["单位编码 unit", "日期 date", "来源 source", "问题类型 kind", "扣分 points",
                                        "说明 note"]
    assert {dv.formula1 for dv in ws.data_validations.dataValidation} == {'"督查,巡视巡察,审计,其他"'}
    # fill the events sheet of a workbook with the rest of the data (as an office would fill the template's)
    path = write_workbook(make_data([]), tmp_path / "data.xlsx")
    wb = load_workbook(path)
    sheet = wb["events"]  # written with its headers even when the data have no events
    assert [c.value for c in sheet[1]] == [c.value for c in ws[1]] and sheet.max_row == 1
    for row in EVENTS:
        sheet.append(row)
    wb.save(path)
    again = load_data(path)
    assert len(again.events) == len(EVENTS)
    assert again.events["source"].tolist()[4:8] == ["审计", "审计", "督查", "巡视巡察"]
    assert again.events["date"].tolist()[5:7] == ["2018-04-01", "2018-06-01"]
    r = simkit.evaluate(make_scenario(), again, 2018)
    assert r.units.set_index("unit").loc[list("ABCD"), "event_deduction"].tolist() == pytest.approx([3, 4, 0, 1.5])
