"""Grades (等次) by score bands and/or quotas within each group: the parameter models.  The procedure is in
``simkit.rules.grading``."""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, model_validator

from ._base import Frozen


class Grade(Frozen):
    """One grade, best first in the list.  A quota (``share`` or ``count``) and/or a minimum score."""

    name: str = Field(description="Grade name, e.g. 优秀.")
    name_en: str | None = Field(None, description="English name, e.g. Excellent.")
    share: float | None = Field(None, ge=0, le=1, description="Quota as a share of the group (e.g. 0.25).")
    count: int | None = Field(None, ge=0, description="Quota as a number of units (e.g. 1).")
    min_score: float | None = Field(None, description="Lowest total for this grade (score band).")
    from_: Literal["top", "bottom"] = Field(
        "top", alias="from", description="`bottom`: the quota is filled from the bottom of the group (末位)."
    )

    @model_validator(mode="after")
    def _one_quota(self) -> Grade:
        if self.share is not None and self.count is not None:
            raise ValueError(f"grade {self.name}: give share or count, not both")
        if self.from_ == "bottom" and self.share is None and self.count is None:
            raise ValueError(f"grade {self.name}: a bottom grade needs a share or a count")
        return self


class Grading(Frozen):
    """Grades by score bands, by quota within each group, or both.

    Bottom quotas are filled first, from the last place up; then the other grades in order from the top,
    each taking the best units not yet graded that reach its ``min_score``, up to its quota.  The last
    grade without a quota takes the rest.  A bottom quota never takes a group's only unit.

    ``tie_margin`` widens the ties for grading: with ``tie_margin: 1``, totals of 90.0, 89.4 and 80 make 90.0
    and 89.4 one tie block (0.6 < 1 point), so a quota of one 优秀 goes to both under ``ties: share``.
    """

    grades: tuple[Grade, ...] = Field(
        (
            Grade(name="优秀", name_en="Excellent", min_score=90),
            Grade(name="良好", name_en="Good", min_score=80),
            Grade(name="一般", name_en="Fair", min_score=60),
            Grade(name="较差", name_en="Poor"),
        ),
        description="The grades, best first.",
        min_length=1,
    )
    rounding: Literal["floor", "round", "ceil"] = Field(
        "floor", description="How share × group size becomes a whole quota (round: half up)."
    )
    ties: Literal["share", "exclude"] = Field(
        "share",
        description="Units tied at a quota's edge: `share` gives all of them the better grade (the quota "
        "can be exceeded), `exclude` gives it to none of them.",
    )
    tie_margin: float = Field(
        0.0, ge=0,
        description="容差带 (tolerance band, points): for grading, totals closer than this to the next total of "
        "the group (in rank order) count as tied; chains within the margin form one tie block, which `ties` "
        "then handles (a bottom quota always spares a block at its edge).  Tie-break nodes do not split a "
        "block; the ranks reported are the ranking's own.  0 (the default): only equal totals are tied.",
    )

    @model_validator(mode="after")
    def _names(self) -> Grading:
        names = [g.name for g in self.grades]
        if len(set(names)) != len(names):
            raise ValueError("grade names must be unique")
        bands = [(g.name, g.min_score) for g in self.grades if g.min_score is not None]
        for (a, x), (b, y) in pairwise(bands):
            if y >= x:
                raise ValueError(f"score bands out of order: {a} needs {x:g} and {b}, a lower grade, needs {y:g} "
                                 f"— fix: give every grade a lower min_score than the grade above it (best first)")
        shares = [(g.name, g.share) for g in self.grades if g.share is not None]
        total = sum(v for _, v in shares)
        if total > 1 + 1e-9:
            listed = " + ".join(f"{n} {v:g}" for n, v in shares)
            raise ValueError(f"the grade shares add up to {total:g} ({listed}), more than the whole group "
                             "— fix: lower the shares so that they add up to at most 1")
        return self

