"""Hand-computed tests of the money and award-slot rules in ``simkit.payouts``.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.errors import EvaluationError
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset
from simkit.rules.consequences import award_slots, bonus_base, bonus_factor, round_to_total, scale_to_pool, tier_grading
from simkit.rules.ranking import group_rank
from simkit.schema.consequences import Awards, Bonus, Tier, VetoEffects

GRADES = ("优秀", "良好", "一般", "较差")
AS_GRADED = VetoEffects(bonus="as_graded", awards="as_graded", progress="keep")


def units_table(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"unit": [f"U{k}" for k in range(n)], "name": [f"单位{k}" for k in range(n)], **columns})


def row(*values) -> np.ndarray:
    return np.array([values])


# ============================================================================================ bonus_base
def test_bonus_base_per_head_times_headcount():
    units = units_table(bonus_per_head=[100.0, 200.0, 25000.0], headcount=[3.0, 5.0, 2.0])
    base = bonus_base(Bonus(), units, "units.csv")
    # 100 × 3 = 300; 200 × 5 = 1000; 25000 × 2 = 50000
    assert base.tolist() == [300.0, 1000.0, 50000.0]


def test_bonus_base_per_unit_attribute_without_headcount():
    units = units_table(pot=[700.0, 900.0])  # no headcount column: it is not needed
    base = bonus_base(Bonus(base_attribute="pot", per_head=False), units, "units.csv")
    assert base.tolist() == [700.0, 900.0]  # the attribute as it is


def test_bonus_base_flat_amount():
    units = units_table(headcount=[3.0, 5.0])
    flat = bonus_base(Bonus(base_attribute=None, amount=500, per_head=False), units, "units.csv")
    assert flat.tolist() == [500.0, 500.0]  # the same amount for every unit
    per_head = bonus_base(Bonus(base_attribute=None, amount=500, per_head=True), units, "units.csv")
    assert per_head.tolist() == [1500.0, 2500.0]  # 500 × 3; 500 × 5


def test_bonus_base_missing_attribute_names_the_column_and_the_fix():
    units = units_table(bonus_per_head=[100.0, 200.0])  # no headcount column
    with pytest.raises(EvaluationError) as info:
        bonus_base(Bonus(), units, "units.csv")
    text = str(info.value)
    assert "`headcount`" in text
    assert "units.csv" in text
    assert "Fix: add a `headcount` column to the units table" in text
    assert "bonus.headcount_attribute" in text
    assert info.value.problems[0].field == "headcount"


def test_bonus_base_missing_base_attribute_column():
    units = units_table(headcount=[1.0])
    with pytest.raises(EvaluationError) as info:
        bonus_base(Bonus(base_attribute="bonus_per_head"), units, "units.csv")
    assert "`bonus_per_head`" in str(info.value)
    assert "bonus.base_attribute" in str(info.value)


def test_bonus_base_blank_value_names_the_unit():
    units = units_table(bonus_per_head=[100.0, np.nan], headcount=[1.0, 2.0])
    with pytest.raises(EvaluationError) as info:
        bonus_base(Bonus(), units, "units.csv")
    text = str(info.value)
    assert "U1 (单位1)" in text and "U0" not in text  # only the unit with the blank cell
    assert "Fix: fill in `bonus_per_head`" in text


def test_bonus_needs_a_base():
    with pytest.raises(ValueError, match="base_attribute or an amount"):
        Bonus(base_attribute=None)


# ========================================================================================= bonus_factor
def factor_by_grade(bonus: Bonus, grade: np.ndarray, vetoed: np.ndarray | None = None,
                    veto: VetoEffects = AS_GRADED) -> np.ndarray:
    n = grade.shape[-1]
    zeros = np.zeros(grade.shape)
    return bonus_factor(bonus, grade, GRADES, rank_lo=zeros, rank_hi=zeros, score=zeros,
                        group_codes=np.zeros(n, dtype=int),
                        vetoed=np.zeros(grade.shape, dtype=bool) if vetoed is None else vetoed, veto=veto)


def factor_by_tier(bonus: Bonus, score: np.ndarray, groups: np.ndarray, vetoed: np.ndarray | None = None,
                   veto: VetoEffects = AS_GRADED) -> np.ndarray:
    lo = group_rank(score, groups, "min")
    hi = group_rank(score, groups, "max")
    return bonus_factor(bonus, np.full(score.shape, -1), GRADES, rank_lo=lo, rank_hi=hi, score=score,
                        group_codes=groups, vetoed=np.zeros(score.shape, dtype=bool) if vetoed is None else vetoed,
                        veto=veto)


def test_bonus_factor_by_grade():
    bonus = Bonus(factors={"优秀": 0.2, "良好": 0.1, "较差": -0.2})  # 一般 not listed → 0
    f = factor_by_grade(bonus, row(0, 1, 2, 3, -1))
    # 优秀 +20%, 良好 +10%, 一般 0, 较差 −20%, no grade → NaN
    np.testing.assert_array_equal(f, row(0.2, 0.1, 0.0, -0.2, np.nan))


def test_bonus_factor_by_grade_batched():
    bonus = Bonus(factors={"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2})
    f = factor_by_grade(bonus, np.array([[0, 3], [3, 0]]))
    np.testing.assert_array_equal(f, [[0.2, -0.2], [-0.2, 0.2]])  # each draw by its own grades


def test_bonus_factor_by_tier_share_count_and_rest():
    bonus = Bonus(by="tier", tiers=(Tier(name="前20%", share=0.2, factor=0.3), Tier(name="次2名", count=2, factor=0.1)),
                  rest=-0.1)
    score = row(*[float(s) for s in range(10, 0, -1)])  # one group of 10, scores 10, 9, ..., 1
    f = factor_by_tier(bonus, score, np.zeros(10, dtype=int))
    # 前20%: floor(0.2 × 10) = 2 → places 1–2 get +0.3; 次2名: places 3–4 get +0.1; places 5–10 get rest −0.1
    np.testing.assert_allclose(f, row(0.3, 0.3, 0.1, 0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1))


def test_bonus_factor_by_tier_within_each_group():
    bonus = Bonus(by="tier", tiers=(Tier(name="第1名", count=1, factor=0.2),), rest=0.0)
    score = row(50.0, 80.0, 60.0, 90.0, 70.0)
    groups = np.array([0, 0, 1, 1, 1])
    f = factor_by_tier(bonus, score, groups)
    # group 0: 80 (U1) is first; group 1: 90 (U3) is first; everyone else gets rest 0
    np.testing.assert_allclose(f, row(0.0, 0.2, 0.0, 0.2, 0.0))


def test_bonus_factor_by_tier_ties_at_the_edge_share_the_tier():
    bonus = Bonus(by="tier", tiers=(Tier(name="前20%", share=0.2, factor=0.2),), rest=0.0)
    score = row(5.0, 5.0, 3.0, 2.0, 1.0)
    f = factor_by_tier(bonus, score, np.zeros(5, dtype=int))
    # quota floor(0.2 × 5) = 1, but places 1 and 1 are tied: both get the tier (tier grading ties: share)
    np.testing.assert_allclose(f, row(0.2, 0.2, 0.0, 0.0, 0.0))


def test_bonus_factor_by_tier_from_the_bottom():
    bonus = Bonus(by="tier", tiers=(Tier(name="前1名", count=1, factor=0.2),
                                    Tier(name="末1名", count=1, factor=-0.5, **{"from": "bottom"})), rest=0.0)
    f = factor_by_tier(bonus, row(4.0, 3.0, 2.0, 1.0), np.zeros(4, dtype=int))
    np.testing.assert_allclose(f, row(0.2, 0.0, 0.0, -0.5))  # first +0.2, last −0.5, the middle two rest 0


def test_tier_grading_puts_the_rest_last():
    bonus = Bonus(by="tier", tiers=(Tier(name="A", share=0.25, factor=0.1),), rest=0.0)
    g = tier_grading(bonus)
    assert [x.name for x in g.grades] == ["A", "__rest__"]
    assert g.rounding == "floor" and g.ties == "share"


def test_bonus_by_tier_needs_tiers():
    with pytest.raises(ValueError, match="needs `tiers`"):
        Bonus(by="tier")


def test_factor_below_minus_one_is_rejected():
    with pytest.raises(ValueError, match="below -1"):
        Bonus(factors={"优秀": -1.5})


# ---------------------------------------------------------------------------------------- veto effects
BY_GRADE = Bonus(factors={"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2})
VETOED = row(True, True, False, True)
GRADED = row(0, 1, 0, 3)  # 优秀 vetoed, 良好 vetoed, 优秀 not vetoed, 较差 vetoed


def test_veto_no_increase_caps_the_float_at_zero():
    f = factor_by_grade(BY_GRADE, GRADED, VETOED, VetoEffects(bonus="no_increase"))
    # vetoed 优秀: min(0.2, 0) = 0; vetoed 良好: min(0.1, 0) = 0; not vetoed 优秀: 0.2; vetoed 较差: min(−0.2, 0) = −0.2
    np.testing.assert_allclose(f, row(0.0, 0.0, 0.2, -0.2))


def test_a_vetoed_unit_is_never_paid_above_its_base_under_a_pool():
    """The issue's case: three units of 10,000 yuan, pool 30,000; A vetoed (float capped at 0), B +10%, C −20%.

    Stated: 10,000 + 11,000 + 8,000 = 29,000; scaled ×30/29 A would get 10,345 > its base.  A gets 10,000 and
    the other 20,000 go to B and C as 11,000 : 8,000 → 11,578.95 and 8,421.05; the pool adds up to the yuan."""
    base = np.full(3, 10_000.0)
    factor = bonus_factor(Bonus(factors={"A": 0.2, "B": 0.1, "C": -0.2}, amount=10_000, base_attribute=None,
                                per_head=False, pool=30_000), np.array([[0, 1, 2]]), ("A", "B", "C"),
                          rank_lo=row(1, 2, 3), rank_hi=row(1, 2, 3), score=row(3, 2, 1),
                          group_codes=np.zeros(3, int), vetoed=np.array([[True, False, False]]),
                          veto=VetoEffects(bonus="no_increase"))
    assert factor.tolist() == [[0.0, 0.1, -0.2]]
    payout, scale = scale_to_pool(base, factor, 30_000.0, capped=np.array([[True, False, False]]))
    np.testing.assert_allclose(payout, [[10_000.0, 20_000 * 11 / 19, 20_000 * 8 / 19]])
    assert payout.sum() == pytest.approx(30_000.0) and scale[0] == pytest.approx(20_000 / 19_000)
    assert round_to_total(payout, 30_000).tolist() == [[10_000, 11_579, 8_421]]
    # a pool that scales down leaves a vetoed unit where the scale puts it (below its base anyway)
    down, _ = scale_to_pool(base, factor, 20_000.0, capped=np.array([[True, False, False]]))
    np.testing.assert_allclose(down, [[10_000 * 20 / 29, 11_000 * 20 / 29, 8_000 * 20 / 29]])
    # two vetoed units: both held at their base, the third takes the rest
    two, _ = scale_to_pool(base, row(0.0, 0.0, 0.5), 40_000.0, capped=np.array([[True, True, False]]))
    np.testing.assert_allclose(two, [[10_000.0, 10_000.0, 20_000.0]])


def test_veto_nothing_pays_nothing():
    f = factor_by_grade(BY_GRADE, GRADED, VETOED, VetoEffects(bonus="nothing"))
    np.testing.assert_allclose(f, row(-1.0, -1.0, 0.2, -1.0))  # every vetoed unit −1 (= nothing paid)
    payout, _ = scale_to_pool(np.full(4, 1000.0), f, None)
    np.testing.assert_allclose(payout, row(0.0, 0.0, 1200.0, 0.0))  # 1000 × (1 − 1) = 0; 1000 × 1.2 = 1200


def test_veto_as_graded_changes_nothing():
    f = factor_by_grade(BY_GRADE, GRADED, VETOED, VetoEffects(bonus="as_graded"))
    np.testing.assert_allclose(f, row(0.2, 0.1, 0.2, -0.2))


def test_veto_no_increase_by_tier():
    bonus = Bonus(by="tier", tiers=(Tier(name="第1名", count=1, factor=0.2),), rest=0.1)
    f = factor_by_tier(bonus, row(3.0, 2.0, 1.0), np.zeros(3, dtype=int), row(True, False, False),
                       VetoEffects(bonus="no_increase"))
    np.testing.assert_allclose(f, row(0.0, 0.1, 0.1))  # vetoed first place: min(0.2, 0) = 0; the rest 0.1


# ========================================================================================= scale_to_pool
def test_scale_to_pool_open_ended_scale_is_one():
    payout, scale = scale_to_pool(np.array([100.0, 200.0, 300.0]), row(0.2, -0.2, np.nan), None)
    # 100 × 1.2 = 120; 200 × 0.8 = 160; no grade (NaN) → pays nothing: 0
    np.testing.assert_allclose(payout, row(120.0, 160.0, 0.0))
    assert scale.tolist() == [1.0]


def test_scale_to_pool_fixed_pool_is_exact():
    payout, scale = scale_to_pool(np.array([100.0, 100.0, 200.0]), row(0.2, -0.2, 0.0), 800.0)
    # raw 120 + 80 + 200 = 400; scale 800 / 400 = 2 → 240, 160, 400 (sum 800)
    np.testing.assert_allclose(payout, row(240.0, 160.0, 400.0))
    np.testing.assert_allclose(scale, [2.0])
    assert payout.sum() == pytest.approx(800.0)


def test_scale_to_pool_nominal_is_the_sum_of_bases():
    base = np.array([100.0, 100.0, 200.0])
    payout, scale = scale_to_pool(base, row(0.2, 0.1, 0.0), float(base.sum()))
    # raw 120 + 110 + 200 = 430; nominal pool 400; scale 400 / 430
    np.testing.assert_allclose(scale, [400 / 430])
    np.testing.assert_allclose(payout, row(120 * 400 / 430, 110 * 400 / 430, 200 * 400 / 430))
    assert payout.sum() == pytest.approx(400.0)


def test_scale_to_pool_per_draw():
    payout, scale = scale_to_pool(np.array([100.0, 100.0]), np.array([[0.0, 0.0], [1.0, 0.0]]), 300.0)
    # draw 1: raw 200 → scale 1.5 → 150, 150; draw 2: raw 200 + 100 = 300 → scale 1 → 200, 100
    np.testing.assert_allclose(payout, [[150.0, 150.0], [200.0, 100.0]])
    np.testing.assert_allclose(scale, [1.5, 1.0])


def test_scale_to_pool_nothing_to_pay_gives_scale_zero():
    payout, scale = scale_to_pool(np.array([100.0, 100.0]), row(-1.0, -1.0), 500.0)
    np.testing.assert_array_equal(payout, row(0.0, 0.0))  # raw total 0: nothing can be scaled up
    assert scale.tolist() == [0.0]


# ========================================================================================= round_to_total
def test_round_to_total_sums_exactly():
    out = round_to_total(row(0.3, 0.3, 0.4), 1)
    # floors 0, 0, 0 (sum 0); 1 left → the largest remainder 0.4 (third)
    assert out.tolist() == [[0, 0, 1]]
    out = round_to_total(row(240.4, 160.3, 399.3), 800)
    # floors 240, 160, 399 = 799; 1 left → largest remainder 0.4 (first)
    assert out.tolist() == [[241, 160, 399]]
    assert out.sum() == 800


def test_round_to_total_tie_goes_to_priority_then_the_earlier_unit():
    # 1.5, 1.5, 1.0 → floors 1, 1, 1 = 3; 1 left; remainders 0.5, 0.5 tied
    assert round_to_total(row(1.5, 1.5, 1.0), 4).tolist() == [[2, 1, 1]]  # no priority: earlier unit
    assert round_to_total(row(1.5, 1.5, 1.0), 4, priority=row(0.0, 1.0, 0.0)).tolist() == [[1, 2, 1]]
    # equal priority → back to the earlier unit
    assert round_to_total(row(1.5, 1.5, 1.0), 4, priority=row(-2.0, -2.0, -1.0)).tolist() == [[2, 1, 1]]
    # priority only breaks ties: a larger remainder wins over a higher priority
    assert round_to_total(row(1.4, 1.6), 3, priority=row(5.0, 0.0)).tolist() == [[1, 2]]


def test_round_to_total_leaves_whole_amounts_alone():
    out = round_to_total(row(3.0, 5.0, 2.0), 10)
    assert out.tolist() == [[3, 5, 2]]
    assert out.dtype == np.int64
    # float noise below 1e-9 is not a remainder: 2.9999999999 counts as 3
    assert round_to_total(row(2.9999999999, 1.0000000001), 4).tolist() == [[3, 1]]


def test_round_to_total_per_row_totals():
    out = round_to_total(np.array([[1.5, 1.5, 1.0], [0.5, 0.5, 2.0]]), np.array([4, 3]))
    # row 1 as above → 2, 1, 1; row 2: floors 0, 0, 2 = 2; 1 left; tied 0.5 → earlier unit → 1, 0, 2
    assert out.tolist() == [[2, 1, 1], [1, 0, 2]]


def test_round_to_total_two_left_over():
    out = round_to_total(row(0.7, 0.7, 0.6), 2)
    # floors 0; 2 left → remainders 0.7, 0.7 (first two)
    assert out.tolist() == [[1, 1, 0]]


# =========================================================================================== award_slots
def slots(awards: Awards, grade, rank, groups=None, head=None, vetoed=None, veto: VetoEffects = AS_GRADED):
    grade = np.atleast_2d(grade)
    n = grade.shape[-1]
    return award_slots(awards, grade, GRADES, np.atleast_2d(np.asarray(rank, dtype=float)),
                       None if head is None else np.asarray(head, dtype=float),
                       np.zeros(n, dtype=int) if groups is None else np.asarray(groups),
                       np.zeros(grade.shape, dtype=bool) if vetoed is None else np.atleast_2d(vetoed), veto)


WEIGHTS = {"优秀": 3.0, "良好": 2.0, "一般": 1.0, "较差": 0.0}


def test_award_slots_largest_remainder():
    a = Awards(quota=10, weights=WEIGHTS, per_head=False)
    out = slots(a, [0, 1, 1, 2], [1, 2, 3, 4])
    # weights 3, 2, 2, 1 (sum 8) → 10 × w / 8 = 3.75, 2.5, 2.5, 1.25; floors 3, 2, 2, 1 = 8; 2 left:
    # 0.75 (U0), then 0.5 tied between U1 and U2 → U1 (rank 2 beats rank 3)
    assert out.tolist() == [[4, 3, 2, 1]]
    assert out.sum() == 10


def test_award_slots_tie_on_remainder_goes_to_the_better_rank():
    a = Awards(quota=10, weights=WEIGHTS, per_head=False)
    out = slots(a, [0, 1, 1, 2], [1, 3, 2, 4])  # same as above, but U2 now ranks above U1
    assert out.tolist() == [[4, 2, 3, 1]]  # the tied 0.5 goes to U2 (rank 2)


def test_award_slots_per_head():
    a = Awards(quota=7, weights=WEIGHTS, per_head=True)
    out = slots(a, [0, 0, 0], [1, 2, 3], head=[10, 20, 30])
    # weights 3×10, 3×20, 3×30 = 30, 60, 90 (sum 180) → 7 × w / 180 = 1.1667, 2.3333, 3.5;
    # floors 1, 2, 3 = 6; 1 left → largest remainder 0.5 (U2)
    assert out.tolist() == [[1, 2, 4]]


def test_award_slots_zero_weight_grade_and_ungraded_get_none():
    a = Awards(quota=5, weights=WEIGHTS, per_head=False)
    out = slots(a, [0, 3, -1], [1, 2, np.nan])
    # 较差 weight 0, no grade weight 0: all 5 slots to U0
    assert out.tolist() == [[5, 0, 0]]


def test_award_slots_scope_group_gives_each_group_the_quota():
    a = Awards(quota=5, weights=WEIGHTS, per_head=False, scope="group")
    out = slots(a, [1, 1, 1, 1, 1], [1, 2, 1, 2, 3], groups=[0, 0, 1, 1, 1])
    # group 0: 5 × 1/2 = 2.5, 2.5 → floors 2, 2; 1 left, tied → U0 (rank 1) → 3, 2
    # group 1: 5 × 1/3 = 1.667 each → floors 1, 1, 1; 2 left, tied → ranks 1 and 2 → 2, 2, 1
    assert out.tolist() == [[3, 2, 2, 2, 1]]
    assert out[0, :2].sum() == 5 and out[0, 2:].sum() == 5


def test_award_slots_scope_all_shares_one_quota():
    a = Awards(quota=5, weights=WEIGHTS, per_head=False, scope="all")
    out = slots(a, [1, 1, 1, 1, 1], [1, 2, 1, 2, 3], groups=[0, 0, 1, 1, 1])
    # 5 × 1/5 = 1 each, no remainder
    assert out.tolist() == [[1, 1, 1, 1, 1]]


def test_award_slots_vetoed_get_none():
    a = Awards(quota=4, weights=WEIGHTS, per_head=False)
    vetoed = [False, True, False, False]
    out = slots(a, [0, 0, 0, 0], [1, 2, 3, 4], vetoed=vetoed, veto=VetoEffects(awards="none"))
    # weights 3, 0 (vetoed), 3, 3 → 4/3 = 1.333 each; floors 1, 0, 1, 1 = 3; 1 left, tied → U0 (rank 1)
    assert out.tolist() == [[2, 0, 1, 1]]
    kept = slots(a, [0, 0, 0, 0], [1, 2, 3, 4], vetoed=vetoed, veto=VetoEffects(awards="as_graded"))
    assert kept.tolist() == [[1, 1, 1, 1]]  # 4 × 3/12 = 1 each


def test_award_slots_nobody_eligible_gives_no_slots():
    a = Awards(quota=4, weights=WEIGHTS, per_head=False)
    out = slots(a, [3, 3], [1, 2])  # both 较差, weight 0
    assert out.tolist() == [[0, 0]]


def test_award_slots_sum_to_the_quota_with_awkward_weights():
    a = Awards(quota=120, weights={"优秀": 1.5, "良好": 1.2, "一般": 1.0, "较差": 0.5}, per_head=True)
    head = [2600, 1500, 2300, 2000, 2400, 2900, 850, 1100]
    out = slots(a, [0, 1, 1, 2, 1, 0, 3, 1], [1, 4, 3, 7, 2, 5, 8, 6], head=head)
    assert out.sum() == 120
    # exact shares are within one slot of the whole numbers
    w = np.array([1.5, 1.2, 1.2, 1.0, 1.2, 1.5, 0.5, 1.2]) * np.array(head)
    assert np.all(np.abs(out[0] - 120 * w / w.sum()) < 1)


# ================================================================================= through simkit.evaluate
def tiny(pool) -> tuple[simkit.Dataset, simkit.Scenario]:
    units = pd.DataFrame([["A", "甲", "G", "10", "100"], ["B", "乙", "G", "20", "100"], ["C", "丙", "G", "30", "100"]],
                         columns=["unit", "name", "group", "headcount", "bonus_per_head"])
    indicators = pd.DataFrame([["x", "指标x", "", "1"]], columns=["indicator", "name", "parent", "direction"])
    obs = pd.DataFrame([["A", "x", "2018", "3"], ["B", "x", "2018", "2"], ["C", "x", "2018", "1"]],
                       columns=["unit", "indicator", "year", "value"])
    data = build_dataset({"units": units, "indicators": indicators, "observations": obs})
    scenario = scenario_from_dict({
        "name": "tiny", "weights": {"mode": "relative"},
        "grading": {"grades": [{"name": "优秀", "count": 1}, {"name": "一般"}, {"name": "较差", "count": 1,
                                                                                "from": "bottom"}]},
        "consequences": {"bonus": {"factors": {"优秀": 0.2, "一般": 0.0, "较差": -0.2}, "pool": pool},
                         "awards": {"quota": 5, "weights": {"优秀": 2, "一般": 1, "较差": 0}}},
    })
    return data, scenario


def test_nominal_pool_through_evaluate():
    data, scenario = tiny("nominal")
    r = simkit.evaluate(scenario, data)
    u = r.units.set_index("unit")
    # bases 100 × 10, 100 × 20, 100 × 30 = 1000, 2000, 3000 (sum 6000 = the nominal pool)
    # raw 1000 × 1.2 + 2000 × 1 + 3000 × 0.8 = 1200 + 2000 + 2400 = 5600; scale 6000 / 5600 = 1.0714286
    # 1285.714, 2142.857, 2571.429 → floors 1285, 2142, 2571 = 5998; 2 left → the largest remainders
    # .857 (B) and .714 (A), not .429 (C)
    assert u["payout"].tolist() == [1286, 2143, 2571]
    assert u["payout"].sum() == 6000
    b = r.budget()
    assert b["paid"] == 6000 and b["budget"] == 6000 and b["pool"] == 6000 and b["difference"] == 0
    assert b["scale"] == pytest.approx(6000 / 5600)
    # slots: weights 2 × 10, 1 × 20, 0 × 30 = 20, 20, 0 → 2.5, 2.5, 0; 1 left, tied → A (rank 1)
    assert u["award_slots"].tolist() == [3, 2, 0]


def test_fixed_pool_and_open_ended_through_evaluate():
    data, scenario = tiny(7000)
    u = simkit.evaluate(scenario, data).units.set_index("unit")
    # scale 7000 / 5600 = 1.25 → 1500, 2500, 3000 exactly
    assert u["payout"].tolist() == [1500, 2500, 3000]
    data, scenario = tiny(None)
    r = simkit.evaluate(scenario, data)
    assert r.units.set_index("unit")["payout"].tolist() == [1200, 2000, 2400]  # base × (1 + factor)
    b = r.budget()
    # open-ended: the budget is the sum of bases (6000), paid 5600, scale 1, no pool
    assert (b["paid"], b["budget"], b["difference"], b["scale"], b["pool"]) == (5600, 6000, -400, 1.0, None)
