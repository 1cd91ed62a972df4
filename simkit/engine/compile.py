"""A scenario compiled against a data set: the ``Plan`` (the rules laid out as arrays, year-independent) and
the ``Inputs`` (the arrays the stages read: values, assigned targets and adjustments per year).

The plan is compiled once and checked once; the stages then take a plan, inputs and the year indices to
evaluate.  Analyses that evaluate something other than the data as observed (noisy draws, projected
years) build their own ``Inputs`` with every field stated; they never copy or patch a plan.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import TypeVar

import numpy as np
import pandas as pd

from ..errors import EvaluationError, Problem, ScenarioError
from ..io.dataset import Dataset
from ..rules.adjustments import capped
from ..schema.measures import blend_lag
from ..schema.missing import POLICY_CODES
from ..schema.scenario import ResolvedRule, Scenario
from ..schema.scenario import where as where_of
from .components import year_values
from .events import EventArrays, event_arrays
from .scope import scoped_data
from .tree import Tree, build_tree

T = TypeVar("T")


@dataclass(frozen=True)
class RuleSet:
    """Leaves that share one resolved rule, scored together."""

    rule: ResolvedRule
    leaves: np.ndarray  # indices into the tree's leaves

    @property
    def lag(self) -> int:
        """Years before the evaluated one that the measures read (a growth's base year)."""
        return blend_lag(self.rule.measures)


@dataclass(frozen=True)
class MissingPlan:
    """Per leaf, what a missing cell gives (codes of ``schema.missing.POLICY_CODES``) and its parameters."""

    code: np.ndarray  # (L,) policy
    max_years: np.ndarray  # (L,) previous_year: years a value may be carried (0: not carried)
    then: np.ndarray  # (L,) previous_year: the policy when nothing is found
    penalty: np.ndarray  # (L,) penalty points per missing cell
    veto: bool  # a missing value of a veto condition's indicator fires the veto


def _missing_plan(scenario: Scenario, tree: Tree) -> MissingPlan:
    rules = [scenario.missing.rule_for(path) for path in tree.path]
    code = np.array([POLICY_CODES[r.policy] for r in rules])
    return MissingPlan(code, np.array([r.max_years if r.policy == "previous_year" else 0 for r in rules]),
                       np.array([POLICY_CODES[r.then] for r in rules]), np.array([r.penalty for r in rules]),
                       scenario.missing.veto == "fire" and scenario.missing.policy != "renormalise")


@dataclass(frozen=True)
class Plan:
    """A scenario checked against a data set and laid out as arrays; independent of the evaluation year."""

    scenario: Scenario
    data: Dataset
    tree: Tree
    rule_sets: tuple[RuleSet, ...]
    direction: np.ndarray  # (L,) +1 higher is better, −1 lower is better
    group_codes: np.ndarray  # (U,)
    group_names: tuple[str, ...]
    history: int  # fewest years before an evaluated one that the rules need (the first evaluable year index)
    back: int | None  # how many years before an evaluated one the rules read; None: a ratchet reads them all
    unit_order: np.ndarray = field(repr=False)  # (U,) −position of each unit id in sorted order (ties by id)
    missing: MissingPlan = field(repr=False)  # what a missing cell gives
    #: With group rules (``scenario.groups``): one plan per profile of units, each with its own rules, weights
    #: and ``profile_units``; the stages run each for its units (``engine.groups``).  Empty: one set of rules.
    profiles: tuple[Plan, ...] = field(default=(), repr=False)
    profile_units: np.ndarray | None = field(default=None, repr=False)  # (U,) bool: a profile plan's units

    @property
    def where(self) -> str:
        """What messages name for the rules: the scenario's file, else its name."""
        return where_of(self.scenario)

    @property
    def years(self) -> tuple[int, ...]:
        return self.data.years

    @property
    def group_size(self) -> np.ndarray:
        """(U,) number of units in each unit's group."""
        return np.bincount(self.group_codes)[self.group_codes]

    def year_index(self, year: int) -> int:
        """Index of ``year`` in the data's years; a clear error if the data do not have it."""
        years = self.data.years
        if year not in years:
            raise EvaluationError(Problem(self.data.source, f"the data have no observations for {year}",
                                          f"choose one of the years {years[0]}–{years[-1]} (--year)"))
        return years.index(year)

    def first_read(self, t: int) -> int:
        """Index of the earliest year the rules read to evaluate year index ``t``."""
        return 0 if self.back is None else max(t - self.back, 0)


@dataclass(frozen=True)
class Inputs:
    """What the stages read, by year index (the last axis of ``values``).

    ``values`` (U, L, T), or (D, U, L, T) with a draw axis, are the observed values of the plan's leaves;
    ``assigned`` (U, L, T) the assigned targets (NaN where none); ``bonus``, ``deduction`` (U, T) the capped
    points of the adjustments table and ``veto`` (U, T) its vetoes, with ``veto_reason`` (U, T) text.  With the
    scenario's ``events`` rules, ``deduction`` and ``veto`` include the events' (``events`` holds them by source).
    """

    values: np.ndarray
    assigned: np.ndarray
    bonus: np.ndarray
    deduction: np.ndarray
    veto: np.ndarray
    veto_reason: np.ndarray
    events: EventArrays | None = None

    @property
    def draws(self) -> int:
        return 1 if self.values.ndim == 3 else self.values.shape[0]


def _rule_key(rule: ResolvedRule) -> tuple:
    return (tuple(sorted(rule.measures.items())), rule.target, rule.scoring, rule.nonpositive_base)


def _rule_sets(scenario: Scenario, tree: Tree) -> tuple[RuleSet, ...]:
    """Leaves grouped by their resolved rule, so that each rule runs once over all its leaves."""
    sets: dict[tuple, tuple[ResolvedRule, list[int]]] = {}
    for k, path in enumerate(tree.path):
        rule = scenario.rule_for(path)
        sets.setdefault(_rule_key(rule), (rule, []))[1].append(k)
    return tuple(RuleSet(rule, np.array(idx)) for rule, idx in sets.values())


_KEPT = 8  # plans (and league scenarios) kept per data set: those of the scenarios used on it most recently
_KEPT_LOCK = threading.Lock()


def kept(data: Dataset, kind: str, of: tuple[object, ...], make: Callable[[], T]) -> T:
    """``make()`` for the read-only objects ``of`` on the data set ``data``, made once while it is among the
    ``_KEPT`` most recent of its ``kind`` (the data set keeps it, with ``of``, so that their ids stay theirs)."""
    key = tuple(id(o) for o in of)
    with _KEPT_LOCK:
        store = data._cache.setdefault(("kept", kind), OrderedDict())
        hit = store.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], of, strict=True)):
            store.move_to_end(key)
            return hit[1]
    out = make()
    with _KEPT_LOCK:
        store[key] = (of, out)
        while len(store) > _KEPT:
            store.popitem(last=False)
    return out


def compile_plan(scenario: Scenario, data: Dataset) -> Plan:
    """Check the scenario against the data and lay out everything that does not depend on the year.

    The plan's data are the units the scenario evaluates (``scope``); with group rules (``groups``) the plan
    holds one plan per profile of units (``profiles``).  Scenarios and data sets are read-only, so the same
    scenario object on the same data set object gives the same plan, compiled once (``kept``; its arrays are
    read-only).
    """
    return kept(data, "plan", (scenario, data), lambda: _read_only(_compile_plan(scenario, data)))


def _read_only(obj: T) -> T:
    """``obj`` with every array of it (a plan and its parts, not its scenario or data) made read-only."""
    if isinstance(obj, np.ndarray):
        obj.flags.writeable = False
    elif isinstance(obj, tuple):
        for item in obj:
            _read_only(item)
    elif is_dataclass(obj) and not isinstance(obj, type | Dataset):
        for f in fields(obj):
            _read_only(getattr(obj, f.name))
    return obj


def _compile_plan(scenario: Scenario, data: Dataset) -> Plan:
    where = where_of(scenario)
    data = scoped_data(scenario, data)
    tree = build_tree(scenario, data)
    variants = [(None, scenario)]
    if scenario.groups:
        from .groups import profiles

        variants = [(p.units, p.scenario) for p in profiles(scenario, data)]
    sets_of = [_rule_sets(sc, tree) for _, sc in variants]
    rule_sets = tuple(rs for sets in sets_of for rs in sets)

    problems = []
    history, back = 0, 0
    whole = False
    for rs in rule_sets:
        needs = rs.rule.scoring.needs_target
        if needs and rs.rule.target.rule == "none":
            names = ", ".join(tree.leaves[k] for k in rs.leaves[:5])
            problems.append(Problem(where, f"scoring rule `{rs.rule.scoring.rule}` compares with a target, but "
                                    f"indicators {names} have target rule `none`",
                                    "give these indicators a target rule (e.g. baseline), or a scoring rule "
                                    "that needs none (efficacy, minmax, rank_decay, ...)", field="indicators"))
        if rs.rule.target.rule == "assigned" and len(rs.rule.measures) > 1:
            problems.append(Problem(where, "assigned targets are one number per indicator, so they cannot serve "
                                    f"a blend of measures ({', '.join(rs.rule.measures)})",
                                    "use one measure with `assigned`, or another target rule", field="indicators"))
        # Fewest earlier years the target can work with (a baseline's min_years, else its window).
        history = max(history, rs.lag + (rs.rule.target.min_span if needs else 0))
        whole |= rs.rule.target.whole_history
        back = max(back, rs.rule.target.span + rs.lag)
    missing = _missing_plan(scenario, tree)
    if int(missing.max_years.max(initial=0)):  # values carried forward are read from earlier years
        back = back + int(missing.max_years.max())
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    codes, names = pd.factorize(data.units["group"], sort=False)
    order = -np.argsort(np.argsort(np.array(data.unit_ids, dtype=object))).astype(float)
    plan = Plan(scenario, data, tree, rule_sets, data.indicator_direction[tree.leaf_data_index],
                np.asarray(codes), tuple(names), history, None if whole else back, order, missing)
    if len(variants) == 1 and variants[0][0] is None:
        return plan
    parts = []
    for (units, sc), sets in zip(variants, sets_of, strict=True):
        w = next((w for u, w in tree.profile_weights if np.array_equal(u, units)), tree.weight)
        sub = replace(tree, weight=w, applicable=tree.applicable & units[:, None], profile_weights=())
        parts.append(replace(plan, scenario=sc, tree=sub, rule_sets=sets, profile_units=units))
    return replace(plan, profiles=tuple(parts))


def inputs_of(plan: Plan) -> Inputs:
    """The data's own values, assigned targets and adjustments, laid out for the plan's leaves (a value given by
    period made over its year as its component says; the events as the scenario's rules say)."""
    data, tree = plan.data, plan.tree
    cfg = plan.scenario.adjustments
    bonus, deduction, vetoes = data.adjustment_arrays
    n_u, n_t = len(data.unit_ids), len(data.years)
    if not cfg.use_table:
        bonus, deduction = np.zeros((n_u, n_t)), np.zeros((n_u, n_t))
    reason = np.full((n_u, n_t), "", dtype=object)
    if cfg.veto.use_table:
        for (u, t), text in vetoes.items():
            reason[u, t] = text
    values = year_values(data, tree.leaf_data_index, tree.over_year) if tree.over_year \
        else data.cube[:, tree.leaf_data_index, :]
    deduction = capped(deduction, cfg.deduction_cap)
    events = event_arrays(plan.scenario, data)
    if events is not None:  # 督查、巡视巡察、审计: their own caps, beside the adjustments table's
        deduction = deduction + events.total
        both = (reason != "") & events.veto
        reason = np.where(both, reason + "；" + events.veto_reason, np.where(events.veto, events.veto_reason, reason))
    return Inputs(values, data.assigned[:, tree.leaf_data_index, :], capped(bonus, cfg.bonus_cap), deduction,
                  reason != "", reason, events)


def check_year(plan: Plan, inputs: Inputs, t: int, year: int) -> None:
    """Problems that make a year impossible to evaluate at all: a unit with nothing to score, or a growth
    or increment measured in the data's first year."""
    data, tree = plan.data, plan.tree
    values = inputs.values if inputs.values.ndim == 3 else inputs.values[0]
    have = (~np.isnan(values[:, :, t]) & tree.applicable).any(axis=1)
    bad = np.flatnonzero(~have)  # the units named below only: no loop over every unit
    problems = [
        Problem(data.source, f"unit {u!r} ({n}) has no values for {year} in any indicator of this scenario",
                f"add its {year} observations, or remove the unit", field="observations")
        for u, n in zip(data.units["unit"].to_numpy()[bad], data.units["name"].to_numpy()[bad], strict=True)
    ]
    if problems:
        raise EvaluationError(problems)
    for rs in plan.rule_sets:
        if t - 1 < 0 and rs.lag > 0:
            raise ScenarioError(Problem(data.source, f"measuring {'/'.join(rs.rule.measures)} in {year} needs "
                                        f"{year - 1}, which the data do not have",
                                        "evaluate a later year, or add the earlier year's observations"))
