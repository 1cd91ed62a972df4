"""The target review (会审) and equal-difficulty targets (simkit.analysis.targets_review, simkit.present.targets),
on a small hand-made example and on the bundled data.

Data: A, B, C in group G, D alone in H; years 2014–2018, reviewed in 2018 (last year = 2017).

x (higher is better, assigned target, level):
    unit  2014  2015  2016    2017    | target 2018   asks (G = q / x2017)   3-yr average
    A      100   110  115.5  132.825  | 199.2375      1.5  (+50%)           119.4417
    B       50    50   50      50     |  45           0.9  (−10%)            50
    C       10    12   14.4    17.28  |  19.008       1.1  (+10%)            14.56
    D       10    11   12      13     |  (none)
  growth ratios 2015–2017: A 1.1, 1.05, 1.15; B 1, 1, 1; C 1.2, 1.2, 1.2 → the group's achieved growth, pooled:
  0, 0, 0, 5, 10, 15, 20, 20, 20 (%).  Percentile = (below + ½ equal) / 9: A +50% → 100 (harder); B −10% → 0
  (softer, and below last year); C +10% → (4 + ½)/9 = 50.  Assigned against the 3-year average: A +66.8% and
  C +30.5% (flagged, margin 20%), B −10% (not).

z (lower is better, baseline of 3 years, level): A 40, 38, 39, 36 → target 37.667 above 36 (flagged);
B 20 flat → 20 (not flagged); C 30, 28, 26, 24 → 26 above 24 (flagged).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import norm

import simkit
from simkit.analysis.targets_review import (
    as_level,
    difficulty_spread,
    equal_difficulty_ratio,
    equal_difficulty_scenario,
    equal_difficulty_targets,
    from_level,
    own_growth,
    p_meet,
    review_targets,
    with_targets,
)
from simkit.cli import main
from simkit.errors import SimkitError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.present.targets import review_table, targets_report, with_sign_off

from ..conftest import SCENARIOS

YEARS = [2014, 2015, 2016, 2017, 2018]
X = {"A": [100, 110, 115.5, 132.825, 140], "B": [50, 50, 50, 50, 50], "C": [10, 12, 14.4, 17.28, 20],
     "D": [10, 11, 12, 13, 14]}
Z = {"A": [40, 38, 39, 36, 35], "B": [20, 20, 20, 20, 20], "C": [30, 28, 26, 24, 23], "D": [5, 5, 5, 5, 5]}
X_TARGET = {"A": 199.2375, "B": 45, "C": 19.008}


def table(rows, cols):
    return pd.DataFrame([[str(c) for c in r] for r in rows], columns=cols)


def make_data(targets=X_TARGET) -> simkit.Dataset:
    units = table([["A", "甲", "G"], ["B", "乙", "G"], ["C", "丙", "G"], ["D", "丁", "H"]], ["unit", "name", "group"])
    indicators = table([["x", "指标x", "1"], ["z", "指标z", "-1"]], ["indicator", "name", "direction"])
    obs = [[u, ind, y, v] for ind, vals in (("x", X), ("z", Z)) for u, vs in vals.items()
           for y, v in zip(YEARS, vs, strict=True)]
    return build_dataset({"units": units, "indicators": indicators,
                          "observations": table(obs, ["unit", "indicator", "year", "value"]),
                          "targets": table([[u, "x", 2018, t] for u, t in targets.items()],
                                           ["unit", "indicator", "year", "target"])})


def make_scenario() -> simkit.Scenario:
    return scenario_from_dict({
        "name": "review-test", "weights": {"mode": "points", "values": {"x": 50, "z": 50}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "baseline", "years": 3},
                     "scoring": {"rule": "completion", "cap": 1.2}},
        "indicators": {"x": {"target": {"rule": "assigned"}}},
    })


@pytest.fixture(scope="module")
def review():
    return review_targets(make_scenario(), make_data(), 2018).set_index(["unit", "indicator", "measure"])


# ------------------------------------------------------------------------------------------- the model
def test_own_growth_is_the_mean_and_sd_of_log_growth():
    mu, sd, n, ratio = own_growth(np.array(X["A"], dtype=float), 4)
    logs = [math.log(1.1), math.log(1.05), math.log(1.15)]
    assert mu == pytest.approx(np.mean(logs)) and sd == pytest.approx(np.std(logs, ddof=1)) and n == 3
    assert ratio.tolist() == pytest.approx([1.1, 1.05, 1.15])
    # one growth only: no volatility
    _, sd1, n1, _ = own_growth(np.array([10.0, 11.0]), 2)
    assert n1 == 1 and np.isnan(sd1)


def test_p_meet_closed_form():
    # log growth N(0.05, 0.02²): asking exp(0.05) is met half the time, exp(0.07) with 1 − Φ(1)
    assert p_meet(np.exp(0.05), 0.05, 0.02, 1) == pytest.approx(0.5)
    assert p_meet(np.exp(0.07), 0.05, 0.02, 1) == pytest.approx(1 - norm.cdf(1.0))
    assert p_meet(np.exp(0.07), 0.05, 0.02, -1) == pytest.approx(norm.cdf(1.0))
    assert p_meet(-1.0, 0.05, 0.02, 1) == 1.0 and p_meet(-1.0, 0.05, 0.02, -1) == 0.0
    assert p_meet(1.1, np.log(1.2), 0.0, 1) == 1.0 and p_meet(1.3, np.log(1.2), 0.0, 1) == 0.0
    assert np.isnan(p_meet(1.1, 0.05, np.nan, 1))


def test_measures_as_levels():
    assert as_level(5.0, 100.0, "increment") == 105.0 and as_level(0.1, 100.0, "growth") == pytest.approx(110.0)
    assert from_level(110.0, 100.0, "growth") == pytest.approx(0.1) and from_level(110.0, 100.0, "increment") == 10


# ------------------------------------------------------------------------------------------- the flags
def test_a_target_below_last_year_is_flagged(review):
    b = review.loc[("B", "x", "level")]
    assert b["implied_growth"] == pytest.approx(-0.1) and b["flag_below_last"] and "below_last" in b["flags"]
    assert not review.loc[("A", "x", "level"), "flag_below_last"]


def test_a_lower_is_better_target_above_last_year_is_flagged(review):
    a = review.loc[("A", "z", "level")]
    assert a["target"] == pytest.approx((38 + 39 + 36) / 3) and a["flag_below_last"]
    assert a["implied_growth"] == pytest.approx(-((38 + 39 + 36) / 3 / 36 - 1))  # in the good direction
    assert review.loc[("C", "z", "level"), "flag_below_last"]
    assert not review.loc[("B", "z", "level"), "flag_below_last"]  # equal to last year is not below


def test_far_softer_or_harder_than_the_group(review):
    assert review.loc[("A", "x", "level"), "group_percentile"] == 100.0
    assert review.loc[("B", "x", "level"), "group_percentile"] == 0.0
    assert review.loc[("C", "x", "level"), "group_percentile"] == pytest.approx(100 * 4.5 / 9)
    assert review.loc[("A", "x", "level"), "flag_harder"] and review.loc[("B", "x", "level"), "flag_softer"]
    c = review.loc[("C", "x", "level")]
    assert not c["flag_softer"] and not c["flag_harder"]


def test_an_assigned_target_far_from_the_baseline_rule(review):
    a, b, c = (review.loc[(u, "x", "level")] for u in "ABC")
    assert a["baseline_target"] == pytest.approx((110 + 115.5 + 132.825) / 3)
    assert a["assigned_gap"] == pytest.approx(199.2375 / ((110 + 115.5 + 132.825) / 3) - 1)
    assert c["assigned_gap"] == pytest.approx(19.008 / 14.56 - 1)
    assert b["assigned_gap"] == pytest.approx(-0.1)
    assert a["flag_assigned_gap"] and c["flag_assigned_gap"] and not b["flag_assigned_gap"]
    assert np.isnan(review.loc[("A", "z", "level"), "assigned_gap"])  # not an assigned target


def test_a_missing_target_is_flagged(review):
    d = review.loc[("D", "x", "level")]
    assert d["flag_missing"] and d["flags"] == "missing" and np.isnan(d["target"])


def test_probabilities_of_meeting_the_target(review):
    logs = [math.log(1.1), math.log(1.05), math.log(1.15)]
    mu, sd = np.mean(logs), np.std(logs, ddof=1)
    a = review.loc[("A", "x", "level")]
    assert a["trend"] == pytest.approx(mu) and a["volatility"] == pytest.approx(sd)
    assert a["p_meet"] == pytest.approx(1 - norm.cdf((math.log(1.5) - mu) / sd))
    assert a["p_meet_past"] == 0.0  # no past year grew 50%
    c = review.loc[("C", "x", "level")]
    assert c["p_meet"] == 1.0 and c["p_meet_past"] == 1.0  # 20% every year (σ = 0) against 10% asked
    assert bool(c["met"]) is True  # 2018: 20 ≥ 19.008


def test_options_are_checked():
    for kwargs, field in (({"percentile": (90, 10)}, "percentile"), ({"margin": -1}, "margin"),
                          ({"trend_years": 0}, "trend_years")):
        with pytest.raises(SimkitError, match=field):
            review_targets(make_scenario(), make_data(), 2018, **kwargs)
    with pytest.raises(SimkitError, match="no last year"):
        review_targets(make_scenario(), make_data(), 2014)


def test_reasons_in_two_languages_and_a_sign_off(review):
    raw = review_targets(make_scenario(), make_data(), 2018)
    t = review_table(raw)
    b = t[(t["unit"] == "B") & (t["indicator"] == "x")].iloc[0]
    assert b["reason_zh"].startswith("目标45.00低于上年实际值50.00") and "明显偏松" in b["reason_zh"]
    assert "below last year's value 50.00" in b["reason_en"] and "far softer" in b["reason_en"]
    d = t[(t["unit"] == "D") & (t["indicator"] == "x")].iloc[0]
    assert d["reason_zh"].startswith("未设定目标") and d["flags"] == "缺目标"
    signed = with_sign_off(t)
    assert signed.iloc[-2, 0].startswith("审核人") and signed.iloc[-1, 0].startswith("日期")
    report = targets_report(raw, make_data())
    assert report.files == ["targets_review.csv", "targets_review.xlsx"]
    assert "审核人 Reviewer：____________" in report.sheets["会审表 Review"].iloc[:, 0].tolist()


# ------------------------------------------------------------------------------------------- equal difficulty
def test_equal_difficulty_closed_form():
    # log growth N(μ, σ²): the target ratio met with p is exp(μ + σ·Φ⁻¹(1 − p)); lower-is-better exp(μ + σ·Φ⁻¹(p))
    g = equal_difficulty_ratio(0.05, 0.02, 0.6, 1.0)
    assert g == pytest.approx(math.exp(0.05 + 0.02 * norm.ppf(0.4)))
    assert p_meet(g, 0.05, 0.02, 1.0) == pytest.approx(0.6)
    low = equal_difficulty_ratio(0.05, 0.02, 0.6, -1.0)
    assert low == pytest.approx(math.exp(0.05 + 0.02 * norm.ppf(0.6))) and p_meet(low, 0.05, 0.02, -1.0) == \
        pytest.approx(0.6)


def test_equal_difficulty_targets_on_the_example():
    t = equal_difficulty_targets(make_scenario(), make_data(), 2018, 0.6).set_index(["unit", "indicator"])
    logs = [math.log(1.1), math.log(1.05), math.log(1.15)]
    mu, sd = np.mean(logs), np.std(logs, ddof=1)
    assert t.loc[("A", "x"), "target"] == pytest.approx(132.825 * math.exp(mu + sd * norm.ppf(0.4)))
    assert t.loc[("A", "x"), "p_after"] == pytest.approx(0.6)
    assert t.loc[("A", "x"), "p_before"] == pytest.approx(1 - norm.cdf((math.log(1.5) - mu) / sd))
    zl = [math.log(38 / 40), math.log(39 / 38), math.log(36 / 39)]
    assert t.loc[("A", "z"), "target"] == pytest.approx(36 * math.exp(np.mean(zl) + np.std(zl, ddof=1) * norm.ppf(0.6)))
    assert t.loc[("A", "z"), "p_after"] == pytest.approx(0.6)
    # B and C have no volatility (σ = 0): the target is their trend, met for sure, not with 0.6
    assert t.loc[("C", "x"), "target"] == pytest.approx(17.28 * 1.2) and t.loc[("C", "x"), "p_after"] == 1.0


def test_equal_difficulty_bad_input():
    for p in (0, 1, 1.5, -0.1):
        with pytest.raises(SimkitError, match="between 0 and 1"):
            equal_difficulty_targets(make_scenario(), make_data(), 2018, p)
    with pytest.raises(SimkitError, match="no indicator 'nope'"):
        equal_difficulty_targets(make_scenario(), make_data(), 2018, 0.6, ["nope"])
    with pytest.raises(SimkitError, match="no measure"):
        equal_difficulty_targets(make_scenario(), make_data(), 2018, 0.6, measure="total")


# ------------------------------------------------------------------------------------------- the bundled data
@pytest.fixture(scope="module")
def bundled():
    sc = simkit.load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")
    data = simkit.load_data()
    return sc, data, review_targets(sc, data, 2018)


def test_heshan_export_target_is_below_last_year(bundled):
    _, _, r = bundled
    hs = r[(r["unit"] == "HS") & (r["indicator"] == "export")]
    assert len(hs) == 2 and hs["flag_below_last"].all()  # both the increment and the growth target
    # 2015–2017 exports 11.79, 12.02, 12.66 after 13.88: growth target = mean growth · (1 + 5% of its size)
    g = np.mean([11.79 / 13.88 - 1, 12.02 / 11.79 - 1, 12.66 / 12.02 - 1])
    assert hs.set_index("measure").loc["growth", "target"] == pytest.approx(g + abs(g) * 0.05)
    assert (hs["target_level"] < 12.66).all()


def test_equal_difficulty_evens_out_p_meet_within_the_counties(bundled):
    sc, data, r = bundled
    before = difficulty_spread(r[r["group"] == "区县市"])
    eq = equal_difficulty_targets(sc, data, 2018, 0.6)
    counties = eq[eq["group"] == "区县市"]
    after = review_targets(equal_difficulty_scenario(sc, counties), with_targets(data, counties), 2018)
    spread = difficulty_spread(after[after["group"] == "区县市"])
    assert len(spread) == 29 and (spread["spread"] <= 0.05).all()
    assert before["spread"].max() > 0.5  # the 3-year-average rule's targets are far from equal difficulty
    assert list(counties.columns[:4]) == ["unit", "indicator", "year", "target"]


def test_cli_targets_writes_the_review(tmp_path):
    res = CliRunner().invoke(main, ["targets", str(SCENARIOS / "yiyang_2018_reform.yaml"), "--year", "2018",
                                    "--out", str(tmp_path / "o"), "--equal-difficulty", "0.6"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "o"
    assert {"targets_review.csv", "targets_review.xlsx", "targets_equal_difficulty.csv", "manifest.json"} <= \
        {p.name for p in out.iterdir()}
    t = pd.read_csv(out / "targets_review.csv", encoding="utf-8-sig")
    hs = t[(t["unit"] == "HS") & (t["indicator"] == "export")]
    assert hs["reason_zh"].str.contains("低于上年实际值").all() and "赫山区" in res.output
    assert t["data_note"].str.contains("合成数据").all()
    # the equal-difficulty file is a targets table the reader takes
    eq = pd.read_csv(out / "targets_equal_difficulty.csv", encoding="utf-8-sig")
    assert list(eq.columns[:4]) == ["unit", "indicator", "year", "target"]
    from openpyxl import load_workbook

    ws = load_workbook(out / "targets_review.xlsx")["会审表 Review"]
    assert ws.cell(1, 1).value.startswith("考核组别") and ws.cell(ws.max_row, 1).value.startswith("日期")


@pytest.mark.parametrize(("args", "words"), [
    (["--percentile", "10"], "--percentile"),
    (["--percentile", "90,10"], "percentile band"),
    (["--margin", "-0.5"], "margin"),
    (["--equal-difficulty", "1.5"], "between 0 and 1"),
    (["--year", "2011"], "no last year"),
    (["--year", "2030"], "no observations for 2030"),
])
def test_cli_targets_bad_input_exits_2(tmp_path, args, words):
    res = CliRunner().invoke(main, ["targets", str(SCENARIOS / "yiyang_2018_reform.yaml"), "--out",
                                    str(tmp_path / "o"), *args])
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output


def test_a_scenario_without_targets_gives_an_empty_review():
    sc = scenario_from_dict({"name": "no-targets", "weights": {"mode": "relative"}})  # min-max, no targets
    r = review_targets(sc, make_data(), 2018)
    assert r.empty and "flags" in r.columns
    report = targets_report(r, make_data())
    assert report.sheets["会审表 Review"].iloc[-1, 0].startswith("日期")
    assert difficulty_spread(r).empty
