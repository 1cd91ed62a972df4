"""Reporting in another group of the unit's track: one plan per (unit, group) pair, bounded by a screen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ...engine.compile import compile_plan
from ...engine.evaluate import run
from ...engine.stages import leaf_stage
from ...io.dataset import Dataset
from .scheme import Scheme, leaves_see_groups, outcome_of


def _category_pairs(base: Scheme, candidates: int | None) -> list[tuple[int, str]]:
    """(unit, group) pairs to evaluate: groups all of whose units have the unit's track, screened by where the
    unit's total would stand among each group's totals (its place as a share of the group, best first)."""
    units = base.plan.data.units
    group, track = units["group"].to_numpy(dtype=object), units["track"].to_numpy(dtype=object)
    score = base.outcome(base.t)["score"]
    ok = np.isfinite(score)
    names = list(pd.unique(group))
    place = np.full((len(names), len(score)), np.inf)  # (G, U): share of the group ahead of the unit, if it moved
    for k, g in enumerate(names):  # one pass per group, every unit at once
        inside = group == g
        tracks = set(track[inside])
        if len(tracks) != 1:
            continue
        theirs = np.sort(score[inside & ok])
        ahead = len(theirs) - np.searchsorted(theirs, score, side="right")
        fits = ok & (track == next(iter(tracks))) & ~inside
        place[k] = np.where(fits, ahead / (len(theirs) + 1), np.inf)
    order = np.argsort(place, axis=0, kind="stable")  # ties: the groups' order in the data
    n = len(names) if candidates is None else min(candidates, len(names))
    return [(int(u), names[order[j, u]]) for u in range(len(score)) for j in range(n)
            if np.isfinite(place[order[j, u], u])]


#: Views of a data set that do not depend on the units' groups (kept when only a group changes).
_GROUP_FREE = ("years", "unit_ids", "leaves", "cube", "assigned", "adjustment_arrays", "indicator_direction",
               "indicator_info", "attributes", "applicable")


def _regrouped(data: Dataset, u: int, group: str) -> Dataset:
    """The data with unit ``u`` in ``group`` (and that group's English name); every other table as it is."""
    units = data.units.copy()
    col = units["group"].to_numpy(dtype=object, copy=True)
    col[u] = group
    units["group"] = col
    if "group_en" in units:
        en = units["group_en"].to_numpy(dtype=object, copy=True)
        en[u] = data.group_en.get(group, group)
        units["group_en"] = en
    moved = replace(data, units=units, _cache={})
    # derived views of the tables that did not change: the same arrays (they are read-only by contract)
    moved.__dict__.update({k: data.__dict__[k] for k in _GROUP_FREE if k in data.__dict__})
    return moved


def category_moves(base: Scheme, candidates: int | None) -> tuple[list[tuple[int, str]], dict, np.ndarray]:
    """Every screened (unit, group) pair, evaluated with its own plan in year ``t``."""
    plan, data, t = base.plan, base.plan.data, base.t
    pairs = _category_pairs(base, candidates)
    if not pairs:
        return [], {}, np.zeros(0, int)
    leaf = None if leaves_see_groups(plan) else leaf_stage(plan, base.inputs, [t], detail=False)
    grade0 = base.outcome(t)["grade"]
    outs, worse = [], []
    for u, g in pairs:
        moved = compile_plan(plan.scenario, _regrouped(data, u, g))
        ts = base.ys if base.whole else [t]
        res = run(moved, base.inputs, ts, detail=False, leaf=None if base.whole else leaf, start=base.start(t, 1))
        outs.append(outcome_of(res, len(ts) - 1, np.array([0]), np.array([u])))
        g_after = res["grade"][0, -1] if "grade" in res else np.full(len(grade0), -1)
        hurt = (g_after > grade0) & (grade0 >= 0)
        hurt[u] = False
        worse.append(int(hurt.sum()))
    return pairs, {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}, np.asarray(worse)
