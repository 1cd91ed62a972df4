"""Fairness of a ranking (公平性): does the rank still mirror size, who holds the top grades, how unequal are
the payouts, how much do ranks move from year to year, and does a shock common to all units change the
ranking?  (Who stays at the bottom: ``simkit.analysis.persistence``.)

Every function takes a panel: one ``Result`` (its year), several years of them (a list, or the dict
``evaluate_history`` returns), or a projection's result (many draws).  With 8 counties a point figure says
little, so the statistics of one history come with a seeded percentile bootstrap interval over the group's
units (``level`` = 0.9 gives the 5–95% interval); over projected paths the interval is over the paths.
The resamples are ``stats.bootstrap_ci``'s, but each statistic is computed from the counts of the
resample for all groups of one size at once (``analysis.resample``), which gives the same numbers.

Definitions (each checked by hand in the tests):

- **Size correlation**: Spearman ρ and Kendall τ-b, within a group, between the rank position (1 = first) and
  the size rank (1 = largest).  +1: the largest unit ranks first and the smallest last; 0: unrelated.  Over
  several years: the mean of the yearly values.
- **Top-grade share**: of the unit-years graded with the best grade, the share held by the largest third of
  the group (the ``ceil(n/3)`` largest units by size that year).  If grades had nothing to do with size it
  would be about ``ceil(n/3)/n`` (the ``expected`` column).
- **Payouts** are compared ``per="base"`` by default: the payout divided by the unit's bonus base (1 + its
  float after pool scaling), so that headcount does not count as inequality; ``per="unit"`` uses yuan.
- **Mobility**: Kendall τ-b between a group's ranks in consecutive years (1 = nobody moves), and the share of
  units whose grade changes.
- **Common-shock invariance**: every unit's values in the evaluation year (or in every year) are multiplied
  by the same factor; the ranking is re-computed and compared with the original.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine.compile import compile_plan, inputs_of
from ..engine.evaluate import evaluate_history, run
from ..engine.result import Result, as_panel
from ..errors import Problem, SimkitError
from ..io.dataset import Dataset
from ..schema.scenario import Scenario, source_of
from .outcomes import labels_of, relative_payout, sizes
from .persistence import group_persistence
from .resample import Inequality, Kendall, Spearman, bootstrap_groups, by_size
from .stats import default_m, kendall, nan_quantiles, spearman, tail_count

#: The pooled row of a table over groups.
ALL = "all"

#: The metrics of ``fairness_long``, in their order.
METRICS: tuple[str, ...] = (
    "size_spearman", "size_kendall", "top_grade_share_largest", "payout_gini", "payout_top_bottom",
    "mobility_kendall", "grade_change_share", "bottom_share_smallest", "bottom_stuck_smallest", "shock_same_ranking",
)
#: The metrics ``fairness_long`` adds on request (``tenure=``), after ``METRICS``.
OPT_IN_METRICS: tuple[str, ...] = ("false_accountability", "missed_accountability")


# ========================================================================================= size and rank
def size_of(result: Result, size: str) -> pd.Series:
    """A size measure per unit in the result's focus year, indexed by unit id."""
    k = result.years.index(result.year)
    return pd.Series(sizes(result, size)[0, k], index=pd.Index(result.data.unit_ids, name="unit"), name=size)


def size_correlation(result: Result, size: str) -> pd.DataFrame:
    """Per group, in the result's year: Spearman rho and Kendall tau between rank position and size rank.

    A value near 1 means the ranking follows size: the largest unit ranks first, the smallest last.
    Groups with fewer than 3 units with a size are left out.
    """
    t = rank_size_correlation(result, size, n_boot=0)
    return pd.DataFrame({"group": t["group"], "units": t["units"], "size": size, "spearman_rho": t["spearman"],
                         "kendall_tau": t["kendall"]}, columns=["group", "units", "size", "spearman_rho",
                                                               "kendall_tau"])


def size_rho(result: Result, size: str, group: str) -> float:
    """Spearman rho between rank and size in one group (NaN if the group has fewer than 3 sized units)."""
    table = size_correlation(result, size)
    hit = table[table["group"] == group]
    return float(hit["spearman_rho"].iat[0]) if len(hit) else float(np.nan)


def _size_corr_stat(rank: np.ndarray, size: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, ...]]:
    # rank and size (k, Y, n) → per resample, the mean over years of ρ and τ of rank with size rank (1 = largest)
    sp, kd = Spearman(rank, -size), Kendall(rank, -size)
    return lambda c: (_year_mean(sp(c)), _year_mean(kd(c)))


def _year_mean(v: np.ndarray) -> np.ndarray:
    """(b, k, Y) → (b, k): the mean over years ignoring NaN (one year: as it is)."""
    return np.nanmean(v, axis=-1) if v.shape[-1] > 1 else v[..., 0]


def rank_size_correlation(results: Any, size: str, *, n_boot: int = 1000, seed: int = 0, level: float = 0.9,
                          size_values: np.ndarray | None = None) -> pd.DataFrame:
    """Per group with sizes: Spearman ρ and Kendall τ-b of rank with size.

    One history: the mean over its years, with a bootstrap interval that resamples the group's units (each with
    all its years); columns group, units, years, size, spearman, spearman_lo, spearman_hi, kendall, kendall_lo,
    kendall_hi.  Several draws (a projection): one row per group and year, the mean over paths and the
    ``level`` quantile interval over paths.  ``size_values`` (D, Y, U) gives the sizes (e.g. a projection's
    simulated values of the size indicator) instead of the data's.  All groups at once (``analysis.resample``).
    """
    p = as_panel(results)
    size_arr = sizes(p, size) if size_values is None else np.broadcast_to(size_values, p["rank"].shape)
    names, order, n = _segments(p.plan, p.plan.group_names, _complete(p, size_arr), 3)
    rank, size_arr = p["rank"][..., order].astype(float), size_arr[..., order]
    if p.sampled or p.draws > 1:
        return _size_corr_paths(p, names, n, rank, size_arr, level)
    if not names:
        return pd.DataFrame(columns=["group", "units", "years", "size", "spearman", "spearman_lo", "spearman_hi",
                                     "kendall", "kendall_lo", "kendall_hi"])
    est, lo, hi = bootstrap_groups(_size_corr_stat, n, rank[0], size_arr[0], n_boot=n_boot, seed=seed, level=level)
    return _frame({"group": names, "units": n, "years": len(p.years), "size": size,
                   "spearman": est[0], "spearman_lo": lo[0], "spearman_hi": hi[0],
                   "kendall": est[1], "kendall_lo": lo[1], "kendall_hi": hi[1]})


def _size_corr_paths(p: Result, names: list[str], n: np.ndarray, rank: np.ndarray, size: np.ndarray,
                     level: float) -> pd.DataFrame:
    """Projected paths: per group and year, the mean of ρ and τ over paths and their quantile interval."""
    d, y = rank.shape[:2]
    rho, tau = np.empty((2, d, y, len(names)))
    with np.errstate(all="ignore"):
        for _, members, pos in by_size(n):
            r, s = rank[..., pos], -size[..., pos]  # (D, Y, k, n): the groups of one size together
            rho[..., members], tau[..., members] = spearman(r, s), kendall(r, s)
    out: dict[str, Any] = {"group": np.repeat(np.asarray(names, dtype=object), y).tolist(),
                           "year": np.tile(np.asarray(p.years), len(names))}
    q = [0.5 * (1 - level), 0.5 * (1 + level)]
    for name, v in (("spearman", rho), ("kendall", tau)):
        rows = np.ascontiguousarray(v.transpose(2, 1, 0).reshape(-1, d))  # (group × year, paths)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a group-year with no defined value: NaN
            out[name] = np.nanmean(rows, axis=-1)
        out[f"{name}_lo"], out[f"{name}_hi"] = nan_quantiles(rows.T, q)
    return _frame(out, ["group", "year", "spearman", "spearman_lo", "spearman_hi", "kendall", "kendall_lo",
                        "kendall_hi"])


# ============================================================================================== groups
def _complete(p: Result, size: np.ndarray | None = None) -> np.ndarray:
    """Units with a rank (and a size, if given) in every draw and year (as ``outcomes.complete``), (U,) bool."""
    ok = np.isfinite(p["rank"]).all(axis=(0, 1))
    return ok & np.isfinite(size).all(axis=(0, 1)) if size is not None else ok


def _segments(plan: Any, names: Sequence[str], ok: np.ndarray, min_units: int
              ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The named groups with at least ``min_units`` units where ``ok``, as contiguous segments: the names kept,
    their units one group after another (ascending within a group, as ``outcomes.complete``) and their sizes.

    One sort for all groups instead of a mask per group.
    """
    index = {g: i for i, g in enumerate(plan.group_names)}
    unknown = [g for g in names if g not in index]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not in list")  # as group_names.index
    codes = np.asarray(plan.group_codes)
    gi = np.array([index[g] for g in names], dtype=np.int64)
    valid = np.flatnonzero(ok)
    units = valid[np.argsort(codes[valid], kind="stable")]
    count = np.bincount(codes[valid], minlength=len(index))
    keep = count[gi] >= min_units
    gi = gi[keep]
    n = count[gi]
    start = (np.cumsum(count) - count)[gi]
    order = units[np.repeat(start - (np.cumsum(n) - n), n) + np.arange(n.sum())]
    return [g for g, k in zip(names, keep, strict=True) if k], order, n


def _largest(size: np.ndarray, n: np.ndarray, share: float) -> np.ndarray:
    """``stats.largest_mask`` of every segment (sizes ``n``) of the last axis at once: (Y, N) → (Y, N) bool."""
    y, total = size.shape
    g = len(n)
    # one sort by year and segment, then size descending, ties by position (the mask's stable sort)
    key = (np.repeat(np.arange(g), n) + g * np.arange(y)[:, None]).ravel()
    order = np.lexsort((np.tile(np.arange(total), y), -size.ravel(), key))
    sk = key[order]
    place = np.arange(order.size) - (sk // g) * total - (np.cumsum(n) - n)[sk % g]  # place within its segment
    distinct = np.unique(n)
    k = np.array([tail_count(int(m), share) for m in distinct], dtype=np.int64)[np.searchsorted(distinct, n)]
    out = np.zeros(order.size, dtype=bool)
    out[order] = place < k[sk % g]
    return out.reshape(y, total)


def _frame(columns: dict[str, Any], order: Sequence[str] | None = None) -> pd.DataFrame:
    """A table from columns; with no rows, the empty table with those columns (as one built from no rows)."""
    order = list(order or columns)
    if not len(columns["group"]):
        return pd.DataFrame(columns=order)
    return pd.DataFrame(columns, columns=order)


def _share(held: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, held / np.where(total > 0, total, 1.0), np.nan)


# ============================================================================================ top grades
def top_grade_share(results: Any, size: str, *, largest: float = 1 / 3, grades: Sequence[str] | None = None,
                    n_boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Share of the top grades (unit-years) held by the largest third of each group, with intervals.

    ``grades``: the grades that count as top (default: the best grade).  One row per sized group, and a pooled
    row (``all``: holdings summed over those groups) when there are several.  ``expected`` is the share the
    largest units would hold if grades had nothing to do with size.
    """
    p = as_panel(results)
    names = list(p.grade_names)
    unknown = [g for g in (grades or []) if g not in names]
    if unknown:
        raise SimkitError(Problem("fairness", f"top grade(s) {', '.join(unknown)} are not grades of this scenario "
                                  f"({', '.join(names)})", "name one of its grades", field="grades"))
    top_codes = [names.index(g) for g in (grades or names[:1])]
    size_arr = sizes(p, size)
    groups, order, n = _segments(p.plan, p.plan.group_names, _complete(p, size_arr), 3)
    top = np.isin(p["grade"][0][:, order], top_codes)  # (Y, N): the groups one after another
    big = _largest(size_arr[0][:, order], n, largest)
    # the share is linear in the counts: per unit, its top unit-years while large and all its top unit-years
    held, tops = (top & big).sum(axis=0).astype(float), top.sum(axis=0).astype(float)
    seg = np.repeat(np.arange(len(n)), n)
    years = top.shape[0]
    units, top_grades, bigs = n, np.bincount(seg, tops, len(n)), np.bincount(seg, big.sum(axis=0), len(n))
    sizes_ = [n]
    if len(groups) > 1:  # the pooled row: every sized group's units together, resampled as one
        groups, units = [*groups, ALL], np.append(n, n.sum())
        top_grades, bigs = np.append(top_grades, tops.sum()), np.append(bigs, big.sum())
        sizes_.append(n.sum(keepdims=True))

    def make(h: np.ndarray, t: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        return lambda c: _share(c @ h.T, c @ t.T)

    parts = [bootstrap_groups(make, m, held, tops, n_boot=n_boot, seed=seed, level=level) for m in sizes_]
    est, lo, hi = (np.concatenate([part[i][0] for part in parts]) for i in range(3))
    return _frame({"group": groups, "units": units, "top_grades": top_grades.astype(np.int64), "share": est,
                   "share_lo": lo, "share_hi": hi, "expected": bigs / (years * units)},
                  ["group", "units", "top_grades", "share", "share_lo", "share_hi", "expected"])


# =============================================================================================== payouts
def payout_inequality(results: Any, *, per: str = "base", tail: float | None = 0.2, groups: Sequence[str] | None = None,
                      n_boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Payout Gini and top/bottom ratio per group and over all units (``all``), mean over the years.

    ``per="base"``: payout ÷ bonus base (default; headcount is not inequality); ``per="unit"``: yuan.
    ``groups``: the groups to report (default all).  Empty if the scenario pays no bonus.
    """
    p = as_panel(results)
    x = relative_payout(p, per)
    cols_out = ["group", "units", "per", "gini", "gini_lo", "gini_hi", "top_bottom", "top_bottom_lo", "top_bottom_hi"]
    if x is None:
        return pd.DataFrame(columns=cols_out)
    x = x[0]
    finite = np.isfinite(x).all(axis=0)
    names, order, n = _segments(p.plan, list(groups or p.plan.group_names), finite, 2)
    targets = [(names, x[:, order], n)] if names else []
    if finite.sum() >= 2:  # all units with a payout every year, in their order
        targets.append(([ALL], x[:, finite], finite.sum(keepdims=True)))
    if not targets:
        return pd.DataFrame(columns=cols_out)

    def make(v: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        ineq = Inequality(v, tail)  # (k, Y, n): sorted once, then every chunk of resamples
        return lambda c: tuple(np.nanmean(a, axis=-1) for a in ineq(c))

    parts = [(g, m, bootstrap_groups(make, m, v, n_boot=n_boot, seed=seed, level=level)) for g, v, m in targets]
    est, lo, hi = (np.concatenate([part[2][i] for part in parts], axis=1) for i in range(3))
    return _frame({"group": [g for part in parts for g in part[0]], "units": np.concatenate([m for _, m, _ in parts]),
                   "per": per, "gini": est[0], "gini_lo": lo[0], "gini_hi": hi[0], "top_bottom": est[1],
                   "top_bottom_lo": lo[1], "top_bottom_hi": hi[1]}, cols_out)


# ============================================================================================== mobility
def _mobility_stat(rank: np.ndarray, grade: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, ...]]:
    # (k, Y, n) → per resample: the mean over consecutive years of τ, and the share of unit-years changing grade
    kd = Kendall(rank[:, :-1], rank[:, 1:])
    changes = (grade[:, 1:] != grade[:, :-1]).sum(axis=1).astype(float)  # (k, n): linear in the counts
    unit_years = changes.shape[-1] * (grade.shape[1] - 1)
    return lambda c: (np.nanmean(kd(c), axis=-1), (c @ changes.T) / unit_years)


def rank_mobility(results: Any, *, groups: Sequence[str] | None = None, n_boot: int = 1000, seed: int = 0,
                  level: float = 0.9) -> pd.DataFrame:
    """Year-to-year mobility per group: Kendall τ-b between consecutive years' ranks, share changing grade.

    One row per group and pair of years, and a row per group over all pairs (``year_from``/``year_to`` = the
    first and last year, ``pairs`` > 1) with bootstrap intervals over the group's units.
    """
    p = as_panel(results)
    cols_out = ["group", "year_from", "year_to", "pairs", "units", "kendall", "kendall_lo", "kendall_hi",
                "grade_change_share", "grade_change_lo", "grade_change_hi"]
    if len(p.years) < 2:
        return pd.DataFrame(columns=cols_out)
    names, order, n = _segments(p.plan, list(groups or p.plan.group_names), _complete(p), 2)
    if not names:
        return pd.DataFrame(columns=cols_out)
    r, gr = p["rank"][0][:, order].astype(float), p["grade"][0][:, order].astype(float)
    y = len(p.years)
    tau, changed = np.empty((2, len(names), y - 1))
    with np.errstate(all="ignore"):
        for m, members, pos in by_size(n):  # the yearly figures: every group of one size at once
            rk, gk = np.moveaxis(r[:, pos], 0, 1), np.moveaxis(gr[:, pos], 0, 1)  # (k, Y, n)
            tau[members] = Kendall(rk[:, :-1], rk[:, 1:])(np.ones((1, m), dtype=np.int64))[0]
            changed[members] = (gk[:, 1:] != gk[:, :-1]).mean(axis=-1)
    est, lo, hi = bootstrap_groups(_mobility_stat, n, r, gr, n_boot=n_boot, seed=seed, level=level)
    # each group: its y − 1 pairs of years, then the row over all pairs
    nan = np.full((len(names), 1), np.nan)
    years = np.asarray(p.years)
    return _frame({
        "group": np.repeat(np.asarray(names, dtype=object), y).tolist(),
        "year_from": np.tile(np.append(years[:-1], years[0]), len(names)),
        "year_to": np.tile(np.append(years[1:], years[-1]), len(names)),
        "pairs": np.tile(np.append(np.ones(y - 1, dtype=np.int64), y - 1), len(names)),
        "units": np.repeat(n, y),
        "kendall": np.hstack([tau, est[0][:, None]]).ravel(),
        "kendall_lo": np.hstack([nan.repeat(y - 1, 1), lo[0][:, None]]).ravel(),
        "kendall_hi": np.hstack([nan.repeat(y - 1, 1), hi[0][:, None]]).ravel(),
        "grade_change_share": np.hstack([changed, est[1][:, None]]).ravel(),
        "grade_change_lo": np.hstack([nan.repeat(y - 1, 1), lo[1][:, None]]).ravel(),
        "grade_change_hi": np.hstack([nan.repeat(y - 1, 1), hi[1][:, None]]).ravel(),
    }, cols_out)


# ======================================================================================= common shocks
def shock_invariance(scenarios: Any, data: Dataset | None = None, *, factors: Sequence[float] = (0.9,),
                     year: int | None = None, when: str = "year") -> pd.DataFrame:
    """Multiply every unit's values by the same factor and see whether the ranking changes.

    ``when="year"``: a shock in the evaluation year only (the history, and so the targets, stay); ``"all"``:
    every year's values are scaled (a change of units, say).  One row per scenario, group and factor:
    Kendall τ between the ranks before and after, whether the ranking is the same, how many units move and
    how many change grade.  Rankings that only compare units with each other on levels keep the ranking;
    scores against absolute or history-based targets, with caps and floors, need not.
    """
    from dataclasses import replace

    data = _data(data)
    if when not in ("year", "all"):
        raise SimkitError(Problem("fairness", f"when={when!r} is not known", "use 'year' or 'all'", field="when"))
    cols: dict[str, list[Any]] = {k: [] for k in ("scenario", "group", "units", "factor", "when", "kendall",
                                                  "same_ranking", "units_moving", "grade_changes")}
    f = len(factors)
    for sc in scenarios_of(scenarios):
        plan = compile_plan(sc, data)
        inputs = inputs_of(plan)
        y = year if year is not None else (sc.year if sc.year is not None else data.years[-1])
        t = plan.year_index(y)
        k = np.asarray([1.0, *factors], dtype=float)[:, None, None, None]
        x = np.repeat(inputs.values[None], len(k), axis=0)
        if when == "year":
            x[..., t] = x[..., t] * k[..., 0]
        else:
            x = x * k
        res = run(plan, replace(inputs, values=x), [t], detail=False, money=False)
        rank, grade = res["rank"][:, 0], res["grade"][:, 0]
        # every group and factor at once: unit comparisons counted by (factor, group), τ per size of group
        codes, g = np.asarray(plan.group_codes), len(plan.group_names)
        r0, r1 = rank[0], rank[1:]
        moved = _per_group(codes, g, ~((r0 == r1) | (np.isnan(r0) & np.isnan(r1))))  # NaN equal to NaN
        n = np.bincount(codes, minlength=g)
        tau = np.ones((g, f))  # a group of one unit keeps its ranking
        _, order, m = _segments(plan, plan.group_names, np.ones(len(codes), dtype=bool), 2)
        at = np.flatnonzero(n >= 2)
        for _, members, pos in by_size(m):
            units = order[pos]  # (k, n)
            tau[at[members]] = kendall(np.broadcast_to(r0[units], (f, *units.shape)), r1[:, units]).T
        cols["scenario"] += [sc.name] * (g * f)
        cols["group"] += [name for name in plan.group_names for _ in range(f)]
        cols["units"] += np.repeat(n, f).tolist()
        cols["factor"] += [float(v) for v in factors] * g
        cols["when"] += [when] * (g * f)
        cols["kendall"] += tau.ravel().tolist()
        cols["same_ranking"] += (moved == 0).ravel().tolist()
        cols["units_moving"] += _per_group(codes, g, r0 != r1).ravel().tolist()
        cols["grade_changes"] += _per_group(codes, g, grade[0] != grade[1:]).ravel().tolist()
    return pd.DataFrame(cols) if cols["group"] else pd.DataFrame([])


def _per_group(codes: np.ndarray, g: int, v: np.ndarray) -> np.ndarray:
    """How many units of each of ``g`` groups are true in each row: (F, U) bool → (G, F), one ``bincount``."""
    f = v.shape[0]
    key = (codes + g * np.arange(f)[:, None]).ravel()
    return np.bincount(key, v.ravel().astype(float), g * f).reshape(f, g).T.astype(np.int64)


# ============================================================================================= the table
def _data(data: Dataset | None) -> Dataset:
    if data is None:
        from ..io.read import load_data

        return load_data()
    return data


def scenarios_of(scenarios: Any) -> list[Scenario]:
    """One scenario, a path, a shipped name, or a list of them → scenarios."""
    from ..io.scenarios import load_scenario

    if isinstance(scenarios, Scenario | str | Path):
        scenarios = [scenarios]
    return [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]


def common_years(scenarios: Any, data: Dataset | None = None) -> tuple[int, ...]:
    """The years every scenario can evaluate on the data (a baseline needs earlier years)."""
    data = _data(data)
    sets = [set(evaluate_history(s, data)) for s in scenarios_of(scenarios)]
    return tuple(sorted(set.intersection(*sets))) if sets else ()


def fairness_long(scenarios: Any, data: Dataset | None = None, *, size: str = "gdp",
                  years: Sequence[int] | None = None, seed: int = 0, n_boot: int = 1000, level: float = 0.9,
                  **options: Any) -> pd.DataFrame:
    """Every fairness metric for every scenario, one row per scenario, metric and group.

    ``options``: ``m`` and ``bottom`` (persistence), ``smallest`` and ``largest`` (thirds), ``tail`` and
    ``per`` (payouts), ``factor`` (the common shock); see the functions above.  ``tenure`` (years; opt-in) adds
    ``false_accountability`` and ``missed_accountability`` from ``analysis.risk.tenure_accountability`` over that
    tenure (``tenure_paths`` paths, default 500; ``tenure_noise`` measurement sd, default 0.02; the same seed),
    for scenarios with an accountability ladder.  ``attrs`` records every setting.
    """
    unknown = set(options) - {"m", "bottom", "smallest", "largest", "tail", "per", "factor", "tenure",
                              "tenure_paths", "tenure_noise"}
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    m, bottom = options.get("m"), options.get("bottom")
    smallest, largest = options.get("smallest", 1 / 3), options.get("largest", 1 / 3)
    tail, per, factor = options.get("tail", 0.2), options.get("per", "base"), options.get("factor", 0.9)
    tenure = options.get("tenure")
    tenure_kw = {"paths": int(options.get("tenure_paths", 500)), "noise": float(options.get("tenure_noise", 0.02))}
    data = _data(data)
    scs = scenarios_of(scenarios)
    labels = labels_of(scs)
    hists = None
    if years is None:  # the years they all can evaluate; each history is evaluated once
        hists = [evaluate_history(sc, data) for sc in scs]
        years = tuple(sorted(set.intersection(*(set(h) for h in hists)))) if hists else ()
    years = tuple(years)
    if not years:
        raise SimkitError(Problem(data.source, "the scenarios have no evaluation year in common",
                                  "pass years=... that every scenario can evaluate"))
    kw = {"n_boot": n_boot, "seed": seed, "level": level}
    rows: list[dict[str, Any]] = []

    def add(label: str, metric: str, group: str, est: float, lo: float = np.nan, hi: float = np.nan) -> None:
        rows.append({"scenario": label, "metric": metric, "group": group, "estimate": est, "lo": lo, "hi": hi})

    for k, (sc, label) in enumerate(zip(scs, labels, strict=True)):
        if hists is not None and max(years) == data.years[-1]:
            hist = {y: r for y, r in hists[k].items() if y in years}  # what evaluate_history(sc, data, years) gives
        else:
            hist = evaluate_history(sc, data, years)
        missing = sorted(set(years) - set(hist))
        if missing:
            raise SimkitError(Problem(source_of(sc) or sc.name, f"scenario {sc.name!r} cannot be evaluated in "
                                      f"{', '.join(map(str, missing))}", "choose years it can evaluate (--years)"))
        panel = as_panel(hist)
        groups = _segments(panel.plan, panel.plan.group_names, _complete(panel, sizes(panel, size)), 3)[0]
        for r in rank_size_correlation(panel, size, **kw).itertuples():
            add(label, "size_spearman", r.group, r.spearman, r.spearman_lo, r.spearman_hi)
            add(label, "size_kendall", r.group, r.kendall, r.kendall_lo, r.kendall_hi)
        for r in top_grade_share(panel, size, largest=largest, **kw).itertuples():
            add(label, "top_grade_share_largest", r.group, r.share, r.share_lo, r.share_hi)
        for r in payout_inequality(panel, per=per, tail=tail, groups=groups, **kw).itertuples():
            add(label, "payout_gini", r.group, r.gini, r.gini_lo, r.gini_hi)
            add(label, "payout_top_bottom", r.group, r.top_bottom, r.top_bottom_lo, r.top_bottom_hi)
        mob = rank_mobility(panel, groups=groups, **kw)
        for r in mob[mob["pairs"] > 1].itertuples():
            add(label, "mobility_kendall", r.group, r.kendall, r.kendall_lo, r.kendall_hi)
            add(label, "grade_change_share", r.group, r.grade_change_share, r.grade_change_lo, r.grade_change_hi)
        for r in group_persistence(panel, size, m=m, bottom=bottom, smallest=smallest, **kw).itertuples():
            add(label, "bottom_share_smallest", r.group, r.smallest_share, r.smallest_share_lo, r.smallest_share_hi)
            add(label, "bottom_stuck_smallest", r.group, r.smallest_stuck, r.smallest_stuck_lo, r.smallest_stuck_hi)
        shock = shock_invariance(sc, data, factors=(factor,), year=years[-1])
        for r in shock[shock["group"].isin(groups)].itertuples():
            add(label, "shock_same_ranking", r.group, float(r.same_ranking))
        if tenure and sc.consequences.accountability is not None:
            from .risk import tenure_accountability

            ta = tenure_accountability(sc, data, tenure=int(tenure), seed=seed, level=level, **tenure_kw)
            for r in ta[ta["group"].isin([*groups, ALL])].itertuples():
                add(label, "false_accountability", r.group, r.false_rate, r.false_lo, r.false_hi)
                add(label, "missed_accountability", r.group, r.missed_rate, r.missed_lo, r.missed_hi)
    out = pd.DataFrame(rows, columns=["scenario", "metric", "group", "estimate", "lo", "hi"])
    out.attrs.update(years=years, size=size, seed=seed, n_boot=n_boot, level=level, per=per, tail=tail,
                     m=default_m(len(years)) if m is None else m, bottom=bottom, factor=factor, labels=labels)
    if tenure:
        out.attrs.update(tenure=int(tenure), tenure_paths=tenure_kw["paths"], tenure_noise=tenure_kw["noise"])
    return out
