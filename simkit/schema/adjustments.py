"""Points outside the 100-point scale (加分、扣分) and the one-vote veto (一票否决): the parameter models.

The veto has one home on each side: these models say what triggers it and what it does to grades and ranks;
``simkit.rules.adjustments`` computes who is vetoed; ``consequences.VetoEffects`` says what it does to money,
awards and progress awards.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from ._base import Frozen


class VetoCondition(Frozen):
    """A veto triggered by an indicator's value in the evaluation year (e.g. major accidents ≥ 1)."""

    indicator: str = Field(description="Leaf indicator id.")
    at_least: float | None = Field(None, description="Veto when the value is at least this.")
    at_most: float | None = Field(None, description="Veto when the value is at most this.")

    @model_validator(mode="after")
    def _one(self) -> VetoCondition:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least or at_most")
        return self


class Veto(Frozen):
    """一票否决: what a veto does.  Vetoes come from the data's adjustments table and from conditions."""

    conditions: tuple[VetoCondition, ...] = Field((), description="Indicator conditions that trigger a veto.")
    use_table: bool = Field(True, description="Apply `veto` rows of the data's adjustments table.")
    best_grade: str | None = Field(
        None, description="The best grade a vetoed unit can get (e.g. 良好: it cannot be 优秀); none = no limit."
    )
    grade: str | None = Field(None, description="Force this grade on a vetoed unit (e.g. 较差).")
    counts_in_quota: bool = Field(
        True, description="With `grade`: a vetoed unit forced to a grade takes one place of that grade's quota "
        "(true: with 较差 = the last one, the unit that came last escapes it when another unit is vetoed) or "
        "comes on top of it (false: the quota still falls on the units ranked last).")
    rank_last: bool = Field(False, description="Rank vetoed units after every unit that is not vetoed.")


class Adjustments(Frozen):
    """Points outside the 100-point scale (加分、扣分) and vetoes."""

    use_table: bool = Field(True, description="Apply bonus and deduction rows of the adjustments table.")
    bonus_cap: float | None = Field(None, ge=0, description="Most bonus points a unit can get; none = no cap.")
    deduction_cap: float | None = Field(None, ge=0, description="Most points deducted; none = no cap.")
    veto: Veto = Field(default_factory=Veto, description="One-vote veto (一票否决).")
