"""Fairness of a ranking (公平性): does the rank still mirror size, who holds the top grades, how unequal are
the payouts, how much do ranks move from year to year, and does a shock common to all units change the
ranking?  (Who stays at the bottom: ``simkit.analysis.persistence``.)

Every function takes a panel: one ``Result`` (its year), several years of them (a list, or the dict
``evaluate_history`` returns), or a projection's result (many draws).  With 8 counties a point figure says
little, so the statistics of one history come with a seeded percentile bootstrap interval over the group's
units (``level`` = 0.9 gives the 5–95% interval); over projected paths the interval is over the paths.

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
from .outcomes import complete, group_columns, relative_payout, sized_groups, sizes
from .persistence import group_persistence
from .stats import bootstrap_ci, default_m, gini, kendall, largest_mask, spearman, top_bottom_ratio

#: The pooled row of a table over groups.
ALL = "all"

#: The metrics of ``fairness_long``, in their order.
METRICS: tuple[str, ...] = (
    "size_spearman", "size_kendall", "top_grade_share_largest", "payout_gini", "payout_top_bottom",
    "mobility_kendall", "grade_change_share", "bottom_share_smallest", "bottom_stuck_smallest", "shock_same_ranking",
)


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


def _size_corr_stat(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    def stat(rank: np.ndarray, size: np.ndarray) -> np.ndarray:
        # rank and size: (..., Y, n) → mean over years of the correlation of rank with size rank (1 = largest)
        return np.nanmean(fn(rank, -size), axis=-1) if rank.shape[-2] > 1 else fn(rank, -size)[..., 0]
    return stat


def rank_size_correlation(results: Any, size: str, *, n_boot: int = 1000, seed: int = 0, level: float = 0.9,
                          size_values: np.ndarray | None = None) -> pd.DataFrame:
    """Per group with sizes: Spearman ρ and Kendall τ-b of rank with size.

    One history: the mean over its years, with a bootstrap interval that resamples the group's units (each with
    all its years); columns group, units, years, size, spearman, spearman_lo, spearman_hi, kendall, kendall_lo,
    kendall_hi.  Several draws (a projection): one row per group and year, the mean over paths and the
    ``level`` quantile interval over paths.  ``size_values`` (D, Y, U) gives the sizes (e.g. a projection's
    simulated values of the size indicator) instead of the data's.
    """
    p = as_panel(results)
    size_arr = sizes(p, size) if size_values is None else np.broadcast_to(size_values, p["rank"].shape)
    rank = p["rank"].astype(float)
    rows = []
    for g in sized_groups(p, size_arr):
        cols = complete(p, g, size_arr)
        r, s = rank[..., cols], size_arr[..., cols]
        if p.sampled or p.draws > 1:
            rho, tau = spearman(r, -s), kendall(r, -s)  # (D, Y)
            q = [0.5 * (1 - level), 0.5 * (1 + level)]
            for k, y in enumerate(p.years):
                qr, qt = np.nanquantile(rho[:, k], q), np.nanquantile(tau[:, k], q)
                rows.append({"group": g, "year": y, "spearman": float(np.nanmean(rho[:, k])), "spearman_lo": qr[0],
                             "spearman_hi": qr[1], "kendall": float(np.nanmean(tau[:, k])), "kendall_lo": qt[0],
                             "kendall_hi": qt[1]})
            continue
        sp = bootstrap_ci(_size_corr_stat(spearman), r[0], s[0], n_boot=n_boot, seed=seed, level=level)
        kd = bootstrap_ci(_size_corr_stat(kendall), r[0], s[0], n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": g, "units": len(cols), "years": len(p.years), "size": size,
                     "spearman": sp[0], "spearman_lo": sp[1], "spearman_hi": sp[2],
                     "kendall": kd[0], "kendall_lo": kd[1], "kendall_hi": kd[2]})
    if p.sampled or p.draws > 1:
        return pd.DataFrame(rows, columns=["group", "year", "spearman", "spearman_lo", "spearman_hi", "kendall",
                                           "kendall_lo", "kendall_hi"])
    return pd.DataFrame(rows, columns=["group", "units", "years", "size", "spearman", "spearman_lo", "spearman_hi",
                                       "kendall", "kendall_lo", "kendall_hi"])


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
    parts = []
    for g in sized_groups(p, size_arr):
        cols = complete(p, g, size_arr)
        top = np.isin(p["grade"][0][:, cols], top_codes).astype(float)
        big = largest_mask(size_arr[0][:, cols], largest).astype(float)
        parts.append((g, top, big))

    def stat(top: np.ndarray, big: np.ndarray) -> np.ndarray:
        held = (top * big).sum(axis=(-2, -1))
        total = top.sum(axis=(-2, -1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, held / np.where(total > 0, total, 1.0), np.nan)

    rows = []
    if len(parts) > 1:
        parts.append((ALL, np.concatenate([t for _, t, _ in parts], axis=-1),
                      np.concatenate([b for _, _, b in parts], axis=-1)))
    for g, top, big in parts:
        est, lo, hi = bootstrap_ci(stat, top, big, n_boot=n_boot, seed=seed, level=level)
        rows.append({"group": g, "units": top.shape[-1], "top_grades": int(top.sum()), "share": est, "share_lo": lo,
                     "share_hi": hi, "expected": float(big.mean())})
    return pd.DataFrame(rows, columns=["group", "units", "top_grades", "share", "share_lo", "share_hi", "expected"])


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
    targets = [(g, group_columns(p, g)) for g in (groups or p.plan.group_names)]
    targets.append((ALL, np.arange(x.shape[-1])))

    def by_year(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
        return lambda v: np.nanmean(fn(v), axis=-1)

    rows = []
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
    p = as_panel(results)
    cols_out = ["group", "year_from", "year_to", "pairs", "units", "kendall", "kendall_lo", "kendall_hi",
                "grade_change_share", "grade_change_lo", "grade_change_hi"]
    if len(p.years) < 2:
        return pd.DataFrame(columns=cols_out)
    rows = []
    for g in groups or p.plan.group_names:
        cols = complete(p, g)
        if len(cols) < 2:
            continue
        r, gr = p["rank"][0][:, cols], p["grade"][0][:, cols].astype(float)
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
    rows = []
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
        for gi, g in enumerate(plan.group_names):
            cols = np.flatnonzero(plan.group_codes == gi)
            r0, g0 = rank[0, cols], grade[0, cols]
            for j, f in enumerate(factors, start=1):
                r1, g1 = rank[j, cols], grade[j, cols]
                same = bool(np.array_equal(r0, r1, equal_nan=True))
                rows.append({"scenario": sc.name, "group": g, "units": len(cols), "factor": float(f), "when": when,
                             "kendall": float(kendall(r0, r1)) if len(cols) > 1 else 1.0,
                             "same_ranking": same, "units_moving": int(np.sum(r0 != r1)),
                             "grade_changes": int(np.sum(g0 != g1))})
    return pd.DataFrame(rows)


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


def labels_of(scenarios: list[Scenario]) -> list[str]:
    """Distinct labels for scenarios (a repeated name gets `` (2)``, `` (3)``...)."""
    labels: list[str] = []
    for s in scenarios:
        label = s.name
        k = 2
        while label in labels:
            label = f"{s.name} ({k})"
            k += 1
        labels.append(label)
    return labels


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
    ``per`` (payouts), ``factor`` (the common shock); see the functions above.  ``attrs`` records every setting.
    """
    unknown = set(options) - {"m", "bottom", "smallest", "largest", "tail", "per", "factor"}
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    m, bottom = options.get("m"), options.get("bottom")
    smallest, largest = options.get("smallest", 1 / 3), options.get("largest", 1 / 3)
    tail, per, factor = options.get("tail", 0.2), options.get("per", "base"), options.get("factor", 0.9)
    data = _data(data)
    scs = scenarios_of(scenarios)
    labels = labels_of(scs)
    years = tuple(years) if years is not None else common_years(scs, data)
    if not years:
        raise SimkitError(Problem(data.source, "the scenarios have no evaluation year in common",
                                  "pass years=... that every scenario can evaluate"))
    kw = {"n_boot": n_boot, "seed": seed, "level": level}
    rows: list[dict[str, Any]] = []

    def add(label: str, metric: str, group: str, est: float, lo: float = np.nan, hi: float = np.nan) -> None:
        rows.append({"scenario": label, "metric": metric, "group": group, "estimate": est, "lo": lo, "hi": hi})

    for sc, label in zip(scs, labels, strict=True):
        hist = evaluate_history(sc, data, years)
        missing = sorted(set(years) - set(hist))
        if missing:
            raise SimkitError(Problem(source_of(sc) or sc.name, f"scenario {sc.name!r} cannot be evaluated in "
                                      f"{', '.join(map(str, missing))}", "choose years it can evaluate (--years)"))
        panel = as_panel(hist)
        groups = sized_groups(panel, sizes(panel, size))
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
    out = pd.DataFrame(rows, columns=["scenario", "metric", "group", "estimate", "lo", "hi"])
    out.attrs.update(years=years, size=size, seed=seed, n_boot=n_boot, level=level, per=per, tail=tail,
                     m=default_m(len(years)) if m is None else m, bottom=bottom, factor=factor, labels=labels)
    return out
