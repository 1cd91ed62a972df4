"""The moves that change a unit's own values (withhold, hold back, shift) and their evaluation on the draw axis."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ...engine.compile import Plan
from ...engine.evaluate import run
from ...engine.stages import LeafStage, leaf_stage
from .scheme import Scheme, blocks, outcome_of


@dataclass
class Variants:
    """Variants of one kind: variant i changes unit ``unit[i]``'s leaf ``leaf[i]``: year ``y1`` to ``v1`` and,
    where ``y2 ≥ 0``, year ``y2`` to ``v2``."""

    kind: str
    unit: np.ndarray
    leaf: np.ndarray
    fraction: np.ndarray
    amount: np.ndarray
    y1: np.ndarray
    v1: np.ndarray
    y2: np.ndarray
    v2: np.ndarray

    def __len__(self) -> int:
        return len(self.unit)


def _eligible(plan: Plan) -> np.ndarray:
    """(U, L) cells a unit reports itself: applicable, objective."""
    info = plan.data.indicator_info
    objective = np.array([info[leaf].get("kind", "objective") != "subjective" for leaf in plan.tree.leaves])
    return plan.tree.applicable & objective[None, :]


def _cells(mask: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit, leaf and fraction index of every true cell of ``mask`` (U, L), repeated for ``k`` fractions."""
    u, leaf = np.nonzero(mask)
    j = np.repeat(np.arange(k), len(u))
    return np.tile(u, k), np.tile(leaf, k), j


def withhold(base: Scheme) -> Variants:
    """Every reported value of ``t`` a unit gives itself, not reported (the missing-data policy fills it)."""
    x, t = base.inputs.values, base.t
    u, leaf, _ = _cells(_eligible(base.plan) & np.isfinite(x[:, :, t]))
    none = np.full(len(u), -1)
    return Variants("withhold", u, leaf, np.zeros(len(u)), x[u, leaf, t], np.full(len(u), t),
                    np.full(len(u), np.nan), none, np.full(len(u), np.nan))


def hold_back(base: Scheme, fractions: np.ndarray, units: np.ndarray | None = None) -> Variants:
    """Every value of ``t − 1`` made worse by each share of ``fractions`` (only for ``units``, a (U,) mask)."""
    x, t = base.inputs.values, base.t
    prev = x[:, :, t - 1]
    mask = _eligible(base.plan) & np.isfinite(prev) & (prev != 0)
    if units is not None:
        mask &= units[:, None]
    u, leaf, j = _cells(mask, len(fractions))
    f = fractions[j]
    given = f * np.abs(prev[u, leaf])
    new = prev[u, leaf] - base.plan.direction[leaf] * given
    none = np.full(len(u), -1)
    return Variants("hold_back", u, leaf, f, given, np.full(len(u), t - 1), new, none, np.full(len(u), np.nan))


def shift(base: Scheme, fractions: np.ndarray, shiftable: np.ndarray) -> Variants:
    """Every amount (``shiftable`` leaves) booked between ``t − 1`` and ``t`` in the direction that helps ``t``."""
    x, t, d = base.inputs.values, base.t, base.plan.direction
    up = d[None, :] > 0  # higher is better: from t − 1 into t; lower is better: from t back into t − 1
    source = np.where(up, x[:, :, t - 1], x[:, :, t])
    ok = _eligible(base.plan) & shiftable[None, :] & np.isfinite(x[:, :, t - 1]) & np.isfinite(x[:, :, t])
    u, leaf, j = _cells(ok & (source > 0), len(fractions))
    f = fractions[j]
    a = f * source[u, leaf]
    sign = np.where(d[leaf] > 0, 1.0, -1.0)  # the change of year t
    return Variants("shift", u, leaf, f, a, np.full(len(u), t), x[u, leaf, t] + sign * a,
                    np.full(len(u), t - 1), x[u, leaf, t - 1] - sign * a)


def _years_of(base: Scheme, v: Variants) -> list[int]:
    """The year indices a batch of variants evaluates: ``t``, and ``t − 1`` when the moves change it."""
    if base.whole:
        return base.ys
    return [base.t - 1, base.t] if bool((v.y1 < base.t).any() or (v.y2 >= 0).any()) and base.prev else [base.t]


def _edited(values: np.ndarray, rows: np.ndarray, v: Variants, sl: slice | np.ndarray, n: int) -> np.ndarray:
    """``n`` copies of ``values`` (U, L, T) with variant ``sl[i]``'s cells written into copy ``rows[i]``."""
    x = np.repeat(values[None], n, axis=0)
    x[rows, v.unit[sl], v.leaf[sl], v.y1[sl]] = v.v1[sl]
    two = v.y2[sl] >= 0
    x[rows[two], v.unit[sl][two], v.leaf[sl][two], v.y2[sl][two]] = v.v2[sl][two]
    return x


def _per_unit(stage: LeafStage) -> dict[str, np.ndarray]:
    """The leaf stage's arrays over (draw, year, unit, ...): what a splice takes unit by unit."""
    out = {}
    for f in fields(stage):
        a = getattr(stage, f.name)
        if isinstance(a, np.ndarray) and a.ndim >= 3:
            out[f.name] = a
    return out


def _cell_leaves(base: Scheme, v: Variants, ts: list[int], chunk_cells: int, mode: str,
                 ) -> tuple[LeafStage, np.ndarray] | None:
    """The leaf stage of draws in which many units make their own variant at once, one unit per block (every
    unit, or one unit of each group), one draw per (leaf, fraction, place in the block); and each variant's
    draw.  None when a rule refused cells (the caller then runs every variant whole)."""
    codes = base.plan.group_codes
    fr = np.unique(v.fraction)
    key = v.leaf * (len(fr) + 1) + np.searchsorted(fr, v.fraction)
    if mode == "group":  # the unit's place among its group's units
        order = np.lexsort((np.arange(len(codes)), codes))
        place = np.empty(len(codes), dtype=int)
        place[order] = np.arange(len(codes)) - np.searchsorted(codes[order], codes[order])
        key = key * len(codes) + place[v.unit]
    cells, rows = np.unique(key, return_inverse=True)
    values = base.inputs.values[..., : base.t + 1]
    size = max(1, int(chunk_cells // values.size))
    parts = []
    for lo in range(0, len(cells), size):
        pick = np.flatnonzero((rows >= lo) & (rows < lo + size))
        x = _edited(values, rows[pick] - lo, v, pick, min(size, len(cells) - lo))
        parts.append(leaf_stage(base.plan, replace(base.inputs, values=x), ts, detail=False))
    if any(p.issues for p in parts) or not all(_spliceable(p) for p in parts):
        return None
    joined = {k: np.concatenate([_per_unit(p)[k] for p in parts]) for k in _per_unit(parts[0])}
    return replace(parts[0], **joined), rows


def _spliceable(stage: LeafStage) -> bool:
    """Every array of the stage is either laid out (draw, year, unit, ...) or has no draw axis (the blend
    weights): a splice then takes each unit's part whole."""
    d, y, u = stage.share.shape[:3]
    for f in fields(stage):
        a = getattr(stage, f.name)
        if isinstance(a, np.ndarray) and a.ndim >= 3 and a.shape[:3] != (d, y, u):
            return False
        if isinstance(a, np.ndarray) and a.ndim < 3 and f.name != "weight":
            return False  # an array of a layout the splice does not know
    return True


def _members(plan: Plan, units: np.ndarray, mode: str) -> np.ndarray:
    """The units whose leaf scores variant i takes from its draw: its unit (``units`` itself), or (n, U) its
    unit's group."""
    return units if mode == "unit" else plan.group_codes[None, :] == plan.group_codes[units][:, None]


def _splice(base_leaf: LeafStage, cell: LeafStage, rows: np.ndarray, members: np.ndarray) -> LeafStage:
    """Each variant's leaf stage: the scheme's own, but for its ``members``, taken from its draw."""
    out = {}
    for name, a in _per_unit(cell).items():
        own = getattr(base_leaf, name)[:1]
        if members.ndim == 1:  # one unit each
            b = np.repeat(own, len(rows), axis=0)
            b[np.arange(len(rows)), :, members] = a[rows, :, members]
        else:
            m = members.reshape(members.shape[0], 1, members.shape[1], *(1,) * (a.ndim - 3))
            b = np.where(m, a[rows], own)
        out[name] = b
    return replace(base_leaf, **out)


def _unchanged(base_leaf: LeafStage, cell: LeafStage, rows: np.ndarray, members: np.ndarray) -> np.ndarray:
    """(n,) the variant leaves every leaf score, value and flag of its members as it was (so every outcome)."""
    same = np.ones(len(rows), dtype=bool)
    for name, a in _per_unit(cell).items():
        own = getattr(base_leaf, name)[:1]
        if members.ndim == 1:
            mine, own = a[rows, :, members], own[0][:, members].swapaxes(0, 1)
        else:
            mine = a[rows]
        eq = (mine == own) | (np.isnan(mine) & np.isnan(own)) if mine.dtype.kind == "f" else mine == own
        if members.ndim > 1:
            eq |= ~members.reshape(members.shape[0], 1, members.shape[1], *(1,) * (a.ndim - 3))
        same &= eq.reshape(len(rows), -1).all(axis=1)
    return same


def evaluate_variants(base: Scheme, v: Variants, chunk_cells: int,
                      fast: bool = True) -> tuple[dict, dict | None, np.ndarray]:
    """Every variant's own outcome in ``t`` (and in ``t − 1`` when the move changes it and it is evaluated),
    and how many other units' grades it worsens; in chunks of at most ``chunk_cells`` values.

    Fast path (leaf scores that depend on the unit's own values, or its group's, only): the leaf stage runs once
    per (leaf, fraction, place in the block) with many units' variants at once (``_cell_leaves``), and each
    variant's is spliced from it; a variant that changes no leaf score, value or flag keeps the scheme's outcome,
    unevaluated.  Otherwise (a rule over all units, ``fast=False``) every variant is one draw of the whole engine.
    """
    plan, inputs, t = base.plan, base.inputs, base.t
    ts = _years_of(base, v)
    values = inputs.values[..., : t + 1]
    n_u = values.shape[0]
    grade0 = base.outcome(t)["grade"]
    mode = blocks(plan) if fast else None
    cell = _cell_leaves(base, v, ts, chunk_cells, mode) if mode else None
    b0 = base.outcome(t)
    now = {k: a[v.unit].copy() for k, a in b0.items()}
    prev = {k: a[v.unit].copy() for k, a in base.outcome(t - 1).items()} if t - 1 in ts else None
    worse = np.zeros(len(v), dtype=int)
    per = n_u * plan.tree.n_leaves * (len(ts) if cell is not None else values.shape[-1])
    size = max(1, int(chunk_cells // per))
    todo = np.arange(len(v))
    if cell is not None:
        base_leaf = leaf_stage(plan, inputs, ts, detail=False)
        same = np.concatenate([_unchanged(base_leaf, cell[0], cell[1][lo : lo + size],
                                          _members(plan, v.unit[lo : lo + size], mode))
                               for lo in range(0, len(v), size)])
        todo = np.flatnonzero(~same)
    for lo in range(0, len(todo), size):
        pick = todo[lo : lo + size]
        n, ar = len(pick), np.arange(len(pick))
        if cell is not None:
            leaf = _splice(base_leaf, cell[0], cell[1][pick], _members(plan, v.unit[pick], mode))
            res = run(plan, inputs, ts, detail=False, leaf=leaf, start=base.start(ts[0], n))
        else:
            x = _edited(values, ar, v, pick, n)
            res = run(plan, replace(inputs, values=x), ts, detail=False, start=base.start(ts[0], n))
        for k, a in outcome_of(res, len(ts) - 1, ar, v.unit[pick]).items():
            now[k][pick] = a
        if prev is not None:
            for k, a in outcome_of(res, len(ts) - 2, ar, v.unit[pick]).items():
                prev[k][pick] = a
        g = res["grade"][:, -1] if "grade" in res else np.full((n, n_u), -1)
        hurt = (g > grade0[None, :]) & (grade0[None, :] >= 0)
        hurt[ar, v.unit[pick]] = False
        worse[pick] = hurt.sum(axis=1)
    return now, prev, worse
