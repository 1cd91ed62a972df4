"""Settings that make no sense are refused, each naming the field and the fix."""

from __future__ import annotations

import pytest

from simkit.errors import ScenarioError
from simkit.io.scenarios import scenario_from_dict

BASE = {"name": "x", "weights": {"mode": "relative"}}


def problems(doc: dict) -> list:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, **doc})
    return info.value.problems


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("where", [
    {"consequences": {"bonus": {"factors": {"优秀": "V"}, "amount": 1, "base_attribute": None}}},
    {"weights": {"mode": "relative", "values": {"a": "V"}}},
    {"defaults": {"scoring": {"rule": "completion", "cap": "V"}}},
    {"total": "V"},
    {"adjustments": {"bonus_cap": "V"}},
])
def test_nan_and_infinity_are_refused_anywhere(where, value):
    import json

    doc = json.loads(json.dumps(where).replace('"V"', "1.0"))

    def put(d):
        for k, v in d.items():
            if isinstance(v, dict):
                put(v)
            elif v == 1.0 and k != "amount":
                d[k] = value
    put(doc)
    ps = problems(doc)
    assert any("NaN and infinity" in p.message or "finite" in p.message for p in ps)
    assert all(p.fix for p in ps)


def test_score_bands_out_of_order():
    [p] = problems({"grading": {"grades": [{"name": "优", "min_score": 60}, {"name": "良", "min_score": 80},
                                           {"name": "差"}]}})
    assert "out of order" in p.message and p.field == "grading" and "lower min_score" in p.fix


def test_grade_shares_over_the_whole_group():
    [p] = problems({"grading": {"grades": [{"name": "优", "share": 0.7}, {"name": "良", "share": 0.5},
                                           {"name": "差"}]}})
    assert "add up to 1.2" in p.message and "at most 1" in p.fix


def test_a_negative_pool_and_tiers_over_the_group():
    [p] = problems({"consequences": {"bonus": {"amount": 1, "base_attribute": None, "pool": -5}}})
    assert "-5" in p.message and "0 or more" in p.fix
    [p] = problems({"consequences": {"bonus": {"by": "tier", "amount": 1, "base_attribute": None, "tiers": [
        {"name": "前", "share": 0.6, "factor": 0.1}, {"name": "中", "share": 0.6, "factor": 0.0}]}}})
    assert "tiers' shares add up to 1.2" in p.message


def test_the_older_place_of_the_missing_policy_still_reads():
    s = scenario_from_dict({**BASE, "aggregation": {"missing": "zero"}})
    assert s.missing.policy == "zero"
