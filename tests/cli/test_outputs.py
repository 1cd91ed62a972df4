"""Nothing is lost: --out never overwrites the inputs, is checked before any work, and an output set is
replaced whole or not at all, with a manifest listing every file and its hash."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from simkit.cli import main

from ..conftest import ROOT

REFORM = str(ROOT / "scenarios" / "yiyang_2018_reform.yaml")


@pytest.fixture()
def mydata(tmp_path):
    d = tmp_path / "mydata"
    shutil.copytree(ROOT / "simkit" / "datasets" / "yiyang", d)
    return d


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_out_into_the_data_folder_is_refused_before_any_work(mydata):
    before = snapshot(mydata)
    res = invoke("run", REFORM, "--data", str(mydata), "--out", str(mydata))
    assert res.exit_code == 2 and "input folder" in res.output and "Fix:" in res.output
    assert "Traceback" not in res.output and snapshot(mydata) == before
    res = invoke("run", REFORM, "--data", str(mydata), "--out", str(mydata / "sub"))
    assert res.exit_code == 2 and not (mydata / "sub").exists()


def test_out_holding_an_input_file_is_refused(tmp_path):
    sc = tmp_path / "my.yaml"
    shutil.copy(REFORM, sc)
    res = invoke("run", str(sc), "--out", str(tmp_path))
    assert res.exit_code == 2 and "holds the input" in res.output


def test_out_with_files_simkit_did_not_write_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    res = invoke("run", REFORM, "--out", str(out))
    assert res.exit_code == 2 and "notes.txt" in res.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_output_set_is_replaced_whole_and_listed_with_hashes(tmp_path):
    out = tmp_path / "out"
    assert invoke("compare", "legacy_totals", "yiyang_2018_reform", "--out", str(out)).exit_code == 0
    first = {p.name for p in out.iterdir()}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) | {"manifest.json"} == first
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    # a run with other outputs replaces the set: no comparison files are left beside the new results
    assert invoke("run", REFORM, "--out", str(out)).exit_code == 0
    assert {p.name for p in out.iterdir()} == {"results.csv", "indicators.csv", "manifest.json"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder survives


def test_a_failed_run_leaves_the_old_set_as_it_was(tmp_path, mydata):
    out = tmp_path / "out"
    assert invoke("run", REFORM, "--out", str(out)).exit_code == 0
    before = snapshot(out)
    (mydata / "units.csv").write_text("unit,name\n", encoding="utf-8")  # broken data
    res = invoke("run", REFORM, "--data", str(mydata), "--out", str(out))
    assert res.exit_code == 2 and snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_single_files_say_what_is_wrong(tmp_path):
    res = invoke("schema", "--out", str(tmp_path / "nofolder" / "x.json"))
    assert res.exit_code == 2 and "does not exist" in res.output and "Traceback" not in res.output
    res = invoke("template", str(tmp_path))
    assert res.exit_code == 2 and "Fix:" in res.output
    book = tmp_path / "data.xlsx"
    assert invoke("template", str(book)).exit_code == 0
    res = invoke("template", str(book))  # it could be the user's filled workbook
    assert res.exit_code == 2 and "already exists" in res.output


def test_a_negative_bootstrap_count_is_refused(tmp_path):
    res = invoke("fairness", "legacy_totals", "--boot", "-3", "--out", str(tmp_path / "f"))
    assert res.exit_code == 2 and "--boot" in res.output and not (tmp_path / "f").exists()
