"""The stabilising options of issue 11 (item 2) refuse nonsense, each naming the field: a smoothing over no
years or part of a year, a negative or NaN tolerance band or margin, m bottom years out of fewer than m."""

from __future__ import annotations

import pytest

from simkit.errors import ScenarioError
from simkit.io.scenarios import scenario_from_dict

BASE = {"name": "x", "weights": {"mode": "relative"}}


def problems(doc: dict) -> list:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, **doc})
    return info.value.problems


def text(doc: dict) -> str:
    return " ".join(f"{p.field} {p.message} {p.fix}" for p in problems(doc))


@pytest.mark.parametrize("value", [0, -1, 1.5, 11, float("nan")])
def test_smooth_years(value):
    assert "smooth_years" in text({"ranking": {"smooth_years": value}})


@pytest.mark.parametrize("value", [-0.5, float("nan"), float("inf")])
def test_tie_margin(value):
    assert "tie_margin" in text({"grading": {"tie_margin": value}})


@pytest.mark.parametrize("require, word", [
    ({"margin": -1}, "margin"),
    ({"margin": float("nan")}, "margin"),
    ({"in_last": {"m": 3, "n": 2}}, "no larger than n"),
    ({"in_last": {"m": 0, "n": 2}}, "m"),
    ({"in_last": {"m": 1, "n": 0}}, "n"),
    ({}, "asks for nothing"),
    ({"margin": 1, "combine": "either"}, "combine"),
])
def test_accountability_require(require, word):
    assert word in text({"consequences": {"accountability": {"require": require}}})


def test_defaults_and_a_sound_setting():
    sc = scenario_from_dict(BASE)
    assert sc.ranking.smooth_years == 1 and sc.grading.tie_margin == 0
    assert sc.consequences.accountability is None
    sc = scenario_from_dict({**BASE, "ranking": {"smooth_years": 3}, "grading": {"tie_margin": 1},
                             "consequences": {"accountability": {"require": {"margin": 2, "in_last": {"m": 2,
                                                                                                      "n": 3}}}}})
    req = sc.consequences.accountability.require
    assert (req.margin, req.in_last.m, req.in_last.n, req.combine) == (2.0, 2, 3, "any")
