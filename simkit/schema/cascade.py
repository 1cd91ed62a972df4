"""The cascade to people (从考事到考人): what a unit's result means for its staff, its leadership team and its
main leader.

- ``staff``: the share of a unit's staff who may be rated 优秀 in the all-staff evaluation (全员绩效考评), by the
  unit's grade; whole slots per unit (at most the share, rounded down, or to a city total by largest remainder);
- ``team``: the leadership team's grade (领导班子等次) from the unit's grade, by a stated mapping, and what a
  veto does to it;
- ``leader``: the main leader (主要领导) takes the unit's step of the accountability ladder, and may be rated
  优秀 only when the team's grade allows;
- ``per_head``: the unit's bonus shared among its staff by individual grade, e.g. 优秀 ×1.2 of the unit's
  per-head amount, the rest ×1.0, within the unit's total (whole yuan that add up to it).

The computations are in ``simkit.rules.cascade``.

>>> s = StaffQuota(shares={"优秀": 0.2, "良好": 0.15})
>>> s.share_of("良好"), s.share_of("较差")
(0.15, 0.0)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import Frozen


class StaffQuota(Frozen):
    """全员绩效考评优秀名额: per unit grade, the share of staff who may be rated 优秀; whole slots."""

    shares: dict[str, float] = Field(description="Unit grade → share of its staff who may be rated 优秀, e.g. "
                                     "{优秀: 0.20, 良好: 0.15, 一般: 0.12, 较差: 0.08}; a grade not listed: none.")
    headcount_attribute: str = Field("headcount", description="Unit attribute holding the staff headcount.")
    city_total: int | None = Field(None, ge=0, description="The city's total of staff 优秀 slots, shared in "
                                   "proportion to share × headcount by largest remainder (better-ranked units "
                                   "first on equal remainders); none = each unit's own share, rounded down.")
    rounding: Literal["floor", "round"] = Field("floor", description="Without a city total: `floor` (never more "
                                                "than the share) or `round` (half up).")
    vetoed: float | None = Field(None, ge=0, le=1, description="The share of a vetoed unit (一票否决); none = as "
                                 "its grade says.")

    @field_validator("shares")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [f"{g} ({s:g})" for g, s in v.items() if not 0 <= s <= 1]
        if bad:
            raise ValueError(f"staff shares must be between 0 and 1: {', '.join(bad)}")
        return v

    def share_of(self, grade: str) -> float:
        return float(self.shares.get(grade, 0.0))


class TeamGrades(Frozen):
    """领导班子等次 from the unit's grade: a stated mapping; a vetoed unit's team gets at best ``vetoed``."""

    grades: tuple[str, ...] = Field(("好", "较好", "一般", "较差"), min_length=1,
                                    description="The team grades, best first.")
    grades_en: tuple[str, ...] = Field(("Good", "Fairly good", "Fair", "Poor"),
                                       description="English names of the team grades.")
    mapping: dict[str, str] = Field(description="Unit grade → team grade, e.g. {优秀: 好, 良好: 较好, 一般: 一般, "
                                    "较差: 较差}; every unit grade needs one.")
    vetoed: str | None = Field(None, description="The best team grade a vetoed unit's team can get (一票否决), e.g. "
                               "一般: a team mapped better gets 一般, one mapped worse keeps its grade; none = as "
                               "mapped.")

    @model_validator(mode="after")
    def _names(self) -> TeamGrades:
        known = set(self.grades)
        named = [("mapping", g) for g in self.mapping.values()] + ([("vetoed", self.vetoed)] if self.vetoed else [])
        bad = [f"{where} names {g!r}" for where, g in named if g not in known]
        if bad:
            raise ValueError(f"{'; '.join(bad)}, which is not a team grade — fix: use {', '.join(self.grades)} (or "
                             "list it under `grades`)")
        if len(set(self.grades)) != len(self.grades):
            raise ValueError("team grade names must be unique")
        return self


class Leader(Frozen):
    """主要领导: takes the unit's step of the accountability ladder; may be rated 优秀 only with these team grades."""

    accountability: bool = Field(True, description="The main leader takes the unit's step of the accountability "
                                 "ladder (约谈, 诫勉谈话, 调整岗位 …); needs `consequences.accountability`.")
    eligible_team_grades: tuple[str, ...] = Field((), description="Team grades whose main leader may be rated 优秀; "
                                                  "empty = any.")


class PerHead(Frozen):
    """个人绩效奖金: the unit's bonus shared by individual grade: staff rated 优秀 (the unit's staff slots) get
    ``excellent`` × the unit's per-head amount, the others ``other`` ×, adding up to the unit's bonus."""

    excellent: float = Field(1.2, ge=0, description="Factor of a staff member rated 优秀 (e.g. 1.2 = +20% on the "
                             "unit's per-head amount).")
    other: float = Field(1.0, ge=0, description="Factor of every other staff member.")
    excellent_name: str = Field("优秀", description="Name of the individual grade with the slots.")
    other_name: str = Field("称职", description="Name of the others' individual grade.")


class Cascade(Frozen):
    """From the unit to people (考人): staff 优秀 slots, the team's grade, the main leader, per-head bonuses."""

    staff: StaffQuota | None = Field(None, description="Staff 优秀 slots per unit grade (全员绩效考评).")
    team: TeamGrades | None = Field(None, description="The leadership team's grade (领导班子等次).")
    leader: Leader | None = Field(None, description="The main leader's link to the accountability ladder.")
    per_head: PerHead | None = Field(None, description="Per-head bonus by individual grade; needs `staff` and "
                                     "`consequences.bonus`.")

    @model_validator(mode="after")
    def _needs(self) -> Cascade:
        if self.per_head is not None and self.staff is None:
            raise ValueError("cascade.per_head shares the bonus by the staff 优秀 slots, but there is no "
                             "cascade.staff — fix: add cascade.staff, or remove cascade.per_head")
        if self.leader is not None and self.leader.eligible_team_grades and self.team is None:
            raise ValueError("cascade.leader.eligible_team_grades names team grades, but there is no cascade.team "
                             "— fix: add cascade.team, or remove eligible_team_grades")
        if self.leader is not None and self.team is not None:
            bad = [g for g in self.leader.eligible_team_grades if g not in self.team.grades]
            if bad:
                raise ValueError(f"cascade.leader.eligible_team_grades names {', '.join(bad)}, which is not a team "
                                 f"grade — fix: use {', '.join(self.team.grades)}")
        return self
