"""Who stays at the bottom (末位): per unit and per group, over the years of a panel, for an observed history
(one draw: intervals by resampling the years) and for projected paths (many draws: probabilities over the
paths with Wilson intervals) alike.

- **Bottom tier** (``bottom``): ``None`` = the grades the scenario's accountability ladder counts as bottom
  (else its worst grade); a grade name or list of names; an int ``k`` = the last ``k`` places of the group;
  a float ``s`` in (0, 1) = the last ``ceil(s·n)`` places.
- **Persistence**: a unit is persistently at the bottom when it is in the bottom tier in at least ``m`` of the
  ``n`` years (default ``m = ceil(n/2)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..engine.result import Result, as_panel
from ..errors import Problem, SimkitError
from .outcomes import bottom_of, complete, sized_groups, sizes
from .stats import default_m, percentiles, smallest_mask, wilson


def _counts(p: Result, bottom: Any, m: int | None) -> tuple[np.ndarray, int, int]:
    """(D, Y, U) bottom mask as floats, the number of years and m."""
    low = bottom_of(p, bottom).astype(float)
    n = len(p.years)
    return low, n, default_m(n) if m is None else int(m)


def _draws_of(low: np.ndarray, n_boot: int, seed: int, sampled: bool = False) -> np.ndarray:
    """Bottom years per draw and unit: the draws themselves, or for one history its years resampled (seeded)."""
    if sampled or low.shape[0] > 1:
        return low.sum(axis=1)
    n_years = low.shape[1]
    idx = np.random.default_rng(seed).integers(0, n_years, size=(max(n_boot, 1), n_years))
    # how often each resample drew each year, times the years' 0/1 marks: the same whole numbers as summing the
    # drawn years, without a (resamples × years × units) array (1000 × 4 × 30,000: 0.96 GB and 3.7 s)
    drawn = np.bincount((idx + n_years * np.arange(len(idx))[:, None]).ravel(), minlength=idx.size)
    return drawn.reshape(idx.shape).astype(float) @ low[0]


def bottom_persistence(results: Any, *, m: int | None = None, bottom: Any = None, n_boot: int = 1000,
                       seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """Per unit: years in the bottom tier out of n, the share, and the probability of at least ``m`` of them.

    One history: ``bottom_years`` counts them, ``at_least_m`` says whether they reach m, and
    ``share_lo``/``share_hi`` and ``p_at_least_m`` come from resampling the years (seeded; ``n_boot=0``: none).
    Several draws (a projection): ``bottom_years`` is the expected count, ``p_at_least_m`` the share of paths
    with at least m, ``lo``/``hi`` its Wilson interval at ``level``, and ``p_ever`` the share of paths with any.
    """
    p = as_panel(results)
    low, n, m = _counts(p, bottom, m)
    count = low.sum(axis=1)  # (D, U)
    units = p.data.units
    out = pd.DataFrame({"unit": units["unit"], "name": units["name"], "group": units["group"], "years": n, "m": m})
    if p.sampled or p.draws > 1:
        prob = (count >= m).mean(axis=0)
        lo, hi = wilson(prob, p.draws, level)
        out["p_at_least_m"], out["lo"], out["hi"] = prob, lo, hi
        out["expected_bottom_years"] = out["bottom_years"] = count.mean(axis=0)
        out["share"] = out["bottom_years"] / n
        out["p_ever"] = (count > 0).mean(axis=0)
        return out
    years_in = count[0]
    out["bottom_years"], out["share"] = years_in, years_in / n
    if n_boot > 0:
        boot = _draws_of(low, n_boot, seed, p.sampled)
        lo, hi = np.percentile(boot / n, [50 * (1 - level), 50 * (1 + level)], axis=0)
        p_m = (boot >= m).mean(axis=0)
    else:
        lo = hi = p_m = np.full(len(years_in), np.nan)
    out["share_lo"], out["share_hi"] = lo, hi
    out["at_least_m"], out["p_at_least_m"] = years_in >= m, p_m
    return out


def group_persistence(results: Any, size: str | None = None, *, m: int | None = None, bottom: Any = None,
                      smallest: float = 1 / 3, n_boot: int = 1000, seed: int = 0,
                      level: float = 0.9) -> pd.DataFrame:
    """Per group: units at the bottom in at least ``m`` of ``n`` years, and (with ``size``) how the group's
    smallest third fares: its mean share of years at the bottom and the share of it stuck there.

    The smallest third is the ``ceil(smallest·n)`` smallest units by size in the panel's last year (as
    observed; the last observed year for a projection).  One history: counts, with intervals from resampling
    the years.  Several draws: expected counts and ``p_someone_stuck`` (the share of paths in which some unit
    of the group is stuck) with its Wilson interval; ``smallest_p_stuck`` is the mean share of the smallest
    third stuck, with the quantile interval over paths.
    """
    p = as_panel(results)
    low, n, m = _counts(p, bottom, m)
    size_arr = sizes(p, size, observed=True) if size is not None else None
    groups = sized_groups(p, size_arr) if size is not None else list(p.plan.group_names)
    draws = _draws_of(low, n_boot, seed, p.sampled)  # (B, U): paths, or resampled histories
    stuck_now = low.sum(axis=1) >= m  # (D, U)
    names = p.data.units["name"].to_numpy()
    rows = []
    for g in groups:
        cols = complete(p, g, size_arr)
        stuck = stuck_now[:, cols]
        row: dict[str, Any] = {"group": g, "units": len(cols), "years": n, "m": m}
        row["units_stuck"] = float(stuck.sum(axis=1).mean()) if p.sampled or p.draws > 1 else int(stuck.sum())
        row["share_stuck"] = float(stuck.mean())
        row["share_stuck_lo"], row["share_stuck_hi"] = percentiles((draws[:, cols] >= m).mean(axis=1), level)
        if p.sampled or p.draws > 1:
            p_any = float(stuck.any(axis=1).mean())
            lo, hi = wilson(p_any, p.draws, level)
            row.update(p_someone_stuck=p_any, lo=float(lo), hi=float(hi), expected_stuck_units=row["units_stuck"])
        if size_arr is not None:
            small = smallest_mask(size_arr[0, -1, cols], smallest)
            row["smallest_units"] = ", ".join(names[cols[small]])
            row["smallest_share"] = float(low[:, :, cols[small]].mean())
            row["smallest_share_lo"], row["smallest_share_hi"] = percentiles(
                draws[:, cols[small]].mean(axis=1) / n, level)
            share = (draws[:, cols[small]] >= m).mean(axis=1)
            row["smallest_stuck"] = float(stuck[:, small].mean())
            row["smallest_stuck_lo"], row["smallest_stuck_hi"] = percentiles(share, level)
            if p.sampled or p.draws > 1:
                row["smallest_p_stuck"] = row["smallest_stuck"]
                row["smallest_lo"], row["smallest_hi"] = row["smallest_stuck_lo"], row["smallest_stuck_hi"]
        rows.append(row)
    return pd.DataFrame(rows)


def persistence_difference(a: Any, b: Any, units: Sequence[str], m: int | None = None, bottom: Any = None,
                           n_boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """For some units: P(bottom ≥ m of n years) under ``a`` and ``b`` (two projections, or their results) and
    the difference b − a, with a paired bootstrap over paths (the same path numbers are resampled for both)."""
    pa, pb = (as_panel(getattr(x, "result", x)) for x in (a, b))
    low_a, _, m_a = _counts(pa, bottom, m)
    low_b = bottom_of(pb, bottom)
    k = min(pa.draws, pb.draws)
    idx = np.random.default_rng(seed).integers(0, k, size=(n_boot, k))
    rows = []
    for u in units:
        ia, ib = unit_index(pa, u), unit_index(pb, u)
        sa = (low_a[:k, :, ia].sum(axis=1) >= m_a).astype(float)
        sb = (low_b[:k, :, ib].sum(axis=1) >= m_a).astype(float)
        diff = sb[idx].mean(axis=1) - sa[idx].mean(axis=1)
        lo, hi = np.quantile(diff, [0.5 * (1 - level), 0.5 * (1 + level)])
        rows.append({"unit": pa.data.units["unit"].iat[ia], "name": pa.data.units["name"].iat[ia], "m": m_a,
                     "p_a": float((low_a[:, :, ia].sum(axis=1) >= m_a).mean()),
                     "p_b": float((low_b[:, :, ib].sum(axis=1) >= m_a).mean()),
                     "difference": float(sb.mean() - sa.mean()), "lo": float(lo), "hi": float(hi)})
    return pd.DataFrame(rows)


def unit_index(result: Result, unit: str) -> int:
    """Position of a unit (id or name) in the data's units; a clear error naming the choices if unknown."""
    u = result.data.units
    hit = np.flatnonzero((u["unit"] == unit) | (u["name"] == unit))
    if not len(hit):
        raise SimkitError(Problem(result.data.source, f"{unit!r} is not a unit of the projection",
                                  "give a unit id or name from the units table", field="unit"))
    return int(hit[0])
