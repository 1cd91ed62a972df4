"""Progress awards (进步奖), the accountability ladder (约谈 → 诫勉谈话 → 调整岗位) and multi-year evaluation.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.rules.consequences import look_back
from simkit.schema.consequences import Accountability, Progress


def lb(rank, score, grades=None, vetoed=None, groups=None, prev_rank=None, prev_score=None,
       progress: Progress | None = None, accountability: Accountability | None = None, previous=None,
       veto_progress: str = "exclude"):
    """``rules.consequences.look_back`` with grade names, the ladder's step names and last year's result."""
    from types import SimpleNamespace

    n = len(rank)
    grades = list(grades) if grades is not None else ["一般"] * n
    names = tuple(dict.fromkeys(["优秀", "良好", "一般", "较差", *grades]))
    pr, gain, sgain, award, streak, step = look_back(
        np.asarray(rank, dtype=float), np.asarray(score, dtype=float), np.array([names.index(g) for g in grades]),
        np.zeros(n, dtype=bool) if vetoed is None else np.asarray(vetoed),
        np.zeros(n, dtype=int) if groups is None else np.asarray(groups),
        None if prev_rank is None else np.asarray(prev_rank, dtype=float),
        None if prev_score is None else np.asarray(prev_score, dtype=float),
        None if previous is None else previous.bottom_streak,
        progress=progress, accountability=accountability, veto_progress=veto_progress, grade_names=names)
    acc = accountability
    steps = acc.steps if acc is not None else ()
    steps_en = [acc.steps_en[k] if k < len(acc.steps_en) else s for k, s in enumerate(steps)] if acc else []
    return SimpleNamespace(previous_rank=pr, rank_gain=gain, score_gain=sgain, progress_award=award,
                           bottom_streak=streak, step=tuple(steps[k] if k >= 0 else "" for k in step),
                           step_en=tuple(steps_en[k] if k >= 0 else "" for k in step))


# ============================================================================================ progress: places
def test_progress_by_places_min_places():
    rank, prev = [1, 2, 3, 4], [3, 1, 4, 2]
    out = lb(rank, [9, 8, 7, 6], prev_rank=prev, prev_score=[0, 0, 0, 0], progress=Progress(min_places=2))
    # places gained = previous − now: 3−1 = 2, 1−2 = −1, 4−3 = 1, 2−4 = −2
    assert out.rank_gain.tolist() == [2, -1, 1, -2]
    assert out.progress_award.tolist() == [True, False, False, False]  # only a gain of ≥ 2
    out = lb(rank, [9, 8, 7, 6], prev_rank=prev, prev_score=[0, 0, 0, 0], progress=Progress(min_places=1))
    assert out.progress_award.tolist() == [True, False, True, False]  # gains 2 and 1


def test_progress_by_places_unit_not_ranked_last_year_cannot_win():
    out = lb([1, 2], [9, 8], prev_rank=[np.nan, 5], prev_score=[np.nan, 1], progress=Progress(min_places=2))
    # U0 had no rank: gain NaN → no award; U1 5 → 2 = +3
    assert out.progress_award.tolist() == [False, True]
    assert np.isnan(out.previous_rank[0]) and out.rank_gain[1] == 3


def test_progress_no_previous_year_gives_no_award():
    out = lb([1, 2], [9, 8], progress=Progress(min_places=1))
    assert out.progress_award.tolist() == [False, False]
    assert np.isnan(out.previous_rank).all() and np.isnan(out.score_gain).all()


def test_progress_by_places_vetoed_excluded_or_kept():
    args = dict(rank=[1, 2, 3], score=[9, 8, 7], vetoed=[True, False, False], prev_rank=[3, 3, 3],
                prev_score=[0, 0, 0], progress=Progress(min_places=1))
    # gains 2, 1, 0
    assert lb(**args).progress_award.tolist() == [False, True, False]  # the vetoed unit is excluded
    assert lb(**args, veto_progress="keep").progress_award.tolist() == [True, True, False]


def test_progress_by_places_exclude_grades():
    out = lb([1, 2, 3], [9, 8, 7], grades=["优秀", "较差", "一般"], prev_rank=[3, 3, 3], prev_score=[0, 0, 0],
             progress=Progress(min_places=1, exclude_grades=("较差",)))
    assert out.progress_award.tolist() == [True, False, False]  # U1 gained 1 but is 较差


# ============================================================================================= progress: score
def test_progress_by_score_top_n_per_group():
    score = [70, 60, 50, 40, 30]
    prev = [67, 59, 46, 30, 28]
    groups = [0, 0, 0, 1, 1]
    out = lb([1, 2, 3, 1, 2], score, groups=groups, prev_rank=[1, 2, 3, 1, 2], prev_score=prev,
             progress=Progress(rule="score", top_n=1))
    # gains 3, 1, 4 | 10, 2 → group 0: U2 (4); group 1: U3 (10)
    np.testing.assert_allclose(out.score_gain, [3, 1, 4, 10, 2])
    assert out.progress_award.tolist() == [False, False, True, True, False]


def test_progress_by_score_top_two():
    out = lb([1, 2, 3, 4], [70, 60, 50, 40], prev_rank=[1, 2, 3, 4], prev_score=[67, 59, 46, 38],
             progress=Progress(rule="score", top_n=2))
    # gains 3, 1, 4, 2 → the two largest: U2 (4), U0 (3)
    assert out.progress_award.tolist() == [True, False, True, False]


def test_progress_by_score_ties_at_the_edge_all_win():
    out = lb([1, 2, 3, 4], [70, 60, 50, 40], prev_rank=[1, 2, 3, 4], prev_score=[65, 55, 49, 39],
             progress=Progress(rule="score", top_n=1))
    # gains 5, 5, 1, 1 → U0 and U1 tie for first: both win although top_n = 1
    assert out.progress_award.tolist() == [True, True, False, False]


def test_progress_by_score_needs_a_gain_above_min_gain():
    out = lb([1, 2], [70, 60], prev_rank=[1, 2], prev_score=[71, 62], progress=Progress(rule="score", top_n=1))
    assert out.progress_award.tolist() == [False, False]  # both fell (−1, −2): nobody improved
    out = lb([1, 2], [70, 60], prev_rank=[1, 2], prev_score=[68, 59.5],
             progress=Progress(rule="score", top_n=2, min_gain=1.0))
    assert out.progress_award.tolist() == [True, False]  # gains 2 and 0.5; 0.5 is not above 1


def test_progress_by_score_exclude_grades_passes_the_award_on():
    out = lb([1, 2, 3], [70, 60, 50], grades=["优秀", "一般", "较差"], prev_rank=[1, 2, 3], prev_score=[68, 59, 40],
             progress=Progress(rule="score", top_n=1, exclude_grades=("较差",)))
    # gains 2, 1, 10: U2 (10) is 较差 and excluded → the best of the rest, U0 (2), wins
    assert out.progress_award.tolist() == [True, False, False]


def test_progress_by_score_vetoed_excluded():
    args = dict(rank=[1, 2, 3], score=[70, 60, 50], vetoed=[False, False, True], prev_rank=[1, 2, 3],
                prev_score=[68, 59, 40], progress=Progress(rule="score", top_n=1))
    # gains 2, 1, 10: the vetoed U2 is excluded → U0 wins; kept → U2 wins
    assert lb(**args).progress_award.tolist() == [True, False, False]
    assert lb(**args, veto_progress="keep").progress_award.tolist() == [False, False, True]


# ======================================================================================= accountability (direct)
def test_ladder_steps_and_their_english_names():
    acc = Accountability()
    year1 = lb([1, 2], [9, 8], grades=["一般", "较差"], accountability=acc)
    assert year1.bottom_streak.tolist() == [0, 1]
    assert year1.step == ("", "约谈") and year1.step_en == ("", "interview")
    year2 = lb([1, 2], [9, 8], grades=["较差", "较差"], accountability=acc, previous=year1)
    assert year2.bottom_streak.tolist() == [1, 2]
    assert year2.step == ("约谈", "诫勉谈话") and year2.step_en == ("interview", "admonishment")


def test_ladder_configurable_grades_and_steps():
    acc = Accountability(bottom_grades=("较差", "一般"), steps=("提醒", "约谈"), steps_en=("reminder",))
    y1 = lb([1, 2, 3], [9, 8, 7], grades=["优秀", "一般", "较差"], accountability=acc)
    y2 = lb([1, 2, 3], [9, 8, 7], grades=["优秀", "一般", "较差"], accountability=acc, previous=y1)
    y3 = lb([1, 2, 3], [9, 8, 7], grades=["优秀", "一般", "优秀"], accountability=acc, previous=y2)
    assert y1.step == ("", "提醒", "提醒")  # both 一般 and 较差 count as the bottom
    assert y2.step == ("", "约谈", "约谈") and y2.bottom_streak.tolist() == [0, 2, 2]
    assert y3.step == ("", "约谈", "") and y3.bottom_streak.tolist() == [0, 3, 0]  # last step repeats; U2 resets
    # an English name missing for step 2 falls back to the Chinese one
    assert y1.step_en == ("", "reminder", "reminder") and y2.step_en == ("", "约谈", "约谈")


def test_no_ladder_no_streak():
    out = lb([1, 2], [9, 8], grades=["一般", "较差"])
    assert out.bottom_streak.tolist() == [0, 0] and out.step == ("", "")


# ================================================================================= multi-year through evaluate
YEARS = (2014, 2015, 2016, 2017)


def dataset(values: dict[str, list[float]], years=YEARS) -> simkit.Dataset:
    units = pd.DataFrame([[u, f"单位{u}", "G"] for u in values], columns=["unit", "name", "group"])
    indicators = pd.DataFrame([["x", "指标x", "", "1"]], columns=["indicator", "name", "parent", "direction"])
    obs = pd.DataFrame([[u, "x", str(y), repr(float(v))] for u, vs in values.items()
                        for y, v in zip(years, vs, strict=True)], columns=["unit", "indicator", "year", "value"])
    return build_dataset({"units": units, "indicators": indicators, "observations": obs})


def scenario(**extra) -> simkit.Scenario:
    doc = {
        "name": "ladder", "weights": {"mode": "relative"},
        "grading": {"grades": [{"name": "优秀", "count": 1}, {"name": "一般"},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {"accountability": {}, "progress": {"rule": "places", "min_places": 2}},
    }
    doc.update(extra)
    return scenario_from_dict(doc)


def column(history: dict, unit: str, col: str) -> list:
    return [r.units.set_index("unit").at[unit, col] for r in history.values()]


def test_ladder_over_four_consecutive_years():
    # D is last in every year (minmax within the group, 4 distinct values): 较差 four years running
    data = dataset({"A": [4, 4, 4, 4], "B": [3, 3, 3, 3], "C": [2, 2, 2, 2], "D": [1, 1, 1, 1]})
    history = simkit.evaluate_history(scenario(), data)
    assert list(history) == [2014, 2015, 2016, 2017]
    assert column(history, "D", "grade") == ["较差"] * 4
    assert column(history, "D", "bottom_years") == [1, 2, 3, 4]
    assert column(history, "D", "accountability") == ["约谈", "诫勉谈话", "调整岗位", "调整岗位"]  # the last repeats
    assert column(history, "D", "accountability_en") == ["interview", "admonishment", "reassignment", "reassignment"]
    assert column(history, "A", "bottom_years") == [0, 0, 0, 0]
    assert column(history, "A", "accountability") == ["", "", "", ""]
    # evaluate() of the last year carries the same history
    r = simkit.evaluate(scenario(), data)
    assert r.year == 2017 and list(r.history) == [2014, 2015, 2016, 2017]
    assert r.units.set_index("unit").at["D", "accountability"] == "调整岗位"
    assert r.history[2015].units.set_index("unit").at["D", "bottom_years"] == 2


def test_ladder_resets_after_leaving_the_bottom():
    # 2016: D (2.5) passes C (2), so C is last; 2017: D is last again
    data = dataset({"A": [4, 4, 4, 4], "B": [3, 3, 3, 3], "C": [2, 2, 2, 2], "D": [1, 1, 2.5, 1]})
    history = simkit.evaluate_history(scenario(), data)
    assert column(history, "D", "bottom_years") == [1, 2, 0, 1]
    assert column(history, "D", "accountability") == ["约谈", "诫勉谈话", "", "约谈"]  # back to the first step
    assert column(history, "C", "bottom_years") == [0, 0, 1, 0]
    assert column(history, "C", "accountability") == ["", "", "约谈", ""]


def test_progress_award_through_evaluate():
    # ranks: 2016 A1 B2 C3 D4; 2017 D jumps to 1 (+3 places), A 2, B 3, C 4
    data = dataset({"A": [4, 4, 4, 4], "B": [3, 3, 3, 3], "C": [2, 2, 2, 2], "D": [1, 1, 1, 5]})
    r = simkit.evaluate(scenario(), data)
    u = r.units.set_index("unit")
    assert u["previous_rank"].tolist() == [4, 1, 2, 3]  # sorted by rank: D, A, B, C
    assert u.at["D", "rank_change"] == 3  # 4 − 1
    assert u["progress_award"].to_dict() == {"D": True, "A": False, "B": False, "C": False}
    assert r.history[2014].units["progress_award"].tolist() == [False] * 4  # no year before the first


def test_history_years_subset():
    data = dataset({"A": [4, 4, 4, 4], "B": [3, 3, 3, 3], "C": [2, 2, 2, 2], "D": [1, 1, 1, 1]})
    history = simkit.evaluate_history(scenario(), data, years=(2015, 2016))
    assert list(history) == [2015, 2016]
    # the streak still counts 2014: 2 and 3 years running
    assert column(history, "D", "bottom_years") == [2, 3]
    r = simkit.evaluate(scenario(), data, 2016)
    assert list(r.history) == [2014, 2015, 2016]


def test_without_look_back_rules_there_is_no_chain():
    data = dataset({"A": [4, 4, 4, 4], "B": [3, 3, 3, 3]})
    r = simkit.evaluate(scenario(consequences={}), data)
    assert list(r.history) == [2017]
    assert "accountability" not in r.units and "progress_award" not in r.units


def test_first_year_without_a_baseline_is_skipped_silently():
    # a target from the previous year's value (baseline, 1 year): 2014 has no previous year and is skipped
    years = (2014, 2015, 2016, 2017, 2018)
    data = dataset({"A": [4, 4, 4, 4, 4], "B": [3, 3, 3, 3, 3], "C": [2, 2, 2, 2, 2], "D": [5, 1, 1, 1, 1]},
                   years=years)
    sc = scenario(defaults={"measures": {"level": 1}, "target": {"rule": "baseline", "years": 1},
                            "scoring": {"rule": "completion", "floor": 0, "cap": 2}})
    history = simkit.evaluate_history(sc, data)
    assert list(history) == [2015, 2016, 2017, 2018]
    r = simkit.evaluate(sc, data)
    assert list(r.history) == [2015, 2016, 2017, 2018]
    # completion = value / last year's value: 2015 D 1/5 = 0.2 (last, 较差), A, B, C 1.0 → tied, not last
    # 2016–2018 every unit 1.0: tied; the bottom quota with ties: share gives the tied units 较差 (see
    # tests/test_grading.py), so only 2015 is checked here
    first = history[2015].units.set_index("unit")
    assert first.at["D", "score"] == pytest.approx(20.0) and first.at["D", "bottom_years"] == 1
    assert history[2015].units["previous_rank"].isna().all()  # 2015 is the first: nothing before it
    # two years of baseline: 2014 and 2015 are skipped
    sc2 = scenario(defaults={"measures": {"level": 1}, "target": {"rule": "baseline", "years": 2},
                             "scoring": {"rule": "completion", "floor": 0, "cap": 2}})
    assert list(simkit.evaluate_history(sc2, data)) == [2016, 2017, 2018]


def test_history_on_bundled_data(data, reform, legacy):
    # data 2011–2018; assigned targets (targets table) start in 2014; the reform's 3-year baseline of
    # growth rates for 2014 would need the growth of 2011, i.e. a 2010 value, so it starts in 2015
    assert list(simkit.evaluate_history(reform, data)) == [2015, 2016, 2017, 2018]
    assert list(simkit.evaluate(legacy, data).history) == [2014, 2015, 2016, 2017, 2018]


@pytest.mark.parametrize("name", ["yiyang_2018_reform", "legacy_totals", "reform_ratchet", "reform_bands"])
def test_years_at_once_equal_years_one_at_a_time(name, data):
    """Every year through the stages at once gives what each year evaluated alone gives (the stages' rows are
    independent; only the look-back links them)."""
    scenario = simkit.load_scenario(name)
    fast = simkit.evaluate(scenario, data)
    for year, r in fast.history.items():
        alone = simkit.evaluate(scenario.override({"consequences": {"progress": None, "accountability": None}}),
                                data, year)
        cols = [c for c in alone.units.columns if c in r.units.columns]
        pd.testing.assert_frame_equal(r.units[cols], alone.units[cols])
        pd.testing.assert_frame_equal(r.indicators, alone.indicators)
