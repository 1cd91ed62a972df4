"""Validating raw text tables into a ``Dataset``: every problem at once, with the file, row, column and fix.

The tables, their columns, kinds, defaults, allowed values, references and the words of the problems come
from ``simkit.schema.tables``; this module holds the order of the checks and the checks that span tables.
Cells are converted column by column with pandas and numpy; a string method runs once per distinct value,
and messages are built for the bad rows only, so that reading scales to millions of observations.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..schema.tables import ALL_TRACKS, DIRECTIONS, PERCENT_UNITS, REQUIRED_TABLES, SCHEMA, ColumnSpec, TableSpec
from .dataset import Dataset
from .numbers import LIMIT, note_text, problem_text, read_column
from .raw import RawData
from .wide import WIDE_BASE, Places, WideReader

# Builtins applied element-wise in C: no Python function runs per cell.
_isinstance = np.frompyfunc(isinstance, 2, 1)
_is = np.frompyfunc(operator.is_, 2, 1)
_str = np.frompyfunc(str, 1, 1)


def as_text(column: pd.Series) -> pd.Series:
    """Every cell as text: an empty cell (None or a float NaN) as ``""``, any other value as ``str(value)``.

    >>> as_text(pd.Series(["a", None, 1.5, float("nan"), 2018])).tolist()
    ['a', '', '1.5', '', '2018']
    """
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is np.nan:
        return column.fillna("") if column.hasnans else column  # what read_csv gives: text already
    values = column.to_numpy(dtype=object)
    text = pd.Series(values, index=column.index, dtype=object).astype(str)
    missing = pd.isna(values)
    if missing.any():
        # pandas reads every missing marker as missing; only None and NaN are empty cells, pd.NA is "<NA>"
        odd = values[missing]
        spelled = ~(_isinstance(odd, float) | _is(odd, None)).astype(bool)
        if spelled.any():
            where = np.flatnonzero(missing)[spelled]
            text.iloc[where] = _str(odd[spelled])
        text = text.fillna("")
    return text


def _each(column: pd.Series, method: str) -> pd.Series:
    """A string method (``strip``, ``lower``) applied once per distinct value of a text column."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))  # an object array hashes faster than the Series
    done = getattr(pd.Index(uniques, dtype=column.dtype).str, method)()
    if len(done) and (np.asarray(done) == np.asarray(uniques)).all():
        return column
    out = np.asarray(done, dtype=object)[codes]
    out[codes < 0] = np.nan  # a missing cell (a short CSV row) stays missing
    return pd.Series(out, index=column.index, dtype=column.dtype)


def _filled(column: pd.Series) -> np.ndarray:
    """Where a text column is not empty (numpy compares the strings faster than pandas' string dtype)."""
    return column.to_numpy(dtype=object) != ""


def strip(column: pd.Series) -> pd.Series:
    """Text cells without their leading and trailing white space (``str.strip``), as text (dtype ``str``)."""
    return _each(column.astype(str), "strip")


_SHOWN_ROWS = 8  # rows listed in a problem that stands for many
_PERCENT = {u.lower() for u in PERCENT_UNITS}


class _Checker:
    """Collects problems (and notes) while turning raw text tables into typed ones.

    ``places`` says where the rows of a table came from when some were read from wide sheets; without it a
    row is the spreadsheet row of the table's own file.
    """

    def __init__(self, names: dict[str, str]):
        self.names = names
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        self.places: dict[str, Places] = {}
        self.measure_unit: dict[str, str] = {}

    def _where(self, table: str, row: int | None, col: str | None) -> tuple[str, int | None, str | None, str]:
        places = self.places.get(table)
        if places is None or row is None:
            return self.names.get(table, table), row, col, ""
        return places.place(row, col)

    def add(self, table: str, message: str, fix: str, row: int | None = None, col: str | None = None, *,
            cell: bool = True) -> None:
        """A problem; ``cell=False`` when it is not about the one cell of ``row`` (a summary)."""
        file, row, field, extra = self._where(table, row, col)
        self.problems.append(Problem(file, message + (extra if cell else ""), fix, row=row, field=field))

    def note(self, table: str, message: str, fix: str, row: int | None = None, col: str | None = None) -> None:
        file, row, field, extra = self._where(table, row, col)
        self.notes.append(Problem(file, message + extra, fix, row=row, field=field))

    def rows_text(self, table: str, rows: Iterable[int]) -> str:
        places = self.places.get(table)
        return places.rows(rows) if places is not None else ", ".join(map(str, rows))

    def many(self, table: str, col: str | None, found: list[tuple[int, str]], fix: str) -> None:
        """Problems of one kind in one column: one by one, or once for all when there are many (one cause,
        such as a shifted column, must not bury the others)."""
        if len(found) <= LIMIT:
            for row, message in found:
                self.add(table, message, fix, row=row, col=col)
            return
        shown = self.rows_text(table, [r for r, _ in found[:_SHOWN_ROWS]])
        self.add(table, f"{len(found)} cells of `{col}` have this problem (rows {shown} …); the first: "
                 f"{found[0][1]}", fix, row=found[0][0], col=col)

    def columns(self, table: str, frame: pd.DataFrame) -> bool:
        spec = SCHEMA[table]
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
        for c in missing:
            self.add(table, f"the required column `{c}` is missing", f"add a column headed `{c}` "
                     f"(the table's columns are: {', '.join(spec.names)})", row=1, col=c)
        return not missing

    def text(self, table: str, frame: pd.DataFrame, col: str, required: bool, what: str) -> pd.Series:
        if col not in frame.columns:
            return pd.Series("", index=frame.index, dtype=object)
        s = strip(frame[col])
        if required:
            rows = frame["_row"].to_numpy()[~_filled(s)]
            self.many(table, col, [(int(r), f"the {what} is empty") for r in rows], f"fill in the `{col}` column")
        return s

    def _percent_ok(self, frame: pd.DataFrame, by: str) -> Callable[[np.ndarray], np.ndarray]:
        """Where "8%" may be read as 8: the row's indicator is measured in percent."""
        def ok(positions: np.ndarray) -> np.ndarray:
            ind = strip(frame[by].iloc[positions]).map(self.measure_unit).fillna("")
            return ind.str.strip().str.lower().isin(_PERCENT).to_numpy(dtype=bool)
        return ok

    def _percent_text(self, frame: pd.DataFrame, by: str, pos: int, what: str, col: str, text: str
                      ) -> tuple[str, str]:
        ind = str(frame[by].iat[pos]).strip()
        unit = self.measure_unit.get(ind, "").strip()
        measured = f"is measured in {unit}, not in %" if unit else "has no unit of measure (`measure_unit`)"
        return (f"the {what} {text!r} is a percentage, but indicator {ind!r} {measured}",
                f"write the number as `{col}` expects{f', in {unit}' if unit else ''}; or, if the indicator's "
                "values are percentages, set its `measure_unit` to % in the indicators table")

    def number(self, table: str, frame: pd.DataFrame, col: str, what: str, *, allow_empty: bool,
               integer: bool = False, bounds: tuple[int, int] | None = None, percent_by: str | None = None
               ) -> pd.Series:
        raw = frame[col].astype(str)
        rows = frame["_row"].to_numpy()
        by = percent_by if percent_by in frame.columns else None
        read = read_column(raw, integer=integer, bounds=bounds,
                           percent_ok=self._percent_ok(frame, by) if by else None)
        kinds: dict[str, list[tuple[int, str]]] = {}
        fixes: dict[str, str] = {}
        for pos, kind, text, detail in read.refused:
            message, fix = (self._percent_text(frame, by, pos, what, col, text) if kind == "percent" and by
                            else problem_text(kind, what, col, text, detail, integer))
            kinds.setdefault(kind, []).append((int(rows[pos]), message))
            fixes.setdefault(kind, fix)
        for kind, found in kinds.items():
            self.many(table, col, found, fixes[kind])
        if not allow_empty:
            self.many(table, col, [(int(r), f"the {what} is empty") for r in rows[read.empty]], f"fill in `{col}`")
        num = read.values
        if integer:
            frac = (num.notna() & (num != np.floor(num.fillna(0)))).to_numpy()
            self.many(table, col, [(int(r), f"the {what} {v!r} is not a whole number") for r, v in
                                   zip(rows[frac], num[frac], strict=True)], f"write a year such as 2018 in `{col}`")
        for kind, cells in read.noted.items():
            first = int(rows[cells[0][0]])
            row_text = f"row {self._where(table, first, col)[1]}"
            self.note(table, *note_text(kind, col, len(cells), cells[0][1].strip(), row_text), row=first, col=col)
        return num

    def unique(self, spec: TableSpec, frame: pd.DataFrame) -> None:
        keys = list(spec.key)
        dup = frame.duplicated(keys, keep=False)
        if not dup.any():
            return
        groups = list(frame[dup].groupby(keys, sort=False))
        places = self.places.get(spec.name)
        shown = groups[:LIMIT] if len(groups) <= LIMIT else groups[:3]  # many: a few examples and the count
        for _, grp in shown:
            rows = [int(r) for r in grp["_row"]]
            ident = ", ".join(f"{k}={grp.iloc[0][k]}" for k in keys)
            if places is not None and max(rows) >= WIDE_BASE:  # a wide cell: name each place
                self.add(spec.name, f"the {spec.key_what} ({ident}) is given twice: in "
                         f"{' and in '.join(places.where(r) for r in rows)}", "keep one of them and delete the "
                         "others", row=rows[1], col=None)
                continue
            self.add(spec.name, f"duplicate {spec.key_what} ({ident}) in rows {', '.join(map(str, rows))}",
                     "keep one row for it and delete the others", row=rows[1], col=None)
        if len(groups) > LIMIT:
            first = [int(r) for r in groups[0][1]["_row"]]
            self.add(spec.name, f"{len(groups) - len(shown)} more {spec.key_what}s are given more than once (in all, "
                     f"{int(dup.sum())} rows repeat another; was the table pasted twice?)", "keep one row for each "
                     "and delete the others", row=first[1], col=None, cell=False)

    def known(self, table: str, frame: pd.DataFrame, col: str, valid: Iterable[str], what: str, fix: str) -> pd.Series:
        valid = set(valid)
        bad = ~frame[col].isin(valid) & _filled(frame[col])
        groups = list(frame[bad].groupby(col, sort=False))
        for value, grp in groups[:LIMIT]:
            rows = [int(r) for r in grp["_row"]]
            shown = self.rows_text(table, rows[:8]) + (" ..." if len(rows) > 8 else "")
            close = difflib.get_close_matches(str(value), sorted(valid - {""}), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.add(table, f"unknown {what} {value!r} (rows {shown}){hint}", fix, row=rows[0], col=col)
        if len(groups) > LIMIT:
            rest = groups[LIMIT:]
            values = ", ".join(repr(v) for v, _ in rest[:5]) + (" …" if len(rest) > 5 else "")
            self.add(table, f"{len(rest)} more unknown {what}s ({values}): is this the right column, or the right "
                     "table?", fix, row=int(rest[0][1]["_row"].iloc[0]), col=col, cell=False)
        return ~bad

    def allowed(self, spec: TableSpec, frame: pd.DataFrame, col: str, valid: Iterable[str] | None = None,
                **known: str) -> pd.Series:
        """The values of ``col`` are among ``valid`` (default: the column's choices), in the spec's words."""
        c = spec.column(col)
        return self.known(spec.name, frame, col, c.choices if valid is None else valid, c.what,
                          c.fix.format(**known))


# ------------------------------------------------------------------------------------------------ columns
def _column(ck: _Checker, table: str, frame: pd.DataFrame, col: ColumnSpec) -> pd.Series | float:
    """One declared column, typed as its spec says; the problems of its cells go to ``ck``."""
    if col.kind in ("number", "integer"):
        if col.name not in frame.columns:
            return np.nan
        num = ck.number(table, frame, col.name, col.what, allow_empty=col.empty != "error",
                        integer=col.kind == "integer", bounds=col.bounds, percent_by=col.percent_by)
        if col.nonnegative:
            _nonnegative(ck, table, frame, num, col.name, col.what)
        return num
    text = ck.text(table, frame, col.name, col.empty == "error", col.what)
    if col.lower:
        text = _each(text, "lower")
    if col.default is not None:
        text = text.replace("", col.default)
    if col.kind != "direction":
        return text
    sign = text.map(DIRECTIONS)
    ck.many(table, col.name, [(int(row), f"{col.what} {v!r} is not understood") for row, v in
                              zip(frame.loc[sign.isna(), "_row"], text[sign.isna()], strict=True)], col.fix)
    return sign


def _nonnegative(ck: _Checker, table: str, frame: pd.DataFrame, num: pd.Series, col: str, what: str) -> None:
    ck.many(table, col, [(int(row), f"a {what} cannot be negative") for row in frame.loc[num < 0, "_row"]],
            f"write 0 or a positive {what}")


def _parse(ck: _Checker, spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The declared columns of a table, typed, in declaration order, and ``_row``."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        out[col.name] = _column(ck, spec.name, frame, col)
    out["_row"] = frame["_row"]
    return out


@dataclass(frozen=True)
class _Tree:
    """What the observations and targets are checked against."""

    unit_ids: set[str]
    unit_track: dict[str, str]
    ind_ids: set[str]
    leaves: list[str]
    leaf_track: dict[str, str]


def _check_keys(ck: _Checker, spec: TableSpec, frame: pd.DataFrame, tree: _Tree) -> None:
    """Units and leaf indicators that exist, and an indicator of the unit's track."""
    table = spec.name
    ok_u = ck.allowed(spec, frame, "unit", tree.unit_ids)
    ok_i = ck.allowed(spec, frame, "indicator", tree.ind_ids)
    inner = ok_i & ~frame["indicator"].isin(set(tree.leaves)) & _filled(frame["indicator"])
    for value, grp in frame[inner].groupby("indicator", sort=False):
        ck.add(table, f"{value!r} has sub-indicators, so its values are computed, not given",
               "give values for its sub-indicators (leaves) only, or delete these rows",
               row=int(grp["_row"].iloc[0]), col="indicator")
    sub = frame[ok_u & ok_i & ~inner & _filled(frame["unit"]) & _filled(frame["indicator"])]
    leaf_track = sub["indicator"].map(tree.leaf_track).to_numpy(dtype=object)
    unit_track = sub["unit"].map(tree.unit_track).to_numpy(dtype=object)
    wrong = sub[(leaf_track != ALL_TRACKS) & (leaf_track != unit_track)].head(20)
    for r, u, i in zip(wrong["_row"], wrong["unit"], wrong["indicator"], strict=True):
        ck.add(table, f"indicator {i!r} belongs to track {tree.leaf_track[i]!r} but unit {u!r} is in track "
               f"{tree.unit_track[u]!r}", "delete the row, or correct the unit's or the indicator's track",
               row=int(r), col="indicator")


def _check_cycles(ck: _Checker, ind: pd.DataFrame) -> None:
    parent = dict(zip(ind["indicator"], ind["parent"], strict=True))
    rows = dict(zip(ind["indicator"], ind["_row"], strict=True))
    reported: set[str] = set()
    for start in parent:
        seen: list[str] = []
        node = start
        while node and node in parent and node not in seen:
            seen.append(node)
            node = parent[node]
        if node and node in seen and node not in reported:
            loop = seen[seen.index(node):]
            reported.update(loop)
            ck.add("indicators", f"the tree goes round in a circle: {' → '.join([*loop, node])}",
                   "correct the `parent` of one of these indicators", row=int(rows[node]), col="parent")


# ------------------------------------------------------------------------------------------------- tables
def _units(ck: _Checker, uf: pd.DataFrame) -> pd.DataFrame:
    spec = SCHEMA["units"]
    units = _parse(ck, spec, uf)
    ck.unique(spec, units[units["unit"] != ""])
    if spec.attributes is not None:
        examples = {c.name: c for c in spec.examples}
        for c in uf.columns:
            if c not in spec.names and c != "_row" and not c.startswith("Unnamed"):
                what = spec.attributes.what.format(name=c)
                units[c] = ck.number("units", uf, c, what, allow_empty=True)
                if c in examples and examples[c].nonnegative:
                    _nonnegative(ck, "units", uf, units[c], c, what)
    units["group_en"] = _group_en(ck, units)
    return units


def _group_en(ck: _Checker, units: pd.DataFrame) -> pd.Series:
    """One English name per group: given in one row or all; two different names for a group are a problem."""
    given = units[units["group_en"] != ""]
    names = given.groupby("group", sort=False)["group_en"].unique()
    for group, found in names.items():
        if len(found) > 1:
            rows = [int(given.loc[(given["group"] == group) & (given["group_en"] == f), "_row"].iloc[0])
                    for f in found[:2]]
            ck.add("units", f"group {group!r} has two English names: {found[0]!r} (row {rows[0]}) and {found[1]!r} "
                   f"(row {rows[1]})", "write the same English name in every row of the group, or in one row only",
                   row=rows[1], col="group_en")
    first = {g: f[0] for g, f in names.items()}
    return units["group"].astype(object).map(first).astype(object).fillna("")


def _indicators(ck: _Checker, inf: pd.DataFrame, tracks: set[str]) -> tuple[pd.DataFrame, list[str]]:
    spec = SCHEMA["indicators"]
    ind = _parse(ck, spec, inf)
    ck.allowed(spec, ind, "kind")
    ck.unique(spec, ind[ind["indicator"] != ""])
    ind_ids = set(ind["indicator"]) - {""}
    ck.allowed(spec, ind, "parent", ind_ids)
    _check_cycles(ck, ind)
    parents = set(ind["parent"]) - {""}
    leaves = [i for i in ind["indicator"] if i and i not in parents]
    leaf_rows = ind[ind["indicator"].isin(leaves)]
    ck.allowed(spec, leaf_rows[leaf_rows["track"] != ALL_TRACKS], "track", tracks, known=", ".join(sorted(tracks)))
    return ind, leaves


def _observed(ck: _Checker, table: str, frame: pd.DataFrame, tree: _Tree) -> pd.DataFrame:
    """Observations or targets: one row per unit, leaf indicator and year (and period, for values by period)."""
    spec = SCHEMA[table]
    if "period" in frame.columns:  # wide sheets have none: their rows are values of the whole year
        frame = frame.assign(period=frame["period"].fillna(""))
    out = _parse(ck, spec, frame)
    _check_keys(ck, spec, out, tree)
    if "period" in out.columns and _filled(out["period"]).any():
        from .events import check_periods

        out = check_periods(ck, out)
    else:
        # (as before the redesign: observations leave rows without a unit out of the duplicate check, targets do not)
        given = out["year"].notna() & (_filled(out["unit"]) if table == "observations" else True)
        ck.unique(spec, out[given])
    for col in spec.columns:
        if col.empty == "drop":
            out = out[out[col.name].notna()]
    return out


def _adjustments(ck: _Checker, af: pd.DataFrame, unit_ids: set[str]) -> pd.DataFrame:
    spec = SCHEMA["adjustments"]
    adj = _parse(ck, spec, af)
    ck.allowed(spec, adj, "unit", unit_ids)
    ck.allowed(spec, adj, "kind")
    for row in adj.loc[(adj["kind"] != "veto") & (adj["value"] < 0), "_row"]:
        ck.add("adjustments", "points must be positive: the kind says whether they are added or deducted",
               "write the points without a minus sign", row=int(row), col="value")
    for row in adj.loc[(adj["kind"].isin(["bonus", "deduction"])) & adj["value"].isna(), "_row"]:
        ck.add("adjustments", "a bonus or deduction needs its points", "fill in `value`", row=int(row), col="value")
    return adj


def _events(ck: _Checker, ef: pd.DataFrame, unit_ids: set[str]) -> pd.DataFrame:
    from .events import check_events

    return check_events(ck, ef, unit_ids)


def _as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    if "_row" not in out.columns:
        out["_row"] = np.arange(len(out)) + 2
    for c in out.columns:
        if c != "_row":
            out[c] = as_text(out[c])
    return out


def _optional(raw: dict[str, pd.DataFrame], table: str, check: Callable[[pd.DataFrame], pd.DataFrame]
              ) -> pd.DataFrame:
    if table in raw:
        return check(raw[table])
    return pd.DataFrame({c: [] for c in SCHEMA[table].frame_order or SCHEMA[table].names})


def build_dataset(raw: dict[str, pd.DataFrame] | RawData, names: dict[str, str] | None = None, *,
                  source: str = "<memory>", synthetic: bool = False) -> Dataset:
    """Validate raw text tables (every cell a string; a `_row` column optional) into a ``Dataset``.

    ``raw`` is a dict of tables, or what a reader made of a folder or workbook (``RawData``: with wide tables
    of observations, the encodings and the reader's notes).  Raises ``DataError`` listing every problem found.
    """
    info = raw if isinstance(raw, RawData) else RawData(dict(raw), names or {t: t for t in SCHEMA})
    names = names or info.names
    ck = _Checker(names)
    tables = {t: _as_text_frame(f) for t, f in info.tables.items()}
    for t, f in tables.items():
        ck.columns(t, f)
    for t in REQUIRED_TABLES:
        if t not in tables and not (t == "observations" and info.wide):
            ck.add(t, f"the required table `{t}` is missing", f"add the `{t}` table (see docs/data-format.md)")
    if ck.problems:
        raise DataError(ck.problems)

    units = _units(ck, tables["units"])
    if not len(units):  # every other table would name unknown units: say the one thing
        ck.add("units", "the table has no rows", "add one row per unit")
        raise DataError(ck.problems)
    tracks = set(units["track"])
    ind, leaves = _indicators(ck, tables["indicators"], tracks)
    if not len(ind):
        ck.add("indicators", "the table has no rows", "add one row per indicator")
    if ck.problems:
        raise DataError(ck.problems)
    ck.measure_unit = dict(zip(ind["indicator"], ind["measure_unit"], strict=True))
    tree = _Tree(set(units["unit"]) - {""}, dict(zip(units["unit"], units["track"], strict=True)),
                 set(ind["indicator"]) - {""}, leaves, dict(zip(ind["indicator"], ind["track"], strict=True)))
    observed = _with_wide(ck, tables, info, units, ind, leaves)
    obs = _observed(ck, "observations", observed, tree) if observed is not None else None
    tg = _optional(tables, "targets", lambda f: _observed(ck, "targets", f, tree))
    adj = _optional(tables, "adjustments", lambda f: _adjustments(ck, f, tree.unit_ids))
    ev = _optional(tables, "events", lambda f: _events(ck, f, tree.unit_ids))

    if obs is None:
        obs = pd.DataFrame({c: [] for c in SCHEMA["observations"].names})
    if not len(obs) and not ck.problems:
        ck.add("observations", "the table has no rows", "add one row per unit, indicator and year")
    if ck.problems:
        raise DataError(ck.problems)

    # Every unit needs at least one indicator of its track.
    for track in sorted(tracks):
        if not any(tree.leaf_track[lf] in (track, ALL_TRACKS) for lf in leaves):
            for row in units.loc[units["track"] == track, "_row"]:
                ck.add("units", f"no leaf indicator applies to track {track!r}",
                       "give some indicators this track (or leave their track empty)", row=int(row), col="track")
    if ck.problems:
        raise DataError(ck.problems)

    obs["year"] = obs["year"].astype(int)
    tg["year"] = tg["year"].astype(int) if len(tg) else tg["year"]
    adj["year"] = adj["year"].astype(int) if len(adj) else adj["year"]
    ev["year"] = ev["year"].astype(int) if len(ev) else ev["year"]
    if "period" in obs.columns and not _filled(obs["period"]).any():  # no value by period: the table as it was
        obs = obs.drop(columns="period")
    ind["parent"] = ind["parent"].replace("", None)
    ind["direction"] = ind["direction"].astype(int)
    frames = {"units": units, "indicators": ind, "observations": obs, "targets": tg, "adjustments": adj}
    return Dataset(**{t: _finished(t, f) for t, f in frames.items()}, source=source,
                   events_table=_finished("events", ev) if len(ev) else None,
                   synthetic=synthetic or info.synthetic, encodings=dict(info.encodings),
                   notes=(*info.notes, *ck.notes))


def _with_wide(ck: _Checker, tables: dict[str, pd.DataFrame], info: RawData, units: pd.DataFrame,
               ind: pd.DataFrame, leaves: list[str]) -> pd.DataFrame | None:
    """The observations of the long table and of the wide tables, as one long text table (None: neither)."""
    long = tables.get("observations")
    if not info.wide:
        return long
    for table in info.wide:
        table.frame = _as_text_frame(table.frame)
    reader = WideReader(units, ind, leaves, ck.problems.append, ck.notes.append)
    pieces = reader.read(info.wide)
    if long is None and not pieces:
        if "observations" in info.missing and not ck.problems:
            ck.problems.append(info.missing["observations"])
        return None
    ck.places["observations"] = Places(ck.names.get("observations", "observations"), reader.pieces)
    if long is None:
        return pd.concat(pieces, ignore_index=True)
    return pd.concat([long, *pieces], ignore_index=True) if pieces else long


def _finished(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A validated table without ``_row``, its columns in the order of ``frame_order``, indexed 0, 1, ..."""
    frame = frame.drop(columns=[c for c in ("_row",) if c in frame.columns])
    order = SCHEMA[table].frame_order
    return (frame[list(order)] if order else frame).reset_index(drop=True)
