"""Import COINr's data format (the JRC's R package for composite indicators).

COINr keeps a data set in two tables: ``iData`` (wide: one row per unit, columns ``uCode``, ``uName``,
``*_group`` columns, ``Time``, denominators and indicators) and ``iMeta`` (one row per indicator, aggregate,
group or denominator: ``Level``, ``iCode``, ``iName``, ``Direction``, ``Weight``, ``Parent``, ``Type``).
``read_coinr`` turns them into a simkit data set and a scenario that reproduces COINr's default pipeline:
min-max normalisation of each indicator over all units to [0, 100] (after multiplying by its direction),
then weighted arithmetic means up the tree with weights renormalised over the children a unit has.

>>> data, scenario = read_coinr("../shared/peers/coinr/a_ASEM_iData.csv",
...                             "../shared/peers/coinr/a_ASEM_iMeta.csv")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..schema.scenario import Scenario
from .dataset import Dataset
from .scenarios import scenario_from_dict
from .validate import build_dataset

_META_COLUMNS = ("iCode", "Level", "Parent", "Type")


def _read(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(Problem(str(path), "the file does not exist", "check the path")) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(Problem(str(path), f"the CSV cannot be read: {exc}", "export it again as UTF-8 CSV")) from None


def read_coinr(idata: str | Path, imeta: str | Path, *, group: str | None = None,
               name: str = "COINr default pipeline") -> tuple[Dataset, Scenario]:
    """Read a COINr iData/iMeta pair; ``group`` names the ``*_group`` column units are ranked within.

    Returns the data set and a scenario built from iMeta (tree, directions, weights).
    """
    wide, meta = _read(idata), _read(imeta)
    problems = []
    for col in _META_COLUMNS:
        if col not in meta.columns:
            problems.append(Problem(str(imeta), f"iMeta has no `{col}` column", f"add the `{col}` column", row=1,
                                    field=col))
    for col in ("uCode",):
        if col not in wide.columns:
            problems.append(Problem(str(idata), f"iData has no `{col}` column", "add the unit code column", row=1,
                                    field=col))
    if group is not None and group not in wide.columns:
        problems.append(Problem(str(idata), f"the group column {group!r} is not in iData",
                                "name one of the `*_group` columns", field=group))
    if problems:
        raise DataError(problems)
    # Spreadsheet row numbers (header = row 1), so problems found after reshaping name the right row.
    wide = wide.assign(_row=range(2, len(wide) + 2))
    meta = meta.assign(_row=range(2, len(meta) + 2))

    types = meta["Type"].str.strip()
    tree = meta[types.isin(["Indicator", "Aggregate"])]
    leaves = tree.loc[tree["Type"].str.strip() == "Indicator", "iCode"].tolist()
    missing = [c for c in leaves if c not in wide.columns]
    if missing:
        raise DataError(Problem(str(idata), f"indicators listed in iMeta are not columns of iData: {missing}",
                                "add the columns or remove the iMeta rows"))
    for col in leaves:  # checked here so that the problem names the iData column, not the reshaped `value`
        text = wide[col].astype(str).str.strip()
        number = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        bad = (text != "") & (text.str.upper() != "NA") & number.isna()
        problems += [Problem(str(idata), f"the value {v!r} of indicator {col!r} (unit {u}) is not a number",
                             "write a plain number, or NA or an empty cell for a missing value", row=int(r), field=col)
                     for r, u, v in zip(wide.loc[bad, "_row"], wide.loc[bad, "uCode"], text[bad], strict=True)]
    if problems:
        raise DataError(problems)
    denominators = [c for c in meta.loc[types == "Denominator", "iCode"] if c in wide.columns]

    units = pd.DataFrame({
        "unit": wide["uCode"], "name": wide.get("uName", wide["uCode"]), "name_en": wide.get("uName", ""),
        "group": wide[group] if group else "All", "_row": wide["_row"],
    })
    for d in denominators:
        units[d] = wide[d]
    indicators = pd.DataFrame({
        "indicator": tree["iCode"], "name": tree.get("iName", tree["iCode"]), "name_en": tree.get("iName", ""),
        "parent": tree["Parent"].where(tree["Parent"].str.upper() != "NA", ""),
        "direction": tree.get("Direction", "1"), "weight": tree.get("Weight", "1"), "_row": tree["_row"],
    })
    year = wide["Time"] if "Time" in wide.columns else "1"
    obs = wide.assign(year=year).melt(id_vars=["uCode", "year", "_row"], value_vars=leaves, var_name="indicator",
                                      value_name="value").rename(columns={"uCode": "unit"})
    obs["value"] = obs["value"].where(obs["value"].str.upper() != "NA", "")
    data = build_dataset(
        {"units": units, "indicators": indicators, "observations": obs[["unit", "indicator", "year", "value", "_row"]]},
        {"units": str(idata), "indicators": str(imeta), "observations": str(idata)},
        source=f"{idata} + {imeta}",
    )
    weights = {c: float(w) for c, w in zip(tree["iCode"], tree.get("Weight", ["1"] * len(tree)), strict=True)
               if str(w).strip().upper() not in ("", "NA")}  # an empty weight: the tree's default (1)
    scenario = scenario_from_dict({
        "name": name,
        "name_en": name,
        "description": f"Built from COINr iMeta {Path(imeta).name}: min-max to [0, 100] over all units, "
                       "weighted arithmetic means, weights renormalised over available children.",
        "weights": {"mode": "relative", "values": weights},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "none"},
                     "scoring": {"rule": "minmax", "range": [0, 100], "over": "all"}},
        "aggregation": {"method": "arithmetic"},
        "missing": {"policy": "renormalise"},  # COINr: weights renormalised over the indicators a unit has
        "ranking": {"ties": "min", "decimals": 9},
        "grading": {"grades": [{"name": "—", "name_en": "—"}]},
    }, where=str(imeta))
    return data, scenario
