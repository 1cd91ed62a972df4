"""``simkit audit``: the per-unit best moves and the index printed, audit.csv and audit_best.csv written with a
manifest; bad --out and an unknown scenario end with exit code 2 and no traceback."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from simkit.cli import main

from ..conftest import ROOT

REFORM = str(ROOT / "scenarios" / "yiyang_2018_reform.yaml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "out"
    proc = subprocess.run([sys.executable, "-m", "simkit.cli", "audit", "yiyang_2018_reform", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    return proc, out


def test_audit_prints_the_best_moves_and_the_index_and_writes_the_files(written):
    proc, out = written
    assert proc.returncode == 0, proc.stderr
    assert "红队测试" in proc.stdout and "资阳区" in proc.stdout and "可操纵指数" in proc.stdout
    assert "合成数据" in proc.stdout
    assert {p.name for p in out.iterdir()} == {"audit.csv", "audit_best.csv", "manifest.json"}
    moves = pd.read_csv(out / "audit.csv", encoding="utf-8-sig")
    best = pd.read_csv(out / "audit_best.csv", encoding="utf-8-sig")
    assert {"unit", "kind", "move", "move_en", "cost", "rank_before", "rank_after", "grade_before", "grade_after",
            "gain_yuan", "net_yuan", "improves"} <= set(moves.columns)
    assert set(moves["kind"]) == {"withhold", "hold_back", "shift", "category"}
    assert len(best) == 56 and best["data_note"].str.contains("合成数据").all()
    assert not moves.loc[moves["kind"] == "withhold", "improves"].any()  # missing: {policy: zero}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert 0.0 <= manifest["index"]["index"] <= 1.0 and manifest["settings"]["cost_cap"] == 0.05
    assert manifest["year"] == 2018 and len(manifest["scenario"]["sha256"]) == 64
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_audit_in_english(tmp_path):
    res = invoke("audit", "yiyang_2018_reform", "--out", str(tmp_path / "out"), "--lang", "en", "--candidates", "1")
    assert res.exit_code == 0, res.output
    assert "Cheapest profitable moves" in res.output and "Ziyang District" in res.output
    assert "Manipulability index" in res.output and "manipulability index (share of units)" in res.output


def test_audit_into_an_input_folder_is_refused_before_any_work(tmp_path):
    mydata = tmp_path / "mydata"
    shutil.copytree(ROOT / "simkit" / "datasets" / "yiyang", mydata)
    before = {p.name: p.read_bytes() for p in sorted(mydata.iterdir())}
    res = invoke("audit", REFORM, "--data", str(mydata), "--out", str(mydata))
    assert res.exit_code == 2 and "input folder" in res.output
    assert "Traceback" not in res.output
    assert {p.name: p.read_bytes() for p in sorted(mydata.iterdir())} == before


def test_an_unknown_scenario_ends_with_exit_code_2(tmp_path):
    res = invoke("audit", "no_such_scenario", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "no_such_scenario" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_audit_help_is_bilingual():
    res = invoke("audit", "--help")
    assert res.exit_code == 0 and "红队测试" in res.output and "Manipulability" in res.output
    assert "--out" in res.output and "--lang" in res.output and "--year" in res.output
