"""What a scenario evaluates (考核范围): which units and which indicators.

A data set may hold more than one scheme's units and indicators: the bundled data hold the county-level units,
the city departments and the parks (园区), and the indicators of the year-end evaluation beside those of daily
management and special evaluations.  ``scope`` says which of them this rule set evaluates; without it (the
default) every unit and every indicator of the data is evaluated, as before.  The units left out are not
ranked, graded or paid, and take no share of a pool or a quota.

>>> Scope(units=("区县市",), indicators=("Q", "B")).units
('区县市',)
"""

from __future__ import annotations

from pydantic import Field, model_validator

from ._base import Frozen


class Scope(Frozen):
    """考核范围: the units and indicators a scenario evaluates (empty = all of them)."""

    units: tuple[str, ...] = Field((), description="Units evaluated, named by unit id, group or track (e.g. "
                                   "[区县市, 市直单位]); empty = every unit of the data.")
    exclude: tuple[str, ...] = Field((), description="Units left out, named by unit id, group or track.")
    indicators: tuple[str, ...] = Field((), description="Indicator nodes evaluated, each with everything under it "
                                        "(e.g. [Q, B, P, S]); empty = every indicator of the data.")

    @model_validator(mode="after")
    def _not_both(self) -> Scope:
        both = sorted(set(self.units) & set(self.exclude))
        if both:
            raise ValueError(f"scope names {', '.join(both)} both in `units` and in `exclude` — fix: name each in "
                             "one of them")
        return self
