"""Levers: named, validated edits of a scenario, each checked against the scenario it makes."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

import simkit
from simkit.schema import levers


@pytest.fixture(scope="module")
def reform():
    return simkit.load_scenario("yiyang_2018_reform")


def test_set_points_exact_and_scaled(reform):
    exact = levers.set_points(reform, {"Q": 40, "B": 30, "P": 15, "S": 15})
    assert exact.weights.values == {"Q": 40, "B": 30, "P": 15, "S": 15} and exact.weights.children == "scale"
    # 40 + 20 + 15 + 15 = 90 → ×100/90
    scaled = levers.set_points(reform, {"Q": 40, "B": 20, "P": 15, "S": 15}, scale=True)
    assert scaled.weights.values["Q"] == pytest.approx(400 / 9)
    assert sum(scaled.weights.values.values()) == pytest.approx(100)


def test_set_uplift_everywhere_or_somewhere(reform):
    assert [k for k, _ in levers.uplift_places(reform)] == ["defaults", "Q", "energy_intensity"]
    all_ = levers.set_uplift(reform, 0.1)
    assert {v for _, v in levers.uplift_places(all_)} == {0.1}
    only_q = levers.set_uplift(reform, 0.1, where=["Q"])
    assert dict(levers.uplift_places(only_q)) == {"defaults": 0.02, "Q": 0.1, "energy_intensity": 0.03}


def test_set_blend(reform):
    s = levers.set_blend(reform, 0.6)
    assert s.indicators["Q"].measures == {"increment": 0.4, "growth": 0.6}
    assert levers.set_blend(reform, 1.0).indicators["Q"].measures == {"growth": 1.0}
    assert s.indicators["energy_intensity"].measures == {"level": 1.0}  # a level is not a blend


def test_quota_band_float_pool(reform):
    assert next(g for g in levers.set_quota(reform, "优秀", share=0.3).grading.grades if g.name == "优秀").share == 0.3
    counted = levers.set_quota(reform, "优秀", count=2)
    assert next(g for g in counted.grading.grades if g.name == "优秀").count == 2
    assert next(g for g in levers.set_band(reform, "良好", 85).grading.grades if g.name == "良好").min_score == 85
    assert levers.set_float(reform, "优秀", 0.3).consequences.bonus.factors["优秀"] == 0.3
    assert levers.set_pool(reform, None).consequences.bonus.pool is None
    assert levers.set_pool(reform, 1e6).consequences.bonus.pool == 1e6
    with pytest.raises(ValueError, match="no grade '特优'"):
        levers.set_quota(reform, "特优", share=0.1)
    with pytest.raises(ValidationError):
        levers.SetQuota(grade="优秀")  # neither a share nor a count


def test_an_edit_that_breaks_the_rules_is_refused(reform):
    with pytest.raises(ValidationError):
        levers.SetValue(paths=("grading.grades",), value=[]).apply(reform)  # no grade at all


def test_restrict_to_and_remove(reform):
    s = levers.restrict_to(reform, ["Q", "gdp"])
    assert set(s.indicators) == {"Q"} and set(s.weights.values) == {"Q"}
    assert levers.Remove(path="consequences.awards").apply(reform).consequences.awards is None


def test_levers_are_data(reform):
    spec = [{"lever": "set_blend", "growth": 0.6, "where": ["Q"]}, {"lever": "set_float", "grade": "优秀",
                                                                      "factor": 0.25}]
    parsed = TypeAdapter(list[levers.AnyLever]).validate_python(spec)
    out = levers.apply(reform, parsed)
    assert out.indicators["Q"].measures["growth"] == 0.6 and out.consequences.bonus.factors["优秀"] == 0.25


def test_provisions_turn_one_scenario_into_another(reform):
    legacy = simkit.load_scenario("legacy_totals")
    steps = levers.provisions(legacy, reform)
    assert steps and all(isinstance(p, levers.SetValue) for p in steps)
    rebuilt = levers.apply(legacy, steps)
    strip = ("name", "name_en", "description")
    assert {k: v for k, v in rebuilt.to_dict().items() if k not in strip} == \
        {k: v for k, v in reform.to_dict().items() if k not in strip}
    # the same setting of several indicators is one provision
    merged = [p for p in steps if len(p.paths) > 1]
    assert merged and merged[0].path.startswith("indicators.{")
    assert levers.provisions(reform, reform) == []
