"""The data's events (督查、巡视巡察、审计) under a scenario's ``events`` rules, laid out for the stages: points
deducted per unit, year and source (capped), vetoes and their reasons, and the per-event table of a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..io.dataset import Dataset
from ..rules.events import capped, event_points
from ..schema.events import SOURCE_CODES, SOURCES
from ..schema.scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result


@dataclass(frozen=True)
class EventArrays:
    """Per unit and year of the data (and source): the deducted points before the caps, after each source's cap
    and after the cap in total, where the caps bound, vetoes and their reasons; per event (the rows of
    ``events``, those of the data's years) its points under the rules."""

    raw: np.ndarray  # (U, T, S)
    by_source: np.ndarray  # (U, T, S)
    total: np.ndarray  # (U, T)
    source_bound: np.ndarray  # (U, T, S) bool
    total_bound: np.ndarray  # (U, T) bool
    veto: np.ndarray  # (U, T) bool
    veto_reason: np.ndarray  # (U, T) object
    events: pd.DataFrame  # the events counted, with `deducts` (points under the rules) and `veto`


def event_arrays(scenario: Scenario, data: Dataset) -> EventArrays | None:
    """The events under the scenario's rules; None when the scenario has no ``events`` block (the table is then
    not applied)."""
    rules = scenario.events
    if rules is None:
        return None
    shape = (len(data.unit_ids), len(data.years))
    ev = data.events
    if rules.use_table and len(ev):
        ev = ev[ev["year"].isin(data.years) & ev["unit"].isin(data.unit_ids)].reset_index(drop=True)
    else:
        ev = ev.iloc[:0]
    u = pd.Index(data.unit_ids).get_indexer(ev["unit"])
    t = pd.Index(data.years).get_indexer(ev["year"])
    s = np.array([SOURCES.index(x) for x in ev["source"]], dtype=int)
    pts = event_points(rules, ev["points"].to_numpy(dtype=float), list(ev["source"]), list(ev["kind"]))
    c = capped(rules, pts, u, t, s, shape)
    vetoing = ev["kind"].isin(rules.veto_kinds).to_numpy()
    veto = np.zeros(shape, dtype=bool)
    reason = np.full(shape, "", dtype=object)
    for k in np.flatnonzero(vetoing):
        veto[u[k], t[k]] = True
        text = f"{ev['source'].iat[k]}：{ev['kind'].iat[k]}（{ev['date'].iat[k]}）"
        note = ev["note"].iat[k]
        if isinstance(note, str) and note:
            text += f" {note}"
        reason[u[k], t[k]] = f"{reason[u[k], t[k]]}；{text}" if reason[u[k], t[k]] else text
    table = ev.assign(deducts=pts, veto=vetoing)
    return EventArrays(c.raw, c.by_source, c.total, c.source_bound, c.total_bound, veto, reason, table)


def unit_columns(arrays: EventArrays, t: int) -> dict[str, np.ndarray]:
    """The columns ``result.units`` gains for year index ``t``: points per source (after its cap), the total
    deducted for events (after the total cap) and which cap bound (source codes, ``total``)."""
    out: dict[str, np.ndarray] = {}
    for k, source in enumerate(SOURCES):
        out[f"deduction_{SOURCE_CODES[source]}"] = arrays.by_source[:, t, k]
    out["event_deduction"] = arrays.total[:, t]
    # which caps bound, "audit,total" say: one string column per cap, joined (no loop over units)
    flags = [*(arrays.source_bound[:, t, k] for k in range(len(SOURCES))), arrays.total_bound[:, t]]
    codes = [*(SOURCE_CODES[s] for s in SOURCES), "total"]
    joined = np.full(arrays.total.shape[0], "", dtype=object)
    for flag, code in zip(flags, codes, strict=True):
        joined = np.where(flag, joined + np.where(joined == "", "", ",") + code, joined)
    out["event_cap"] = joined
    return out


def event_table(result: Result) -> pd.DataFrame:
    """The events of the result's focus year: unit, name, date, source, kind, points (as written), deducts
    (under the source's rule, before the caps), veto, note, and per unit and source whether the cap bound."""
    arrays = result.inputs.events
    cols = ["unit", "name", "group", "date", "source", "kind", "points", "deducts", "veto", "note", "source_cap_bound",
            "total_cap_bound"]
    if arrays is None:
        return pd.DataFrame(columns=cols)
    t = result.plan.years.index(result.year)
    ev = arrays.events[arrays.events["year"] == result.year]
    ids = list(result.data.unit_ids)
    u = np.array([ids.index(x) for x in ev["unit"]], dtype=int)
    s = np.array([SOURCES.index(x) for x in ev["source"]], dtype=int)
    names = result.data.units.set_index("unit")
    out = ev.assign(name=names.loc[ev["unit"], "name"].to_numpy(), group=names.loc[ev["unit"], "group"].to_numpy(),
                    source_cap_bound=arrays.source_bound[u, t, s] if len(ev) else np.zeros(0, bool),
                    total_cap_bound=arrays.total_bound[u, t] if len(ev) else np.zeros(0, bool))
    return out[cols].sort_values(["unit", "date"], kind="stable").reset_index(drop=True)
