"""Reading periods and dates: a month, quarter or half-year of a row's year (the observations' ``period``), and
the day of an event (the events' ``date``).

A period is kept in one canonical spelling: ``2018-03`` (a month), ``2018-Q1`` (a quarter), ``2018-H1`` (a
half-year).  Its ``end`` is the last month it covers (the order of a year's periods: the ``last`` one is the
latest).  A date is kept as ``2018-06-12``.  Each distinct text is parsed once.

>>> read_period("2018年第2季度", 2018), read_period("3月", 2018), read_period("2018-03-01 00:00:00", 2018)
(('2018-Q2', 2018, 6), ('2018-03', 2018, 3), ('2018-03', 2018, 3))
>>> read_date("2018年6月12日"), read_date("2018/6/31")
('2018-06-12', None)
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_MONTH = [
    re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})(?:\s*[-/.]\s*\d{1,2})?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*\d{1,2}\s*日)?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>(?:0[1-9]|1[0-2]))$"),
    re.compile(r"^(?P<m>\d{1,2})\s*月$"),
    re.compile(r"^M\s*(?P<m>\d{1,2})$"),
]
_QUARTER = [
    re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*Q\s*(?P<q>[1-4])$"),
    re.compile(r"^(?:(?P<y>\d{4})\s*年\s*)?第?\s*(?P<q>[一二三四1-4])\s*季度?$"),
    re.compile(r"^Q\s*(?P<q>[1-4])$"),
]
_HALF = [
    re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*H\s*(?P<h>[12])$"),
    re.compile(r"^H\s*(?P<h>[12])$"),
    re.compile(r"^(?:(?P<y>\d{4})\s*年\s*)?(?P<h>[上下])半年$"),
]


def read_period(text: str, year: int | None) -> tuple[str, int, int] | None:
    """(canonical text, the year it belongs to, its last month) of a written period, or None if not a period.

    A period written without its year takes ``year`` (the row's).
    """
    t = str(text).strip().upper().replace("－", "-").replace("／", "/")
    for pat in _MONTH:
        m = pat.match(t)
        if m:
            month = int(m.group("m"))
            y = int(m.group("y")) if "y" in m.groupdict() and m.group("y") else year
            if y is None or not 1 <= month <= 12:
                return None
            return f"{y}-{month:02d}", y, month
    for pat in _QUARTER:
        m = pat.match(t)
        if m:
            q = _CN[m.group("q")]
            y = int(m.group("y")) if "y" in m.groupdict() and m.group("y") else year
            return (f"{y}-Q{q}", y, 3 * q) if y is not None else None
    for pat in _HALF:
        m = pat.match(t)
        if m:
            h = {"上": 1, "下": 2}.get(m.group("h")) or int(m.group("h"))
            y = int(m.group("y")) if "y" in m.groupdict() and m.group("y") else year
            return (f"{y}-H{h}", y, 6 * h) if y is not None else None
    return None


def frequency(canonical: str) -> str:
    """``month``, ``quarter`` or ``half`` of a canonical period.

    >>> frequency("2018-Q3"), frequency("2018-07")
    ('quarter', 'month')
    """
    tail = canonical.split("-", 1)[1]
    return "quarter" if tail.startswith("Q") else "half" if tail.startswith("H") else "month"


_DATE = [
    re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]


def read_date(text: str) -> str | None:
    """A written date as ``YYYY-MM-DD``, or None if it is not a date (or not a day of the calendar)."""
    t = str(text).strip().replace("－", "-").replace("／", "/")
    for pat in _DATE:
        m = pat.match(t)
        if m:
            try:
                return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d"))).isoformat()
            except ValueError:
                return None
    return None


def read_periods(text: pd.Series, year: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Every cell of a period column: (canonical text, "" where empty; its year; its last month (0 = none);
    bad: True where the text is not a period).  One parse per distinct (text, year)."""
    n = len(text)
    canon = np.full(n, "", dtype=object)
    years = np.zeros(n, dtype=int)
    end = np.zeros(n, dtype=int)
    bad = np.zeros(n, dtype=bool)
    given = (text.to_numpy(dtype=object) != "")
    if not given.any():
        return pd.Series(canon, index=text.index, dtype=object), years, end, bad
    keys = pd.DataFrame({"t": text.to_numpy(dtype=object)[given],
                         "y": pd.to_numeric(year, errors="coerce").to_numpy()[given]})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys.fillna({"y": -1})))
    parsed = [read_period(t, int(y) if y >= 0 else None) for t, y in uniques]
    idx = np.flatnonzero(given)
    for k, p in enumerate(parsed):
        rows = idx[codes == k]
        if p is None:
            bad[rows] = True
        else:
            canon[rows], years[rows], end[rows] = p
    return pd.Series(canon, index=text.index, dtype=object), years, end, bad


def period_end(canonical: pd.Series) -> np.ndarray:
    """The last month of each canonical period (0 for an empty one)."""
    out = np.zeros(len(canonical), dtype=int)
    for value, rows in pd.Series(np.arange(len(canonical))).groupby(canonical.to_numpy(dtype=object)):
        if value:
            p = read_period(value, None)
            out[rows.to_numpy()] = p[2] if p is not None else 0
    return out
