"""Two (or more) league tables in one scenario (双榜): the same units ranked on totals (总量, e.g. 经济强县) and on
growth (增速, e.g. 先进县), each with its own grades and awards, as Hunan's county awards did.

A league table is the scenario's own evaluation with a few things forced: the indicator nodes it ranks on
(``nodes``: their first-level points are rescaled to the total, the sub-items taken as relative), the measure,
target and scoring rule of every leaf under them, and its own grading and award slots.  Bonuses, progress
awards, the accountability ladder and the cascade stay with the scenario's main evaluation.  The evaluation is
in ``simkit.engine.leagues``.

>>> t = LeagueTable(id="growth", name="先进县", measures={"growth": 1})
>>> t.measures
{'growth': 1.0}
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, field_validator

from ._base import Frozen
from .consequences import Awards
from .grading import Grading
from .measures import MeasureName
from .scoring import SCORING_MODELS
from .targets import TARGET_MODELS


def _union(models: dict[str, type[Frozen]]) -> Any:
    return Annotated[Union[tuple(models.values())], Field(discriminator="rule")]  # noqa: UP007 - built at runtime


#: Column names a table id must not make ambiguous in ``result.units`` (``<id>_rank``, ...).
RESERVED_IDS: tuple[str, ...] = ("score", "rank", "grade", "bonus", "award", "base", "deduction", "event",
                                 "staff", "team", "leader", "per", "prize", "previous", "bottom")


class LeagueTable(Frozen):
    """One league table (榜单): what it ranks on, how every leaf under it is measured and scored, its grades and
    its award slots."""

    id: str = Field(pattern=r"^[a-z][a-z0-9]*$", description="Short id (lower-case letters and digits), e.g. "
                    "`total` or `growth`; names the table's columns in results (`growth_rank`, `growth_grade`).")
    name: str = Field(description="Name, e.g. 经济强县 or 先进县.")
    name_en: str | None = Field(None, description="English name, e.g. Strongest economies.")
    units: tuple[str, ...] = Field((), description="Units the table ranks, named by unit id, group or track; empty "
                                   "= every unit the scenario evaluates.")
    nodes: tuple[str, ...] = Field((), description="Indicator nodes the table ranks on (each with everything "
                                   "under it); empty = every indicator the scenario evaluates.")
    measures: dict[MeasureName, float] | None = Field(None, description="The measure of every leaf in the table, "
                                                      "e.g. {level: 1} (总量) or {growth: 1} (增速).")
    target: _union(TARGET_MODELS) | None = Field(None, description="The target rule of every leaf in the table.")
    scoring: _union(SCORING_MODELS) | None = Field(None, description="The scoring rule of every leaf in the table.")
    grading: Grading | None = Field(None, description="The table's grades; none = the scenario's grading.")
    awards: Awards | None = Field(None, description="The table's award slots (评先评优指标); none = no slots.")

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_IDS:
            raise ValueError(f"the table id {v!r} would be confused with another column of the results — fix: "
                             "choose another id, e.g. `total` or `growth`")
        return v

    @field_validator("measures")
    @classmethod
    def _blend(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None and (not v or any(w < 0 for w in v.values()) or abs(sum(v.values()) - 1.0) > 1e-9):
            raise ValueError("the measure weights must be 0 or more and sum to 1, e.g. {growth: 1}")
        return v
