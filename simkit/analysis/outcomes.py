"""What the analyses read off a result, written once for every dimension: sizes per draw, year and unit; the
bottom tier; the units of a group that have a rank (and a size) in every year; payouts relative to the base.

A result here is a panel (``engine.result.as_panel``): dims (draw, year, unit), one draw for an observed
history, many for a projection; every statistic reduces over a named dimension of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine.result import Result
from ..errors import Problem, SimkitError
from ..schema.scenario import Scenario
from .stats import group_sums


def sizes(result: Result, size: str, *, observed: bool = False) -> np.ndarray:
    """A size measure per draw, year and unit (D, Y, U): a unit attribute, or a leaf indicator's value.

    An indicator takes the result's own values where it holds them (a projection's simulated values), else
    (or with ``observed``) the data's observed value in that year, the last observed one for a year beyond
    the data.
    """
    data = result.data
    shape = (result.draws, len(result.years), len(data.unit_ids))
    if size in data.units.columns and size in data.attributes:
        return np.broadcast_to(data.units[size].to_numpy(dtype=float), shape)
    if size in data.leaves:
        leaves = result.plan.tree.leaves
        if not observed and "value" in result and size in leaves:
            return np.broadcast_to(result["value"][..., leaves.index(size)], shape)
        col = data.leaves.index(size)
        t = [data.years.index(min(y, data.years[-1])) for y in result.years]
        return np.broadcast_to(data.cube[:, col, t].T, shape)
    raise SimkitError(Problem(data.source, f"{size!r} is neither a unit attribute nor a leaf indicator",
                              f"use one of the attributes ({', '.join(data.attributes)}) or an indicator id",
                              field="size"))


def default_bottom_grades(scenario: Scenario) -> tuple[str, ...]:
    """The grades a scenario itself treats as the bottom: its accountability ladder's, else its worst grade."""
    acc = scenario.consequences.accountability
    if acc is not None and acc.bottom_grades:
        return tuple(acc.bottom_grades)
    return (scenario.grading.grades[-1].name,)


def bottom_mask(rank: np.ndarray, grade: np.ndarray, group_codes: np.ndarray, grade_names: Sequence[str],
                bottom: int | float | str | Sequence[str] | None = None,
                default: Sequence[str] | None = None) -> np.ndarray:
    """True where a unit is in the bottom tier; ``rank``/``grade`` have the units on the last axis.

    ``bottom``: None = the ``default`` grades (else the worst grade); a grade name or names; an int ``k`` = the
    last ``k`` places of the group (rank > n − k, n = the ranked units of the group); a float in (0, 1) =
    the last ``ceil(bottom·n)`` places.

    >>> r = np.array([[1.0, 2, 3, 4]]); g = np.array([[0, 1, 1, 2]])
    >>> bottom_mask(r, g, np.zeros(4, int), ["A", "B", "C"], 2).tolist()
    [[False, False, True, True]]
    >>> bottom_mask(r, g, np.zeros(4, int), ["A", "B", "C"]).tolist()
    [[False, False, False, True]]
    """
    rank = np.asarray(rank, dtype=float)
    if bottom is None or isinstance(bottom, str) or (isinstance(bottom, Sequence) and not isinstance(bottom, str)):
        names = [bottom] if isinstance(bottom, str) else list(bottom or default or [grade_names[-1]])
        unknown = [n for n in names if n not in grade_names]
        if unknown:
            raise SimkitError(Problem("fairness", f"bottom grade(s) {', '.join(unknown)} are not grades of this "
                                      f"scenario ({', '.join(grade_names)})", "name one of its grades",
                                      field="bottom"))
        codes = [list(grade_names).index(n) for n in names]
        return np.isin(np.asarray(grade), codes)
    if isinstance(bottom, bool) or not isinstance(bottom, int | float) or bottom <= 0:
        raise SimkitError(Problem("fairness", f"bottom={bottom!r} is not a tier", "give a grade name, a number "
                                  "of last places (e.g. 2) or a share of the group (e.g. 0.25)", field="bottom"))
    if not isinstance(bottom, int) and bottom >= 1:
        raise SimkitError(Problem("fairness", f"bottom share {bottom} is not below 1",
                                  "give a share such as 0.25, or a whole number of places", field="bottom"))
    codes = np.asarray(group_codes)
    n = group_sums(~np.isnan(rank), codes)[..., codes]  # ranked units of each unit's group
    k = np.minimum(bottom, n) if isinstance(bottom, int) else np.maximum(1, np.ceil(np.round(bottom * n, 9)))
    with np.errstate(invalid="ignore"):
        return rank > n - k


def bottom_of(result: Result, bottom: Any = None) -> np.ndarray:
    """(D, Y, U) True where a ranked unit is in the bottom tier (``bottom`` as ``bottom_mask`` takes it)."""
    rank = result["rank"]
    return bottom_mask(rank, result["grade"], result.plan.group_codes, result.grade_names, bottom,
                       default_bottom_grades(result.scenario)) & ~np.isnan(rank)


def group_columns(result: Result, group: str) -> np.ndarray:
    """Indices of the units of ``group``."""
    return np.flatnonzero(result.plan.group_codes == result.plan.group_names.index(group))


def complete(result: Result, group: str, size: np.ndarray | None = None) -> np.ndarray:
    """The units of ``group`` with a rank (and a size, if given) in every draw and year."""
    cols = group_columns(result, group)
    ok = np.isfinite(result["rank"][..., cols]).all(axis=(0, 1))
    if size is not None:
        ok &= np.isfinite(size[..., cols]).all(axis=(0, 1))
    return cols[ok]


def sized_groups(result: Result, size: np.ndarray | None = None, min_units: int = 3) -> list[str]:
    """Groups with at least ``min_units`` units that have a size and a rank in every year."""
    return [g for g in result.plan.group_names if len(complete(result, g, size)) >= min_units]


def relative_payout(result: Result, per: str) -> np.ndarray | None:
    """Payouts (D, Y, U) in yuan (``per="unit"``) or as a multiple of the unit's bonus base (``per="base"``)."""
    paid = result.paid()
    if paid is None:
        return None
    paid = paid.astype(float)
    if per == "unit":
        return paid
    if per == "base":
        base = result["bonus_base"]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(base > 0, paid / np.where(base > 0, base, 1.0), np.nan)
    raise SimkitError(Problem("fairness", f"unknown payout basis {per!r}", "use per='base' or per='unit'",
                              field="per"))


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
