"""Growth paths of a projection: drift and volatility per unit and indicator (estimated from each unit's own
history, or set by the user), bounds, a common shock, the assigned targets of projected years, and the
random stream that draws the paths.

``x_t = clip(x_{t−1} · exp(μ + σ·ε + c_t), lo, hi)`` per unit and indicator, ε standard normal.  The random
numbers come in fixed blocks of ``BLOCK`` paths: block ``k`` draws from ``SeedSequence(seed, spawn_key=(0, k))``
(``(1, k)`` for the common shock), year after year, ``standard_normal((BLOCK, n_cells))`` per year, one column
per cell of the data (``cell_columns``).  So a path's numbers depend only on the seed, its number and the data:
not on how many paths are evaluated at once, nor on the scenario (two scenarios see the same paths).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ...engine.compile import Plan
from ...errors import Problem, SimkitError
from ...io.dataset import Dataset

#: Paths per block of the random stream (fixed: changing it changes every number).
BLOCK = 500

#: Measure units kept within [0, 100] (percentages and 100-point scores).
BOUNDED_UNITS: dict[str, tuple[float, float]] = {"%": (0.0, 100.0), "分": (0.0, 100.0)}


# ======================================================================================== assumptions
@dataclass(frozen=True)
class OwnGrowth:
    """Each unit's indicators grow at the mean and sd of their own historical log growth (``synthetic``: the
    history is synthetic data)."""

    synthetic: bool = False


@dataclass(frozen=True)
class UserGrowth:
    """The user set the drift and/or the volatility of some cells."""

    drift: bool = False
    volatility: bool = False


@dataclass(frozen=True)
class CommonShock:
    """A log shock common to every unit and indicator: random (sd per path and year) and/or fixed per year."""

    sd: float
    path: tuple[float, ...]


@dataclass(frozen=True)
class AssignedTargets:
    """Assigned targets of projected years: the last one grows at the unit's drift, or stays."""

    rule: Literal["drift", "last"]


# ======================================================================================== estimation
def log_growth(cube: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard deviation (ddof 1; 0 with one observation) and count of ``log(x_t / x_{t−1})`` along
    the last axis, over positive values only."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(cube > 0, cube, np.nan)
        lg = np.diff(np.log(pos), axis=-1)
    n = np.sum(~np.isnan(lg), axis=-1)
    total = np.nansum(lg, axis=-1)
    mu = np.where(n > 0, total / np.maximum(n, 1), 0.0)
    dev = np.where(np.isnan(lg), 0.0, lg - mu[..., None])
    sd = np.where(n > 1, np.sqrt((dev**2).sum(axis=-1) / np.maximum(n - 1, 1)), 0.0)
    return mu, sd, n


def estimate_growth(data: Dataset, leaves: Sequence[str] | None = None) -> pd.DataFrame:
    """Drift and volatility of each unit's log growth, from its own observed history.

    One row per unit and leaf with at least one growth observation: unit, name, indicator, drift (mean of
    ``log(x_t/x_{t−1})``), volatility (its standard deviation, ddof 1; 0 with a single observation), n.

    >>> from simkit.io.read import load_data
    >>> g = estimate_growth(load_data(), ["gdp"])
    >>> round(float(g.loc[g["unit"] == "HS", "drift"].iat[0]), 4)  # log(350.12 / 183.14) / 7
    0.0926
    """
    leaves = list(leaves or data.leaves)
    cube = data.cube[:, [data.leaves.index(lf) for lf in leaves], :]
    mu, sd, n = log_growth(cube)
    uu, ll = np.nonzero(n > 0)
    return pd.DataFrame({
        "unit": np.asarray(data.unit_ids)[uu], "name": data.units["name"].to_numpy()[uu],
        "indicator": np.asarray(leaves)[ll], "drift": mu[uu, ll], "volatility": sd[uu, ll], "n": n[uu, ll],
    })


def override(base: np.ndarray, value: Any, units: Sequence[str], leaves: Sequence[str], what: str) -> np.ndarray:
    """A user setting of drift or volatility over ``base`` (U, L): a number, ``{indicator: v}``,
    ``{(unit, indicator): v}`` or a table with columns unit, indicator and ``what``.

    >>> override(np.zeros((2, 2)), {"b": 0.1, ("u1", "a"): 0.3}, ("u0", "u1"), ("a", "b"), "drift").tolist()
    [[0.0, 0.1], [0.3, 0.1]]
    """
    if value is None:
        return base
    out = base.copy()
    units, leaves = tuple(units), tuple(leaves)
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


def bounds(data: Dataset, leaves: Sequence[str], values: np.ndarray,
           user: Mapping[str, tuple[float | None, float | None]] | None) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound (L,) of every leaf: 0 and ∞, percentages and 100-point scores within [0, 100]
    (or the highest observed value, if above), then the user's ``{leaf: (lo, hi)}`` (None: unbounded)."""
    leaves = tuple(leaves)
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


def last_valid(a: np.ndarray) -> np.ndarray:
    """The last non-NaN value along the last axis (NaN if none).

    >>> last_valid(np.array([[1.0, 2.0, np.nan], [np.nan, np.nan, np.nan]])).tolist()
    [2.0, nan]
    """
    ok = ~np.isnan(a)
    idx = np.where(ok.any(axis=-1), a.shape[-1] - 1 - np.argmax(ok[..., ::-1], axis=-1), 0)
    out = np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]
    return np.where(ok.any(axis=-1), out, np.nan)


# ======================================================================================== the model
@dataclass(frozen=True)
class GrowthModel:
    """Everything that draws a path, for the plan's units × leaves: drift ``mu`` and volatility ``sd`` (U, L;
    0 where the leaf does not apply), the estimated ones (``mu0``, ``sd0``), bounds ``lo``/``hi`` (L,), the
    common shock (``shock_sd``, ``shock_path`` (Y,)), and each cell's column in the draws (``cells`` (U, L),
    −1: none) among ``n_cells``."""

    mu: np.ndarray
    sd: np.ndarray
    mu0: np.ndarray
    sd0: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    shock_sd: float
    shock_path: np.ndarray
    cells: np.ndarray
    n_cells: int

    def of(self, rows: np.ndarray, leaves: np.ndarray) -> CellGrowth:
        """The growth parameters of some units (``rows``) and leaves."""
        cells = np.ix_(rows, leaves)
        return CellGrowth(self.mu[cells], self.sd[cells], self.cells[cells], self.lo[leaves], self.hi[leaves])

    def table(self, plan: Plan) -> pd.DataFrame:
        """The drift/volatility table: unit, name, indicator, drift, volatility, source (estimated / user)."""
        data = plan.data
        uu, ll = np.nonzero(plan.tree.applicable)
        leaves = np.asarray(plan.tree.leaves)
        same = (self.mu[uu, ll] == self.mu0[uu, ll]) & (self.sd[uu, ll] == self.sd0[uu, ll])
        return pd.DataFrame({
            "unit": np.asarray(data.unit_ids)[uu], "name": data.units["name"].to_numpy()[uu],
            "indicator": leaves[ll], "drift": self.mu[uu, ll], "volatility": self.sd[uu, ll],
            "source": np.where(same, "estimated", "user"),
        })

    def assumptions(self, user_drift: bool, user_volatility: bool, synthetic: bool) -> tuple[Any, ...]:
        """The stated assumptions of this growth model."""
        out: list[Any] = [OwnGrowth(synthetic)]
        if user_drift or user_volatility:
            out.append(UserGrowth(user_drift, user_volatility))
        if self.shock_sd > 0 or self.shock_path.any():
            out.append(CommonShock(self.shock_sd, tuple(float(v) for v in self.shock_path)))
        return tuple(out)


def growth_model(plan: Plan, years: int, *, drift: Any = None, volatility: Any = None,
                 common_shock: float | Sequence[float] = 0.0,
                 user_bounds: Mapping[str, tuple[float | None, float | None]] | None = None) -> GrowthModel:
    """Estimate the growth of every cell of the plan from the data, then apply the user's settings.

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan
    >>> plan = compile_plan(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data())
    >>> g = growth_model(plan, 3, drift={"gdp": 0.05})
    >>> float(g.mu[0, plan.tree.leaves.index("gdp")]), g.n_cells > 0
    (0.05, True)
    """
    data, tree = plan.data, plan.tree
    values = data.cube[:, tree.leaf_data_index, :]
    mu0, sd0, _ = log_growth(values)
    mu = override(mu0, drift, data.unit_ids, tree.leaves, "drift")
    sd = override(sd0, volatility, data.unit_ids, tree.leaves, "volatility")
    if (sd < 0).any():
        raise SimkitError(Problem("dynamics", "a volatility is negative", "give volatilities of 0 or more",
                                  field="volatility"))
    app = tree.applicable
    mu, sd = np.where(app, mu, 0.0), np.where(app, sd, 0.0)
    lo, hi = bounds(data, tree.leaves, values, user_bounds)
    if np.ndim(common_shock) == 0:
        shock_sd, shock_path = float(common_shock), np.zeros(years)  # type: ignore[arg-type]
    else:
        shock_path = np.asarray(common_shock, dtype=float)
        shock_sd = 0.0
        if shock_path.shape != (years,):
            raise SimkitError(Problem("dynamics", f"common_shock has {shock_path.size} values for {years} years",
                                      "give one log shock per projected year, or a standard deviation",
                                      field="common_shock"))
    cells, n_cells = cell_columns(plan)
    return GrowthModel(mu, sd, np.where(app, mu0, 0.0), np.where(app, sd0, 0.0), lo, hi, shock_sd, shock_path,
                       cells, n_cells)


def cell_columns(plan: Plan) -> tuple[np.ndarray, int]:
    """Where each (unit, scored leaf) cell takes its random draw: a column among the data's applicable cells.

    The layout depends on the data only (every unit × leaf that applies to the unit's track, in row-major
    order), so two scenarios projected on the same data with the same seed see the same growth paths: their
    differences are paired (common random numbers).  −1 where the leaf does not apply to the unit.
    """
    app = plan.data.applicable
    cols = np.full(app.shape, -1)
    cols[app] = np.arange(int(app.sum()))
    out = cols[:, plan.tree.leaf_data_index]
    return np.where(plan.tree.applicable, out, -1), int(app.sum())


def extend_assigned(assigned: np.ndarray, mu: np.ndarray, years: int, rule: Literal["drift", "last"],
                    lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Assigned targets (U, L, T0) extended by ``years`` projected years: the last one grown at the unit's
    drift (``"drift"``) or kept (``"last"``), within the bounds.

    >>> extend_assigned(np.array([[[10.0, 20.0]]]), np.array([[np.log(1.1)]]), 2, "drift",
    ...                 np.array([0.0]), np.array([np.inf])).round(6).tolist()
    [[[10.0, 20.0, 22.0, 24.2]]]
    """
    u, n_l, t0 = assigned.shape
    out = np.full((u, n_l, t0 + years), np.nan)
    out[..., :t0] = assigned
    last = last_valid(assigned)
    steps = np.arange(1, years + 1)
    grow = np.exp(mu[..., None] * steps) if rule == "drift" else np.ones(years)
    out[..., t0:] = np.clip(last[..., None] * grow, lo[None, :, None], hi[None, :, None])
    return out


# ==================================================================================== random stream
class Block:
    """The random numbers of one block of paths, handed out to consecutive row ranges (chunks) of it.

    A chunk that is the whole block draws year after year as the block does.  Smaller chunks need each year's
    stream to start where the previous chunk stopped: with ``keep`` the first of them draws the whole block
    and keeps it (``years × size × n_cells`` numbers); otherwise it runs through the block once, remembering
    the generator's state at the start of every year, and each chunk continues each year's stream from there.
    Every chunking gives the same numbers.
    """

    def __init__(self, seed: int, block: int, size: int, years: int, n_cells: int, shock_sd: float, *,
                 keep: bool = False) -> None:
        self.rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, block)))
        self.size, self.years, self.n_cells, self.keep = size, years, n_cells, keep
        crng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))
        # One (size,) draw per year, in year order: the same numbers as drawing them year by year.
        self.shock = shock_sd * crng.standard_normal((years, size)) if shock_sd > 0 else None
        self._kept: list[np.ndarray] | None = None
        self._states: list[dict] | None = None
        self._row = 0

    @staticmethod
    def kept_bytes(years: int, n_cells: int) -> int:
        """Memory of a kept block."""
        return 8 * years * BLOCK * n_cells

    def draws(self, start: int, stop: int) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Per projected year: ε (rows, n_cells) and the random common shock (rows,) of rows start…stop−1."""
        if start != self._row:
            raise ValueError("chunks of a block must come in order")
        self._row = stop
        whole = (start, stop) == (0, self.size)
        if not whole and self.keep and self._kept is None:
            self._kept = [self.rng.standard_normal((self.size, self.n_cells)) for _ in range(self.years)]
        elif not whole and self._kept is None and self._states is None:
            self._states = []
            for _ in range(self.years):
                self._states.append(self.rng.bit_generator.state)
                self._skip(self.size)
        for y in range(self.years):
            shock = None if self.shock is None else self.shock[y, start:stop]
            if whole:
                yield self.rng.standard_normal((stop - start, self.n_cells)), shock
            elif self._kept is not None:
                yield self._kept[y][start:stop], shock
            else:
                self.rng.bit_generator.state = self._states[y]  # type: ignore[index]
                eps = self.rng.standard_normal((stop - start, self.n_cells))
                self._states[y] = self.rng.bit_generator.state  # type: ignore[index]
                yield eps, shock
        if stop == self.size:
            self._kept = self._states = None  # the block is done

    def _skip(self, rows: int) -> None:
        step = max(1, (1 << 20) // max(self.n_cells, 1))  # draw and drop in pieces of about 8 MB
        for a in range(0, rows, step):
            self.rng.standard_normal((min(step, rows - a), self.n_cells))


@dataclass(frozen=True)
class CellGrowth:
    """The growth parameters of some units × leaves (a part of the plan): drift, volatility, each cell's column
    in the draws (−1: none), and the leaves' bounds."""

    mu: np.ndarray  # (U, L)
    sd: np.ndarray  # (U, L)
    cells: np.ndarray  # (U, L)
    lo: np.ndarray  # (L,)
    hi: np.ndarray  # (L,)

    def step(self, prev: np.ndarray, eps: np.ndarray, shock: np.ndarray | float, out: np.ndarray) -> np.ndarray:
        """One year of growth of (rows, U, L) values into ``out``; returns the log growth ``g = μ + σ·ε + c``.

        >>> g = CellGrowth(np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1), int), np.zeros(1), np.full(1, np.inf))
        >>> out = np.empty((1, 1, 1))
        >>> _ = g.step(np.full((1, 1, 1), 100.0), np.array([[np.log(1.1)]]), 0.0, out)
        >>> round(float(out[0, 0, 0]), 6)
        110.0
        """
        g = eps[:, self.cells]  # a new array
        none = self.cells < 0
        if none.any():
            np.copyto(g, 0.0, where=none)
        # In place, in the order μ + σ·ε + c: the same digits as that expression.
        np.multiply(self.sd, g, out=g)
        np.add(self.mu, g, out=g)
        np.add(g, shock, out=g)
        x = np.exp(g)
        np.multiply(prev, x, out=x)
        np.maximum(x, self.lo, out=x)  # np.clip's numbers (NaN stays NaN), in less time
        np.minimum(x, self.hi, out=out)  # one write into ``out``, which may be a strided view
        return g
