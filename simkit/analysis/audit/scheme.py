"""The scheme as evaluated, the outcome of every unit, and what the leaf scores depend on (the audit's base)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ...engine.compile import Inputs, Plan, compile_plan, inputs_of
from ...engine.evaluate import evaluate, run
from ...engine.result import Result
from ...engine.stages import LookBackStart
from ...io.dataset import Dataset
from ...schema.missing import POLICY_CODES
from ...schema.scenario import Scenario

#: The moves, in the order a tie between equal moves is broken.
KINDS: tuple[str, ...] = ("withhold", "hold_back", "shift", "category")
#: Measure units of amounts and counts, which can be booked in another year (``shift``).
AMOUNT_UNITS: frozenset[str] = frozenset({
    "亿元", "万元", "千元", "万美元", "亿美元", "美元", "人", "万人", "户", "个", "家", "项", "起", "件", "件次", "宗",
    "吨", "万吨", "辆"})
FRACTIONS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10, 0.20)
TOL_YUAN = 0.5


@dataclass(frozen=True)
class Scheme:
    """The scheme as evaluated: the plan, the year indices of the batch (``ys``), the outcome of every unit."""

    plan: Plan
    inputs: Inputs
    t: int
    ys: list[int]
    res: Result
    chained: bool  # the look-back runs: a variant's batch starts from the scheme's outcome of the year before
    whole: bool = False  # a progress prize is read within the batch: every variant runs the scheme's whole chain

    @property
    def prev(self) -> bool:
        """Is ``t − 1`` evaluated (its grade and yuan reported as the price of a move made in it)?"""
        return self.t - 1 in self.ys

    def start(self, first: int, n: int) -> LookBackStart | None:
        """The look-back's year before ``first``, from the scheme's own outcome, for ``n`` draws."""
        if not self.chained or first - 1 not in self.ys:
            return None
        k = self.ys.index(first - 1)

        def rep(name: str) -> np.ndarray:
            return np.repeat(self.res[name][:1, k], n, axis=0)

        return LookBackStart(rep("rank"), rep("score"), rep("bottom_years"))

    def outcome(self, year: int) -> dict[str, np.ndarray]:
        """Every unit's outcome (U,) in year index ``year``."""
        return outcome_of(self.res, self.ys.index(year))


def outcome_of(res: Result, y: int, draws: np.ndarray | None = None,
               units: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Score, rank, grade, step, yuan, slots, progress of year position ``y``: of every unit of draw 0, or of
    unit ``units[i]`` in draw ``draws[i]``."""
    def get(name: str, fill: float) -> np.ndarray:
        if name not in res:
            shape = (len(draws),) if draws is not None else (res["score"].shape[-1],)
            return np.full(shape, fill)
        a = res[name][:, y]
        return a[draws, units] if draws is not None else a[0]

    money = np.nan_to_num(get("payout", 0.0)) + np.nan_to_num(get("prize", 0.0))
    return {"score": get("score", np.nan), "rank": get("rank", np.nan), "grade": get("grade", -1).astype(int),
            "step": get("step", -1).astype(int), "yuan": money, "slots": np.nan_to_num(get("award_slots", 0.0)),
            "progress": get("progress_award", 0).astype(bool)}


def scheme_of(scenario: Scenario, data: Dataset, year: int | None) -> Scheme:
    """Evaluate the scheme as it is: the year, and the years before it the look-back and the moves' price need."""
    result = evaluate(scenario, data, year)  # raises the reasons a year cannot be evaluated
    plan = compile_plan(scenario, data)
    t = plan.year_index(result.year)
    cons = scenario.consequences
    chained = bool(cons.progress or cons.accountability)
    ys = [plan.years.index(y) for y in result.years]
    if not chained and t - 1 >= plan.history:  # the year before too, for the price a move pays in it
        ys = [t - 1, t]
    whole = cons.prizes is not None and cons.progress is not None and cons.prizes.progress is not None
    inputs = inputs_of(plan)
    res = run(plan, inputs, ys, detail=False)
    return Scheme(plan, inputs, t, ys, res, chained and not whole, whole)


def leaves_see_groups(plan: Plan) -> bool:
    """Do the leaf scores depend on the group (relative scoring, a target split within the group, the group's
    worst share for a missing value)?"""
    codes = np.concatenate([plan.missing.code, plan.missing.then])
    return (any(rs.rule.scoring.relative for rs in plan.rule_sets)
            or any("decomposed" in json.dumps(rs.rule.target.model_dump(mode="json")) for rs in plan.rule_sets)
            or bool((codes == POLICY_CODES["group_min"]).any()))


def blocks(plan: Plan) -> str | None:
    """Which units' leaf scores can depend on each other: ``unit`` (none: each unit's own values only),
    ``group`` (relative scoring, a target split within the group, the group's worst share for a missing
    value), None (a rule over all units)."""
    if any(getattr(rs.rule.scoring, "over", "group") == "all" for rs in plan.rule_sets):
        return None
    return "group" if leaves_see_groups(plan) else "unit"
