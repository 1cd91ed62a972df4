"""Further league tables of one scenario (``scenario.league_tables``): each table is the scenario's own
evaluation with its nodes, its forced measure, target and scoring rules, its grades and its award slots, run on
the same units and years; the main result carries each table's result (``result.leagues``).
"""

from __future__ import annotations

import copy
from typing import Any

from ..io.dataset import Dataset
from ..schema.leagues import LeagueTable
from ..schema.scenario import Scenario


def _descendants(node: str, parents: dict[str, str]) -> set[str]:
    out = set()
    for n in parents:
        m: str | None = n
        while m is not None:
            m = parents.get(m)
            if m == node:
                out.add(n)
                break
    return out


def _ancestors(node: str, parents: dict[str, str]) -> list[str]:
    out = []
    while node in parents:
        node = parents[node]
        out.append(node)
    return out


def league_scenario(scenario: Scenario, table: LeagueTable, data: Dataset) -> Scenario:
    """The scenario of one league table: its nodes (first-level points rescaled to the total, sub-items
    relative), its forced rules on every leaf under them, its grading and award slots, no other consequence."""
    doc: dict[str, Any] = copy.deepcopy(scenario.to_dict())
    doc.pop("league_tables", None)
    doc["name"] = f"{scenario.name}·{table.name}"
    if table.name_en or scenario.name_en:
        doc["name_en"] = f"{scenario.name_en or scenario.name}, {table.name_en or table.name}"
    cons = doc.get("consequences", {})
    doc["consequences"] = {"veto": cons.get("veto", {})}
    if table.awards is not None:
        doc["consequences"]["awards"] = table.awards.model_dump(by_alias=True, exclude_none=True)
    if table.grading is not None:
        doc["grading"] = table.grading.model_dump(by_alias=True, exclude_none=True)
        names = {g.name for g in table.grading.grades}
        veto = doc.get("adjustments", {}).get("veto", {})
        for key in ("best_grade", "grade"):  # a veto's grade limit holds where the table has that grade
            if veto.get(key) is not None and veto[key] not in names:
                veto.pop(key)
    if table.units:  # the table's units among those the scenario evaluates (its scope stays)
        from .scope import scoped_data

        evaluated = set(scoped_data(scenario, data).unit_ids)
        outside = [u for u in data.unit_ids if u not in evaluated and u not in table.units]
        doc["scope"] = {**doc.get("scope", {}), "units": list(table.units), "exclude": outside}
    info = data.indicator_info
    parents = {i: r["parent"] for i, r in info.items() if isinstance(r["parent"], str)}
    forced = {k: getattr(table, k) for k in ("measures", "target", "scoring") if getattr(table, k) is not None}
    forced = {k: (v.model_dump(by_alias=True, exclude_none=True) if hasattr(v, "model_dump") else dict(v))
              for k, v in forced.items()}
    if table.nodes:
        doc.pop("components", None)
        doc["scope"] = {**doc.get("scope", {}), "indicators": list(table.nodes)}
        # The table's score is the weighted mean of its nodes' scores: the weights count relative among siblings.
        under = set().union(*(_descendants(n, parents) for n in table.nodes))
        above = {a for n in table.nodes for a in _ancestors(n, parents)}
        weights = doc.setdefault("weights", {})
        if weights.get("mode", "points") == "points":
            values = weights.setdefault("values", {})
            for n in {*under, *above, *table.nodes}:  # the data's points as relative weights, unless the scenario's
                if n not in values and info[n]["weight"] == info[n]["weight"]:
                    values[n] = float(info[n]["weight"])
            weights["mode"] = "relative"
            weights.pop("children", None)
        places = [n for n in table.nodes]
    else:
        under = set(info)
        places = ["defaults"]
    if forced:
        for place in places:
            rule = doc["defaults"] if place == "defaults" else doc.setdefault("indicators", {}).setdefault(place, {})
            rule.update(copy.deepcopy(forced))
        entries = [doc.get("indicators", {})] + [g.get("indicators", {}) for g in (doc.get("groups") or {}).values()]
        for entry in entries:
            for node, rule in entry.items():
                if node in under and node not in places:
                    for key in forced:
                        rule.pop(key, None)
    out = Scenario.model_validate(doc)
    return out.with_source(getattr(scenario, "_source", None))
