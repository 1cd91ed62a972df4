"""Levers for the parts of the year, the events, the cascade to people, the scope and the group rules: named,
validated edits, as in ``simkit.schema.levers`` (which offers them all; import them from there).

>>> from simkit.io.scenarios import load_scenario
>>> from simkit.schema.levers import SetEventCap
>>> SetEventCap(source="审计", cap=1.5).apply(load_scenario("reform_components_events")).events.rule_for("审计").cap
1.5
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import Field

from .lever_base import Lever, _doc, _grade, _validated
from .scenario import Scenario


class SetScope(Lever):
    """What the scenario evaluates (考核范围): the units (ids, groups or tracks) and/or the indicator nodes; an
    empty list means all of them, None leaves that part as it is."""

    lever: Literal["set_scope"] = "set_scope"
    units: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    indicators: tuple[str, ...] | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        scope = doc.get("scope") or {}
        for key in ("units", "exclude", "indicators"):
            value = getattr(self, key)
            if value is not None:
                scope[key] = list(value)
        doc["scope"] = scope
        return _validated(scenario, doc)


def _component(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    for c in doc.get("components") or []:
        if c["id"] == cid or c["name"] == cid:
            return c
    names = ", ".join(f"{c['id']} ({c['name']})" for c in doc.get("components") or []) or "none"
    raise ValueError(f"no component {cid!r}; the components are {names}")


class SetComponentPoints(Lever):
    """The points of the parts of the year (日常管理、专项考核、年终综合考核): by component id or name; with
    ``scale`` (give every component) in proportion so that they add up to the total."""

    lever: Literal["set_component_points"] = "set_component_points"
    points: dict[str, float] = Field(description="Component id or name → points.")
    scale: bool = Field(False, description="Scale the points to the scenario's total.")

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        given = {k: float(v) for k, v in self.points.items()}
        total = sum(given.values())
        if self.scale and total > 0:
            given = {k: v * scenario.total / total for k, v in given.items()}
        for cid, pts in given.items():
            _component(doc, cid)["points"] = pts
        return _validated(scenario, doc)


class SetOverYear(Lever):
    """How a component makes a year's value from its periods: ``mean``, ``last`` or ``sum``."""

    lever: Literal["set_over_year"] = "set_over_year"
    component: str = Field(description="Component id or name.")
    how: Literal["mean", "last", "sum"]

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        _component(doc, self.component)["over_year"] = self.how
        return _validated(scenario, doc)


class SetEventCap(Lever):
    """A cap on what events deduct (督查、巡视巡察、审计): of one source (``source``), or in total (no source); None
    removes the cap."""

    lever: Literal["set_event_cap"] = "set_event_cap"
    source: str | None = Field(None, description="督查, 巡视巡察, 审计 or 其他; none = the cap in total.")
    cap: float | None = Field(ge=0, description="Points; none = no cap.")

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        events = doc.get("events")
        if events is None:
            raise ValueError("the scenario applies no events (events)")
        if self.source is None:
            place = events
        else:
            from .events import canonical_source

            name = canonical_source(self.source)
            if name is None:
                raise ValueError(f"no source {self.source!r}; the sources are 督查, 巡视巡察, 审计, 其他")
            place = events.setdefault("sources", {}).setdefault(name, {})
        if self.cap is None:
            place.pop("cap", None)
        else:
            place["cap"] = float(self.cap)
        return _validated(scenario, doc)


class SetStaffShare(Lever):
    """The share of a unit's staff who may be rated 优秀 (全员绩效考评) for a unit grade, and/or the city's total of
    such slots (``city_total``; 0 or more, or ``none_total`` to remove it)."""

    lever: Literal["set_staff_share"] = "set_staff_share"
    grade: str | None = None
    share: float | None = Field(None, ge=0, le=1)
    city_total: int | None = Field(None, ge=0)
    none_total: bool = False

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        staff = (doc.get("consequences", {}).get("cascade") or {}).get("staff")
        if staff is None:
            raise ValueError("the scenario sets no staff 优秀 slots (consequences.cascade.staff)")
        if self.grade is not None and self.share is not None:
            _grade(doc, self.grade)
            staff.setdefault("shares", {})[self.grade] = round(float(self.share), 10)
        if self.city_total is not None:
            staff["city_total"] = int(self.city_total)
        if self.none_total:
            staff.pop("city_total", None)
        return _validated(scenario, doc)


class SetPerHead(Lever):
    """The per-head bonus factors by individual grade: 优秀 (``excellent``) and the others (``other``)."""

    lever: Literal["set_per_head"] = "set_per_head"
    excellent: float | None = Field(None, ge=0)
    other: float | None = Field(None, ge=0)

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        rule = (doc.get("consequences", {}).get("cascade") or {}).get("per_head")
        if rule is None:
            raise ValueError("the scenario shares no bonus per head (consequences.cascade.per_head)")
        for key in ("excellent", "other"):
            if getattr(self, key) is not None:
                rule[key] = float(getattr(self, key))
        return _validated(scenario, doc)


class SetCascade(Lever):
    """The cascade to people as a whole (staff 优秀 slots, team grades, the main leader, per-head bonuses), written
    as a scenario file writes ``consequences.cascade``; None removes it."""

    lever: Literal["set_cascade"] = "set_cascade"
    cascade: dict[str, Any] | None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        cons = doc.setdefault("consequences", {})
        if self.cascade is None:
            cons.pop("cascade", None)
        else:
            cons["cascade"] = copy.deepcopy(self.cascade)
        return _validated(scenario, doc)


class SetGroupWeights(Lever):
    """A group's or family's own weights (``groups.<name>.weights``): node id → points."""

    lever: Literal["set_group_weights"] = "set_group_weights"
    group: str = Field(description="A group or track name, e.g. 园区.")
    points: dict[str, float]

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        groups = doc.get("groups") or {}  # (an empty mapping is falsy: keep the one in the document)
        doc["groups"] = groups
        entry = groups.setdefault(self.group, {})
        entry["weights"] = {**entry.get("weights", {}), **{k: float(v) for k, v in self.points.items()}}
        return _validated(scenario, doc)
