"""The cascade to people (``consequences.cascade``) as arrays of a result: staff 优秀 slots, the leadership
team's grade, the main leader's step, the per-head bonus by individual grade, and the table of whole yuan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..rules.cascade import per_head, split_yuan, staff_slots, team_grade
from ..rules.consequences import unit_attribute

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result


def with_cascade(result: Result) -> Result:
    """The result with the cascade's arrays (every draw and year), when the scenario sets one."""
    cascade = result.scenario.consequences.cascade
    if cascade is None or "grade" not in result.variables:
        return result
    v = result.variables
    grade, vetoed = v["grade"], v["vetoed"]
    names = result.grade_names
    units = result.data.units
    out: dict[str, np.ndarray] = {}
    if cascade.staff is not None:
        head = unit_attribute(units, cascade.staff.headcount_attribute, result.data.source,
                              "cascade.staff.headcount_attribute")
        flat = (-1, grade.shape[-1])
        slots = staff_slots(cascade.staff, grade.reshape(flat), names, head, vetoed.reshape(flat),
                            rank=v["rank"].reshape(flat), unit_order=result.plan.unit_order)
        out["staff_excellent_slots"] = slots.reshape(grade.shape)
        if cascade.per_head is not None and "payout" in v:
            paid = result.paid()
            exc, oth = per_head(cascade.per_head, paid, head, out["staff_excellent_slots"])
            out["per_head_excellent"], out["per_head_other"] = exc, oth
    if cascade.team is not None:
        out["team_grade"] = team_grade(cascade.team, grade, names, vetoed)
    if cascade.leader is not None:
        step = v.get("step")
        out["leader_step"] = step if cascade.leader.accountability and step is not None else np.full(grade.shape, -1)
    return replace(result, variables={**v, **out})


def unit_columns(result: Result) -> dict[str, object]:
    """The columns ``result.units`` gains from the cascade (focus year, draw 0), in the data's unit order."""
    cascade = result.scenario.consequences.cascade
    out: dict[str, object] = {}
    if cascade is None:
        return out
    now = result._now
    if "staff_excellent_slots" in result.variables:
        out["staff_excellent_slots"] = now("staff_excellent_slots")
    if "per_head_excellent" in result.variables:
        out["per_head_excellent"] = np.round(now("per_head_excellent"), 2)
        out["per_head_other"] = np.round(now("per_head_other"), 2)
    if "team_grade" in result.variables:
        team = cascade.team
        code = now("team_grade")
        en = [team.grades_en[k] if k < len(team.grades_en) else g for k, g in enumerate(team.grades)]
        out["team_grade"] = [team.grades[c] if c >= 0 else None for c in code]
        out["team_grade_en"] = [en[c] if c >= 0 else None for c in code]
    if "leader_step" in result.variables:
        acc = result.scenario.consequences.accountability
        step = now("leader_step")
        steps = acc.steps if acc is not None else ()
        steps_en = [acc.steps_en[k] if k < len(acc.steps_en) else s for k, s in enumerate(steps)] if acc else []
        out["leader_accountability"] = [steps[k] if k >= 0 else "" for k in step]
        out["leader_accountability_en"] = [steps_en[k] if k >= 0 else "" for k in step]
        eligible = cascade.leader.eligible_team_grades
        if eligible and "team_grade" in out:
            out["leader_eligible"] = [g in eligible for g in out["team_grade"]]
        else:
            out["leader_eligible"] = [True] * len(step)
    return out


def staff_table(result: Result) -> pd.DataFrame:
    """The per-head bonus of the focus year in whole yuan, one row per unit and individual grade: unit, name,
    group, grade (the unit's), individual_grade, heads, amount (yuan per head), plus_one (how many of them get
    one yuan more), total; per unit the totals add up to its bonus."""
    cols = ["unit", "name", "group", "grade", "individual_grade", "heads", "amount", "plus_one", "total"]
    cascade = result.scenario.consequences.cascade
    if cascade is None or "per_head_excellent" not in result.variables:
        return pd.DataFrame(columns=cols)
    units = result.data.units
    head = units[cascade.staff.headcount_attribute].to_numpy(dtype=float)
    slots = result._now("staff_excellent_slots")
    paid = result.paid()[0, result._k]
    fe, pe, fo, po = split_yuan(paid, head, slots, result._now("per_head_excellent"), result._now("per_head_other"))
    k = np.minimum(slots, np.nan_to_num(head)).astype(np.int64)
    grades = result.grade_names
    code = result._now("grade")
    rows = []
    rule = cascade.per_head
    for u in range(len(units)):
        g = grades[code[u]] if code[u] >= 0 else None
        n_o = int(np.nan_to_num(head[u])) - int(k[u])
        for name, heads, amount, plus in ((rule.excellent_name, int(k[u]), fe[u], pe[u]),
                                          (rule.other_name, n_o, fo[u], po[u])):
            rows.append({"unit": units["unit"].iat[u], "name": units["name"].iat[u], "group": units["group"].iat[u],
                         "grade": g, "individual_grade": name, "heads": heads, "amount": int(amount),
                         "plus_one": int(plus), "total": int(heads * amount + plus)})
    return pd.DataFrame(rows, columns=cols)
