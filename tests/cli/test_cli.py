"""The command line: run, compare, explain, validate, template, schema."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from simkit.cli import main

from ..conftest import ROOT, SCENARIOS

REFORM = str(SCENARIOS / "yiyang_2018_reform.yaml")
LEGACY = str(SCENARIOS / "legacy_totals.yaml")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simkit.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_run_writes_results_and_ranks_every_unit_within_its_group(tmp_path, data):
    proc = run("run", REFORM, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "赫山区" in proc.stdout and "合成数据" in proc.stdout
    res = pd.read_csv(tmp_path / "results.csv", encoding="utf-8-sig")
    assert {"unit", "name", "group", "score", "rank", "grade"} <= set(res.columns)
    assert len(res) == len(data.units)
    assert res["data_note"].str.contains("合成数据").all()  # every output of synthetic data says so
    for _, part in res.groupby("group"):
        assert sorted(part["rank"]) == list(range(1, len(part) + 1)) or part["rank"].min() == 1
        assert part["rank"].between(1, len(part)).all()
    ind = pd.read_csv(tmp_path / "indicators.csv", encoding="utf-8-sig")
    assert {"unit", "indicator", "value", "target", "score", "points"} <= set(ind.columns)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["scenario"]["sha256"]) == 64 and len(manifest["data"]["sha256"]) == 64
    assert manifest["simkit_version"] and manifest["created"] and manifest["data"]["synthetic"] is True
    assert not list(tmp_path.glob(".simkit-*")), "no temporary folder left behind"
    # the pool pays 优秀 +11.1%, not the stated +20%: both are printed
    floats = proc.stdout.split("规定与实际")[1].splitlines()
    assert "规定浮动" in floats[1] and "实际浮动" in floats[1]
    assert any(line.split()[:3] == ["优秀", "+20.0%", "+11.1%"] for line in floats[2:6])


def test_two_runs_give_identical_results(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    runner = CliRunner()
    for out in (a, b):
        assert runner.invoke(main, ["run", REFORM, "--out", str(out)]).exit_code == 0
    for name in ("results.csv", "indicators.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    ma, mb = (json.loads((d / "manifest.json").read_text("utf-8")) for d in (a, b))
    assert ma["scenario"] == mb["scenario"] and ma["data"] == mb["data"]


def test_compare_writes_the_comparison_files(tmp_path):
    proc = run("compare", LEGACY, REFORM, "--out", str(tmp_path), "--size", "gdp")
    assert proc.returncode == 0, proc.stderr
    cols = pd.read_csv(tmp_path / "comparison.csv", encoding="utf-8-sig").columns
    assert list(cols[:11]) == ["unit", "name", "group", "rank_base", "rank_reform", "rank_change", "grade_base",
                               "grade_reform", "payout_base", "payout_reform", "payout_change"]
    assert (tmp_path / "comparison.xlsx").exists() and (tmp_path / "manifest.json").exists()
    assert "size_rho_base" in proc.stdout and "赢家" in proc.stdout
    floats = proc.stdout.split("规定与实际")[1].splitlines()
    assert any(line.split()[:5] == ["优秀", "+10.0%", "+10.0%", "10", "176660000"] and "+11.1%" in line
               for line in floats[2:6])


def test_explain_prints_both_languages():
    runner = CliRunner()
    zh = runner.invoke(main, ["explain", REFORM, "南县"])
    en = runner.invoke(main, ["explain", REFORM, "NX", "--lang", "en"])
    assert zh.exit_code == 0 and "南县" in zh.output and "等次" in zh.output
    assert en.exit_code == 0 and "ranked" in en.output and "Bonus" in en.output


def test_explain_unknown_unit_is_exit_2():
    proc = run("explain", REFORM, "不存在的县")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "Fix:" in proc.stderr


def test_validate_scenario_and_data():
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", REFORM])
    assert ok.exit_code == 0 and "OK" in ok.output
    ok = runner.invoke(main, ["validate", str(ROOT / "simkit" / "datasets" / "yiyang")])
    assert ok.exit_code == 0 and "56 个单位 units" in ok.output


def test_template_round_trips_through_validate(tmp_path):
    runner = CliRunner()
    book = tmp_path / "data.xlsx"
    assert runner.invoke(main, ["template", str(book)]).exit_code == 0
    import openpyxl

    wb = openpyxl.load_workbook(book)
    assert {"units", "indicators", "observations"} <= set(wb.sheetnames)
    assert wb["units"]["A1"].value == "单位编码 unit"


def test_schema_matches_the_committed_file():
    runner = CliRunner()
    out = runner.invoke(main, ["schema"])
    assert out.exit_code == 0
    committed = json.loads((SCENARIOS / "schema.json").read_text(encoding="utf-8"))
    assert json.loads(out.output) == committed, "run `python scripts/make_scenario_docs.py`"


@pytest.mark.parametrize("command", ["run", "compare", "explain", "validate", "template", "schema", "fairness",
                                     "uncertainty", "dashboard"])
def test_every_command_has_help(command):
    out = CliRunner().invoke(main, [command, "--help"])
    assert out.exit_code == 0 and "Usage" in out.output


def test_values_read_by_convention_are_said_and_recorded(tmp_path):
    """A GBK file and full-width digits are read, each said on stderr and recorded in the manifest."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "simkit" / "datasets" / "yiyang", data)
    units = data / "units.csv"
    units.write_bytes(units.read_text("utf-8").encode("gbk"))
    obs = data / "observations.csv"
    lines = obs.read_text("utf-8").splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",８"
    obs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run("run", REFORM, "--data", str(data), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "units.csv (GBK)" in proc.stderr and "full-width" in proc.stderr and "row 6" in proc.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert manifest["data"]["encodings"]["units.csv"] == "gbk"
    assert any("full-width" in n for n in manifest["data"]["notes"])


def test_every_command_and_option_is_helped_in_chinese_first():
    """Chinese first, English too: each command's help and each option's help start with Chinese."""
    import re

    import click

    cjk = re.compile(r"[\u4e00-\u9fff]")
    missing = []
    for name, cmd in main.commands.items():
        if not (cmd.help and cjk.match(cmd.help.strip()[0])):
            missing.append(f"{name}: command help")
        for p in cmd.params:
            if isinstance(p, click.Option) and p.help and p.name != "help":
                head = p.help.split("/")[0]
                if not cjk.search(head):
                    missing.append(f"{name} {p.opts[0]}")
    assert not missing, missing


def test_uncertainty_writes_the_tables_and_the_same_seed_gives_the_same_numbers(tmp_path):
    runner = CliRunner()
    for out in ("a", "b"):
        res = runner.invoke(main, ["uncertainty", REFORM, "--draws", "64", "--seed", "3", "--out",
                                   str(tmp_path / out)])
        assert res.exit_code == 0, res.output
    assert "名义名次" in res.output and "Sobol" in res.output
    a, b = (pd.read_csv(tmp_path / d / "rank_intervals.csv", encoding="utf-8-sig") for d in ("a", "b"))
    pd.testing.assert_frame_equal(a, b)
    assert {"nominal_rank", "median_rank", "q05", "q95", "p_优秀"} <= set(a.columns)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text("utf-8"))
    assert manifest["seed"] == 3 and manifest["draws"] == 64


@pytest.mark.parametrize("args, words", [(["--spread", "1.5"], "--spread"), (["--draws", "1"], "--draws"),
                                         (["--noise", "0"], "--noise")])
def test_uncertainty_nonsense_settings_are_refused(tmp_path, args, words):
    res = CliRunner().invoke(main, ["uncertainty", REFORM, *args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_fairness_tenure_adds_the_false_and_missed_accountability_rows(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["fairness", str(SCENARIOS / "yiyang_2018_reform.yaml"),
                                    str(SCENARIOS / "reform_stable.yaml"), "--tenure", "5", "--boot", "0",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "任期内误问责率" in res.output and "任期内漏问责率" in res.output
    table = pd.read_csv(out / "fairness.csv")
    rows = table[(table["metric"] == "false_accountability") & (table["group"] == "区县市")]
    assert len(rows) == 1
    reform, stable = rows.iloc[0][["益阳2018改革方案", "改革方案·稳定版"]]
    assert stable < reform  # the stabilised rules hold fewer leaders accountable who are not at the bottom


def test_compare_prints_the_decomposition_for_people(tmp_path):
    res = CliRunner().invoke(main, ["compare", str(SCENARIOS / "legacy_totals.yaml"),
                                    str(SCENARIOS / "yiyang_2018_reform.yaml"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    section = res.output.split("分步分解")[1]
    assert "结果运用·绩效奖金·奖金池" in section and "-40,490,000" in section  # in words, money with separators
    assert "consequences.bonus.pool" not in section  # the machine path stays in the workbook's sheet
