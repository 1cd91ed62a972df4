"""Rules per family and per group (分类考核): a group of units (a 市直 category such as 经济发展类) or a family
(a track such as 园区 or 区县市) with its own weights, its own rules for some indicators, its own indicators
(个性指标, beside the 共性指标 all share) and indicators it leaves out.

``groups:`` maps a group name or a track name to a ``GroupRules``; a unit takes its track's entry, then its
group's (the group's wins where both say something).  Weights and rules are merged into the scenario's as an
``extends`` would be (a rule mapping is replaced whole), so a unit of the group is evaluated as if the scenario
said that.  Points must add up for every group that changes them.  The layout is in ``simkit.engine.groups``.

>>> g = GroupRules(weights={"Q": 40, "S": 25}, own=("d_econ_own",))
>>> g.own
('d_econ_own',)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from ._base import Frozen

if TYPE_CHECKING:  # pragma: no cover - resolved by ``simkit.schema.scenario`` (GroupRules.model_rebuild)
    from .scenario import IndicatorRule


class GroupRules(Frozen):
    """What one group or family does differently: weights, indicator rules, its own indicators, left-out ones."""

    weights: dict[str, float] = Field(default_factory=dict, description="Weights (points) of nodes for these "
                                      "units (node id → points), replacing the scenario's.")
    indicators: dict[str, IndicatorRule] = Field(
        default_factory=dict, description="Indicator rules for these units (node id → measures, target, scoring), "
        "merged over the scenario's.")
    own: tuple[str, ...] = Field((), description="个性指标: nodes that apply only to the groups and families that "
                                 "name them here (beside the 共性指标 every unit of the track has).")
    exclude: tuple[str, ...] = Field((), description="Nodes that do not apply to these units.")
