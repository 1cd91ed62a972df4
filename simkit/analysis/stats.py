"""Statistics that every analysis shares, written once, over the last axis of numpy arrays: rank
correlations, inequality, intervals (bootstrap, Wilson, quantiles from histograms of integer values), and the
masks of a group's largest or smallest units.

Definitions (each checked by hand in the tests):

- **Spearman ρ** and **Kendall τ-b** along the last axis, as scipy's ``spearmanr`` and ``kendalltau``;
- **Gini** (population formula): ``G = Σ_i Σ_j |x_i − x_j| / (2 n² μ)``; [1, 1, 1, 1] → 0, [0, 0, 0, 1] → 0.75;
- **Top/bottom ratio**: mean of the top ``ceil(tail·n)`` values over the mean of the bottom ones;
- **quantiles** are type 7 (numpy's default "linear", R's default, which COINr uses), also when they are read
  from a histogram of counts (``hist_quantiles``), so that a Monte Carlo can merge chunks exactly.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable

import numpy as np


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (a * b).sum(axis=-1) / den
    return np.where(den > 1e-12, out, np.nan)


def spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman ρ along the last axis (average ranks for ties); NaN where either side is constant.

    >>> float(spearman(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4])))
    0.8
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    from scipy.stats import rankdata  # here, not at import: scipy.stats costs ~0.9 s, most commands never use it

    return _pearson(rankdata(x, axis=-1), rankdata(y, axis=-1))


def kendall(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall τ-b along the last axis (as scipy's ``kendalltau``); NaN where either side is constant or has a NaN.

    Counted with boolean comparisons of every pair, a bounded block of rows at a time: concordant minus
    discordant pairs over the square root of the untied pairs of each side.  Beyond a few hundred units per row
    each row goes to scipy's O(n log n) algorithm instead.

    >>> round(float(kendall(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4]))), 4)
    0.6667
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    shape, n = x.shape[:-1], x.shape[-1]
    xr, yr = x.reshape(-1, n), y.reshape(-1, n)
    out = np.full(xr.shape[0], np.nan)
    if n > 256:
        from scipy.stats import kendalltau

        for k in range(xr.shape[0]):
            out[k] = kendalltau(xr[k], yr[k]).statistic
        return out.reshape(shape)
    step = max(1, 2**24 // max(n * n, 1))  # rows per block: about 16 MB of comparisons
    for a in range(0, xr.shape[0], step):
        xs, ys = xr[a : a + step], yr[a : a + step]
        gx = xs[:, :, None] > xs[:, None, :]
        gy = ys[:, :, None] > ys[:, None, :]
        c = np.count_nonzero(gx & gy, axis=(1, 2))
        d = np.count_nonzero(gx & gy.transpose(0, 2, 1), axis=(1, 2))
        den = np.sqrt(np.count_nonzero(gx, axis=(1, 2)) * np.count_nonzero(gy, axis=(1, 2)).astype(float))
        bad = np.isnan(xs).any(axis=1) | np.isnan(ys).any(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a : a + step] = np.where((den > 0) & ~bad, (c - d) / np.where(den > 0, den, 1.0), np.nan)
    return out.reshape(shape)


def gini(x: np.ndarray) -> np.ndarray:
    """Gini coefficient along the last axis, population formula ``Σ_i Σ_j |x_i − x_j| / (2 n² μ)``.

    NaN when the values sum to 0.  Values should be ≥ 0.

    >>> float(gini(np.array([1.0, 1, 1, 1]))), float(gini(np.array([0.0, 0, 0, 1])))
    (0.0, 0.75)
    """
    s = np.sort(np.asarray(x, dtype=float), axis=-1)
    n = s.shape[-1]
    i = np.arange(1, n + 1, dtype=float)
    total = s.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = ((2 * i - n - 1) * s).sum(axis=-1) / (n * total)
    return np.where(total > 0, g, np.nan)


def tail_count(n: int, tail: float) -> int:
    """How many units a tail share covers: ``ceil(tail·n)``, at least 1 (8 units, 20% → 2)."""
    return max(1, math.ceil(round(tail * n, 9)))


def top_bottom_ratio(x: np.ndarray, tail: float | None = 0.2) -> np.ndarray:
    """Mean of the top ``ceil(tail·n)`` values over the mean of the bottom ones (``tail=None``: max/min).

    The bottom mean is taken as is: a bottom of 0 gives ``inf``.

    >>> float(top_bottom_ratio(np.arange(1.0, 9.0))), float(top_bottom_ratio(np.arange(1.0, 9.0), None))
    (5.0, 8.0)
    """
    s = np.sort(np.asarray(x, dtype=float), axis=-1)
    k = 1 if tail is None else tail_count(s.shape[-1], tail)
    top = s[..., -k:].mean(axis=-1)
    bottom = s[..., :k].mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom != 0, top / np.where(bottom != 0, bottom, 1.0), np.where(top > 0, np.inf, np.nan))


def bootstrap_ci(stat: Callable[..., np.ndarray], *samples: np.ndarray, n_boot: int = 1000, seed: int = 0,
                 level: float = 0.9) -> tuple[float, float, float]:
    """Point estimate and percentile bootstrap interval of ``stat``, resampling the units (the last axis).

    ``stat`` takes the sample arrays with the units on the last axis and any leading axes, and reduces the
    last axis (it is called once on the data and once on all ``n_boot`` resamples stacked on a new leading
    axis).  The arrays are resampled jointly (the same units drawn for every array).  The interval is the
    ``(1 − level)/2`` and ``(1 + level)/2`` percentiles of the resampled statistic, ignoring NaN (a resample
    in which the statistic is undefined).  The same seed gives the same interval.

    >>> x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    >>> est, lo, hi = bootstrap_ci(lambda a: a.mean(axis=-1), x, n_boot=500, seed=1)
    >>> est, lo < est < hi
    (4.5, True)
    """
    arrays = [np.asarray(s, dtype=float) for s in samples]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample of one repeated unit has no correlation
        est = float(np.asarray(stat(*arrays)))
        n = arrays[0].shape[-1]
        if n_boot <= 0 or n < 2:
            return est, float("nan"), float("nan")
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n, size=(n_boot, n))
        boot = np.asarray(stat(*[np.moveaxis(a[..., idx], -2, 0) for a in arrays]), dtype=float)
    lo, hi = percentiles(boot, level)
    return est, lo, hi


def percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` interval of the values (type 7), ignoring NaN; NaN, NaN if there are none."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        return float("nan"), float("nan")
    lo, hi = np.percentile(v, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def nan_quantiles(values: np.ndarray, q: Iterable[float]) -> np.ndarray:
    """Type-7 quantiles of each column (axis 0) ignoring NaN, as ``np.nanquantile`` column by column, in one
    sort: (B, C) → (len(q), C); NaN for a column with no value.

    The same arithmetic as numpy's (index ``(m − 1)·q``, its two-sided interpolation), so the same numbers.

    >>> v = np.array([[1.0, np.nan], [3, 2], [2, np.nan], [np.nan, np.nan]])
    >>> nan_quantiles(v, [0.25, 0.5]).tolist()
    [[1.5, 2.0], [2.0, 2.0]]
    """
    v = np.sort(np.asarray(values, dtype=float), axis=0)  # NaN last
    m = np.count_nonzero(~np.isnan(v), axis=0)
    q = np.asarray(list(q), dtype=float)[:, None]
    virtual = (m - 1) * q  # (Q, C)
    prev = np.floor(virtual)
    above = virtual >= m - 1  # numpy takes the last value there (and for one value)
    i_prev = np.where(above, m - 1, prev).astype(np.intp).clip(0)
    i_next = np.where(above, m - 1, prev + 1).astype(np.intp).clip(0)
    gamma = np.where(above, virtual + 1, virtual - prev)  # numpy's gamma against its index −1 there
    a, b = np.take_along_axis(v, i_prev, axis=0), np.take_along_axis(v, i_next, axis=0)
    with np.errstate(invalid="ignore"):
        diff = b - a
        out = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return np.where(m > 0, out, np.nan)


def column_percentiles(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``percentiles`` of every column (axis 0) at once: the central ``level`` interval ignoring NaN.

    >>> lo, hi = column_percentiles(np.array([[1.0, 5], [2, np.nan], [3, 7]]), 0.5)
    >>> lo.tolist(), hi.tolist()
    ([1.5, 5.5], [2.5, 6.5])
    """
    q = np.true_divide([50 * (1 - level), 50 * (1 + level)], 100)  # as np.percentile turns them into quantiles
    lo, hi = nan_quantiles(values, q)
    return lo, hi


def largest_mask(size: np.ndarray, share: float = 1 / 3) -> np.ndarray:
    """True for the ``ceil(share·n)`` largest values along the last axis (ties at the edge: by position).

    >>> largest_mask(np.array([5.0, 1, 9, 3, 7, 2])).tolist()
    [False, False, True, False, True, False]
    """
    size = np.asarray(size, dtype=float)
    k = tail_count(size.shape[-1], share)
    order = np.argsort(-size, axis=-1, kind="stable")
    out = np.zeros(size.shape, dtype=bool)
    np.put_along_axis(out, order[..., :k], True, axis=-1)
    return out


def smallest_mask(size: np.ndarray, share: float = 1 / 3) -> np.ndarray:
    """True for the ``ceil(share·n)`` smallest values along the last axis."""
    return largest_mask(-np.asarray(size, dtype=float), share)


def default_m(n_years: int) -> int:
    """At least half of the years: ``ceil(n/2)`` (4 years → 2, 10 → 5)."""
    return max(1, math.ceil(n_years / 2))


def wilson(p: np.ndarray | float, n: int, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``p`` from ``n`` trials.

    >>> [round(float(v), 4) for v in wilson(0.5, 100, 0.95)]
    [0.4038, 0.5962]
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    p = np.asarray(p, dtype=float)
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return np.clip(mid - half, 0, 1), np.clip(mid + half, 0, 1)


def hist_quantiles(hist: np.ndarray, qs: Iterable[float]) -> np.ndarray:
    """Type-7 (numpy "linear") quantiles of integer values 1..R given counts (..., R + 1); index 0 = no value.

    Returns (..., len(qs)); NaN where there is no value.

    >>> h = np.array([[0, 2, 1, 1]])  # values 1, 1, 2, 3
    >>> hist_quantiles(h, [0.05, 0.5, 0.95])[0].tolist() == [np.quantile([1, 1, 2, 3], q) for q in (0.05, 0.5, 0.95)]
    True
    """
    shape = hist.shape[:-1]
    hist = hist.reshape(-1, hist.shape[-1])
    counts = hist[:, 1:]
    n = counts.sum(axis=1)
    cum = np.cumsum(counts, axis=1)
    out = []
    for q in qs:
        h = (n - 1) * q
        lo = np.floor(h).astype(np.int64)
        frac = h - lo
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        x_lo = (cum > lo[:, None]).argmax(axis=1) + 1.0
        x_hi = (cum > hi[:, None]).argmax(axis=1) + 1.0
        out.append(np.where(n > 0, x_lo + frac * (x_hi - x_lo), np.nan))
    return np.array(out).T.reshape(*shape, -1)




def value_counts(x: np.ndarray, k: int) -> np.ndarray:
    """How often each integer value 0 … k − 1 occurs along the first axis: (n, *rest) → (*rest, k).

    One ``bincount`` for every column at once, so a Monte Carlo adds chunks' counts exactly.

    >>> value_counts(np.array([[1, 0], [1, 2], [0, 2]]), 3).tolist()
    [[1, 2, 0], [1, 0, 2]]
    """
    x = np.asarray(x, dtype=np.int64)
    rest = x.shape[1:]
    cols = int(np.prod(rest, dtype=np.int64))
    flat = x.reshape(x.shape[0], cols) + np.arange(cols, dtype=np.int64) * k
    return np.bincount(flat.ravel(), minlength=cols * k).reshape(*rest, k)


def group_sums(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sums over the units of each group along the last axis: (..., U) → (..., G), one ``bincount`` for all.

    >>> group_sums(np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([0, 1, 0])).tolist()
    [[4.0, 2.0], [10.0, 5.0]]
    """
    x = np.asarray(x, dtype=float)
    codes = np.asarray(codes)
    g = int(codes.max()) + 1 if codes.size else 0
    rows = x.reshape(-1, x.shape[-1])
    idx = codes[None, :] + (np.arange(rows.shape[0]) * g)[:, None]
    sums = np.bincount(idx.ravel(), weights=rows.ravel(), minlength=rows.shape[0] * g)
    return sums.reshape(*x.shape[:-1], g)


def rank_counts(rank: np.ndarray, max_rank: int) -> np.ndarray:
    """How often each rank 1 … ``max_rank`` occurs along the first axis (draws): (n, *rest) → (*rest, R + 1),
    index 0 counting the draws without a rank (NaN)."""
    r = np.nan_to_num(np.asarray(rank, dtype=float), nan=0.0).astype(np.int64)
    return value_counts(r, max_rank + 1)


def summarise_counts(counts: np.ndarray, level: float = 0.9) -> dict[str, np.ndarray]:
    """From counts of integer values 1 … R (..., R + 1; index 0 = none): the mean and median, the central
    ``level`` interval (type 7) and the share of all draws with the value 1 (first place)."""
    values = np.arange(1, counts.shape[-1], dtype=float)
    c = counts[..., 1:]
    n_val = c.sum(axis=-1)
    q = hist_quantiles(counts, (0.5, 0.5 * (1 - level), 0.5 * (1 + level)))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c * values).sum(axis=-1) / n_val
    return {"mean": mean, "median": q[..., 0], "lo": q[..., 1], "hi": q[..., 2],
            "p_first": c[..., 0] / counts.sum(axis=-1)}
