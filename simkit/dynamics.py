"""Projections over years (动态模拟): random growth paths, targets that follow the scenario's own rule, and
who ends up where, year after year.

``project(scenario, data, years=10, paths=1000, seed=0)`` continues every unit's indicators past the last
observed year and evaluates each projected year with the scenario, for all paths at once:

- **Growth.**  ``x_t = x_{t−1} · exp(μ + σ·ε + c_t)`` per unit and indicator, with ε standard normal.  The drift
  μ and volatility σ are the mean and standard deviation (ddof 1) of the unit's own log growth,
  ``log(x_t / x_{t−1})``, over the observed years (``estimate_growth``), unless set by the user (a number, a
  mapping by indicator or by (unit, indicator), or a table).  ``c_t`` is an optional shock common to every
  unit and indicator: a standard deviation (a random shock per path and year) or a fixed list of log shocks
  per year (e.g. a recession in year 3).  Percentages and 0–100 scores are kept within [0, 100].
- **Targets.**  Each year the engine's own leaf stage runs on the simulated history, so targets follow the
  scenario's rule exactly as in an evaluation: the 3-year baseline, a ratchet with its own λ up and λ down
  (``reform_ratchet.yaml``), a decomposed (cascaded) city target, ...  Assigned targets (下达目标) do not
  exist for future years: the last one grows at the unit's drift (``assigned="drift"``) or stays
  (``"last"``) — a stated assumption.
- **Behaviour** (off by default; each one an explicit, labelled assumption, listed in
  ``Projection.assumptions``): ``EffortResponse`` — effort (log growth) falls by ``drop`` in a year whose
  target has ratcheted up; ``HoldBack`` — a unit that would complete more than the cap of its target holds its
  value back to the cap, as there is no credit above it and more would raise next year's target.
- **Outputs** (``Projection``): rank, grade, score and payout per path, year and unit; their distributions
  (``rank_summary``, ``rank_distribution``, ``grade_probabilities``, ``payout_summary``), bottom persistence
  (``bottom_persistence``, ``group_persistence``), and target paths of tracked indicators (``target_paths``).

The work is vectorised over paths (blocks of ``CHUNK`` paths, each with its own random stream derived from
``seed`` and the block number); only the years are looped.  The same seed gives the same numbers.  Projected
years have no bonus points, deductions or table vetoes (the adjustments table has no future rows); vetoes by
indicator conditions still apply.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from .data import Dataset, load_data
from .engine import (
    LeafStage,
    Model,
    RankStage,
    TotalStage,
    compile_model,
    leaf_stage,
    rank_stage,
    total_stage,
    years_read,
)
from .errors import Problem, SimkitError
from .fairness import bottom_mask, default_bottom_grades, default_m, kendall, smallest_mask, spearman
from .payouts import money_stage
from .scenario import Scenario
from .scoring import Completion
from .targets import AssignedTarget

#: Paths per block; each block draws from its own stream, so results depend only on the seed and the path.
CHUNK = 500

#: Measure units kept within [0, 100] (percentages and 100-point scores).
BOUNDED_UNITS: dict[str, tuple[float, float]] = {"%": (0.0, 100.0), "分": (0.0, 100.0)}


# ============================================================================== behavioural assumptions
@dataclass(frozen=True)
class EffortResponse:
    """ASSUMPTION (off unless given): effort falls when the target ratchets up (the ratchet effect).

    In a year whose target for an indicator is higher, in the indicator's good direction, than last year's
    target by more than ``threshold`` (relative), the unit's log growth on that indicator is lowered by
    ``drop`` (0.01 = about one percentage point of growth).
    """

    drop: float = 0.01
    threshold: float = 0.0

    def describe(self) -> tuple[str, str]:
        return (f"假设：目标上调的年份，努力下降——该指标增速降低约 {self.drop:.1%}"
                f"（目标上调超过 {self.threshold:.0%} 时）",
                f"Assumption: effort falls when the target ratchets up — log growth lower by {self.drop:g} in a "
                f"year whose target rose by more than {self.threshold:.0%}")


@dataclass(frozen=True)
class HoldBack:
    """ASSUMPTION (off unless given): units ahead of target hold back near a cap (threshold effect).

    A unit whose value would give a completion ratio above ``cap`` (default: the indicator's own scoring cap,
    for completion-scored indicators; a given ``cap`` applies to every indicator with a target) produces just
    enough to reach ``cap − margin``.  Completion is ``1 + d(m − q)/|q|`` (for lower-is-better indicators
    scored with ``lower: inverse``, ``q/m``); for a blend each measure is held to the cap.
    """

    cap: float | None = None
    margin: float = 0.0

    def describe(self) -> tuple[str, str]:
        cap = "计分上限" if self.cap is None else f"{self.cap:g}"
        cap_en = "the scoring cap" if self.cap is None else f"{self.cap:g}"
        less = f"减 {self.margin:g}" if self.margin else ""
        less_en = f" less {self.margin:g}" if self.margin else ""
        return (f"假设：超额单位留有余力——完成率将超过{cap}时，只完成到{cap}{less}",
                f"Assumption: units ahead of target hold back — completion is held to {cap_en}{less_en} when it "
                "would exceed it")


Behaviour = EffortResponse | HoldBack


# ======================================================================================== growth model
def estimate_growth(data: Dataset, leaves: Sequence[str] | None = None) -> pd.DataFrame:
    """Drift and volatility of each unit's log growth, from its own observed history.

    One row per unit and leaf with at least one growth observation: unit, name, indicator, drift (mean of
    ``log(x_t/x_{t−1})``), volatility (its standard deviation, ddof 1; 0 with a single observation), n.

    >>> g = estimate_growth(load_data(), ["gdp"])
    >>> round(float(g.loc[g["unit"] == "HS", "drift"].iat[0]), 4)  # log(350.12 / 183.14) / 7
    0.0926
    """
    leaves = list(leaves or data.leaves)
    cube = data.cube[:, [data.leaves.index(lf) for lf in leaves], :]
    mu, sd, n = _log_growth(cube)
    uu, ll = np.nonzero(n > 0)
    return pd.DataFrame({
        "unit": np.asarray(data.unit_ids)[uu], "name": data.units["name"].to_numpy()[uu],
        "indicator": np.asarray(leaves)[ll], "drift": mu[uu, ll], "volatility": sd[uu, ll], "n": n[uu, ll],
    })


def _log_growth(cube: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(cube > 0, cube, np.nan)
        lg = np.diff(np.log(pos), axis=-1)
    n = np.sum(~np.isnan(lg), axis=-1)
    total = np.nansum(lg, axis=-1)
    mu = np.where(n > 0, total / np.maximum(n, 1), 0.0)
    dev = np.where(np.isnan(lg), 0.0, lg - mu[..., None])
    sd = np.where(n > 1, np.sqrt((dev**2).sum(axis=-1) / np.maximum(n - 1, 1)), 0.0)
    return mu, sd, n


def _override(base: np.ndarray, value: Any, units: tuple[str, ...], leaves: tuple[str, ...], what: str) -> np.ndarray:
    """Apply a user setting for drift or volatility: a number, {indicator: v}, {(unit, indicator): v} or a table."""
    if value is None:
        return base
    out = base.copy()
    if isinstance(value, int | float):
        out[:] = float(value)
        return out
    if isinstance(value, pd.DataFrame):
        if not {"unit", "indicator", what} <= set(value.columns):
            raise SimkitError(Problem("dynamics", f"the {what} table needs columns unit, indicator and {what}",
                                      f"give a DataFrame with columns unit, indicator, {what}", field=what))
        value = {(u, i): v for u, i, v in zip(value["unit"], value["indicator"], value[what], strict=True)}
    if not isinstance(value, Mapping):
        raise SimkitError(Problem("dynamics", f"{what} must be a number, a mapping or a table",
                                  f"e.g. {what}=0.08, or {{'gdp': 0.08}}", field=what))
    problems = []
    for key, v in value.items():
        unit, leaf = key if isinstance(key, tuple) else (None, key)
        if leaf not in leaves or (unit is not None and unit not in units):
            problems.append(Problem("dynamics", f"{what} is set for {key!r}, which is not a unit and indicator "
                                    "of this scenario", "use indicator ids (and unit ids) of the data", field=what))
            continue
        li = leaves.index(leaf)
        if unit is None:
            out[:, li] = float(v)
        else:
            out[units.index(unit), li] = float(v)
    if problems:
        raise SimkitError(problems)
    return out


def subset_units(data: Dataset, keep: Sequence[str]) -> Dataset:
    """The data of some units only: ``keep`` names unit ids or groups."""
    u = data.units
    sel = u["unit"].isin(keep) | u["group"].isin(keep)
    if not sel.any():
        raise SimkitError(Problem(data.source, f"none of {', '.join(map(str, keep))} is a unit or group of the data",
                                  "name unit ids or group names from the units table", field="units"))
    ids = set(u.loc[sel, "unit"])

    def only(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["unit"].isin(ids)].reset_index(drop=True)

    return Dataset(u[sel].reset_index(drop=True), data.indicators, only(data.observations), only(data.targets),
                   only(data.adjustments), source=data.source, synthetic=data.synthetic)


# ============================================================================================= results
@dataclass(frozen=True)
class Tracked:
    """One tracked indicator's simulated values and, per measure, measured value, target and share."""

    indicator: str
    value: np.ndarray  # (P, Y, U)
    measured: dict[str, np.ndarray]  # measure -> (P, Y, U)
    target: dict[str, np.ndarray]  # measure -> (P, Y, U)
    share: np.ndarray  # (P, Y, U) blended share
    observed: np.ndarray  # (U, T0) observed values
    observed_target: dict[str, np.ndarray]  # measure -> (U, T0), NaN where the year cannot be evaluated


@dataclass(frozen=True)
class Projection:
    """The outcome of ``project``: per path, projected year and unit."""

    scenario: Scenario
    data: Dataset
    model: Model = field(repr=False)
    years: tuple[int, ...]
    paths: int
    seed: int
    rank: np.ndarray = field(repr=False)  # (P, Y, U) float32, NaN = unranked
    grade: np.ndarray = field(repr=False)  # (P, Y, U) int8, 0 = best, -1 = none
    score: np.ndarray = field(repr=False)  # (P, Y, U)
    payout: np.ndarray | None = field(repr=False)  # (P, Y, U) yuan, unrounded
    base: np.ndarray | None = field(repr=False)  # (U,)
    tracked: dict[str, Tracked] = field(repr=False)
    growth: pd.DataFrame = field(repr=False)  # unit, indicator, drift, volatility, source
    assumptions: tuple[tuple[str, str], ...]  # (Chinese, English) labelled assumptions

    # -------------------------------------------------------------------------------- basic views
    @property
    def units(self) -> pd.DataFrame:
        return self.data.units[["unit", "name", "group"]].reset_index(drop=True)

    @property
    def grade_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.scenario.grading.grades)

    @property
    def group_codes(self) -> np.ndarray:
        return self.model.group_codes

    def _long(self, arrays: dict[str, np.ndarray]) -> pd.DataFrame:
        """(Y, U) arrays → one row per unit and year, units in the data's order."""
        y, u = len(self.years), len(self.model.group_codes)
        base = self.units.loc[np.tile(np.arange(u), y)].reset_index(drop=True)
        base.insert(3, "year", np.repeat(self.years, u))
        for k, v in arrays.items():
            base[k] = np.asarray(v).reshape(-1)
        return base

    def unit_index(self, unit: str) -> int:
        u = self.units
        hit = np.flatnonzero((u["unit"] == unit) | (u["name"] == unit))
        if not len(hit):
            raise SimkitError(Problem(self.data.source, f"{unit!r} is not a unit of the projection",
                                      "give a unit id or name from the units table", field="unit"))
        return int(hit[0])

    # -------------------------------------------------------------------------------- distributions
    def rank_summary(self, level: float = 0.9) -> pd.DataFrame:
        """Per unit and year: mean and median rank, the ``level`` interval, P(first), P(last)."""
        r = self.rank.astype(float)
        q = np.nanquantile(r, [0.5, 0.5 * (1 - level), 0.5 * (1 + level)], axis=0)
        n = self._group_size()
        return self._long({"mean_rank": np.nanmean(r, axis=0), "median_rank": q[0], "rank_lo": q[1], "rank_hi": q[2],
                           "p_first": (r == 1).mean(axis=0), "p_last": (r == n).mean(axis=0)})

    def _group_size(self) -> np.ndarray:
        """(P, Y, U) number of ranked units in each unit's group."""
        out = np.zeros(self.rank.shape)
        for g in np.unique(self.group_codes):
            sel = self.group_codes == g
            out[..., sel] = np.sum(~np.isnan(self.rank[..., sel]), axis=-1, keepdims=True)
        return out

    def rank_distribution(self) -> pd.DataFrame:
        """Probability of each rank per unit and year (rows: unit, name, group, year, rank, probability)."""
        r = np.nan_to_num(self.rank, nan=0).astype(int)
        top = int(r.max())
        counts = np.stack([(r == k).mean(axis=0) for k in range(1, top + 1)], axis=-1)  # (Y, U, K)
        frames = []
        for k in range(top):
            f = self._long({"probability": counts[..., k]})
            f.insert(4, "rank", k + 1)
            frames.append(f[f["probability"] > 0])
        return pd.concat(frames).sort_values(["year", "unit", "rank"], kind="stable").reset_index(drop=True)

    def grade_probabilities(self) -> pd.DataFrame:
        """Probability of each grade per unit and year: one column per grade."""
        return self._long({g: (self.grade == k).mean(axis=0) for k, g in enumerate(self.grade_names)})

    def payout_summary(self, per: str = "unit", level: float = 0.9) -> pd.DataFrame:
        """Per unit and year: mean payout and its ``level`` interval (``per="base"``: ÷ bonus base)."""
        if self.payout is None:
            raise SimkitError(Problem(self.scenario.name, "the scenario pays no bonus", "add consequences.bonus"))
        x = self.payout.astype(float) / (self.base if per == "base" else 1.0)
        q = np.quantile(x, [0.5, 0.5 * (1 - level), 0.5 * (1 + level)], axis=0)
        return self._long({"mean": x.mean(axis=0), "median": q[0], "lo": q[1], "hi": q[2]})

    # -------------------------------------------------------------------------------- the bottom
    def bottom(self, bottom: Any = None) -> np.ndarray:
        """(P, Y, U) True where the unit is in the bottom tier (see ``fairness.bottom_mask``)."""
        return bottom_mask(self.rank, self.grade, self.group_codes, self.grade_names, bottom,
                           default_bottom_grades(self.scenario)) & ~np.isnan(self.rank)

    def bottom_persistence(self, m: int | None = None, bottom: Any = None, level: float = 0.9) -> pd.DataFrame:
        """Per unit: the probability of being in the bottom tier in at least ``m`` of the projected years.

        ``m`` defaults to half the years (``ceil(n/2)``).  ``lo``/``hi``: the Wilson score interval at ``level``
        over the paths.  Also the expected number of bottom years and the probability of ever being there.
        """
        low = self.bottom(bottom)
        n = len(self.years)
        m = default_m(n) if m is None else int(m)
        count = low.sum(axis=1)  # (P, U)
        p = (count >= m).mean(axis=0)
        lo, hi = wilson(p, self.paths, level)
        out = self.units.copy()
        out["years"], out["m"] = n, m
        out["p_at_least_m"], out["lo"], out["hi"] = p, lo, hi
        out["expected_bottom_years"] = count.mean(axis=0)
        out["p_ever"] = (count > 0).mean(axis=0)
        return out

    def group_persistence(self, size: str | None = None, m: int | None = None, bottom: Any = None,
                          smallest: float = 1 / 3, level: float = 0.9) -> pd.DataFrame:
        """Per group: P(some unit is stuck at the bottom ≥ m of n years), the expected number of such units,
        and with ``size`` the mean probability for the group's smallest third (by size in the last observed
        year), with Wilson intervals over paths."""
        low = self.bottom(bottom)
        n = len(self.years)
        m = default_m(n) if m is None else int(m)
        stuck = low.sum(axis=1) >= m  # (P, U)
        sizes = self._observed_size(size) if size is not None else None
        rows = []
        for gi, g in enumerate(self.model.group_names):
            cols = np.flatnonzero(self.group_codes == gi)
            p_any = float(stuck[:, cols].any(axis=1).mean())
            lo, hi = wilson(p_any, self.paths, level)
            row: dict[str, Any] = {"group": g, "units": len(cols), "years": n, "m": m, "p_someone_stuck": p_any,
                                   "lo": float(lo), "hi": float(hi),
                                   "expected_stuck_units": float(stuck[:, cols].sum(axis=1).mean())}
            if sizes is not None:
                s = sizes[cols]
                if np.isfinite(s).sum() < 3:
                    continue
                small = smallest_mask(np.where(np.isfinite(s), s, np.inf), smallest)
                share = stuck[:, cols[small]].mean(axis=1)  # per path: share of the smallest third stuck
                row["smallest_units"] = ", ".join(self.units["name"].to_numpy()[cols[small]])
                row["smallest_p_stuck"] = float(share.mean())
                row["smallest_lo"], row["smallest_hi"] = (float(v) for v in np.quantile(
                    share, [0.5 * (1 - level), 0.5 * (1 + level)]))
            rows.append(row)
        return pd.DataFrame(rows)

    def _observed_size(self, size: str) -> np.ndarray:
        d = self.data
        if size in d.attributes:
            return d.units[size].to_numpy(dtype=float)
        if size in d.leaves:
            return d.value(size, d.years[-1]).to_numpy(dtype=float)
        raise SimkitError(Problem(d.source, f"{size!r} is neither a unit attribute nor a leaf indicator",
                                  "use an attribute or an indicator id", field="size"))

    def size_correlation(self, size: str, level: float = 0.9) -> pd.DataFrame:
        """Per group with sizes and year: Spearman ρ and Kendall τ of rank with size over paths (mean, interval).

        A size that is a tracked indicator uses its simulated value; otherwise the last observed size.
        """
        if size in self.tracked:
            sz = self.tracked[size].value.astype(float)
        else:
            sz = np.broadcast_to(self._observed_size(size), self.rank.shape)
        rows = []
        for gi, g in enumerate(self.model.group_names):
            cols = np.flatnonzero(self.group_codes == gi)
            if len(cols) < 3 or not np.isfinite(sz[..., cols]).all():
                continue
            r = self.rank[..., cols].astype(float)
            rho, tau = spearman(r, -sz[..., cols]), kendall(r, -sz[..., cols])  # (P, Y)
            for k, y in enumerate(self.years):
                qr = np.nanquantile(rho[:, k], [0.5 * (1 - level), 0.5 * (1 + level)])
                qt = np.nanquantile(tau[:, k], [0.5 * (1 - level), 0.5 * (1 + level)])
                rows.append({"group": g, "year": y, "spearman": float(np.nanmean(rho[:, k])),
                             "spearman_lo": qr[0], "spearman_hi": qr[1], "kendall": float(np.nanmean(tau[:, k])),
                             "kendall_lo": qt[0], "kendall_hi": qt[1]})
        return pd.DataFrame(rows)

    # -------------------------------------------------------------------------------- targets
    def target_paths(self, indicator: str, measure: str | None = None, level: float = 0.9) -> pd.DataFrame:
        """Observed and projected values and targets of a tracked indicator, per unit and year.

        Columns: unit, name, group, year, projected (bool), value, value_lo, value_hi, target, target_lo,
        target_hi (mean and ``level`` interval over paths; observed years have no interval).  The value is in
        the measured quantity (level, increment or growth rate) of ``measure`` (default: the first one).
        """
        tr = self._tracked(indicator)
        measure = measure or next(iter(tr.target))
        if measure not in tr.target:
            raise SimkitError(Problem(self.scenario.name, f"{indicator!r} is not measured as {measure!r}",
                                      f"use one of {', '.join(tr.target)}", field="measure"))
        from .measures import MEASURES

        obs_m = MEASURES[measure](tr.observed)[0]
        qs = [0.5 * (1 - level), 0.5 * (1 + level)]
        applies = self.model.tree.applicable[:, self.model.tree.leaves.index(indicator)]
        units = self.units[applies]
        frames = []
        for k, y in enumerate(self.model.data.years):
            f = units.copy()
            f["year"], f["projected"] = y, False
            f["value"], f["target"] = obs_m[applies, k], tr.observed_target[measure][applies, k]
            frames.append(f)
        m, q = tr.measured[measure][:, :, applies], tr.target[measure][:, :, applies]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a unit without a target in some year
            mq, qq = np.nanquantile(m, qs, axis=0), np.nanquantile(q, qs, axis=0)
            m_mean, q_mean = np.nanmean(m, axis=0), np.nanmean(q, axis=0)
        for k, y in enumerate(self.years):
            f = units.copy()
            f["year"], f["projected"] = y, True
            f["value"], f["value_lo"], f["value_hi"] = m_mean[k], mq[0, k], mq[1, k]
            f["target"], f["target_lo"], f["target_hi"] = q_mean[k], qq[0, k], qq[1, k]
            frames.append(f)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["unit", "year"], kind="stable").reset_index(drop=True)

    def completion(self, indicator: str, measure: str | None = None) -> np.ndarray:
        """(P, Y, U) completion ratios ``1 + d(m − q)/|q|`` of a tracked indicator's measure."""
        tr = self._tracked(indicator)
        measure = measure or next(iter(tr.target))
        d = self.model.direction[self.model.tree.leaves.index(indicator)]
        m, q = tr.measured[measure].astype(float), tr.target[measure].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 + d * (m - q) / np.abs(q)

    def _tracked(self, indicator: str) -> Tracked:
        if indicator not in self.tracked:
            raise SimkitError(Problem(self.scenario.name, f"{indicator!r} was not tracked in this projection",
                                      f"project(..., track=[{indicator!r}])", field="track"))
        return self.tracked[indicator]

    @cached_property
    def assumptions_table(self) -> pd.DataFrame:
        return pd.DataFrame(self.assumptions, columns=["假设", "assumption"])


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


# ============================================================================================ projecting
@dataclass(frozen=True)
class _Part:
    """A compiled sub-model for the units of one track, and where its units and leaves sit in the full model."""

    model: Model
    units: np.ndarray  # indices into the full model's units
    leaves: np.ndarray  # indices into the full model's leaves
    eps: np.ndarray  # (u, l) column of each cell in the draws of applicable cells, −1 where not applicable


def project(scenario: Scenario, data: Dataset | None = None, *, years: int = 10, paths: int = 1000, seed: int = 0,
            drift: Any = None, volatility: Any = None, common_shock: float | Sequence[float] = 0.0,
            behaviour: Sequence[Behaviour] = (), bounds: Mapping[str, tuple[float, float]] | None = None,
            track: Sequence[str] | None = None, assigned: Literal["drift", "last"] = "drift",
            units: Sequence[str] | None = None, split: bool = True) -> Projection:
    """Project ``years`` years past the data's last year over ``paths`` random paths (see the module text).

    ``units``: only these unit ids or groups (a smaller, faster projection; payouts scaled to a pool then
    share it among them only).  ``track``: indicators whose values and targets are kept per path (default
    ``gdp`` if the scenario scores it, else its first indicator).  ``split``: evaluate each track (区县市,
    市直单位, ...) with its own leaves, which gives the same numbers faster.

    >>> import simkit
    >>> p = project(simkit.load_scenario("yiyang_2018_reform"), years=2, paths=20, seed=1, units=["区县市"])
    >>> p.rank.shape, p.years
    ((20, 2, 8), (2019, 2020))
    """
    data = load_data() if data is None else data
    if units is not None:
        data = subset_units(data, units)
    if years < 1 or paths < 1:
        raise SimkitError(Problem("dynamics", "years and paths must be at least 1", "e.g. years=10, paths=1000"))
    model = compile_model(scenario, data, data.years[-1])
    tree = model.tree
    leaves = tree.leaves
    uids = data.unit_ids
    n_u, n_l, t0 = model.values.shape
    n_t = t0 + years
    proj_years = tuple(data.years[-1] + k for k in range(1, years + 1))

    # Growth parameters: estimated from each unit's own history, then the user's settings.
    mu0, sd0, _ = _log_growth(model.values)
    mu = _override(mu0, drift, uids, leaves, "drift")
    sd = _override(sd0, volatility, uids, leaves, "volatility")
    if (sd < 0).any():
        raise SimkitError(Problem("dynamics", "a volatility is negative", "give volatilities of 0 or more",
                                  field="volatility"))
    app = tree.applicable
    mu, sd = np.where(app, mu, 0.0), np.where(app, sd, 0.0)
    lo_b, hi_b = _bounds(data, leaves, model.values, bounds)

    # Common shock: a standard deviation, or fixed log shocks per projected year.
    if np.ndim(common_shock) == 0:
        shock_sd, shock_path = float(common_shock), np.zeros(years)
    else:
        shock_path = np.asarray(common_shock, dtype=float)
        shock_sd = 0.0
        if shock_path.shape != (years,):
            raise SimkitError(Problem("dynamics", f"common_shock has {shock_path.size} values for {years} years",
                                      "give one log shock per projected year, or a standard deviation",
                                      field="common_shock"))

    # Assigned targets for projected years.
    asg = np.full((n_u, n_l, n_t), np.nan)
    asg[..., :t0] = model.assigned
    has_assigned = any(isinstance(rs.rule.target, AssignedTarget) for rs in model.rule_sets)
    if has_assigned:
        last = _last_valid(model.assigned)
        steps = np.arange(1, years + 1)
        grow = np.exp(mu[..., None] * steps) if assigned == "drift" else np.ones(years)
        asg[..., t0:] = np.clip(last[..., None] * grow, lo_b[None, :, None], hi_b[None, :, None])

    track = list(track) if track is not None else (["gdp"] if "gdp" in leaves else [leaves[0]])
    for ind in track:
        if ind not in leaves:
            raise SimkitError(Problem(scenario.name, f"tracked indicator {ind!r} is not scored by this scenario",
                                      "track indicators the scenario scores", field="track"))
    effort = next((b for b in behaviour if isinstance(b, EffortResponse)), None)
    hold = next((b for b in behaviour if isinstance(b, HoldBack)), None)

    cells_of, n_cells = _cell_columns(data, model)
    parts = _split(scenario, data, model, cells_of) if split else [
        _Part(model, np.arange(n_u), np.arange(n_l), cells_of)]

    # Outputs.
    shape = (paths, years, n_u)
    rank = np.full(shape, np.nan, dtype=np.float32)
    grade = np.full(shape, -1, dtype=np.int8)
    score = np.full(shape, np.nan)
    pays = scenario.consequences.bonus is not None
    payout = np.full(shape, np.nan) if pays else None
    tr_val = {i: np.full(shape, np.nan) for i in track}
    tr_s = {i: np.full(shape, np.nan) for i in track}
    tr_m: dict[str, dict[str, np.ndarray]] = {i: {} for i in track}
    tr_q: dict[str, dict[str, np.ndarray]] = {i: {} for i in track}
    obs_targets: dict[str, np.ndarray] = {}
    last_q: list[dict[str, np.ndarray]] = []
    for part in parts:
        got, lq = _observed_targets(part.model, asg[np.ix_(part.units, part.leaves)][..., :t0])
        for name, q in got.items():
            obs_targets.setdefault(name, np.full((n_u, n_l, t0), np.nan))[np.ix_(part.units, part.leaves)] = q
        last_q.append(lq)
    base = None
    part_assigned = [asg[np.ix_(p.units, p.leaves)] for p in parts]
    backs = [years_read(p.model) for p in parts]
    models = [p.model for p in parts]

    for c0 in range(0, paths, CHUNK):
        b = min(CHUNK, paths - c0)
        sl = slice(c0, c0 + b)
        block = c0 // CHUNK
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, block)))
        crng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))
        # History per part as a list of (b, u, l) arrays, one per year; observed years are broadcast views.
        hists = [[np.broadcast_to(p.model.values[..., j], (b, *p.model.values.shape[:2])) for j in range(t0)]
                 for p in parts]
        prev_qs = [{k: np.broadcast_to(v, (b, *v.shape)) for k, v in lq.items()} for lq in last_q]
        shares: list[list[np.ndarray]] = [[] for _ in parts]
        values: list[list[np.ndarray]] = [[] for _ in parts]
        m_last: list[Model] = list(models)
        for y in range(years):
            t = t0 + y
            eps = rng.standard_normal((b, n_cells))
            c = shock_path[y] + (shock_sd * crng.standard_normal(b) if shock_sd > 0 else 0.0)
            c = np.reshape(c, (-1, 1, 1))
            for k, (part, hist) in enumerate(zip(parts, hists, strict=True)):
                cells = np.ix_(part.units, part.leaves)
                e = np.where(part.eps >= 0, eps[:, part.eps], 0.0)
                g = mu[cells] + sd[cells] * e + c
                lo, hi = lo_b[part.leaves], hi_b[part.leaves]
                prev_x = hist[t - 1]
                hist.append(np.clip(prev_x * np.exp(g), lo, hi))
                w0 = 0 if backs[k] is None else max(0, t - backs[k])
                n_pu = len(part.units)
                m_t = replace(part.model, t=t - w0, year=proj_years[y], values=None,
                              assigned=part_assigned[k][..., w0 : t + 1], bonus=np.zeros(n_pu),
                              deduction=np.zeros(n_pu), veto_table=np.zeros(n_pu, dtype=bool),
                              veto_reason=("",) * n_pu)
                window = np.stack(hist[w0 : t + 1], axis=-1)
                m_t = replace(m_t, values=window[0])
                leaf = leaf_stage(m_t, window)
                if effort is not None or hold is not None:
                    x = hist[t]
                    if effort is not None:
                        rose = _ratcheted_up(m_t, leaf, prev_qs[k], effort.threshold)
                        x = np.clip(prev_x * np.exp(g - effort.drop * rose), lo, hi)
                    if hold is not None:
                        x = _hold_back(m_t, leaf, prev_x, x, hold)
                    hist[t] = x
                    window[..., -1] = x
                    leaf = leaf_stage(m_t, window)
                prev_qs[k] = {name: p[2] for name, p in leaf.parts.items()}
                shares[k].append(leaf.share)
                values[k].append(leaf.value)
                m_last[k] = m_t
                cols = part.units
                for ind in track:
                    li = leaves.index(ind)
                    hit = np.flatnonzero(part.leaves == li)
                    if not len(hit):
                        continue
                    pl = int(hit[0])
                    tr_val[ind][sl, y, cols] = hist[t][..., pl]
                    tr_s[ind][sl, y, cols] = leaf.share[..., pl]
                    for name, (w, mm, qq, _) in leaf.parts.items():
                        if w[pl] == 0:
                            continue
                        if name not in tr_m[ind]:
                            tr_m[ind][name] = np.full(shape, np.nan)
                            tr_q[ind][name] = np.full(shape, np.nan)
                        tr_m[ind][name][sl, y, cols] = mm[..., pl]
                        tr_q[ind][name][sl, y, cols] = qq[..., pl]
        # Totals, ranks, grades and money for every year of the block at once (years folded into the batch).
        nb = years * b
        final = np.full((nb, n_u), np.nan)
        vetoed = np.zeros((nb, n_u), dtype=bool)
        r_rank, r_lo, r_hi = (np.full((nb, n_u), np.nan) for _ in range(3))
        r_grade = np.full((nb, n_u), -1)
        for k, part in enumerate(parts):
            leaf = LeafStage(np.concatenate(values[k]), {}, np.concatenate(shares[k]))
            totals = total_stage(m_last[k], leaf)
            ranks = rank_stage(m_last[k], totals)
            cols = part.units
            final[:, cols], vetoed[:, cols] = totals.final, totals.vetoed
            r_rank[:, cols], r_lo[:, cols], r_hi[:, cols] = ranks.rank, ranks.rank_lo, ranks.rank_hi
            r_grade[:, cols] = ranks.grade
        yb = (years, b, n_u)
        rank[sl] = r_rank.reshape(yb).swapaxes(0, 1)
        grade[sl] = r_grade.reshape(yb).swapaxes(0, 1)
        score[sl] = final.reshape(yb).swapaxes(0, 1)
        if pays:
            totals = TotalStage(None, None, final, None, None, vetoed, final)  # type: ignore[arg-type]
            money = money_stage(model, totals, RankStage(r_rank, r_lo, r_hi, r_grade))
            payout[sl] = money.payout.reshape(yb).swapaxes(0, 1)
            base = money.base

    tracked = {}
    for ind in track:
        li = leaves.index(ind)
        tracked[ind] = Tracked(ind, tr_val[ind], tr_m[ind], tr_q[ind], tr_s[ind], model.values[:, li, :],
                               {k: v[:, li, :] for k, v in obs_targets.items() if k in tr_m[ind]})
    growth = _growth_table(data, model, mu, sd, mu0, sd0)
    notes = [
        ("增长：各单位各指标按自身历史对数增速的均值与标准差随机增长（合成数据）",
         "Growth: each unit's indicators grow at the mean and sd of their own historical log growth"),
    ]
    if drift is not None or volatility is not None:
        notes.append(("增速或波动率由用户设定", "Drift or volatility set by the user"))
    if shock_sd > 0 or shock_path.any():
        notes.append((f"共同冲击：标准差 {shock_sd:g}，固定路径 {shock_path.round(3).tolist()}",
                      f"Common shock: sd {shock_sd:g}, fixed log shocks {shock_path.round(3).tolist()}"))
    if has_assigned:
        notes.append(("预测年份的下达目标：" + ("按本单位增速增长" if assigned == "drift" else "保持最后一年"),
                      "Assigned targets in projected years: " + ("grow at the unit's drift" if assigned == "drift"
                                                                 else "stay at the last year's")))
    notes += [b.describe() for b in behaviour]
    return Projection(scenario, data, model, proj_years, paths, seed, rank, grade, score, payout, base, tracked,
                      growth, tuple(notes))


def _cell_columns(data: Dataset, model: Model) -> tuple[np.ndarray, int]:
    """Where each (unit, scored leaf) cell takes its random draw: a column among the data's applicable cells.

    The layout depends on the data only (every unit × leaf that applies to the unit's track, in row-major
    order), so two scenarios projected on the same data with the same seed see the same growth paths: their
    differences are paired (common random numbers).  −1 where the leaf does not apply to the unit.
    """
    from .data import ALL_TRACKS

    tracks = data.indicators.set_index("indicator").loc[list(data.leaves), "track"].to_numpy()
    unit_track = data.units["track"].to_numpy()
    app = (tracks[None, :] == ALL_TRACKS) | (tracks[None, :] == unit_track[:, None])
    cols = np.full(app.shape, -1)
    cols[app] = np.arange(int(app.sum()))
    out = cols[:, model.tree.leaf_data_index]
    return np.where(model.tree.applicable, out, -1), int(app.sum())


def _split(scenario: Scenario, data: Dataset, model: Model, cols: np.ndarray) -> list[_Part]:
    """One sub-model per track with only the leaves that apply to it; the whole model when groups span tracks."""
    units = data.units
    tracks = list(dict.fromkeys(units["track"]))
    whole = [_Part(model, np.arange(len(units)), np.arange(model.tree.n_leaves), cols)]
    if len(tracks) < 2 or units.groupby("group")["track"].nunique().max() > 1:
        return whole
    app = model.tree.applicable
    ind = data.indicators
    parent_of = {i: p for i, p in zip(ind["indicator"], ind["parent"], strict=True) if isinstance(p, str)}
    doc = scenario.to_dict()
    parts = []
    for tr in tracks:
        rows = np.flatnonzero(units["track"].to_numpy() == tr)
        lf = np.flatnonzero(app[rows].any(axis=0))
        keep = set()
        for name in (model.tree.leaves[k] for k in lf):
            while name is not None:
                keep.add(name)
                name = parent_of.get(name)
        sub_ind = ind[ind["indicator"].isin(keep)].reset_index(drop=True)
        ids = set(units["unit"].iloc[rows])
        sub = Dataset(units.iloc[rows].reset_index(drop=True), sub_ind,
                      *(f[f["unit"].isin(ids) & (f["indicator"].isin(keep) if "indicator" in f else True)]
                        .reset_index(drop=True) for f in (data.observations, data.targets)),
                      data.adjustments[data.adjustments["unit"].isin(ids)].reset_index(drop=True),
                      source=data.source, synthetic=data.synthetic)
        d = {**doc, "indicators": {k: v for k, v in doc.get("indicators", {}).items() if k in keep}}
        w = dict(d.get("weights", {}))
        w["values"] = {k: v for k, v in w.get("values", {}).items() if k in keep}
        d["weights"] = w
        agg = dict(d.get("aggregation", {}))
        agg["by_node"] = {k: v for k, v in agg.get("by_node", {}).items() if k in keep}
        d["aggregation"] = agg
        rk = dict(d.get("ranking", {}))
        rk["tie_break"] = [n for n in rk.get("tie_break", []) if n in keep]
        d["ranking"] = rk
        adj = dict(d.get("adjustments", {}))
        veto = dict(adj.get("veto", {}))
        veto["conditions"] = [c for c in veto.get("conditions", []) if c["indicator"] in keep]
        adj["veto"] = veto
        d["adjustments"] = adj
        try:
            sub_model = compile_model(Scenario.model_validate(d), sub, data.years[-1])
        except (SimkitError, ValueError):
            return whole
        leaf_idx = np.array([model.tree.leaves.index(n) for n in sub_model.tree.leaves])
        parts.append(_Part(sub_model, rows, leaf_idx, cols[np.ix_(rows, leaf_idx)]))
    if sum(len(p.units) for p in parts) != len(units):
        return whole
    return parts


# ---------------------------------------------------------------------------------------------- helpers
def _bounds(data: Dataset, leaves: tuple[str, ...], values: np.ndarray,
            user: Mapping[str, tuple[float, float]] | None) -> tuple[np.ndarray, np.ndarray]:
    ind = data.indicators.set_index("indicator")
    lo = np.full(len(leaves), 0.0)
    hi = np.full(len(leaves), np.inf)
    for k, lf in enumerate(leaves):
        unit = ind.at[lf, "measure_unit"]
        if unit in BOUNDED_UNITS:
            lo[k], hi[k] = BOUNDED_UNITS[unit]
            observed = np.nanmax(values[:, k, :]) if np.isfinite(values[:, k, :]).any() else 0.0
            hi[k] = max(hi[k], observed)
    for lf, (a, b) in (user or {}).items():
        if lf not in leaves:
            raise SimkitError(Problem("dynamics", f"bounds are set for {lf!r}, which this scenario does not score",
                                      "use indicator ids of the scenario", field="bounds"))
        k = leaves.index(lf)
        lo[k] = -np.inf if a is None else a
        hi[k] = np.inf if b is None else b
    return lo, hi


def _last_valid(a: np.ndarray) -> np.ndarray:
    """The last non-NaN value along the last axis (NaN if none)."""
    ok = ~np.isnan(a)
    idx = np.where(ok.any(axis=-1), a.shape[-1] - 1 - np.argmax(ok[..., ::-1], axis=-1), 0)
    out = np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]
    return np.where(ok.any(axis=-1), out, np.nan)


def _observed_targets(model: Model, assigned: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Targets per measure in every observed year that can be evaluated: (U, L, T0) each, NaN elsewhere;
    and the last observed year's targets (U, L) for the effort response."""
    n_u, n_l, t0 = model.values.shape
    out: dict[str, np.ndarray] = {}
    last: dict[str, np.ndarray] = {}
    for t in range(t0):
        m_t = replace(model, t=t, assigned=assigned)
        try:
            leaf = leaf_stage(m_t, model.values[None])
        except SimkitError:
            continue
        for name, (_, _, q, _) in leaf.parts.items():
            out.setdefault(name, np.full((n_u, n_l, t0), np.nan))[..., t] = q[0]
            if t == t0 - 1:
                last[name] = q[0]
    return out, last


def _ratcheted_up(model: Model, leaf: LeafStage, prev_q: dict[str, np.ndarray], threshold: float) -> np.ndarray:
    """(B, U, L) True where any measure's target rose in the good direction by more than ``threshold``."""
    d = model.direction
    rose = np.zeros(leaf.share.shape, dtype=bool)
    for name, (w, _, q, _) in leaf.parts.items():
        if name not in prev_q:
            continue
        p = prev_q[name]
        with np.errstate(invalid="ignore"):
            up = (d * (q - p) > threshold * np.abs(p)) & (w > 0)
        rose |= np.nan_to_num(up, nan=False).astype(bool)
    return rose


def _hold_back(model: Model, leaf: LeafStage, prev_x: np.ndarray, x: np.ndarray, hold: HoldBack) -> np.ndarray:
    """Values held back so that no measure's completion ratio exceeds the cap (see ``HoldBack``)."""
    d = model.direction  # (L,)
    bound_hi = np.full(x.shape, np.inf)  # for higher-is-better leaves: x ≤ bound_hi
    bound_lo = np.full(x.shape, -np.inf)  # for lower-is-better leaves: x ≥ bound_lo
    for rs in model.rule_sets:
        sc = rs.rule.scoring
        if hold.cap is None and not isinstance(sc, Completion):
            continue
        cap = (hold.cap if hold.cap is not None else sc.cap) - hold.margin
        idx = rs.leaves
        inverse = isinstance(sc, Completion) and sc.lower == "inverse"
        for name in rs.rule.measures:
            q = leaf.parts[name][2][..., idx]
            di = d[idx]
            with np.errstate(invalid="ignore", divide="ignore"):
                m_cap = q + di * (cap - 1.0) * np.abs(q)
                if inverse:
                    m_cap = np.where((di < 0) & (q > 0), q / cap, m_cap)
                px = prev_x[..., idx]
                if name == "level":
                    xb = m_cap
                elif name == "increment":
                    xb = px + m_cap
                else:
                    xb = px * (1.0 + m_cap)
            xb = np.where(np.isnan(xb), np.where(di > 0, np.inf, -np.inf), xb)
            up = di > 0
            bound_hi[..., idx] = np.where(up, np.minimum(bound_hi[..., idx], xb), bound_hi[..., idx])
            bound_lo[..., idx] = np.where(~up, np.maximum(bound_lo[..., idx], xb), bound_lo[..., idx])
    return np.maximum(np.minimum(x, bound_hi), bound_lo)


def _growth_table(data: Dataset, model: Model, mu: np.ndarray, sd: np.ndarray, mu0: np.ndarray,
                  sd0: np.ndarray) -> pd.DataFrame:
    uu, ll = np.nonzero(model.tree.applicable)
    leaves = np.asarray(model.tree.leaves)
    return pd.DataFrame({
        "unit": np.asarray(data.unit_ids)[uu], "name": data.units["name"].to_numpy()[uu], "indicator": leaves[ll],
        "drift": mu[uu, ll], "volatility": sd[uu, ll],
        "source": np.where((mu[uu, ll] == mu0[uu, ll]) & (sd[uu, ll] == sd0[uu, ll]), "estimated", "user"),
    })


def persistence_difference(a: Projection, b: Projection, units: Sequence[str], m: int | None = None, bottom: Any = None,
                    n_boot: int = 1000, seed: int = 0, level: float = 0.9) -> pd.DataFrame:
    """For some units: P(bottom ≥ m of n years) under ``a`` and ``b`` and the difference b − a, with a paired
    bootstrap over paths (the same path numbers are resampled for both)."""
    m_a = default_m(len(a.years)) if m is None else m
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, min(a.paths, b.paths), size=(n_boot, min(a.paths, b.paths)))
    rows = []
    for u in units:
        ia, ib = a.unit_index(u), b.unit_index(u)
        sa = (a.bottom(bottom)[:, :, ia].sum(axis=1) >= m_a).astype(float)
        sb = (b.bottom(bottom)[:, :, ib].sum(axis=1) >= m_a).astype(float)
        n = min(len(sa), len(sb))
        diff = sb[:n][idx].mean(axis=1) - sa[:n][idx].mean(axis=1)
        lo, hi = np.quantile(diff, [0.5 * (1 - level), 0.5 * (1 + level)])
        rows.append({"unit": a.units["unit"].iat[ia], "name": a.units["name"].iat[ia], "m": m_a,
                     "p_a": float(sa.mean()), "p_b": float(sb.mean()),
                     "difference": float(sb[:n].mean() - sa[:n].mean()),
                     "lo": float(lo), "hi": float(hi)})
    return pd.DataFrame(rows)
