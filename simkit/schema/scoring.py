"""Scoring rules (指标计分规则): the parameter models.  The functions are in ``simkit.rules.scoring``.

A rule turns a measured value (and a target) into a share of the indicator's points; 1 is full points.
Each model says whether it compares with a target (``needs_target``) and whether it compares units with
each other (``relative``: shares depend on the rest of the group).  ``SCORING_MODELS`` collects every model
by its ``rule`` name; the scenario's ``scoring:`` field is built from it.

>>> Completion(cap=1.2).needs_target, MinMax().relative
(True, True)
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ._base import Frozen

SCORING_MODELS: dict[str, type[ScoringRule]] = {}


class ScoringRule(Frozen):
    """A scoring rule: every subclass names itself with ``rule: Literal[...]`` and is registered."""

    rule: str
    #: Does the rule compare against a target?  Rules that do not ignore the target rule.
    needs_target: ClassVar[bool] = False
    #: Does a unit's share depend on the other units of its group (or of all units)?
    relative: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        SCORING_MODELS[cls.model_fields["rule"].default] = cls


class Completion(ScoringRule):
    """完成率计分: share = completion ratio, linear between a floor and a cap (extra credit up to the cap).

    Completion r = 1 + (m − q)/|q| for higher-is-better (= m/q for a positive target).  For lower-is-better,
    ``lower: inverse`` takes q/m (a value of 0 or below beats any cap) and ``lower: gap`` takes
    1 + (q − m)/|q|; with a target of 0 or below the gap form is used either way.  A ratio below
    ``threshold`` scores 0.
    """

    rule: Literal["completion"] = "completion"
    needs_target: ClassVar[bool] = True
    floor: float = Field(0.0, description="Lowest share (e.g. 0).")
    cap: float = Field(1.0, description="Highest share, e.g. 1.2 for extra credit up to 120%.")
    threshold: float | None = Field(None, description="Completion below this scores 0 (低于此完成率不得分).")
    lower: Literal["inverse", "gap"] = Field("inverse", description="Completion formula for lower-is-better.")
    zero_target: Literal["error", "met_or_missed"] = Field(
        "error", description="A target of exactly 0: an error, or full share if met and the floor if not."
    )

    @model_validator(mode="after")
    def _check(self) -> Completion:
        if self.cap < self.floor:
            raise ValueError(f"cap ({self.cap}) is below floor ({self.floor})")
        return self


class AllOrNothing(ScoringRule):
    """达标计分: full share when the target is met, otherwise ``miss`` (usually 0)."""

    rule: Literal["all_or_nothing"] = "all_or_nothing"
    needs_target: ClassVar[bool] = True
    full: float = Field(1.0, description="Share when the target is met.")
    miss: float = Field(0.0, description="Share when it is not.")


class RankDecay(ScoringRule):
    """排名递减: first in the group gets full share, each next place ``step`` less, never below ``floor``."""

    rule: Literal["rank_decay"] = "rank_decay"
    relative: ClassVar[bool] = True
    step: float = Field(0.05, ge=0, le=1, description="Share lost per place, e.g. 0.05 = 5%.")
    floor: float = Field(0.0, ge=0, description="Lowest share.")


class RankTable(ScoringRule):
    """按名次赋分: the share for place 1, 2, 3, ... from a table; places beyond it get ``rest``."""

    rule: Literal["rank_table"] = "rank_table"
    relative: ClassVar[bool] = True
    table: tuple[float, ...] = Field(description="Shares for places 1, 2, 3, ...", min_length=1)
    rest: float = Field(0.0, description="Share for places beyond the table.")


class Leader(ScoringRule):
    """与第一名比: share = value / the group's best (lower-is-better: best / value).  Values must be ≥ 0."""

    rule: Literal["leader"] = "leader"
    relative: ClassVar[bool] = True


class Efficacy(ScoringRule):
    """功效系数法: share = base + (1 − base) × (v − min)/(max − min) within the group; all equal → full."""

    rule: Literal["efficacy"] = "efficacy"
    relative: ClassVar[bool] = True
    base: float = Field(0.6, ge=0, le=1, description="Share of the worst unit, e.g. 0.6.")


class GroupAverage(ScoringRule):
    """与平均值比: full share at the group average, proportional around it, between ``floor`` and ``cap``."""

    rule: Literal["group_average"] = "group_average"
    relative: ClassVar[bool] = True
    cap: float = Field(1.5, description="Highest share, e.g. 1.5.")
    floor: float = Field(0.0, description="Lowest share.")


class MinMax(ScoringRule):
    """Min-max normalisation (as composite-indicator tools do) to a score range; all equal → top of range.

    ``range`` is in points on the 100-point indicator scale: [0, 100] gives shares 0..1.
    """

    rule: Literal["minmax"] = "minmax"
    relative: ClassVar[bool] = True
    range: tuple[float, float] = Field((0.0, 100.0), description="Lowest and highest score.")
    over: Literal["group", "all"] = Field("group", description="Normalise within each group or over all.")

    @model_validator(mode="after")
    def _check(self) -> MinMax:
        if self.range[1] <= self.range[0]:
            raise ValueError(f"range {list(self.range)} must rise")
        return self


class ZScore(ScoringRule):
    """Z-score normalisation: score = mean + sd × z (sample sd, as R's ``sd``); all equal → z = 0."""

    rule: Literal["zscore"] = "zscore"
    relative: ClassVar[bool] = True
    mean: float = Field(50.0, description="Score of an average unit, on the 100-point scale.")
    sd: float = Field(10.0, gt=0, description="Score points per standard deviation.")
    over: Literal["group", "all"] = Field("group", description="Standardise within each group or over all.")
