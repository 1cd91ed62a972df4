"""The stabilising rules of issue 11 (item 2): the trailing mean (``ranking.smooth_years``), the tolerance band
(``grading.tie_margin``) and the ladder's threshold (``accountability.require``).

Every expected value is worked out by hand in the comment beside it; the properties check that each option at
its default gives exactly the rules of today.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simkit.rules.consequences import climb, look_back, meets_requirement
from simkit.rules.grading import assign_grades, margin_blocks
from simkit.rules.ranking import group_ranks, trailing_mean
from simkit.schema.consequences import Accountability, Require
from simkit.schema.grading import Grade, Grading

NAN = np.nan


# ================================================================================= trailing mean
def test_trailing_mean_by_hand():
    # one draw, five years (1–5), two units; k = 3
    x = np.array([[[70.0, 50.0], [80.0, 60.0], [90.0, NAN], [60.0, 90.0], [NAN, 30.0]]])
    got = trailing_mean(x, 3, axis=1)
    # unit 0: 70 | (70+80)/2 = 75 | (70+80+90)/3 = 80 | (80+90+60)/3 = 76.67 | no total in year 5: NaN
    assert got[0, :, 0] == pytest.approx([70.0, 75.0, 80.0, 230 / 3, NAN], nan_ok=True)
    # unit 1: 50 | 55 | no total: NaN | years 2–4 hold 60, NaN, 90 → 75 | years 3–5 hold NaN, 90, 30 → 60
    assert got[0, :, 1] == pytest.approx([50.0, 55.0, NAN, 75.0, 60.0], nan_ok=True)


def test_trailing_mean_of_equal_totals_is_exact():
    x = np.full((1, 3, 1), 0.1 + 0.2)  # 0.30000000000000004 three times
    assert trailing_mean(x, 3, axis=1)[0, -1, 0] == x[0, 0, 0]


def test_trailing_mean_one_year_is_the_total():
    x = np.array([[[1.0, NAN, 3.0]]])
    assert np.array_equal(trailing_mean(x, 1, axis=1), x, equal_nan=True)


# ================================================================================= tolerance band
def blocks(score, codes, margin, apart=None):
    """The band's blocks, with the ranking's own ties as ``engine.stages.rank_stage`` gives them (units ranked
    apart, e.g. vetoed units ranked last, by the flag first and then the total)."""
    s = np.asarray([score], dtype=float)
    if apart is None:
        lo, hi = group_ranks(s, np.asarray(codes), ("min", "max"))
    else:
        lo, hi = group_ranks((~np.asarray([apart])).astype(float), np.asarray(codes), ("min", "max"), tie_break=[s])
    return margin_blocks(s, np.asarray(codes), margin, lo, hi, None if apart is None else np.asarray([apart]))


def test_band_chains_within_the_margin():
    # group 0: 90, 89.5, 89.0, 85, 70 (margin 0.6): 90–89.5 0.5 < 0.6 and 89.5–89.0 0.5 < 0.6 → places 1–3
    # tied, though 90 and 89.0 are 1 point apart (a chain); 85 and 70 alone
    lo, hi = blocks([90, 89.5, 89.0, 85, 70], [0] * 5, 0.6)
    assert lo.tolist() == [[1, 1, 1, 4, 5]] and hi.tolist() == [[3, 3, 3, 4, 5]]


def test_band_is_strict_and_within_groups():
    # a difference of exactly the margin is not closer than it; groups apart: 80 (g1) and 79.5 (g0) not tied
    lo, hi = blocks([80.0, 79.5, 79.0, 78.9], [1, 0, 1, 0], 0.5)
    # g1: 80, 79.0 (1 apart) → places 1, 2; g0: 79.5, 78.9 (0.6 apart) → 1, 2
    assert lo.tolist() == [[1, 1, 2, 2]] and hi.tolist() == [[1, 1, 2, 2]]
    lo, hi = blocks([80.0, 79.5, 79.5, 70.0], [0, 0, 0, 0], 0.5)  # 80 − 79.5 = 0.5: not tied
    assert lo.tolist() == [[1, 2, 2, 4]] and hi.tolist() == [[1, 3, 3, 4]]  # equal totals stay tied


def test_band_group_of_one_equal_scores_and_missing():
    # unit 0 alone in its group; units 1–3 equal; unit 4 has no total
    lo, hi = blocks([50.0, 60.0, 60.0, 60.0, NAN], [9, 0, 0, 0, 0], 2.0)
    assert lo[0, :4].tolist() == [1, 1, 1, 1] and hi[0, :4].tolist() == [1, 3, 3, 3]
    assert np.isnan(lo[0, 4]) and np.isnan(hi[0, 4])


def test_band_keeps_units_ranked_apart_apart():
    # vetoed units ranked last (apart): 80 (vetoed) and 79.9 are within the margin but not tied
    lo, hi = blocks([80.0, 79.9, 60.0], [0, 0, 0], 1.0, apart=[True, False, False])
    # order: 79.9 (1), 60 (2), then the vetoed 80 (3)
    assert lo.tolist() == [[3, 1, 2]] and hi.tolist() == [[3, 1, 2]]


def test_band_in_grading_shares_the_top_quota_and_spares_the_bottom():
    grading = Grading(grades=(Grade(name="优秀", count=1), Grade(name="一般"),
                              Grade(name="较差", count=1, **{"from": "bottom"})), tie_margin=1.0)
    score = np.array([[90.0, 89.2, 80.0, 70.5, 70.0]])
    codes = np.zeros(5, int)
    lo, hi = group_ranks(score, codes, ("min", "max"))
    glo, ghi = margin_blocks(score, codes, 1.0, lo, hi)
    # 90 and 89.2 tied (0.8 < 1): both 优秀 (ties: share); 70.5 and 70.0 tied: the bottom quota spares them
    assert assign_grades(score, glo, ghi, codes, grading).tolist() == [[0, 0, 1, 1, 1]]
    assert assign_grades(score, lo, hi, codes, grading).tolist() == [[0, 1, 1, 1, 2]]  # without the band


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=9), st.integers(0, 2), st.integers(0, 10**6))
def test_band_below_every_gap_gives_the_rankings_ties(values, n_groups, seed):
    """A margin smaller than any difference between two totals gives back the ranking's own tie blocks."""
    rng = np.random.default_rng(seed)
    s = np.asarray([values], dtype=float) * 10.0
    codes = rng.integers(0, n_groups + 1, size=s.shape[1])
    lo, hi = group_ranks(s, codes, ("min", "max"))
    glo, ghi = margin_blocks(s, codes, 1e-3, lo, hi)
    assert np.array_equal(glo, lo) and np.array_equal(ghi, hi)
    assert margin_blocks(s, codes, 0.0, lo, hi) == (lo, hi)  # the default: the same arrays


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=9), st.floats(0.01, 30))
def test_band_blocks_are_whole_runs_of_places(values, margin):
    """Blocks are contiguous places: every unit of a block has the same first and last place, and the block
    holds exactly hi − lo + 1 units."""
    s = np.asarray([values])
    codes = np.zeros(s.shape[1], int)
    lo, hi = group_ranks(s, codes, ("min", "max"))
    glo, ghi = margin_blocks(s, codes, margin, lo, hi)
    for a, b in {(float(x), float(y)) for x, y in zip(glo[0], ghi[0], strict=True)}:
        members = (glo[0] == a) & (ghi[0] == b)
        assert members.sum() == b - a + 1
    assert (glo <= lo).all() and (ghi >= hi).all()


# ================================================================================= ladder threshold
def test_margin_requirement_by_hand():
    # one year, group 0: A 80, B 71, C 68.5 (bottom); group 1: D 50 alone in the bottom tier
    bottom = np.array([[[False, False, True, True]]])
    score = np.array([[[80.0, 71.0, 68.5, 50.0]]])
    codes = np.array([0, 0, 0, 1])
    # C is 71 − 68.5 = 2.5 below the lowest outside the bottom: meets 2, not 3; D: nobody above, meets any margin
    assert meets_requirement(bottom, score, codes, Require(margin=2)).tolist() == [[[False, False, True, True]]]
    assert meets_requirement(bottom, score, codes, Require(margin=3)).tolist() == [[[False, False, False, True]]]
    assert meets_requirement(bottom, score, codes, Require(margin=2.5)).tolist() == [[[False, False, True, True]]]


def test_in_last_requirement_by_hand():
    # one unit over five years: bottom in 2014, 2015, not 2016, 2017, not 2018 → m = 2 of n = 3
    bottom = np.array([[[True], [True], [False], [True], [False]]])
    got = meets_requirement(bottom, np.zeros(bottom.shape), np.zeros(1, int), Require(in_last={"m": 2, "n": 3}))
    # 2014: 1 of 1 (fewer years: the data start there) → no; 2015: 2 of 2 → yes; 2016: not bottom;
    # 2017: 2014 out, 2015 and 2017 → 2 of 3 → yes; 2018: not bottom
    assert got[0, :, 0].tolist() == [False, True, False, True, False]
    # the years before the first, given: 2013 bottom → 2014 is 2 of 2 → yes
    before = np.array([[[False], [True]]])  # 2012, 2013
    got = meets_requirement(bottom, np.zeros(bottom.shape), np.zeros(1, int), Require(in_last={"m": 2, "n": 3}),
                            before)
    assert got[0, :, 0].tolist() == [True, True, False, True, False]


def test_requirements_combined():
    bottom = np.array([[[True, True]], [[True, True]]]).reshape(1, 2, 2)  # two years, two groups of one
    score = np.zeros((1, 2, 2))
    # margin: always met (groups of one); in_last 2 of 2: only the second year
    any_ = meets_requirement(bottom, score, np.array([0, 1]), Require(margin=5, in_last={"m": 2, "n": 2}))
    all_ = meets_requirement(bottom, score, np.array([0, 1]), Require(margin=5, in_last={"m": 2, "n": 2},
                                                                       combine="all"))
    assert any_.tolist() == [[[True, True], [True, True]]]
    assert all_.tolist() == [[[False, False], [True, True]]]


def test_climb_starts_again_after_a_year_that_does_not_count():
    counts = np.array([[[True], [True], [False], [True], [True], [True], [True]]])
    run, step = climb(counts, None, 3)
    assert run[0, :, 0].tolist() == [1, 2, 0, 1, 2, 3, 4]
    assert step[0, :, 0].tolist() == [0, 1, -1, 0, 1, 2, 2]  # the last step repeats
    run, _ = climb(counts[:, :2], np.array([[2]]), 3)  # two counting years before the first
    assert run[0, :, 0].tolist() == [3, 4]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=6))
def test_ladder_without_threshold_is_todays(rows):
    """``climb`` over every bottom year is the ladder ``look_back`` advances year after year."""
    bottom = np.array(rows)[None]  # (1, years, 3 units)
    run, step = climb(bottom, None, 3)
    acc = Accountability(bottom_grades=("B",))
    prev = None
    for y in range(bottom.shape[1]):
        grade = bottom[0, y].astype(int)  # 1 = B, the bottom grade
        res = look_back(np.ones(3), np.ones(3), grade, np.zeros(3, bool), np.zeros(3, int), None, None, prev,
                        progress=None, accountability=acc, veto_progress="keep", grade_names=("A", "B"))
        assert res[4].tolist() == run[0, y].tolist() and res[5].tolist() == step[0, y].tolist()
        prev = res[4]
