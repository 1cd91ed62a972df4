"""What the readers hand to the validator: the raw tables (every cell as read), the wide tables of observations,
and what was learnt on the way (each CSV file's encoding, notes, problems)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import Problem


@dataclass
class WideTable:
    """A wide table of observations: units in rows, leaf indicators in columns, one year (a sheet or a CSV file).

    ``frame`` holds the cells under the column letters (``A``, ``B``, ...) and ``_row``, the spreadsheet row;
    ``headers`` holds the header text of each column.  ``year`` comes from the name (``观测值2018``) or is None
    (then a ``year`` column must say it).  ``named`` is False for a sheet found by its header only.
    """

    file: str
    name: str
    frame: pd.DataFrame
    headers: dict[str, str]
    year: int | None
    header_row: int = 1
    named: bool = True


@dataclass
class RawData:
    """The tables as read from a folder or a workbook, before validation."""

    tables: dict[str, pd.DataFrame]
    names: dict[str, str]
    wide: list[WideTable] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    notes: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The problem to report for a required table that is absent, unless wide tables stand in for it.
    missing: dict[str, Problem] = field(default_factory=dict)
    synthetic: bool = False
