"""``simkit.explain(result, unit)``: indicator contributions that add up, and why, in Chinese and in English."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import simkit
from simkit.cli import main
from simkit.errors import SimkitError
from simkit.present.tables import results_table
from simkit.present.text import explain

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def reform_result(reform, data):
    return simkit.evaluate(reform, data)


@pytest.fixture(scope="module")
def legacy_result(legacy, data):
    return simkit.evaluate(legacy, data)


@pytest.mark.parametrize("which", ["reform_result", "legacy_result"])
@pytest.mark.parametrize("unit", ["HS", "DTH", "D03", "D20"])
def test_contributions_add_up_to_the_indicator_score(which, unit, request):
    result = request.getfixturevalue(which)
    exp = explain(result, unit)
    row = result.units.set_index("unit").loc[unit]
    assert exp.contributions["points"].sum() == pytest.approx(row["base_score"], abs=1e-9)
    # total = indicator score + bonus points − deductions
    adj = exp.adjustments
    assert row["base_score"] + adj["bonus_points"] - adj["deduction_points"] == pytest.approx(row["score"])
    # points lost are what the weight offered and the unit did not get (never negative)
    c = exp.contributions
    assert (c["lost"] >= 0).all()
    assert ((c["weight"] - c["points"]).clip(lower=0) == c["lost"]).all()


def test_contributions_are_one_row_per_indicator_sorted_by_points(reform_result):
    exp = explain(reform_result, "HS")
    ind = reform_result.indicators
    assert sorted(exp.contributions["indicator"]) == sorted(ind[ind["unit"] == "HS"]["indicator"])
    assert exp.contributions["points"].is_monotonic_decreasing


def test_chinese_text_names_unit_rank_grade_bonus_and_slots(reform_result):
    row = reform_result.units.set_index("unit").loc["HS"]
    zh = explain(reform_result, "HS").zh
    assert "赫山区" in zh
    assert f"排第{row['rank']}名" in zh
    assert f"等次为{row['grade']}" in zh
    assert f"绩效奖金{row['payout']:,.0f}元" in zh
    assert f"基数{row['bonus_base']:,.0f}元" in zh
    assert "按奖金池缩放" in zh  # the reform's pool is nominal: the scale factor is stated
    assert f"评先评优指标{row['award_slots']}个" in zh
    assert "合成数据" in zh


def test_english_text_names_unit_rank_grade_bonus_and_slots(reform_result):
    row = reform_result.units.set_index("unit").loc["HS"]
    en = explain(reform_result, "HS").text("en")
    assert "Heshan District" in en
    assert f"ranked {row['rank']} of {row['group_size']}" in en
    assert f"grade {row['grade_en']}" in en
    assert f"Bonus {row['payout']:,.0f} yuan" in en
    assert f"Award slots: {row['award_slots']}." in en
    assert "synthetic" in en


def test_explain_by_name_and_by_english_name(reform_result):
    by_id = explain(reform_result, "HS")
    assert explain(reform_result, "赫山区").zh == by_id.zh
    assert explain(reform_result, "Heshan District").en == by_id.en
    assert by_id.unit == "HS" and by_id.name == "赫山区"
    assert str(by_id) == f"{by_id.zh}\n{by_id.en}"


def test_progress_award_sentence(reform_result):
    u = reform_result.units.set_index("unit")
    winner = u[u["progress_award"]].index[0]
    exp = explain(reform_result, winner)
    gain = u.at[winner, "rank_change"]
    assert f"比上年上升{gain}位，获进步奖" in exp.zh
    assert f"Up {gain} places on last year: progress award." in exp.en


def test_accountability_sentence_for_a_unit_at_the_bottom_under_legacy(legacy_result):
    row = legacy_result.units.set_index("unit").loc["DTH"]
    assert row["grade"] == "较差" and row["bottom_years"] == 5  # last 2014–2018
    exp = explain(legacy_result, "大通湖区")
    assert "大通湖区" in exp.zh
    assert "连续5年处于末位，问责措施：调整岗位" in exp.zh  # 5 ≥ 3 steps: the last step repeats
    assert "In the bottom tier 5 year(s) running: reassignment." in exp.en
    # a unit not at the bottom gets no accountability sentence
    assert "问责" not in explain(legacy_result, "HS").zh


def test_open_ended_bonus_is_not_described_as_scaled(legacy_result):
    row = legacy_result.units.set_index("unit").loc["DTH"]
    exp = explain(legacy_result, "DTH")
    # legacy: open-ended, 较差 −10%: 25000 × 850 × 0.9 = 19,125,000
    assert row["payout"] == 19_125_000
    assert "绩效奖金19,125,000元（基数21,250,000元，按等次浮动-10%）" in exp.zh
    assert "缩放" not in exp.zh and "scaled" not in exp.en


def test_vetoed_unit_is_said_to_be_vetoed(reform_result):
    row = reform_result.units.set_index("unit").loc["D20"]
    assert row["vetoed"]
    exp = explain(reform_result, "D20")
    assert "一票否决" in exp.zh and row["veto_reason"] in exp.zh
    assert "vetoed" in exp.en


def test_unknown_unit_is_an_error_with_a_fix(reform_result):
    with pytest.raises(SimkitError) as info:
        explain(reform_result, "nowhere")
    text = str(info.value)
    assert "'nowhere'" in text
    assert "Fix:" in text


def test_cli_explain():
    runner = CliRunner()
    res = runner.invoke(main, ["explain", str(SCENARIOS / "legacy_totals.yaml"), "DTH"])
    assert res.exit_code == 0, res.output
    assert "调整岗位" in res.output and "指标贡献" in res.output
    res = runner.invoke(main, ["explain", str(SCENARIOS / "legacy_totals.yaml"), "DTH", "--lang", "en"])
    assert res.exit_code == 0 and "reassignment" in res.output
    res = runner.invoke(main, ["explain", str(SCENARIOS / "legacy_totals.yaml"), "nowhere"])
    assert res.exit_code == 2 and "Fix:" in res.output


def test_bonus_by_rank_tier_is_described_as_such(reform, data):
    doc = reform.to_dict()
    doc["consequences"]["bonus"] = {"by": "tier", "tiers": [{"name": "前3名", "count": 3, "factor": 0.3}], "rest": 0.0}
    result = simkit.evaluate(simkit.Scenario.model_validate(doc), data)
    row = result.units.set_index("unit").loc["DTH"]
    assert row["rank"] == 1 and row["bonus_factor"] == 0.3  # first of its group: in the top-3 tier
    exp = explain(result, "DTH")
    # open-ended: 21,250,000 × 1.3 = 27,625,000
    assert "绩效奖金27,625,000元（基数21,250,000元，按名次档次浮动+30%）" in exp.zh
    assert "float +30% by rank tier" in exp.en
    assert "按等次浮动" not in exp.zh and "by grade" not in exp.en


# ------------------------------------------------------------------ the rule as it applied to this unit
def test_the_grade_sentence_gives_the_places_of_the_units_grade(reform_result):
    """南县 is 6th of 8 and 良好: 良好 went to places 3–6 (优秀 took 25% = 2 places, 良好 50% = 4 places)."""
    row = reform_result.units.set_index("unit").loc["NX"]
    assert (row["rank"], row["group_size"], row["grade"]) == (6, 8, "良好")
    exp = explain(reform_result, "NX")
    assert "良好为组内第3–6名，名额4名（50%）" in exp.zh and "前4名" not in exp.zh
    assert "Good went to places 3–6 of the group; its quota is 4 places (50%)" in exp.en


def _veto_scenario(reform, **veto):
    return reform.override({"adjustments": {"veto": {"conditions": [{"indicator": "accident_deaths",
                                                                     "at_least": 5}], **veto}}})


def test_a_veto_condition_names_the_indicator_the_value_and_the_threshold(reform, data):
    r = simkit.evaluate(_veto_scenario(reform, best_grade="一般"), data)
    u = r.units.set_index("unit")
    deaths = data.observations.query("indicator == 'accident_deaths' and year == 2018").set_index("unit")["value"]
    hit = deaths[deaths >= 5].index.intersection(u.index)
    assert len(hit), "the bundled data have units with at least 5 deaths"
    unit = hit[0]
    value = deaths[unit]
    assert u.loc[unit, "vetoed"]
    assert u.loc[unit, "veto_reason"] == f"accident_deaths {value:g} ≥ 5"  # the result keeps ids
    words = f"生产安全事故死亡人数 {value:g} ≥ 阈值 5，一票否决"
    assert results_table(r).set_index("unit").loc[unit, "veto_reason"] == words  # results.csv says it in words
    exp = explain(r, unit)
    assert words in exp.zh
    assert f"Deaths in work-safety accidents {value:g} ≥ threshold 5" in exp.en
    assert not u.loc[deaths[deaths < 5].index.intersection(u.index), "vetoed"].any()


@pytest.mark.parametrize("counted, word_zh, word_en", [(True, "占用该等次名额", "taking one place"),
                                                         (False, "不占用该等次名额", "on top of")])
def test_a_forced_veto_grade_says_whether_it_took_a_place_of_the_quota(reform, data, counted, word_zh, word_en):
    r = simkit.evaluate(_veto_scenario(reform, grade="较差", counts_in_quota=counted), data)
    unit = r.units[r.units["vetoed"]]["unit"].iat[0]
    exp = explain(r, unit)
    assert "因一票否决，等次直接定为较差" in exp.zh and word_zh in exp.zh
    assert word_en in exp.en


def test_a_name_two_units_share_lists_them_and_asks_for_the_id(reform, data):
    units = data.units.copy()
    units.loc[units["unit"] == "NX", "name"] = "赫山区"
    twin = simkit.Dataset(units, data.indicators, data.observations, data.targets, data.adjustments,
                          source="twin")
    r = simkit.evaluate(reform, twin)
    with pytest.raises(SimkitError) as info:
        explain(r, "赫山区")
    text = str(info.value)
    assert "2 units are called '赫山区'" in text and "HS" in text and "NX" in text and "unit id" in text
    assert explain(r, "NX").row["unit"] == "NX"  # the id still works


def test_a_mistyped_name_gets_did_you_mean(reform_result):
    with pytest.raises(SimkitError) as info:
        explain(reform_result, "赫山")
    assert "did you mean '赫山区'" in str(info.value)


def test_what_it_takes_is_said_in_both_languages(reform_result):
    from simkit.analysis.sensitivity import what_would_it_take
    from simkit.present.text import what_it_takes_text

    w = what_would_it_take(reform_result, "ZY", "tax_rev")
    assert w.feasible and w.grade_now == "较差" and w.grade_then == "一般"
    zh, en = what_it_takes_text(w), what_it_takes_text(w, "en")
    assert zh.startswith("资阳区：税收收入（tax_rev）2018年由 7.17 变为") and "等次由较差升为一般" in zh
    assert "from Poor to Fair" in en and "较差" not in en
    best = what_would_it_take(reform_result, "DTH", "gdp")
    assert what_it_takes_text(best) == "大通湖区：已是最高等次。"
    assert what_it_takes_text(best, "en") == "DTH: already in the best grade."


def test_a_pool_nobody_can_take_is_stated_not_forced():
    """One unit of base 500, vetoed under `no_increase`, and a pool of 501 yuan: it is paid 500 and the
    warning says that 1 yuan is left."""
    from simkit.present.text import pool_warning

    from ..rules.test_consequences_properties import Spec, scenario

    spec = Spec(units=(("U00", "G0", 1, 500),), values={"U00": (1.0, 1.0)}, vetoed=("U00",))
    factor = {"优秀": 0.15, "良好": 0.1, "一般": 0.05, "较差": 0.0}
    r = simkit.evaluate(scenario(factor, 501, 1, "all", "no_increase", False), spec.data(), 2018)
    assert r.units["payout"].tolist() == [500]
    text = pool_warning(r)
    assert text is not None and "501" in text and "剩余 1 元" in text and "1 yuan are left" in text
