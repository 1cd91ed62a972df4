"""Ranks within groups (组内排名), vectorised over any leading batch dimensions.

Higher is better: rank 1 is the highest value.  Missing values (NaN) get no rank (NaN).  Ties follow a
stated rule:

- ``min``   — competition ranking, 1 2 2 4 (the default; COINr's and R's ``ties.method = "min"``);
- ``max``   — 1 3 3 4;
- ``dense`` — 1 2 2 3;
- ``first`` — 1 2 3 4, tied units in the order of the tie-break keys, then in input order.

Values are rounded to ``decimals`` before comparing, so that two totals that are equal on paper but differ
in the 15th digit are treated as tied.

>>> import numpy as np
>>> rank_desc(np.array([70.0, 90.0, 70.0, 50.0]))
array([2., 1., 2., 4.])
>>> rank_desc(np.array([70.0, 90.0, 70.0, 50.0]), ties="dense")
array([2., 1., 2., 3.])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..schema.ranking import TIE_RULES, TieRule


def rank_desc(
    x: np.ndarray,
    ties: TieRule = "min",
    *,
    tie_break: Sequence[np.ndarray] = (),
    decimals: int | None = 9,
) -> np.ndarray:
    """Rank along the last axis, highest first; ``tie_break`` keys (same shape, higher first) break ties."""
    if ties not in TIE_RULES:
        raise ValueError(f"unknown tie rule {ties!r}; use one of {', '.join(TIE_RULES)}")
    x = np.asarray(x, dtype=float)
    keys = [x, *[np.broadcast_to(np.asarray(k, dtype=float), x.shape) for k in tie_break]]
    if decimals is not None:
        keys = [np.round(k, decimals) for k in keys]
    # NaN sorts last: replace by -inf for ordering, and blank the rank afterwards.
    keys = [np.where(np.isnan(k), -np.inf, k) for k in keys]
    n = x.shape[-1]
    if n == 0:
        return np.empty(x.shape)
    # Stable multi-pass sort: least significant key first, each later pass keeps earlier order on ties.
    order = np.broadcast_to(np.arange(n), x.shape).copy()
    for k in reversed(keys):
        kk = np.take_along_axis(k, order, axis=-1)
        order = np.take_along_axis(order, np.argsort(-kk, axis=-1, kind="stable"), axis=-1)
    sorted_keys = [np.take_along_axis(k, order, axis=-1) for k in keys]
    pos = np.broadcast_to(np.arange(1, n + 1, dtype=float), x.shape)
    if ties == "first":
        r = pos
    else:
        new = np.ones(x.shape, dtype=bool)  # True where a sorted entry starts a new tie block
        same = np.ones((*x.shape[:-1], n - 1), dtype=bool)
        for k in sorted_keys:
            same &= k[..., 1:] == k[..., :-1]
        new[..., 1:] = ~same
        if ties == "min":
            r = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-1)
        elif ties == "dense":
            r = np.cumsum(new, axis=-1).astype(float)
        else:  # max: the last position of each tie block
            end = np.ones(x.shape, dtype=bool)
            end[..., :-1] = new[..., 1:]
            rev = np.where(end, pos, np.inf)[..., ::-1]
            r = np.minimum.accumulate(rev, axis=-1)[..., ::-1]
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, r, axis=-1)
    ranks[np.isnan(x)] = np.nan
    return ranks


def group_rank(
    x: np.ndarray,
    group_codes: np.ndarray,
    ties: TieRule = "min",
    *,
    tie_break: Sequence[np.ndarray] = (),
    decimals: int | None = 9,
) -> np.ndarray:
    """Rank along the last axis within each group; ``group_codes`` has one integer per last-axis entry.

    >>> group_rank(np.array([1.0, 5.0, 3.0, 2.0]), np.array([0, 0, 1, 1]))
    array([2., 1., 1., 2.])
    """
    return group_ranks(x, group_codes, (ties,), tie_break=tie_break, decimals=decimals)[0]


def group_ranks(
    x: np.ndarray,
    group_codes: np.ndarray,
    ties: Sequence[TieRule] = ("min", "max"),
    *,
    tie_break: Sequence[np.ndarray] = (),
    decimals: int | None = 9,
) -> tuple[np.ndarray, ...]:
    """``group_rank`` under several tie rules at once, e.g. the first and last place of each tie block.

    Without tie-break keys and for ``min``/``max``/``dense``, all groups and rules share one sort per group
    and a few whole-array passes (the fast path for a batch of draws); otherwise each rule is ranked as
    ``rank_desc`` does.  The ranks are the same either way.  Rules that give the same ranks (the same rule
    twice, or ``min`` and ``max`` without ties) may return the same array: treat the results as read-only.

    >>> lo, hi = group_ranks(np.array([[3.0, 5.0, 3.0, 1.0]]), np.array([0, 0, 0, 1]))
    >>> lo.tolist(), hi.tolist()
    ([[2.0, 1.0, 2.0, 1.0]], [[3.0, 1.0, 3.0, 1.0]])
    """
    for t in ties:
        if t not in TIE_RULES:
            raise ValueError(f"unknown tie rule {t!r}; use one of {', '.join(TIE_RULES)}")
    codes = np.asarray(group_codes)
    x = np.asarray(x, dtype=float)
    if not tie_break and "first" not in ties and x.ndim >= 1 and x.shape[-1] > 0:
        return _group_ranks_fast(x, codes, tuple(ties), decimals)
    return tuple(_group_rank_each(x, codes, t, tie_break, decimals) for t in ties)


def _group_ranks_fast(x: np.ndarray, codes: np.ndarray, ties: tuple[str, ...],
                      decimals: int | None) -> tuple[np.ndarray, ...]:
    """Per group: one sort of the rounded values (NaN last); a draw without ties ranks by position, and only
    draws with ties get their tie blocks resolved; ranks are scattered back through flat indices."""
    shape = x.shape
    n = shape[-1]
    xb = x.reshape(-1, n)
    b = xb.shape[0]
    rules = tuple(dict.fromkeys(ties))
    missing = np.isnan(xb)
    any_missing = bool(missing.any())
    base = np.empty((b, n))  # ranks by position, the same for every rule where nothing is tied
    patches: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    row_start = (np.arange(b) * n)[:, None]
    for g in np.unique(codes):
        sel = np.flatnonzero(codes == g)
        m = len(sel)
        key = xb[:, sel[0] : sel[-1] + 1].copy() if sel[-1] - sel[0] + 1 == m else xb[:, sel]
        if decimals is not None:
            np.round(key, decimals, out=key)
        if any_missing:
            key[np.isnan(key)] = -np.inf
        np.negative(key, out=key)  # ascending order of −value: highest first
        order = np.argsort(key, axis=1)
        dest = sel[order]
        dest += row_start
        base.reshape(-1)[dest] = np.arange(1.0, m + 1.0)
        if m < 2:
            continue
        srt = np.take_along_axis(key, order, axis=1)
        same = srt[:, 1:] == srt[:, :-1]  # tied with the previous entry
        tied = np.flatnonzero(same.any(axis=1))
        if not len(tied):
            continue
        new = np.ones((len(tied), m), dtype=bool)
        new[:, 1:] = ~same[tied]
        col = np.arange(m)
        fixed = {}
        for t in rules:
            if t == "min":
                fixed[t] = np.maximum.accumulate(np.where(new, col, 0), axis=1) + 1.0
            elif t == "max":
                end = np.ones_like(new)
                end[:, :-1] = new[:, 1:]
                fixed[t] = np.minimum.accumulate(np.where(end, col, m)[:, ::-1], axis=1)[:, ::-1] + 1.0
            else:  # dense
                fixed[t] = np.cumsum(new, axis=1).astype(float)
        patches.append((dest[tied], fixed))
    if any_missing:
        base[missing] = np.nan
    if not patches:  # nothing tied: every rule gives the positions
        return (base.reshape(shape),) * len(ties)
    done: dict[str, np.ndarray] = {}
    for k, t in enumerate(rules):
        arr = base if k == len(rules) - 1 else base.copy()
        flat = arr.reshape(-1)
        for dest, fixed in patches:
            flat[dest] = fixed[t]
        if any_missing:
            arr[missing] = np.nan
        done[t] = arr.reshape(shape)
    return tuple(done[t] for t in ties)


def _group_rank_each(x: np.ndarray, group_codes: np.ndarray, ties: str, tie_break: Sequence[np.ndarray],
                     decimals: int | None) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    for g in np.unique(group_codes):
        sel = np.flatnonzero(group_codes == g)
        tb = [np.broadcast_to(np.asarray(k, dtype=float), x.shape)[..., sel] for k in tie_break]
        out[..., sel] = rank_desc(x[..., sel], ties, tie_break=tb, decimals=decimals)
    return out
