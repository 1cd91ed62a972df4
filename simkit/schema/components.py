"""The parts of the year (考核环节): 日常管理 (daily management), 专项考核 (special evaluations run by the
functional departments) and 年终综合考核 (the year-end evaluation), each with its points, its indicators and
how its values over the year (monthly or quarterly observations, the ``period`` column) make the year's value.

A scenario with ``components`` splits its total into them: the components are the first level of the tree, each
holding the indicator nodes it names (and everything under them).  Only indicators under some component are
evaluated.  The value of a year from its periods is made by ``simkit.io.dataset.Dataset.annual``, as
``simkit.engine.components`` says for each leaf.

>>> c = Component(id="daily", name="日常管理", points=20, nodes=("DM",), over_year="mean")
>>> c.over_year_of(("DM", "dm_progress"))
'mean'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from ._base import Frozen

#: How a year's value is made from the values of its periods: their mean, the last period's value (a
#: cumulative year-to-date figure, or a rating at the year's end), or their sum (counts and flows).
OverYear = Literal["mean", "last", "sum"]
OVER_YEAR: tuple[str, ...] = ("mean", "last", "sum")
#: What a value given by period is read as without a component saying otherwise.
DEFAULT_OVER_YEAR: str = "mean"


class Component(Frozen):
    """One part of the year: its points, its indicator nodes and how a year's value is made from its periods."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Short id (letters, digits, _), e.g. `daily`; "
                    "the component's node in results (`score_daily`).")
    name: str = Field(description="Name, e.g. 日常管理.")
    name_en: str | None = Field(None, description="English name, e.g. Daily management.")
    points: float = Field(gt=0, description="Points of the component; the components' points add up to `total`.")
    nodes: tuple[str, ...] = Field(min_length=1, description="Indicator nodes (ids) in this component, each with "
                                   "everything under it.")
    over_year: OverYear = Field("mean", description="A value given by period (month, quarter): the year's value is "
                                "the `mean` of its periods, the `last` period's, or their `sum`.")
    over_year_by: dict[str, OverYear] = Field(default_factory=dict, description="Another way for some nodes "
                                              "(id → mean, last or sum); a deeper node wins.")

    def over_year_of(self, path: Sequence[str]) -> str:
        """How a leaf's year is made, given the node ids from its first-level ancestor down to it."""
        how = self.over_year
        for node in path:
            how = self.over_year_by.get(node, how)
        return how
