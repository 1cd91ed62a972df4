"""Tests for simkit.grading: quotas, score bands, ties at a quota's edge, vetoes and units without a score."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from simkit.rules.grading import assign_grades, quota
from simkit.rules.ranking import group_rank
from simkit.schema.adjustments import Veto
from simkit.schema.grading import Grade, Grading

NAN = np.nan


def bottom(name: str, **kw) -> Grade:
    return Grade(name=name, **kw, **{"from": "bottom"})


def grades_of(scores, groups=None, grading: Grading | None = None, vetoed=None, veto: Veto | None = None):
    """Grade codes for one draw; ranks (first/last place of each tie block) come from group_rank."""
    s = np.asarray(scores, dtype=float)[None, :]
    g = np.zeros(s.shape[1], dtype=int) if groups is None else np.asarray(groups)
    lo = group_rank(s, g, "min")
    hi = group_rank(s, g, "max")
    v = None if vetoed is None else np.asarray(vetoed, dtype=bool)[None, :]
    out = assign_grades(s, lo, hi, g, grading or Grading(), v, veto)
    return out[0].tolist()


# --------------------------------------------------------------------------------------------------- quota
@pytest.mark.parametrize(
    ("share", "n", "rounding", "expected"),
    [
        (0.3, 10, "floor", 3),  # 0.3 × 10 = 3 exactly
        (0.3, 10, "ceil", 3),  # not 4: 3.0000000000000004 must not round up
        (0.3, 10, "round", 3),
        (0.1, 30, "ceil", 3),  # 0.1 × 30 = 3.0000000000000004 in floating point → 3
        (0.29, 100, "floor", 29),  # 0.29 × 100 = 28.999999999999996 in floating point → 29
        (0.57, 100, "floor", 57),  # 56.99999999999999 → 57
        (0.25, 10, "floor", 2),  # 2.5 → 2
        (0.25, 10, "ceil", 3),  # 2.5 → 3
        (0.25, 10, "round", 3),  # 2.5 → half up → 3
        (0.45, 10, "round", 5),  # 4.5 → half up → 5
        (0.24, 10, "round", 2),  # 2.4 → 2
        (0.25, 1, "floor", 0),  # 0.25 → 0
        (0.25, 1, "ceil", 1),  # 0.25 → 1
        (0.0, 10, "ceil", 0),
        (1.0, 7, "floor", 7),
    ],
)
def test_quota_rounding(share, n, rounding, expected):
    assert quota(share, None, np.array([n]), rounding).tolist() == [expected]


def test_quota_array_of_group_sizes():
    assert quota(0.25, None, np.array([8, 10, 1]), "floor").tolist() == [2, 2, 0]  # 2, 2.5 → 2, 0.25 → 0
    assert quota(0.25, None, np.array([8, 10, 1]), "ceil").tolist() == [2, 3, 1]


def test_quota_count_ignores_group_size():
    assert quota(None, 2, np.array([1, 5, 10]), "floor").tolist() == [2, 2, 2]


# ---------------------------------------------------------------------------------------------- bands only
def test_bands_only_default_grading():
    # default: 优秀 ≥ 90, 良好 ≥ 80, 一般 ≥ 60, 较差 the rest
    codes = grades_of([95.0, 90.0, 89.99, 80.0, 60.0, 59.9, 120.0])
    assert codes == [0, 0, 1, 1, 2, 3, 0]


def test_bands_tolerance_at_the_boundary():
    codes = grades_of([90.0 - 1e-10, 90.0 - 1e-6])
    assert codes == [0, 1]  # within 1e-9 of 90 counts as reaching it; 1e-6 below does not


def test_bands_do_not_depend_on_group():
    codes = grades_of([95.0, 70.0, 85.0], groups=[0, 1, 1])
    assert codes == [0, 2, 1]


def test_band_only_grades_ignore_ties_rule():
    gr = Grading(grades=(Grade(name="A", min_score=50), Grade(name="B")), ties="exclude")
    assert grades_of([60.0, 60.0, 40.0], grading=gr) == [0, 0, 1]


# --------------------------------------------------------------------------------------------- quotas only
QUOTAS = Grading(grades=(Grade(name="A", share=0.25), Grade(name="B", share=0.5), Grade(name="C")))


def test_quotas_only_eight_units():
    scores = [80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0]
    # A: floor(0.25·8) = 2 best; B: floor(0.5·8) = 4 next; C: the remaining 2
    assert grades_of(scores, grading=QUOTAS) == [0, 0, 1, 1, 1, 1, 2, 2]


def test_quotas_only_ten_units_floor_vs_round():
    scores = list(np.arange(10.0, 0.0, -1.0))
    # floor: A 2.5 → 2, B 5, C 3
    assert grades_of(scores, grading=QUOTAS) == [0, 0, 1, 1, 1, 1, 1, 2, 2, 2]
    # round: A 2.5 → 3, B 5, C 2
    rounded = QUOTAS.model_copy(update={"rounding": "round"})
    assert grades_of(scores, grading=rounded) == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2]


def test_quotas_per_group():
    scores = [10.0, 9.0, 8.0, 7.0, 100.0, 1.0]
    groups = [0, 0, 0, 0, 1, 1]
    # group 0 (n=4): A 1, B 2, C 1; group 1 (n=2): A floor(0.5) = 0, B 1 → 100 gets B, 1 gets C
    assert grades_of(scores, groups, QUOTAS) == [0, 1, 1, 2, 1, 2]


def test_count_quota_larger_than_group():
    gr = Grading(grades=(Grade(name="A", count=5), Grade(name="B")))
    assert grades_of([3.0, 2.0, 1.0], grading=gr) == [0, 0, 0]


def test_leftover_units_get_the_last_top_grade_even_if_it_has_a_quota():
    gr = Grading(grades=(Grade(name="A", share=0.25), Grade(name="B", share=0.25)))
    # A 1, B 1, the 2 left over get the worst grade that is not a bottom quota (B)
    assert grades_of([4.0, 3.0, 2.0, 1.0], grading=gr) == [0, 1, 1, 1]


# ------------------------------------------------------------------------------------------- bottom quotas
WITH_BOTTOM = Grading(grades=(Grade(name="A", share=0.25), Grade(name="B"), bottom("P", count=1)))


def test_bottom_quota_takes_the_last_place():
    # P: the last one; A: floor(0.25·4) = 1 best; B: the rest
    assert grades_of([40.0, 10.0, 30.0, 20.0], grading=WITH_BOTTOM) == [0, 2, 1, 1]


def test_bottom_quota_never_takes_the_only_unit_of_a_group_of_one():
    scores = [40.0, 30.0, 20.0, 10.0, 5.0]
    groups = [0, 0, 0, 0, 1]
    # group 0: P = 10, A = 40, B = 30, 20; group 1 (alone, lowest overall): P quota min(1, n−1 = 0) = 0,
    # A floor(0.25) = 0 → B
    assert grades_of(scores, groups, WITH_BOTTOM) == [0, 1, 1, 2, 1]


def test_bottom_quota_by_share():
    gr = Grading(grades=(Grade(name="A"), bottom("P", share=0.25)))
    # n = 8: floor(0.25·8) = 2 from the bottom
    assert grades_of([8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0], grading=gr) == [0, 0, 0, 0, 0, 0, 1, 1]


def test_bottom_quota_capped_at_n_minus_one():
    gr = Grading(grades=(Grade(name="A"), bottom("P", count=5)))
    assert grades_of([3.0, 2.0, 1.0], grading=gr) == [0, 1, 1]  # min(5, 3 − 1) = 2 from the bottom


def test_bottom_quota_filled_before_top_quota():
    gr = Grading(grades=(Grade(name="A", count=2), Grade(name="B"), bottom("P", count=1)))
    # n = 2: P takes the last first (min(1, 1) = 1), so A (count 2) gets only the first
    assert grades_of([2.0, 1.0], grading=gr) == [0, 2]


def test_bottom_quota_with_share_ties_never_takes_the_whole_group():
    gr = Grading(grades=(Grade(name="A", share=0.5), Grade(name="B"), bottom("P", count=1)), ties="share")
    codes = grades_of([80.0, 80.0], grading=gr)
    # n = 2, P quota min(1, n − 1) = 1; both units are tied at the bottom edge.  At most n − 1 = 1 unit may
    # get P; by "tied units at a quota's edge all get the better grade (share)", neither should.
    assert codes.count(2) <= 1


# ------------------------------------------------------------------------------------------ ties at edges
EDGE = (Grade(name="A", share=0.5), Grade(name="B"))


def test_tie_at_quota_edge_share_gives_all_the_better_grade():
    gr = Grading(grades=EDGE, ties="share")
    # q = floor(0.5·4) = 2; ranks 1, 2, 2, 4: the 80s straddle the edge → both A (3 As, quota exceeded)
    assert grades_of([90.0, 80.0, 80.0, 70.0], grading=gr) == [0, 0, 0, 1]


def test_tie_at_quota_edge_exclude_gives_none_the_better_grade():
    gr = Grading(grades=EDGE, ties="exclude")
    # the tied 80s would need 3 places > 2 → neither gets A; only 90 does
    assert grades_of([90.0, 80.0, 80.0, 70.0], grading=gr) == [0, 1, 1, 1]


@pytest.mark.parametrize("ties", ["share", "exclude"])
def test_tie_inside_the_quota_is_not_an_edge(ties):
    gr = Grading(grades=(Grade(name="A", count=3), Grade(name="B")), ties=ties)
    # the tied 80s take places 2 and 3 ≤ 3 → both A under either rule
    assert grades_of([90.0, 80.0, 80.0, 70.0], grading=gr) == [0, 0, 0, 1]


def test_tie_for_first_with_quota_one():
    share = Grading(grades=(Grade(name="A", count=1), Grade(name="B")), ties="share")
    excl = share.model_copy(update={"ties": "exclude"})
    assert grades_of([5.0, 5.0, 1.0], grading=share) == [0, 0, 1]
    assert grades_of([5.0, 5.0, 1.0], grading=excl) == [1, 1, 1]


def test_tie_at_bottom_quota_edge_share_vs_exclude():
    # At a bottom quota's edge tied units are always spared: the two 70s cannot be told apart, so
    # neither gets P, under either tie rule; an untied last unit does.
    share = Grading(grades=(Grade(name="A"), bottom("P", count=1)), ties="share")
    excl = share.model_copy(update={"ties": "exclude"})
    assert grades_of([90.0, 70.0, 70.0], grading=share) == [0, 0, 0]
    assert grades_of([90.0, 70.0, 70.0], grading=excl) == [0, 0, 0]
    assert grades_of([90.0, 80.0, 70.0], grading=share) == [0, 0, 1]


def test_ties_use_the_rank_blocks_given():
    """Ties are the ranking's ties: equal totals separated by a tie-break are not tied."""
    gr = Grading(grades=EDGE, ties="share")
    s = np.array([[90.0, 80.0, 80.0, 70.0]])
    lo = hi = np.array([[1.0, 2.0, 3.0, 4.0]])  # a tie-break separated the 80s
    assert assign_grades(s, lo, hi, np.zeros(4, int), gr)[0].tolist() == [0, 0, 1, 1]


# ----------------------------------------------------------------------------------- min_score with quota
MIN_Q = Grading(grades=(Grade(name="A", share=0.5, min_score=90), Grade(name="B")))


def test_min_score_limits_the_quota():
    # q = 2 but only 95 reaches 90
    assert grades_of([95.0, 89.0, 88.0, 50.0], grading=MIN_Q) == [0, 1, 1, 1]


def test_quota_limits_the_min_score():
    # 3 units reach 90 but q = 2
    assert grades_of([95.0, 92.0, 91.0, 50.0], grading=MIN_Q) == [0, 0, 1, 1]


def test_min_score_quota_and_share_ties():
    # q = 2; the 92s are tied at the edge and both reach 90 → both A under share
    assert grades_of([95.0, 92.0, 92.0, 50.0], grading=MIN_Q) == [0, 0, 0, 1]


def test_min_score_then_quota_chain():
    gr = Grading(grades=(
        Grade(name="A", count=1, min_score=90), Grade(name="B", count=2, min_score=80), Grade(name="C"),
    ))
    # A: 85 is best but < 90 → nobody; B: 85 and 82 (≥ 80, 2 places); C: the rest
    assert grades_of([85.0, 82.0, 81.0, 10.0], grading=gr) == [1, 1, 2, 2]


# -------------------------------------------------------------------------------------------------- vetoes
VETO_GR = Grading(grades=(Grade(name="优秀", count=1), Grade(name="良好", count=1), Grade(name="一般")))


def test_veto_best_grade_blocks_better_grades_and_frees_the_slot():
    codes = grades_of([95.0, 90.0, 85.0, 80.0], grading=VETO_GR, vetoed=[True, False, False, False],
                      veto=Veto(best_grade="良好"))
    # 优秀: the vetoed 95 is not a candidate → 90 takes the slot; 良好 (count 1): 95 may have it;
    # 一般: 85, 80
    assert codes == [1, 0, 2, 2]


def test_veto_best_grade_when_the_allowed_grade_is_full():
    codes = grades_of([95.0, 90.0, 85.0, 80.0], grading=VETO_GR, vetoed=[True, False, False, False],
                      veto=Veto(best_grade="一般"))
    # 优秀 → 90, 良好 → 85 (95 not allowed), 一般 → 95 and 80
    assert codes == [2, 0, 1, 2]


def test_forced_veto_grade_overrides_everything():
    gr = Grading(grades=(Grade(name="优秀", count=1), Grade(name="良好"), bottom("较差", count=1)))
    codes = grades_of([95.0, 90.0, 85.0, 80.0], grading=gr, vetoed=[True, False, False, False],
                      veto=Veto(best_grade="良好", grade="较差"))
    # the vetoed 95 is forced to 较差 first and fills the bottom place; 优秀: 90; 良好: 85 and 80
    assert codes == [2, 0, 1, 1]


def test_forced_veto_grade_on_top_of_the_quota():
    """``counts_in_quota: false``: the vetoed unit is 较差 and the unit that came last is 较差 too."""
    gr = Grading(grades=(Grade(name="优秀", count=1), Grade(name="良好"), bottom("较差", count=1)))
    codes = grades_of([95.0, 90.0, 85.0, 80.0], grading=gr, vetoed=[True, False, False, False],
                      veto=Veto(best_grade="良好", grade="较差", counts_in_quota=False))
    # 95 forced to 较差 without taking the bottom place: 80 (last) takes it; 优秀: 90; 良好: 85
    assert codes == [2, 0, 1, 2]
    # by default the forced unit takes the place, and 80 escapes it (see the test above)
    assert Veto().counts_in_quota


def test_forced_veto_grade_in_a_group_of_one():
    gr = Grading(grades=(Grade(name="优秀", count=1), Grade(name="良好"), bottom("较差", count=1)))
    codes = grades_of([95.0], grading=gr, vetoed=[True], veto=Veto(grade="较差"))
    assert codes == [2]  # the forced grade applies even where the bottom quota could not


def test_vetoed_flag_without_veto_rule_changes_nothing():
    assert grades_of([95.0, 90.0], grading=VETO_GR, vetoed=[True, False]) == [0, 1]


# -------------------------------------------------------------------------------------- units without score
def test_units_without_a_score_get_minus_one_and_do_not_count():
    gr = Grading(grades=(Grade(name="A", share=0.5), Grade(name="B"), bottom("P", count=1)))
    codes = grades_of([NAN, 90.0, 80.0, NAN, 70.0, 60.0], grading=gr)
    # n = 4 ranked units: P = 60; A floor(0.5·4) = 2 → 90, 80; B: 70; the NaN units → −1
    assert codes == [-1, 0, 0, -1, 1, 2]


def test_group_with_only_missing_scores():
    codes = grades_of([NAN, 50.0], groups=[0, 1], grading=WITH_BOTTOM)
    assert codes == [-1, 1]  # the other group's unit is alone: B


def test_batch_of_draws_graded_independently():
    s = np.array([[3.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0]])
    g = np.zeros(4, dtype=int)
    lo, hi = group_rank(s, g, "min"), group_rank(s, g, "max")
    out = assign_grades(s, lo, hi, g, QUOTAS)
    # each draw: A 1, B 2, C 1
    assert_array_equal(out, [[0, 1, 1, 2], [2, 1, 1, 0]])
