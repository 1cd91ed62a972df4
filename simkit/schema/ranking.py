"""Ranking within each group (组内排名): the parameter model.  The functions are in ``simkit.rules.ranking``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import Frozen

TieRule = Literal["min", "max", "dense", "first"]
#: The tie rules: min (1 2 2 4), max (1 3 3 4), dense (1 2 2 3), first (1 2 3 4).
TIE_RULES: tuple[str, ...] = ("min", "max", "dense", "first")


class Ranking(Frozen):
    """Ranking within each group.  E.g. ``ranking: {ties: min, smooth_years: 3}`` ranks and grades on the
    mean of the last three years' totals (近三年平均), ties sharing the better place."""

    ties: TieRule = Field(
        "min", description="Tie rule: min (1 2 2 4), max (1 3 3 4), dense (1 2 2 3), first (1 2 3 4)."
    )
    tie_break: tuple[str, ...] = Field(
        (), description="Node ids whose scores break ties on the total, in order (then unit id order for `first`)."
    )
    decimals: int = Field(6, ge=0, le=12, description="Totals are compared after rounding to this many decimals.")
    smooth_years: int = Field(
        1, ge=1, le=10,
        description="多年平均得分 (smoothed score): rank and grade on the mean of the unit's totals over the "
        "evaluated year and the k − 1 years before it (fewer where the data, or the years the rules can evaluate, "
        "start later; a year without a total is left out of the mean).  The year's own total stays reported; the "
        "mean is the column `score_smoothed`.  1 (the default): the year's own total.",
    )
