"""The units a scenario evaluates (``scope.units`` and ``scope.exclude``): the data's units named by id, group or
track, as a data set of those units only.  The same scope on the same data gives the same data set object, so
that results of one scenario evaluated twice share their data (``stack_years`` and the comparisons rely on it).
"""

from __future__ import annotations

import difflib

import numpy as np

from ..errors import Problem, ScenarioError
from ..io.dataset import Dataset
from ..schema.scenario import Scenario
from ..schema.scenario import where as where_of


def _selected(data: Dataset, names: tuple[str, ...], field: str, where: str) -> tuple[np.ndarray, list[Problem]]:
    units = data.units
    full = data.full.units  # a name of the data as given is known (the data may already be another scope's)
    known = {*full["unit"], *full["group"], *full["track"]}
    problems = []
    for n in names:
        if n not in known:
            close = difflib.get_close_matches(str(n), sorted(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(Problem(where, f"{field} names {n!r}, which is neither a unit id, a group nor a track of "
                                    "the data", f"{hint}name unit ids, groups or tracks of the units table (the "
                                    f"groups: {', '.join(dict.fromkeys(full['group']))})", field=field))
    sel = (units["unit"].isin(names) | units["group"].isin(names) | units["track"].isin(names)).to_numpy()
    return sel, problems


def scoped_data(scenario: Scenario, data: Dataset) -> Dataset:
    """The data of the units the scenario evaluates (the data itself when its scope names no units)."""
    scope = scenario.scope
    if scope is None or not (scope.units or scope.exclude):
        return data
    where = where_of(scenario)
    keep = np.ones(len(data.units), dtype=bool)
    problems: list[Problem] = []
    if scope.units:
        sel, found = _selected(data, scope.units, "scope.units", where)
        keep &= sel
        problems += found
    if scope.exclude:
        sel, found = _selected(data, scope.exclude, "scope.exclude", where)
        keep &= ~sel
        problems += found
    if not problems and not keep.any():
        problems.append(Problem(where, "the scope leaves no unit to evaluate", "name some units, groups or tracks "
                                "under scope.units, or fewer under scope.exclude", field="scope.units"))
    if problems:
        raise ScenarioError(problems)
    if keep.all():
        return data
    ids = tuple(data.units["unit"][keep])
    key = ("scope", ids)
    if key not in data._cache:
        sub = data.subset_units(list(ids))
        data._cache[key] = Dataset(sub.units, sub.indicators, sub.observations, sub.targets, sub.adjustments,
                                   source=sub.source, synthetic=sub.synthetic, encodings=sub.encodings,
                                   notes=sub.notes, events_table=sub.events_table, origin=data)
    return data._cache[key]
