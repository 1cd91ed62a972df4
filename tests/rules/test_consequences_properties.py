"""Property tests of the consequences through ``simkit.evaluate`` on small random data sets.

- budget mode (a pool): payouts add up to the pool to the yuan, award slots to the quota;
- a better grade never pays less than a worse one in the same group (same base), and per head in general;
- open-ended mode: the total paid is the rounded sum of base × (1 + factor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simkit
from simkit.io.scenarios import scenario_from_dict
from simkit.io.validate import build_dataset

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YEARS = (2017, 2018)
GRADES = ("优秀", "良好", "一般", "较差")


@dataclass(frozen=True)
class Spec:
    units: tuple[tuple[str, str, int, int], ...]  # unit, group, headcount, bonus per head
    values: dict[str, tuple[float, float]]  # unit → value in 2017, 2018
    vetoed: tuple[str, ...]

    def data(self) -> simkit.Dataset:
        units = pd.DataFrame([[u, f"单位{u}", g, str(h), str(b)] for u, g, h, b in self.units],
                             columns=["unit", "name", "group", "headcount", "bonus_per_head"])
        indicators = pd.DataFrame([["x", "指标x", "", "1"]], columns=["indicator", "name", "parent", "direction"])
        obs = pd.DataFrame([[u, "x", str(y), repr(v)] for u, vs in self.values.items()
                            for y, v in zip(YEARS, vs, strict=True)], columns=["unit", "indicator", "year", "value"])
        adj = pd.DataFrame([[u, "2018", "veto", "0", "事故"] for u in self.vetoed],
                           columns=["unit", "year", "kind", "value", "reason"])
        return build_dataset({"units": units, "indicators": indicators, "observations": obs, "adjustments": adj})


@st.composite
def specs(draw, same_base: bool = False, vetoes: bool = True) -> Spec:
    n_groups = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 6)) for _ in range(n_groups)]
    per_head = draw(st.integers(1, 50).map(lambda k: k * 500)) if same_base else None
    units = []
    for g, n in enumerate(sizes):
        for k in range(n):
            head = 1 if same_base else draw(st.integers(1, 400))
            units.append((f"U{g}{k}", f"G{g}", head, per_head or draw(st.integers(1, 60).map(lambda x: x * 500))))
    # few distinct values, so that tied totals are common
    values = {u: (float(draw(st.integers(1, 9))), float(draw(st.integers(1, 9)))) for u, *_ in units}
    vetoed = tuple(draw(st.lists(st.sampled_from([u for u, *_ in units]), max_size=2, unique=True))) if vetoes else ()
    return Spec(tuple(units), values, vetoed)


@st.composite
def factors(draw) -> dict[str, float]:
    """Strictly falling floats for 优秀 … 较差, each in −0.95 … 0.5 (steps of 0.05)."""
    steps = sorted(draw(st.lists(st.integers(-19, 10), min_size=4, max_size=4, unique=True)), reverse=True)
    return {g: k / 20 for g, k in zip(GRADES, steps, strict=True)}


def scenario(factor: dict[str, float], pool, quota: int = 0, scope: str = "all", veto_bonus: str = "no_increase",
             by_share: bool = True) -> simkit.Scenario:
    grades = ([{"name": "优秀", "share": 0.25}, {"name": "良好", "share": 0.25}, {"name": "一般"},
               {"name": "较差", "count": 1, "from": "bottom"}] if by_share else
              [{"name": "优秀", "min_score": 90}, {"name": "良好", "min_score": 70}, {"name": "一般", "min_score": 40},
               {"name": "较差"}])
    cons = {"bonus": {"factors": factor, "pool": pool}, "veto": {"bonus": veto_bonus}}
    if quota:
        cons["awards"] = {"quota": quota, "weights": {"优秀": 1.5, "良好": 1.2, "一般": 1.0, "较差": 0.5},
                          "scope": scope}
    return scenario_from_dict({
        "name": "property", "weights": {"mode": "relative"},
        "adjustments": {"veto": {"best_grade": "一般"}},
        "grading": {"grades": grades}, "consequences": cons,
    })


def water_filled(u: pd.DataFrame, pool: int, capped: np.ndarray) -> np.ndarray:
    """The exact payouts by hand: one scale for all, except that a capped unit never exceeds its base; what a
    capped unit cannot take is shared among the others in proportion to their stated payouts."""
    raw = (u["bonus_base"] * (1 + u["bonus_factor"].fillna(-1.0))).to_numpy(float)
    base = u["bonus_base"].to_numpy(float)
    fixed = np.zeros(len(raw), dtype=bool)
    while True:
        free = raw[~fixed].sum()
        left = pool - base[fixed].sum()
        out = np.where(fixed, base, raw * (left / free if free > 0 else 0.0))
        over = capped & ~fixed & (out > base + 1e-9)
        if not over.any():
            return out
        fixed |= over


# ================================================================================================ budget mode
@PROPS
@given(spec=specs(), factor=factors(), pool=st.integers(1, 5_000_000), quota=st.integers(1, 200),
       scope=st.sampled_from(["all", "group"]), veto_bonus=st.sampled_from(["no_increase", "nothing", "as_graded"]),
       by_share=st.booleans())
def test_budget_mode_pays_the_pool_to_the_yuan_and_slots_sum_to_the_quota(spec, factor, pool, quota, scope,
                                                                          veto_bonus, by_share):
    r = simkit.evaluate(scenario(factor, pool, quota, scope, veto_bonus, by_share), spec.data(), 2018)
    u = r.units
    payout = u["payout"].to_numpy()
    assert payout.dtype.kind == "i"
    assert (payout >= 0).all()
    exact = water_filled(u, pool, capped=u["vetoed"].to_numpy() & (veto_bonus == "no_increase"))
    b = r.budget()
    if np.isclose(exact.sum(), pool):  # the pool can be paid: to the yuan
        assert int(payout.sum()) == pool
        assert b["paid"] == pool and b["pool"] == pool and b["difference"] == 0
    else:  # everyone left is vetoed and held at (or below) the base: what cannot be paid is stated, not forced
        assert int(payout.sum()) == round(exact.sum()) < pool
        assert b["difference"] == int(payout.sum()) - pool
    # every payout is within one yuan of its exact share of the pool (vetoed units held at their base)
    assert (np.abs(payout - exact) < 1).all()
    # award slots: whole numbers adding up to the quota (per group with scope group); the vetoed get none
    slots = u["award_slots"].to_numpy()
    assert slots.dtype.kind == "i" and (slots >= 0).all()
    eligible = ~u["vetoed"]
    parts = [u.index] if scope == "all" else [part.index for _, part in u.groupby("group")]
    for idx in parts:
        expected = quota if eligible[idx].any() else 0
        assert slots[idx].sum() == expected
    assert (slots[u["vetoed"].to_numpy()] == 0).all()


@PROPS
@given(spec=specs(), factor=factors(), by_share=st.booleans())
def test_nominal_pool_pays_the_sum_of_bases(spec, factor, by_share):
    r = simkit.evaluate(scenario(factor, "nominal", by_share=by_share), spec.data(), 2018)
    u = r.units
    nominal = int(u["bonus_base"].sum())  # whole yuan: per head × headcount, both whole numbers
    assert int(u["payout"].sum()) == nominal
    assert r.budget()["budget"] == nominal


# =============================================================================================== monotonicity
def pairs_better_worse(u: pd.DataFrame):
    """(better, worse) rows in the same group, neither vetoed, the first with a strictly better grade."""
    code = u["grade"].map({g: k for k, g in enumerate(GRADES)})
    for _, part in u[~u["vetoed"]].assign(code=code).groupby("group"):
        rows = list(part.itertuples())
        for a in rows:
            for b in rows:
                if a.code < b.code:
                    yield a, b


@PROPS
@given(spec=specs(same_base=True), factor=factors(), pool=st.one_of(st.none(), st.just("nominal"),
                                                                    st.integers(1, 5_000_000)),
       by_share=st.booleans())
def test_better_grade_never_pays_less_with_the_same_base(spec, factor, pool, by_share):
    u = simkit.evaluate(scenario(factor, pool, by_share=by_share), spec.data(), 2018).units
    assert u["bonus_base"].nunique() == 1
    for better, worse in pairs_better_worse(u):
        assert better.payout >= worse.payout, (better.unit, better.grade, worse.unit, worse.grade)


@PROPS
@given(spec=specs(), factor=factors(), pool=st.one_of(st.none(), st.just("nominal"), st.integers(1, 5_000_000)),
       by_share=st.booleans())
def test_payout_per_base_is_monotone_in_grade(spec, factor, pool, by_share):
    r = simkit.evaluate(scenario(factor, pool, by_share=by_share), spec.data(), 2018)
    u = r.units
    exact = pd.Series(r["payout"][0, -1], index=r.data.units["unit"])  # before rounding to the yuan
    for better, worse in pairs_better_worse(u):
        assert exact[better.unit] / better.bonus_base >= exact[worse.unit] / worse.bonus_base - 1e-12
        # after rounding, each payout is off by less than a yuan
        slack = 1 / better.bonus_base + 1 / worse.bonus_base
        assert better.payout / better.bonus_base >= worse.payout / worse.bonus_base - slack


# ================================================================================================ open-ended
@PROPS
@given(spec=specs(), factor=factors(), veto_bonus=st.sampled_from(["no_increase", "nothing", "as_graded"]),
       by_share=st.booleans())
def test_open_ended_total_is_the_rounded_sum_of_base_times_one_plus_factor(spec, factor, veto_bonus, by_share):
    r = simkit.evaluate(scenario(factor, None, veto_bonus=veto_bonus, by_share=by_share), spec.data(), 2018)
    u = r.units
    raw = u["bonus_base"] * (1 + u["bonus_factor"].fillna(-1.0))
    assert int(u["payout"].sum()) == round(float(raw.sum()))
    assert (np.abs(u["payout"] - raw) < 1).all()
    b = r.budget()
    assert b["scale"] == 1.0 and b["pool"] is None
    assert b["budget"] == u["bonus_base"].sum()  # open-ended: the budget shown is the sum of bases
    # the float is the grade's, capped at 0 (no_increase) or −1 (nothing) for a vetoed unit
    for row in u.itertuples():
        f = factor[row.grade]
        if row.vetoed and veto_bonus == "no_increase":
            f = min(f, 0.0)
        elif row.vetoed and veto_bonus == "nothing":
            f = -1.0
        assert row.bonus_factor == f
