"""Tests for simkit.rules.targets: every rule in TARGET_RULES (models in simkit.schema.targets), with hand-computed
targets."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from pydantic import ValidationError

from simkit.rules.targets import TARGET_RULES, TargetContext, compute_target, ratchet_path, uplifted
from simkit.schema.targets import (
    TARGET_MODELS,
    AssignedTarget,
    BaselineTarget,
    DecomposedTarget,
    NoTarget,
    RatchetTarget,
    UniformTarget,
)

YEARS = (2014, 2015, 2016, 2017, 2018)


def ctx(m: np.ndarray, *, direction: float = 1.0, groups=None, assigned=None) -> TargetContext:
    """A context for m of shape (units, years)."""
    units, years = m.shape
    return TargetContext(
        assigned=np.full((units, years), np.nan) if assigned is None else np.asarray(assigned, dtype=float),
        group_codes=np.zeros(units, dtype=int) if groups is None else np.asarray(groups),
        direction=np.array([direction]),
        years=YEARS[:years],
    )


def test_registry_lists_every_rule():
    assert set(TARGET_RULES) == {"none", "uniform", "baseline", "assigned", "decomposed", "ratchet", "combine"}
    assert set(TARGET_MODELS) == set(TARGET_RULES)
    for name, fn in TARGET_RULES.items():
        assert callable(fn)
        assert TARGET_MODELS[name].model_fields["rule"].default == name


# ------------------------------------------------------------------------------------------------ uplifted
def test_uplifted():
    # 100 + (100·0.05) = 105; -2 + (|-2|·0.05) = -1.9 (asks for more even from a negative base)
    assert_allclose(uplifted(np.array([100.0, -2.0]), 0.05, 0.0), [105.0, -1.9])
    # lower is better: 40 − (40·0.05) = 38
    assert float(uplifted(np.array(40.0), 0.05, 0.0, -1.0)) == pytest.approx(38.0)
    # add after the uplift: 0.05 + (0.05·0 + 0.01) = 0.06; lower-is-better: 0.05 − 0.01 = 0.04
    assert float(uplifted(np.array(0.05), 0.0, 0.01)) == pytest.approx(0.06)
    assert float(uplifted(np.array(0.05), 0.0, 0.01, -1.0)) == pytest.approx(0.04)


# ---------------------------------------------------------------------------------------------- none/uniform
def test_none_gives_nan_per_unit():
    m = np.arange(10.0).reshape(2, 5)
    q = compute_target(NoTarget(), m, 4, ctx(m))
    assert q.shape == (2,)
    assert np.isnan(q).all()


def test_uniform_same_for_every_unit():
    m = np.array([[1.0, 2.0, 3.0], [np.nan, np.nan, np.nan]])
    q = compute_target(UniformTarget(value=7.5), m, 2, ctx(m))
    assert_allclose(q, [7.5, 7.5])  # even for a unit without data


def test_uniform_batch_shape():
    m = np.ones((3, 2, 4))  # (batch, units, years)
    q = compute_target(UniformTarget(value=-1.0), m, 3, ctx(m[0]))
    assert q.shape == (3, 2)
    assert (q == -1.0).all()


# ------------------------------------------------------------------------------------------------ baseline
def test_baseline_mean_of_last_three_years_with_uplift():
    m = np.array([[10.0, 20.0, 30.0, 40.0, 999.0], [5.0, 5.0, 5.0, 5.0, 999.0]])
    q = compute_target(BaselineTarget(years=3, uplift=0.1), m, 4, ctx(m))
    # unit 0: mean(20, 30, 40) = 30 → 30 + 30·0.1 = 33; unit 1: mean(5, 5, 5) = 5 → 5.5
    assert_allclose(q, [33.0, 5.5])


def test_baseline_evaluation_year_not_used():
    m = np.array([[10.0, 20.0, 30.0, 1e9]])
    q = compute_target(BaselineTarget(years=3), m, 3, ctx(m))
    assert_allclose(q, [20.0])  # mean(10, 20, 30) = 20; the evaluation year's 1e9 is not part of it


def test_baseline_add():
    m = np.array([[0.04, 0.05, 0.06, 0.0]])
    q = compute_target(BaselineTarget(years=3, add=0.01), m, 3, ctx(m))
    assert_allclose(q, [0.06])  # mean 0.05 + (0.05·0 + 0.01) = 0.06


def test_baseline_uplift_and_add_together():
    m = np.array([[100.0, 100.0, 0.0]])
    q = compute_target(BaselineTarget(years=2, uplift=0.05, add=2.0), m, 2, ctx(m))
    assert_allclose(q, [107.0])  # 100 + (100·0.05 + 2) = 107


def test_baseline_negative_base_still_asks_for_more():
    m = np.array([[-0.03, -0.01, -0.02, 0.0]])
    q = compute_target(BaselineTarget(years=3, uplift=0.5), m, 3, ctx(m))
    assert_allclose(q, [-0.01])  # mean −0.02 + |−0.02|·0.5 = −0.01 (higher than the base)


def test_baseline_direction_minus_one():
    m = np.array([[40.0, 40.0, 40.0, 0.0], [10.0, 20.0, 30.0, 0.0]])
    q = compute_target(BaselineTarget(years=3, uplift=0.05, add=1.0), m, 3, ctx(m, direction=-1.0))
    # lower is better: 40 − (40·0.05 + 1) = 37; mean(10,20,30) = 20 → 20 − (20·0.05 + 1) = 18
    assert_allclose(q, [37.0, 18.0])


def test_baseline_per_indicator_direction_broadcast():
    # (k=2 indicators, units=1, years=4) with direction (k, 1) as the engine passes it
    m = np.array([[[10.0, 10.0, 10.0, 0.0]], [[10.0, 10.0, 10.0, 0.0]]])
    c = TargetContext(np.full((2, 1, 4), np.nan), np.array([0]), np.array([[1.0], [-1.0]]), YEARS[:4])
    q = compute_target(BaselineTarget(years=3, uplift=0.1), m, 3, c)
    assert_allclose(q, [[11.0], [9.0]])  # 10 + 1 for higher-is-better, 10 − 1 for lower-is-better


def test_baseline_missing_year_gives_nan_by_default():
    m = np.array([[10.0, np.nan, 30.0, 0.0], [10.0, 20.0, 30.0, 0.0]])
    q = compute_target(BaselineTarget(years=3), m, 3, ctx(m))
    assert np.isnan(q[0])  # one of the 3 years missing and min_years defaults to 3
    assert q[1] == pytest.approx(20.0)  # mean(10, 20, 30)


def test_baseline_min_years_averages_the_years_present():
    m = np.array([[10.0, np.nan, 30.0, 0.0], [np.nan, np.nan, 30.0, 0.0], [np.nan, np.nan, np.nan, 0.0]])
    q = compute_target(BaselineTarget(years=3, min_years=2), m, 3, ctx(m))
    # unit 0: 2 years present ≥ 2 → mean(10, 30) = 20; unit 1: 1 year < 2 → NaN; unit 2: none → NaN
    assert q[0] == pytest.approx(20.0)
    assert np.isnan(q[1]) and np.isnan(q[2])
    q1 = compute_target(BaselineTarget(years=3, min_years=1), m, 3, ctx(m))
    assert q1[1] == pytest.approx(30.0)  # min_years 1: mean(30) = 30
    assert np.isnan(q1[2])


def test_baseline_not_enough_years_before_t():
    m = np.array([[10.0, 20.0, 30.0, 40.0]])
    assert np.isnan(compute_target(BaselineTarget(years=3), m, 2, ctx(m))[0])  # only 2 years before t=2
    q = compute_target(BaselineTarget(years=3, min_years=2), m, 2, ctx(m))
    assert q[0] == pytest.approx(15.0)  # mean(10, 20) = 15
    assert np.isnan(compute_target(BaselineTarget(years=1), m, 0, ctx(m))[0])  # no year before the first


def test_baseline_validation():
    with pytest.raises(ValidationError, match="min_years"):
        BaselineTarget(years=3, min_years=4)
    BaselineTarget(years=3, min_years=3)  # equal is fine
    with pytest.raises(ValidationError):
        BaselineTarget(years=0)
    with pytest.raises(ValidationError):
        BaselineTarget(years=3, uplift=-2.0)  # below −1
    with pytest.raises(ValidationError):
        BaselineTarget(years=3, bogus=1)  # extra fields forbidden


# ------------------------------------------------------------------------------------------------ assigned
def test_assigned_reads_the_evaluation_year():
    m = np.zeros((3, 4))
    assigned = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, np.nan], [9.0, 9.0, 9.0, -8.0]])
    q = compute_target(AssignedTarget(), m, 3, ctx(m, assigned=assigned))
    assert_allclose(q, [4.0, np.nan, -8.0])  # the column of year index 3; NaN where none assigned
    q2 = compute_target(AssignedTarget(), m, 1, ctx(m, assigned=assigned))
    assert_allclose(q2, [2.0, 6.0, 9.0])


def test_assigned_broadcasts_over_batch_and_is_a_copy():
    m = np.zeros((2, 2, 3))
    assigned = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    q = compute_target(AssignedTarget(), m, 2, ctx(m[0], assigned=assigned))
    assert_allclose(q, [[3.0, 6.0], [3.0, 6.0]])
    q[0, 0] = 100.0  # writable copy, not a view of the context
    assert assigned[0, 2] == 3.0


# ---------------------------------------------------------------------------------------------- decomposed
def test_decomposed_validation_needs_exactly_one_source():
    with pytest.raises(ValidationError, match="exactly one"):
        DecomposedTarget()
    with pytest.raises(ValidationError, match="exactly one"):
        DecomposedTarget(city_target=100.0, city_growth=0.1)
    DecomposedTarget(city_target=100.0)
    DecomposedTarget(city_growth=0.0)  # 0 growth is a value, not "none"


def test_decomposed_city_target_one_group():
    m = np.array([[10.0, 20.0, 0.0], [30.0, 60.0, 0.0], [10.0, 20.0, 0.0]])
    q = compute_target(DecomposedTarget(city_target=200.0), m, 2, ctx(m))
    # last year: 20, 60, 20 → total 100 → shares 0.2, 0.6, 0.2 → 200·share = 40, 120, 40
    assert_allclose(q, [40.0, 120.0, 40.0])


def test_decomposed_city_target_share_years():
    m = np.array([[10.0, 30.0, 0.0], [30.0, 10.0, 0.0]])
    q = compute_target(DecomposedTarget(city_target=100.0, share_years=2), m, 2, ctx(m))
    # means over 2 years: (10+30)/2 = 20 and (30+10)/2 = 20 → shares 0.5, 0.5 → 50, 50
    assert_allclose(q, [50.0, 50.0])
    q1 = compute_target(DecomposedTarget(city_target=100.0, share_years=1), m, 2, ctx(m))
    # last year only: 30, 10 → shares 0.75, 0.25 → 75, 25
    assert_allclose(q1, [75.0, 25.0])


def test_decomposed_city_growth_two_groups():
    m = np.array([
        [10.0, 20.0, 0.0],  # group 0
        [30.0, 80.0, 0.0],  # group 0
        [50.0, 40.0, 0.0],  # group 1
        [50.0, 60.0, 0.0],  # group 1
    ])
    q = compute_target(DecomposedTarget(city_growth=0.1), m, 2, ctx(m, groups=[0, 0, 1, 1]))
    # group 0: last-year total 20+80 = 100 → ×1.1 = 110; shares 0.2, 0.8 → 22, 88
    # group 1: last-year total 40+60 = 100 → ×1.1 = 110; shares 0.4, 0.6 → 44, 66
    assert_allclose(q, [22.0, 88.0, 44.0, 66.0])


def test_decomposed_city_growth_two_groups_interleaved_and_share_years():
    m = np.array([
        [10.0, 30.0, 0.0],  # group 1
        [20.0, 20.0, 0.0],  # group 0
        [30.0, 10.0, 0.0],  # group 1
        [60.0, 20.0, 0.0],  # group 0
    ])
    p = DecomposedTarget(city_growth=0.5, share_years=2)
    q = compute_target(p, m, 2, ctx(m, groups=[1, 0, 1, 0]))
    # group 1: shares from means (10+30)/2 = 20, (30+10)/2 = 20 → 0.5, 0.5;
    #          city = (30 + 10)·1.5 = 60 → 30, 30
    # group 0: means (20+20)/2 = 20, (60+20)/2 = 40 → 1/3, 2/3; city = (20 + 20)·1.5 = 60 → 20, 40
    assert_allclose(q, [30.0, 20.0, 30.0, 40.0])


def test_decomposed_city_target_given_to_each_group():
    m = np.array([[1.0, 0.0], [3.0, 0.0], [5.0, 0.0]])
    q = compute_target(DecomposedTarget(city_target=100.0), m, 1, ctx(m, groups=[0, 0, 1]))
    # group 0: shares 1/4, 3/4 → 25, 75; group 1 (alone): share 1 → 100
    assert_allclose(q, [25.0, 75.0, 100.0])


def test_decomposed_not_enough_years():
    m = np.array([[10.0, 20.0], [30.0, 40.0]])
    q = compute_target(DecomposedTarget(city_target=100.0, share_years=2), m, 1, ctx(m))
    assert np.isnan(q).all()  # t=1 has only one year before it


# ------------------------------------------------------------------------------------------------- ratchet
def test_ratchet_path_asymmetric():
    out = ratchet_path(np.array([110.0, 90.0]), np.array(100.0), 0.5, 0.25)
    # q1 = 100 + 0.5·(110−100) = 105; q2 = 105 + 0.25·(90−105) = 101.25
    assert_allclose(out, [105.0, 101.25])


def test_ratchet_path_on_target_and_batch():
    y = np.array([[100.0, 100.0], [80.0, 120.0]])
    out = ratchet_path(y, np.array([100.0, 100.0]), 1.0, 0.0)
    # row 0: gap 0 → λ_down·0 = 0 → 100, 100
    # row 1: gap −20 → λ_down 0 → 100; gap +20 → λ_up 1 → 120
    assert_allclose(out, [[100.0, 100.0], [100.0, 120.0]])


def test_ratchet_starts_from_baseline_and_runs_forward():
    m = np.array([[10.0, 20.0, 30.0, 40.0, 10.0, 999.0]])
    q = compute_target(RatchetTarget(lambda_up=0.5, lambda_down=0.25, start_years=3), m, 5, ctx(m))
    # start at index 3: q0 = mean(10, 20, 30) = 20
    # y3 = 40 above 20: q4 = 20 + 0.5·20 = 30; y4 = 10 below 30: q5 = 30 + 0.25·(10−30) = 25
    assert_allclose(q, [25.0])


def test_ratchet_asymmetric_lambdas_swap():
    m = np.array([[10.0, 20.0, 30.0, 40.0, 10.0, 999.0]])
    q = compute_target(RatchetTarget(lambda_up=0.25, lambda_down=0.5, start_years=3), m, 5, ctx(m))
    # q0 = 20; q4 = 20 + 0.25·20 = 25; q5 = 25 + 0.5·(10−25) = 17.5
    assert_allclose(q, [17.5])


def test_ratchet_first_target_is_the_baseline_when_start_is_t():
    m = np.array([[10.0, 20.0, 30.0, 999.0]])
    q = compute_target(RatchetTarget(start_years=3, uplift=0.1), m, 3, ctx(m))
    assert_allclose(q, [22.0])  # mean(10, 20, 30) = 20, uplift 10% → 22


def test_ratchet_uplift_lower_is_better():
    m = np.array([[10.0, 20.0, 30.0, 999.0]])
    q = compute_target(RatchetTarget(start_years=3, uplift=0.1), m, 3, ctx(m, direction=-1.0))
    assert_allclose(q, [18.0])  # 20 − 20·0.1 = 18


def test_ratchet_skips_missing_early_years():
    m = np.array([[np.nan, 10.0, 20.0, 30.0, 40.0, 999.0]])
    q = compute_target(RatchetTarget(lambda_up=0.5, start_years=3), m, 5, ctx(m))
    # index 3's window [NaN, 10, 20] has a gap; index 4's [10, 20, 30] is complete → q0 = 20
    # y4 = 40: q5 = 20 + 0.5·20 = 30
    assert_allclose(q, [30.0])


def test_ratchet_not_enough_data():
    m = np.array([[10.0, 20.0, 999.0]])
    q = compute_target(RatchetTarget(start_years=3), m, 2, ctx(m))
    assert np.isnan(q).all()  # fewer than 3 years before t


def test_ratchet_two_units():
    m = np.array([[100.0, 100.0, 100.0, 120.0, 0.0], [50.0, 50.0, 50.0, 40.0, 0.0]])
    q = compute_target(RatchetTarget(lambda_up=0.5, lambda_down=1.0, start_years=3), m, 4, ctx(m))
    # unit 0: q0 = 100, y = 120 → 100 + 0.5·20 = 110; unit 1: q0 = 50, y = 40 → 50 + 1.0·(−10) = 40
    assert_allclose(q, [110.0, 40.0])


def test_ratchet_path_lower_is_better_swaps_which_lambda_applies():
    out = ratchet_path(np.array([90.0, 110.0]), np.array(100.0), 0.5, 0.25, -1.0)
    # lower is better: 90 beats 100 → λ_up: 100 + 0.5·(90−100) = 95
    # 110 is worse than 95 → λ_down: 95 + 0.25·(110−95) = 98.75
    assert_allclose(out, [95.0, 98.75])


def test_ratchet_lower_is_better_in_compute_target():
    m = np.array([[10.0, 20.0, 30.0, 10.0, 999.0]])
    p = RatchetTarget(lambda_up=0.5, lambda_down=0.25, start_years=3)
    # q3 = mean(10, 20, 30) = 20; y3 = 10
    # lower is better: 10 is better than 20 → λ_up: 20 + 0.5·(10−20) = 15
    assert_allclose(compute_target(p, m, 4, ctx(m, direction=-1.0)), [15.0])
    # higher is better: 10 is worse → λ_down: 20 + 0.25·(10−20) = 17.5
    assert_allclose(compute_target(p, m, 4, ctx(m, direction=1.0)), [17.5])


def test_ratchet_each_unit_starts_from_its_own_first_full_window():
    m = np.array([[10.0, 20.0, 30.0, 60.0, 999.0], [np.nan, 10.0, 20.0, 30.0, 999.0]])
    q = compute_target(RatchetTarget(lambda_up=0.5, start_years=3), m, 4, ctx(m))
    # unit 0: q3 = mean(10, 20, 30) = 20; y3 = 60 → q4 = 20 + 0.5·40 = 40
    # unit 1: its first full window is [10, 20, 30] before year 4 → q4 = 20 (the missing year of
    # unit 1 does not delay unit 0's start)
    assert_allclose(q, [40.0, 20.0])


def test_ratchet_validation():
    with pytest.raises(ValidationError):
        RatchetTarget(lambda_up=1.5)
    with pytest.raises(ValidationError):
        RatchetTarget(lambda_down=-0.1)


# ------------------------------------------------------------------------------------ the years a rule reads
def test_window_of_years_read():
    assert list(BaselineTarget(years=3).window(5)) == [2, 3, 4]
    assert list(DecomposedTarget(city_target=1.0, share_years=2).window(5)) == [3, 4]
    assert list(RatchetTarget(start_years=2).window(5)) == [3, 4]
    assert list(UniformTarget(value=1.0).window(5)) == []
    assert list(NoTarget().window(5)) == []
    assert list(AssignedTarget().window(5)) == []
    # the fewest years a rule can work with, and the ratchet reading the whole history
    assert BaselineTarget(years=3, min_years=2).min_span == 2 and BaselineTarget(years=3).min_span == 3
    assert RatchetTarget().whole_history and not BaselineTarget().whole_history
