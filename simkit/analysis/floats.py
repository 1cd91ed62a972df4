"""Float design (奖金浮动设计): from the floats a designer wants paid to the stated factors that pay them.

With a pool, every payout is ``base × (1 + f_grade) × s`` with one scale s for all, so a stated +20% is not
what is paid.  ``solve_floats`` takes the realised floats wanted for some grades (e.g. 一般 keeps exactly its
base, r = 0; 优秀 gets exactly +20%, r = 0.2) and finds stated factors that deliver them: the requested
grades get ``1 + f_g = 1 + r_g`` with the scale fixed at s = 1, so the stated factors are the realised ones;
the other grades keep the ratios of their ``1 + f`` among themselves, scaled by one K ≥ 0 so that the pool
adds up exactly:

    Σ_requested base·(1 + r_g) + Σ_others base·(1 + f0_h)·K = pool.

A vetoed unit under ``veto.bonus: no_increase`` has its float capped at 0 (its payout at its base), under
``nothing`` is paid nothing: its payout enters the pool equation as such, so the others still add up to the
pool; a vetoed unit of a grade with a positive request is paid its base, not the request (``capped``).  The
request is impossible when the requested grades alone need more than the pool, or when no unit of the other
grades can take up the rest (then the pool must be exactly what the requested grades need: ``pool`` says so).

The solution holds for the evaluation year's grades; another year's grades give other realised floats.

>>> import simkit
>>> s = solve_floats(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data(), 2018,
...                  requested={"一般": 0.0, "优秀": 0.2})
>>> s.factors["一般"], s.factors["优秀"], bool(s.check["error"].max() < 1e-9)
(0.0, 0.2, True)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.evaluate import evaluate
from ..engine.result import Result
from ..errors import Problem, ScenarioError, SimkitError
from ..io.dataset import Dataset
from ..schema.levers import Lever, SetFloat, SetPool, apply
from ..schema.scenario import Scenario
from ..schema.scenario import where as where_of


@dataclass(frozen=True)
class FloatSolution:
    """The solved scenario and how it was found: the stated ``factors`` per grade, the ``pool`` (yuan), the
    multiplier ``k`` of the other grades' (1 + f), the ``levers`` applied, the results ``before`` and ``after``,
    ``check`` (per requested grade: requested, realised before rounding, error, units), ``capped`` (ids of
    vetoed units paid their base or nothing instead of the request), ``order_broken`` (adjacent grades where the
    better one is paid the smaller float, e.g. ``良好 < 一般``) and ``order_pool`` (the pools, yuan, under which
    the same request keeps every grade at or above the next one; None: no pool does)."""

    scenario: Scenario
    factors: dict[str, float]
    pool: float | None
    k: float
    levers: tuple[Lever, ...]
    before: Result
    after: Result
    check: pd.DataFrame
    capped: tuple[str, ...]
    order_broken: tuple[str, ...] = ()
    order_pool: tuple[float, float] | None = None


def _problem(scenario: Scenario, message: str, fix: str, field: str) -> ScenarioError:
    return ScenarioError(Problem(where_of(scenario), message, fix, field=field))


def _check_request(scenario: Scenario, requested: Mapping[str, float]) -> None:
    bonus = scenario.consequences.bonus
    if bonus is None:
        raise _problem(scenario, "the scenario pays no bonus", "add consequences.bonus to the scenario",
                       "consequences.bonus")
    if bonus.by != "grade":
        raise _problem(scenario, "the bonus floats by rank tier; the solver sets floats by grade",
                       "use a scenario whose bonus is by grade (consequences.bonus.by: grade)", "consequences.bonus.by")
    names = [g.name for g in scenario.grading.grades]
    unknown = [g for g in requested if g not in names]
    if unknown:
        raise _problem(scenario, f"{', '.join(map(repr, unknown))} is not a grade of this scenario",
                       f"name one of the grades {', '.join(names)} (e.g. --keep {names[-2]}=0)", "grade")
    if not requested:
        raise _problem(scenario, "no realised float was requested", "give at least one grade, e.g. --keep 一般=0 "
                       "or --set 优秀=0.20", "grade")
    bad = [f"{g}={r!r}" for g, r in requested.items() if not (isinstance(r, int | float) and -1 <= r < 1e6)]
    if bad:
        raise _problem(scenario, f"the requested floats {', '.join(bad)} are not possible",
                       "give floats of −1 (nothing paid) or more, e.g. 0.2 = +20%", "grade")


def _pool_amount(pool: float | str | None, base: np.ndarray) -> float | None:
    return float(base.sum()) if pool == "nominal" else (None if pool is None else float(pool))


def _veto_payout(f: np.ndarray, vetoed: np.ndarray, rule: str) -> np.ndarray:
    """1 + the float actually applied: a vetoed unit's float capped at 0 (no_increase) or −1 (nothing)."""
    if rule == "no_increase":
        f = np.where(vetoed, np.minimum(f, 0.0), f)
    elif rule == "nothing":
        f = np.where(vetoed, -1.0, f)
    return 1.0 + f


def solve_k(linear: float, capped_base: np.ndarray, capped_c: np.ndarray, need: float) -> float | None:
    """The K ≥ 0 with ``linear·K + Σ capped_base·min(capped_c·K, 1) = need`` (None: no such K).

    The left side is continuous and non-decreasing in K (vetoed units stop at their base): it is solved on
    the segment between the breakpoints 1/c where ``need`` falls.

    >>> solve_k(2.0, np.array([10.0]), np.array([0.5]), 14.0)  # 2K + 10·min(0.5K, 1) = 14
    2.0
    >>> solve_k(0.0, np.array([10.0]), np.array([1.0]), 12.0) is None
    True
    """
    if need < 0:
        return None
    use = capped_c > 0
    b, c = capped_base[use], capped_c[use]
    order = np.argsort(1.0 / c)
    b, c = b[order], c[order]
    stops = 1.0 / c
    lo, fixed = 0.0, 0.0  # on [lo, stops[j]]: slope = linear + Σ_{not yet stopped} b·c, plus the stopped bases
    for j in range(len(stops) + 1):
        slope = linear + float((b[j:] * c[j:]).sum())
        at_lo = fixed + slope * lo
        hi = stops[j] if j < len(stops) else np.inf
        if slope > 0 and need <= at_lo + slope * (hi - lo) + 1e-9 * max(need, 1.0):
            return lo + (need - at_lo) / slope
        if slope == 0 and abs(need - at_lo) <= 1e-9 * max(need, 1.0):
            return lo
        if j < len(stops):
            fixed += float(b[j])
            lo = hi
    return None


def solve_floats(scenario: Scenario, data: Dataset | None = None, year: int | None = None, *,
                 requested: Mapping[str, float], pool: float | str | None = None) -> FloatSolution:
    """Stated factors (and, when every grade is requested, the pool) under which the requested grades are paid
    exactly ``base × (1 + r)`` and the pool adds up; ``pool`` (yuan or ``nominal``) replaces the scenario's."""
    if pool is not None and not (pool == "nominal" or (isinstance(pool, int | float) and pool >= 0)):
        raise _problem(scenario, f"the pool is {pool!r}", "give `nominal` (the sum of the bases) or an amount of "
                       "0 yuan or more", "pool")
    _check_request(scenario, requested)
    levers: list[Lever] = []
    if pool is not None:
        levers.append(SetPool(pool=pool))
    sc = apply(scenario, levers)
    before = evaluate(sc, data, year)
    bonus, veto = sc.consequences.bonus, sc.consequences.veto
    names = tuple(g.name for g in sc.grading.grades)
    base = np.asarray(before["bonus_base"], dtype=float)
    grade = before["grade"][0, before._k]
    vetoed = before["vetoed"][0, before._k].astype(bool)
    graded = grade >= 0
    f0 = np.array([bonus.factors.get(n, 0.0) for n in names])
    req = np.array([n in requested for n in names])
    r = np.array([float(requested.get(n, 0.0)) for n in names])
    g = np.where(graded, grade, 0)
    in_req = graded & req[g]
    in_rest = graded & ~req[g]
    fixed_pay = float((base * _veto_payout(r[g], vetoed, veto.bonus))[in_req].sum())
    amount = _pool_amount(sc.consequences.bonus.pool, base)
    # the other grades' payouts: linear in K, except vetoed units stopped at their base (no_increase)
    c = 1.0 + f0[g]
    linear = float((base * c)[in_rest & (~vetoed | (veto.bonus == "as_graded"))].sum())
    cap = in_rest & vetoed & (veto.bonus == "no_increase")
    k = 1.0
    if amount is not None:
        k, found = _solve_pool(sc, linear, base[cap], c[cap], fixed_pay, amount, every=bool(req.all()),
                               free=pool is None)
        if found is not None:
            amount = found
            levers.append(SetPool(pool=found))
    factors = {n: (float(r[i]) if req[i] else float((1.0 + f0[i]) * k - 1.0 if amount is not None else f0[i]))
               for i, n in enumerate(names)}
    levers += [SetFloat(grade=n, factor=max(v, -1.0)) for n, v in factors.items()]
    solved = apply(scenario, levers)
    after = evaluate(solved, data, year)
    check = _check(after, requested, vetoed)
    capped = tuple(np.asarray(before.data.unit_ids)[in_req & vetoed & (_veto_payout(r[g], vetoed, veto.bonus)
                                                                        < 1.0 + r[g] - 1e-12)])
    rounded = {n: round(v, 10) for n, v in factors.items()}
    broken = tuple(f"{a} < {b}" for a, b in itertools.pairwise(names) if rounded[a] < rounded[b] - 1e-12)
    order_pool = None
    if amount is not None and not req.all():
        order_pool = _order_pools(names, f0, r, req, fixed_pay, linear, base[cap], c[cap])
    return FloatSolution(solved, rounded, amount, float(k), tuple(levers), before, after, check, capped, broken,
                         order_pool)


def _order_pools(names: tuple[str, ...], f0: np.ndarray, r: np.ndarray, req: np.ndarray, fixed_pay: float,
                 linear: float, cap_base: np.ndarray, cap_c: np.ndarray) -> tuple[float, float] | None:
    """The pools under which each other grade's float (1 + f0)·K − 1 lies between the requested floats of the
    nearest requested grades above and below it (the grade order kept)."""
    k_lo, k_hi = 0.0, np.inf
    for h in np.flatnonzero(~req):
        if 1.0 + f0[h] <= 0:
            continue
        better = [i for i in range(h) if req[i]]
        worse = [i for i in range(h + 1, len(names)) if req[i]]
        if better:
            k_hi = min(k_hi, (1.0 + r[better[-1]]) / (1.0 + f0[h]))
        if worse:
            k_lo = max(k_lo, (1.0 + r[worse[0]]) / (1.0 + f0[h]))
    if k_lo > k_hi + 1e-12:
        return None

    def pool_at(k: float) -> float:
        return float(fixed_pay + linear * k + (cap_base * np.minimum(cap_c * k, 1.0)).sum())

    return pool_at(k_lo), (pool_at(k_hi) if np.isfinite(k_hi) else float("inf"))


def _solve_pool(sc: Scenario, linear: float, cap_base: np.ndarray, cap_c: np.ndarray, fixed_pay: float,
                amount: float, *, every: bool, free: bool) -> tuple[float, float | None]:
    """K for the other grades, and the pool found (None: the pool stays) when every grade is requested and no
    pool was given (``free``)."""
    if every or (linear == 0 and not len(cap_base)):
        # nobody takes up the rest: the pool must be what the requested grades need
        if free and every:
            return 1.0, round(fixed_pay, 2)
        if abs(amount - fixed_pay) < 0.5:
            return 1.0, None
        who = "every grade is requested" if every else "no unit of the other grades is paid a bonus this year"
        raise _problem(sc, f"{who}, so the pool must be what the requested grades need, {fixed_pay:,.2f} yuan; it "
                       f"is {amount:,.2f}", f"give --pool {fixed_pay:.2f}, or request fewer grades", "pool")
    need = amount - fixed_pay
    if need < -0.5:
        raise _problem(sc, f"the requested grades alone need {fixed_pay:,.2f} yuan, more than the pool of "
                       f"{amount:,.2f}", "request smaller floats, or a larger pool (--pool)", "pool")
    k = solve_k(linear, cap_base, cap_c, max(need, 0.0))
    if k is None:
        raise _problem(sc, f"the other grades can take up at most {float(cap_base.sum()):,.2f} yuan of the "
                       f"{need:,.2f} left in the pool (their vetoed units are capped at their base)",
                       "request larger floats, or a smaller pool (--pool)", "pool")
    return k, None


def _check(after: Result, requested: Mapping[str, float], vetoed: np.ndarray) -> pd.DataFrame:
    """Per requested grade: the realised float of its units that are not vetoed, before rounding."""
    names = after.grade_names
    base = np.asarray(after["bonus_base"], dtype=float)
    raw = after["payout"][0, after._k]
    grade = after["grade"][0, after._k]
    rows = []
    for gname, r in requested.items():
        sel = (grade == names.index(gname)) & ~vetoed & (base > 0)
        real = raw[sel] / base[sel] - 1.0
        err = float(np.max(np.abs(real - r))) if sel.any() else 0.0
        rows.append({"grade": gname, "requested": float(r), "realised": float(real.mean()) if sel.any() else np.nan,
                     "error": err, "units": int(sel.sum())})
    return pd.DataFrame(rows)


def parse_request(items: tuple[str, ...] | list[str], option: str, default: float | None = None) -> dict[str, float]:
    """``("一般=0", "优秀=20%")`` → ``{"一般": 0.0, "优秀": 0.2}``; a bare grade takes ``default`` (if any).

    >>> parse_request(["一般", "优秀=20%"], "--keep", 0.0)
    {'一般': 0.0, '优秀': 0.2}
    """
    out: dict[str, float] = {}
    for item in items:
        grade, sep, text = str(item).partition("=")
        grade, text = grade.strip(), text.strip()
        try:
            if not sep and default is not None:
                value = default
            else:
                value = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            raise SimkitError(Problem(option, f"{option} {item!r} is not GRADE=FLOAT",
                                      f"write e.g. {option} 优秀=0.20 (or 20%)", field=option)) from None
        if not grade or not np.isfinite(value):
            raise SimkitError(Problem(option, f"{option} {item!r} is not GRADE=FLOAT",
                                      f"write e.g. {option} 优秀=0.20 (or 20%)", field=option))
        if grade in out:
            raise SimkitError(Problem(option, f"{grade} is given twice", "give each grade once", field=option))
        out[grade] = value
    return out
