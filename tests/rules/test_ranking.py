"""Tests for simkit.ranking: rank_desc and group_rank with every tie rule."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from simkit.rules.ranking import TIE_RULES, group_rank, rank_desc

NAN = np.nan
X = np.array([70.0, 90.0, 70.0, 50.0])


def test_tie_rules():
    assert TIE_RULES == ("min", "max", "dense", "first")


@pytest.mark.parametrize(
    ("ties", "expected"),
    [
        ("min", [2.0, 1.0, 2.0, 4.0]),  # 90 first; the two 70s share place 2; 50 is 4th (competition)
        ("max", [3.0, 1.0, 3.0, 4.0]),  # the two 70s share the last place of their block (3)
        ("dense", [2.0, 1.0, 2.0, 3.0]),  # no gap after the tie
        ("first", [2.0, 1.0, 3.0, 4.0]),  # tied 70s in input order
    ],
)
def test_rank_desc_tie_rules(ties, expected):
    assert_array_equal(rank_desc(X, ties), expected)


def test_rank_desc_three_way_tie():
    x = np.array([5.0, 5.0, 5.0, 9.0, 1.0])
    assert_array_equal(rank_desc(x, "min"), [2, 2, 2, 1, 5])  # block at places 2–4
    assert_array_equal(rank_desc(x, "max"), [4, 4, 4, 1, 5])
    assert_array_equal(rank_desc(x, "dense"), [2, 2, 2, 1, 3])
    assert_array_equal(rank_desc(x, "first"), [2, 3, 4, 1, 5])


def test_rank_desc_all_equal():
    x = np.full(4, 3.0)
    assert_array_equal(rank_desc(x, "min"), [1, 1, 1, 1])
    assert_array_equal(rank_desc(x, "max"), [4, 4, 4, 4])
    assert_array_equal(rank_desc(x, "dense"), [1, 1, 1, 1])
    assert_array_equal(rank_desc(x, "first"), [1, 2, 3, 4])


@pytest.mark.parametrize("ties", TIE_RULES)
def test_rank_desc_nan_gets_no_rank_and_does_not_take_a_place(ties):
    x = np.array([NAN, 5.0, NAN, 3.0, 4.0])
    r = rank_desc(x, ties)
    assert np.isnan(r[[0, 2]]).all()
    assert_array_equal(r[[1, 3, 4]], [1.0, 3.0, 2.0])  # 5 > 4 > 3, as if the NaNs were absent


def test_rank_desc_all_nan_and_empty():
    assert np.isnan(rank_desc(np.array([NAN, NAN]))).all()
    assert rank_desc(np.array([])).shape == (0,)


def test_rank_desc_single():
    assert_array_equal(rank_desc(np.array([42.0])), [1.0])


def test_rank_desc_negative_values():
    assert_array_equal(rank_desc(np.array([-1.0, -3.0, 0.0, -1.0])), [2.0, 4.0, 1.0, 2.0])


def test_rank_desc_unknown_tie_rule():
    with pytest.raises(ValueError, match="unknown tie rule"):
        rank_desc(X, "average")


# ---------------------------------------------------------------------------------------------- tie_break
def test_tie_break_key_breaks_ties_under_min():
    key = np.array([1.0, 0.0, 2.0, 0.0])
    r = rank_desc(X, "min", tie_break=[key])
    # 70 (key 1) vs 70 (key 2): the higher key wins → unit 2 place 2, unit 0 place 3
    assert_array_equal(r, [3.0, 1.0, 2.0, 4.0])


def test_tie_break_key_equal_leaves_the_tie():
    key = np.array([5.0, 0.0, 5.0, 0.0])
    assert_array_equal(rank_desc(X, "min", tie_break=[key]), [2.0, 1.0, 2.0, 4.0])
    assert_array_equal(rank_desc(X, "max", tie_break=[key]), [3.0, 1.0, 3.0, 4.0])


def test_tie_break_does_not_override_primary():
    key = np.array([100.0, -100.0, 0.0, 100.0])
    # primary values differ except the 70s; the key only orders the tied 70s (100 > 0)
    assert_array_equal(rank_desc(X, "min", tie_break=[key]), [2.0, 1.0, 3.0, 4.0])


def test_two_tie_break_keys_in_order():
    x = np.array([1.0, 1.0, 1.0])
    k1 = np.array([2.0, 2.0, 1.0])
    k2 = np.array([0.0, 9.0, 99.0])
    # k1 first: units 0, 1 (2) before unit 2 (1); among 0 and 1, k2: 9 > 0 → unit 1 first
    assert_array_equal(rank_desc(x, "min", tie_break=[k1, k2]), [2.0, 1.0, 3.0])


def test_first_uses_tie_break_then_input_order():
    x = np.array([1.0, 1.0, 1.0, 1.0])
    key = np.array([0.0, 1.0, 0.0, 1.0])
    # key 1: units 1 and 3 (input order) → 1, 2; key 0: units 0 and 2 → 3, 4
    assert_array_equal(rank_desc(x, "first", tie_break=[key]), [3.0, 1.0, 4.0, 2.0])


def test_dense_with_tie_break():
    x = np.array([3.0, 3.0, 2.0, 2.0])
    key = np.array([1.0, 1.0, 5.0, 4.0])
    # (3,1) (3,1) tied → 1; (2,5) → 2; (2,4) → 3
    assert_array_equal(rank_desc(x, "dense", tie_break=[key]), [1.0, 1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------------------------- decimals
def test_decimals_make_near_equal_values_tie():
    x = np.array([0.1 + 0.2, 0.3])  # 0.30000000000000004 and 0.3
    assert_array_equal(rank_desc(x), [1.0, 1.0])  # rounded to 9 decimals: tied
    assert_array_equal(rank_desc(x, decimals=None), [1.0, 2.0])  # exact comparison: the first is higher


def test_decimals_coarse_rounding():
    x = np.array([80.004, 80.001, 79.9])
    assert_array_equal(rank_desc(x, decimals=2), [1.0, 1.0, 3.0])  # 80.00, 80.00, 79.90
    assert_array_equal(rank_desc(x, decimals=3), [1.0, 2.0, 3.0])
    assert_array_equal(rank_desc(x, "first", decimals=2), [1.0, 2.0, 3.0])  # tie, input order


def test_decimals_round_tie_break_keys_too():
    x = np.array([1.0, 1.0])
    key = np.array([0.1 + 0.2, 0.3])
    assert_array_equal(rank_desc(x, tie_break=[key]), [1.0, 1.0])
    assert_array_equal(rank_desc(x, tie_break=[key], decimals=None), [1.0, 2.0])


# -------------------------------------------------------------------------------------------------- batch
@pytest.mark.parametrize("ties", TIE_RULES)
def test_batch_rows_ranked_independently(ties):
    x = np.array([[70.0, 90.0, 70.0, 50.0], [1.0, 2.0, 3.0, 4.0], [NAN, 1.0, 1.0, 0.0]])
    r = rank_desc(x, ties)
    for row in range(3):
        assert_array_equal(r[row], rank_desc(x[row], ties))
    assert_array_equal(r[1], [4.0, 3.0, 2.0, 1.0])


def test_batch_three_dimensions_with_broadcast_tie_break():
    x = np.zeros((2, 3, 2))
    key = np.array([0.0, 1.0])  # broadcast to every row
    r = rank_desc(x, "min", tie_break=[key])
    assert r.shape == (2, 3, 2)
    assert (r[..., 0] == 2).all() and (r[..., 1] == 1).all()


# --------------------------------------------------------------------------------------------- group_rank
def test_group_rank_docstring_example():
    assert_array_equal(group_rank(np.array([1.0, 5.0, 3.0, 2.0]), np.array([0, 0, 1, 1])), [2.0, 1.0, 1.0, 2.0])


def test_group_rank_group_of_one():
    x = np.array([10.0, 20.0, 5.0, 15.0])
    g = np.array([0, 0, 1, 0])
    # group 0: 20 > 15 > 10 → 3, 1, ·, 2; group 1 alone: 5 → 1 (even though it is the lowest overall)
    assert_array_equal(group_rank(x, g), [3.0, 1.0, 1.0, 2.0])


def test_group_rank_group_of_one_missing():
    r = group_rank(np.array([NAN, 3.0]), np.array([0, 1]))
    assert np.isnan(r[0]) and r[1] == 1.0


@pytest.mark.parametrize("ties", TIE_RULES)
def test_group_rank_ties_within_interleaved_groups(ties):
    x = np.array([5.0, 5.0, 5.0, 1.0, 5.0])
    g = np.array([1, 0, 1, 0, 1])
    r = group_rank(x, g, ties)
    expected = {
        "min": [1, 1, 1, 2, 1],  # group 1: three 5s share 1; group 0: 5 → 1, 1 → 2
        "max": [3, 1, 3, 2, 3],
        "dense": [1, 1, 1, 2, 1],
        "first": [1, 1, 2, 2, 3],  # group 1 in input order: units 0, 2, 4
    }[ties]
    assert_array_equal(r, expected)


def test_group_rank_tie_break_selected_per_group():
    x = np.array([1.0, 1.0, 1.0, 1.0])
    g = np.array([0, 1, 0, 1])
    key = np.array([1.0, 2.0, 3.0, 4.0])
    # group 0: units 0 (key 1), 2 (key 3) → 2, 1; group 1: units 1 (2), 3 (4) → 2, 1
    assert_array_equal(group_rank(x, g, "min", tie_break=[key]), [2.0, 2.0, 1.0, 1.0])


def test_group_rank_batch():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 1.0]])
    g = np.array([0, 0, 1])
    assert_array_equal(group_rank(x, g), [[2.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    assert_array_equal(group_rank(x, g, "first"), [[2.0, 1.0, 1.0], [1.0, 2.0, 1.0]])
