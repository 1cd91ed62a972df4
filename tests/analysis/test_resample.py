"""``simkit.analysis.resample``: statistics of a resample from its counts equal the statistics of the resample
itself (``np.repeat``), the draws are ``bootstrap_ci``'s, and fairness gives what the loop over groups with
``bootstrap_ci`` gave."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import simkit
from simkit.analysis import fairness as f
from simkit.analysis import resample as rs
from simkit.analysis import stats as st
from simkit.analysis.outcomes import complete, group_columns, relative_payout, sized_groups, sizes

PROPS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@hs.composite
def samples(draw, low: int = 0, high: int = 3):
    """Values (Y, n) with ties and counts of a few resamples of the n units."""
    n = draw(hs.integers(1, 12))
    y = draw(hs.integers(1, 3))
    vals = hs.integers(low, high).map(float)
    x = np.array(draw(hs.lists(vals, min_size=y * n, max_size=y * n))).reshape(y, n)
    z = np.array(draw(hs.lists(vals, min_size=y * n, max_size=y * n))).reshape(y, n)
    idx = np.array(draw(hs.lists(hs.lists(hs.integers(0, n - 1), min_size=n, max_size=n), min_size=1,
                                 max_size=4)))
    return x, z, rs.counts_of(idx, n)


def repeated(fn, counts, *arrays):
    """The statistic of each resample, materialised: (b, Y)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([fn(*(np.repeat(a, c, axis=-1) for a in arrays)) for c in counts])


def same(a, b, atol: float = 0.0) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):  # inf − inf
        close = np.abs(a - b) <= atol
    return a.shape == b.shape and bool(np.all((np.isnan(a) & np.isnan(b)) | (a == b) | close))


# ======================================================================= statistics of the counts
@PROPS
@given(samples())
def test_rank_correlations_of_counts_are_those_of_the_repeated_resample(s):
    x, y, c = s
    # whole and half numbers throughout: the same to the last bit
    assert same(rs.Kendall(x, y)(c), repeated(st.kendall, c, x, y))
    assert same(rs.Spearman(x, y)(c), repeated(st.spearman, c, x, y))
    assert same(rs.kendall_counts(x, y, c), rs.Kendall(x, y)(c))
    assert same(rs.spearman_counts(x, y, c), rs.Spearman(x, y)(c))


@PROPS
@given(samples(0, 4), hs.sampled_from([None, 0.2, 0.5, 1 / 3, 1.0]))
def test_inequality_of_counts_is_that_of_the_repeated_resample(s, tail):
    x, _, c = s
    x = x / 2  # zeros, ties and halves: the 0/0 and x/0 branches come up
    gini, ratio = rs.Inequality(x, tail)(c)
    assert same(gini, repeated(st.gini, c, x), 1e-12)
    assert same(ratio, repeated(lambda a: st.top_bottom_ratio(a, tail), c, x), 1e-12)
    assert same(rs.gini_counts(x, c), gini) and same(rs.top_bottom_counts(x, c, tail), ratio)


def test_a_group_of_two_and_all_tied_values():
    x, y = np.array([1.0, 2]), np.array([5.0, 3])
    c = np.array([[1, 1], [2, 0], [0, 2]])
    # both units: τ = ρ = −1; one unit twice: constant, undefined
    assert same(rs.Kendall(x, y)(c), [-1, np.nan, np.nan])
    assert same(rs.Spearman(x, y)(c), [-1, np.nan, np.nan])
    tied = np.full(5, 3.0)
    c5 = rs.counts_of(np.random.default_rng(0).integers(0, 5, size=(4, 5)), 5)
    assert np.isnan(rs.Kendall(tied, np.arange(5.0))(c5)).all()
    assert np.isnan(rs.Spearman(np.arange(5.0), tied)(c5)).all()
    gini, ratio = rs.Inequality(tied)(c5)
    assert (gini == 0).all() and (ratio == 1).all()
    gini, ratio = rs.Inequality(np.zeros(5))(c5)
    assert np.isnan(gini).all() and np.isnan(ratio).all()  # nothing paid: no Gini, 0/0


def test_a_nan_in_a_group_gives_nan():
    x = np.array([1.0, np.nan, 3])
    c = np.array([[1, 1, 1], [2, 0, 1]])
    assert np.isnan(rs.Kendall(x, np.arange(3.0))(c)).all() and np.isnan(rs.Spearman(x, np.arange(3.0))(c)).all()


def test_large_groups_go_to_the_per_draw_path(monkeypatch):
    rng = np.random.default_rng(4)
    x, y = rng.integers(0, 6, size=(2, 9)).astype(float), rng.integers(0, 6, size=(2, 9)).astype(float)
    c = rs.counts_of(rng.integers(0, 9, size=(6, 9)), 9)
    pairs = rs.Kendall(x, y)(c), rs.Spearman(x, y)(c)
    monkeypatch.setattr(rs, "PAIRS_UP_TO", 4)
    big = rs.Kendall(x, y)(c), rs.Spearman(x, y)(c)
    assert same(big[1], pairs[1])  # sorted cumulated counts: the same ranks
    assert same(big[0], pairs[0], 1e-12)  # scipy's formula, rounded its own way
    assert same(big[0], repeated(lambda a, b: np.array([__import__("scipy").stats.kendalltau(a[k], b[k]).statistic
                                                        for k in range(len(a))]), c, x, y))


def test_a_real_large_group_matches_the_gathered_resample():
    rng = np.random.default_rng(5)
    n = rs.PAIRS_UP_TO + 44
    x, y = rng.integers(0, 50, size=n).astype(float), rng.random(n)
    idx = rng.integers(0, n, size=(3, n))
    c = rs.counts_of(idx, n)
    assert same(rs.Kendall(x, y)(c), st.kendall(x[idx], y[idx]))
    assert same(rs.Spearman(x, y)(c), st.spearman(x[idx], y[idx]))


def test_blocked_products_are_the_product():
    rng = np.random.default_rng(6)
    for shape in ((1000, 300, 48), (37, 2000, 500), (3, 4, 5)):
        a, b = rng.random(shape[:2]), rng.random(shape[1:])
        assert np.allclose(rs.product(a, b), a @ b, rtol=1e-14)
    w = rng.integers(0, 9, size=(1000, 780)).astype(np.float32)
    m = rng.integers(-1, 2, size=(780, 72)).astype(np.float32)
    assert (rs.product(w, m) == w.astype(float) @ m.astype(float)).all()  # whole numbers below 2**24: exact


# ============================================================================================= draws
def test_drawing_in_chunks_is_the_same_stream():
    for n in (1, 2, 7, 50, 301):
        whole = rs.counts_of(np.random.default_rng(3).integers(0, n, size=(97, n)), n)
        for chunk in (1, 5, 96, 200):
            parts = list(rs.resample_counts(n, 97, seed=3, chunk=chunk))
            assert [a for a, _ in parts] == list(range(0, 97, chunk))
            assert (np.concatenate([c for _, c in parts]) == whole).all()
    assert (rs.counts_of(np.array([[0, 0, 1]]), 3).sum(axis=1) == 3).all()


def groups_like_a_province(seed: int = 0):
    """Groups of 1–9 units (several of each size), ranks and sizes over 3 years, in segment order."""
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 10, size=14)
    n[:3] = [1, 2, 2]
    total = n.sum()
    rank = np.concatenate([np.argsort(rng.random((3, m)), axis=1) + 1.0 for m in n], axis=1)
    size = np.tile(rng.integers(1, 6, size=total).astype(float), (3, 1))
    return n, rank, size


def reference(stat, n, *arrays, **kw):
    """The loop over groups with ``bootstrap_ci`` that fairness ran before."""
    starts = np.cumsum(n) - n
    return np.array([st.bootstrap_ci(stat, *(a[..., s:s + m] for a in arrays), **kw) for s, m in zip(starts, n,
                                                                                                    strict=True)]).T


def test_bootstrap_groups_has_bootstrap_cis_resamples_and_intervals(monkeypatch):
    n, rank, size = groups_like_a_province()
    kw = {"n_boot": 300, "seed": 7, "level": 0.8}

    def make(r, s):
        sp, kd = rs.Spearman(r, -s), rs.Kendall(r, -s)
        return lambda c: (np.nanmean(sp(c), axis=-1), np.nanmean(kd(c), axis=-1))

    got = rs.bootstrap_groups(make, n, rank, size, **kw)
    for k, fn in enumerate((st.spearman, st.kendall)):
        want = reference(lambda r, s, fn=fn: np.nanmean(fn(r, -s), axis=-1), n, rank, size, **kw)
        for i in range(3):
            assert same(got[i][k], want[i]), (k, i)
    assert np.isnan(got[1][:, 0]).all() and np.isnan(got[2][:, 0]).all()  # the group of one: no interval
    monkeypatch.setattr(rs, "BUDGET", 64)  # a few draws per chunk: the same numbers
    again = rs.bootstrap_groups(make, n, rank, size, **kw)
    assert all(same(a, b) for a, b in zip(got, again, strict=True))


def test_bootstrap_groups_without_resamples():
    n, rank, _ = groups_like_a_province(1)
    est, lo, hi = rs.bootstrap_groups(lambda a: lambda c: (c @ a.sum(axis=1).T), n, rank, n_boot=0)
    assert est.shape == (1, len(n)) and np.isnan(lo).all() and np.isnan(hi).all()
    assert [list(m) for _, m, _ in rs.by_size(n)] == [list(np.flatnonzero(n == m)) for m in np.unique(n)]


# ========================================================================================== quantiles
@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.lists(hs.sampled_from([0.0, 1.0, 2.5, -1.0, np.nan, np.inf]), min_size=3, max_size=3),
                min_size=1, max_size=25), hs.sampled_from([0.9, 0.8, 0.5, 0.95, 1 / 3]))
def test_column_quantiles_are_numpys(rows, level):
    v = np.array(rows)
    lo, hi = st.column_percentiles(v, level)
    q = [0.5 * (1 - level), 0.5 * (1 + level)]
    got = st.nan_quantiles(v, q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for c in range(v.shape[1]):
            assert same([lo[c], hi[c]], st.percentiles(v[:, c], level))
            assert same(got[:, c], np.nanquantile(v[:, c], q))


# ============================================================ fairness: the loop over groups it replaced
@pytest.fixture(scope="module")
def panels(data, legacy, reform):
    return [f.as_panel(simkit.evaluate_history(s, data)) for s in (legacy, reform)]


def test_fairness_is_the_loop_over_groups_it_replaced(panels):
    kw = {"n_boot": 300, "seed": 2, "level": 0.9}
    for p in panels:
        size = sizes(p, "headcount")
        t = f.rank_size_correlation(p, "headcount", **kw)
        for row, g in zip(t.itertuples(), sized_groups(p, size), strict=True):
            cols = complete(p, g, size)
            r, s = p["rank"][0][:, cols].astype(float), size[0][:, cols]
            for name, fn in (("spearman", st.spearman), ("kendall", st.kendall)):
                want = st.bootstrap_ci(lambda a, b, fn=fn: np.nanmean(fn(a, -b), axis=-1), r, s, **kw)
                assert same([getattr(row, name), getattr(row, f"{name}_lo"), getattr(row, f"{name}_hi")], want)
        pay = f.payout_inequality(p, **kw).set_index("group")
        x = relative_payout(p, "base")[0]
        for g in [*p.plan.group_names, f.ALL]:
            v = x[:, group_columns(p, g)] if g != f.ALL else x
            v = v[:, np.isfinite(v).all(axis=0)]
            if v.shape[-1] < 2:
                assert g not in pay.index
                continue
            want = st.bootstrap_ci(lambda a: np.nanmean(st.gini(a), axis=-1), v, **kw)
            assert same(pay.loc[g, ["gini", "gini_lo", "gini_hi"]], want, 1e-12)
            want = st.bootstrap_ci(lambda a: np.nanmean(st.top_bottom_ratio(a), axis=-1), v, **kw)
            assert same(pay.loc[g, ["top_bottom", "top_bottom_lo", "top_bottom_hi"]], want, 1e-12)
        mob = f.rank_mobility(p, **kw)
        mob = mob[mob["pairs"] > 1].set_index("group")
        for g in p.plan.group_names:
            cols = complete(p, g)
            if len(cols) < 2:
                continue
            r = p["rank"][0][:, cols]
            want = st.bootstrap_ci(lambda a: np.nanmean(st.kendall(a[..., :-1, :], a[..., 1:, :]), axis=-1), r, **kw)
            assert same(mob.loc[g, ["kendall", "kendall_lo", "kendall_hi"]], want)


def test_the_top_grade_share_pools_the_groups_in_their_order(panels):
    p = panels[1]
    t = f.top_grade_share(p, "headcount", n_boot=200, seed=1).set_index("group")
    size = sizes(p, "headcount")
    parts = []
    for g in sized_groups(p, size):
        cols = complete(p, g, size)
        parts.append((p["grade"][0][:, cols] == 0, st.largest_mask(size[0][:, cols])))
    top = np.concatenate([a for a, _ in parts], axis=-1).astype(float)
    big = np.concatenate([b for _, b in parts], axis=-1).astype(float)

    def share(a, b):
        total = a.sum(axis=(-2, -1))
        return np.where(total > 0, (a * b).sum(axis=(-2, -1)) / np.where(total > 0, total, 1), np.nan)

    want = st.bootstrap_ci(share, top, big, n_boot=200, seed=1)
    assert same(t.loc[f.ALL, ["share", "share_lo", "share_hi"]], want)
    assert t.loc[f.ALL, "expected"] == big.mean() and t.loc[f.ALL, "top_grades"] == top.sum()


def test_groups_keep_the_order_asked_for(panels):
    p = panels[1]
    names = list(p.plan.group_names)
    both = f.payout_inequality(p, groups=[names[2], names[0]], n_boot=100)
    one = [f.payout_inequality(p, groups=[g], n_boot=100).iloc[0] for g in (names[2], names[0])]
    assert both["group"].tolist() == [names[2], names[0], f.ALL]
    for row, want in zip(both.itertuples(), one, strict=False):
        assert same([row.gini, row.gini_lo, row.top_bottom_hi], [want["gini"], want["gini_lo"], want["top_bottom_hi"]])
    with pytest.raises(ValueError, match="not in list"):
        f.rank_mobility(p, groups=["无此组"])
