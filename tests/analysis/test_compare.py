"""Comparing two scenarios: no change against itself, the decomposition adds up, rank correlations, and the
CSV and Excel files written by ``simkit compare`` (unit names that look like formulas stay text).
"""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import kendalltau, spearmanr

import simkit
from simkit.analysis.compare import (
    MONEY_BANDS,
    RANK_BANDS,
    decomposition_by_unit,
    rank_agreement,
    unit_changes,
    winners_and_losers,
)
from simkit.cli import main
from simkit.io.write import MANIFEST_SHEET
from simkit.present.labels import COMPARISON_HEADERS
from simkit.present.tables import decomposition_table

from ..conftest import ROOT, SCENARIOS

REFORM = str(SCENARIOS / "yiyang_2018_reform.yaml")
LEGACY = str(SCENARIOS / "legacy_totals.yaml")


@pytest.fixture(scope="module")
def legacy_vs_reform(legacy, reform, data):
    return simkit.compare(legacy, reform, data)


# =============================================================================================== no change
@pytest.mark.parametrize("which", ["reform", "legacy"])
def test_a_scenario_compared_with_itself_shows_no_change(which, request, data):
    s = request.getfixturevalue(which)
    c = simkit.compare(s, s, data)
    u = c.units
    assert len(u) == len(data.units)
    assert (u["rank_change"] == 0).all()
    assert (u["rank_base"] == u["rank_reform"]).all()
    assert (u["grade_base"] == u["grade_reform"]).all()
    assert (u["payout_change"] == 0).all()
    assert (u["payout_change_pct"] == 0).all()
    assert (u["score_base"] == u["score_reform"]).all()
    assert (u["slots_base"] == u["slots_reform"]).all()
    assert c.summary["kendall_tau"] == pytest.approx(1.0, abs=1e-12)
    assert c.summary["spearman_rho"] == pytest.approx(1.0, abs=1e-12)
    assert c.summary["units_moving_rank"] == 0 and c.summary["units_changing_grade"] == 0
    assert c.summary["paid_difference"] == 0
    assert c.summary["paid_base"] == c.summary["paid_reform"]
    assert c.decomposition.empty
    assert decomposition_by_unit(s, s, data, None).empty
    assert (u["rank_band"] == "no change").all() and (u["money_band"] == "no change").all()
    for measure in ("rank", "money"):
        b = c.bands[c.bands["measure"] == measure].set_index("band")
        assert b.at["no change", "units"] == len(u) and b.at["no change", "share"] == 1.0
        assert (b.drop(index="no change")["units"] == 0).all()


# ========================================================================================== decomposition
def test_decomposition_adds_up_to_the_paid_difference(legacy_vs_reform):
    c = legacy_vs_reform
    d = c.decomposition
    assert len(d) >= 2  # several parts change between the legacy rules and the reform
    assert d["payout_change_total"].sum() == pytest.approx(c.summary["paid_difference"], abs=1e-6)
    assert c.summary["paid_difference"] == pytest.approx(c.summary["paid_reform"] - c.summary["paid_base"])
    assert c.units["payout_change"].sum() == pytest.approx(c.summary["paid_difference"], abs=1e-6)
    assert d["step"].tolist() == list(range(1, len(d) + 1))
    # parts switched in the stated order, each named in Chinese too
    assert d["part"].str.contains("consequences").any()
    assert (decomposition_table(c)["part_zh"] != "").all()


def test_decomposition_by_unit_adds_up_to_each_units_change(legacy, reform, data, legacy_vs_reform):
    steps = decomposition_by_unit(legacy, reform, data, None)
    assert steps["part"].nunique() == len(legacy_vs_reform.decomposition)
    total = steps.groupby("unit")[["payout_change", "score_change", "rank_change"]].sum()
    u = legacy_vs_reform.units.set_index("unit")
    total = total.loc[u.index]
    np.testing.assert_allclose(total["payout_change"], u["payout_change"], atol=1e-6)
    np.testing.assert_allclose(total["score_change"], u["score_reform"] - u["score_base"], atol=1e-9)
    np.testing.assert_array_equal(total["rank_change"].astype(int), u["rank_change"].astype(int))


def test_rank_change_is_base_minus_reform(legacy_vs_reform):
    u = legacy_vs_reform.units
    np.testing.assert_array_equal(u["rank_change"].astype(int),
                                  (u["rank_base"] - u["rank_reform"]).astype(int))
    # 大通湖区 is last of 8 under the legacy rules and first under the reform: up 8 − 1 = 7 places
    dth = u.set_index("unit").loc["DTH"]
    assert (dth["rank_base"], dth["rank_reform"], dth["rank_change"]) == (8, 1, 7)
    assert dth["rank_band"] == "up ≥3"
    # every unit moving up has a better (smaller) rank under the reform
    up = u[u["rank_change"] > 0]
    assert (up["rank_reform"] < up["rank_base"]).all()


def test_payout_change_and_money_bands(legacy_vs_reform):
    u = legacy_vs_reform.units
    np.testing.assert_allclose(u["payout_change"], u["payout_reform"] - u["payout_base"])
    np.testing.assert_allclose(u["payout_change_pct"], u["payout_change"] / u["payout_base"])
    for label, lo, hi in MONEY_BANDS:
        sel = u[u["money_band"] == label]["payout_change_pct"]
        assert sel.between(lo, hi).all()


def test_winners_and_losers_shares_sum_to_one(legacy_vs_reform):
    bands = legacy_vs_reform.bands
    n = len(legacy_vs_reform.units)
    for measure, labels in (("rank", RANK_BANDS), ("money", MONEY_BANDS)):
        part = bands[bands["measure"] == measure]
        assert part["band"].tolist() == [label for label, _, _ in labels]
        assert part["share"].sum() == pytest.approx(1.0)
        assert part["units"].sum() == n
        np.testing.assert_allclose(part["share"], part["units"] / n)


def test_winners_and_losers_by_hand():
    changes = pd.DataFrame({
        "rank_band": ["up ≥3", "up 1–2", "up 1–2", "no change", "down ≥3"],
        "money_band": ["gain >5%", "gain >5%", "lose ≤5%", "no change", "lose >5%"],
    })
    b = winners_and_losers(changes).set_index(["measure", "band"])
    # rank: 1, 2, 1, 0, 1 of 5 → 0.2, 0.4, 0.2, 0, 0.2
    assert b.loc["rank", "units"].tolist() == [1, 2, 1, 0, 1]
    np.testing.assert_allclose(b.loc["rank", "share"], [0.2, 0.4, 0.2, 0.0, 0.2])
    # money: gain >5% 2, gain ≤5% 0, no change 1, lose ≤5% 1, lose >5% 1
    assert b.loc["money", "units"].tolist() == [2, 0, 1, 1, 1]


# ============================================================================================ correlation
def fake(ranks: list[int], groups: list[str]) -> SimpleNamespace:
    n = len(ranks)
    units = pd.DataFrame({"unit": [f"U{k}" for k in range(n)], "name": [f"单位{k}" for k in range(n)],
                          "group": groups, "rank": pd.array(ranks, dtype="Int64"),
                          "grade": ["一般"] * n, "score": np.arange(n, dtype=float)})
    return SimpleNamespace(units=units)


def test_kendall_and_spearman_by_hand_and_against_scipy():
    base = [1, 2, 3, 4, 5]
    reform = [2, 1, 3, 5, 4]
    # 10 pairs; discordant: (U0, U1) and (U3, U4) → tau = (8 − 2) / 10 = 0.6
    # d = −1, 1, 0, −1, 1 → Σd² = 4 → rho = 1 − 6·4 / (5·(25 − 1)) = 1 − 24/120 = 0.8
    got = rank_agreement(fake(base, ["G"] * 5), fake(reform, ["G"] * 5))
    assert got["kendall_tau"] == pytest.approx(0.6)
    assert got["spearman_rho"] == pytest.approx(0.8)
    assert got["kendall_tau"] == pytest.approx(kendalltau(base, reform).statistic)
    assert got["spearman_rho"] == pytest.approx(spearmanr(base, reform).statistic)


def test_rank_correlation_pooled_over_groups_by_size():
    groups = ["G1"] * 5 + ["G2"] * 3
    base = [1, 2, 3, 4, 5, 1, 2, 3]  # G1, then G2
    reform = [2, 1, 3, 5, 4, 3, 2, 1]
    got = rank_agreement(fake(base, groups), fake(reform, groups))
    # G1: tau 0.6, rho 0.8 (above); G2 reversed: tau −1, rho −1
    # weighted by size: tau = (5·0.6 + 3·(−1)) / 8 = 0; rho = (5·0.8 + 3·(−1)) / 8 = 1/8
    assert got["kendall_tau"] == pytest.approx(0.0, abs=1e-12)
    assert got["spearman_rho"] == pytest.approx(0.125)


def test_rank_correlation_with_ties_matches_scipy():
    base = [1, 2, 2, 4, 5, 6]
    reform = [1, 3, 2, 2, 6, 5]
    got = rank_agreement(fake(base, ["G"] * 6), fake(reform, ["G"] * 6))
    assert got["kendall_tau"] == pytest.approx(kendalltau(base, reform).statistic)  # tau-b with ties
    assert got["spearman_rho"] == pytest.approx(spearmanr(base, reform).statistic)


def test_unit_changes_by_hand():
    base, reform = fake([1, 2, 3], ["G"] * 3), fake([3, 1, 2], ["G"] * 3)
    base.units["payout"] = [1200, 1000, 800]
    reform.units["payout"] = [900, 1100, 800]
    c = unit_changes(base, reform).set_index("unit")
    assert c["rank_change"].tolist() == [-2, 1, 1]  # 1 − 3, 2 − 1, 3 − 2
    assert c["payout_change"].tolist() == [-300, 100, 0]
    np.testing.assert_allclose(c["payout_change_pct"], [-0.25, 0.1, 0.0])  # −300/1200, 100/1000, 0
    assert c["rank_band"].tolist() == ["down 1–2", "up 1–2", "up 1–2"]
    assert c["money_band"].tolist() == ["lose >5%", "gain >5%", "no change"]


# ================================================================================================== files
TRICKY = {"HS": '=HYPERLINK("http://x","y")', "ZY": "+86", "YJ": "-1", "NX": "@SUM(A1)"}


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compare")
    data = tmp / "yiyang"
    shutil.copytree(ROOT / "simkit" / "datasets" / "yiyang", data)
    units = pd.read_csv(data / "units.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for unit, name in TRICKY.items():
        units.loc[units["unit"] == unit, "name"] = name
    units.to_csv(data / "units.csv", index=False, encoding="utf-8")
    out = tmp / "out"
    result = CliRunner().invoke(main, ["compare", LEGACY, REFORM, "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_compare_writes_its_files(compare_run):
    for name in ("comparison.csv", "comparison.xlsx", "results_base.csv", "results_reform.csv", "manifest.json"):
        assert (compare_run / name).exists(), name
    assert not [p for p in compare_run.iterdir() if p.name.startswith(".simkit-")]  # no temporary folder left


def test_comparison_csv_columns_and_formula_like_names_are_text(compare_run):
    df = pd.read_csv(compare_run / "comparison.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(df.columns[:11]) == ["unit", "name", "group", "rank_base", "rank_reform", "rank_change",
                                     "grade_base", "grade_reform", "payout_base", "payout_reform", "payout_change"]
    names = df.set_index("unit")["name"]
    for unit, name in TRICKY.items():
        assert names[unit] == "'" + name
    assert names["TJ"] == "桃江县"  # an ordinary name is left alone
    # numbers are not touched: a negative rank change is written as a number
    assert (df["rank_change"].astype(int) < 0).any()


def test_excel_report_opens_and_holds_no_formula(compare_run):
    wb = openpyxl.load_workbook(compare_run / "comparison.xlsx")
    assert MANIFEST_SHEET in wb.sheetnames
    assert len(wb.sheetnames) >= 2
    for ws in wb.worksheets:
        for cells in ws.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), (ws.title, cell.coordinate, cell.value)


def comparison_sheet(path) -> tuple[openpyxl.worksheet.worksheet.Worksheet, dict[str, int]]:
    wb = openpyxl.load_workbook(path)
    ws = next(ws for ws in wb.worksheets if "Comparison" in ws.title)
    cols = {str(c.value).split("\n")[-1]: c.column for c in ws[1]}
    return ws, cols


def test_excel_formula_like_names_are_text(compare_run):
    ws, cols = comparison_sheet(compare_run / "comparison.xlsx")
    names = {ws.cell(r, cols["unit"]).value: ws.cell(r, cols["name"]) for r in range(2, ws.max_row + 1)}
    for unit, name in TRICKY.items():
        cell = names[unit]
        assert cell.data_type == "s"
        assert cell.value == "'" + name
    # the base and reform sheets carry the names too, neutralised the same way
    wb = openpyxl.load_workbook(compare_run / "comparison.xlsx")
    for title in ("基准 Base", "改革 Reform"):
        ws2 = wb[title]
        head = {str(c.value).split("\n")[-1]: c.column for c in ws2[1]}
        got = {ws2.cell(r, head["unit"]).value: ws2.cell(r, head["name"]).value for r in range(2, ws2.max_row + 1)}
        for unit, name in TRICKY.items():
            assert got[unit] == "'" + name


def test_excel_headers_in_chinese_and_english_and_frozen(compare_run):
    ws, _ = comparison_sheet(compare_run / "comparison.xlsx")
    assert ws.freeze_panes == "A2"
    header = {c.value.split("\n")[-1]: c.value for c in ws[1]}
    assert header["rank_change"] == "名次变化(上升为正)\nrank_change"
    assert header["payout_change"] == "奖金变化(元)\npayout_change"
    for english, text in header.items():
        if english in COMPARISON_HEADERS:
            assert text == f"{COMPARISON_HEADERS[english]}\n{english}"
    manifest = openpyxl.load_workbook(compare_run / "comparison.xlsx")[MANIFEST_SHEET]
    keys = [manifest.cell(r, 1).value for r in range(2, manifest.max_row + 1)]
    assert {"simkit_version", "scenario", "data", "year", "base_scenario"} <= set(keys)


def test_excel_up_and_down_colours_differ(compare_run):
    ws, cols = comparison_sheet(compare_run / "comparison.xlsx")
    cells = [ws.cell(r, cols["rank_change"]) for r in range(2, ws.max_row + 1)]
    up = next(c for c in cells if c.value > 0)
    down = next(c for c in cells if c.value < 0)
    same = next(c for c in cells if c.value == 0)
    assert up.data_type == "n" and down.data_type == "n"
    assert up.fill.fill_type == "solid" and down.fill.fill_type == "solid"
    assert up.fill.fgColor.rgb != down.fill.fgColor.rgb
    assert up.font.color.rgb != down.font.color.rgb
    assert same.fill.fill_type is None  # no change: no colour
    # payout_change is coloured the same way
    pay = [ws.cell(r, cols["payout_change"]) for r in range(2, ws.max_row + 1)]
    gain = next(c for c in pay if c.value > 0)
    loss = next(c for c in pay if c.value < 0)
    assert gain.fill.fgColor.rgb == up.fill.fgColor.rgb and loss.fill.fgColor.rgb == down.fill.fgColor.rgb


def test_unit_paid_nothing_under_the_base_is_still_in_a_money_band(reform, data):
    # the same reform, but a veto pays nothing: D20 (vetoed in 2018) gets 0 under the base, > 0 under the reform
    doc = reform.to_dict()
    doc["consequences"]["veto"]["bonus"] = "nothing"
    base = simkit.Scenario.model_validate(doc)
    c = simkit.compare(base, reform, data)
    d20 = c.units.set_index("unit").loc["D20"]
    assert d20["payout_base"] == 0 and d20["payout_reform"] > 0
    assert np.isnan(d20["payout_change_pct"])  # no percentage change from zero
    assert d20["money_band"] == "gain >5%"  # but a gain from nothing is a gain of more than 5%
    money = c.bands[c.bands["measure"] == "money"]
    assert money["units"].sum() == len(c.units) and money["share"].sum() == pytest.approx(1.0)


def test_unit_changes_from_nothing_to_nothing_is_no_change():
    base, reform = fake([1, 2], ["G"] * 2), fake([1, 2], ["G"] * 2)
    base.units["payout"] = [0, 0]
    reform.units["payout"] = [0, 500]
    c = unit_changes(base, reform).set_index("unit")
    assert c["money_band"].tolist() == ["no change", "gain >5%"]  # 0 → 0; 0 → 500
