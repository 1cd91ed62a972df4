"""Behavioural assumptions of a projection (off unless given): how units respond to their targets.

- ``EffortResponse`` — effort (log growth) falls by ``drop`` in a year whose target has ratcheted up (the
  ratchet effect, Weitzman 1980);
- ``HoldBack`` — a unit that would complete more than the cap of its target holds its value back to the cap,
  as there is no credit above it and more would raise next year's target (the threshold effect, Bevan &
  Hood 2006).

Each is a frozen parameter record; its wording for people is in ``simkit.present.assumptions``.  The
functions here take the leaf stage of one projected year (``(D, 1, U, L)``, with its targets) and give the
values the units would then produce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine.compile import Plan
from ...engine.stages import LeafStage
from ...schema.scoring import Completion


@dataclass(frozen=True)
class EffortResponse:
    """ASSUMPTION (off unless given): effort falls when the target ratchets up (the ratchet effect).

    In a year whose target for an indicator is higher, in the indicator's good direction, than last year's
    target by more than ``threshold`` (relative), the unit's log growth on that indicator is lowered by
    ``drop`` (0.01 = about one percentage point of growth).

    >>> EffortResponse(drop=0.02).drop
    0.02
    """

    drop: float = 0.01
    threshold: float = 0.0


@dataclass(frozen=True)
class HoldBack:
    """ASSUMPTION (off unless given): units ahead of target hold back near a cap (threshold effect).

    A unit whose value would give a completion ratio above ``cap`` (default: the indicator's own scoring cap,
    for completion-scored indicators; a given ``cap`` applies to every indicator with a target) produces just
    enough to reach ``cap − margin``.  Completion is ``1 + d(m − q)/|q|`` (for lower-is-better indicators
    scored with ``lower: inverse``, ``q/m``); for a blend each measure is held to the cap.

    >>> HoldBack(cap=1.1).margin
    0.0
    """

    cap: float | None = None
    margin: float = 0.0


Behaviour = EffortResponse | HoldBack


def ratcheted_up(plan: Plan, leaf: LeafStage, previous: np.ndarray | None, threshold: float) -> np.ndarray:
    """(D, U, L) True where any measure's target rose in the good direction by more than ``threshold`` against
    ``previous`` (D, U, L, M), last year's targets (None: none known)."""
    d = plan.direction
    rose = np.zeros(leaf.share[:, 0].shape, dtype=bool)
    if previous is None or leaf.target is None:
        return rose
    for k in range(len(leaf.measures)):
        p = previous[..., k]
        q = leaf.target[:, 0, ..., k]
        with np.errstate(invalid="ignore"):
            up = (d * (q - p) > threshold * np.abs(p)) & (leaf.weight[:, k] > 0)
        rose |= up  # a comparison with NaN is False: no target, no ratchet
    return rose


def hold_back(plan: Plan, leaf: LeafStage, prev_x: np.ndarray, x: np.ndarray, hold: HoldBack) -> np.ndarray:
    """Values (D, U, L) held back so that no measure's completion ratio exceeds the cap (see ``HoldBack``)."""
    d = plan.direction  # (L,)
    bound_hi = np.full(x.shape, np.inf)  # for higher-is-better leaves: x ≤ bound_hi
    bound_lo = np.full(x.shape, -np.inf)  # for lower-is-better leaves: x ≥ bound_lo
    assert leaf.target is not None  # the behaviour loop asks the leaf stage for its targets
    for rs in plan.rule_sets:
        sc = rs.rule.scoring
        if hold.cap is None and not isinstance(sc, Completion):
            continue
        cap = (hold.cap if hold.cap is not None else sc.cap) - hold.margin  # type: ignore[attr-defined]
        idx = rs.leaves
        inverse = isinstance(sc, Completion) and sc.lower == "inverse"
        di = d[idx]
        px = prev_x[..., idx]
        for name in rs.rule.measures:
            q = leaf.target[:, 0][..., idx, leaf.measures.index(name)]
            # The value that gives completion exactly `cap` for this measure (level, increment or growth).
            with np.errstate(invalid="ignore", divide="ignore"):
                m_cap = q + di * (cap - 1.0) * np.abs(q)
                if inverse:
                    m_cap = np.where((di < 0) & (q > 0), q / cap, m_cap)
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


def respond(plan: Plan, leaf: LeafStage, behaviour: tuple[Behaviour, ...], prev_x: np.ndarray, x: np.ndarray,
            g: np.ndarray, bounds: tuple[np.ndarray, np.ndarray], previous: np.ndarray | None) -> np.ndarray:
    """The values (D, U, L) of a projected year once the units respond to its targets.

    ``x`` are the values the growth model gives, from ``prev_x`` by log growth ``g``; ``leaf`` is the leaf stage
    of the year with those values; ``previous`` last year's targets (D, U, L, M).  The effort response lowers
    the growth first, then holding back caps the result.
    """
    effort = next((b for b in behaviour if isinstance(b, EffortResponse)), None)
    hold = next((b for b in behaviour if isinstance(b, HoldBack)), None)
    if effort is not None:
        rose = ratcheted_up(plan, leaf, previous, effort.threshold)
        x = np.clip(prev_x * np.exp(g - effort.drop * rose), *bounds)
    if hold is not None:
        x = hold_back(plan, leaf, prev_x, x, hold)
    return x
