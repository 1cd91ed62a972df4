"""Validating raw text tables into a ``Dataset``: every problem at once, with the file, row, column and fix."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..schema.tables import ADJUSTMENT_KINDS, ALL_TRACKS, DIRECTIONS, KINDS, REQUIRED, TABLES
from .dataset import Dataset


class _Checker:
    """Collects problems while turning raw text tables into typed ones."""

    def __init__(self, names: dict[str, str]):
        self.names = names
        self.problems: list[Problem] = []

    def add(self, table: str, message: str, fix: str, row: int | None = None, col: str | None = None) -> None:
        self.problems.append(Problem(self.names.get(table, table), message, fix, row=row, field=col))

    def columns(self, table: str, frame: pd.DataFrame) -> bool:
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c, req in TABLES[table].items() if req and c not in frame.columns]
        for c in missing:
            self.add(table, f"the required column `{c}` is missing", f"add a column headed `{c}` "
                     f"(the table's columns are: {', '.join(TABLES[table])})", row=1, col=c)
        return not missing

    def text(self, table: str, frame: pd.DataFrame, col: str, required: bool, what: str) -> pd.Series:
        if col not in frame.columns:
            return pd.Series([""] * len(frame), index=frame.index, dtype=object)
        s = frame[col].astype(str).str.strip()
        if required:
            for row in frame.loc[s == "", "_row"]:
                self.add(table, f"the {what} is empty", f"fill in the `{col}` column", row=int(row), col=col)
        return s

    def number(self, table: str, frame: pd.DataFrame, col: str, what: str, *, allow_empty: bool,
               integer: bool = False) -> pd.Series:
        s = frame[col].astype(str).str.strip().str.replace(",", "", regex=False)
        num = pd.to_numeric(s.where(s != ""), errors="coerce")
        bad = (s != "") & num.isna()
        for row, text in zip(frame.loc[bad, "_row"], s[bad], strict=True):
            plain = unicodedata.normalize("NFKC", text).replace(",", "")
            hint = (f"; write {plain} in half-width (ASCII) characters" if plain != text
                    and pd.notna(pd.to_numeric(plain, errors="coerce")) else "")
            self.add(table, f"the {what} {text!r} is not a number", f"write a plain number in `{col}` "
                     f"(no units or text; leave the cell empty for a missing value){hint}", row=int(row), col=col)
        if not allow_empty:
            for row in frame.loc[s == "", "_row"]:
                self.add(table, f"the {what} is empty", f"fill in `{col}`", row=int(row), col=col)
        if integer:
            frac = num.notna() & (num != np.floor(num.fillna(0)))
            for row, v in zip(frame.loc[frac, "_row"], num[frac], strict=True):
                self.add(table, f"the {what} {v!r} is not a whole number", f"write a year such as 2018 in `{col}`",
                         row=int(row), col=col)
        for row, text in zip(frame.loc[np.isinf(num.fillna(0)), "_row"], s[np.isinf(num.fillna(0))], strict=True):
            self.add(table, f"the {what} {text!r} is not a finite number", f"write a plain number in `{col}`, or "
                     "leave the cell empty for a missing value", row=int(row), col=col)
        num = num.where(~np.isinf(num.fillna(0)))
        return num

    def unique(self, table: str, frame: pd.DataFrame, keys: list[str], what: str) -> None:
        dup = frame.duplicated(keys, keep=False)
        if dup.any():
            for _, grp in frame[dup].groupby(keys, sort=False):
                rows = [int(r) for r in grp["_row"]]
                ident = ", ".join(f"{k}={grp.iloc[0][k]}" for k in keys)
                self.add(table, f"duplicate {what} ({ident}) in rows {', '.join(map(str, rows))}",
                         "keep one row for it and delete the others", row=rows[1], col=None)

    def known(self, table: str, frame: pd.DataFrame, col: str, valid: Iterable[str], what: str, fix: str) -> pd.Series:
        valid = set(valid)
        bad = ~frame[col].isin(valid) & (frame[col] != "")
        for value, grp in frame[bad].groupby(col, sort=False):
            rows = [int(r) for r in grp["_row"]]
            shown = ", ".join(map(str, rows[:8])) + (" ..." if len(rows) > 8 else "")
            close = difflib.get_close_matches(str(value), sorted(valid - {""}), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.add(table, f"unknown {what} {value!r} (rows {shown}){hint}", fix, row=rows[0], col=col)
        return ~bad


def build_dataset(raw: dict[str, pd.DataFrame], names: dict[str, str] | None = None, *,
                  source: str = "<memory>", synthetic: bool = False) -> Dataset:
    """Validate raw text tables (every cell a string; a `_row` column optional) into a ``Dataset``."""
    names = names or {t: t for t in TABLES}
    ck = _Checker(names)
    raw = {t: f.copy() for t, f in raw.items()}
    for f in raw.values():
        if "_row" not in f.columns:
            f["_row"] = np.arange(len(f)) + 2
        for c in f.columns:
            if c != "_row":
                f[c] = f[c].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    for t, f in raw.items():
        ck.columns(t, f)
    for t in REQUIRED:
        if t not in raw:
            ck.add(t, f"the required table `{t}` is missing", f"add the `{t}` table (see docs/data-format.md)")
    if ck.problems:
        raise DataError(ck.problems)

    # ---- units
    uf = raw["units"]
    units = pd.DataFrame({"unit": ck.text("units", uf, "unit", True, "unit id")})
    units["name"] = ck.text("units", uf, "name", True, "unit name")
    units["name_en"] = ck.text("units", uf, "name_en", False, "")
    units["group"] = ck.text("units", uf, "group", True, "group (考核组别)")
    units["track"] = ck.text("units", uf, "track", False, "").replace("", ALL_TRACKS)
    units["_row"] = uf["_row"]
    ck.unique("units", units[units["unit"] != ""], ["unit"], "unit id")
    for c in uf.columns:
        if c not in TABLES["units"] and c != "_row" and not c.startswith("Unnamed"):
            units[c] = ck.number("units", uf, c, f"value of attribute `{c}`", allow_empty=True)
    unit_ids = set(units["unit"]) - {""}
    unit_track = dict(zip(units["unit"], units["track"], strict=True))

    # ---- indicators
    inf = raw["indicators"]
    ind = pd.DataFrame({"indicator": ck.text("indicators", inf, "indicator", True, "indicator id")})
    ind["name"] = ck.text("indicators", inf, "name", True, "indicator name")
    ind["name_en"] = ck.text("indicators", inf, "name_en", False, "")
    ind["parent"] = ck.text("indicators", inf, "parent", False, "")
    ind["measure_unit"] = ck.text("indicators", inf, "measure_unit", False, "")
    ind["track"] = ck.text("indicators", inf, "track", False, "").replace("", ALL_TRACKS)
    ind["kind"] = ck.text("indicators", inf, "kind", False, "").replace("", "objective")
    ind["_row"] = inf["_row"]
    direction = ck.text("indicators", inf, "direction", False, "").str.lower().replace("", "1")
    ind["direction"] = direction.map(DIRECTIONS)
    for row, v in zip(inf.loc[ind["direction"].isna(), "_row"], direction[ind["direction"].isna()], strict=True):
        ck.add("indicators", f"direction {v!r} is not understood", "write 1 (higher is better, 正向) or -1 "
               "(lower is better, 逆向)", row=int(row), col="direction")
    ind["weight"] = (ck.number("indicators", inf, "weight", "weight", allow_empty=True)
                     if "weight" in inf.columns else np.nan)
    for row in ind.loc[ind["weight"] < 0, "_row"]:
        ck.add("indicators", "a weight cannot be negative", "write 0 or a positive weight", row=int(row), col="weight")
    ck.known("indicators", ind, "kind", KINDS, "indicator kind", "write `objective` or `subjective`")
    ck.unique("indicators", ind[ind["indicator"] != ""], ["indicator"], "indicator id")
    ind_ids = set(ind["indicator"]) - {""}
    ck.known("indicators", ind, "parent", ind_ids, "parent indicator",
             "write the id of another row of the indicators table, or leave it empty for a first-level indicator")
    _check_cycles(ck, ind)
    parents = set(ind["parent"]) - {""}
    leaves = [i for i in ind["indicator"] if i and i not in parents]
    tracks = set(units["track"])
    leaf_rows = ind[ind["indicator"].isin(leaves)]
    ck.known("indicators", leaf_rows[leaf_rows["track"] != ALL_TRACKS], "track", tracks, "track",
             f"use a track that some unit has ({', '.join(sorted(tracks))}), or leave it empty for all tracks")
    leaf_track = dict(zip(ind["indicator"], ind["track"], strict=True))

    # ---- observations
    of = raw["observations"]
    obs = pd.DataFrame({"unit": ck.text("observations", of, "unit", True, "unit id")})
    obs["indicator"] = ck.text("observations", of, "indicator", True, "indicator id")
    obs["year"] = ck.number("observations", of, "year", "year", allow_empty=False, integer=True)
    obs["value"] = ck.number("observations", of, "value", "value", allow_empty=True)
    obs["_row"] = of["_row"]
    _check_keys(ck, "observations", obs, unit_ids, ind_ids, leaves, leaf_track, unit_track)
    ck.unique("observations", obs[(obs["unit"] != "") & obs["year"].notna()], ["unit", "indicator", "year"],
              "observation")

    # ---- targets
    if "targets" in raw:
        tf = raw["targets"]
        tg = pd.DataFrame({"unit": ck.text("targets", tf, "unit", True, "unit id")})
        tg["indicator"] = ck.text("targets", tf, "indicator", True, "indicator id")
        tg["year"] = ck.number("targets", tf, "year", "year", allow_empty=False, integer=True)
        tg["target"] = ck.number("targets", tf, "target", "target", allow_empty=True)
        tg["_row"] = tf["_row"]
        _check_keys(ck, "targets", tg, unit_ids, ind_ids, leaves, leaf_track, unit_track)
        ck.unique("targets", tg[tg["year"].notna()], ["unit", "indicator", "year"], "target")
        tg = tg[tg["target"].notna()]
    else:
        tg = pd.DataFrame({"unit": [], "indicator": [], "year": [], "target": []})

    # ---- adjustments
    if "adjustments" in raw:
        af = raw["adjustments"]
        adj = pd.DataFrame({"unit": ck.text("adjustments", af, "unit", True, "unit id")})
        adj["year"] = ck.number("adjustments", af, "year", "year", allow_empty=False, integer=True)
        adj["kind"] = ck.text("adjustments", af, "kind", True, "adjustment kind").str.lower()
        adj["value"] = (ck.number("adjustments", af, "value", "value", allow_empty=True)
                        if "value" in af.columns else np.nan)
        adj["reason"] = ck.text("adjustments", af, "reason", False, "")
        adj["_row"] = af["_row"]
        ck.known("adjustments", adj, "unit", unit_ids, "unit id", "use an id from the units table")
        ck.known("adjustments", adj, "kind", ADJUSTMENT_KINDS, "adjustment kind",
                 "write bonus (加分), deduction (扣分) or veto (一票否决)")
        for row in adj.loc[(adj["kind"] != "veto") & (adj["value"] < 0), "_row"]:
            ck.add("adjustments", "points must be positive: the kind says whether they are added or deducted",
                   "write the points without a minus sign", row=int(row), col="value")
        for row in adj.loc[(adj["kind"].isin(["bonus", "deduction"])) & adj["value"].isna(), "_row"]:
            ck.add("adjustments", "a bonus or deduction needs its points", "fill in `value`", row=int(row), col="value")
    else:
        adj = pd.DataFrame({"unit": [], "year": [], "kind": [], "value": [], "reason": []})

    if not len(obs) and not ck.problems:
        ck.add("observations", "the table has no rows", "add one row per unit, indicator and year")
    if ck.problems:
        raise DataError(ck.problems)

    # Every unit needs at least one indicator of its track.
    for track in sorted(tracks):
        have = [lf for lf in leaves if leaf_track[lf] in (track, ALL_TRACKS)]
        if not have:
            for row in units.loc[units["track"] == track, "_row"]:
                ck.add("units", f"no leaf indicator applies to track {track!r}",
                       "give some indicators this track (or leave their track empty)", row=int(row), col="track")
    if ck.problems:
        raise DataError(ck.problems)

    obs["year"] = obs["year"].astype(int)
    tg["year"] = tg["year"].astype(int) if len(tg) else tg["year"]
    adj["year"] = adj["year"].astype(int) if len(adj) else adj["year"]
    ind["parent"] = ind["parent"].replace("", None)
    ind["direction"] = ind["direction"].astype(int)
    drop = ["_row"]
    return Dataset(
        units=units.drop(columns=drop).reset_index(drop=True),
        indicators=ind.drop(columns=drop).reset_index(drop=True),
        observations=obs.drop(columns=drop).reset_index(drop=True),
        targets=tg.drop(columns=[c for c in drop if c in tg.columns]).reset_index(drop=True),
        adjustments=adj.drop(columns=[c for c in drop if c in adj.columns]).reset_index(drop=True),
        source=source,
        synthetic=synthetic,
    )


def _check_keys(ck: _Checker, table: str, frame: pd.DataFrame, unit_ids: set[str], ind_ids: set[str],
                leaves: list[str], leaf_track: dict[str, str], unit_track: dict[str, str]) -> None:
    ok_u = ck.known(table, frame, "unit", unit_ids, "unit id", "use an id from the units table, or add the unit there")
    ok_i = ck.known(table, frame, "indicator", ind_ids, "indicator id",
                    "use an id from the indicators table, or add the indicator there")
    leafset = set(leaves)
    inner = ok_i & ~frame["indicator"].isin(leafset) & (frame["indicator"] != "")
    for value, grp in frame[inner].groupby("indicator", sort=False):
        ck.add(table, f"{value!r} has sub-indicators, so its values are computed, not given",
               "give values for its sub-indicators (leaves) only, or delete these rows",
               row=int(grp["_row"].iloc[0]), col="indicator")
    both = ok_u & ok_i & ~inner & (frame["unit"] != "") & (frame["indicator"] != "")
    sub = frame[both]
    wrong = [
        (r, u, i) for r, u, i in zip(sub["_row"], sub["unit"], sub["indicator"], strict=True)
        if leaf_track.get(i, ALL_TRACKS) not in (ALL_TRACKS, unit_track.get(u))
    ]
    for r, u, i in wrong[:20]:
        ck.add(table, f"indicator {i!r} belongs to track {leaf_track[i]!r} but unit {u!r} is in track "
               f"{unit_track[u]!r}", "delete the row, or correct the unit's or the indicator's track",
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
