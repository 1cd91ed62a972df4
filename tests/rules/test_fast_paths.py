"""Every fast path sits behind its reference signature and equals the reference on random inputs: grades by
place against the general grading procedure, the one-sort group ranks against ranking each group on its own,
and the collapsed leaf weights against aggregation level by level."""

from __future__ import annotations

import numpy as np
from pydantic import ValidationError

from simkit.engine.aggregate import aggregate
from simkit.engine.tree import Tree
from simkit.rules.grading import assign_grades, grades_general
from simkit.rules.ranking import _group_rank_each, group_ranks
from simkit.schema.adjustments import Veto
from simkit.schema.grading import Grade, Grading


def test_group_ranks_in_one_sort_equal_ranking_each_group():
    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(1, 15))
        shape = (*tuple(rng.integers(1, 4, size=rng.integers(0, 3))), n)
        x = np.round(rng.random(shape) * 3, int(rng.integers(0, 3)))
        x[rng.random(shape) < 0.1] = np.nan
        x[rng.random(shape) < 0.05] = np.inf
        codes = rng.integers(0, 3, n)
        dec = [None, 0, 6][trial % 3]
        rules = ("min", "max", "dense", "min")
        for t, r in zip(rules, group_ranks(x, codes, rules, decimals=dec), strict=True):
            np.testing.assert_array_equal(r, _group_rank_each(x, codes, t, (), dec))


def test_grades_by_place_equal_the_general_procedure():
    rng = np.random.default_rng(1)
    for _ in range(300):
        grades = []
        for k in range(int(rng.integers(1, 4))):
            c = int(rng.integers(0, 3))
            grades.append(Grade(name=f"t{k}", share=float(rng.choice([0.1, 0.25, 0.5])) if c == 0 else None,
                                count=int(rng.integers(0, 4)) if c == 1 else None))
        grades.append(Grade(name="rest"))
        for k in range(int(rng.integers(0, 3))):
            kw = {"count": int(rng.integers(0, 3))} if rng.random() < 0.5 else {"share": 0.2}
            grades.append(Grade(name=f"b{k}", **kw, **{"from": "bottom"}))
        try:
            g = Grading(grades=tuple(grades), rounding=str(rng.choice(["floor", "round", "ceil"])),
                        ties=str(rng.choice(["share", "exclude"])))
        except ValidationError:  # shares over the whole group: refused by the scenario, not a case
            continue
        u = int(rng.integers(1, 12))
        s = np.round(rng.random((6, u)) * 4, 0 if rng.random() < 0.5 else 2)
        s[rng.random((6, u)) < 0.1] = np.nan
        codes = rng.integers(0, 3, u)
        lo, hi = group_ranks(s, codes, ("min", "max"))
        vetoed = rng.random((6, u)) < 0.2
        veto = None if rng.random() < 0.5 else Veto()
        np.testing.assert_array_equal(assign_grades(s, lo, hi, codes, g, vetoed, veto),
                                      grades_general(s, lo, hi, codes, g, vetoed, veto))


def _random_tree(rng: np.random.Generator) -> Tree:
    """Leaves under 1–3 first-level nodes (some with a middle level), weights random, all arithmetic."""
    n_leaves = int(rng.integers(2, 8))
    n_mid = int(rng.integers(1, 4))
    parent_of_leaf = rng.integers(0, n_mid, n_leaves)
    nodes = n_leaves + n_mid + 1
    parent = np.concatenate([n_leaves + parent_of_leaf, np.full(n_mid, nodes - 1), [-1]])
    children = tuple(np.flatnonzero(parent == k) for k in range(nodes))
    depth = np.concatenate([np.full(n_leaves, 2), np.ones(n_mid), [0]]).astype(int)
    names = tuple(f"n{k}" for k in range(nodes))
    return Tree(names, n_leaves, parent, rng.uniform(0.5, 3.0, nodes), children, depth,
                ("arithmetic",) * nodes, np.ones((1, n_leaves), bool), np.arange(n_leaves),
                tuple((names[n_leaves + p], names[k]) for k, p in enumerate(parent_of_leaf)), False)


def test_collapsed_leaf_weights_equal_aggregation_level_by_level():
    rng = np.random.default_rng(2)
    for _ in range(200):
        tree = _random_tree(rng)
        u = int(rng.integers(1, 10))
        scores = rng.uniform(0, 120, (1, u, tree.n_leaves))
        scores[rng.random(scores.shape) < 0.2] = np.nan  # missing cells: weights renormalised over the rest
        weights = tree.weight * rng.uniform(0.7, 1.3, (int(rng.integers(1, 6)), len(tree.nodes)))
        nodes = (len(tree.nodes) - 1, int(rng.integers(tree.n_leaves, len(tree.nodes))))
        full, _ = aggregate(tree, scores, weights)
        fast, eff = aggregate(tree, scores, weights, nodes=nodes)
        assert eff is None
        for j, k in enumerate(nodes):  # the asked nodes, in the order asked
            np.testing.assert_allclose(fast[..., j], full[..., k], rtol=1e-12, atol=1e-9)
