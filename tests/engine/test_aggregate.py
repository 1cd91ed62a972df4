"""Tests for simkit.aggregation: weighted arithmetic and geometric means up a hand-built tree."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from simkit.engine.aggregate import aggregate
from simkit.engine.tree import Tree
from simkit.errors import RuleInputError

NAN = np.nan


def flat_tree(method: str = "arithmetic") -> Tree:
    """The docstring's tree: leaves a (weight 1) and b (weight 3) under the root T."""
    return Tree(("a", "b", "T"), 2, np.array([2, 2, -1]), np.array([1.0, 3.0, 100.0]),
                (np.array([], int), np.array([], int), np.array([0, 1])), np.array([1, 1, 0]),
                (method,) * 3, np.ones((1, 2), bool), np.array([0, 1]), (("a",), ("b",)), False)


def two_level_tree(method_p: str = "arithmetic", method_root: str = "arithmetic") -> Tree:
    """Leaves a (1), b (3) under P (60); leaf c (1) under Q (40); P and Q under the root T (100).

    Nodes: 0 a, 1 b, 2 c, 3 P, 4 Q, 5 T.
    """
    empty = np.array([], int)
    return Tree(
        nodes=("a", "b", "c", "P", "Q", "T"),
        n_leaves=3,
        parent=np.array([3, 3, 4, 5, 5, -1]),
        weight=np.array([1.0, 3.0, 1.0, 60.0, 40.0, 100.0]),
        children=(empty, empty, empty, np.array([0, 1]), np.array([2]), np.array([3, 4])),
        depth=np.array([2, 2, 2, 1, 1, 0]),
        method=("arithmetic", "arithmetic", "arithmetic", method_p, "arithmetic", method_root),
        applicable=np.ones((2, 3), bool),
        leaf_data_index=np.array([0, 1, 2]),
        path=(("P", "a"), ("P", "b"), ("Q", "c")),
        root_is_data_node=False,
    )


def test_docstring_example():
    s, w = aggregate(flat_tree(), np.array([[[40.0, 80.0]]]))
    # T = (1·40 + 3·80)/4 = 280/4 = 70; effective weights 1/4, 3/4, 1
    assert float(s[0, 0, 2]) == pytest.approx(70.0)
    assert_allclose(w[0, 0], [0.25, 0.75, 1.0])


def test_arithmetic_two_levels():
    s, w = aggregate(two_level_tree(), np.array([[[40.0, 80.0, 50.0]]]))
    # P = (1·40 + 3·80)/4 = 70; Q = 50; T = (60·70 + 40·50)/100 = 42 + 20 = 62
    assert_allclose(s[0, 0], [40.0, 80.0, 50.0, 70.0, 50.0, 62.0])
    # a: 1/4 · 60/100 = 0.15; b: 3/4 · 0.6 = 0.45; c: 1 · 0.4 = 0.4; P 0.6; Q 0.4; T 1
    assert_allclose(w[0, 0], [0.15, 0.45, 0.4, 0.6, 0.4, 1.0])
    # leaves' effective weights sum to 1, and Σ eff·score over leaves = T: 0.15·40 + 0.45·80 + 0.4·50 = 62
    assert w[0, 0, :3].sum() == pytest.approx(1.0)
    assert float((w[0, 0, :3] * s[0, 0, :3]).sum()) == pytest.approx(62.0)


def test_missing_leaf_renormalises_within_its_parent():
    s, w = aggregate(two_level_tree(), np.array([[[40.0, NAN, 50.0]]]))
    # P = 40 (only a is present, its weight 1/1); T = 0.6·40 + 0.4·50 = 24 + 20 = 44
    assert_allclose(s[0, 0, 3:], [40.0, 50.0, 44.0])
    # a carries all of P: 1 · 0.6 = 0.6; b 0; c 0.4
    assert_allclose(w[0, 0], [0.6, 0.0, 0.4, 0.6, 0.4, 1.0])
    assert w[0, 0, :3].sum() == pytest.approx(1.0)


def test_missing_whole_branch_renormalises_at_the_root():
    s, w = aggregate(two_level_tree(), np.array([[[40.0, 80.0, NAN]]]))
    # Q has no child → NaN; T = P = 70 (weight 60/60)
    assert np.isnan(s[0, 0, 4])
    assert s[0, 0, 5] == pytest.approx(70.0)
    # a: 1/4 · 1 = 0.25; b: 0.75; c 0; P 1; Q 0
    assert_allclose(w[0, 0], [0.25, 0.75, 0.0, 1.0, 0.0, 1.0])


def test_all_missing_gives_nan_total_and_zero_weights():
    s, w = aggregate(two_level_tree(), np.full((1, 1, 3), NAN))
    assert np.isnan(s[0, 0]).all()
    assert_array_equal(w[0, 0], np.zeros(6))


def test_several_units_and_effective_weights_sum_to_one():
    leaves = np.array([[[40.0, 80.0, 50.0], [NAN, 100.0, 0.0], [10.0, NAN, NAN]]])  # (1, 3 units, 3)
    s, w = aggregate(two_level_tree(), leaves)
    # unit 1: P = 100 (b alone), Q = 0 → T = 0.6·100 + 0.4·0 = 60
    # unit 2: P = 10 (a alone), Q missing → T = 10
    assert_allclose(s[0, :, 5], [62.0, 60.0, 10.0])
    assert_allclose(w[0, :, :3].sum(axis=-1), [1.0, 1.0, 1.0])
    assert_allclose(w[0, 2], [1.0, 0.0, 0.0, 1.0, 0.0, 1.0])


def test_zero_weight_node():
    s, w = aggregate(two_level_tree(), np.array([[[40.0, 80.0, 50.0]]]),
                     np.array([1.0, 3.0, 1.0, 60.0, 0.0, 100.0]))
    # Q weighs 0: T = (60·70 + 0·50)/60 = 70; c's effective weight 0
    assert s[0, 0, 5] == pytest.approx(70.0)
    assert_allclose(w[0, 0, :3], [0.25, 0.75, 0.0])


def test_weight_override_batch():
    weights = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 100.0], [3.0, 1.0, 1.0, 1.0, 3.0, 100.0]])  # (2, nodes)
    s, w = aggregate(two_level_tree(), np.array([[[40.0, 80.0, 50.0]]]), weights)
    assert s.shape == (2, 1, 6)
    # draw 0: P = (40+80)/2 = 60; T = (60 + 50)/2 = 55
    # draw 1: P = (3·40 + 80)/4 = 50; T = (1·50 + 3·50)/4 = 50
    assert_allclose(s[:, 0, 5], [55.0, 50.0])
    # draw 1: a = 3/4 · 1/4 = 0.1875, b = 1/4 · 1/4 = 0.0625, c = 3/4
    assert_allclose(w[1, 0, :3], [0.1875, 0.0625, 0.75])


def test_geometric_weighted_mean():
    s, w = aggregate(flat_tree("geometric"), np.array([[[40.0, 80.0]]]))
    # T = 40^(1/4) · 80^(3/4) = 40 · 2^(3/4) = 67.2717...
    assert s[0, 0, 2] == pytest.approx(40.0 * 2.0 ** 0.75)
    assert_allclose(w[0, 0], [0.25, 0.75, 1.0])  # effective weights are the normalised weights


def test_geometric_equal_scores():
    s, _ = aggregate(flat_tree("geometric"), np.array([[[64.0, 64.0]]]))
    assert s[0, 0, 2] == pytest.approx(64.0)


def test_geometric_inner_node_with_missing_child():
    s, w = aggregate(two_level_tree(method_p="geometric"), np.array([[[NAN, 81.0, 16.0]]]))
    # P = 81 (b alone: 81^(3/3)); T arithmetic = 0.6·81 + 0.4·16 = 48.6 + 6.4 = 55
    assert s[0, 0, 3] == pytest.approx(81.0)
    assert s[0, 0, 5] == pytest.approx(55.0)
    assert_allclose(w[0, 0, :3], [0.0, 0.6, 0.4])


def test_geometric_root_over_inner_nodes():
    s, _ = aggregate(two_level_tree(method_root="geometric"), np.array([[[40.0, 80.0, 50.0]]]))
    # P = 70, Q = 50 (arithmetic); T = 70^0.6 · 50^0.4
    assert s[0, 0, 5] == pytest.approx(math.exp(0.6 * math.log(70.0) + 0.4 * math.log(50.0)))


def test_geometric_with_a_zero_raises_with_a_leaf_mask():
    with pytest.raises(RuleInputError) as exc:
        aggregate(two_level_tree(method_p="geometric"), np.array([[[40.0, 0.0, 50.0], [10.0, 20.0, 0.0]]]))
    mask = np.asarray(exc.value.mask)
    # unit 0's leaf b is 0 under the geometric P; unit 1's c = 0 is under the arithmetic Q: not a problem
    assert mask.shape == (1, 2, 3)
    assert_array_equal(mask[0], [[False, True, False], [False, False, False]])
    assert "geometric" in exc.value.message


def test_geometric_with_a_negative_raises():
    with pytest.raises(RuleInputError):
        aggregate(flat_tree("geometric"), np.array([[[-5.0, 80.0]]]))


def test_geometric_zero_in_an_inner_node_raises_with_a_node_mask():
    with pytest.raises(RuleInputError) as exc:
        aggregate(two_level_tree(method_root="geometric"), np.array([[[0.0, 0.0, 50.0]]]))
    mask = np.asarray(exc.value.mask)
    # P = 0 under the geometric root: the mask covers every node, P (index 3) marked
    assert mask.shape == (1, 1, 6)
    assert_array_equal(mask[0, 0], [False, False, False, True, False, False])


def test_geometric_missing_child_is_not_a_zero():
    s, _ = aggregate(flat_tree("geometric"), np.array([[[NAN, 80.0]]]))
    assert s[0, 0, 2] == pytest.approx(80.0)


def test_products_do_not_depend_on_the_batch():
    """A draw's collapsed sums have the same digits whatever draws share its batch (chunk)."""
    from simkit.engine.aggregate import product_rows, products

    rng = np.random.default_rng(4)
    for n_l, u in ((7, 13), (30, 100), (3, 1)):
        r = product_rows(u)
        e, s = rng.random((2 * r + 5, n_l)), rng.uniform(0, 120, (u, n_l))
        whole = products(e, s)
        np.testing.assert_allclose(whole, np.einsum("bl,ul->bu", e, s), rtol=1e-13)
        for a, b in ((0, 1), (3, 4), (r - 1, r + 2), (5, 2 * r + 5), (r, 2 * r), (1, 2 * r + 4)):
            np.testing.assert_array_equal(products(e[a:b], s), whole[a:b])


def test_products_fall_back_to_einsum_where_the_blas_is_not_row_alike(monkeypatch):
    from simkit.engine import aggregate as agg

    rng = np.random.default_rng(1)
    e, s = rng.random((50, 4)), rng.random((6, 4))
    monkeypatch.setattr(agg, "_rows_alike", lambda *a: False)
    np.testing.assert_array_equal(agg.products(e, s), np.einsum("bl,ul->bu", e, s, optimize=False))


def test_products_into_a_strided_array_are_the_same():
    from simkit.engine.aggregate import products

    rng = np.random.default_rng(2)
    e, s = rng.random((70, 5)), rng.random((9, 5))
    out = np.full((9, 70), np.nan).T  # (70, 9), not C-ordered
    assert products(e, s, out=out) is out
    np.testing.assert_array_equal(out, products(e, s))
