"""Money as paid: the realised float beside the stated one, and a vetoed unit under a budget pool."""

from __future__ import annotations

import pandas as pd
import pytest

import simkit
from simkit.io.validate import build_dataset


def three(veto_a: bool = True) -> simkit.Dataset:
    units = pd.DataFrame([["A", "甲", "G"], ["B", "乙", "G"], ["C", "丙", "G"]], columns=["unit", "name", "group"])
    ind = pd.DataFrame([["x", "指标x", "1"]], columns=["indicator", "name", "direction"])
    obs = pd.DataFrame([[u, "x", "2018", v] for u, v in (("A", "3"), ("B", "2"), ("C", "1"))],
                       columns=["unit", "indicator", "year", "value"])
    adj = pd.DataFrame([["A", "2018", "veto", "", "重大事故"]] if veto_a else [],
                       columns=["unit", "year", "kind", "value", "reason"])
    return build_dataset({"units": units, "indicators": ind, "observations": obs, "adjustments": adj})


def scenario(pool: float | str | None = 30_000) -> simkit.Scenario:
    return simkit.Scenario.model_validate({
        "name": "三个单位", "weights": {"mode": "relative"},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
        "grading": {"grades": [{"name": "A", "count": 1}, {"name": "B", "count": 1}, {"name": "C"}]},
        "consequences": {"bonus": {"factors": {"A": 0.2, "B": 0.1, "C": -0.2}, "amount": 10_000,
                                   "base_attribute": None, "per_head": False, "pool": pool},
                         "veto": {"bonus": "no_increase"}},
    })


def test_a_vetoed_unit_under_a_pool_gets_its_base_and_the_rest_is_reshared():
    r = simkit.evaluate(scenario(), three())
    u = r.units.set_index("unit")
    # A ranks first (优秀 → +20%) but is vetoed: its float is capped at 0, and the pool may not lift it
    assert u.loc["A", "bonus_factor"] == 0.0 and u.loc["A", "vetoed"]
    # B +10%, C −20%: 11,000 : 8,000 share the 20,000 left → 11,578.95, 8,421.05 → 11,579 and 8,421
    assert u["payout"].tolist() == [10_000, 11_579, 8_421]
    assert r.budget()["paid"] == 30_000
    assert u["realised_float"].tolist() == pytest.approx([0.0, 0.1579, -0.1579])
    text = simkit.explain(r, "A").zh
    assert "因一票否决，奖金不超过基数" in text and "实际浮动" in text


def test_the_realised_float_differs_from_the_stated_one_under_a_pool():
    r = simkit.evaluate(scenario(pool="nominal"), three(veto_a=False))
    u = r.units.set_index("unit")
    # stated 1.2 + 1.1 + 0.8 = 3.1 bases for a pool of 3 → ×3/3.1: A +16.13%, B +6.45%, C −22.58%
    assert u["bonus_factor"].tolist() == [0.2, 0.1, -0.2]
    assert u["realised_float"].tolist() == pytest.approx([1.2 * 3 / 3.1 - 1, 1.1 * 3 / 3.1 - 1, 0.8 * 3 / 3.1 - 1],
                                                         abs=1e-4)
    open_ended = simkit.evaluate(scenario(pool=None), three(veto_a=False)).units.set_index("unit")
    assert open_ended["realised_float"].tolist() == pytest.approx([0.2, 0.1, -0.2])
