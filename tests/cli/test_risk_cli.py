"""``simkit risk``: the consequence-risk table printed in Chinese (English with --lang en), risk.csv and, with
--tenure, tenure.csv written with a manifest; the same seed gives the same files for any chunk size; bad
settings and a bad --out end with exit code 2 and no traceback."""

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
    res = invoke("risk", REFORM, LEGACY, "--draws", "120", "--seed", "1", "--tenure", "3,5", "--paths", "20",
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
    assert set(tenure["tenure"]) == {3, 5} and set(tenure["scenario"]) == {"益阳2018改革方案", "旧规则（总量比较）"}
    assert {"false_rate", "false_lo", "false_hi", "missed_rate", "missed_lo", "missed_hi", "clear",
            "persistent"} <= set(tenure.columns)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["analysis"] == "risk" and manifest["settings"]["draws"] == 120
    assert manifest["runs"][0]["years"] == [2015, 2016, 2017, 2018] and len(manifest["runs"]) == 2
    assert manifest["tenure"]["tenures"] == [3, 5] and manifest["tenure"]["paths"] == 20
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


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
