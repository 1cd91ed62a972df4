"""Every segment operation (``simkit.rules.segments``) against a straightforward loop over the groups, on random
group codes: unsorted and non-contiguous codes, groups of one, all-missing groups, ties, several leading axes,
and both ways of sorting within groups (padded rows, or one row of all units when the sizes are too unequal)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simkit.rules.consequences import round_to_total
from simkit.rules.segments import Groups, group_sizes, group_sum

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODES = (-7, 0, 3, 4, 12, 1000, 2**40)  # unsorted, gaps, negative, large
VALUES = (0.0, 1.0, 1.0, 2.5, -3.0, 7.25, 1e6, np.nan)  # ties and missing values


@st.composite
def cases(draw, max_units: int = 25, values: tuple[float, ...] = VALUES):
    """(codes, x): group codes for n units (sometimes one large group and singletons: the unpadded layout) and
    values of shape (*lead, n) with 0–2 leading axes; some groups all missing."""
    n = draw(st.integers(1, max_units))
    if draw(st.booleans()):
        codes = np.array(draw(st.lists(st.sampled_from(CODES), min_size=n, max_size=n)))
    else:  # one big group and groups of one: more than 3× padding, so sorted as one row
        big = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        codes = np.where(big, 5, 100 + np.arange(n)) * draw(st.sampled_from([1, -1]))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    x = np.array(draw(st.lists(st.sampled_from(values), min_size=int(np.prod(lead)) * n,
                               max_size=int(np.prod(lead)) * n))).reshape(*lead, n)
    if draw(st.booleans()):  # a whole group missing
        x[..., codes == draw(st.sampled_from(list(codes)))] = np.nan
    return codes, x


def _per_group(codes: np.ndarray, fn, x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The reference: ``fn`` (keepdims reduction) on each group's selection, in ascending code, stacked."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        parts = [fn(np.compress(codes == c, x, axis=axis)) for c in np.unique(codes)]
    return np.concatenate(parts, axis=axis)


def _close(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


# ------------------------------------------------------------------------------------- layout and sizes
@given(cases())
@PROPS
def test_layout_lists_every_unit_group_by_group(case):
    codes, _ = case
    g = Groups(codes)
    assert g.codes.tolist() == sorted(set(codes.tolist()))
    assert g.sizes.tolist() == [int((codes == c).sum()) for c in g.codes]
    assert g.order.tolist() == [u for c in g.codes for u in np.flatnonzero(codes == c)]
    assert np.array_equal(g.order[g.position], np.arange(len(codes)))
    assert group_sizes(codes).tolist() == [int((codes == c).sum()) for c in codes]
    rows = g.rows
    assert np.array_equal(rows.src[rows.slot], np.arange(len(codes)))


def test_rows_pad_similar_groups_and_not_very_unequal_ones():
    assert Groups(np.repeat([3, 1, 2], [4, 5, 3])).rows.shape == (3, 5)
    assert Groups(np.array([0] * 10 + list(range(1, 11)))).rows.shape == (1, 20)
    assert Groups(np.zeros(6, dtype=int)).rows.shape == (1, 6)


# ------------------------------------------------------------------------------------------ reductions
@given(cases())
@PROPS
def test_reductions_equal_numpy_on_each_group(case):
    codes, x = case
    g = Groups(codes)
    _close(g.sum(x), _per_group(codes, lambda v: np.sum(v, axis=-1, keepdims=True), x))
    _close(g.nansum(x), _per_group(codes, lambda v: np.nansum(v, axis=-1, keepdims=True), x))
    _close(g.nanmean(x), _per_group(codes, lambda v: np.nanmean(v, axis=-1, keepdims=True), x))
    for ddof in (0, 1):
        _close(g.nanstd(x, ddof=ddof), _per_group(codes, lambda v, d=ddof: np.nanstd(v, axis=-1, ddof=d,
                                                                                     keepdims=True), x))
    # min, max and counts are exact
    np.testing.assert_array_equal(g.nanmin(x), _per_group(codes, lambda v: np.nanmin(v, axis=-1, keepdims=True), x))
    np.testing.assert_array_equal(g.nanmax(x), _per_group(codes, lambda v: np.nanmax(v, axis=-1, keepdims=True), x))
    np.testing.assert_array_equal(g.count(~np.isnan(x)),
                                  _per_group(codes, lambda v: np.sum(~np.isnan(v), axis=-1, keepdims=True), x))
    # broadcast back: every unit gets its group's value
    per = g.nanmax(x)
    back = g.broadcast(per)
    for k, c in enumerate(g.codes):
        np.testing.assert_array_equal(back[..., codes == c], np.broadcast_to(per[..., k : k + 1],
                                                                             back[..., codes == c].shape))
    ref = np.stack([np.sum(x[..., codes == c], axis=-1) for c in codes], axis=-1)
    _close(group_sum(x, codes), ref)


@given(cases(), st.integers(1, 3))
@PROPS
def test_reductions_along_the_units_axis_of_a_three_dimensional_array(case, k):
    codes, x = case
    x = np.repeat(x.reshape(-1, x.shape[-1])[..., None], k, axis=-1) * np.arange(1, k + 1)  # (b, units, k)
    g = Groups(codes)
    for name, fn in (("nanmin", np.nanmin), ("nanmax", np.nanmax)):
        ref = _per_group(codes, lambda v, f=fn: f(v, axis=-2, keepdims=True), x, axis=-2)
        np.testing.assert_array_equal(getattr(g, name)(x, axis=-2), ref)
    _close(g.nanmean(x, axis=-2), _per_group(codes, lambda v: np.nanmean(v, axis=-2, keepdims=True), x, axis=-2))
    _close(g.nanstd(x, axis=-2, ddof=1),
           _per_group(codes, lambda v: np.nanstd(v, axis=-2, ddof=1, keepdims=True), x, axis=-2))
    assert g.broadcast(g.nanmax(x, axis=-2), axis=-2).shape == x.shape


def test_all_missing_group_gives_nan_and_a_count_of_zero():
    g = Groups(np.array([1, 2, 1, 2]))
    x = np.array([np.nan, 1.0, np.nan, 3.0])
    assert np.isnan(g.nanmean(x)[0]) and np.isnan(g.nanmin(x)[0]) and np.isnan(g.nanmax(x)[0])
    assert np.isnan(g.nanstd(x)[0]) and np.isnan(g.sum(x)[0])
    assert g.count(~np.isnan(x)).tolist() == [0, 2]
    assert g.nansum(x).tolist() == [0.0, 4.0]
    assert np.isnan(g.nanstd(np.array([1.0, 2.0, np.nan, 3.0]), ddof=1)[0])  # one value, ddof 1: NaN


def test_one_group_is_the_plain_reduction():
    x = np.random.default_rng(0).lognormal(0, 3, (3, 200))
    g = Groups(np.zeros(200, dtype=int))
    np.testing.assert_array_equal(g.sum(x), np.sum(x, axis=-1, keepdims=True))


def test_no_units():
    g = Groups(np.zeros(0, dtype=int))
    assert g.sum(np.zeros((2, 0))).shape == (2, 0)
    assert g.sort_order(np.zeros((2, 0))).shape == (2, 0)


# ------------------------------------------------------------------------------------ order and places
def _sort_reference(codes: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Per row: each group's units by ``np.lexsort`` of the keys (stable), groups in ascending code."""
    flat = [np.broadcast_to(k, keys[0].shape).reshape(-1, len(codes)) for k in keys]
    out = []
    for r in range(flat[0].shape[0]):
        row = []
        for c in np.unique(codes):
            sel = np.flatnonzero(codes == c)
            row.extend(sel[np.lexsort([k[r, sel] for k in reversed(flat)])])
        out.append(row)
    return np.array(out).reshape(keys[0].shape)


@given(cases(), st.integers(1, 3))
@PROPS
def test_sort_order_is_a_stable_sort_within_each_group(case, n_keys):
    codes, x = case
    rng = np.random.default_rng(int(np.nansum(x) % 1000))
    keys = [x] + [rng.integers(0, 2, x.shape).astype(float) for _ in range(n_keys - 1)]
    g = Groups(codes)
    order = g.sort_order(keys)
    np.testing.assert_array_equal(order, _sort_reference(codes, keys))
    # the place of each unit within its group, from 0
    place = g.place(order)
    flat_order, flat_place = order.reshape(-1, len(codes)), place.reshape(-1, len(codes))
    for r in range(flat_order.shape[0]):
        for j, u in enumerate(flat_order[r]):
            assert flat_place[r, u] == j - g.slot_start[j]


@given(cases())
@PROPS
def test_unstable_sort_order_keeps_groups_apart_and_sorts_them(case):
    codes, x = case
    g = Groups(codes)
    order = g.sort_order(x, stable=False)
    ref = _sort_reference(codes, [x])
    # the same groups in the same slots, each sorted by value (equal values in any order)
    np.testing.assert_array_equal(codes[order], codes[ref])
    np.testing.assert_array_equal(np.take_along_axis(x, order, -1), np.take_along_axis(x, ref, -1))
    assert (np.sort(order, axis=-1) == np.arange(len(codes))).all()


# ----------------------------------------------------------------------------------- cumulative sums
@given(cases())
@PROPS
def test_cumsum_within_groups(case):
    codes, x = case
    g = Groups(codes)
    ints = np.nan_to_num(x, nan=2.0).astype(np.int64)
    ref = np.empty_like(ints)
    for c in np.unique(codes):
        sel = codes == c
        ref[..., sel] = np.cumsum(ints[..., sel], axis=-1)
    np.testing.assert_array_equal(g.cumsum(ints), ref)
    np.testing.assert_array_equal(g.cumsum(ints, exclusive=True), ref - ints)
    np.testing.assert_array_equal(g.cumsum(ints > 1), g.cumsum((ints > 1).astype(int)))
    small = np.nan_to_num(x, nan=0.5) / 7
    fref = np.empty_like(small)
    for c in np.unique(codes):
        sel = codes == c
        fref[..., sel] = np.cumsum(small[..., sel], axis=-1)
    np.testing.assert_allclose(g.cumsum(small), fref, rtol=1e-9, atol=1e-6)


@given(cases(values=(1.0, 2.0, 3.0)), st.data())
@PROPS
def test_counts_by_place(case, data):
    codes, x = case
    x = x.reshape(-1, len(codes))
    g = Groups(codes)
    sizes = g.sizes_of
    place = np.minimum(np.nan_to_num(x, nan=1.0).astype(int), sizes)  # places within 1 … size, with ties
    mark = np.array(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size))).reshape(x.shape)
    table = g.counts_by_place(mark, place)
    ask = np.minimum(np.arange(x.size).reshape(x.shape) % 4, sizes)  # places 0 … size
    got = g.at_place(table, ask)
    for r in range(x.shape[0]):
        for u in range(len(codes)):
            same = codes == codes[u]
            assert got[r, u] == np.sum(mark[r] & same & (place[r] <= ask[r, u]))


# ------------------------------------------------------------------------------------ largest remainder
@given(cases(values=(0.0, 0.25, 0.5, 0.5, 1.5, 2.0, 1 / 3)), st.integers(0, 6))
@PROPS
def test_round_to_totals_equals_round_to_total_on_each_group(case, extra):
    codes, x = case
    amounts = np.nan_to_num(x, nan=0.0).reshape(-1, len(codes))
    rng = np.random.default_rng(extra)
    prio = [rng.integers(0, 3, amounts.shape).astype(float), -np.arange(len(codes), dtype=float)]
    g = Groups(codes)
    totals = np.floor(g.sum(amounts) + 1e-9).astype(int) + extra % 2
    got = g.round_to_totals(amounts, totals, priority=prio)
    for k, c in enumerate(g.codes):
        sel = codes == c
        ref = round_to_total(amounts[:, sel], totals[:, k], priority=[p[..., sel] if p.ndim > 1 else p[sel]
                                                                      for p in prio])
        np.testing.assert_array_equal(got[:, sel], ref)
    np.testing.assert_array_equal(g.sum(got), totals)


def test_codes_must_be_one_dimensional():
    with pytest.raises(ValueError, match="1-D"):
        Groups(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="group codes"):
        Groups(np.zeros(3, dtype=int)).sum(np.zeros(4))
