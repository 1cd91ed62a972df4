"""Aggregation up the indicator tree: weighted arithmetic or geometric means, weights renormalised over the
children a unit has (as COINr does), vectorised over a batch of draws.

Scores are on the 100-point indicator scale.  ``aggregate`` returns every node's score and every node's
effective weight: the share of the root that a node carries for that unit, so that under arithmetic means
a leaf's points are ``effective weight × score × total / 100`` and they add up to the total.
"""

from __future__ import annotations

import numpy as np

from ..errors import RuleInputError
from .tree import Tree


def aggregate(tree: Tree, leaf_scores: np.ndarray, weights: np.ndarray | None = None, *,
              nodes: tuple[int, ...] | None = None, have: np.ndarray | None = None,
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores of every node (batch, units, nodes) and effective weights (batch, units, nodes).

    ``leaf_scores`` has shape (batch, units, leaves), NaN where a value is missing or the leaf does not apply.
    ``weights`` overrides the tree's nominal weights: shape (nodes,) or (batch, nodes).  ``nodes`` asks for
    the scores of those node indices only, (batch, units, len(nodes)) in that order, and no effective weights
    (None): a tree of weighted arithmetic means then collapses into effective leaf weights per draw
    (``leaf_weights``), one product per missing-value pattern instead of the level-by-level means, with the
    same numbers up to rounding in the last digits (a property test checks it).  Only the asked nodes are
    stored: a Monte Carlo block then never fills a (batch, units, nodes) array it does not read.  ``have``
    (units, leaves), with ``nodes`` on such a tree, says which cells have a score in every row of the batch,
    the others holding 0 (not NaN) in ``leaf_scores``: what the lean leaf stage knows and gives as it is.

    >>> import numpy as np
    >>> from simkit.engine.tree import Tree
    >>> t = Tree(("a", "b", "T"), 2, np.array([2, 2, -1]), np.array([1.0, 3.0, 100.0]),
    ...          (np.array([], int), np.array([], int), np.array([0, 1])), np.array([1, 1, 0]),
    ...          ("arithmetic",) * 3, np.ones((1, 2), bool), np.array([0, 1]), (("a",), ("b",)), False)
    >>> s, w = aggregate(t, np.array([[[40.0, 80.0]]]))
    >>> float(s[0, 0, 2]), w[0, 0].tolist()
    (70.0, [0.25, 0.75, 1.0])
    """
    w_all = tree.weight if weights is None else np.asarray(weights, dtype=float)
    if w_all.ndim == 1:
        w_all = w_all[None, :]
    if nodes is not None and all_arithmetic(tree):
        collapsed = _collapsed(tree, leaf_scores, w_all, nodes, have)
        if collapsed is not None:
            return collapsed, None
    if have is not None:
        raise ValueError("`have` serves the collapsed scores of some nodes of an all-arithmetic tree")
    b, u, _ = leaf_scores.shape
    b = max(b, w_all.shape[0])
    n = len(tree.nodes)
    scores = np.full((b, u, n), np.nan)
    scores[:, :, : tree.n_leaves] = leaf_scores
    denom = np.ones((b, u, n))
    for k in tree.inner:
        kids = tree.children[k]
        s = scores[:, :, kids]
        w = w_all[:, None, kids]
        have = ~np.isnan(s)
        wh = np.where(have, w, 0.0)
        den = wh.sum(axis=-1)
        denom[:, :, k] = den
        with np.errstate(invalid="ignore", divide="ignore"):
            if tree.method[k] == "geometric":
                bad = have & (s <= 0)
                if bad.any():
                    mask = np.zeros(scores.shape, dtype=bool)
                    mask[:, :, kids] = bad
                    raise RuleInputError(
                        "a geometric mean needs scores above 0, and this score is 0 or below",
                        "normalise to a range that starts above 0 (e.g. minmax range [1, 100]) or aggregate this "
                        "node arithmetically",
                        mask[:, :, : tree.n_leaves] if (kids < tree.n_leaves).all() else mask,
                    )
                val = np.exp((wh * np.log(np.where(have, s, 1.0))).sum(axis=-1) / den)
            else:
                val = (wh * np.where(have, s, 0.0)).sum(axis=-1) / den
        scores[:, :, k] = np.where(den > 0, val, np.nan)
    if nodes is not None:
        return scores[:, :, list(nodes)], None

    # Effective weights, top-down: a child's share of its parent times the parent's share of the root.
    eff = np.zeros((b, u, n))
    eff[:, :, n - 1] = np.where(np.isnan(scores[:, :, n - 1]), 0.0, 1.0)
    for k in reversed(tree.inner):
        kids = tree.children[k]
        have = ~np.isnan(scores[:, :, kids])
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(have, w_all[:, None, kids], 0.0) / denom[:, :, k : k + 1]
        eff[:, :, kids] = np.nan_to_num(frac) * eff[:, :, k : k + 1]
    return scores, eff


#: Availability patterns seen (a Monte Carlo's blocks see the same few again): (shape, bytes) → patterns, ids.
_PATTERNS: dict[tuple[tuple[int, ...], bytes], tuple[np.ndarray, np.ndarray]] = {}


def _patterns(have: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``have`` (units, leaves) and each unit's row among them (``np.unique``), cached."""
    key = (have.shape, have.tobytes())
    hit = _PATTERNS.get(key)
    if hit is None:
        patterns, pattern_id = np.unique(have, axis=0, return_inverse=True)
        hit = (patterns, np.asarray(pattern_id).reshape(-1))
        for a in hit:
            a.flags.writeable = False
        if len(_PATTERNS) >= 256:
            _PATTERNS.clear()
        _PATTERNS[key] = hit
    return hit


def _collapsed(tree: Tree, leaf_scores: np.ndarray, w_all: np.ndarray, nodes: tuple[int, ...],
               have: np.ndarray | None = None) -> np.ndarray | None:
    """Scores of ``nodes`` (b, u, len(nodes)) by collapsed leaf weights; None when the draws differ in which
    leaves are missing (the level-by-level means then serve).  ``have``: see ``aggregate``."""
    if have is not None:
        patterns, pattern_id = _patterns(have)
        s = leaf_scores
    else:
        missing = np.isnan(leaf_scores)
        if leaf_scores.shape[0] > 1 and (missing != missing[:1]).any():
            return None
        patterns, pattern_id = _patterns(~missing[0])
        s = np.where(missing, 0.0, leaf_scores) if missing[0].any() else leaf_scores
    b, u = max(s.shape[0], w_all.shape[0]), s.shape[1]
    out = np.empty((b, u, len(nodes))) if len(nodes) > 1 else None
    groups = [np.flatnonzero(pattern_id == p) for p in range(len(patterns))]
    for j, node in enumerate(nodes):
        e = leaf_weights(tree, w_all, patterns, node)  # (b, P, L)
        res = np.empty((b, u))
        if s.shape[0] == 1:  # products of a fixed shape: the same digits for a draw whatever the batch (chunk) size
            for p, cols in enumerate(groups):
                if len(groups) == 1:
                    products(e[:, p, :], s[0], out=res)
                else:
                    res[:, cols] = products(e[:, p, :], s[0, cols])
        elif len(groups) == 1:  # one pattern: the same sums without a copy of the weights per unit
            np.einsum("bl,bul->bu", np.broadcast_to(e[:, 0, :], (b, e.shape[-1])), s, out=res, optimize=False)
        else:
            res = np.einsum("bul,bul->bu", np.broadcast_to(e[:, pattern_id, :], (b, u, e.shape[-1])),
                            np.broadcast_to(s, (b, *s.shape[1:])))
        alive = e.sum(axis=-1) > 0  # (b, P): some scored leaf under the node
        if not alive.all():
            res[~alive[:, pattern_id]] = np.nan
        if len(nodes) == 1:
            return res[:, :, None]
        out[:, :, j] = res
    return out


#: The rows of every matrix product of ``products`` are a multiple of this (of the kernels' row tiles).
ROW_TILE = 48
_ROWS_ALIKE: dict[tuple[int, int, int], bool] = {}


def product_rows(n_units: int) -> int:
    """Rows per product for this many units: about 2¹⁷ output cells, a multiple of ``ROW_TILE``, at most 3,072.

    >>> product_rows(100), product_rows(30_000)
    (1296, 48)
    """
    return ROW_TILE * int(np.clip(2**17 // (ROW_TILE * max(n_units, 1)), 1, 64))


def _rows_alike(rows: int, n_leaves: int, n_units: int) -> bool:
    """Whether the BLAS gives each row of a (rows × leaves) @ (leaves × units) product the same digits
    wherever that row sits and whatever rows surround it: checked once per shape on random numbers (a row
    computed differently, by another kernel or another order of its sums, would differ in its last digits)."""
    key = (rows, n_leaves, n_units)
    hit = _ROWS_ALIKE.get(key)
    if hit is None:
        rng = np.random.default_rng(12345)
        a, b = rng.random((rows, n_leaves)), rng.random((n_units, n_leaves)).T  # b as ``products`` passes it
        perm = rng.permutation(rows)
        full = a @ b
        # rows moved and surrounded by others; the scores in either memory order; a stack of blocks (the
        # whole blocks of a batch) against the single padded block
        hit = _ROWS_ALIKE[key] = bool(
            np.array_equal(full[perm], a[perm] @ b)
            and np.array_equal(full[perm], np.ascontiguousarray(a[perm]) @ np.ascontiguousarray(b))
            and np.array_equal(np.matmul(np.stack([a[perm], a]), b)[1], full))
    return hit


def products(e: np.ndarray, s: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``e @ s.T`` for leaf weights ``e`` (draws, leaves) and scores ``s`` (units, leaves), (draws, units), with
    each draw's digits independent of the other draws in the batch: BLAS products of one fixed shape
    (``product_rows`` rows, the last block padded with zeros) where the BLAS treats every row alike
    (``_rows_alike``), else ``einsum`` (a fixed order per cell, 10× slower).

    >>> e, s = np.array([[0.25, 0.75]]), np.array([[40.0, 80.0], [100.0, 0.0]])
    >>> products(e, s).tolist()
    [[70.0, 25.0]]
    """
    b, n_l = e.shape
    u = s.shape[0]
    if out is not None and not out.flags.c_contiguous:  # the blocks are written through views of ``out``
        out[...] = products(e, s)
        return out
    out = np.empty((b, u)) if out is None else out
    r = product_rows(u)
    if not _rows_alike(r, n_l, u):
        return np.einsum("bl,ul->bu", e, s, out=out, optimize=False)
    st = s.T
    whole = b // r * r
    if whole:
        np.matmul(e[:whole].reshape(-1, r, n_l), st, out=out[:whole].reshape(-1, r, u))
    if whole < b:
        pad = np.zeros((r, n_l))
        pad[: b - whole] = e[whole:]
        out[whole:] = (pad @ st)[: b - whole]
    return out


def all_arithmetic(tree: Tree) -> bool:
    """Every inner node takes a weighted arithmetic mean of its children (the tree collapses to leaf weights)."""
    return all(tree.method[k] == "arithmetic" for k in tree.inner)


def leaf_weights(tree: Tree, weights: np.ndarray | None, have: np.ndarray, node: int | None = None) -> np.ndarray:
    """Collapse an all-arithmetic tree into effective leaf weights: (batch, patterns, leaves).

    ``have`` (patterns, leaves) says which leaves carry a score in each availability pattern (a unit's
    pattern of missing and not-applicable leaves); ``weights`` is (nodes,) or (batch, nodes).  The score of
    ``node`` (default the root) for a unit with pattern p is then ``Σ_l E[b, p, l] × leaf_score[l]``, the
    same number ``aggregate`` gives up to rounding in the last digits, with weights renormalised over the
    children that have a score (as COINr does).  A pattern with no scored leaf under ``node`` gets all-zero
    weights: its score is missing.

    One matrix product per pattern then replaces the level-by-level aggregation of every draw.

    >>> import numpy as np
    >>> from simkit.engine.tree import Tree
    >>> t = Tree(("a", "b", "T"), 2, np.array([2, 2, -1]), np.array([1.0, 3.0, 100.0]),
    ...          (np.array([], int), np.array([], int), np.array([0, 1])), np.array([1, 1, 0]),
    ...          ("arithmetic",) * 3, np.ones((1, 2), bool), np.array([0, 1]), (("a",), ("b",)), False)
    >>> leaf_weights(t, None, np.array([[True, True], [True, False]]))[0].tolist()
    [[0.25, 0.75], [1.0, 0.0]]
    """
    w_all = tree.weight if weights is None else np.asarray(weights, dtype=float)
    if w_all.ndim == 1:
        w_all = w_all[None, :]
    have = np.asarray(have, dtype=bool)
    b, p, n = w_all.shape[0], have.shape[0], len(tree.nodes)
    top = n - 1 if node is None else int(node)
    avail = np.zeros((p, n), dtype=bool)
    avail[:, : tree.n_leaves] = have
    for k in tree.inner:
        avail[:, k] = avail[:, tree.children[k]].any(axis=1)
    inside = np.zeros(n, dtype=bool)  # the subtree of `top`
    inside[top] = True
    for k in reversed(range(n)):
        if tree.parent[k] >= 0 and inside[tree.parent[k]]:
            inside[k] = True
    eff = np.zeros((b, p, n))
    eff[:, :, top] = avail[:, top]
    for k in reversed(tree.inner):
        if not inside[k] or k < tree.n_leaves:
            continue
        kids = tree.children[k]
        wk = w_all[:, None, kids] * avail[None, :, kids]
        den = wk.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(den > 0, wk / den, 0.0)
        eff[:, :, kids] = frac * eff[:, :, k : k + 1]
    return eff[:, :, : tree.n_leaves]
