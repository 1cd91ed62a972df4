"""Validating the tables that the evaluation of a year reads beyond one annual value: observations given by period
(the ``period`` column of ``observations``) and the ``events`` table (督查、巡视巡察、审计).

Called by ``simkit.io.validate.build_dataset``, with its checker: every problem names the file, the row, the
column and a fix, as the other tables' do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..schema.sources import canonical_source
from ..schema.tables import SCHEMA, YEAR_RANGE
from .periods import frequency, read_date, read_periods
from .validate import _SHOWN_ROWS, _filled, _parse


def check_periods(ck: Any, out: pd.DataFrame) -> pd.DataFrame:
    """The observations' periods read into their canonical spelling, with every problem reported: a period that
    is not one, a period outside the row's year, a value given twice, a year given both whole and by period, a
    year given at two frequencies."""
    table, spec = "observations", SCHEMA["observations"]
    col = spec.column("period")
    canon, years, _, bad = read_periods(out["period"], out["year"])
    rows = out["_row"].to_numpy()
    text = out["period"].to_numpy(dtype=object)
    ck.many(table, "period", [(int(r), f"the period {t!r} is not a month, a quarter or a half-year")
                              for r, t in zip(rows[bad], text[bad], strict=True)], col.fix)
    year = pd.to_numeric(out["year"], errors="coerce").to_numpy()
    outside = (canon.to_numpy(dtype=object) != "") & ~bad & ~np.isnan(year) & (years != np.nan_to_num(year))
    ck.many(table, "period", [(int(r), f"the period {c!r} is outside the year {int(y)}")
                              for r, c, y in zip(rows[outside], canon[outside], year[outside], strict=True)],
            "correct the year, or write a period of the row's year (e.g. 2018-03 for 2018)")
    out = out.assign(period=canon.where(~(bad | outside), out["period"]))
    ok = out[~(bad | outside) & out["year"].notna() & _filled(out["unit"]) & _filled(out["indicator"])]
    ck.unique(replace(spec, key=(*spec.key, "period")), ok)
    keys = ["unit", "indicator", "year"]
    periodic = ok[ok["period"] != ""]
    if len(periodic):
        annual = ok[ok["period"] == ""]
        key_of = pd.MultiIndex.from_frame(annual[keys])
        whole = dict(zip(key_of, annual["_row"], strict=True))
        both = pd.MultiIndex.from_frame(periodic[keys]).isin(key_of)
        for key, grp in periodic[both].groupby(keys, sort=False):
            shown = ", ".join(map(str, grp["_row"].head(_SHOWN_ROWS)))
            ck.add(table, f"unit {key[0]!r}, indicator {key[1]!r}, {int(key[2])}: the value is given for the whole "
                   f"year (row {int(whole[key])}) and by period (rows {shown})", "give either one value for the "
                   "year (period empty) or one value per period", row=int(grp["_row"].iloc[0]), col="period")
        freq = periodic["period"].str[5]  # the letter after the year: Q (quarter), H (half-year), else a month
        freq = freq.where(freq.isin(["Q", "H"]), "M")
        mixed = freq.groupby([periodic[k] for k in keys], sort=False).nunique() > 1
        for key in mixed[mixed].index[:20]:
            grp = periodic[(periodic["unit"] == key[0]) & (periodic["indicator"] == key[1])
                           & (periodic["year"] == key[2])]
            kinds = " and by ".join(dict.fromkeys(grp["period"].map(frequency)))
            ck.add(table, f"unit {key[0]!r}, indicator {key[1]!r}, {int(key[2])}: the values are given by {kinds}",
                   "give all the values of a year at one frequency (every month, or every quarter)",
                   row=int(grp["_row"].iloc[0]), col="period")
    return out


def check_events(ck: Any, frame: pd.DataFrame, unit_ids: set[str]) -> pd.DataFrame:
    """The events table, typed: unit, date (``2018-06-12``), year, source (督查 …), kind, points and note."""
    spec = SCHEMA["events"]
    ev = _parse(ck, spec, frame)
    ck.allowed(spec, ev, "unit", unit_ids)
    ev["source"] = ev["source"].map(lambda s: canonical_source(s) or s)  # 督查 … or an English name
    ck.allowed(spec, ev, "source")
    rows = ev["_row"].to_numpy()
    given = _filled(ev["date"])
    dates = ev["date"].map(lambda d: read_date(d) if d else "")
    bad = given & dates.isna().to_numpy()
    col = spec.column("date")
    ck.many("events", "date", [(int(r), f"the date {t!r} is not a date") for r, t in
                               zip(rows[bad], ev["date"].to_numpy()[bad], strict=True)], col.fix)
    ev["date"] = dates.fillna("")
    year = pd.to_numeric(ev["date"].str[:4], errors="coerce")
    lo, hi = YEAR_RANGE
    far = (year < lo) | (year > hi)
    ck.many("events", "date", [(int(r), f"the date {d!r} is not between {lo} and {hi}") for r, d in
                               zip(rows[far.to_numpy()], ev["date"].to_numpy()[far.to_numpy()], strict=True)],
            col.fix)
    ev["year"] = year
    return ev
