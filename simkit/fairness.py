"""Fairness of a ranking (公平性): does the rank still mirror size, who holds the top grades, how unequal are
the payouts, how much do ranks move from year to year, who stays at the bottom, and does a shock common to all
units change the ranking?

Every function takes one ``Result`` or several years of them (a list, or the dict ``evaluate_history``
returns).  With 8 counties a point figure says little, so the group statistics come with a seeded percentile
bootstrap interval (``level`` = 0.9 gives the 5–95% interval).

Definitions (each checked by hand in ``tests/test_fairness.py``):

- **Size correlation**: Spearman ρ and Kendall τ-b, within a group, between the rank position (1 = first) and
  the size rank (1 = largest).  +1: the largest unit ranks first and the smallest last; 0: unrelated.  Over
  several years: the mean of the yearly values.
- **Top-grade share**: of the unit-years graded with the best grade, the share held by the largest third of
  the group (the ``ceil(n/3)`` largest units by size that year).  If grades had nothing to do with size it
  would be about ``ceil(n/3)/n`` (the ``expected`` column).
- **Gini** (population formula): ``G = Σ_i Σ_j |x_i − x_j| / (2 n² μ)``, computed as
  ``Σ_i (2i − n − 1) x_(i) / (n Σ x)`` over the sorted values; [1, 1, 1, 1] → 0, [0, 0, 0, 1] → 0.75.
- **Top/bottom ratio**: mean of the top ``k`` values over the mean of the bottom ``k``, ``k = ceil(tail·n)``
  (at least 1); ``tail=None`` gives max/min.  [1, 2, 3, 4, 5, 6, 7, 8] with tail 0.2 → k = 2 → 7.5/1.5 = 5.
- **Payouts** are compared ``per="base"`` by default: the payout divided by the unit's bonus base (1 + its
  float after pool scaling), so that headcount does not count as inequality; ``per="unit"`` uses yuan.
- **Mobility**: Kendall τ-b between a group's ranks in consecutive years (1 = nobody moves), and the share of
  units whose grade changes.
- **Bottom tier** (``bottom``): ``None`` = the grades the scenario's accountability ladder counts as bottom
  (else its worst grade); a grade name or list of names; an int ``k`` = the last ``k`` places of the group;
  a float ``s`` in (0, 1) = the last ``ceil(s·n)`` places.
- **Persistence**: a unit is persistently at the bottom when it is in the bottom tier in at least ``m`` of the
  ``n`` years (default ``m = ceil(n/2)``).  Intervals resample the years (a bootstrap over years).
- **Common-shock invariance**: every unit's values in the evaluation year (or in every year) are multiplied
  by the same factor; the ranking is re-computed and compared with the original.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .errors import Problem, SimkitError
from .scenario import source_of

ALL = "全部 all"

#: Metric labels of ``fairness_table``: id → (Chinese, English).
METRICS: dict[str, tuple[str, str]] = {
    "size_spearman": ("名次与规模相关 Spearman ρ", "rank vs size, Spearman rho"),
    "size_kendall": ("名次与规模相关 Kendall τ", "rank vs size, Kendall tau"),
    "top_grade_share_largest": ("最大三分之一单位所得最高等次占比", "share of top grades held by the largest third"),
    "payout_gini": ("奖金基尼系数", "payout Gini"),
    "payout_top_bottom": ("奖金高低倍数", "payout top/bottom ratio"),
    "mobility_kendall": ("相邻年份名次相关 Kendall τ", "year-to-year rank Kendall tau"),
    "grade_change_share": ("等次变动单位占比", "share of units changing grade"),
    "bottom_share_smallest": ("最小三分之一单位居末位年份占比", "smallest third: share of years in the bottom tier"),
    "bottom_stuck_smallest": ("最小三分之一单位中≥m年居末位的占比", "smallest third: share at the bottom ≥ m years"),
    "shock_same_ranking": ("共同冲击后排名不变", "ranking unchanged by a common shock (1 = yes)"),
}


# =================================================================================== vectorised statistics
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
    return _pearson(rankdata(x, axis=-1), rankdata(y, axis=-1))


def kendall(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall τ-b along the last axis (as scipy's ``kendalltau``); NaN where either side is constant.

    >>> round(float(kendall(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4]))), 4)
    0.6667
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    sx = np.sign(x[..., :, None] - x[..., None, :])
    sy = np.sign(y[..., :, None] - y[..., None, :])
    s = (sx * sy).sum(axis=(-2, -1)) / 2.0
    ux = (sx != 0).sum(axis=(-2, -1)) / 2.0
    uy = (sy != 0).sum(axis=(-2, -1)) / 2.0
    den = np.sqrt(ux * uy)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, s / np.where(den > 0, den, 1.0), np.nan)


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
    lo, hi = _percentiles(boot, level)
    return est, lo, hi


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        return float("nan"), float("nan")
    lo, hi = np.percentile(v, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


# ====================================================================================== results as panels
@dataclass(frozen=True)
class Panel:
    """Several years of results of one scenario as arrays (years, units), units in the data's order."""

    years: tuple[int, ...]
    units: pd.DataFrame  # unit, name, group
    group_codes: np.ndarray  # (U,)
    group_names: tuple[str, ...]
    rank: np.ndarray  # (Y, U) float, NaN = unranked
    grade: np.ndarray  # (Y, U) int, 0 = best, -1 = none
    grade_names: tuple[str, ...]
    bottom_grades: tuple[str, ...]  # the scenario's own bottom tier
    payout: np.ndarray | None  # (Y, U) yuan
    base: np.ndarray | None  # (U,) bonus base
    size: np.ndarray | None  # (Y, U)
    size_name: str | None
    scenario_name: str

    def group_columns(self, group: str) -> np.ndarray:
        return np.flatnonzero(self.group_codes == self.group_names.index(group))

    def relative_payout(self, per: str) -> np.ndarray | None:
        if self.payout is None:
            return None
        if per == "unit":
            return self.payout
        if per == "base":
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(self.base > 0, self.payout / np.where(self.base > 0, self.base, 1.0), np.nan)
        raise SimkitError(Problem("fairness", f"unknown payout basis {per!r}", "use per='base' or per='unit'",
                                  field="per"))


def as_results(results: Any) -> list[Any]:
    """One result, a list of results or a ``{year: result}`` dict → results sorted by year."""
    if isinstance(results, Mapping):
        items = list(results.values())
    elif isinstance(results, Iterable):
        items = list(results)
    else:
        items = [results]
    if not items:
        raise SimkitError(Problem("fairness", "no results were given", "pass a Result or evaluate_history(...)"))
    return sorted(items, key=lambda r: r.year)


def default_bottom_grades(scenario: Any) -> tuple[str, ...]:
    """The grades a scenario itself treats as the bottom: its accountability ladder's, else its worst grade."""
    acc = scenario.consequences.accountability
    if acc is not None and acc.bottom_grades:
        return tuple(acc.bottom_grades)
    return (scenario.grading.grades[-1].name,)


def panel(results: Any, size: str | None = None) -> Panel:
    """Stack one scenario's results (one or several years) into arrays; ``size`` adds a size per year."""
    items = as_results(results)
    first = items[0]
    m = first.model
    units = m.data.units[["unit", "name", "group"]].reset_index(drop=True)
    ids = list(m.data.unit_ids)
    rank = np.stack([r.ranks.rank[0] for r in items]).astype(float)
    grade = np.stack([r.ranks.grade[0] for r in items]).astype(int)
    payout = base = None
    if first.money.payout is not None:
        payout = np.stack([np.asarray(r.payout_yuan, dtype=float) for r in items])
        base = np.asarray(first.money.base, dtype=float)
    sizes = None
    if size is not None:
        sizes = np.stack([size_of(r, size).reindex(ids).to_numpy(dtype=float) for r in items])
    return Panel(tuple(r.year for r in items), units, m.group_codes, m.group_names, rank, grade,
                 first.grade_names, default_bottom_grades(first.scenario), payout, base, sizes, size,
                 first.scenario.name)


# ======================================================================================== the bottom tier
def bottom_mask(rank: np.ndarray, grade: np.ndarray, group_codes: np.ndarray, grade_names: Sequence[str],
                bottom: int | float | str | Sequence[str] | None = None,
                default: Sequence[str] | None = None) -> np.ndarray:
    """True where a unit is in the bottom tier; ``rank``/``grade`` have the units on the last axis.

    ``bottom``: None = the ``default`` grades (else the worst grade); a grade name or names; an int ``k`` = the
    last ``k`` places of the group (rank > n − k, n = the ranked units of the group); a float in (0, 1) =
    the last ``ceil(bottom·n)`` places.

    >>> r = np.array([[1.0, 2, 3, 4]]); g = np.array([[0, 1, 1, 2]])
    >>> bottom_mask(r, g, np.zeros(4, int), ["A", "B", "C"], 2).tolist()
    [[False, False, True, True]]
    >>> bottom_mask(r, g, np.zeros(4, int), ["A", "B", "C"]).tolist()
    [[False, False, False, True]]
    """
    rank = np.asarray(rank, dtype=float)
    if bottom is None or isinstance(bottom, str) or (isinstance(bottom, Sequence) and not isinstance(bottom, str)):
        names = [bottom] if isinstance(bottom, str) else list(bottom or default or [grade_names[-1]])
        unknown = [n for n in names if n not in grade_names]
        if unknown:
            raise SimkitError(Problem("fairness", f"bottom grade(s) {', '.join(unknown)} are not grades of this "
                                      f"scenario ({', '.join(grade_names)})", "name one of its grades",
                                      field="bottom"))
        codes = [list(grade_names).index(n) for n in names]
        return np.isin(np.asarray(grade), codes)
    if isinstance(bottom, bool) or not isinstance(bottom, int | float) or bottom <= 0:
        raise SimkitError(Problem("fairness", f"bottom={bottom!r} is not a tier", "give a grade name, a number "
                                  "of last places (e.g. 2) or a share of the group (e.g. 0.25)", field="bottom"))
    out = np.zeros(rank.shape, dtype=bool)
    for g in np.unique(group_codes):
        sel = np.flatnonzero(group_codes == g)
        r = rank[..., sel]
        n = np.sum(~np.isnan(r), axis=-1, keepdims=True)
        if isinstance(bottom, int):
            k = np.minimum(bottom, n)
        else:
            if bottom >= 1:
                raise SimkitError(Problem("fairness", f"bottom share {bottom} is not below 1",
                                          "give a share such as 0.25, or a whole number of places", field="bottom"))
            k = np.maximum(1, np.ceil(np.round(bottom * n, 9)))
        with np.errstate(invalid="ignore"):
            out[..., sel] = r > n - k
    return out


def _panel_bottom(p: Panel, bottom: Any) -> np.ndarray:
    return bottom_mask(p.rank, p.grade, p.group_codes, p.grade_names, bottom, p.bottom_grades)


# ========================================================================================= size and rank
def size_of(result, size: str) -> pd.Series:
    """A size measure per unit: a unit attribute, or a leaf indicator's value in the evaluation year."""
    data = result.data
    if size in data.units.columns and size in data.attributes:
        return data.units.set_index("unit")[size].astype(float)
    if size in data.leaves:
        return data.value(size, result.year).astype(float)
    raise SimkitError(Problem(data.source, f"{size!r} is neither a unit attribute nor a leaf indicator",
                              f"use one of the attributes ({', '.join(data.attributes)}) or an indicator id",
                              field="size"))


def size_correlation(result, size: str) -> pd.DataFrame:
    """Per group: Spearman rho and Kendall tau between rank position and size rank (1 = largest).

    A value near 1 means the ranking follows size: the largest unit ranks first, the smallest last.
    Groups with fewer than 3 units with a size are left out.
    """
    u = result.units.set_index("unit")
    s = size_of(result, size).reindex(u.index)
    rows = []
    for group, part in u.groupby("group", sort=False):
        sz = s.loc[part.index]
        ok = sz.notna() & part["rank"].notna()
        if ok.sum() < 3:
            continue
        rank = part.loc[ok, "rank"].to_numpy(dtype=float)
        size_rank = (-sz[ok]).rank(method="min").to_numpy()
        rows.append({"group": group, "units": int(ok.sum()), "size": size,
                     "spearman_rho": float(spearman(rank, size_rank)),
                     "kendall_tau": float(kendall(rank, size_rank))})
    return pd.DataFrame(rows, columns=["group", "units", "size", "spearman_rho", "kendall_tau"])


def size_rho(result, size: str, group: str) -> float:
    """Spearman rho between rank and size in one group (NaN if the group has fewer than 3 sized units)."""
    table = size_correlation(result, size)
    hit = table[table["group"] == group]
    return float(hit["spearman_rho"].iat[0]) if len(hit) else float(np.nan)


def sized_groups(p: Panel, min_units: int = 3) -> list[str]:
    """Groups with at least ``min_units`` units that have a size and a rank in every year."""
    out = []
    for gi, g in enumerate(p.group_names):
        cols = np.flatnonzero(p.group_codes == gi)
        ok = np.isfinite(p.rank[:, cols]).all(axis=0)
        if p.size is not None:
            ok &= np.isfinite(p.size[:, cols]).all(axis=0)
        if ok.sum() >= min_units:
            out.append(g)
    return out


def _complete(p: Panel, group: str, need_size: bool) -> np.ndarray:
    cols = p.group_columns(group)
    ok = np.isfinite(p.rank[:, cols]).all(axis=0)
    if need_size and p.size is not None:
        ok &= np.isfinite(p.size[:, cols]).all(axis=0)
    return cols[ok]


def _size_corr_stat(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    def stat(rank: np.ndarray, size: np.ndarray) -> np.ndarray:
        # rank and size: (..., Y, n) → mean over years of the correlation of rank with size rank (1 = largest)
        return np.nanmean(fn(rank, -size), axis=-1) if rank.shape[-2] > 1 else fn(rank, -size)[..., 0]
    return stat


def rank_size_correlation(results: Any, size: str, *, n_boot: int = 1000, seed: int = 0,
                          level: float = 0.9) -> pd.DataFrame:
    """Per group with sizes: Spearman ρ and Kendall τ-b of rank with size (mean over the years), with intervals.

    The bootstrap resamples the group's units (each with all its years).  Columns: group, units, years,
    spearman, spearman_lo, spearman_hi, kendall, kendall_lo, kendall_hi.
    """
    p = panel(results, size)
    rows = []
    for g in sized_groups(p):
        cols = _complete(p, g, True)
        r, s = p.rank[:, cols], p.size[:, cols]
        sp = bootstrap_ci(_size_corr_stat(spearman), r, s, n_boot=n_boot, seed=seed, level=level)
        kd = bootstrap_ci(_size_corr_stat(kendall), r, s, n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": g, "units": len(cols), "years": len(p.years), "size": size,
                     "spearman": sp[0], "spearman_lo": sp[1], "spearman_hi": sp[2],
                     "kendall": kd[0], "kendall_lo": kd[1], "kendall_hi": kd[2]})
    return pd.DataFrame(rows, columns=["group", "units", "years", "size", "spearman", "spearman_lo", "spearman_hi",
                                       "kendall", "kendall_lo", "kendall_hi"])


# ============================================================================================ top grades
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


def top_grade_share(results: Any, size: str, *, largest: float = 1 / 3, grades: Sequence[str] | None = None,
                    n_boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Share of the top grades (unit-years) held by the largest third of each group, with intervals.

    ``grades``: the grades that count as top (default: the best grade).  One row per sized group, and a pooled
    row (``全部 all``: holdings summed over those groups) when there are several.  ``expected`` is the share the
    largest units would hold if grades had nothing to do with size.
    """
    p = panel(results, size)
    names = list(p.grade_names)
    unknown = [g for g in (grades or []) if g not in names]
    if unknown:
        raise SimkitError(Problem("fairness", f"top grade(s) {', '.join(unknown)} are not grades of this scenario "
                                  f"({', '.join(names)})", "name one of its grades", field="grades"))
    top_codes = [names.index(g) for g in (grades or names[:1])]
    parts = []
    for g in sized_groups(p):
        cols = _complete(p, g, True)
        top = np.isin(p.grade[:, cols], top_codes).astype(float)
        big = largest_mask(p.size[:, cols], largest).astype(float)
        parts.append((g, top, big))

    def stat(top: np.ndarray, big: np.ndarray) -> np.ndarray:
        held = (top * big).sum(axis=(-2, -1))
        total = top.sum(axis=(-2, -1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, held / np.where(total > 0, total, 1.0), np.nan)

    rows = []
    for g, top, big in parts:
        est, lo, hi = bootstrap_ci(stat, top, big, n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": g, "units": top.shape[-1], "top_grades": int(top.sum()), "share": est, "share_lo": lo,
                     "share_hi": hi, "expected": float(big.mean())})
    if len(parts) > 1:
        top = np.concatenate([t for _, t, _ in parts], axis=-1)
        big = np.concatenate([b for _, _, b in parts], axis=-1)
        est, lo, hi = bootstrap_ci(stat, top, big, n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": ALL, "units": top.shape[-1], "top_grades": int(top.sum()), "share": est,
                     "share_lo": lo, "share_hi": hi, "expected": float(big.mean())})
    return pd.DataFrame(rows, columns=["group", "units", "top_grades", "share", "share_lo", "share_hi", "expected"])


# =============================================================================================== payouts
def payout_inequality(results: Any, *, per: str = "base", tail: float | None = 0.2, groups: Sequence[str] | None = None,
                      n_boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Payout Gini and top/bottom ratio per group and over all units (``全部 all``), mean over the years.

    ``per="base"``: payout ÷ bonus base (default; headcount is not inequality); ``per="unit"``: yuan.
    ``groups``: the groups to report (default all).  Empty if the scenario pays no bonus.
    """
    p = panel(results)
    x = p.relative_payout(per)
    cols_out = ["group", "units", "per", "gini", "gini_lo", "gini_hi", "top_bottom", "top_bottom_lo", "top_bottom_hi"]
    if x is None:
        return pd.DataFrame(columns=cols_out)
    rows = []
    targets = [(g, p.group_columns(g)) for g in (groups or p.group_names)]
    targets.append((ALL, np.arange(len(p.group_codes))))

    def by_year(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
        return lambda v: np.nanmean(fn(v), axis=-1)

    for g, cols in targets:
        v = x[:, cols]
        v = v[:, np.isfinite(v).all(axis=0)]
        if v.shape[-1] < 2:
            continue
        gi = bootstrap_ci(by_year(gini), v, n_boot=n_boot, seed=seed, level=level)
        tb = bootstrap_ci(by_year(lambda a: top_bottom_ratio(a, tail)), v, n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": g, "units": v.shape[-1], "per": per, "gini": gi[0], "gini_lo": gi[1], "gini_hi": gi[2],
                     "top_bottom": tb[0], "top_bottom_lo": tb[1], "top_bottom_hi": tb[2]})
    return pd.DataFrame(rows, columns=cols_out)


# ============================================================================================== mobility
def _mobility_stats(rank: np.ndarray, grade: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kendall τ between consecutive years and the share changing grade: (..., Y−1) each, from (..., Y, n)."""
    tau = kendall(rank[..., :-1, :], rank[..., 1:, :])
    changed = (grade[..., 1:, :] != grade[..., :-1, :]).mean(axis=-1)
    return tau, changed


def rank_mobility(results: Any, *, groups: Sequence[str] | None = None, n_boot: int = 1000, seed: int = 0,
                  level: float = 0.9) -> pd.DataFrame:
    """Year-to-year mobility per group: Kendall τ-b between consecutive years' ranks, share changing grade.

    One row per group and pair of years, and a row per group over all pairs (``year_from``/``year_to`` = the
    first and last year, ``pairs`` > 1) with bootstrap intervals over the group's units.
    """
    p = panel(results)
    cols_out = ["group", "year_from", "year_to", "pairs", "units", "kendall", "kendall_lo", "kendall_hi",
                "grade_change_share", "grade_change_lo", "grade_change_hi"]
    if len(p.years) < 2:
        return pd.DataFrame(columns=cols_out)
    rows = []
    for g in groups or p.group_names:
        cols = _complete(p, g, False)
        if len(cols) < 2:
            continue
        r, gr = p.rank[:, cols], p.grade[:, cols].astype(float)
        tau, changed = _mobility_stats(r, gr)
        for k in range(len(p.years) - 1):
            rows.append({"group": g, "year_from": p.years[k], "year_to": p.years[k + 1], "pairs": 1,
                         "units": len(cols), "kendall": float(tau[k]), "grade_change_share": float(changed[k])})
        kt = bootstrap_ci(lambda a: np.nanmean(kendall(a[..., :-1, :], a[..., 1:, :]), axis=-1), r,
                          n_boot=n_boot, seed=seed, level=level)
        ch = bootstrap_ci(lambda a: (a[..., 1:, :] != a[..., :-1, :]).mean(axis=(-2, -1)), gr,
                          n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": g, "year_from": p.years[0], "year_to": p.years[-1], "pairs": len(p.years) - 1,
                     "units": len(cols), "kendall": kt[0], "kendall_lo": kt[1], "kendall_hi": kt[2],
                     "grade_change_share": ch[0], "grade_change_lo": ch[1], "grade_change_hi": ch[2]})
    return pd.DataFrame(rows, columns=cols_out)


# =========================================================================================== persistence
def default_m(n_years: int) -> int:
    """At least half of the years: ``ceil(n/2)`` (4 years → 2, 10 → 5)."""
    return max(1, math.ceil(n_years / 2))


def _year_resamples(n_years: int, n_boot: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_years, size=(n_boot, n_years))


def bottom_persistence(results: Any, *, m: int | None = None, bottom: Any = None, n_boot: int = 1000,
                       seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Per unit: years in the bottom tier out of n, the share, and whether it is at least ``m``.

    ``share_lo``/``share_hi`` and ``p_at_least_m`` come from resampling the years (seeded): the last is the
    share of resamples in which the unit is at the bottom in at least ``m`` of the ``n`` years.
    """
    p = panel(results)
    low = _panel_bottom(p, bottom) & np.isfinite(p.rank)
    n = len(p.years)
    m = default_m(n) if m is None else int(m)
    years_in = low.sum(axis=0)
    if n_boot > 0:
        idx = _year_resamples(n, n_boot, seed)
        boot = low[idx].sum(axis=1)  # (n_boot, U) bottom years in each resample
        lo, hi = np.percentile(boot / n, [50 * (1 - level), 50 * (1 + level)], axis=0)
        p_m = (boot >= m).mean(axis=0)
    else:
        lo = hi = p_m = np.full(len(years_in), np.nan)
    return pd.DataFrame({
        "unit": p.units["unit"], "name": p.units["name"], "group": p.units["group"],
        "years": n, "m": m, "bottom_years": years_in, "share": years_in / n, "share_lo": lo, "share_hi": hi,
        "at_least_m": years_in >= m, "p_at_least_m": p_m,
    })


def group_persistence(results: Any, size: str | None = None, *, m: int | None = None, bottom: Any = None,
                      smallest: float = 1 / 3, n_boot: int = 1000, seed: int = 0,
                      level: float = 0.9) -> pd.DataFrame:
    """Per group: how many units are at the bottom in at least ``m`` of ``n`` years, and (with ``size``) how
    the group's smallest third fares: its mean share of years at the bottom and the share of it stuck there.

    The smallest third is the ``ceil(smallest·n)`` smallest units by size in the last year.  Intervals
    resample the years.
    """
    p = panel(results, size)
    low = (_panel_bottom(p, bottom) & np.isfinite(p.rank)).astype(float)
    n = len(p.years)
    m = default_m(n) if m is None else int(m)
    idx = _year_resamples(n, max(n_boot, 1), seed)
    groups = sized_groups(p) if size is not None else list(p.group_names)
    rows = []
    for g in groups:
        cols = _complete(p, g, size is not None)
        lg = low[:, cols]
        boot = lg[idx].sum(axis=1)  # (n_boot, n_g)
        stuck = lg.sum(axis=0) >= m
        row: dict[str, Any] = {"group": g, "units": len(cols), "years": n, "m": m,
                               "units_stuck": int(stuck.sum()), "share_stuck": float(stuck.mean())}
        lo, hi = _percentiles((boot >= m).mean(axis=1), level)
        row.update(share_stuck_lo=lo, share_stuck_hi=hi)
        if size is not None:
            small = smallest_mask(p.size[-1, cols], smallest)
            row["smallest_units"] = ", ".join(p.units["name"].to_numpy()[cols[small]])
            row["smallest_share"] = float(lg[:, small].mean())
            row["smallest_share_lo"], row["smallest_share_hi"] = _percentiles(boot[:, small].mean(axis=1) / n, level)
            row["smallest_stuck"] = float(stuck[small].mean())
            row["smallest_stuck_lo"], row["smallest_stuck_hi"] = _percentiles((boot[:, small] >= m).mean(axis=1),
                                                                              level)
        rows.append(row)
    return pd.DataFrame(rows)


# ======================================================================================= common shocks
def shock_invariance(scenarios: Any, data: Any = None, *, factors: Sequence[float] = (0.9,), year: int | None = None,
                     when: str = "year") -> pd.DataFrame:
    """Multiply every unit's values by the same factor and see whether the ranking changes.

    ``when="year"``: a shock in the evaluation year only (the history, and so the targets, stay); ``"all"``:
    every year's values are scaled (a change of units, say).  One row per scenario, group and factor:
    Kendall τ between the ranks before and after, whether the ranking is the same, how many units move and
    how many change grade.  Rankings that only compare units with each other on levels keep the ranking;
    scores against absolute or history-based targets, with caps and floors, need not.
    """
    from .data import load_data
    from .engine import compile_model, leaf_stage, rank_stage, total_stage

    data = load_data() if data is None else data
    if when not in ("year", "all"):
        raise SimkitError(Problem("fairness", f"when={when!r} is not known", "use 'year' or 'all'", field="when"))
    rows = []
    for sc in _scenarios(scenarios):
        model = compile_model(sc, data, year)
        k = np.asarray([1.0, *factors], dtype=float)[:, None, None, None]
        x = np.repeat(model.values[None], len(k), axis=0)
        if when == "year":
            x[..., model.t] = x[..., model.t] * k[..., 0]
        else:
            x = x * k
        leaf = leaf_stage(model, x)
        ranks = rank_stage(model, total_stage(model, leaf))
        for gi, g in enumerate(model.group_names):
            cols = np.flatnonzero(model.group_codes == gi)
            r0, g0 = ranks.rank[0, cols], ranks.grade[0, cols]
            for j, f in enumerate(factors, start=1):
                r1, g1 = ranks.rank[j, cols], ranks.grade[j, cols]
                same = bool(np.array_equal(r0, r1, equal_nan=True))
                rows.append({"scenario": sc.name, "group": g, "units": len(cols), "factor": float(f), "when": when,
                             "kendall": float(kendall(r0, r1)) if len(cols) > 1 else 1.0,
                             "same_ranking": same, "units_moving": int(np.sum(r0 != r1)),
                             "grade_changes": int(np.sum(g0 != g1))})
    return pd.DataFrame(rows)


# ============================================================================================= the table
def _scenarios(scenarios: Any) -> list[Any]:
    from .scenario import Scenario, load_scenario

    if isinstance(scenarios, Scenario | str | Path):
        scenarios = [scenarios]
    return [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]


def _labels(scenarios: list[Any]) -> list[str]:
    labels: list[str] = []
    for s in scenarios:
        label = s.name
        k = 2
        while label in labels:
            label = f"{s.name} ({k})"
            k += 1
        labels.append(label)
    return labels


def common_years(scenarios: Any, data: Any = None) -> tuple[int, ...]:
    """The years every scenario can evaluate on the data (a baseline needs earlier years)."""
    from .data import load_data
    from .result import evaluate_history

    data = load_data() if data is None else data
    sets = [set(evaluate_history(s, data)) for s in _scenarios(scenarios)]
    return tuple(sorted(set.intersection(*sets))) if sets else ()


def fairness_long(scenarios: Any, data: Any = None, *, size: str = "gdp", years: Sequence[int] | None = None,
                  seed: int = 0, n_boot: int = 1000, level: float = 0.9, m: int | None = None, bottom: Any = None,
                  smallest: float = 1 / 3, largest: float = 1 / 3, tail: float | None = 0.2, per: str = "base",
                  factor: float = 0.9) -> pd.DataFrame:
    """Every fairness metric for every scenario, one row per scenario, metric and group (see ``fairness_table``)."""
    from .data import load_data
    from .result import evaluate_history

    data = load_data() if data is None else data
    scs = _scenarios(scenarios)
    labels = _labels(scs)
    years = tuple(years) if years is not None else common_years(scs, data)
    if not years:
        raise SimkitError(Problem(data.source, "the scenarios have no evaluation year in common",
                                  "pass years=... that every scenario can evaluate"))
    kw = {"n_boot": n_boot, "seed": seed, "level": level}
    rows: list[dict[str, Any]] = []

    def add(label: str, metric: str, group: str, est: float, lo: float = np.nan, hi: float = np.nan) -> None:
        rows.append({"scenario": label, "metric": metric, "metric_zh": METRICS[metric][0], "group": group,
                     "estimate": est, "lo": lo, "hi": hi})

    for sc, label in zip(scs, labels, strict=True):
        hist = evaluate_history(sc, data, years)
        missing = sorted(set(years) - set(hist))
        if missing:
            raise SimkitError(Problem(source_of(sc) or sc.name, f"scenario {sc.name!r} cannot be evaluated in "
                                      f"{', '.join(map(str, missing))}", "choose years it can evaluate (--years)"))
        groups = sized_groups(panel(hist, size))
        for r in rank_size_correlation(hist, size, **kw).itertuples():
            add(label, "size_spearman", r.group, r.spearman, r.spearman_lo, r.spearman_hi)
            add(label, "size_kendall", r.group, r.kendall, r.kendall_lo, r.kendall_hi)
        for r in top_grade_share(hist, size, largest=largest, **kw).itertuples():
            add(label, "top_grade_share_largest", r.group, r.share, r.share_lo, r.share_hi)
        for r in payout_inequality(hist, per=per, tail=tail, groups=groups, **kw).itertuples():
            add(label, "payout_gini", r.group, r.gini, r.gini_lo, r.gini_hi)
            add(label, "payout_top_bottom", r.group, r.top_bottom, r.top_bottom_lo, r.top_bottom_hi)
        mob = rank_mobility(hist, groups=groups, **kw)
        for r in mob[mob["pairs"] > 1].itertuples():
            add(label, "mobility_kendall", r.group, r.kendall, r.kendall_lo, r.kendall_hi)
            add(label, "grade_change_share", r.group, r.grade_change_share, r.grade_change_lo, r.grade_change_hi)
        for r in group_persistence(hist, size, m=m, bottom=bottom, smallest=smallest, **kw).itertuples():
            add(label, "bottom_share_smallest", r.group, r.smallest_share, r.smallest_share_lo, r.smallest_share_hi)
            add(label, "bottom_stuck_smallest", r.group, r.smallest_stuck, r.smallest_stuck_lo, r.smallest_stuck_hi)
        shock = shock_invariance(sc, data, factors=(factor,), year=years[-1])
        for r in shock[shock["group"].isin(groups)].itertuples():
            add(label, "shock_same_ranking", r.group, float(r.same_ranking))
    out = pd.DataFrame(rows, columns=["scenario", "metric", "metric_zh", "group", "estimate", "lo", "hi"])
    out.attrs.update(years=years, size=size, seed=seed, n_boot=n_boot, level=level, per=per, tail=tail,
                     m=default_m(len(years)) if m is None else m, bottom=bottom, factor=factor, labels=labels)
    return out


def fairness_table(scenarios: Any, data: Any = None, *, size: str = "gdp", years: Sequence[int] | None = None,
                   seed: int = 0, n_boot: int = 1000, level: float = 0.9, m: int | None = None, bottom: Any = None,
                   smallest: float = 1 / 3, largest: float = 1 / 3, tail: float | None = 0.2, per: str = "base",
                   factor: float = 0.9) -> pd.DataFrame:
    """The fairness metrics of several scenarios side by side, over the years they all can evaluate.

    One row per metric and group (the groups whose units have ``size``; payouts also over all units); for each
    scenario three columns: the estimate, ``<name> lo`` and ``<name> hi`` (the ``level`` bootstrap interval,
    seeded by ``seed``).  ``table.attrs`` records the settings (years, m, bottom tier, ...).

    >>> import simkit
    >>> t = fairness_table(["legacy_totals", "yiyang_2018_reform"], n_boot=200)
    >>> t.attrs["years"], list(t.columns[:3])
    ((2015, 2016, 2017, 2018), ['metric', 'metric_zh', 'group'])
    """
    long = fairness_long(scenarios, data, size=size, years=years, seed=seed, n_boot=n_boot, level=level, m=m,
                         bottom=bottom, smallest=smallest, largest=largest, tail=tail, per=per, factor=factor)
    labels = long.attrs["labels"]
    keys = long[["metric", "metric_zh", "group"]].drop_duplicates()
    order = {k: i for i, k in enumerate(METRICS)}
    keys = keys.assign(_o=keys["metric"].map(order)).sort_values(["_o"], kind="stable").drop(columns="_o")
    table = keys.reset_index(drop=True)
    for label in labels:
        part = long[long["scenario"] == label].set_index(["metric", "group"])
        idx = list(zip(table["metric"], table["group"], strict=True))
        table[label] = part["estimate"].reindex(idx).to_numpy()
        table[f"{label} lo"] = part["lo"].reindex(idx).to_numpy()
        table[f"{label} hi"] = part["hi"].reindex(idx).to_numpy()
    table.attrs.update(long.attrs)
    return table


def format_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``fairness_table`` for printing: one column per scenario, ``estimate [lo, hi]``."""
    out = table[["metric_zh", "group"]].copy()
    for label in table.attrs.get("labels", []):
        est, lo, hi = table[label], table[f"{label} lo"], table[f"{label} hi"]
        out[label] = [
            "" if np.isnan(e) else (f"{e:.{digits}f}" if np.isnan(a) else f"{e:.{digits}f} [{a:.{digits}f}, "
                                    f"{b:.{digits}f}]")
            for e, a, b in zip(est, lo, hi, strict=True)
        ]
    return out.rename(columns={"metric_zh": "指标 metric", "group": "组别 group"})
