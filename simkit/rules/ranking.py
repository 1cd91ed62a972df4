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
from .segments import Groups, Rows


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

    One sort for all groups and rules: the keys (rounded, NaN last) sorted within each group, then each rule's
    places from the tie blocks of that layout in whole-array passes.  A single key whose rounded values are
    whole numbers that fit (``_packed``: the common case) is sorted as int64 with its unit in the low bits, and
    the places go back to the units by a second small-integer sort, or a scatter for many slots
    (``_places_by_unit``); otherwise the keys are sorted as floats.
    The ranks are those of ``rank_desc`` on each group alone (a property test).  Rules that give the same ranks
    (the same rule twice, or ``min`` and ``max`` without ties) may return the same array: treat the results as
    read-only.

    >>> lo, hi = group_ranks(np.array([[3.0, 5.0, 3.0, 1.0]]), np.array([0, 0, 0, 1]))
    >>> lo.tolist(), hi.tolist()
    ([[2.0, 1.0, 2.0, 1.0]], [[3.0, 1.0, 3.0, 1.0]])
    """
    for t in ties:
        if t not in TIE_RULES:
            raise ValueError(f"unknown tie rule {t!r}; use one of {', '.join(TIE_RULES)}")
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    if n == 0:
        return tuple(np.empty(x.shape) for _ in ties)
    rows = Groups(np.asarray(group_codes)).rows
    nr, w = rows.shape
    b = x.size // n
    rules = tuple(dict.fromkeys(ties))
    # a tie-break key the same in every draw (a unit order) stays 1-D: sorted once
    keys = [x.reshape(b, n), *[np.asarray(k, dtype=float) if np.ndim(k) == 1 else
                               np.broadcast_to(np.asarray(k, dtype=float), x.shape).reshape(b, n) for k in tie_break]]
    missing = np.isnan(x).reshape(b, n)
    any_missing = bool(missing.any())
    place = np.arange(1.0, w + 1.0) - rows.start  # (rows, width): place in the group of each sorted slot
    need_ties = w > 1 and rules != ("first",)
    packed = _packed(keys[0], rows, decimals, missing, any_missing) if len(keys) == 1 else None
    if packed is not None:  # one key of whole numbers: the unit rides in the low bits of a value sort
        s, ub = packed
        unit = s & ((1 << ub) - 1)  # (b, rows, width): the unit in each sorted slot (n in the padding)
        if need_ties:
            same = (s[..., 1:] ^ s[..., :-1]) < (1 << ub)  # the same code: equal rounded keys, or both missing
            if rows.size > n:
                same &= rows.pair
        out = _places_by_unit(unit, place, n, ub)
        slot_unit = unit.reshape(b * nr, w)
    else:
        # Equal keys keep their input order only under `first`; several keys need stable passes anyway; a real
        # −inf sorts with the padding, which then must stay after it.
        stable = len(keys) > 1 or "first" in ties or bool((x == -np.inf).any())
        out, same, dest = _sorted_places(keys, rows, decimals, stable, any_missing, place, need_ties)
    if need_ties and same.any():
        same = same.reshape(b * nr, w - 1)
        tied = np.flatnonzero(same.any(axis=1))  # the rows (of a draw) where some units are tied
    else:
        tied = np.zeros(0, dtype=np.intp)
    if any_missing:
        out[missing] = np.nan
    if not len(tied):  # every rule gives the places
        return (out.reshape(x.shape),) * len(ties)
    # Only the tied rows get their tie blocks resolved, then patched into a copy of the places per rule.
    new = np.ones((len(tied), w), dtype=bool)  # a slot that starts a block of equal keys (or a group)
    new[:, 1:] = ~same[tied]
    start = rows.start[tied % nr]
    # the unit in each slot of those rows (n in the padding) …
    unit = slot_unit[tied] if packed is not None else rows.src[dest[tied] % rows.size]
    real = unit < n
    at = ((tied // nr)[:, None] * n + unit)[real]  # … as flat units
    pos = np.arange(w)
    done: dict[str, np.ndarray] = {}
    for t in rules:
        if t == "first":
            r = place[tied % nr]
        elif t == "min":
            r = np.maximum.accumulate(np.where(new, pos, 0), axis=-1) - start + 1.0
        elif t == "dense":
            c = np.cumsum(new, axis=-1)
            r = (c - np.take_along_axis(c, start, axis=-1) + 1).astype(float)
        else:  # max: the last slot of each block
            end = np.ones(new.shape, dtype=bool)
            end[:, :-1] = new[:, 1:]
            r = np.minimum.accumulate(np.where(end, pos, w)[:, ::-1], axis=-1)[:, ::-1] - start + 1.0
        arr = out.copy() if t != rules[-1] else out
        arr.reshape(-1)[at] = r[real]
        if any_missing:
            arr[missing] = np.nan
        done[t] = arr.reshape(x.shape)
    return tuple(done[t] for t in ties)


#: Slots per draw up to which the places go back to the units by a second sort rather than a scatter.
SORT_BACK_SLOTS = 1024


def _places_by_unit(unit: np.ndarray, place: np.ndarray, n: int, ub: int) -> np.ndarray:
    """Each unit's place (b, units) from the unit in each sorted slot (b, rows, width; n in the padding) and
    each slot's place (rows, width).  A few slots per draw: a second sort, by unit, of (unit, place) packed in
    the smallest integer type (a scatter costs twice as much there); many: the scatter (a sort of every slot of
    a draw grows as n log n)."""
    b, nr, w = unit.shape
    if nr * w <= SORT_BACK_SLOTS:
        pb = int(w).bit_length()
        small = np.uint16 if ub + pb <= 16 else np.uint32
        by_unit = np.left_shift(unit, pb, out=np.empty(unit.shape, dtype=small), casting="unsafe")
        by_unit |= place.astype(small)
        by_unit = by_unit.reshape(b, nr * w)
        by_unit.sort(axis=-1)
        return (by_unit[:, :n] & small((1 << pb) - 1)).astype(float)
    width = n + (nr * w > n)  # a last column takes the padding's places
    out = np.empty((b, width))
    at = unit + (np.arange(b) * width).reshape(b, 1, 1)
    out.reshape(-1)[at] = place
    return out if width == n else np.ascontiguousarray(out[:, :n])


def _packed(x: np.ndarray, rows: Rows, decimals: int | None, missing: np.ndarray,
            any_missing: bool) -> tuple[np.ndarray, int] | None:
    """One key (b, units) in the rows as sorted integers ``code << ub | unit`` (b, rows, width), and ``ub``;
    None where that does not fit 62 bits (then the float sort).

    ``code`` is the key rounded to ``decimals`` as a whole number, negated (ascending is highest first), less
    its smallest value; missing values and the padding take the code after the largest.  numpy's round is
    ``rint(x · 10^d) / 10^d``, and that division keeps order and ties while ``|rint(x · 10^d)| < 2^51``: the
    codes order the units as the rounded keys do, ties included, and equal keys stay in unit (input) order.
    One row of several groups carries the group above the code."""
    if decimals is None or not 0 <= decimals <= 15:
        return None
    with np.errstate(over="ignore"):  # a value beyond 2^51 steps aside below
        y = np.multiply(x, -(10.0**decimals))
    np.rint(y, out=y)
    lo, hi = np.fmin.reduce(y, axis=None), np.fmax.reduce(y, axis=None)  # NaN ignored
    if np.isnan(lo):  # every value missing
        lo = hi = 0.0
    if not (np.isfinite(lo) and np.isfinite(hi)) or max(-lo, hi) >= 2.0**51:
        return None
    g = rows.groups
    ub, top = int(g.n).bit_length(), int(hi - lo) + 1
    kb = top.bit_length()
    gb = 0 if rows.padded or g.n_groups == 1 else int(g.n_groups - 1).bit_length()
    if gb + kb + ub > 62:
        return None
    y -= lo  # exact: whole numbers below 2^52
    if any_missing:
        y[missing] = top
    q = y.astype(np.int64)
    q <<= ub
    q = rows.to_rows(q, top << ub)
    low = rows.src.reshape(rows.shape)
    if gb:
        low = low | (g.slot_group.astype(np.int64) << (kb + ub)).reshape(rows.shape)
    q |= low
    q.sort(axis=-1)
    return q, ub


def _sorted_places(keys: list[np.ndarray], rows: Rows, decimals: int | None, stable: bool, any_missing: bool,
                   place: np.ndarray, need_ties: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The float sort of the keys in rows: each unit's place (b, units), the tie pairs of the sorted rows
    (b, rows, width − 1) where ``need_ties``, and where each sorted slot's unit sits in the rows (b · rows, width),
    flat."""
    nr, w = rows.shape
    b = keys[0].shape[0]
    laid = []  # the keys in rows (b, rows, width), rounded, as ascending −key (highest first), NaN as +inf: last
    for j, k in enumerate(keys):
        k = rows.to_rows(k, -np.inf)
        if decimals is not None:
            np.round(k, decimals, out=k)
        np.negative(k, out=k)
        if j or any_missing:
            k[np.isnan(k)] = np.inf
        laid.append(k)
    col = rows.sort(laid, stable)
    dest = col + (np.arange(b * nr) * w).reshape(b, nr, 1)  # where each sorted slot's unit sits in the rows
    ranked = np.empty(b * nr * w)
    ranked[dest] = place  # the ranks where nothing is tied: the place in the sorted group
    same = None
    if need_ties:
        same = rows.pair.copy()  # (b, rows, width − 1): a slot equal to the one before, in the same group
        for k in laid:
            sk = k.reshape(-1)[dest] if k.ndim == 3 else np.take_along_axis(np.broadcast_to(k, col.shape), col, -1)
            same = same & (sk[..., 1:] == sk[..., :-1])
    return rows.from_rows(ranked.reshape(b, nr, w)), same, dest.reshape(b * nr, w)


def trailing_mean(x: np.ndarray, k: int, axis: int = -2) -> np.ndarray:
    """The mean of each entry and the ``k − 1`` before it along ``axis`` (the years), ignoring missing ones; NaN
    where the entry itself is missing (a unit without a total this year is not ranked).  Fewer entries at the
    start of the axis: the mean of those there are.  Sums over the k shifted copies, oldest first, so three
    equal totals average to exactly that total.

    >>> x = np.array([[70.0], [80.0], [np.nan], [90.0], [60.0]])  # five years of one unit
    >>> trailing_mean(x, 3).ravel().tolist()
    [70.0, 75.0, nan, 85.0, 75.0]
    """
    x = np.moveaxis(np.asarray(x, dtype=float), axis, 0)
    have = ~np.isnan(x)
    total = np.zeros(x.shape)
    count = np.zeros(x.shape)
    n = x.shape[0]
    for lag in range(min(k, n) - 1, -1, -1):  # the oldest year of the window first
        total[lag:] += np.where(have[: n - lag], x[: n - lag], 0.0)
        count[lag:] += have[: n - lag]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    out[~have] = np.nan
    return np.moveaxis(out, 0, axis)
