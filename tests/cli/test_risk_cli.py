"""``simkit risk``: the consequence-risk table printed in Chinese (English with --lang en), risk.csv and, with
--tenure, the false and missed accountability of every scenario side by side and tenure.csv, written with a
manifest; the issue's check on the bundled data (4000 draws, the one slow test here); the same seed gives the same
files for any chunk size; bad settings and a bad --out end with exit code 2 and no traceback."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

import simkit
from simkit.cli import main
from simkit.engine.compile import compile_plan

from ..conftest import ROOT

REFORM = str(ROOT / "scenarios" / "yiyang_2018_reform.yaml")
LEGACY = str(ROOT / "scenarios" / "legacy_totals.yaml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("risk") / "out"
    res = invoke("risk", REFORM, LEGACY, "--draws", "120", "--seed", "1", "--tenure", "5", "--paths", "20",
                 "--out", str(out))
    return res, out


def test_risk_prints_the_table_and_writes_the_files(written):
    res, out = written
    assert res.exit_code == 0, res.output
    assert "问责风险" in res.output and "资阳区" in res.output and "P(约谈)" in res.output
    assert "升一等次所需" in res.output and "奖金区间" in res.output and "合成数据" in res.output
    assert "误问责率" in res.output and "漏问责率" in res.output and "旧规则（总量比较）" in res.output
    assert {p.name for p in out.iterdir()} == {"risk.csv", "tenure.csv", "manifest.json"}
    risk = pd.read_csv(out / "risk.csv", encoding="utf-8-sig")
    data = simkit.load_data()
    n_units = sum(len(compile_plan(simkit.load_scenario(s), data).data.unit_ids) for s in (REFORM, LEGACY))
    assert len(risk) == n_units and list(risk.columns[:2]) == ["scenario", "unit"]
    assert {"p_较差", "p_约谈", "p_诫勉谈话", "p_调整岗位", "p_progress", "payout_q05", "payout_q95", "margin_up",
            "up_indicator", "margin_down", "down_indicator", "data_note"} <= set(risk.columns)
    zy = risk[(risk["scenario"] == "益阳2018改革方案") & (risk["unit"] == "ZY")].iloc[0]
    assert zy["nominal_step"] == "约谈" and zy["grade_up"] == "一般" and zy["margin_up"] > 0
    tenure = pd.read_csv(out / "tenure.csv", encoding="utf-8-sig")
    assert set(tenure["tenure"]) == {5} and set(tenure["scenario"]) == {"益阳2018改革方案", "旧规则（总量比较）"}
    assert {"false_rate", "false_lo", "false_hi", "missed_rate", "missed_lo", "missed_hi", "clear",
            "persistent"} <= set(tenure.columns)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["analysis"] == "risk" and manifest["settings"]["draws"] == 120
    assert manifest["runs"][0]["years"] == [2015, 2016, 2017, 2018] and len(manifest["runs"]) == 2
    assert manifest["tenure"]["tenures"] == [5] and manifest["tenure"]["paths"] == 20
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_risk_tenure_prints_both_rates_of_every_scenario_side_by_side(written):
    res, out = written
    lines = res.output.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("任期模拟"))
    head = lines[start + 1]
    assert "任期(年)" in head and head.index("益阳2018改革方案") < head.index("旧规则（总量比较）")
    tenure = pd.read_csv(out / "tenure.csv", encoding="utf-8-sig")
    every = tenure[tenure["group"] == "all"].set_index("scenario")
    for rate, label in (("false", "误问责率"), ("missed", "漏问责率")):
        line = next(x for x in lines[start:] if x.lstrip().startswith(label) and " 全部 " in x)
        cells = [f"{100 * every.loc[s, f'{rate}_rate']:.1f}% [" for s in ("益阳2018改革方案", "旧规则（总量比较）")]
        assert cells[0] in line and cells[1] in line and line.index(cells[0]) < line.rindex(cells[1])
        n = every.loc["益阳2018改革方案", "clear" if rate == "false" else "persistent"]
        assert f"/{n})" in line


def test_the_issue_check_of_ziyang_on_the_bundled_data(tmp_path):
    """``simkit risk scenarios/yiyang_2018_reform.yaml --draws 4000 --noise 0.02 --seed 1``: 资阳区 (ZY) has
    P(约谈) between 0.25 and 0.5, and its margin to 一般 is reported (printed and in risk.csv)."""
    res = invoke("risk", REFORM, "--draws", "4000", "--noise", "0.02", "--seed", "1", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    risk = pd.read_csv(tmp_path / "o" / "risk.csv", encoding="utf-8-sig").set_index("unit")
    zy = risk.loc["ZY"]
    assert zy["nominal_grade"] == "较差" and zy["nominal_step"] == "约谈"
    assert 0.25 <= zy["p_约谈"] <= 0.5
    assert zy["grade_up"] == "一般" and 0 < zy["margin_up"] < 1 and zy["up_indicator"] == "fiscal_rev"
    assert 0 < zy["up_change_pct"] < 1 and zy["up_required"] > zy["up_value"]
    row = next(line for line in res.output.splitlines() if "资阳区" in line)
    assert f"{100 * zy['p_约谈']:.1f}%" in row and f"一般 总分+{zy['margin_up']:.3f}分" in row


def test_risk_in_english_and_the_same_seed_gives_the_same_file(tmp_path):
    a = invoke("risk", REFORM, "--draws", "60", "--seed", "2", "--no-margins", "--chunk-size", "7", "--lang", "en",
               "--out", str(tmp_path / "a"))
    assert a.exit_code == 0, a.output
    assert "Consequence risk" in a.output and "Ziyang District" in a.output and "P(interview)" in a.output
    b = invoke("risk", REFORM, "--draws", "60", "--seed", "2", "--no-margins", "--out", str(tmp_path / "b"))
    assert b.exit_code == 0, b.output
    x, y = (pd.read_csv(tmp_path / d / "risk.csv", encoding="utf-8-sig") for d in ("a", "b"))
    pd.testing.assert_frame_equal(x, y)


@pytest.mark.parametrize("args, words", [(["--tenure", "zero"], "--tenure"), (["--years", "9"], "years"),
                                         (["--draws", "1"], "--draws"), (["--noise", "0"], "nothing is uncertain")])
def test_nonsense_settings_are_refused(tmp_path, args, words):
    res = invoke("risk", REFORM, *args, "--out", str(tmp_path / "out"))
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_risk_into_an_input_folder_is_refused_before_any_work(tmp_path):
    mydata = tmp_path / "mydata"
    shutil.copytree(ROOT / "simkit" / "datasets" / "yiyang", mydata)
    before = {p.name: p.read_bytes() for p in sorted(mydata.iterdir())}
    res = invoke("risk", REFORM, "--data", str(mydata), "--out", str(mydata))
    assert res.exit_code == 2 and "input folder" in res.output and "Traceback" not in res.output
    assert {p.name: p.read_bytes() for p in sorted(mydata.iterdir())} == before
    res = invoke("risk", "no_such_scenario", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "no_such_scenario" in res.output


def test_risk_help_is_bilingual():
    res = invoke("risk", "--help")
    assert res.exit_code == 0 and "问责风险" in res.output and "Consequence" in res.output
    for opt in ("--draws", "--noise", "--years", "--seed", "--tenure", "--out", "--lang", "--data"):
        assert opt in res.output
