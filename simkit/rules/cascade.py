"""From the unit to people (考人): the functions.  The parameter models are in ``simkit.schema.cascade``.

- ``staff_slots``: whole staff 优秀 slots per unit from the share of its grade × its headcount, rounded down
  (or half up) per unit, or shared out to a city total by largest remainder;
- ``team_grade``: the leadership team's grade from the unit's grade, with the veto's effect;
- ``per_head``: the unit's bonus per head by individual grade (优秀 × ``excellent``, the others × ``other``);
- ``split_yuan``: those amounts in whole yuan that add up to the unit's bonus (largest remainder over people).

>>> from simkit.schema.cascade import StaffQuota
>>> q = StaffQuota(shares={"A": 0.2, "B": 0.1}, city_total=10)
>>> staff_slots(q, np.array([[0, 1, 1]]), ("A", "B"), np.array([30.0, 20.0, 15.0]), np.zeros((1, 3), bool),
...             rank=np.array([[1.0, 2.0, 3.0]])).tolist()
[[6, 2, 2]]
"""

from __future__ import annotations

import numpy as np

from ..schema.cascade import PerHead, StaffQuota, TeamGrades
from .consequences import round_to_total


def staff_slots(quota: StaffQuota, grade: np.ndarray, grade_names: tuple[str, ...], headcount: np.ndarray,
                vetoed: np.ndarray, *, rank: np.ndarray | None = None,
                unit_order: np.ndarray | None = None) -> np.ndarray:
    """Whole staff 优秀 slots per unit (batch, units).

    The exact number is share(grade) × headcount (a vetoed unit's share is ``vetoed`` when set; no grade: 0).
    Without a city total each unit's is rounded down (``rounding: round``: half up).  With ``city_total`` T the
    exact numbers are scaled to add up to T (no unit above its headcount) and rounded by largest remainder:
    equal remainders to the better-ranked unit (``rank``), then by ``unit_order`` (higher first).
    """
    table = np.array([quota.share_of(n) for n in grade_names] + [0.0])
    share = table[np.where(grade >= 0, grade, len(grade_names))]
    if quota.vetoed is not None:
        share = np.where(vetoed & (grade >= 0), quota.vetoed, share)
    head = np.broadcast_to(np.nan_to_num(headcount), share.shape)
    exact = share * head
    if quota.city_total is None:
        rounded = np.floor(exact + 1e-9) if quota.rounding == "floor" else np.floor(exact + 0.5 + 1e-9)
        return np.minimum(rounded, np.floor(head)).astype(np.int64)
    total = float(quota.city_total)
    fixed = np.zeros(exact.shape, dtype=bool)
    scaled = exact
    for _ in range(exact.shape[-1] + 1):  # units that would get more than their headcount get it; the rest rescale
        free = np.where(fixed, 0.0, exact).sum(axis=-1, keepdims=True)
        left = total - np.where(fixed, head, 0.0).sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(free > 0, left / free, 0.0)
        scaled = np.where(fixed, head, exact * scale)
        over = ~fixed & (scaled > head + 1e-9)
        if not over.any():
            break
        fixed |= over
    target = np.minimum(np.round(scaled.sum(axis=-1)), total).astype(np.int64)
    keys = [] if rank is None else [-np.nan_to_num(np.broadcast_to(rank, exact.shape), nan=np.inf)]
    if unit_order is not None:
        keys.append(np.broadcast_to(unit_order, exact.shape))
    return round_to_total(scaled, target, priority=keys or None)


def team_grade(team: TeamGrades, grade: np.ndarray, grade_names: tuple[str, ...], vetoed: np.ndarray) -> np.ndarray:
    """The team grade code per unit (index into ``team.grades``; −1 where the unit has no grade); a vetoed unit's
    team at best ``team.vetoed``."""
    table = np.array([team.grades.index(team.mapping[n]) for n in grade_names] + [-1])
    code = table[np.where(grade >= 0, grade, len(grade_names))]
    if team.vetoed is not None:  # at best this grade: a worse mapped grade stays
        code = np.where(vetoed & (code >= 0), np.maximum(code, team.grades.index(team.vetoed)), code)
    return code


def per_head(rule: PerHead, paid: np.ndarray, headcount: np.ndarray, slots: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """The exact bonus per head of a staff member rated 优秀 and of any other (yuan): the unit's bonus ``paid``
    shared so that 优秀 get ``excellent`` and the others ``other`` times one amount a.  0 without staff."""
    head = np.broadcast_to(np.nan_to_num(headcount), np.shape(paid))
    k = np.minimum(slots, head)
    weight = k * rule.excellent + (head - k) * rule.other
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(weight > 0, np.nan_to_num(paid) / weight, 0.0)
    return a * rule.excellent, a * rule.other


def split_yuan(paid: np.ndarray, headcount: np.ndarray, slots: np.ndarray, excellent: np.ndarray,
               other: np.ndarray) -> tuple[np.ndarray, ...]:
    """Whole yuan per person adding up to ``paid`` (whole yuan) for every unit: the amounts rounded down, and
    the yuan left over given one each to the people with the largest remainders (优秀 first on equal ones).

    Returns, per unit: the 优秀 amount and how many 优秀 get one yuan more, the others' amount and how many of
    them get one yuan more.

    >>> split_yuan(np.array([1000]), np.array([7]), np.array([2]), np.array([1000 * 1.2 / 7.4]),
    ...            np.array([1000 / 7.4]))
    (array([162]), array([1]), array([135]), array([0]))
    """
    head = np.nan_to_num(np.asarray(headcount, dtype=float))
    k = np.minimum(slots, head).astype(np.int64)
    n_o = (head - k).astype(np.int64)
    fe, fo = np.floor(excellent + 1e-9), np.floor(other + 1e-9)
    left = (np.round(np.nan_to_num(paid)) - k * fe - n_o * fo).astype(np.int64)
    left = np.clip(left, 0, k + n_o)
    re, ro = excellent - fe, other - fo
    first_e = re >= ro - 1e-12
    plus_e = np.where(first_e, np.minimum(left, k), np.maximum(left - n_o, 0))
    plus_o = left - plus_e
    return fe.astype(np.int64), plus_e.astype(np.int64), fo.astype(np.int64), plus_o.astype(np.int64)
