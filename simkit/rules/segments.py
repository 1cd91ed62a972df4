"""Segment operations (分组运算): reductions, orders and roundings within groups, for all groups at once.

The rules are pure functions over arrays whose units axis carries a group code per unit (``group_codes``, one
integer per unit, in any order and with any values).  ``Groups`` holds the layout of those codes once: the
units listed group by group (groups in ascending code, the units of a group in their input order), each
group's size and where it starts.  Every operation then runs over every group in whole-array passes, whatever
the number of groups, over any leading (batch) axes:

- ``sizes_of`` — the size of each unit's group;
- ``sum`` / ``count`` / ``nansum`` / ``nanmean`` / ``nanstd`` / ``nanmin`` / ``nanmax`` — per group, shape
  ``(..., groups)``, and ``broadcast`` back to the units; the ``nan*`` reductions ignore missing values as
  numpy's ``nan*`` functions do (a group without a value gives NaN);
- ``group_sum`` / ``group_sizes`` — the same, in one call;
- ``sort_order`` — the units group by group, sorted by keys within each group (as a stable sort of the
  values followed by a stable sort by group);
- ``cumsum`` — inclusive or exclusive cumulative sums within groups, in the units' order;
- ``counts_by_place`` / ``at_place`` — how many units of a group with a mark are at or above a place;
- ``round_to_totals`` — whole numbers adding up to a total per group, by largest remainder.

>>> import numpy as np
>>> g = Groups(np.array([7, 3, 7, 7, 3]))
>>> g.n_groups, g.sizes.tolist(), g.sizes_of.tolist()
(2, [2, 3], [3, 2, 3, 3, 2])
>>> x = np.array([[1.0, 2.0, 3.0, np.nan, 4.0]])
>>> g.sum(x).tolist(), g.nansum(x).tolist()
([[6.0, nan]], [[6.0, 4.0]])
>>> g.broadcast(g.nanmax(x)).tolist()
[[3.0, 4.0, 3.0, 3.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray


def _small_codes(index: Array, n_groups: int) -> Array:
    """Group indices in the smallest unsigned type, so that a stable sort by group is a radix sort."""
    for t in (np.uint8, np.uint16):
        if n_groups <= np.iinfo(t).max + 1:
            return index.astype(t)
    return index.astype(np.intp)


def _small_key(k: Array) -> Array:
    """A float key whose finite values are whole numbers less than 65,533 apart (ranks, places) as uint16 codes
    in the same order, with the same ties (−inf first, +inf then NaN last, as numpy sorts them), so that a
    stable sort by it is a radix sort; else the key itself."""
    if k.dtype.kind != "f" or k.size < 1024 or k.ndim == 0:
        return k
    row = k.reshape(-1, k.shape[-1])[0]
    if not np.array_equal(row, np.floor(row), equal_nan=True):  # the common case of a fractional key: one row
        return k
    finite = np.isfinite(k)
    if not finite.any():
        return k
    lo, hi = k.min(where=finite, initial=np.inf), k.max(where=finite, initial=-np.inf)
    if hi - lo > 65532 or max(-lo, hi) >= 2.0**52 or not np.array_equal(k[finite], np.floor(k[finite])):
        return k
    codes = np.empty(k.shape, dtype=np.uint16)
    np.subtract(k, lo - 1.0, out=codes, where=finite, casting="unsafe")  # 1 … 65533, exact
    codes[k == -np.inf] = 0
    codes[k == np.inf] = 65534
    codes[np.isnan(k)] = 65535
    return codes


def _argsort(keys: Sequence[Array], stable: bool) -> Array:
    """argsort along the last axis by several keys (the first most significant), ties in input order.  The keys
    broadcast together; a key without the leading axes (the same in every row) is sorted once.  Keys of whole
    numbers are sorted by their ``_small_key`` codes (a radix sort; the same order)."""
    shape = np.broadcast_shapes(*(k.shape for k in keys))
    stable_first = stable or len(keys) > 1
    last = _small_key(keys[-1]) if stable_first else keys[-1]
    order = np.argsort(last, axis=-1, kind="stable" if stable_first else None)
    if order.shape != shape:
        order = np.broadcast_to(order, shape).copy()
    for k in reversed(keys[:-1]):  # least significant key first, each later pass stable
        kk = np.take_along_axis(np.broadcast_to(_small_key(k), shape), order, axis=-1)
        order = np.take_along_axis(order, np.argsort(kk, axis=-1, kind="stable"), axis=-1)
    return order


class Rows:
    """The units in rows for sorting within groups: one row per group, as wide as the largest group, the
    units first and then padding (``src`` is ``n`` there), when that pads the units by at most 3×; otherwise
    one row of all units group by group (``start`` then says where each slot's group starts).

    ``slot`` (units,) is where each unit sits in the flattened rows; ``pair`` (rows, width − 1) is True where
    two neighbouring slots of a row hold units of the same group.
    """

    def __init__(self, g: Groups) -> None:
        n = g.n
        width = int(g.sizes.max()) if n else 0
        self.padded = g.n_groups > 1 and g.n_groups * width <= 3 * n
        if self.padded:
            self.shape = (g.n_groups, width)
            layout_slot = g.slot_group * width + np.arange(n) - g.slot_start
            self.start = np.zeros(self.shape, dtype=np.intp)
            col = np.arange(width)
            self.pair = col[None, 1:] < g.sizes[:, None]
        else:  # one row: the layout itself
            self.shape = (1, n)
            layout_slot = np.arange(n)
            self.start = g.slot_start[None]
            self.pair = (g.slot_group[1:] == g.slot_group[:-1])[None]
        self.size = self.shape[0] * self.shape[1]
        self.slot = np.empty(n, dtype=np.intp)
        self.slot[g.order] = layout_slot
        self.src = np.full(self.size, n, dtype=np.intp)
        self.src[self.slot] = np.arange(n)
        self.groups = g

    def to_rows(self, x: Array, fill: float) -> Array:
        """(..., units) → (..., rows, width), ``fill`` in the padding (a new array)."""
        lead = x.shape[:-1]
        if not self.padded or self.size == self.groups.n:
            out = np.take(x, self.src if self.padded else self.groups.order, axis=-1)  # (C-ordered)
        else:
            out = np.full((*lead, self.size), fill, dtype=np.result_type(x.dtype, type(fill)))
            out[..., self.slot] = x
        return out.reshape(*lead, *self.shape)

    def from_rows(self, rows: Array) -> Array:
        """(..., rows, width) → (..., units)."""
        return np.take(rows.reshape(*rows.shape[:-2], self.size), self.slot, axis=-1)

    def sort(self, keys: Sequence[Array], stable: bool) -> Array:
        """The column order (..., rows, width) that sorts every row's groups by the keys (in rows, padding
        +inf: it sorts after every key but NaN, and after +inf in a stable sort)."""
        col = _argsort(keys, stable)
        if not self.padded and self.groups.n_groups > 1:  # then by group, keeping the value order within one
            by_group = np.argsort(self.groups.small[self.groups.order][col], axis=-1, kind="stable")
            col = np.take_along_axis(col, by_group, axis=-1)
        return col


class Groups:
    """The layout of one vector of group codes (one integer per unit, any order, any values).

    ``index`` (units,) is each unit's group index 0 … G − 1 (groups in ascending code); ``sizes`` (G,) the
    group sizes; ``order`` (units,) the units group by group, in input order within a group (the layout);
    ``starts`` (G,) where each group starts in it, and ``slot_start`` (units,) the start of each slot's group.

    >>> g = Groups(np.array([5, 1, 5]))
    >>> g.codes.tolist(), g.index.tolist(), g.order.tolist(), g.starts.tolist()
    ([1, 5], [1, 0, 1], [1, 0, 2], [0, 1])
    """

    def __init__(self, group_codes: Array) -> None:
        codes = np.asarray(group_codes)
        if codes.ndim != 1:
            raise ValueError(f"group codes must be one integer per unit (1-D), not shape {codes.shape}")
        self.codes, index = np.unique(codes, return_inverse=True)
        self.index = index.reshape(-1).astype(np.intp)
        self.n = n = len(codes)
        self.n_groups = n_groups = len(self.codes)
        self.sizes = np.bincount(self.index, minlength=n_groups)
        self.starts = np.zeros(n_groups, dtype=np.intp)
        np.cumsum(self.sizes[:-1], out=self.starts[1:])
        self.small = _small_codes(self.index, n_groups)
        self.order = np.argsort(self.small, kind="stable")
        #: each unit's slot in the layout
        self.position = np.empty(n, dtype=np.intp)
        self.position[self.order] = np.arange(n)
        self.slot_group = np.repeat(np.arange(n_groups), self.sizes)
        self.slot_start = self.starts[self.slot_group]
        #: each unit's group's start in the layout
        self.unit_start = self.starts[self.index]
        self._rows: Rows | None = None

    @property
    def rows(self) -> Rows:
        """The units in rows for sorting within groups (built on first use)."""
        if self._rows is None:
            self._rows = Rows(self)
        return self._rows

    # ------------------------------------------------------------------ sizes and broadcasting
    @property
    def sizes_of(self) -> Array:
        """The size of each unit's group, (units,)."""
        return self.sizes[self.index]

    def broadcast(self, per_group: Array, axis: int = -1) -> Array:
        """Per-group values (..., G) back to the units (..., units) along ``axis``."""
        return np.take(per_group, self.index, axis=axis)

    # ------------------------------------------------------------------ reductions (..., units) → (..., G)
    def _reduce(self, ufunc: np.ufunc, x: Array, axis: int) -> Array:
        x = np.asarray(x)
        if x.shape[axis] != self.n:
            raise ValueError(f"{x.shape[axis]} values along axis {axis} for {self.n} group codes")
        if self.n == 0:
            shape = list(x.shape)
            shape[axis] = 0
            return np.empty(shape, dtype=x.dtype)
        if self.n_groups == 1:  # one group: the plain reduction (of a C-ordered copy, as a per-group selection)
            return ufunc.reduce(np.ascontiguousarray(x), axis=axis, keepdims=True)
        # along the last axis of a view (a units axis in the middle is often the fastest-varying one in memory)
        laid = np.take(np.moveaxis(x, axis, -1), self.order, axis=-1)
        return np.moveaxis(ufunc.reduceat(laid, self.starts, axis=-1), -1, axis)

    def sum(self, x: Array, axis: int = -1) -> Array:
        """Sum per group (a missing value makes its group's sum NaN).

        >>> Groups(np.array([0, 1, 0])).sum(np.array([1.0, 2.0, 3.0])).tolist()
        [4.0, 2.0]
        """
        return self._reduce(np.add, x, axis)

    def count(self, mask: Array, axis: int = -1) -> Array:
        """True entries per group (int).

        >>> Groups(np.array([0, 1, 0])).count(np.array([[True, True, False]])).tolist()
        [[1, 1]]
        """
        return self._reduce(np.add, np.asarray(mask, dtype=np.intp), axis)

    def nansum(self, x: Array, axis: int = -1) -> Array:
        """Sum per group ignoring missing values (a group with none gives 0, as ``np.nansum``)."""
        x = np.asarray(x, dtype=float)
        return self.sum(np.where(np.isnan(x), 0.0, x), axis)

    def nanmean(self, x: Array, axis: int = -1) -> Array:
        """Mean per group ignoring missing values, as ``np.nanmean`` (a group with none gives NaN).

        >>> Groups(np.array([0, 1, 0, 1])).nanmean(np.array([1.0, np.nan, 2.0, np.nan])).tolist()
        [1.5, nan]
        """
        x = np.asarray(x, dtype=float)
        missing = np.isnan(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum(np.where(missing, 0.0, x), axis) / self.count(~missing, axis)

    def nanstd(self, x: Array, axis: int = -1, ddof: int = 0) -> Array:
        """Standard deviation per group ignoring missing values, as ``np.nanstd`` (NaN where the count is at
        most ``ddof``).

        >>> Groups(np.array([0, 1, 0, 1])).nanstd(np.array([1.0, 5.0, 3.0, np.nan]), ddof=1).round(6).tolist()
        [1.414214, nan]
        """
        x = np.asarray(x, dtype=float)
        missing = np.isnan(x)
        n = self.count(~missing, axis)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.sum(np.where(missing, 0.0, x), axis) / n
            dev = np.where(missing, 0.0, x - self.broadcast(mean, axis))
            var = self.sum(dev * dev, axis) / (n - ddof)
        return np.sqrt(np.where(n - ddof > 0, var, np.nan))

    def nanmin(self, x: Array, axis: int = -1) -> Array:
        """Least value per group ignoring missing values, as ``np.nanmin`` (a group with none gives NaN)."""
        return self._reduce(np.fmin, np.asarray(x, dtype=float), axis)

    def nanmax(self, x: Array, axis: int = -1) -> Array:
        """Greatest value per group ignoring missing values, as ``np.nanmax`` (a group with none gives NaN).

        >>> Groups(np.array([0, 1, 0, 1])).nanmax(np.array([1.0, np.nan, 2.0, np.nan])).tolist()
        [2.0, nan]
        """
        return self._reduce(np.fmax, np.asarray(x, dtype=float), axis)

    # ------------------------------------------------------------------ orders
    def sort_order(self, keys: Sequence[Array] | Array, *, stable: bool = True) -> Array:
        """Indices along the last axis that list the units group by group (groups in ascending code), each
        group's units by ascending ``keys`` (the first key most significant), ties in input order.

        ``keys`` share the shape (..., units); NaN sorts last.  ``stable=False`` lets the value sort reorder
        units whose keys are all equal (faster for one key; the groups stay apart).  In this layout slot j holds
        the unit of place ``j − slot_start[j]`` (from 0) of its group.

        >>> g = Groups(np.array([1, 0, 1, 0, 1]))
        >>> g.sort_order(np.array([3.0, 2.0, 1.0, 2.0, 3.0])).tolist()
        [1, 3, 2, 0, 4]
        >>> g.sort_order([np.array([0.0, 0.0, 0.0, 1.0, 0.0]), np.array([2.0, 1.0, 1.0, 0.0, 3.0])]).tolist()
        [1, 3, 2, 0, 4]
        """
        keys = [np.asarray(keys)] if isinstance(keys, np.ndarray) else [np.asarray(k) for k in keys]
        shape = np.broadcast_shapes(*(k.shape for k in keys))
        if shape[-1] != self.n:
            raise ValueError(f"{shape[-1]} values along the last axis for {self.n} group codes")
        rows = self.rows
        col = rows.sort([rows.to_rows(k.astype(float), np.inf) for k in keys], stable)
        lead = shape[:-1]
        col = col + (np.arange(rows.shape[0]) * rows.shape[1])[:, None]
        units = rows.src[col].reshape(*lead, rows.size)
        if rows.size == self.n:
            return units
        return units[units < self.n].reshape(*lead, self.n)  # the padding dropped, whereever it sorted

    def place(self, order: Array) -> Array:
        """Each unit's place within its group (from 0) in a ``sort_order`` layout, scattered back to the units.

        >>> g = Groups(np.array([1, 0, 1, 0, 1]))
        >>> g.place(g.sort_order(np.array([3.0, 2.0, 1.0, 2.0, 3.0]))).tolist()
        [1, 0, 0, 1, 2]
        """
        out = np.empty(order.shape, dtype=np.intp)
        np.put_along_axis(out, order, np.broadcast_to(np.arange(self.n) - self.slot_start, order.shape), axis=-1)
        return out

    # ------------------------------------------------------------------ cumulative sums
    def cumsum(self, x: Array, *, exclusive: bool = False) -> Array:
        """Cumulative sums along the last axis within each group, in the units' order: each unit gets the sum
        over the units of its group up to it (``exclusive``: before it).  Exact for integers; for floats the
        difference of two running sums, so within rounding of a direct sum.

        >>> g = Groups(np.array([0, 1, 0, 1, 0]))
        >>> g.cumsum(np.array([1, 10, 2, 20, 3])).tolist()
        [1, 10, 3, 30, 6]
        >>> g.cumsum(np.array([1, 10, 2, 20, 3]), exclusive=True).tolist()
        [0, 0, 1, 10, 3]
        """
        x = np.asarray(x)
        if x.shape[-1] != self.n:
            raise ValueError(f"{x.shape[-1]} values along the last axis for {self.n} group codes")
        if x.dtype == bool:
            x = x.astype(np.intp)
        within = self._cumsum_layout(np.take(x, self.order, axis=-1), exclusive)
        out = np.empty_like(within)
        out[..., self.order] = within
        return out

    def _cumsum_layout(self, xs: Array, exclusive: bool = False) -> Array:
        """``cumsum`` of values already in the layout, left in the layout."""
        run = np.cumsum(xs, axis=-1)
        before = np.take(run - xs, self.slot_start, axis=-1)  # the running sum before each group
        run -= before
        if exclusive:
            run -= xs
        return run

    def counts_by_place(self, mask: Array, place: Array) -> Array:
        """A table (b, units) of how many marked units of each group are at or above each place: entry
        ``start + p − 1`` of a group counts its units with ``mask`` and ``place`` ≤ p (places 1 … size; the
        marked units' places must be in that range).  Read it with ``at_place``.

        >>> g = Groups(np.array([0, 0, 0, 1, 1]))
        >>> t = g.counts_by_place(np.array([[True, False, True, True, True]]), np.array([[2, 1, 2, 1, 1]]))
        >>> t.tolist(), g.at_place(t, np.array([[1, 2, 3, 0, 2]])).tolist()
        ([[0, 2, 2, 2, 2]], [[0, 2, 2, 0, 2]])
        """
        b, n = mask.shape
        flat = (np.arange(b) * n)[:, None] + self.unit_start + place - 1
        hist = np.bincount(flat[mask], minlength=b * n).reshape(b, n)
        return self._cumsum_layout(hist)

    def at_place(self, table: Array, place: Array) -> Array:
        """Read a ``counts_by_place`` table at each unit's place (0 reads 0)."""
        b, n = table.shape
        flat = (np.arange(b) * n)[:, None] + self.unit_start + place - 1
        return np.where(place > 0, table.reshape(-1)[np.maximum(flat, 0)], 0)

    # ------------------------------------------------------------------ largest remainder
    def round_to_totals(self, amounts: Array, totals: Array, priority: Sequence[Array] = (),
                        decimals: int = 9) -> Array:
        """Whole numbers per unit adding up to ``totals`` (..., G) within each group: floor, then +1 for the
        largest remainders of the group.

        Equal remainders (after rounding to ``decimals``) go first to higher ``priority`` (keys in order, each
        broadcast to the amounts), then to the earlier unit; a missing remainder or key comes last.  Per group
        this is ``simkit.rules.consequences.round_to_total``.

        >>> g = Groups(np.array([0, 1, 0, 1]))
        >>> g.round_to_totals(np.array([[0.5, 1.5, 0.5, 0.5]]), np.array([[1, 2]])).tolist()
        [[1, 2, 0, 0]]
        >>> g.round_to_totals(np.array([[0.5, 1.5, 0.5, 0.5]]), np.array([[1, 2]]),
        ...                   priority=[np.array([0.0, 0.0, 1.0, 0.0])]).tolist()
        [[0, 2, 1, 0]]
        """
        amounts = np.asarray(amounts, dtype=float)
        floors = np.floor(amounts + 1e-9)
        left = (np.asarray(totals) - self.sum(floors)).astype(int)
        rest = amounts - floors
        keys = [rest, *[np.asarray(k, dtype=float) for k in priority]]  # a key the same in every row stays 1-D
        keys = [np.round(k, decimals) for k in keys]
        keys = [-np.where(np.isnan(k), -np.inf, k) for k in keys]  # higher first; NaN last
        place = self.place(self.sort_order(keys))
        extra = (place < self.broadcast(left)) & ~np.isnan(rest)
        return (floors + extra).astype(np.int64)


def group_sum(x: Array, group_codes: Array, axis: int = -1) -> Array:
    """The sum over each unit's group, broadcast back to the units along ``axis`` (NaN propagates).

    >>> group_sum(np.array([[1.0, 2.0, 3.0]]), np.array([4, 2, 4])).tolist()
    [[4.0, 2.0, 4.0]]
    """
    g = Groups(group_codes)
    return g.broadcast(g.sum(x, axis), axis)


def group_sizes(group_codes: Array) -> Array:
    """The size of each unit's group.

    >>> group_sizes(np.array([4, 2, 4])).tolist()
    [2, 1, 2]
    """
    return Groups(group_codes).sizes_of
