"""Why a unit got its total: its indicator contributions, its adjustments and the facts the sentences of
``simkit.present.text`` are made of.  Numbers only; the words are in the presentation layer.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import pandas as pd

from ..engine.result import Result
from ..errors import Problem, SimkitError


@dataclass(frozen=True)
class Explanation:
    """A unit's total broken into contributions, with a sentence in Chinese (``zh``) and English (``en``).

    ``contributions``: per indicator the points available (``weight``), the share, the points and the points
    lost; ``adjustments``: bonus and deducted points; ``row``: the unit's row of ``result.units``.
    """

    unit: str
    name: str
    contributions: pd.DataFrame
    adjustments: dict[str, float]
    row: pd.Series = field(repr=False)
    zh: str = ""
    en: str = ""

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return f"{self.zh}\n{self.en}"


def find_unit(result: Result, unit: str) -> pd.Series:
    """The row of ``result.units`` for a unit id, name or English name.

    An id wins; a name that several units share is an error listing them (give the id); an unknown name
    suggests the closest ones.
    """
    u = result.units
    hit = u[u["unit"] == unit]
    if hit.empty:
        hit = u[(u["name"] == unit) | (u["name_en"] == unit)]
    if len(hit) > 1:
        listed = ", ".join(f"{r.unit} ({r.name}, {r.group})" for r in hit.itertuples())
        raise SimkitError(Problem(result.data.source, f"{len(hit)} units are called {unit!r}: {listed}",
                                  "give the unit id instead of the name", field="unit"))
    if hit.empty:
        choices = [*u["unit"], *u["name"], *[n for n in u["name_en"] if n]]
        close = difflib.get_close_matches(str(unit), choices, n=3)
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise SimkitError(Problem(result.data.source, f"no unit called {unit!r}",
                                  f"{hint}give a unit id or name from the units table (e.g. "
                                  f"{u['unit'].iat[0]} or {u['name'].iat[0]})", field="unit"))
    return hit.iloc[0]


def explanation(result: Result, unit: str) -> Explanation:
    """The contributions and adjustments of ``unit`` (id or name), without the sentences.

    >>> import simkit
    >>> e = explanation(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")), "HS")
    >>> round(float(e.contributions["points"].sum()), 6) == round(float(e.row["base_score"]), 6)
    True
    """
    row = find_unit(result, unit)
    ind = result.indicators
    c = ind[ind["unit"] == row["unit"]][["indicator", "indicator_name", "parent", "weight", "share", "points",
                                         "measure", "measured", "target", "filled_by"]].copy()
    c["lost"] = (c["weight"] - c["points"]).clip(lower=0)
    c = c.sort_values("points", ascending=False).reset_index(drop=True)
    adj = {"bonus_points": float(row["bonus_points"]), "deduction_points": float(row["deduction_points"])}
    return Explanation(row["unit"], row["name"], c, adj, row)
