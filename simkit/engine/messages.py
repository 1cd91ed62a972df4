"""Problems for people, from the cells a stage could not evaluate: the unit, the indicator, the year, and why.

The stages record ``Issue`` masks and never format text; these functions name the cells, one year at a time.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem
from .compile import Inputs, Plan
from .stages import Issue

_SHOWN = 30


def _cells(mask: np.ndarray) -> np.ndarray:
    """(unit, leaf-in-rule-set) pairs marked in a (D, U, k) mask, in unit then leaf order."""
    return np.argwhere(np.asarray(mask).any(axis=0))


def _more(source: str, n: int, what: str, fix: str) -> list[Problem]:
    return [Problem(source, f"... and {n - _SHOWN} more cells with {what}", fix)] if n > _SHOWN else []


def _head(plan: Plan, ui: int, leaf: str, year: int) -> str:
    units = plan.data.units
    return f"unit {units['unit'].iat[ui]!r} ({units['name'].iat[ui]}), indicator {leaf!r}, {year}"


def issue_problems(plan: Plan, inputs: Inputs, issue: Issue, y: int, t: int) -> list[Problem]:
    """The problems of one issue in one evaluated year (``y`` its position in the stage, ``t`` its data index)."""
    rs = plan.rule_sets[issue.rule_set]
    mask = issue.mask[:, y]
    if issue.kind == "base":
        return _base_problems(plan, inputs, rs.leaves, mask, [t, *rs.rule.target.window(t)], t)
    if issue.kind == "target":
        return _target_problems(plan, inputs, issue.rule_set, issue.measure, mask, t)
    return cell_problems(plan, rs.leaves, mask, issue.message, issue.fix, plan.years[t])


def cell_problems(plan: Plan, idx: np.ndarray, mask: np.ndarray, message: str, fix: str, year: int) -> list[Problem]:
    """One problem per offending (unit, indicator), from a (D, U, k) mask over the leaves ``idx``."""
    cells = _cells(mask)
    source = plan.data.source
    out = [Problem(source, f"{_head(plan, int(ui), plan.tree.leaves[int(idx[ki])], year)}: {message}", fix,
                   field=plan.tree.leaves[int(idx[ki])]) for ui, ki in cells[:_SHOWN]]
    return out + _more(source, len(cells), "the same problem", fix)


def _base_problems(plan: Plan, inputs: Inputs, idx: np.ndarray, mask: np.ndarray, used: list[int],
                   t: int) -> list[Problem]:
    """Name the base year and value of every growth rate measured from zero or below."""
    years = plan.years
    values = inputs.values if inputs.values.ndim == 3 else inputs.values[0]
    source = plan.data.source
    out = []
    cells = _cells(mask)
    for ui, ki in cells[:_SHOWN]:
        li = int(idx[ki])
        unit, name = plan.data.units["unit"].iat[ui], plan.data.units["name"].iat[ui]
        leaf = plan.tree.leaves[li]
        bases = [f"{years[k - 1]} = {values[ui, li, k - 1]:g} (the base of {years[k]}'s growth)"
                 for k in used if k >= 1 and values[ui, li, k - 1] <= 0]
        out.append(Problem(f"{source} (observations)",
                           f"unit {unit!r} ({name}), indicator {leaf!r}: growth is measured from a zero or negative "
                           f"base, {'; '.join(bases)}, for the {years[t]} evaluation",
                           "check the value; if it is right, set `nonpositive_base: missing` for this indicator in "
                           "the scenario, or measure the increment or the level instead of growth", field=leaf))
    return out + _more(source, len(cells), "a zero or negative base", "see above")


def _target_problems(plan: Plan, inputs: Inputs, rule_set: int, measure: str, mask: np.ndarray,
                     t: int) -> list[Problem]:
    """Say why a target is missing: which year the rule needs and the data lack, or no assigned target."""
    rs = plan.rule_sets[rule_set]
    rule, idx = rs.rule, rs.leaves
    years = plan.years
    year = years[t]
    values = inputs.values if inputs.values.ndim == 3 else inputs.values[0]
    source = plan.data.source
    out = []
    for ui, ki in _cells(mask)[:_SHOWN]:
        li = int(idx[ki])
        leaf = plan.tree.leaves[li]
        unit = plan.data.units["unit"].iat[ui]
        head = _head(plan, int(ui), leaf, year)
        if rule.target.rule == "assigned":
            out.append(Problem(source, f"{head}: no assigned target",
                               f"add a row (unit {unit}, indicator {leaf}, year {year}) to the targets table, "
                               "or use another target rule", field="targets"))
            continue
        need = list(rule.target.window(t))
        offset = 0 if measure == "level" else 1
        first = min(need, default=t) - offset
        series = values[ui, li, :]
        lacking = [year - t + k for k in range(first, t) if k < 0 or np.isnan(series[k])]
        if lacking:
            shown = ", ".join(str(y) for y in lacking)
            msg = (f"{head}: the {rule.target.rule} target of the {measure} needs the values of "
                   f"{year - t + first}–{year - 1}, and the data lack {shown}")
            fix = (f"add the missing years to the observations, evaluate a later year, or lower `years`/`min_years` "
                   f"of the target rule (data years: {years[0]}–{years[-1]})")
        else:
            msg = f"{head}: the {rule.target.rule} target of the {measure} cannot be computed"
            fix = "check the indicator's values in the years before, or use another target rule"
        out.append(Problem(source, msg, fix, field=leaf))
    return out
