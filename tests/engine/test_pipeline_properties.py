"""Property tests of the whole pipeline (simkit.evaluate) on small synthetic data sets.

Units in 2–3 groups of 1–6 units; leaves a, b under first-level node P and leaf c under Q; five years
(2014–2018) of positive values; relative weights; one of the scoring rules completion (with a baseline
target), minmax, efficacy or rank_decay for every leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simkit
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

YEARS = (2014, 2015, 2016, 2017, 2018)
LEAVES = ("a", "b", "c")
PARENT = {"a": "P", "b": "P", "c": "Q"}
RULES = {
    "completion": {"target": {"rule": "baseline", "years": 3, "uplift": 0.05},
                   "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
    "minmax": {"target": {"rule": "none"}, "scoring": {"rule": "minmax"}},
    "efficacy": {"target": {"rule": "none"}, "scoring": {"rule": "efficacy", "base": 0.6}},
    "rank_decay": {"target": {"rule": "none"}, "scoring": {"rule": "rank_decay", "step": 0.05}},
}
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Spec:
    """A synthetic data set: unit ids with their groups and values[unit][leaf][year index]."""

    units: tuple[tuple[str, str], ...]
    values: dict[str, dict[str, list[float]]]
    bonus: dict[str, float]

    def raw(self) -> dict[str, pd.DataFrame]:
        units = pd.DataFrame([[u, f"单位{u}", g] for u, g in self.units], columns=["unit", "name", "group"])
        rows = [["P", "一级P", "", "1"], ["Q", "一级Q", "", "1"]]
        rows += [[leaf, f"指标{leaf}", PARENT[leaf], "1"] for leaf in LEAVES]
        indicators = pd.DataFrame(rows, columns=["indicator", "name", "parent", "direction"])
        obs = pd.DataFrame(
            [[u, leaf, str(y), "" if np.isnan(v) else repr(float(v))] for u, per in self.values.items()
             for leaf, vs in per.items()
             for y, v in zip(YEARS, vs, strict=True)],
            columns=["unit", "indicator", "year", "value"],
        )
        adj = pd.DataFrame([[u, "2018", "bonus", repr(v), ""] for u, v in self.bonus.items()],
                           columns=["unit", "year", "kind", "value", "reason"])
        return {"units": units, "indicators": indicators, "observations": obs, "adjustments": adj}

    def data(self) -> simkit.Dataset:
        return build_dataset(self.raw())

    def raised(self, unit: str, leaf: str, delta: float) -> Spec:
        values = {u: {lf: list(vs) for lf, vs in per.items()} for u, per in self.values.items()}
        values[unit][leaf][-1] += delta
        return replace(self, values=values)


@st.composite
def specs(draw) -> Spec:
    n_groups = draw(st.integers(2, 3))
    sizes = [draw(st.integers(1, 6)) for _ in range(n_groups)]
    units = tuple((f"U{g}{k}", f"G{g}") for g, n in enumerate(sizes) for k in range(n))
    n = len(units) * len(LEAVES) * len(YEARS)
    # Few distinct values, so that equal values and tied totals are common.
    flat = draw(st.lists(st.integers(1, 12).map(float), min_size=n, max_size=n))
    it = iter(flat)
    values = {u: {leaf: [next(it) for _ in YEARS] for leaf in LEAVES} for u, _ in units}
    bonus_units = draw(st.lists(st.sampled_from([u for u, _ in units]), max_size=2, unique=True))
    bonus = {u: draw(st.sampled_from([0.5, 1.0, 2.0])) for u in bonus_units}
    return Spec(units, values, bonus)


@st.composite
def scenarios(draw, ties: str | None = None) -> simkit.Scenario:
    rule = draw(st.sampled_from(sorted(RULES)))
    weights = {node: draw(st.integers(1, 5)) for node in ("P", "Q", *LEAVES)}
    doc = {
        "name": f"property-{rule}",
        "weights": {"mode": "relative", "values": weights},
        "defaults": {"measures": {"level": 1}, **RULES[rule]},
        "ranking": {"ties": ties or draw(st.sampled_from(["min", "first"]))},
    }
    return scenario_from_dict(doc)


# ============================================================================================ (a) ranks
@PROPS
@given(spec=specs(), scenario=scenarios(ties="first"))
def test_ranks_first_are_one_to_n_in_every_group(spec, scenario):
    units = simkit.evaluate(scenario, spec.data(), 2018).units
    for _, grp in units.groupby("group"):
        assert sorted(grp["rank"].astype(int)) == list(range(1, len(grp) + 1))


@PROPS
@given(spec=specs(), scenario=scenarios(ties="min"))
def test_ranks_min_are_competition_ranks(spec, scenario):
    units = simkit.evaluate(scenario, spec.data(), 2018).units
    decimals = scenario.ranking.decimals
    for _, grp in units.groupby("group"):
        rounded = np.round(grp["score"].to_numpy(dtype=float), decimals)
        expected = [1 + int(np.sum(rounded > r)) for r in rounded]  # 1 + units strictly higher
        assert grp["rank"].astype(int).tolist() == expected


# ====================================================================================== (b) monotonicity
@PROPS
@given(spec=specs(), scenario=scenarios(), data=st.data())
def test_raising_a_value_never_lowers_the_units_total(spec, scenario, data):
    unit = data.draw(st.sampled_from([u for u, _ in spec.units]), label="unit")
    leaf = data.draw(st.sampled_from(LEAVES), label="leaf")  # every leaf is higher-is-better
    delta = data.draw(st.sampled_from([0.5, 1.0, 3.0, 10.0]), label="delta")
    before = simkit.evaluate(scenario, spec.data(), 2018).units.set_index("unit")
    after = simkit.evaluate(scenario, spec.raised(unit, leaf, delta).data(), 2018).units.set_index("unit")
    assert after.loc[unit, "score"] >= before.loc[unit, "score"] - 1e-9


# ====================================================================================== (c) row order
def shuffled(raw: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {name: frame.iloc[rng.permutation(len(frame))].reset_index(drop=True) for name, frame in raw.items()}


def canonical(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)[sorted(frame.columns)]


@PROPS
@given(spec=specs(), scenario=scenarios(ties="min"), seed=st.integers(0, 2**32 - 1))
def test_row_order_of_the_input_tables_does_not_matter(spec, scenario, seed):
    raw = spec.raw()
    a = simkit.evaluate(scenario, build_dataset(raw), 2018)
    b = simkit.evaluate(scenario, build_dataset(shuffled(raw, seed)), 2018)
    pd.testing.assert_frame_equal(canonical(a.units, ["unit"]), canonical(b.units, ["unit"]),
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(canonical(a.indicators, ["unit", "indicator"]),
                                  canonical(b.indicators, ["unit", "indicator"]),
                                  check_exact=False, rtol=1e-9, atol=1e-9)


def test_ties_first_does_not_depend_on_the_units_row_order():
    spec = Spec(units=(("U1", "G"), ("U2", "G")),
                values={u: {leaf: [5.0] * len(YEARS) for leaf in LEAVES} for u in ("U1", "U2")}, bonus={})
    sc = scenario_from_dict({"name": "first", "weights": {"mode": "relative"}, "ranking": {"ties": "first"}})
    raw = spec.raw()
    flipped = dict(raw, units=raw["units"].iloc[::-1].reset_index(drop=True))
    a = simkit.evaluate(sc, build_dataset(raw), 2018).units.set_index("unit")["rank"]
    b = simkit.evaluate(sc, build_dataset(flipped), 2018).units.set_index("unit")["rank"]
    # identical data → tied totals (100 each); "then unit id order": U1 first, U2 second, either way
    assert a.to_dict() == {"U1": 1, "U2": 2}
    assert b.to_dict() == {"U1": 1, "U2": 2}


# ================================================================================ (d) points add up
@PROPS
@given(spec=specs(), scenario=scenarios(), data=st.data())
def test_points_add_up_to_the_base_score(spec, scenario, data):
    if data.draw(st.booleans(), label="blank one value"):
        # a missing evaluation-year value: its weight is renormalised over the unit's other indicators
        unit = data.draw(st.sampled_from([u for u, _ in spec.units]), label="unit")
        leaf = data.draw(st.sampled_from(LEAVES), label="leaf")
        spec = spec.raised(unit, leaf, float("nan"))
    r = simkit.evaluate(scenario, spec.data(), 2018)
    points = r.indicators.groupby("unit")["points"].sum()  # skips the missing cell's NaN points
    weight = r.indicators.groupby("unit")["weight"].sum()
    units = r.units.set_index("unit")
    for unit in units.index:
        assert points[unit] == pytest.approx(units.loc[unit, "base_score"], rel=1e-9, abs=1e-9)
        assert weight[unit] == pytest.approx(scenario.total)  # effective weights sum to the whole scale
        assert units.loc[unit, "score"] == pytest.approx(
            units.loc[unit, "base_score"] + spec.bonus.get(unit, 0.0), rel=1e-12
        )
