"""Rules per family and per group (``scenario.groups``) laid out for the stages.

Each unit takes its track's entry and then its group's; units that take the same entries form a *profile*, one
scenario variant (the scenario's weights and indicator rules with the entries merged over them, as ``extends``
merges).  ``applicability`` says which leaves apply to which units once 个性指标 (``own``) and left-out nodes
(``exclude``) are taken into account; ``profiles`` gives the variants.  The stages run each profile's rules for
its own units (``engine.stages`` dispatches to ``leaf_stage`` and ``total_stage`` here) and put them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import Problem
from ..io.dataset import Dataset
from ..schema.scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from .compile import Plan
    from .stages import LeafStage, TotalStage


def keys_of(scenario: Scenario, data: Dataset) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """The sets of ``groups`` entries units take (each its track's, then its group's entry, in that order), in
    the order units first take them, and per unit the index of its set: one decision per (track, group).

    >>> import simkit
    >>> sets, which = keys_of(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data())
    >>> sets, int(which.max())
    ([()], 0)
    """
    groups = scenario.groups or {}
    pairs = pd.MultiIndex.from_arrays([data.units["track"], data.units["group"]])
    codes, distinct = pd.factorize(pairs)
    per_pair = [tuple(dict.fromkeys(k for k in pair if k in groups)) for pair in distinct]
    sets = list(dict.fromkeys(per_pair))
    return sets, np.array([sets.index(k) for k in per_pair], dtype=np.intp)[codes]


def merged_rules(scenario: Scenario, keys: Sequence[str]) -> dict[str, Any]:
    """The change a unit with these entries makes to the scenario (weights and indicator rules), as a mapping."""
    weights: dict[str, float] = {}
    indicators: dict[str, Any] = {}
    for key in keys:
        entry = scenario.groups[key]
        weights.update(entry.weights)
        for node, rule in entry.indicators.items():
            indicators.setdefault(node, {}).update(rule.model_dump(exclude_none=True, by_alias=True))
    change: dict[str, Any] = {}
    if weights:
        change["weights"] = {"values": weights}
    if indicators:
        change["indicators"] = indicators
    return change


def check_names(scenario: Scenario, data: Dataset, where: str, known: set[str]) -> list[Problem]:
    """Entries that name no group or track, and nodes that are not in the data."""
    problems: list[Problem] = []
    units = data.full.units
    names = {*units["group"], *units["track"]}
    for key, entry in (scenario.groups or {}).items():
        if key not in names:
            listed = ", ".join(dict.fromkeys(units["group"]))
            problems.append(Problem(where, f"groups names {key!r}, which is neither a group nor a track of the data",
                                    f"use a group or track of the units table ({listed}; tracks "
                                    f"{', '.join(dict.fromkeys(units['track']))})", field=f"groups.{key}"))
        for part in ("weights", "indicators", "own", "exclude"):
            for node in getattr(entry, part):
                if node not in known:
                    problems.append(Problem(where, f"groups.{key}.{part} names {node!r}, which is not a node of the "
                                            "data's indicators table", "correct the id (see the indicators table)",
                                            field=f"groups.{key}.{part}.{node}"))
    return problems


def applicability(scenario: Scenario, data: Dataset, chains: Sequence[Sequence[str]]) -> np.ndarray:
    """(units, leaves): False where a leaf does not apply to a unit by ``own`` or ``exclude`` (given each leaf's
    chain of node ids, first-level ancestor down to the leaf)."""
    groups = scenario.groups or {}
    sets, which = keys_of(scenario, data)  # units that take the same entries share a row
    owners: dict[str, set[str]] = {}
    for key, entry in groups.items():
        for node in entry.own:
            owners.setdefault(node, set()).add(key)
    rows = np.ones((len(sets), len(chains)), dtype=bool)
    for j, chain in enumerate(chains):
        owned = [owners[n] for n in chain if n in owners]
        for d, ks in enumerate(sets):
            if any(not (set(ks) & o) for o in owned) or any(n in groups[k].exclude for k in ks for n in chain):
                rows[d, j] = False
    return rows[which]


@dataclass(frozen=True)
class Profile:
    """Units that share one set of group entries, and the scenario they are evaluated under."""

    keys: tuple[str, ...]
    units: np.ndarray  # (U,) bool
    scenario: Scenario


def profiles(scenario: Scenario, data: Dataset) -> list[Profile]:
    """Every set of entries some units take, with its scenario variant (the set without entries first)."""
    sets, which = keys_of(scenario, data)
    out = []
    for ks in dict.fromkeys([(), *sets]):
        if ks not in sets:  # no unit without entries
            continue
        mask = which == sets.index(ks)
        change = merged_rules(scenario, ks) if ks else {}
        variant = scenario.override(change) if change else scenario
        out.append(Profile(ks, mask, variant))
    return out


# ================================================================================ the stages, per profile
def _pick(parts: Sequence[Any], masks: Sequence[np.ndarray], axis: int) -> Any:
    """One array from the profiles' arrays: each unit's row (on ``axis``) from its own profile's array."""
    if parts[0] is None:
        return None
    out = np.array(parts[0], copy=True)
    for arr, mask in zip(parts[1:], masks[1:], strict=True):
        shape = [1] * out.ndim
        shape[axis] = len(mask)
        out = np.where(mask.reshape(shape), arr, out)
    return out


def leaf_stage(plan: Plan, inputs: Any, ts: Sequence[int], *, detail: bool = True) -> LeafStage:
    """The leaf stage of a plan with profiles: each profile's rules for its units, put together."""
    from ..rules.measures import MEASURES
    from .stages import leaf_stage as one

    stages = [one(p, inputs, ts, detail=detail) for p in plan.profiles]
    masks = [p.profile_units for p in plan.profiles]
    measures = tuple(m for m in MEASURES if any(m in s.measures for s in stages))
    weight = np.zeros((plan.tree.n_leaves, len(measures)))
    issues = []
    offset = 0
    for p, s in zip(plan.profiles, stages, strict=True):
        for j, m in enumerate(s.measures):
            weight[:, measures.index(m)] = np.maximum(weight[:, measures.index(m)], s.weight[:, j])
        for issue in s.issues:
            mask = issue.mask & p.profile_units[None, None, :, None]
            if mask.any():
                issues.append(replace(issue, rule_set=issue.rule_set + offset, mask=mask))
        offset += len(p.rule_sets)

    def on_measures(s: LeafStage, arr: np.ndarray | None) -> np.ndarray | None:
        if arr is None:
            return None
        out = np.full((*arr.shape[:-1], len(measures)), np.nan)
        out[..., [measures.index(m) for m in s.measures]] = arr
        return out

    out: dict[str, Any] = {}
    for f in fields(stages[0]):
        if f.name in ("measures", "weight", "issues"):
            continue
        parts = [getattr(s, f.name) for s in stages]
        if f.name in ("measured", "target", "part_share"):
            parts = [on_measures(s, a) for s, a in zip(stages, parts, strict=True)]
        out[f.name] = _pick(parts, masks, 2) if parts[0] is not None else None
    return replace(stages[0], measures=measures, weight=weight, issues=tuple(issues), **out)


def total_stage(plan: Plan, inputs: Any, leaf: LeafStage, ts: Sequence[int], weights: np.ndarray | None = None,
                *, full: bool = True) -> TotalStage:
    """The total stage of a plan with profiles: each profile's weights for its units, put together.  Weights
    given for a Monte Carlo draw move every profile's weights in proportion to the scenario's own."""
    from .stages import total_stage as one

    base = plan.tree.weight
    parts = []
    for p in plan.profiles:
        w = None
        if weights is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(base > 0, np.asarray(weights, dtype=float) * p.tree.weight / base, p.tree.weight)
        parts.append(one(p, inputs, leaf, ts, w, full=full))
    masks = [p.profile_units for p in plan.profiles]
    out = {}
    for f in fields(parts[0]):
        arrays = [getattr(s, f.name) for s in parts]
        out[f.name] = _pick(arrays, masks, 2) if arrays[0] is not None else None
    return replace(parts[0], **out)


def measure_weights(plan: Plan, measures: Sequence[str]) -> np.ndarray:
    """(units, leaves, measures): each unit's blend weights of each leaf (its profile's rules)."""
    n_u, n_l = len(plan.group_codes), plan.tree.n_leaves
    out = np.zeros((n_u, n_l, len(measures)))
    for p in plan.profiles or (plan,):
        mask = p.profile_units if plan.profiles else np.ones(n_u, dtype=bool)
        for rs in p.rule_sets:
            for name, w in rs.rule.measures.items():
                if name in measures:
                    out[np.ix_(mask, rs.leaves, [measures.index(name)])] = w
    return out


def rule_table(plan: Plan) -> tuple[list[Any], np.ndarray]:
    """The distinct resolved rules and, per unit and leaf, the index of its rule among them ((U, L), −1: none):
    each unit's leaves follow its profile's rules (the scenario's without group rules); a table over every cell
    reads them without a loop over units.

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan
    >>> rules, codes = rule_table(compile_plan(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data()))
    >>> codes.shape, bool((codes >= 0).all())
    ((56, 40), True)
    """
    n_u, n_l = len(plan.group_codes), plan.tree.n_leaves
    rules: list[Any] = []
    codes = np.full((n_u, n_l), -1, dtype=np.intp)
    sets = [(None, plan.rule_sets)] if not plan.profiles else [(p.profile_units, p.rule_sets) for p in plan.profiles]
    for units, rule_sets in sets:
        rows = slice(None) if units is None else np.flatnonzero(units)
        codes[rows] = -1  # a later profile replaces a unit's rules whole
        for rs in rule_sets:
            rules.append(rs.rule)
            codes[np.ix_(np.arange(n_u)[rows], np.asarray(rs.leaves, dtype=np.intp))] = len(rules) - 1
    return rules, codes
