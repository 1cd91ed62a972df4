"""Evaluating a scenario: one batch through every stage, for one year or for every year the rules allow.

``run`` is the one way the stages are chained, for every caller: ``evaluate`` and ``evaluate_history`` (the
years a look-back needs, in one batch), and the analyses (Monte Carlo blocks, projections), which pass
their own inputs, weights and years.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import EvaluationError, Problem, RuleInputError, SimkitError
from ..io.dataset import Dataset
from ..schema.scenario import Scenario
from .cascade import with_cascade
from .compile import Inputs, Plan, check_year, compile_plan, inputs_of, kept
from .memory import on_heap
from .messages import cell_problems, issue_problems
from .result import Result, stage_variables
from .stages import (
    LeafStage,
    LookBackStart,
    leaf_stage,
    look_back_stage,
    money_stage,
    rank_stage,
    smooth_after,
    smooth_stage,
    total_stage,
)


def run(plan: Plan, inputs: Inputs, ts: Sequence[int], *, weights: np.ndarray | None = None,
        leaf: LeafStage | None = None, detail: bool = True, start: LookBackStart | None = None,
        money: bool = True, look_back: bool = True) -> Result:
    """Every stage for the year indices ``ts`` (one batch); issues are recorded in the result, not raised.

    ``weights`` (N,) or (D, N) replace the tree's nominal weights; ``leaf`` reuses a leaf stage (the same
    values and years); ``detail=False`` keeps only what ranking needs (no per-measure parts, no effective
    weights: the Monte Carlo's fast path); ``start`` is the year before the first (for the look-back);
    ``money=False`` skips bonuses and award slots; ``look_back=False`` skips progress awards and the
    accountability ladder (they compare with the year before, which a block of Monte Carlo draws does not read).
    """
    ts = list(ts)
    leaf = leaf_stage(plan, inputs, ts, detail=detail) if leaf is None else leaf
    totals = total_stage(plan, inputs, leaf, ts, weights, full=detail)
    if start is not None and start.scores is not None:  # ranking.smooth_years: the earlier totals given
        totals = smooth_after(plan, totals, start.scores)
    else:  # ranking.smooth_years: the earlier years evaluated here
        totals = smooth_stage(plan, inputs, ts, totals, weights, detail=detail)
    ranks = rank_stage(plan, totals)
    cash = money_stage(plan, totals, ranks) if money else None
    cons = plan.scenario.consequences
    back = look_back_stage(plan, totals, ranks, start) if look_back and (cons.progress or cons.accountability) \
        else None
    first = plan.years[0]  # a year index beyond the data (a projection) is labelled by counting on
    result = Result(plan, inputs, tuple(first + t for t in ts) if ts and max(ts) >= len(plan.years) else
                    tuple(plan.years[t] for t in ts),
                    stage_variables(leaf, totals, ranks, cash, back), leaf.measures, leaf.weight,
                    cash.budget if cash is not None else None, leaf.issues)
    return with_cascade(result) if money and cons.cascade is not None else result


def as_data(data: Dataset | str | Path | None, scenario: Scenario | None = None) -> Dataset:
    """The data set given, a folder or workbook to read, or the bundled data (the scenario's ``data`` when it
    names a bundled set)."""
    if data is None and scenario is not None:
        data = scenario.data
    if data is None or isinstance(data, str | Path):
        from ..io.read import load_data

        return load_data(data)
    return data


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A scenario given, or a file or shipped name to load (``"legacy_totals"``)."""
    if isinstance(scenario, str | Path):
        from ..io.scenarios import load_scenario

        return load_scenario(scenario)
    return scenario


def _year_problems(plan: Plan, inputs: Inputs, ts: list[int], leaf: LeafStage) -> list[list[Problem]]:
    """Per evaluated year, the problems that stop it: nothing to score, or cells the rules cannot evaluate."""
    out: list[list[Problem]] = []
    for y, t in enumerate(ts):
        problems: list[Problem] = []
        try:
            check_year(plan, inputs, t, plan.years[t])
        except SimkitError as exc:
            problems += exc.problems
        for issue in leaf.issues:
            if issue.mask[:, y].any():
                problems += issue_problems(plan, inputs, issue, y, t)
        out.append(list(dict.fromkeys(problems)))
    return out


def _evaluate(plan: Plan, inputs: Inputs, t: int, *, every: bool = False) -> Result | None:
    """The focus year ``t`` and, when the consequences look back (or ``every``), every earlier year the rules
    can evaluate, in one batch.

    Years too early for the rules (a baseline without enough history) are left out, but only at the start:
    once a year has evaluated, a later year that cannot is an error, which says why it was evaluated.  When
    no year can be evaluated, ``every`` gives None and otherwise the focus year's problems are raised.
    """
    cons = plan.scenario.consequences
    chained = every or bool(cons.progress or cons.accountability)
    ts = list(range(min(plan.history, t), t + 1)) if chained else [t]
    leaf = leaf_stage(plan, inputs, ts)
    problems = _year_problems(plan, inputs, ts, leaf)
    while True:
        first = next((k for k, p in enumerate(problems) if not p), None)
        if first is None:
            if every:
                return None
            raise EvaluationError([*_headline(plan, t), *problems[-1]])
        bad = next((k for k in range(first, len(ts)) if problems[k]), None)
        if bad is not None:
            if bad == len(ts) - 1 and not every:
                raise EvaluationError([*_headline(plan, t), *problems[bad]])
            note = Problem(plan.data.source, f"(the year {plan.years[ts[bad]]} is evaluated because progress awards "
                           "and the accountability ladder compare each year with the one before)",
                           "fix the problems below, or evaluate an earlier year")
            raise EvaluationError([note, *problems[bad]])
        if first:
            keep = slice(first, None)
            leaf = _slice_years(leaf, keep)
            ts, problems = ts[keep], problems[keep]
        try:
            return _with_leagues(run(plan, inputs, ts, leaf=leaf), plan, t)
        except RuleInputError as exc:  # an aggregation the scores cannot enter (a geometric mean of a 0)
            mask = np.asarray(exc.mask)[..., : plan.tree.n_leaves]
            mask = mask.reshape(1, len(ts), *mask.shape[1:])
            k = int(np.flatnonzero(mask.any(axis=(0, 2, 3)))[0])
            problems[k] = cell_problems(plan, np.arange(plan.tree.n_leaves), mask[:, k], exc.message, exc.fix,
                                        plan.years[ts[k]])


def _with_leagues(result: Result, plan: Plan, t: int) -> Result:
    """The result with the scenario's further league tables (``league_tables``), each evaluated on the same units
    for the same years (as many of them as its rules can evaluate)."""
    tables = plan.scenario.league_tables
    if not tables:
        return result
    from dataclasses import replace

    from .leagues import league_scenario

    out = {}
    for table in tables:
        variant = kept(plan.data.full, "league", (plan.scenario, table, plan.data.full),
                       lambda table=table: league_scenario(plan.scenario, table, plan.data.full))
        vplan = compile_plan(variant, plan.data.full)
        sub = _evaluate(vplan, inputs_of(vplan), t, every=len(result.years) > 1)
        if sub is None:
            raise EvaluationError(Problem(plan.where, f"league table {table.id!r} ({table.name}) cannot be evaluated "
                                          f"in {plan.years[t]}", "check its rules against the data",
                                          field="league_tables"))
        out[table.id] = sub
    return replace(result, leagues=out)


def _headline(plan: Plan, t: int) -> list[Problem]:
    """One sentence before the details when the year is too early for the rules' history."""
    years, need = plan.years, plan.history
    if t >= need:
        return []
    span = f"{years[need]}–{years[-1]}" if need < len(years) else "no year"
    return [Problem(plan.data.source, f"this scenario can evaluate {span} on these data (it needs {need} year(s) "
                    f"before the evaluated one, and {years[t]} has {t})",
                    f"evaluate one of {span} (--year), or add earlier years to the observations")]


def _slice_years(leaf: LeafStage, keep: slice) -> LeafStage:
    from dataclasses import fields, replace

    arrays = {f.name: getattr(leaf, f.name)[:, keep] for f in fields(leaf)
              if isinstance(getattr(leaf, f.name), np.ndarray) and getattr(leaf, f.name).ndim >= 4}
    issues = tuple(replace(i, mask=i.mask[:, keep]) for i in leaf.issues)
    return replace(leaf, **arrays, issues=tuple(i for i in issues if i.mask.any()))


@on_heap
def evaluate(scenario: Scenario | str | Path, data: Dataset | str | Path | None = None,
             year: int | None = None) -> Result:
    """Evaluate a scenario (or a scenario file, or a shipped scenario's name) on a data set (or a data folder or
    workbook; default: the bundled data) for one year (default: the scenario's, else the last).

    >>> import simkit
    >>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
    >>> sorted(r.units.columns)[:3], r.year
    (['accountability', 'accountability_en', 'award_slots'], 2018)
    """
    scenario = as_scenario(scenario)
    data = as_data(data, scenario)
    plan = compile_plan(scenario, data)
    year = year if year is not None else (scenario.year if scenario.year is not None else data.years[-1])
    return _evaluate(plan, inputs_of(plan), plan.year_index(year))


@on_heap
def evaluate_history(scenario: Scenario | str | Path, data: Dataset | str | Path | None = None,
                     years: tuple[int, ...] | None = None) -> dict[int, Result]:
    """Evaluate every year the data allow (or just ``years``), oldest first, each knowing the one before.

    >>> import simkit
    >>> list(simkit.evaluate_history(simkit.load_scenario("yiyang_2018_reform")))
    [2015, 2016, 2017, 2018]
    """
    scenario = as_scenario(scenario)
    data = as_data(data, scenario)
    plan = compile_plan(scenario, data)
    final = max(years) if years else data.years[-1]
    inputs = inputs_of(plan)
    t = plan.year_index(final)
    result = _evaluate(plan, inputs, t, every=True)
    if result is None:
        check_year(plan, inputs, t, final)  # raises the reason no year can be evaluated, if it is that simple
        return {}
    return {y: r for y, r in result.history.items() if years is None or y in years}
