"""Bootstrap by resample counts (按抽取次数的自助法).

A resample of a group's n units is fully described by its counts: how often each unit was drawn (they sum to n).
Every statistic fairness needs is computed exactly from the values and the counts, without gathering the
resampled arrays, for all the groups of one size at once.

The draws are those of ``stats.bootstrap_ci``: for a group of n units ``default_rng(seed).integers(0, n,
size=(n_boot, n))``, so that every group of the same size has the same resamples.  Drawn a chunk of rows at a
time from one generator they are the same stream, which bounds the memory at any number of units.

A count-weighted statistic takes values ``(..., n)`` (the group's units on the last axis) and counts ``(b, n)``,
and gives ``(b, ...)``.  A unit is resampled with all its years, so the same counts apply to every leading axis.

- **Kendall τ-b**: ``Σ_{i<j} c_i c_j sign(x_i − x_j) sign(y_i − y_j) / sqrt(Σ c_i c_j [x_i ≠ x_j] ·
  Σ c_i c_j [y_i ≠ y_j])``.  Copies of one unit tie on both sides, so they count for nothing.  Up to
  ``PAIRS_UP_TO`` units this is the pair weights times the pairs' signs, one matrix product for all rows.  Beyond
  that, each resample goes to scipy's O(n log n) ``kendalltau`` (on ``np.repeat``), one draw at a time, as
  ``stats.kendall`` does.
- **Spearman ρ**: the resample's average ranks from the counts (the items strictly below, plus half of the tied
  items and one), then the count-weighted Pearson correlation.  The mean rank is (n + 1)/2 in every resample.
- **Gini** and the **top/bottom ratio**: from the values sorted and the counts cumulated in that order.  Item j
  fills positions ``P_{j−1} + 1 … P_j`` of the sorted resample.

Counts, pair weights and ranks are whole or half numbers, so the sums are exact in floating point.  The rank
correlations and shares therefore equal those of the gathered resample to the last bit, and Gini and the ratio
agree to rounding.  Values must have no NaN: a group with a NaN gives NaN, whether the unit is drawn or not.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .stats import column_percentiles, tail_count

#: Kendall by pair weights up to this many units (as ``stats.kendall``); scipy per resample beyond.
PAIRS_UP_TO = 256
#: Elements of one working array for a chunk of draws (32 MiB of float64).
BUDGET = 1 << 22


#: OpenBLAS computes a product of at most 65536 × 4 multiply-adds on one thread.  The products here are many and
#: small; on a busy 2-core machine its threads cost several times the CPU they save, so they are cut below that.
ONE_THREAD = 1 << 18


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (2-D), in blocks small enough for BLAS to compute each on one thread.

    >>> a, b = np.arange(6.0).reshape(3, 2), np.ones((2, 4))
    >>> bool((product(a, b) == a @ b).all())
    True
    """
    k, n = b.shape
    if len(a) * k * n <= ONE_THREAD or 16 * k > ONE_THREAD:  # one block already, or too deep for any block
        return a @ b
    cols = min(n, max(1, ONE_THREAD // (16 * k)))
    rows = max(1, ONE_THREAD // (k * cols))
    out = np.empty((len(a), n), dtype=np.result_type(a.dtype, b.dtype))
    for c in range(0, n, cols):
        part = b[:, c:c + cols]
        for r in range(0, len(a), rows):
            out[r:r + rows, c:c + cols] = a[r:r + rows] @ part
    return out


# ============================================================================================== draws
def counts_of(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each of ``n`` units occurs in each row of ``idx``: (b, m) → (b, n), one ``bincount``.

    >>> counts_of(np.array([[0, 0, 2], [1, 2, 2]]), 3).tolist()
    [[2, 0, 1], [0, 1, 2]]
    """
    idx = np.asarray(idx, dtype=np.int64)
    b = idx.shape[0]
    flat = idx + (np.arange(b, dtype=np.int64) * n)[:, None]
    return np.bincount(flat.ravel(), minlength=b * n).reshape(b, n)


def resample_counts(n: int, n_boot: int, seed: int = 0, *, chunk: int | None = None
                    ) -> Iterator[tuple[int, np.ndarray]]:
    """The counts of ``bootstrap_ci``'s resamples of n units, ``chunk`` draws at a time: (first draw, (b, n)).

    >>> parts = [c for _, c in resample_counts(5, 10, seed=1, chunk=3)]
    >>> idx = np.random.default_rng(1).integers(0, 5, size=(10, 5))
    >>> bool((np.concatenate(parts) == counts_of(idx, 5)).all()), [len(c) for c in parts]
    (True, [3, 3, 3, 1])
    """
    rng = np.random.default_rng(seed)
    step = max(1, chunk if chunk else BUDGET // max(n, 1))
    for first in range(0, n_boot, step):
        b = min(step, n_boot - first)
        yield first, counts_of(rng.integers(0, n, size=(b, n)), n)


# ===================================================================================== rank statistics
def _rows(*arrays: Any) -> tuple[tuple[int, ...], list[np.ndarray]]:
    out = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))
    n = out[0].shape[-1]
    return out[0].shape[:-1], [a.reshape(-1, n) for a in out]


def _sign(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a > b).astype(np.int8) - (a < b).astype(np.int8)


class Kendall:
    """Count-weighted Kendall τ-b of ``x`` with ``y`` along the last axis: ``Kendall(x, y)(counts)`` → (b, ...).

    The pairs' signs are prepared once for all rows.  Each call is then one product of the pair weights
    ``c_i c_j`` with them.  In float32 this is exact: every sum is a whole number below 2**24.

    >>> x, y = np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4])
    >>> t = Kendall(x, y)(np.array([[1, 1, 1, 1], [2, 0, 1, 1]]))
    >>> [round(float(v), 4) for v in t]  # the second: the resample [1, 1, 3, 4] against [1, 1, 2, 4]
    [0.6667, 1.0]
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.shape, (self.x, self.y) = _rows(x, y)
        self.n = n = self.x.shape[-1]
        self.bad = np.isnan(self.x).any(axis=1) | np.isnan(self.y).any(axis=1)
        if n <= PAIRS_UP_TO:
            self.i, self.j = np.triu_indices(n, 1)
            self.sx = _sign(self.x[:, self.i], self.x[:, self.j])  # (rows, pairs) int8
            self.sy = _sign(self.y[:, self.i], self.y[:, self.j])
            rows = max(1, BUDGET // max(3 * len(self.i), 1))  # rows of one block of the pair matrix
            self.blocks = [slice(a, a + rows) for a in range(0, len(self.x), rows)]
            self.fixed = [self._matrix(s) for s in self.blocks] if len(self.blocks) == 1 else None

    def _matrix(self, rows: slice) -> np.ndarray:
        # concordant − discordant, then each side's untied pairs: one product gives all three sums
        sx, sy = self.sx[rows], self.sy[rows]
        return np.concatenate([sx * sy, sx != 0, sy != 0]).T.astype(np.float32)

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts)
        if self.n > PAIRS_UP_TO:
            out = self._repeat(counts)
        else:
            w = (counts[:, self.i] * counts[:, self.j]).astype(np.float32)
            out = np.empty((len(counts), len(self.x)))
            for k, rows in enumerate(self.blocks):
                s = product(w, self.fixed[k] if self.fixed else self._matrix(rows)).astype(float)
                m = s.shape[1] // 3
                num, den = s[:, :m], np.sqrt(s[:, m:2 * m] * s[:, 2 * m:])
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[:, rows] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        out[:, self.bad] = np.nan
        return out.reshape(len(counts), *self.shape)

    def _repeat(self, counts: np.ndarray) -> np.ndarray:
        # large groups: pairs would explode, so each resample goes to scipy (the same tau as the gathered one)
        from scipy.stats import kendalltau

        out = np.full((len(counts), len(self.x)), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for b, c in enumerate(counts):
                for r in np.flatnonzero(~self.bad):
                    out[b, r] = kendalltau(np.repeat(self.x[r], c), np.repeat(self.y[r], c)).statistic
        return out


def kendall_counts(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Kendall τ-b of each resample given by ``counts`` (b, n): (..., n) values → (b, ...).

    >>> float(kendall_counts(np.array([1.0, 2, 3]), np.array([3.0, 2, 1]), np.array([[1, 1, 1]]))[0])
    -1.0
    """
    return Kendall(x, y)(counts)


class _Ranks:
    """Average ranks of the resamples of each row of ``x`` (rows, n), from counts (b, n) → (b, rows, n)."""

    def __init__(self, x: np.ndarray) -> None:
        self.n = n = x.shape[-1]
        if n <= PAIRS_UP_TO:
            # rank_i = ½ + Σ_j c_j ([x_j < x_i] + ½ [x_j = x_i]): one product for every row
            m = (x[:, :, None] < x[:, None, :]) + 0.5 * (x[:, :, None] == x[:, None, :])  # (rows, j, i)
            self.m = m.transpose(1, 0, 2).reshape(n, -1)
        else:
            # sorted once: below = counts cumulated before the tie block, tied = the block's counts
            self.order = np.argsort(x, axis=1, kind="stable")
            xs = np.take_along_axis(x, self.order, axis=1)
            pos = np.arange(n)
            start = np.ones(x.shape, dtype=bool)
            start[:, 1:] = xs[:, 1:] != xs[:, :-1]
            end = np.ones(x.shape, dtype=bool)
            end[:, :-1] = start[:, 1:]
            self.first = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
            self.last = np.minimum.accumulate(np.where(end, pos, n)[:, ::-1], axis=1)[:, ::-1]
            self.back = np.argsort(self.order, axis=1)
        self.rows = x.shape[0]

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        b = len(counts)
        if self.n <= PAIRS_UP_TO:
            return (product(counts.astype(float), self.m) + 0.5).reshape(b, self.rows, self.n)
        cs = counts[:, self.order]  # (b, rows, n)
        cum = np.cumsum(cs, axis=-1)
        below = np.take_along_axis(cum - cs, self.first[None], axis=-1)
        tied = np.take_along_axis(cum, self.last[None], axis=-1) - below
        ranks = below + 0.5 * (tied + 1)
        return np.take_along_axis(ranks, self.back[None], axis=-1)


class Spearman:
    """Count-weighted Spearman ρ of ``x`` with ``y`` along the last axis: ``Spearman(x, y)(counts)`` → (b, ...).

    NaN where either side of the resample is constant, as ``stats.spearman``.

    >>> x, y = np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4])
    >>> [round(float(v), 4) for v in Spearman(x, y)(np.array([[1, 1, 1, 1], [4, 0, 0, 0]]))]
    [0.8, nan]
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.shape, (x, y) = _rows(x, y)
        self.n = x.shape[-1]
        self.bad = np.isnan(x).any(axis=1) | np.isnan(y).any(axis=1)
        self.rx, self.ry = _Ranks(x), _Ranks(y)

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts)
        c = counts.astype(float)[:, None, :]
        rx, ry = self.rx(counts), self.ry(counts)
        # Σ c (r − m)(s − m) = Σ c r s − n m², since Σ c r = n m: all exact (quarters below 2**53)
        nm2 = self.n * ((self.n + 1) / 2) ** 2
        cx = c * rx
        sxy = np.einsum("bri,bri->br", cx, ry) - nm2
        sxx = np.einsum("bri,bri->br", cx, rx) - nm2
        syy = np.einsum("bri,bri->br", c * ry, ry) - nm2
        with np.errstate(invalid="ignore", divide="ignore"):
            den = np.sqrt(sxx * syy)
            out = np.where(den > 1e-12, sxy / den, np.nan)
        out[:, self.bad] = np.nan
        return out.reshape(len(counts), *self.shape)


def spearman_counts(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Spearman ρ of each resample given by ``counts`` (b, n): (..., n) values → (b, ...).

    >>> float(spearman_counts(np.array([1.0, 2, 3]), np.array([1.0, 2, 5]), np.array([[0, 2, 1]]))[0])
    1.0
    """
    return Spearman(x, y)(counts)


# ========================================================================================= inequality
class Inequality:
    """Count-weighted Gini and top/bottom ratio along the last axis: ``Inequality(x, tail)(counts)`` →
    (gini, ratio), each (b, ...).  The definitions are those of ``stats.gini`` and ``stats.top_bottom_ratio``.

    Sorted once: with P the counts cumulated in sorted order, Gini = ``Σ c_j x_j (P_{j−1} + P_j − n) /
    (n Σ c_j x_j)``.  The k smallest are the items up to where P reaches k, with a part of the item at the edge.

    >>> g, r = Inequality(np.arange(1.0, 9.0), 0.2)(np.array([[1] * 8, [0, 0, 0, 0, 0, 0, 4, 4]]))
    >>> g.round(4).tolist(), r.tolist()  # all eight units; then four copies each of 7 and 8
    ([0.2917, 0.0333], [5.0, 1.1428571428571428])
    """

    def __init__(self, x: np.ndarray, tail: float | None = 0.2) -> None:
        self.shape, (x,) = _rows(x)
        self.n = n = x.shape[-1]
        self.k = 1 if tail is None else tail_count(n, tail)
        self.order = np.argsort(x, axis=1, kind="stable")
        self.xs = np.take_along_axis(x, self.order, axis=1)

    def __call__(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.asarray(counts)
        b, n, k = len(counts), self.n, self.k
        whole = np.int32 if n * n < 2**31 else np.int64  # the Gini weights below reach n²
        cs = np.take(counts.astype(whole), self.order, axis=1)  # (b, rows, n) in sorted order
        cum = np.cumsum(cs, axis=-1, dtype=whole)  # P_j
        total = np.einsum("bri,ri->br", cs, self.xs)
        # Σ c_j x_j (P_{j−1} + P_j − n), P_{j−1} = P_j − c_j: whole weights times the values
        g_num = np.einsum("bri,ri->br", cs * (2 * cum - cs - n), self.xs)
        with np.errstate(invalid="ignore", divide="ignore"):
            gini = np.where(total > 0, g_num / (n * total), np.nan)
        top, bottom = (total - self._smallest(cs, cum, n - k)) / k, self._smallest(cs, cum, k) / k
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(bottom != 0, top / np.where(bottom != 0, bottom, 1.0),
                             np.where(top > 0, np.inf, np.nan))
        return gini.reshape(b, *self.shape), ratio.reshape(b, *self.shape)

    def _smallest(self, cs: np.ndarray, cum: np.ndarray, k: int) -> np.ndarray:
        """Sum of the k smallest values of each resample: the whole items before the one at which the cumulated
        count reaches k (those with P_j < k), and as many copies of that one as make up k."""
        if k <= 0:
            return np.zeros(cs.shape[:-1])
        before = cum < k
        whole = cs * before
        edge = np.take_along_axis(self.xs[None], np.count_nonzero(before, axis=-1)[..., None], axis=-1)[..., 0]
        return np.einsum("bri,ri->br", whole, self.xs) + edge * (k - whole.sum(axis=-1))


def gini_counts(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Gini of each resample given by ``counts`` (b, n): (..., n) values → (b, ...).

    >>> gini_counts(np.array([0.0, 1]), np.array([[1, 1], [0, 2]])).tolist()  # [0, 1]; [1, 1]
    [0.5, 0.0]
    """
    return Inequality(x)(counts)[0]


def top_bottom_counts(x: np.ndarray, counts: np.ndarray, tail: float | None = 0.2) -> np.ndarray:
    """Top/bottom ratio of each resample given by ``counts`` (b, n): (..., n) values → (b, ...).

    >>> top_bottom_counts(np.array([1.0, 2, 4]), np.array([[1, 1, 1], [0, 2, 1]]), None).tolist()
    [4.0, 2.0]
    """
    return Inequality(x, tail)(counts)[1]


# ========================================================================================== the driver
def by_size(sizes: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """The groups of each size among contiguous segments of ``sizes``: (n, members (k,), positions (k, n)).

    >>> [(n, m.tolist(), p.tolist()) for n, m, p in by_size(np.array([2, 1, 2]))]
    [(1, [1], [[2]]), (2, [0, 2], [[0, 1], [3, 4]])]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    for n in np.unique(sizes):
        members = np.flatnonzero(sizes == n)
        yield int(n), members, starts[members][:, None] + np.arange(n)


def bootstrap_groups(make_stat: Callable[..., Callable[[np.ndarray], Any]], sizes: np.ndarray, *arrays: np.ndarray,
                     n_boot: int = 1000, seed: int = 0, level: float = 0.9
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point estimates and percentile bootstrap intervals of statistics of many groups at once.

    ``arrays`` (..., N) hold the groups' units as contiguous segments of ``sizes`` on the last axis.  For the
    k groups of one size n, ``make_stat`` gets each array's part ``(k, ..., n)``.  It returns a function of
    counts (b, n) that gives a tuple of S statistics (b, k) (or one array).  The estimate takes counts of ones.
    The resamples are those of ``stats.bootstrap_ci`` for a group of n units with the same seed.  The interval
    is its ``(1 ± level)/2`` percentiles ignoring NaN.  Groups of one unit get NaN intervals.  Returns est, lo,
    hi, each (S, G).

    >>> x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    >>> est, lo, hi = bootstrap_groups(lambda a: lambda c: (c @ a.T) / 8, [8], x, n_boot=500, seed=1)
    >>> from simkit.analysis.stats import bootstrap_ci
    >>> [float(v[0, 0]) for v in (est, lo, hi)] == list(bootstrap_ci(lambda a: a.mean(axis=-1), x,
    ...                                                                 n_boot=500, seed=1))
    True
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    parts: list[tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]] = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample of one repeated unit has no correlation
        for n, members, pos in by_size(sizes):
            groups = [np.moveaxis(np.asarray(a)[..., pos], -2, 0) for a in arrays]  # (k, ..., n)
            stat = make_stat(*groups)
            est = _tuple(stat(np.ones((1, n), dtype=np.int64)))
            if n_boot <= 0 or n < 2:
                nan = [np.full(len(members), np.nan) for _ in est]
                parts.append((members, [e[0] for e in est], nan + nan))
                continue
            per_draw = max(max(g.size for g in groups), 1) + (n * n // 2 if n <= PAIRS_UP_TO else 0)
            boot = np.empty((len(est), n_boot, len(members)))
            for first, c in resample_counts(n, n_boot, seed, chunk=max(1, BUDGET // per_draw)):
                boot[:, first:first + len(c)] = np.stack(_tuple(stat(c)))
            lo, hi = column_percentiles(boot.transpose(1, 0, 2).reshape(n_boot, -1), level)
            s = len(est)
            parts.append((members, [e[0] for e in est], [*lo.reshape(s, -1), *hi.reshape(s, -1)]))
    s = len(parts[0][1]) if parts else 1
    out = np.full((3, s, len(sizes)), np.nan)
    for members, est, bounds in parts:
        out[0][:, members] = est
        out[1][:, members] = bounds[:s]
        out[2][:, members] = bounds[s:]
    return out[0], out[1], out[2]


def _tuple(v: Any) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a, dtype=float) for a in v) if isinstance(v, tuple | list) else (np.asarray(v, float),)
