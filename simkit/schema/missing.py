"""Missing data (缺报、漏报): what a cell the rules read and cannot score gives, stated in the scenario.

A unit that does not report a value must never gain by it.  The policy applies to every cell of an evaluated
year that the rules read and cannot score: a value not reported, a growth rate without last year's value, a
target whose history years lack values (a year too early for the rules, or an assigned target not given,
stay errors).  Every such cell is reported: in the run's warnings, the ``missing`` count of results.csv, the
``filled_by`` column of indicators.csv, ``explain`` and the Excel report.

Policies (``policy``, per scenario, and per indicator or node in ``indicators``; a deeper node wins):

- ``zero`` (default): no points for the indicator (未报送不得分);
- ``previous_year``: the last reported value is carried forward, at most ``max_years`` years; beyond that,
  ``then`` applies;
- ``group_min``: the worst share that another unit of the group got on the indicator;
- ``penalty``: no points, and ``penalty`` points are deducted from the total as well;
- ``exclude``: the unit is not ranked or graded this year, and is flagged;
- ``renormalise``: the indicator's weight is shared among the unit's other indicators (COINr's convention,
  for composite-index work; a unit can gain by not reporting a weak indicator).

A missing value of an indicator a veto condition reads fires the veto (``veto: fire``), unless the policy
is ``renormalise`` or ``veto: ignore``.

>>> MissingData().policy, MissingData(indicators={"gdp": "previous_year"}).rule_for(("Q", "gdp")).policy
('zero', 'previous_year')
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ._base import Frozen

Policy = Literal["zero", "previous_year", "group_min", "penalty", "exclude", "renormalise"]
#: Integer codes of the policies (``filled`` arrays); 0 = the cell was not missing.
POLICY_CODES: dict[str, int] = {"zero": 1, "previous_year": 2, "group_min": 3, "penalty": 4, "exclude": 5,
                                "renormalise": 6}


class MissingRule(Frozen):
    """The policy for one indicator or node (or the scenario's default)."""

    policy: Policy = Field("zero", description="zero, previous_year, group_min, penalty, exclude or renormalise.")
    max_years: int = Field(1, ge=1, le=10, description="previous_year: how many years back a value may be carried.")
    then: Literal["zero", "group_min", "penalty", "exclude", "renormalise"] = Field(
        "zero", description="previous_year: the policy when no value is found within max_years.")
    penalty: float = Field(0.0, ge=0, description="penalty: points deducted from the total per missing cell.")


class MissingData(Frozen):
    """What a missing value gives (see the module text)."""

    policy: Policy = Field("zero", description="The default: zero, previous_year, group_min, penalty, exclude or "
                           "renormalise.")
    max_years: int = Field(1, ge=1, le=10, description="previous_year: how many years back a value may be carried.")
    then: Literal["zero", "group_min", "penalty", "exclude", "renormalise"] = Field(
        "zero", description="previous_year: the policy when no value is found within max_years.")
    penalty: float = Field(0.0, ge=0, description="penalty: points deducted from the total per missing cell.")
    indicators: dict[str, MissingRule] = Field(
        default_factory=dict, description="Another policy for an indicator or node (id → policy or rule); a "
        "deeper node wins.")
    veto: Literal["fire", "ignore"] = Field(
        "fire", description="A missing value of an indicator a veto condition reads: `fire` the veto (unless the "
        "policy is renormalise), or `ignore` it.")

    @field_validator("indicators", mode="before")
    @classmethod
    def _names(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: {"policy": r} if isinstance(r, str) else r for k, r in v.items()}
        return v

    def rule_for(self, path: tuple[str, ...]) -> MissingRule:
        """The rule of a leaf, given the node ids from its first-level ancestor down to it."""
        rule = MissingRule(policy=self.policy, max_years=self.max_years, then=self.then, penalty=self.penalty)
        for node in path:
            if node in self.indicators:
                rule = self.indicators[node]
        return rule
