"""Target rules (目标值确定规则): the functions.

A target rule turns the history of an indicator's measured quantity into this year's target for every
unit.  Each rule is a parameter model (``simkit.schema.targets``: what a scenario file says, and what the
rule reads) and a pure function over arrays here; ``TARGET_RULES`` maps the rule name to its function, so a
new rule is one model, one function and one entry (``simkit.rules.contract`` checks every entry).

Every function has the signature ``fn(params, m, t, ctx) -> target`` where ``m`` is the measured series with
shape ``(..., units, years)``, ``t`` the index of the evaluation year, and the result has shape
``(..., units)``.  A target that cannot be computed (a year the baseline needs is missing) is NaN; the engine
turns NaN targets that a scoring rule needs into a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..schema.targets import (
    AssignedTarget,
    BaselineTarget,
    CombineTarget,
    DecomposedTarget,
    NoTarget,
    RatchetTarget,
    TargetRule,
    UniformTarget,
)


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
    from .segments import group_sum

    return group_sum(x, codes)


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


def _combine(p: CombineTarget, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    shape = m.shape[:-1]
    parts = np.stack([np.broadcast_to(compute_target(q, m, t, ctx), shape) for q in p.of])  # (S, ..., U)
    d = np.broadcast_to(ctx.direction, shape)
    have = ~np.isnan(parts)
    anyone = have.any(axis=0)
    if p.how in ("max", "min"):
        # signed by the direction, so `max` is the most demanding source for either kind of indicator
        signed = np.where(have, parts * d, -np.inf if p.how == "max" else np.inf)
        best = signed.max(axis=0) if p.how == "max" else signed.min(axis=0)
        out = np.where(anyone, best * d, np.nan)
    else:
        w = np.ones(len(p.of)) if p.weights is None else np.asarray(p.weights, dtype=float)
        w = w.reshape((-1,) + (1,) * len(shape)) * have  # a missing source's weight goes to the others
        total = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(total > 0, (w * np.where(have, parts, 0.0)).sum(axis=0) / total, np.nan)
    if p.floor is not None:
        f = np.broadcast_to(compute_target(p.floor, m, t, ctx), shape)
        raise_to = ~np.isnan(f) & ~np.isnan(out) & (d * f > d * out)
        out = np.where(raise_to, f, out)
    return out


TargetFn = Callable[[TargetRule, np.ndarray, int, TargetContext], np.ndarray]

TARGET_RULES: dict[str, TargetFn] = {
    "none": _none,
    "uniform": _uniform,
    "baseline": _baseline,
    "assigned": _assigned,
    "decomposed": _decomposed,
    "ratchet": _ratchet,
    "combine": _combine,
}


def compute_target(params: TargetRule, m: np.ndarray, t: int, ctx: TargetContext) -> np.ndarray:
    """Apply the registered rule named by ``params.rule``."""
    return TARGET_RULES[params.rule](params, m, t, ctx)
