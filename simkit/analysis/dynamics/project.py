"""``project`` and its outcome, ``Projection``: random growth paths past the last observed year, each projected
year evaluated with the scenario, and who ends up where, year after year.

The projection is one ``engine.result.Result`` (``draw`` = paths, ``year`` = projected years) plus the tracked
indicators' values and targets per path, the growth table, the stated assumptions (structured records; their
wording for people is in ``simkit.present.assumptions``) and the cells some rule could not score on some paths
(``issues``).  The statistics are the analyses' own: persistence, fairness, and rank and grade counts.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from ...engine.compile import Plan, check_year, compile_plan, inputs_of
from ...engine.evaluate import evaluate_history
from ...engine.result import Result, as_panel
from ...engine.stages import LookBackStart
from ...errors import Problem, SimkitError
from ...io.dataset import Dataset
from ...rules.measures import MEASURES
from ...rules.scoring import completion_ratio
from ...schema.scenario import Scenario
from .. import persistence as _persistence
from ..fairness import rank_size_correlation
from ..outcomes import bottom_of
from ..stats import group_sums, rank_counts, summarise_counts, value_counts
from .behaviour import Behaviour, EffortResponse, HoldBack
from .growth import BLOCK, AssignedTargets, Block, extend_assigned, growth_model
from .paths import (
    Setup,
    chunks,
    default_memory,
    evaluate_chunk,
    last_targets,
    make_parts,
    observed_targets,
    per_path_bytes,
    projected_inputs,
)
from .store import PathStore


# ======================================================================================== assumptions
@dataclass(frozen=True)
class NoAdjustments:
    """Projected years have no bonus or deduction points and no table vetoes (vetoes by condition apply)."""


@dataclass(frozen=True)
class LadderStart:
    """The look-back continues from the last observed year (``year``; None: it could not be evaluated, so the
    first projected year has no year before it)."""

    year: int | None


@dataclass(frozen=True)
class LeftOut:
    """Some cells could not be scored on some paths and were left out (as missing): ``cells`` (path, year,
    unit, indicator) in ``paths`` paths; see ``Projection.issues``."""

    cells: int
    paths: int


# ============================================================================================ outcome
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
    """The outcome of ``project``: ``result`` (draw = path, year = projected year), the tracked indicators,
    the growth table, the assumptions and the cells left out (``issues``).

    >>> import simkit
    >>> p = project(simkit.load_scenario("yiyang_2018_reform"), years=3, paths=50, seed=2, units=["区县市"])
    >>> p.paths, p.years[-1], len(p.issues)
    (50, 2021, 0)
    >>> b = p.bottom_persistence().set_index("name")
    >>> bool(0 <= b.loc["大通湖区", "p_at_least_m"] <= 1), list(p.rank_summary().columns)[4:6]
    (True, ['mean_rank', 'median_rank'])
    """

    result: Result = field(repr=False)
    seed: int
    tracked: dict[str, Tracked] = field(repr=False)
    growth: pd.DataFrame = field(repr=False)  # unit, name, indicator, drift, volatility, source
    assumptions: tuple[Any, ...]
    issues: pd.DataFrame = field(repr=False)  # paths, year, unit, name, indicator, measure, kind, message

    # -------------------------------------------------------------------------------- basic views
    @property
    def scenario(self) -> Scenario:
        return self.result.scenario

    @property
    def data(self) -> Dataset:
        return self.result.data

    @property
    def plan(self) -> Plan:
        return self.result.plan

    @property
    def years(self) -> tuple[int, ...]:
        return self.result.years

    @property
    def paths(self) -> int:
        return self.result.draws

    @property
    def rank(self) -> np.ndarray:
        """(P, Y, U) float32, NaN = unranked."""
        return self.result["rank"]

    @property
    def grade(self) -> np.ndarray:
        """(P, Y, U) int8, 0 = best, −1 = none."""
        return self.result["grade"]

    @property
    def score(self) -> np.ndarray:
        return self.result["score"]

    @property
    def payout(self) -> np.ndarray | None:
        """(P, Y, U) yuan, unrounded; None when the scenario pays no bonus."""
        return self.result.variables.get("payout")

    @property
    def base(self) -> np.ndarray | None:
        return self.result.variables.get("bonus_base")

    @property
    def units(self) -> pd.DataFrame:
        return self.data.units[["unit", "name", "group"]].reset_index(drop=True)

    @property
    def grade_names(self) -> tuple[str, ...]:
        return self.result.grade_names

    @property
    def group_codes(self) -> np.ndarray:
        return self.plan.group_codes

    def unit_index(self, unit: str) -> int:
        """Position of a unit (id or name)."""
        return _persistence.unit_index(self.result, unit)

    def _long(self, arrays: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """(Y, U) arrays → one row per year and unit, units in the data's order."""
        y, u = len(self.years), len(self.group_codes)
        out = self.units.loc[np.tile(np.arange(u), y)].reset_index(drop=True)
        out.insert(3, "year", np.repeat(self.years, u))
        for k, v in arrays.items():
            out[k] = np.asarray(v).reshape(-1)
        return out

    # -------------------------------------------------------------------------------- distributions
    @cached_property
    def _rank_counts(self) -> np.ndarray:
        """(Y, U, R + 1) how many paths give each rank (index 0: unranked)."""
        top = int(np.nanmax(self.rank)) if np.isfinite(self.rank).any() else 0
        return rank_counts(self.rank, top)

    def rank_summary(self, level: float = 0.9) -> pd.DataFrame:
        """Per unit and year: mean and median rank, the ``level`` interval (type 7), P(first), P(last)."""
        s = summarise_counts(self._rank_counts, level)
        codes = self.group_codes
        ranked = group_sums(~np.isnan(self.rank), codes)[..., codes]  # ranked units of the group, per path
        return self._long({"mean_rank": s["mean"], "median_rank": s["median"], "rank_lo": s["lo"],
                           "rank_hi": s["hi"], "p_first": s["p_first"], "p_last": (self.rank == ranked).mean(axis=0)})

    def rank_distribution(self) -> pd.DataFrame:
        """Probability of each rank per unit and year (rows: unit, name, group, year, rank, probability)."""
        counts = self._rank_counts[..., 1:] / self.paths
        frames = []
        for k in range(counts.shape[-1]):
            f = self._long({"probability": counts[..., k]})
            f.insert(4, "rank", k + 1)
            frames.append(f[f["probability"] > 0])
        return pd.concat(frames).sort_values(["year", "unit", "rank"], kind="stable").reset_index(drop=True)

    def grade_probabilities(self) -> pd.DataFrame:
        """Probability of each grade per unit and year: one column per grade."""
        counts = value_counts(self.grade.astype(np.int64) + 1, len(self.grade_names) + 1) / self.paths
        return self._long({g: counts[..., k + 1] for k, g in enumerate(self.grade_names)})

    def payout_summary(self, per: str = "unit", level: float = 0.9) -> pd.DataFrame:
        """Per unit and year: mean payout (unrounded) and its ``level`` interval (``per="base"``: ÷ bonus base)."""
        if self.payout is None or self.base is None:
            raise SimkitError(Problem(self.scenario.name, "the scenario pays no bonus", "add consequences.bonus"))
        x = self.payout.astype(float) / (self.base if per == "base" else 1.0)
        q = np.quantile(x, [0.5, 0.5 * (1 - level), 0.5 * (1 + level)], axis=0)
        return self._long({"mean": x.mean(axis=0), "median": q[0], "lo": q[1], "hi": q[2]})

    # -------------------------------------------------------------------------------- the bottom
    def bottom(self, bottom: Any = None) -> np.ndarray:
        """(P, Y, U) True where the unit is in the bottom tier (see ``analysis.outcomes.bottom_mask``)."""
        return bottom_of(self.result, bottom)

    def bottom_persistence(self, m: int | None = None, bottom: Any = None, level: float = 0.9) -> pd.DataFrame:
        """Per unit: P(in the bottom tier in at least ``m`` of the projected years) with its Wilson interval,
        the expected number of bottom years and P(ever); see ``analysis.persistence.bottom_persistence``."""
        return _persistence.bottom_persistence(self.result, m=m, bottom=bottom, level=level)

    def group_persistence(self, size: str | None = None, m: int | None = None, bottom: Any = None,
                          smallest: float = 1 / 3, level: float = 0.9) -> pd.DataFrame:
        """Per group: P(some unit is stuck at the bottom ≥ m of n years) and, with ``size``, how the smallest
        third (by the last observed size) fares; see ``analysis.persistence.group_persistence``."""
        return _persistence.group_persistence(self.result, size, m=m, bottom=bottom, smallest=smallest,
                                              level=level)

    def size_correlation(self, size: str, level: float = 0.9) -> pd.DataFrame:
        """Per group with sizes and year: Spearman ρ and Kendall τ of rank with size over paths (mean, interval).

        A size that is a tracked indicator uses its simulated value; otherwise the last observed size.
        """
        values = self.tracked[size].value if size in self.tracked else None
        return rank_size_correlation(self.result, size, level=level, size_values=values)

    # -------------------------------------------------------------------------------- targets
    def target_paths(self, indicator: str, measure: str | None = None, level: float = 0.9) -> pd.DataFrame:
        """Observed and projected values and targets of a tracked indicator, per unit and year.

        Columns: unit, name, group, year, projected (bool), value, value_lo, value_hi, target, target_lo,
        target_hi (mean and ``level`` interval over paths; observed years have no interval).  The value is in
        the measured quantity (level, increment or growth rate) of ``measure`` (default: the first one).
        """
        tr = self._tracked(indicator)
        measure = self._measure(tr, measure)
        obs_m = MEASURES[measure](tr.observed)[0]
        qs = [0.5 * (1 - level), 0.5 * (1 + level)]
        applies = self.plan.tree.applicable[:, self.plan.tree.leaves.index(indicator)]
        units = self.units[applies]
        frames = []
        for k, y in enumerate(self.data.years):
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
        measure = self._measure(tr, measure)
        d = self.plan.direction[self.plan.tree.leaves.index(indicator)]
        return completion_ratio(tr.measured[measure], tr.target[measure], d, lower="gap")

    def _measure(self, tr: Tracked, measure: str | None) -> str:
        measure = measure or next(iter(tr.target))
        if measure not in tr.target:
            raise SimkitError(Problem(self.scenario.name, f"{tr.indicator!r} is not measured as {measure!r}",
                                      f"use one of {', '.join(tr.target)}", field="measure"))
        return measure

    def _tracked(self, indicator: str) -> Tracked:
        if indicator not in self.tracked:
            raise SimkitError(Problem(self.scenario.name, f"{indicator!r} was not tracked in this projection",
                                      f"project(..., track=[{indicator!r}])", field="track"))
        return self.tracked[indicator]


# ========================================================================================= projecting
@dataclass(frozen=True)
class Options:
    """The settings of one projection (``project``'s keywords)."""

    years: int = 10
    paths: int = 1000
    seed: int = 0
    drift: Any = None
    volatility: Any = None
    common_shock: float | tuple[float, ...] = 0.0
    behaviour: tuple[Behaviour, ...] = ()
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None
    track: tuple[str, ...] | None = None
    assigned: Literal["drift", "last"] = "drift"
    split: bool = True
    memory: int | None = None


def project(scenario: Scenario, data: Dataset | None = None, *, years: int = 10, paths: int = 1000, seed: int = 0,
            drift: Any = None, volatility: Any = None, common_shock: float | Sequence[float] = 0.0,
            behaviour: Sequence[Behaviour] = (), bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
            track: Sequence[str] | None = None, assigned: Literal["drift", "last"] = "drift",
            units: Sequence[str] | None = None, split: bool = True, memory: int | None = None) -> Projection:
    """Project ``years`` years past the data's last year over ``paths`` random paths.

    Growth: ``x_t = x_{t−1} · exp(μ + σ·ε + c_t)`` per unit and indicator, μ and σ the mean and sd of the unit's
    own log growth (``estimate_growth``) unless set (``drift``, ``volatility``: a number, a mapping by
    indicator or by (unit, indicator), or a table); ``common_shock`` a standard deviation or one fixed log
    shock per year; ``bounds`` ``{leaf: (lo, hi)}`` (percentages and scores stay within [0, 100]).  Targets
    follow the scenario's own rule on the simulated history; assigned targets of projected years grow at the
    unit's drift (``assigned="drift"``) or stay (``"last"``).  ``behaviour``: ``EffortResponse``, ``HoldBack``.
    ``units``: only these unit ids or groups.  ``track``: indicators whose values and targets are kept per path
    (default ``gdp`` if scored, else the first leaf).  ``split``: evaluate each track with its own leaves (the
    same numbers, faster).  ``memory``: bytes of working memory (default ``paths.default_memory()``); it
    decides how many paths are evaluated at once, and an outcome larger than it is kept in a temporary file,
    memory-mapped (``store.PathStore``), never the numbers.  The same seed gives the same numbers.

    >>> import simkit
    >>> p = project(simkit.load_scenario("yiyang_2018_reform"), years=2, paths=20, seed=1, units=["区县市"])
    >>> p.rank.shape, p.years
    ((20, 2, 8), (2019, 2020))
    """
    opts = Options(years, paths, seed, drift, volatility,
                   common_shock if np.ndim(common_shock) == 0 else tuple(common_shock),  # type: ignore[arg-type]
                   tuple(behaviour), bounds, None if track is None else tuple(track), assigned, split, memory)
    if data is None:
        from ...io.read import load_data

        data = load_data()
    if units is not None:
        data = data.subset_units(units)
    return _project(scenario, data, opts)


def _check(opts: Options, plan: Plan) -> tuple[str, ...]:
    """Problems with the options before anything runs; the tracked leaves."""
    if opts.years < 1 or opts.paths < 1:
        raise SimkitError(Problem("dynamics", "years and paths must be at least 1", "e.g. years=10, paths=1000"))
    if opts.assigned not in ("drift", "last"):
        raise SimkitError(Problem("dynamics", f"assigned={opts.assigned!r} is not a rule for assigned targets",
                                  "use assigned='drift' or assigned='last'", field="assigned"))
    unknown = [b for b in opts.behaviour if not isinstance(b, EffortResponse | HoldBack)]
    if unknown:
        raise SimkitError(Problem("dynamics", f"{unknown[0]!r} is not a behaviour", "give EffortResponse(...) or "
                                  "HoldBack(...)", field="behaviour"))
    leaves = plan.tree.leaves
    track = opts.track if opts.track is not None else (("gdp",) if "gdp" in leaves else (leaves[0],))
    for ind in track:
        if ind not in leaves:
            raise SimkitError(Problem(plan.scenario.name, f"tracked indicator {ind!r} is not scored by this scenario",
                                      "track indicators the scenario scores", field="track"))
    return tuple(dict.fromkeys(track))


def _start(scenario: Scenario, data: Dataset) -> tuple[LookBackStart | None, Any]:
    """The last observed year's ranks, scores and bottom streaks (for progress awards and the ladder), the
    totals of the years the smoothing reads (``ranking.smooth_years``) and the bottom flags the ladder's
    threshold reads (``accountability.require.in_last``)."""
    cons = scenario.consequences
    k = scenario.ranking.smooth_years
    if cons.progress is None and cons.accountability is None and k <= 1:
        return None, None
    try:
        last = evaluate_history(scenario, data).get(data.years[-1])
    except SimkitError:
        last = None
    if last is None:
        return None, LadderStart(None)
    panel = as_panel(last)
    streak = panel["bottom_years"][:, -1] if "bottom_years" in panel else np.zeros(panel["rank"].shape[-1], int)
    req = cons.accountability.require if cons.accountability is not None else None
    n = req.in_last.n if req is not None and req.in_last is not None else 1
    every = as_panel(last.history) if n > 1 or k > 1 else panel  # (1, years, U): every year evaluated
    recent = every["bottom_years"][:, -(n - 1):] > 0 if n > 1 and "bottom_years" in every else None
    scores = every["score"][:, -(k - 1):] if k > 1 else None
    return LookBackStart(panel["rank"][:, -1], panel["score"][:, -1], np.asarray(streak), recent=recent,
                         scores=scores), LadderStart(last.year)


def _project(scenario: Scenario, data: Dataset, opts: Options) -> Projection:
    plan = compile_plan(scenario, data)
    track = _check(opts, plan)
    obs = inputs_of(plan)
    t0 = len(data.years)
    check_year(plan, obs, t0 - 1, data.years[-1])  # a unit with nothing to score cannot be projected
    growth = growth_model(plan, opts.years, drift=opts.drift, volatility=opts.volatility,
                          common_shock=opts.common_shock, user_bounds=opts.bounds)
    has_assigned = any(rs.rule.target.rule == "assigned" for rs in plan.rule_sets)
    if has_assigned:
        asg = extend_assigned(obs.assigned, growth.mu, opts.years, opts.assigned, growth.lo, growth.hi)
    else:
        asg = np.concatenate([obs.assigned, np.full((*obs.assigned.shape[:2], opts.years), np.nan)], axis=-1)
    parts = make_parts(plan, asg, growth, opts.years, track, opts.split)
    observed = {k: observed_targets(p, t0) for k, p in enumerate(parts) if p.detail}
    track_map = _track_map(plan, parts, track)
    start, ladder = _start(scenario, data)
    setup = Setup(plan, parts, growth, t0, opts.years, opts.behaviour, start,
                  last_targets(parts, opts.behaviour, t0, observed), track_map)

    n_tracked = sum(2 + 2 * len(m) for _, m in track_map.values())
    per_path = per_path_bytes(plan, parts, opts.years, growth.n_cells, n_tracked, bool(opts.behaviour))
    got = _run(setup, opts, per_path, opts.memory if opts.memory is not None else default_memory())
    variables = got.variables
    if got.base is not None:
        variables["bonus_base"] = got.base

    proj_years = tuple(data.years[-1] + k for k in range(1, opts.years + 1))
    result = Result(plan, projected_inputs(plan, asg, opts.years), proj_years, variables,
                    budget_total=got.budget, focus=None, sampled=True)
    tracked = _tracked(plan, parts, track_map, got.tracked, observed, obs.values)
    issues = _issue_table(plan, proj_years, got.left_out)
    notes: list[Any] = list(growth.assumptions(opts.drift is not None, opts.volatility is not None,
                                               data.synthetic))
    if has_assigned:
        notes.append(AssignedTargets(opts.assigned))
    notes.append(NoAdjustments())
    if ladder is not None:
        notes.append(ladder)
    notes += list(opts.behaviour)
    if len(issues):
        notes.append(LeftOut(int(issues["paths"].sum()), got.affected))
    return Projection(result, opts.seed, tracked, growth.table(plan), tuple(notes), issues)


@dataclass
class _Collected:
    """Every chunk's outputs, put together: variables and tracked arrays over all paths, the cells left out
    (counted over paths), the paths with any, the money's base and budget, and whether the arrays over all paths
    were larger than the budget and so are kept in a temporary file (``store.PathStore``)."""

    variables: dict[str, np.ndarray] = field(default_factory=dict)
    tracked: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    left_out: dict[tuple, int] = field(default_factory=dict)
    affected: int = 0
    base: np.ndarray | None = None
    budget: float | None = None
    spilled: bool = False


def _run(setup: Setup, opts: Options, per_path: int, memory: int) -> _Collected:
    """Evaluate every chunk of paths within the memory budget and put their outputs together."""
    plan_chunks = chunks(opts.paths, per_path, memory)
    # A block split over chunks keeps its random numbers when they fit in a quarter of the budget (else it
    # runs through them twice); the chunks then share the rest.
    kept = Block.kept_bytes(opts.years, setup.growth.n_cells)
    keep = plan_chunks[0][0][2] < min(BLOCK, opts.paths) and kept <= memory // 4
    if keep:
        plan_chunks = chunks(opts.paths, per_path, memory - kept)
    blocks = {k: Block(opts.seed, k, min(BLOCK, opts.paths - k * BLOCK), opts.years, setup.growth.n_cells,
                       setup.growth.shock_sd, keep=keep) for k in range(-(-opts.paths // BLOCK))}
    got = _Collected()
    store = PathStore(opts.paths, memory)
    row = 0
    for segments in plan_chunks:
        out = evaluate_chunk(setup, blocks, segments)
        b = sum(stop - a for _, a, stop in segments)
        store.write({**out.variables, **{(ind, name): arr for ind, arrays in out.tracked.items()
                                         for name, arr in arrays.items()}}, row)
        got.affected += int(out.affected.sum())
        for *key, n in out.left_out:
            got.left_out[tuple(key)] = got.left_out.get(tuple(key), 0) + n
        if out.base is not None:
            got.base, got.budget = out.base, out.budget
        row += b
    for key, arr in store.finish().items():
        if isinstance(key, tuple):
            got.tracked.setdefault(key[0], {})[key[1]] = arr
        else:
            got.variables[key] = arr
    got.spilled = store.spilled
    return got


def _track_map(plan: Plan, parts, track: Sequence[str]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """For each tracked leaf: its part and its measures, in the order the scenario's rules first name them."""
    out = {}
    for ind in track:
        li = plan.tree.leaves.index(ind)
        k = next(k for k, p in enumerate(parts) if li in p.leaves)
        sub = parts[k].plan
        rule = next(rs.rule for rs in sub.rule_sets if sub.tree.leaves.index(ind) in rs.leaves)
        order = dict.fromkeys(m for rs in sub.rule_sets for m in rs.rule.measures)
        out[ind] = (k, tuple(m for m in order if rule.measures.get(m, 0) != 0))
    return out


def _tracked(plan: Plan, parts, track_map, arrays, observed, values) -> dict[str, Tracked]:
    """The tracked leaves' arrays, with their observed values and observed years' targets."""
    out = {}
    n_u, _, t0 = values.shape
    for ind, (k, measures) in track_map.items():
        a = arrays[ind]
        sub = parts[k].plan
        pl = sub.tree.leaves.index(ind)
        axis = [m for m in MEASURES if any(m in rs.rule.measures for rs in sub.rule_sets)]  # the leaf stage's
        obs_target = {}
        for name in measures:
            full = np.full((n_u, t0), np.nan)
            full[parts[k].units] = observed[k][0, :, :, pl, axis.index(name)].T
            obs_target[name] = full
        li = plan.tree.leaves.index(ind)
        out[ind] = Tracked(ind, a["value"], {n: a[f"measured.{n}"] for n in measures},
                           {n: a[f"target.{n}"] for n in measures}, a["share"], values[:, li, :], obs_target)
    return out


def _issue_table(plan: Plan, years: tuple[int, ...], left_out: Mapping[tuple, int]) -> pd.DataFrame:
    units = plan.data.units
    rows = [{"paths": n, "year": years[y], "unit": units["unit"].iat[u], "name": units["name"].iat[u],
             "indicator": leaf, "measure": measure, "kind": kind, "message": message}
            for (kind, measure, message, y, u, leaf), n in left_out.items()]
    cols = ["paths", "year", "unit", "name", "indicator", "measure", "kind", "message"]
    return pd.DataFrame(rows, columns=cols).sort_values(["year", "unit", "indicator"], kind="stable") \
        .reset_index(drop=True)
