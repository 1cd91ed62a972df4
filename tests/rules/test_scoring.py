"""Tests for simkit.rules.scoring: every rule in SCORING_RULES (models in simkit.schema.scoring), with hand-computed
shares."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pydantic import ValidationError

from simkit.errors import RuleInputError
from simkit.rules.scoring import SCORING_RULES, completion_ratio, score
from simkit.schema.scoring import (
    SCORING_MODELS,
    AllOrNothing,
    Completion,
    Efficacy,
    GroupAverage,
    Leader,
    MinMax,
    RankDecay,
    RankTable,
    ZScore,
)

NAN = np.nan


def run(params, m, q=None, d=1.0, groups=None) -> np.ndarray:
    """Score one indicator (k=1) for one draw; m and q are per unit; returns shares per unit."""
    m = np.asarray(m, dtype=float)[None, :, None]
    q = np.full(m.shape, NAN) if q is None else np.asarray(q, dtype=float)[None, :, None]
    g = np.zeros(m.shape[1], dtype=int) if groups is None else np.asarray(groups)
    out = score(params, m, q, np.array([d]), g)
    assert out.shape == m.shape
    return out[0, :, 0]


def test_registry_lists_every_rule():
    assert set(SCORING_RULES) == {
        "completion", "all_or_nothing", "rank_decay", "rank_table", "leader", "efficacy", "group_average",
        "minmax", "zscore",
    }
    assert set(SCORING_MODELS) == set(SCORING_RULES)
    for name, fn in SCORING_RULES.items():
        assert callable(fn)
        assert SCORING_MODELS[name].model_fields["rule"].default == name
    assert Completion.needs_target and AllOrNothing.needs_target
    assert not any(SCORING_MODELS[r].needs_target for r in ("rank_decay", "minmax", "efficacy", "zscore"))


# ---------------------------------------------------------------------------------------------- completion
def test_completion_default_cap_one():
    s = run(Completion(), [90.0, 100.0, 130.0], [100.0, 100.0, 100.0])
    # 90/100 = 0.9; 100/100 = 1; 130/100 = 1.3 → cap 1.0
    assert_allclose(s, [0.9, 1.0, 1.0])


def test_completion_cap_and_floor():
    p = Completion(floor=0.5, cap=1.2)
    s = run(p, [30.0, 60.0, 110.0, 150.0], [100.0, 100.0, 100.0, 100.0])
    # 0.3 → floor 0.5; 0.6; 1.1; 1.5 → cap 1.2
    assert_allclose(s, [0.5, 0.6, 1.1, 1.2])


def test_completion_threshold_scores_zero_below():
    p = Completion(floor=0.2, cap=1.2, threshold=0.6)
    s = run(p, [50.0, 60.0, 70.0], [100.0, 100.0, 100.0])
    # 0.5 < 0.6 → 0 (even below the floor of 0.2); 0.6 is not below the threshold → 0.6; 0.7
    assert_allclose(s, [0.0, 0.6, 0.7])


def test_completion_lower_is_better_inverse_vs_gap():
    m, q = [80.0, 125.0, 0.0], [100.0, 100.0, 100.0]
    inv = run(Completion(cap=2.0, lower="inverse"), m, q, d=-1.0)
    # inverse q/m: 100/80 = 1.25; 100/125 = 0.8; m = 0 beats any cap → 2.0
    assert_allclose(inv, [1.25, 0.8, 2.0])
    gap = run(Completion(cap=2.0, lower="gap"), m, q, d=-1.0)
    # gap 1 + (q − m)/|q|: 1 + 20/100 = 1.2; 1 − 25/100 = 0.75; 1 + 100/100 = 2.0
    assert_allclose(gap, [1.2, 0.75, 2.0])


def test_completion_lower_inverse_negative_value_beats_cap():
    s = run(Completion(cap=1.2), [-5.0], [10.0], d=-1.0)
    assert_allclose(s, [1.2])  # q/m with m ≤ 0 is taken as +inf → cap


def test_completion_negative_target_higher_is_better():
    p = Completion(cap=2.0)
    s = run(p, [-5.0, -10.0, -15.0, 10.0], [-10.0, -10.0, -10.0, -10.0])
    # 1 + (m − q)/|q|: 1 + 5/10 = 1.5; 1 + 0 = 1; 1 − 5/10 = 0.5; 1 + 20/10 = 3 → cap 2
    assert_allclose(s, [1.5, 1.0, 0.5, 2.0])


def test_completion_negative_target_lower_is_better_uses_gap_form():
    s = run(Completion(cap=2.0, lower="inverse"), [-3.0, -1.0], [-2.0, -2.0], d=-1.0)
    # target ≤ 0 → gap form either way: 1 − (m − q)/|q|: 1 − (−1)/2 = 1.5; 1 − 1/2 = 0.5
    assert_allclose(s, [1.5, 0.5])


def test_completion_ratio_function():
    r = completion_ratio(np.array([50.0, 50.0, NAN]), np.array([40.0, NAN, 40.0]), np.array(1.0))
    # 1 + 10/40 = 1.25; target missing → NaN; value missing → NaN
    assert_allclose(r, [1.25, NAN, NAN])


def test_completion_zero_target_raises_with_mask():
    p = Completion()
    m = np.array([[[5.0, 1.0], [NAN, 2.0], [3.0, 2.0]]])  # (1, 3 units, 2 indicators)
    q = np.array([[[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]])
    with pytest.raises(RuleInputError) as exc:
        score(p, m, q, np.array([1.0, 1.0]), np.array([0, 0, 0]))
    # target 0 where the value is present: (unit 0, ind 0) and (unit 2, ind 1); unit 1's value is missing
    assert_array_equal(exc.value.mask, [[[True, False], [False, False], [False, True]]])
    assert "target is 0" in exc.value.message
    assert "met_or_missed" in exc.value.fix


def test_completion_zero_target_met_or_missed():
    p = Completion(floor=0.1, cap=1.2, zero_target="met_or_missed")
    s = run(p, [0.0, 3.0, -3.0], [0.0, 0.0, 0.0])
    # higher is better, target 0: 0 meets it → 1; 3 meets it → 1 (not the cap); −3 misses → floor 0.1
    assert_allclose(s, [1.0, 1.0, 0.1])
    lower = run(p, [0.0, 3.0, -3.0], [0.0, 0.0, 0.0], d=-1.0)
    # lower is better: 0 meets → 1; 3 misses → 0.1; −3 meets → 1
    assert_allclose(lower, [1.0, 0.1, 1.0])


def test_completion_missing_value_or_target():
    s = run(Completion(), [NAN, 50.0, 80.0], [100.0, NAN, 100.0])
    assert_allclose(s, [NAN, NAN, 0.8])  # missing in → missing out; 80/100 = 0.8


def test_completion_missing_value_with_zero_target_does_not_raise():
    s = run(Completion(), [NAN, 50.0], [0.0, 100.0])
    assert_allclose(s, [NAN, 0.5])


def test_completion_validation():
    with pytest.raises(ValidationError, match="below floor"):
        Completion(floor=0.8, cap=0.5)
    with pytest.raises(ValidationError):
        Completion(lower="ratio")


# ------------------------------------------------------------------------------------------ all_or_nothing
def test_all_or_nothing_exactly_at_target_counts_as_met():
    s = run(AllOrNothing(), [99.99, 100.0, 101.0], [100.0, 100.0, 100.0])
    assert_allclose(s, [0.0, 1.0, 1.0])  # below → 0; exactly 100 → met → 1; above → 1


def test_all_or_nothing_lower_is_better_and_custom_shares():
    s = run(AllOrNothing(full=1.0, miss=0.3), [5.0, 5.0, 6.0], [6.0, 5.0, 5.0], d=-1.0)
    # 5 ≤ 6 met; 5 ≤ 5 met (exactly); 6 > 5 missed → 0.3
    assert_allclose(s, [1.0, 1.0, 0.3])


def test_all_or_nothing_missing():
    s = run(AllOrNothing(), [NAN, 1.0, 1.0], [1.0, NAN, 0.0])
    assert_allclose(s, [NAN, NAN, 1.0])


# ---------------------------------------------------------------------------------------------- rank_decay
def test_rank_decay_ties_share_the_better_place():
    s = run(RankDecay(), [90.0, 80.0, 80.0, 70.0, 60.0])
    # ranks 1, 2, 2, 4, 5 → 1, 1 − 0.05, 1 − 0.05, 1 − 3·0.05 = 0.85, 1 − 4·0.05 = 0.8
    assert_allclose(s, [1.0, 0.95, 0.95, 0.85, 0.8])


def test_rank_decay_floor_and_step():
    s = run(RankDecay(step=0.3, floor=0.2), [4.0, 3.0, 2.0, 1.0])
    # 1; 1 − 0.3 = 0.7; 1 − 0.6 = 0.4; 1 − 0.9 = 0.1 → floor 0.2
    assert_allclose(s, [1.0, 0.7, 0.4, 0.2])


def test_rank_decay_lower_is_better():
    s = run(RankDecay(), [3.0, 1.0, 2.0], d=-1.0)
    assert_allclose(s, [0.9, 1.0, 0.95])  # ranks 3, 1, 2


def test_rank_decay_equal_scores_all_first():
    assert_allclose(run(RankDecay(), [5.0, 5.0, 5.0]), [1.0, 1.0, 1.0])


def test_rank_decay_missing_value_not_ranked_and_does_not_push_others():
    s = run(RankDecay(), [NAN, 10.0, 8.0, 9.0])
    # the missing unit gets no rank; others rank 1, 3, 2 as if it were absent
    assert_allclose(s, [NAN, 1.0, 0.9, 0.95])


def test_rank_decay_within_groups():
    s = run(RankDecay(), [1.0, 2.0, 100.0, 50.0, 7.0], groups=[0, 0, 1, 1, 2])
    # group 0: 2 > 1 → ranks 2, 1; group 1: 100 > 50 → 1, 2; group 2 alone → 1
    assert_allclose(s, [0.95, 1.0, 1.0, 0.95, 1.0])


# ---------------------------------------------------------------------------------------------- rank_table
def test_rank_table_beyond_table_gets_rest():
    p = RankTable(table=(1.0, 0.8, 0.6), rest=0.2)
    s = run(p, [50.0, 40.0, 30.0, 20.0, 10.0])
    assert_allclose(s, [1.0, 0.8, 0.6, 0.2, 0.2])  # places 1, 2, 3 from the table; 4 and 5 → rest


def test_rank_table_ties_and_missing():
    p = RankTable(table=(1.0, 0.8, 0.6))
    s = run(p, [90.0, 80.0, 80.0, 70.0, NAN])
    # ranks 1, 2, 2, 4 → 1, 0.8, 0.8, rest 0 (default); missing → NaN
    assert_allclose(s, [1.0, 0.8, 0.8, 0.0, NAN])


def test_rank_table_validation():
    with pytest.raises(ValidationError):
        RankTable(table=())


# -------------------------------------------------------------------------------------------------- leader
def test_leader_share_of_group_best():
    s = run(Leader(), [50.0, 100.0, 25.0, 0.0, 8.0, 10.0], groups=[0, 0, 0, 0, 1, 1])
    # group 0 best 100: 0.5, 1, 0.25, 0; group 1 best 10: 0.8, 1
    assert_allclose(s, [0.5, 1.0, 0.25, 0.0, 0.8, 1.0])


def test_leader_group_of_one_is_its_own_best():
    s = run(Leader(), [3.0, 6.0, 0.5], groups=[0, 0, 1])
    assert_allclose(s, [0.5, 1.0, 1.0])  # group 0: 3/6, 6/6; group 1 alone: 0.5/0.5


def test_leader_lower_is_better():
    s = run(Leader(), [20.0, 10.0, 40.0], d=-1.0)
    assert_allclose(s, [0.5, 1.0, 0.25])  # best (lowest) 10: 10/20, 10/10, 10/40


def test_leader_all_zero_gives_full_share():
    assert_allclose(run(Leader(), [0.0, 0.0]), [1.0, 1.0])  # best is 0: nothing to compare with → 1


def test_leader_negative_value_raises_with_mask():
    with pytest.raises(RuleInputError) as exc:
        run(Leader(), [5.0, -1.0, NAN])
    assert_array_equal(exc.value.mask[0, :, 0], [False, True, False])
    assert "negative" in exc.value.message


def test_leader_missing_does_not_change_others():
    s = run(Leader(), [NAN, 20.0, 10.0])
    assert_allclose(s, [NAN, 1.0, 0.5])


# ------------------------------------------------------------------------------------------------ efficacy
def test_efficacy_base_point_six():
    s = run(Efficacy(), [10.0, 20.0, 30.0])
    # (v − 10)/(30 − 10): 0, 0.5, 1 → 0.6 + 0.4·t: 0.6, 0.8, 1.0
    assert_allclose(s, [0.6, 0.8, 1.0])


def test_efficacy_all_equal_full_share():
    assert_allclose(run(Efficacy(), [7.0, 7.0, 7.0]), [1.0, 1.0, 1.0])


def test_efficacy_group_of_one_full_share():
    s = run(Efficacy(base=0.5), [1.0, 3.0, -100.0], groups=[0, 0, 1])
    # group 0: t = 0, 1 → 0.5, 1.0; group 1 alone → full share 1.0
    assert_allclose(s, [0.5, 1.0, 1.0])


def test_efficacy_lower_is_better_and_missing():
    s = run(Efficacy(base=0.6), [10.0, NAN, 20.0, 30.0], d=-1.0)
    # v = −m: −10, −20, −30 → t = 1, 0.5, 0 → 1.0, 0.8, 0.6
    assert_allclose(s, [1.0, NAN, 0.8, 0.6])


# ------------------------------------------------------------------------------------------- group_average
def test_group_average_ratio_to_mean_with_cap():
    s = run(GroupAverage(), [10.0, 20.0, 90.0])
    # mean 40: 10/40 = 0.25, 20/40 = 0.5, 90/40 = 2.25 → cap 1.5
    assert_allclose(s, [0.25, 0.5, 1.5])


def test_group_average_lower_is_better_and_floor():
    s = run(GroupAverage(cap=1.5, floor=0.6), [10.0, 20.0, 30.0, 0.0], d=-1.0)
    # mean 15: 15/10 = 1.5; 15/20 = 0.75; 15/30 = 0.5 → floor 0.6; m = 0 → inf → cap 1.5
    assert_allclose(s, [1.5, 0.75, 0.6, 1.5])


def test_group_average_within_groups_and_missing():
    s = run(GroupAverage(cap=2.0), [2.0, 6.0, NAN, 5.0], groups=[0, 0, 0, 1])
    # group 0 mean of present (2, 6) = 4: 0.5, 1.5, NaN; group 1 alone: 5/5 = 1
    assert_allclose(s, [0.5, 1.5, NAN, 1.0])


def test_group_average_nonpositive_mean_raises_only_for_that_group():
    with pytest.raises(RuleInputError) as exc:
        run(GroupAverage(), [-2.0, 1.0, 5.0, 5.0], groups=[0, 0, 1, 1])
    # group 0 mean (−2 + 1)/2 = −0.5 ≤ 0; group 1 mean 5 is fine
    assert_array_equal(exc.value.mask[0, :, 0], [True, True, False, False])
    with pytest.raises(RuleInputError):
        run(GroupAverage(), [0.0, 0.0])  # mean exactly 0


# -------------------------------------------------------------------------------------------------- minmax
def test_minmax_default_range():
    s = run(MinMax(), [10.0, 15.0, 30.0])
    assert_allclose(s, [0.0, 0.25, 1.0])  # (v − 10)/20: 0, 0.25, 1 on [0, 100] → shares 0, 0.25, 1


def test_minmax_custom_range():
    s = run(MinMax(range=(60.0, 100.0)), [10.0, 15.0, 30.0])
    # 60 + 40·t: 60, 70, 100 points → shares 0.6, 0.7, 1.0
    assert_allclose(s, [0.6, 0.7, 1.0])


def test_minmax_all_equal_top_of_range():
    assert_allclose(run(MinMax(range=(20.0, 80.0)), [3.0, 3.0]), [0.8, 0.8])


def test_minmax_over_group_vs_all():
    m, g = [0.0, 10.0, 20.0, 40.0], [0, 0, 1, 1]
    grp = run(MinMax(over="group"), m, groups=g)
    # group 0: (0, 10) → 0, 1; group 1: (20, 40) → 0, 1
    assert_allclose(grp, [0.0, 1.0, 0.0, 1.0])
    allu = run(MinMax(over="all"), m, groups=g)
    # all: min 0, max 40 → 0, 0.25, 0.5, 1
    assert_allclose(allu, [0.0, 0.25, 0.5, 1.0])


def test_minmax_group_of_one_gets_top_of_range():
    s = run(MinMax(range=(40.0, 90.0)), [1.0, 3.0, -7.0], groups=[0, 0, 1])
    assert_allclose(s, [0.4, 0.9, 0.9])  # group 0: 40 and 90 points; group 1 alone: span 0 → top, 90


def test_minmax_lower_is_better():
    assert_allclose(run(MinMax(), [10.0, 15.0, 30.0], d=-1.0), [1.0, 0.75, 0.0])  # v = −m: (−10+30)/20 ...


def test_minmax_validation():
    with pytest.raises(ValidationError, match="must rise"):
        MinMax(range=(100.0, 0.0))
    with pytest.raises(ValidationError, match="must rise"):
        MinMax(range=(50.0, 50.0))


# -------------------------------------------------------------------------------------------------- zscore
def test_zscore_sample_sd():
    s = run(ZScore(), [2.0, 4.0, 6.0])
    # mean 4, sample sd sqrt(((−2)² + 0 + 2²)/2) = 2 → z = −1, 0, 1 → 50 + 10z = 40, 50, 60 → /100
    assert_allclose(s, [0.4, 0.5, 0.6])


def test_zscore_custom_scale_and_lower_is_better():
    s = run(ZScore(mean=70.0, sd=5.0), [2.0, 4.0, 6.0], d=-1.0)
    # v = −m: z = 1, 0, −1 → 70 + 5z = 75, 70, 65
    assert_allclose(s, [0.75, 0.70, 0.65])


def test_zscore_group_of_one_and_all_equal_give_z_zero():
    s = run(ZScore(), [1.0, 3.0, 42.0, 8.0, 8.0], groups=[0, 0, 1, 2, 2])
    # group 0: mean 2, sample sd sqrt((1 + 1)/1) = √2 → z = ∓1/√2 → 50 ∓ 7.0711
    # group 1 alone → z 0 → 50; group 2 all equal → z 0 → 50
    r = 10.0 / np.sqrt(2.0)
    assert_allclose(s, [(50 - r) / 100, (50 + r) / 100, 0.5, 0.5, 0.5])


def test_zscore_over_all():
    s = run(ZScore(over="all"), [2.0, 4.0, 6.0], groups=[0, 1, 1])
    assert_allclose(s, [0.4, 0.5, 0.6])  # one pool: same as test_zscore_sample_sd


def test_zscore_missing_ignored_in_mean_and_sd():
    s = run(ZScore(), [2.0, NAN, 4.0, 6.0])
    assert_allclose(s, [0.4, NAN, 0.5, 0.6])


def test_zscore_validation():
    with pytest.raises(ValidationError):
        ZScore(sd=0.0)


# ------------------------------------------------------------------------------------------ generic checks
ALL_RULES = [
    Completion(cap=1.2), AllOrNothing(), RankDecay(), RankTable(table=(1.0, 0.9, 0.8)), Leader(), Efficacy(),
    GroupAverage(), MinMax(), ZScore(),
]


@pytest.mark.parametrize("params", ALL_RULES, ids=lambda p: p.rule)
def test_missing_value_gives_nan_share_and_leaves_others_alone(params):
    """A unit with a missing value gets a NaN share; the others score as if it were not there."""
    m = np.array([12.0, 8.0, 10.0, 15.0, 5.0])
    q = np.full(5, 10.0)
    g = np.array([0, 0, 0, 1, 1])
    with_nan = run(params, np.concatenate([[NAN], m]), np.concatenate([[10.0], q]), groups=np.concatenate([[0], g]))
    without = run(params, m, q, groups=g)
    assert np.isnan(with_nan[0])
    assert_allclose(with_nan[1:], without)


@pytest.mark.parametrize("params", ALL_RULES, ids=lambda p: p.rule)
def test_group_relative_rules_look_only_within_the_group(params):
    """Changing a unit in group 1 never changes a share in group 0."""
    q = np.full(5, 10.0)
    g = np.array([0, 0, 0, 1, 1])
    a = run(params, [12.0, 8.0, 10.0, 15.0, 5.0], q, groups=g)
    b = run(params, [12.0, 8.0, 10.0, 1000.0, 0.5], q, groups=g)
    assert_allclose(a[:3], b[:3])


@pytest.mark.parametrize("params", ALL_RULES, ids=lambda p: p.rule)
def test_equal_scores_give_equal_shares(params):
    s = run(params, [10.0, 10.0, 10.0], [10.0, 10.0, 10.0])
    assert np.all(s == s[0])


@pytest.mark.parametrize("params", ALL_RULES, ids=lambda p: p.rule)
def test_unit_order_does_not_matter(params):
    m = np.array([12.0, 8.0, 10.0, 15.0, 5.0, 7.0])
    q = np.array([10.0, 9.0, 11.0, 10.0, 6.0, 7.0])
    g = np.array([0, 1, 0, 1, 0, 1])
    perm = np.array([5, 2, 0, 4, 1, 3])
    a = run(params, m, q, groups=g)
    b = run(params, m[perm], q[perm], groups=g[perm])
    assert_allclose(b, a[perm])


def test_batch_and_several_indicators_scored_independently():
    m = np.array([[[1.0, 30.0], [2.0, 10.0], [3.0, 20.0]], [[3.0, 10.0], [2.0, 20.0], [1.0, 30.0]]])  # (2, 3, 2)
    s = score(MinMax(), m, np.full(m.shape, NAN), np.array([1.0, -1.0]), np.array([0, 0, 0]))
    # draw 0, ind 0 (higher better): 0, 0.5, 1; ind 1 (lower better): 30 → 0, 10 → 1, 20 → 0.5
    assert_allclose(s[0], [[0.0, 0.0], [0.5, 1.0], [1.0, 0.5]])
    # draw 1, ind 0: 1, 0.5, 0; ind 1: 10 → 1, 20 → 0.5, 30 → 0
    assert_allclose(s[1], [[1.0, 1.0], [0.5, 0.5], [0.0, 0.0]])
