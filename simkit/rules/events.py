"""Events from inspections and audits (督查、巡视巡察、审计) as deducted points: the functions.  The parameter
models are in ``simkit.schema.events``.

- ``event_points``: what each event deducts under its source's rule (its own points, a fixed amount or its
  kind's, times a factor);
- ``capped``: per unit, year and source the sum, capped per source, then the sources' sum capped in total, and
  which caps bound.

>>> from simkit.schema.events import EventRules
>>> rules = EventRules(sources={"督查": {"cap": 2}, "审计": {"cap": 3}}, cap=4)
>>> pts = event_points(rules, np.array([1.0, 1.5, 2.0]), ["督查", "督查", "审计"], ["a", "a", "a"])
>>> c = capped(rules, pts, np.array([0, 0, 0]), np.array([0, 0, 0]), np.array([0, 0, 2]), (1, 1))
>>> c.raw[0, 0].tolist(), c.by_source[0, 0].tolist(), float(c.total[0, 0]), bool(c.total_bound[0, 0])
([2.5, 0.0, 2.0, 0.0], [2.0, 0.0, 2.0, 0.0], 4.0, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..schema.events import SOURCES, EventRules


def event_points(rules: EventRules, points: np.ndarray, sources: Sequence[str], kinds: Sequence[str]) -> np.ndarray:
    """Points each event deducts (events on the last axis): its kind's points where the source's rule lists the
    kind, else the rule's fixed points, else the event's own (a missing value counts 0), times the factor."""
    out = np.nan_to_num(np.asarray(points, dtype=float)).copy()
    for k, (source, kind) in enumerate(zip(sources, kinds, strict=True)):
        rule = rules.rule_for(source)
        if kind in rule.by_kind:
            out[k] = rule.by_kind[kind]
        elif rule.points is not None:
            out[k] = rule.points
        out[k] *= rule.factor
    return out


@dataclass(frozen=True)
class Capped:
    """Per unit and year (and source, in ``SOURCES`` order): the points before the caps, after each source's
    cap, and after the cap in total; where a source's cap bound, and where the total cap bound."""

    raw: np.ndarray  # (U, T, S)
    by_source: np.ndarray  # (U, T, S)
    total: np.ndarray  # (U, T)
    source_bound: np.ndarray  # (U, T, S) bool
    total_bound: np.ndarray  # (U, T) bool


def capped(rules: EventRules, points: np.ndarray, unit: np.ndarray, year: np.ndarray, source: np.ndarray,
           shape: tuple[int, int]) -> Capped:
    """Sum the events' points per unit, year and source (indices into ``shape`` = (units, years) and SOURCES),
    cap each source, then the total."""
    raw = np.zeros((*shape, len(SOURCES)))
    np.add.at(raw, (unit, year, source), points)
    caps = np.array([np.inf if rules.rule_for(s).cap is None else rules.rule_for(s).cap for s in SOURCES])
    by_source = np.minimum(raw, caps)
    source_bound = raw > caps + 1e-12
    summed = by_source.sum(axis=-1)
    cap = np.inf if rules.cap is None else float(rules.cap)
    total = np.minimum(summed, cap)
    return Capped(raw, by_source, total, source_bound, summed > cap + 1e-12)
