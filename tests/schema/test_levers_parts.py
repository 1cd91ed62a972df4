"""Levers of the parts of the year, the events, the cascade, the scope and the group rules (``levers_parts``):
each a named, validated edit, refused with a message when it names something the scenario does not have."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

import simkit
from simkit.errors import ScenarioError
from simkit.schema import levers


@pytest.fixture(scope="module")
def parts():
    return simkit.load_scenario("reform_components_events")


@pytest.fixture(scope="module")
def cascade():
    return simkit.load_scenario("reform_cascade")


def test_set_scope(parts):
    out = levers.SetScope(units=("区县市",)).apply(parts)
    assert out.scope.units == ("区县市",) and out.scope.indicators == parts.scope.indicators  # None: kept


def test_set_component_points_exact_and_scaled(parts):
    out = levers.SetComponentPoints(points={"daily": 10, "年终综合考核": 70}).apply(parts)  # by id or by name
    assert [c.points for c in out.components] == [10, 20, 70]
    scaled = levers.SetComponentPoints(points={"daily": 1, "special": 1, "annual": 2}, scale=True).apply(parts)
    assert [c.points for c in scaled.components] == [25, 25, 50]
    with pytest.raises((ValueError, ScenarioError), match="add up to"):
        levers.SetComponentPoints(points={"daily": 30}).apply(parts)
    with pytest.raises(ValueError, match="no component 'monthly'"):
        levers.SetComponentPoints(points={"monthly": 20}).apply(parts)


def test_set_over_year(parts):
    out = levers.SetOverYear(component="special", how="mean").apply(parts)
    assert out.components[1].over_year == "mean"


def test_set_event_cap(parts):
    out = levers.SetEventCap(source="audit", cap=1.5).apply(parts)  # an English name of a source
    assert out.events.rule_for("审计").cap == 1.5
    assert levers.SetEventCap(cap=None).apply(parts).events.cap is None  # the total cap removed
    assert levers.SetEventCap(source="督查", cap=None).apply(parts).events.rule_for("督查").cap is None
    with pytest.raises(ValueError, match="no source '纪检'"):
        levers.SetEventCap(source="纪检", cap=1).apply(parts)
    with pytest.raises(ValueError, match="applies no events"):
        levers.SetEventCap(cap=1).apply(simkit.load_scenario("yiyang_2018_reform"))


def test_set_staff_share_and_per_head(cascade):
    out = levers.SetStaffShare(grade="优秀", share=0.25, city_total=2500).apply(cascade)
    staff = out.consequences.cascade.staff
    assert staff.shares["优秀"] == 0.25 and staff.city_total == 2500
    assert levers.SetStaffShare(none_total=True).apply(cascade).consequences.cascade.staff.city_total is None
    with pytest.raises(ValueError, match="no grade '特优'"):
        levers.SetStaffShare(grade="特优", share=0.3).apply(cascade)
    per_head = levers.SetPerHead(excellent=1.5).apply(cascade).consequences.cascade.per_head
    assert per_head.excellent == 1.5 and per_head.other == 1.0


def test_set_cascade_adds_and_removes(cascade):
    reform = simkit.load_scenario("yiyang_2018_reform")
    spec = cascade.consequences.cascade.model_dump(by_alias=True, exclude_none=True)
    added = levers.SetCascade(cascade=spec).apply(reform)
    assert added.consequences.cascade == cascade.consequences.cascade
    assert levers.SetCascade(cascade=None).apply(cascade).consequences.cascade is None
    with pytest.raises(ValueError, match="no staff"):
        levers.SetStaffShare(city_total=10).apply(reform)


def test_set_group_weights_on_a_scenario_without_groups():
    reform = simkit.load_scenario("yiyang_2018_reform")
    out = levers.SetGroupWeights(group="区县市", points={"Q": 50, "B": 20, "P": 15, "S": 15}).apply(reform)
    assert out.groups["区县市"].weights == {"Q": 50, "B": 20, "P": 15, "S": 15}
    parks = simkit.load_scenario("reform_parks")
    out = levers.SetGroupWeights(group="园区", points={"Q": 50, "S": 30}).apply(parks)
    assert out.groups["园区"].weights == {"Q": 50, "B": 10, "P": 10, "S": 30}  # merged over the entry's
    assert out.groups["园区"].indicators == parks.groups["园区"].indicators


def test_the_levers_are_data(parts):
    spec = [{"lever": "set_event_cap", "source": "审计", "cap": 1},
            {"lever": "set_component_points", "points": {"daily": 25, "special": 15}}]
    out = levers.apply(parts, TypeAdapter(list[levers.AnyLever]).validate_python(spec))
    assert out.events.rule_for("审计").cap == 1 and [c.points for c in out.components] == [25, 15, 60]
    r = simkit.evaluate(out)
    assert r.units.set_index("unit").loc["AH", "deduction_audit"] == 1.0  # 3.5 points of audit findings, cap 1
