"""The parts of the year, events, the cascade, groups and league tables from the command line (issue 13).

Bad input to the new tables and fields ends with exit code 2 and a message naming the file, the row or field
and the fix, never a traceback: an event from an unknown source, an event of an unknown unit, a malformed date,
a period outside the row's year, a group override naming an unknown node, an unknown source in the rules, a
component naming an unknown node or with points that do not add up, a scope naming nothing of the data, a league
table id that names a result column, a headcount column the units table lacks.  Each message is in Chinese first.
The bundled checks: ``simkit run reform_components_events`` reads the data the scenario names (yiyang_full),
``simkit explain`` names an audit event and the cap that bound; ``validate``, ``targets`` and ``uncertainty``
work on it too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from simkit.cli import main

UNITS = ["unit,name,group", "A,甲,G1", "B,乙,G1", "C,丙,G2", "D,丁,G2"]
INDICATORS = ["indicator,name,direction", "x,指标x,1", "z,个性指标z,1"]
OBSERVATIONS = ["unit,indicator,year,value,period",
                *[f"{u},x,2018,{v},2018-Q{q}" for u, v in zip("ABCD", (10, 20, 30, 40), strict=True) for q in (1, 2)],
                "C,z,2018,5,", "D,z,2018,6,"]
EVENTS = ["unit,date,source,kind,points,note", "A,2018-03-01,督查,通报批评,1,", "B,2018-06-01,审计,违规使用资金,2,",
          "C,2018-08-01,巡视巡察,整改不到位,1,"]
SCENARIO = """name: 分部测试
total: 100
weights: {mode: points, values: {x: 100, z: 0}}
defaults: {measures: {level: 1}, target: {rule: none}, scoring: {rule: leader}}
groups:
  G2: {weights: {x: 70, z: 30}, own: [z]}
events:
  sources: {督查: {cap: 2}, 审计: {cap: 1}}
  cap: 3
grading:
  grades: [{name: 优秀, count: 1}, {name: 一般}]
"""


def folder(tmp_path: Path, edit: Callable[[dict[str, list[str]]], None] | None = None) -> Path:
    files = {"units": list(UNITS), "indicators": list(INDICATORS), "observations": list(OBSERVATIONS),
             "events": list(EVENTS)}
    if edit is not None:
        edit(files)
    out = tmp_path / "data"
    out.mkdir()
    for stem, lines in files.items():
        (out / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def scenario(tmp_path: Path, text: str = SCENARIO) -> Path:
    path = tmp_path / "parts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(args: list[str]):
    return CliRunner().invoke(main, args)


def check_bad(res, file: str, tokens: list[str]) -> None:
    shown = f"exit {res.exit_code}\n{res.output}"
    assert res.exit_code == 2, shown
    assert "Traceback" not in res.output and "internal error" not in res.output, shown
    assert file in res.output, shown
    for token in tokens:
        assert token in res.output, f"{token!r} missing\n{shown}"
    assert "Fix:" in res.output, shown
    assert "暂无中文说明" not in res.output, f"no Chinese for the message\n{shown}"  # Chinese first, then English
    assert "修改方法" in res.output, shown  # the fix in Chinese too


def test_the_good_case_runs(tmp_path):
    res = invoke(["run", str(scenario(tmp_path)), "--data", str(folder(tmp_path)), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "results.csv").exists()


def _set(table: str, row: int, column: int, value: str) -> Callable[[dict[str, list[str]]], None]:
    """An edit that sets one field of a CSV line (row = the spreadsheet row, the header being row 1)."""
    def edit(files: dict[str, list[str]]) -> None:
        cells = files[table][row - 1].split(",")
        cells[column] = value
        files[table][row - 1] = ",".join(cells)

    return edit


@pytest.mark.parametrize(("case", "edit", "tokens"), [
    ("unknown event source", _set("events", 3, 2, "纪检"), ["events.csv", "row 3", "source", "纪检"]),
    ("event for an unknown unit", _set("events", 4, 0, "ZZ"), ["events.csv", "row 4", "unit", "ZZ"]),
    ("malformed date", _set("events", 2, 1, "2018-13-45"), ["events.csv", "row 2", "date", "2018-13-45"]),
    ("period outside the year", _set("observations", 3, 4, "2017-Q2"),
     ["observations.csv", "row 3", "period", "2017-Q2", "outside the year 2018"]),
    ("not a period", _set("observations", 5, 4, "第五季度"), ["observations.csv", "row 5", "period"]),
])
def test_bad_data(tmp_path, case, edit, tokens):
    data = folder(tmp_path, edit)
    for args in (["validate", str(data)],
                 ["run", str(scenario(tmp_path)), "--data", str(data), "--out", str(tmp_path / "out")]):
        check_bad(invoke(args), tokens[0], tokens[1:])


@pytest.mark.parametrize(("case", "text", "tokens"), [
    ("group override naming an unknown node", SCENARIO.replace("{x: 70, z: 30}", "{x: 70, w: 30}"),
     ["groups.G2.weights.w", "'w'"]),
    ("group own indicator unknown", SCENARIO.replace("own: [z]", "own: [zz]"), ["groups.G2.own.zz"]),
    ("group naming no group", SCENARIO.replace("  G2:", "  G9:"), ["groups.G9", "G1, G2"]),
    ("unknown source in the rules", SCENARIO.replace("审计: {cap: 1}", "纪检: {cap: 1}"),
     ["events", "纪检", "督查, 巡视巡察, 审计, 其他"]),
    ("unknown component node", SCENARIO.replace("groups:", "components:\n  - {id: annual, name: 年终, points: 100, "
                                                "nodes: [xx]}\ngroups:"), ["components.0.nodes", "'xx'"]),
    ("components not adding up", SCENARIO.replace("groups:", "components:\n  - {id: annual, name: 年终, points: 90, "
                                                  "nodes: [x, z]}\ngroups:"), ["add up to 90", "100"]),
    ("scope naming no unit, group or track", SCENARIO.replace("groups:", "scope: {units: [G7]}\ngroups:"),
     ["scope.units", "'G7'"]),
    ("league table id of a result column", SCENARIO + "league_tables:\n  - {id: rank, name: 榜}\n",
     ["league_tables.0.id", "rank"]),
])
def test_bad_scenario(tmp_path, case, text, tokens):
    sc = scenario(tmp_path, text)
    res = invoke(["run", str(sc), "--data", str(folder(tmp_path)), "--out", str(tmp_path / "out")])
    check_bad(res, "parts.yaml", tokens)


def test_a_headcount_column_the_units_table_lacks(tmp_path):
    sc = scenario(tmp_path, SCENARIO + "consequences:\n  cascade:\n    staff: {shares: {优秀: 0.2}, "
                  "headcount_attribute: heads}\n")
    res = invoke(["run", str(sc), "--data", str(folder(tmp_path)), "--out", str(tmp_path / "out")])
    check_bad(res, "data", ["units table has no `heads` column", "cascade.staff.headcount_attribute"])


# ================================================================================ the bundled checks
def test_run_reform_components_events_reads_its_own_data(tmp_path):
    res = invoke(["run", "reform_components_events", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "yiyang_full" in res.output  # the data the scenario names, not the default
    assert "益阳2018改革方案·全年三部分与督查审计" in res.output
    assert "全年各部分得分" in res.output and "日常管理（20分）" in res.output  # the points on each part, printed
    import pandas as pd

    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert {"score_daily", "score_special", "score_annual", "deduction_audit", "event_cap"} <= set(results.columns)
    ah = results.set_index("unit").loc["AH"]
    assert ah["deduction_audit"] == 2.0 and ah["event_cap"] == "audit"


def test_explain_names_the_audit_event_and_the_cap_that_bound():
    res = invoke(["explain", "reform_components_events", "AH"])
    assert res.exit_code == 0, res.output
    # 安化县 2018: three audit findings, 1.5 + 1 + 1 = 3.5 points, above the audit cap of 2
    assert "审计（2018-04-16 违规使用专项资金1.5分" in res.output
    assert "合计3.5分，超过审计扣分上限2分，按2分计" in res.output
    assert "日常管理" in res.output and "专项考核" in res.output and "年终综合考核" in res.output


def test_explain_names_the_total_cap_and_the_veto():
    nx = invoke(["explain", "reform_components_events", "NX"])  # 南县: the sources together above the total cap
    assert nx.exit_code == 0, nx.output
    assert "总扣分上限3分" in nx.output
    tj = invoke(["explain", "reform_components_events", "TJ"])  # 桃江县: a major violation, a veto
    assert tj.exit_code == 0, tj.output
    assert "重大违纪违法问题" in tj.output and "一票否决" in tj.output


def test_validate_a_bundled_scenario_by_name_against_its_own_data():
    res = invoke(["validate", "reform_components_events"])
    assert res.exit_code == 0, res.output
    assert "yiyang_full" in res.output


def test_the_target_review_reads_the_data_the_scenario_names(tmp_path):
    res = invoke(["targets", "reform_components_events", "--out", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output  # on the default data the components' indicators (DM, SP) do not exist
    assert (tmp_path / "t" / "targets_review.csv").exists()


def test_uncertainty_of_a_scenario_with_a_scope(tmp_path):
    # the scope leaves the parks out: the draws cover the units evaluated, not every unit of the data
    res = invoke(["uncertainty", "reform_components_events", "--draws", "16", "--out", str(tmp_path / "u")])
    assert res.exit_code == 0, res.output
    import pandas as pd

    ranks = pd.read_csv(tmp_path / "u" / "rank_intervals.csv")
    assert len(ranks) == 56 and "PGX" not in set(ranks["unit"])
