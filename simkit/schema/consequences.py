"""What follows from a grade or a rank (结果运用): the scenario's settings for bonuses (绩效奖金), award slots
(评先评优指标), progress awards (进步奖), the accountability ladder (约谈、诫勉谈话、调整岗位) and what a
veto does to each.  Plain, validated data; the computations live in
``simkit.rules.consequences``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ._base import Frozen
from .cascade import Cascade


class Tier(Frozen):
    """A rank tier within a group, from the top: a share of the group (or a count) and its bonus factor."""

    name: str = Field(description="Tier name, e.g. 前20%.")
    share: float | None = Field(None, ge=0, le=1, description="Share of the group in this tier.")
    count: int | None = Field(None, ge=0, description="Number of units in this tier.")
    factor: float = Field(description="Bonus float, e.g. 0.2 = +20%, -1 = nothing paid.")
    from_: Literal["top", "bottom"] = Field("top", alias="from", description="Counted from the top or the bottom.")


class Bonus(Frozen):
    """绩效奖金: base × (1 + factor), the factor by grade or by rank tier; open-ended or scaled to a pool.

    The base is a unit attribute (``base_attribute``, per unit or per head), or a flat ``amount`` if set.  A factor
    of −1 means nothing is paid.  With ``pool`` set, every payout is scaled by the same factor so that the
    total equals the pool; ``pool: nominal`` uses the sum of the bases (a budget-neutral float).  Amounts are
    rounded to the yuan by largest remainder, so the rounded total is exact.
    """

    by: Literal["grade", "tier"] = Field("grade", description="Factor by grade or by rank tier.")
    factors: dict[str, float] = Field(default_factory=dict, description="By grade: grade name → float.")
    tiers: tuple[Tier, ...] = Field((), description="By tier: the tiers, best first; units beyond get `rest`.")
    rest: float = Field(0.0, description="By tier: the factor of units in no tier.")
    base_attribute: str | None = Field(
        "bonus_per_head", description="Unit attribute holding the base amount (yuan); ignored when `amount` is set."
    )
    per_head: bool = Field(True, description="Multiply the base by the unit's headcount attribute.")
    headcount_attribute: str = Field("headcount", description="Unit attribute holding the headcount.")
    amount: float | None = Field(None, ge=0, description="A flat base amount (yuan) for every unit; replaces the "
                                 "base attribute when set.")
    pool: float | Literal["nominal"] | None = Field(
        None, description="Fixed budget (yuan) to scale payouts to, `nominal` (= sum of bases), or none (open-ended)."
    )

    def veto_cap_applies(self, veto: VetoEffects) -> bool:
        """Is a vetoed unit's payout kept at or below its base when the pool scales payouts up?"""
        return self.pool is not None and veto.bonus == "no_increase"

    @model_validator(mode="after")
    def _check(self) -> Bonus:
        if self.by == "tier" and not self.tiers:
            raise ValueError("bonus by tier needs `tiers`")
        if self.base_attribute is None and self.amount is None:
            raise ValueError("give a base_attribute or an amount")
        if any(f < -1 for f in self.factors.values()) or any(t.factor < -1 for t in self.tiers) or self.rest < -1:
            raise ValueError("a factor below -1 would make a payout negative; -1 already pays nothing")
        if isinstance(self.pool, float | int) and self.pool < 0:
            raise ValueError(f"the pool is {self.pool:g} yuan — fix: give a pool of 0 or more, `nominal` (the sum "
                             "of the bases), or none")
        shares = [(t.name, t.share) for t in self.tiers if t.share is not None]
        if sum(v for _, v in shares) > 1 + 1e-9:
            raise ValueError(f"the tiers' shares add up to {sum(v for _, v in shares):g}, more than the whole group "
                             "— fix: lower them so that they add up to at most 1")
        return self


class Awards(Frozen):
    """评先评优指标: ``quota`` whole award slots shared among units in proportion to a weight per grade
    (times headcount if ``per_head``), by largest remainder; equal remainders go to the better-ranked unit,
    then by unit id.  The slots add up to the quota exactly."""

    quota: int = Field(ge=0, description="Total award slots to share out.")
    weights: dict[str, float] = Field(description="Grade name → allocation weight, e.g. 优秀 1.5, 较差 0.5.")
    per_head: bool = Field(True, description="Weight each unit by its headcount too.")
    headcount_attribute: str = Field("headcount", description="Unit attribute holding the headcount.")
    scope: Literal["all", "group"] = Field(
        "all", description="`all`: one quota shared by every unit; `group`: the quota for each group."
    )


class Progress(Frozen):
    """进步奖 against the previous year: units gaining at least ``min_places`` places in their group, or the
    ``top_n`` units of each group by score improvement (ties at the edge all get it)."""

    rule: Literal["places", "score"] = Field("places", description="`places` gained or `score` improvement.")
    min_places: int = Field(2, ge=1, description="Places to gain (rule `places`).")
    top_n: int = Field(1, ge=1, description="Awards per group (rule `score`).")
    min_gain: float = Field(0.0, description="Smallest score improvement that can win (rule `score`).")
    exclude_grades: tuple[str, ...] = Field((), description="Grades that cannot win a progress award this year.")


class InLast(Frozen):
    """In the bottom tier in at least ``m`` of the last ``n`` years (the evaluated one included)."""

    m: int = Field(ge=1, description="Years in the bottom tier needed (至少m年末位), e.g. 2.")
    n: int = Field(ge=1, le=10, description="Years looked at, the evaluated one and the n − 1 before (近n年), e.g. 3.")

    @model_validator(mode="after")
    def _m_le_n(self) -> InLast:
        if self.m > self.n:
            raise ValueError(f"in_last asks for {self.m} bottom years out of the last {self.n} — fix: give m no "
                             "larger than n")
        return self


class Require(Frozen):
    """问责门槛 (accountability threshold): what a year in the bottom tier must also show to count for the ladder.

    ``margin``: the unit's score (the one graded, ``ranking.smooth_years``) is at least this many points below
    the lowest score of its group outside the bottom tier (明显落后); a group with nobody outside the bottom tier
    meets any margin.  ``in_last``: the unit is in the bottom tier in at least m of the last n years (this one
    included; fewer years where the evaluated history starts later).  With both, ``combine: any`` (the default)
    asks for one of them, ``all`` for both.  E.g. ``require: {margin: 2, in_last: {m: 2, n: 3}}``: clearly
    last (2 points below the next unit up) or in the bottom tier in 2 of the last 3 years.
    """

    margin: float | None = Field(None, ge=0, description="Points below the next unit up outside the bottom tier "
                                 "(落后幅度), e.g. 2.")
    in_last: InLast | None = Field(None, description="At least m bottom years of the last n (近n年至少m年末位).")
    combine: Literal["any", "all"] = Field("any", description="With margin and in_last: `any` one of them or "
                                           "`all` of them.")

    @model_validator(mode="after")
    def _something(self) -> Require:
        if self.margin is None and self.in_last is None:
            raise ValueError("accountability.require asks for nothing — fix: give a margin, in_last, or both, or "
                             "remove require")
        return self


class Accountability(Frozen):
    """An accountability ladder: a unit in the bottom tier for 1, 2, 3, ... consecutive years gets the 1st,
    2nd, 3rd, ... step (the last step repeats).

    With ``require``, a year counts for the ladder only when the unit is in the bottom tier *and* meets the
    requirement; the ladder climbs over consecutive such years (a year that does not count starts it again).
    ``bottom_years`` still counts the consecutive years in the bottom tier.  E.g. with ``require: {in_last:
    {m: 2, n: 3}}`` a unit 较差 in 2016, 2017 and 2018 gets nothing in 2016 (1 of 3), 约谈 in 2017, 诫勉谈话 in 2018.
    """

    bottom_grades: tuple[str, ...] = Field(("较差",), description="Grades that count as the bottom tier.")
    steps: tuple[str, ...] = Field(("约谈", "诫勉谈话", "调整岗位"), min_length=1, description="The steps.")
    steps_en: tuple[str, ...] = Field(
        ("interview", "admonishment", "reassignment"), description="English names of the steps."
    )
    require: Require | None = Field(
        None, description="问责门槛 (threshold): a bottom year counts for the ladder only beyond a margin or in m of "
        "the last n years; none (the default): every bottom year counts."
    )


class Prizes(Frozen):
    """Prize money (奖励金额) beside the bonus: a fixed amount per unit of a grade (综合奖励, e.g. 10万元 for
    优秀) and a fixed amount per progress award (进步奖励).  Added to the budget; a vetoed unit (一票否决) gets
    none unless ``vetoed: as_graded``."""

    by_grade: dict[str, float] = Field(
        default_factory=dict, description="Grade name → prize per unit of that grade (yuan), e.g. {优秀: 100000}.")
    progress: float | None = Field(
        None, ge=0, description="Prize per progress award (yuan); needs `consequences.progress`.")
    vetoed: Literal["none", "as_graded"] = Field(
        "none", description="A vetoed unit's prize: `none` (no prize money) or `as_graded` (as its grade and "
        "progress award say).")

    @model_validator(mode="after")
    def _check(self) -> Prizes:
        bad = [f"{g} ({v:g})" for g, v in self.by_grade.items() if v < 0]
        if bad:
            raise ValueError(f"prizes.by_grade has negative amounts: {', '.join(bad)} — fix: give amounts of 0 "
                             "yuan or more")
        return self


class VetoEffects(Frozen):
    """What a veto (一票否决) does to each consequence."""

    bonus: Literal["as_graded", "no_increase", "nothing"] = Field(
        "no_increase", description="`no_increase` caps the float at 0; `nothing` pays nothing."
    )
    awards: Literal["as_graded", "none"] = Field("none", description="`none`: no award slots.")
    progress: Literal["keep", "exclude"] = Field("exclude", description="`exclude`: no progress award.")


class Consequences(Frozen):
    """Everything that follows from the grades; each part is optional."""

    bonus: Bonus | None = Field(None, description="Performance bonus (绩效奖金).")
    awards: Awards | None = Field(None, description="Award slots (评先评优指标).")
    progress: Progress | None = Field(None, description="Progress award (进步奖).")
    accountability: Accountability | None = Field(None, description="Accountability ladder (问责).")
    prizes: Prizes | None = Field(None, description="Prize money per grade and per progress award (综合奖励、"
                                  "进步奖励).")
    veto: VetoEffects = Field(default_factory=VetoEffects, description="What a veto does to each.")
    cascade: Cascade | None = Field(None, description="From the unit to people: staff 优秀 slots, the leadership "
                                    "team's grade, the main leader, per-head bonuses (考人).")

    @model_validator(mode="after")
    def _prizes_need_progress(self) -> Consequences:
        if self.prizes is not None and self.prizes.progress is not None and self.progress is None:
            raise ValueError("prizes.progress pays a prize per progress award, but the scenario gives no progress "
                             "award — fix: add consequences.progress, or remove prizes.progress")
        c = self.cascade
        if c is not None and c.per_head is not None and self.bonus is None:
            raise ValueError("cascade.per_head shares the unit's bonus among its staff, but the scenario pays no "
                             "bonus — fix: add consequences.bonus, or remove cascade.per_head")
        if c is not None and c.leader is not None and c.leader.accountability and self.accountability is None:
            raise ValueError("cascade.leader links the main leader to the accountability ladder, but the scenario "
                             "has none — fix: add consequences.accountability, or set leader.accountability: false")
        return self
