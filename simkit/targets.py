"""Target rules (目标值确定规则).

A target rule turns the history of an indicator's measured quantity into this year's target for every
unit.  Each rule is a parameter model (what a scenario file says) and a pure function over arrays; the
registry ``TARGET_RULES`` maps the rule name to both, so a new rule is one model, one function and one
entry.

Every function has the signature ``fn(params, m, t, ctx) -> target`` where ``m`` is the measured series with
shape ``(..., units, years)``, ``t`` the index of the evaluation year, and the result has shape
``(..., units)``.  A target that cannot be computed (a year the baseline needs is missing) is NaN; the engine
turns NaN targets that a scoring rule needs into a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def uplifted(base: np.ndarray, uplift: float, add: float, direction: np.ndarray | float = 1.0) -> np.ndarray:
    """base + d·(|base|·uplift + add): the uplift always asks for more in the indicator's good direction d.

    A 5% uplift raises a growth baseline of −2% to −1.9%, and lowers a lower-is-better baseline of 40 to 38.

    >>> uplifted(np.array([100.0, -2.0]), 0.05, 0.0).tolist()
    [105.0, -1.9]
    >>> float(uplifted(np.array(40.0), 0.05, 0.0, -1.0))
    38.0
    """
    return base + direction * (np.abs(base) * uplift + add)


@dataclass(frozen=True)
class TargetContext:
    """What a target rule may look at besides the measured series."""

    assigned: np.ndarray  # (..., units, years) targets from the data's targets table, NaN where none
    group_codes: np.ndarray  # (units,) integer group of each unit
    direction: np.ndarray  # (..., 1): +1 higher is better, −1 lower is better, broadcast against (..., units)
    years: tuple[int, ...]


class NoTarget(_Rule):
    """No target: for scoring rules that only compare units (rank, min-max, z-score, ...)."""

    rule: Literal["none"] = "none"


class UniformTarget(_Rule):
    """The same target for every unit (统一目标)."""

    rule: Literal["uniform"] = "uniform"
    value: float = Field(description="The target, in the measured quantity's unit.")


class BaselineTarget(_Rule):
    """The average of the last ``years`` years with an uplift (近三年平均水平): q = b + d·(|b|·uplift + add).

    d is the indicator's direction, so the uplift always asks for better than the average.
    """

    rule: Literal["baseline"] = "baseline"
    years: int = Field(3, ge=1, le=20, description="How many previous years are averaged.")
    uplift: float = Field(0.0, ge=-1, le=10, description="Relative uplift on the average, e.g. 0.05 = +5%.")
    add: float = Field(0.0, description="Absolute amount added after the uplift (e.g. +0.01 on a growth rate).")
    min_years: int | None = Field(
        None, ge=1, description="Fewest years that must be present; default all `years` of them."
    )

    @model_validator(mode="after")
    def _check(self) -> BaselineTarget:
        if self.min_years is not None and self.min_years > self.years:
            raise ValueError(f"min_years ({self.min_years}) cannot exceed years ({self.years})")
        return self


class AssignedTarget(_Rule):
    """Targets assigned per unit by the functional departments: the data's ``targets`` table (下达目标)."""

    rule: Literal["assigned"] = "assigned"


class DecomposedTarget(_Rule):
    """The city's target split by each unit's share of the group total (市级目标按份额分解).

    The city target is either given (``city_target``) or the group's total last year grown by
    ``city_growth``.  Shares are each unit's share of the group total over the last ``share_years`` years.
    """

    rule: Literal["decomposed"] = "decomposed"
    city_target: float | None = Field(None, description="The target for the whole group, if set directly.")
    city_growth: float | None = Field(None, description="Growth of the group total over last year.")
    share_years: int = Field(1, ge=1, le=20, description="Years over which each unit's share is averaged.")

    @model_validator(mode="after")
    def _one_source(self) -> DecomposedTarget:
        if (self.city_target is None) == (self.city_growth is None):
            raise ValueError("give exactly one of city_target or city_growth")
        return self


class RatchetTarget(_Rule):
    """The ratchet (棘轮): q_{t+1} = q_t + λ (y_t − q_t), λ_up after a year better than target, λ_down after
    a worse one (better = higher, or lower for a lower-is-better indicator).

    The first target is the average of the ``start_years`` years before the first year with enough data
    (with the uplift), then the ratchet runs forward to the evaluation year.  Weitzman (1980); Leone & Rock
    (2002).
    """

    rule: Literal["ratchet"] = "ratchet"
    lambda_up: float = Field(0.5, ge=0, le=1, description="Adjustment speed after a result better than target.")
    lambda_down: float = Field(0.5, ge=0, le=1, description="Adjustment speed after a result worse than target.")
    start_years: int = Field(3, ge=1, le=20, description="Years averaged for the first target.")
    uplift: float = Field(0.0, ge=-1, le=10, description="Relative uplift on the first (baseline) target.")


def _none(p: NoTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    return np.full(m.shape[:-1], np.nan)


def _uniform(p: UniformTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    return np.full(m.shape[:-1], float(p.value))


def _baseline_mean(m: np.ndarray, t: int, years: int, min_years: int) -> np.ndarray:
    lo = t - years
    window = m[..., max(lo, 0) : t]
    have = np.sum(~np.isnan(window), axis=-1)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(window, axis=-1) / np.where(have > 0, have, 1)
    return np.where(have >= min_years, mean, np.nan)


def _baseline(p: BaselineTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    base = _baseline_mean(m, t, p.years, p.min_years or p.years)
    return uplifted(base, p.uplift, p.add, ctx.direction)


def _assigned(p: AssignedTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    return np.broadcast_to(ctx.assigned[..., t], m.shape[:-1]).copy()


def _group_sum(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum over each unit's group, broadcast back to units; x has shape (..., units)."""
    out = np.empty_like(x)
    for g in np.unique(codes):
        sel = codes == g
        out[..., sel] = np.sum(x[..., sel], axis=-1, keepdims=True)
    return out


def _decomposed(p: DecomposedTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    if t - p.share_years < 0:
        return np.full(m.shape[:-1], np.nan)
    past = np.mean(m[..., t - p.share_years : t], axis=-1)
    total = _group_sum(past, ctx.group_codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = past / total
    if p.city_target is not None:
        city = np.full(m.shape[:-1], float(p.city_target))
    else:
        city = _group_sum(m[..., t - 1], ctx.group_codes) * (1.0 + float(p.city_growth))
    return city * share


def ratchet_path(y: np.ndarray, q0: np.ndarray, lambda_up: float, lambda_down: float,
                 direction: np.ndarray | float = 1.0) -> np.ndarray:
    """Targets q_1..q_n from outcomes y_0..y_{n-1} and a first target q0; y has shape (..., n).

    λ_up applies after a result better than its target (in the indicator's direction), λ_down after a worse one.

    >>> ratchet_path(np.array([110.0, 90.0]), np.array(100.0), 0.5, 0.25)
    array([105.  , 101.25])
    """
    q = np.array(q0, dtype=float)
    out = np.empty(y.shape)
    for k in range(y.shape[-1]):
        q = _ratchet_step(q, y[..., k], lambda_up, lambda_down, direction)
        out[..., k] = q
    return out


def _ratchet_step(q: np.ndarray, y: np.ndarray, lambda_up: float, lambda_down: float,
                  direction: np.ndarray | float) -> np.ndarray:
    gap = y - q
    return q + np.where(direction * gap > 0, lambda_up, lambda_down) * gap


def _ratchet(p: RatchetTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    # Each cell starts from its own first full baseline window, then ratchets forward year by year.
    q = np.full(m.shape[:-1], np.nan)
    for k in range(p.start_years, t + 1):
        started = ~np.isnan(q)  # q holds the target of year k − 1 here
        q = np.where(started, _ratchet_step(q, m[..., k - 1], p.lambda_up, p.lambda_down, ctx.direction), q)
        window = m[..., k - p.start_years : k]
        ready = ~np.isnan(window).any(axis=-1) & ~started
        if ready.any():
            with np.errstate(invalid="ignore"):
                first = uplifted(np.mean(window, axis=-1), p.uplift, 0.0, ctx.direction)
            q = np.where(ready, first, q)
    return q


TargetFn = Callable[[_Rule, np.ndarray, int, TargetContext], np.ndarray]

TARGET_RULES: dict[str, tuple[type[_Rule], TargetFn]] = {
    "none": (NoTarget, _none),
    "uniform": (UniformTarget, _uniform),
    "baseline": (BaselineTarget, _baseline),
    "assigned": (AssignedTarget, _assigned),
    "decomposed": (DecomposedTarget, _decomposed),
    "ratchet": (RatchetTarget, _ratchet),
}


def compute_target(params: _Rule, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    """Apply the registered rule named by ``params.rule``."""
    return TARGET_RULES[params.rule][1](params, m, t, ctx)


def years_needed(params: _Rule, t: int) -> range:
    """Indices of the years before ``t`` whose measured values the rule reads (for error messages)."""
    if isinstance(params, BaselineTarget):
        return range(max(0, t - params.years), t)
    if isinstance(params, DecomposedTarget):
        return range(max(0, t - params.share_years), t)
    if isinstance(params, RatchetTarget):
        return range(max(0, t - params.start_years), t)
    return range(0)
