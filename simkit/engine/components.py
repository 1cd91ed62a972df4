"""The parts of the year (``scenario.components``) in the tree and in the values: each component is a node
between the root and the indicator nodes it names; each leaf's values over the year are made into the year's
value as its component says (mean, last or sum of its periods).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import Problem
from ..io.dataset import Dataset
from ..schema.components import DEFAULT_OVER_YEAR
from ..schema.scenario import Scenario


def component_of(scenario: Scenario, chain: Sequence[str]) -> tuple[int, str] | None:
    """(index of the component, the node it names) that holds a leaf, given the leaf's node ids from its
    first-level ancestor down to it; None when no component holds it (or the scenario has none)."""
    if not scenario.components:
        return None
    for k, comp in enumerate(scenario.components):
        for node in chain:
            if node in comp.nodes:
                return k, node
    return None


def check_component_nodes(scenario: Scenario, where: str, known: set[str], leaves: Sequence[str]) -> list[Problem]:
    """Component nodes that are not indicators of the data, component ids that are, components with nothing."""
    problems: list[Problem] = []
    for k, comp in enumerate(scenario.components or ()):
        if comp.id in known:
            problems.append(Problem(where, f"component id {comp.id!r} is also an indicator id of the data",
                                    "give the component another id", field=f"components.{k}.id"))
        for node in comp.nodes:
            if node not in known:
                problems.append(Problem(where, f"component {comp.name} names {node!r}, which is not in the data's "
                                        "indicators table", "correct the id (see the indicators table)",
                                        field=f"components.{k}.nodes"))
        for node in comp.over_year_by:
            if node not in known:
                problems.append(Problem(where, f"component {comp.name}: over_year_by names {node!r}, which is not "
                                        "in the data's indicators table", "correct the id",
                                        field=f"components.{k}.over_year_by.{node}"))
    return problems


def over_year(scenario: Scenario, paths: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """Per leaf (its path of node ids), how a year's value is made from its periods."""
    out = []
    for path in paths:
        hit = component_of(scenario, path)
        out.append(DEFAULT_OVER_YEAR if hit is None else scenario.components[hit[0]].over_year_of(path))
    return tuple(out)


def year_values(data: Dataset, columns: np.ndarray, how: Sequence[str]) -> np.ndarray:
    """The values (units, leaves, years) of the data's leaf ``columns``, each made over its year as ``how`` says
    (the data cube where nothing is given by period)."""
    values = data.cube[:, columns, :]
    if not data.has_periods or all(h == DEFAULT_OVER_YEAR for h in how):
        return values
    values = values.copy()
    for h in set(how) - {DEFAULT_OVER_YEAR}:
        cols = np.array([k for k, x in enumerate(how) if x == h])
        values[:, cols, :] = data.annual(h)[:, np.asarray(columns)[cols], :]
    return values
