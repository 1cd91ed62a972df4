"""The manipulability audit (红队测试): for every unit, the cheapest move that improves its outcome under a scheme.

Four moves are tried for every unit, each on its own (never two at once), in the evaluation year ``t``:

- ``withhold`` (缺报): one indicator's value of year ``t`` is not reported; the scenario's missing-data policy
  (``scenario.missing``) decides what the cell gives.  Under ``zero`` it scores nothing; under
  ``renormalise`` its weight goes to the unit's other indicators, so leaving out a weak one can pay.
- ``hold_back`` (压低上年): the unit gives up a share ``f`` of one indicator's output in ``t − 1`` (for a
  lower-is-better indicator: it reports ``f`` worse), so that a target read from its own history (a baseline,
  a ratchet) or a growth rate over ``t − 1`` is easier in ``t``.  Tried for every ``f`` in ``fractions``.
- ``shift`` (跨年调节): an amount ``f × x`` is moved between ``t − 1`` and ``t`` in the direction that helps
  ``t`` (for higher-is-better amounts from ``t − 1`` into ``t``; for lower-is-better amounts, such as cases or
  deaths, from ``t`` back into ``t − 1``, ``x`` the source year's value).  Only amounts can be moved between
  years: leaves whose measure unit is an amount or a count (``AMOUNT_UNITS``, e.g. 亿元, 万元, 人, 起; not
  %, 分, per-capita 元 or rates), or the ids given as ``shiftable``.
- ``category`` (改报组别): the unit is ranked in another group of its track in ``t`` (the same indicators apply
  to it there: every unit of the group has its track).  Each (unit, group) pair needs its own plan, so this
  move is bounded: the unit's current total is placed among each candidate group's totals, and only the
  ``category_candidates`` groups where it would stand highest (by place as a share of the group) are
  evaluated exactly (``None``: every group of the track).

Subjective indicators (``kind: subjective``: surveys, mutual scoring) are not reported by the unit and are
never moved.  **Cost** is the share of the unit's own output of the indicator that the move gives up: ``f``
for ``hold_back``, 0 for the other three, which give up nothing but misreport (``misreport`` is true: a
withheld value, an amount booked in the wrong year, a false category).

**Outcome** of a unit, compared part by part in this order (the first part that differs decides): its grade
(levels; when the unit has no grade before or after, e.g. policy ``exclude``, this part is skipped), its
accountability step (a lighter step or none is better), yuan (bonus plus prize money; a change above 0.5
yuan), its rank within the group, a progress award, award slots.  Each part's gain is summed over the years
the move changes: ``t`` alone for ``withhold`` and ``category``; ``t − 1`` and ``t`` for ``hold_back`` and
``shift``, whose price in ``t − 1`` (a lower grade or bonus in the year the output is given up or booked
away) is netted in (``grade_prev_*``, ``yuan_prev_change``, ``net_yuan``).  A move **improves** when the
summed gains are better than none.  A unit's **best move** is its cheapest improving move; among equal costs
the larger gain (the same order), then the smaller amount.  The search tries every free move (``withhold``,
``shift``, ``category``) of every unit, then ``hold_back`` by increasing share for the units with no
improving move yet, so each unit's best move is found; ``exhaustive=True`` tries every move of every unit.

**Index** (``Audit.index``): ``index`` is the share of units whose best move costs at most ``cost_cap``
(default 5% of the indicator's output) — misreporting moves cost 0, so any improving one counts;
``mean_gain_yuan`` and ``max_gain_yuan`` are the mean over every audited unit (0 where there is no such move)
and the maximum of the best move's net yuan gain; ``grade_share`` the share of units whose best move lifts its
grade in ``t``; ``by_kind`` the share of units whose best move is of each kind.

Every variant is one draw of the engine's draw axis, evaluated in chunks of at most ``chunk_cells`` values,
each unit read in its own variant.  When a unit's leaf scores depend on its own values only (or only on its
group's), the leaf stage is run once for many units' variants at once and spliced per variant.  Years before
the ones a move changes are not re-evaluated: the look-back (progress, the accountability ladder) starts from
the scheme's own outcome of the year before.  The data are never modified.

>>> import simkit
>>> a = audit("yiyang_2018_reform", simkit.load_data(), kinds=("withhold",))
>>> a.index["index"], len(a.best) == len(simkit.load_data().units)
(0.0, True)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._version import __version__
from ...engine.evaluate import as_data, as_scenario
from ...errors import Problem, SimkitError
from ...io.dataset import Dataset
from ...schema.scenario import Scenario, source_of
from .category import category_moves
from .moves import Variants, evaluate_variants, hold_back, shift, withhold
from .outcomes import best_moves, frame, manipulability_index, ordered
from .scheme import AMOUNT_UNITS, FRACTIONS, KINDS, scheme_of

__all__ = ["AMOUNT_UNITS", "FRACTIONS", "KINDS", "Audit", "audit"]


@dataclass(frozen=True)
class Audit:
    """The audit of one scheme on one data set and year.

    ``moves``: one row per move tried (unit, kind, indicator, years, fraction, amount, cost, misreport, the
    outcome before and after: score, rank, grade, accountability, yuan, award slots, progress award; the gains
    and ``improves``).  ``best``: one row per unit, its best move (empty ``kind`` when none improves).
    ``index``: the scheme's manipulability index (see the module text).
    """

    scenario: Scenario = field(repr=False)
    data: Dataset = field(repr=False)
    year: int
    moves: pd.DataFrame = field(repr=False)
    best: pd.DataFrame = field(repr=False)
    index: dict[str, Any]
    settings: dict[str, Any]

    def manifest(self) -> dict[str, Any]:
        """What produced the audit: scenario, data, year, settings, the index."""
        from datetime import UTC, datetime

        return {
            "simkit_version": __version__, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "scenario": {"name": self.scenario.name, "file": source_of(self.scenario),
                         "sha256": self.scenario.fingerprint()},
            "data": self.data.provenance(),
            "year": self.year, "settings": self.settings, "index": json.loads(json.dumps(self.index, default=float)),
        }


def audit(scenario: Scenario | str | Path, data: Dataset | str | Path | None = None, year: int | None = None, *,
          fractions: Sequence[float] = FRACTIONS, kinds: Sequence[str] = KINDS, cost_cap: float = 0.05,
          shiftable: Sequence[str] | None = None, category_candidates: int | None = 3,
          exhaustive: bool = False, chunk_cells: int = 4_000_000, fast: bool = True) -> Audit:
    """Search every unit's moves under ``scenario`` on ``data`` in ``year`` (default: the scenario's, else the
    last); see the module text for the moves, cost, outcome, best move and index.  ``fast=False`` runs every
    variant through the whole engine (the same outcomes, slower: a check of the fast path)."""
    scenario = as_scenario(scenario)
    data = as_data(data, scenario)
    unknown = [k for k in kinds if k not in KINDS]
    fr = np.asarray(sorted(set(float(f) for f in fractions)), dtype=float)
    if unknown or not len(fr) or not ((fr > 0) & (fr < 1)).all():
        raise SimkitError(Problem("audit", f"kinds {unknown} or fractions {list(fractions)} are not allowed",
                                  f"kinds among {', '.join(KINDS)}; fractions between 0 and 1 (e.g. 0.05)",
                                  field="kinds" if unknown else "fractions"))
    base = scheme_of(scenario, data, year)
    plan, t = base.plan, base.t
    data = plan.data  # the units the scenario evaluates (its scope)
    leaves = plan.tree.leaves
    info = data.indicator_info
    if shiftable is None:
        can_shift = np.array([str(info[leaf].get("measure_unit") or "").strip() in AMOUNT_UNITS for leaf in leaves])
    else:
        can_shift = np.isin(np.asarray(leaves, dtype=object), list(shiftable))
    years = plan.years
    frames: list[pd.DataFrame] = []
    found = np.zeros(len(data.units), dtype=bool)  # units with an improving move so far

    def add(kind: str, v: Variants) -> None:
        if not len(v):
            return
        after, prev_after, worse = evaluate_variants(base, v, chunk_cells, fast)
        into_t = plan.direction[v.leaf] > 0  # a shift books an amount into t (higher is better) or out of it
        y_from = np.where(v.y2 < 0, v.y1, np.where(into_t, t - 1, t))
        y_to = np.where(v.y2 < 0, v.y1, np.where(into_t, t, t - 1))
        cols = {"indicator": np.asarray(leaves, dtype=object)[v.leaf],
                "year_from": np.asarray(years)[y_from], "year_to": np.asarray(years)[y_to],
                "fraction": v.fraction, "amount": v.amount, "to_group": "",
                "cost": v.fraction if kind == "hold_back" else np.zeros(len(v)), "misreport": kind != "hold_back"}
        frames.append(frame(base, kind, v.unit, cols, after, prev_after, worse))
        found[v.unit[frames[-1]["improves"].to_numpy()]] = True

    # the moves that cost no output first; then holding back, the smallest share first, for the units that have
    # no improving move yet (unless ``exhaustive``): a unit's cheapest improving move is found either way
    if "withhold" in kinds:
        add("withhold", withhold(base))
    if "shift" in kinds and t >= 1:
        add("shift", shift(base, fr, can_shift))
    if "category" in kinds:
        pairs, after, worse = category_moves(base, category_candidates)
        if pairs:
            unit = np.array([u for u, _ in pairs])
            cols = {"indicator": "", "year_from": years[t], "year_to": years[t], "fraction": 0.0,
                    "amount": np.nan, "to_group": [g for _, g in pairs], "cost": 0.0, "misreport": True}
            frames.append(frame(base, "category", unit, cols, after, None, worse))
            found[unit[frames[-1]["improves"].to_numpy()]] = True
    if "hold_back" in kinds and t >= 1:
        for f in ([fr] if exhaustive else [fr[i : i + 1] for i in range(len(fr))]):
            add("hold_back", hold_back(base, f, None if exhaustive else ~found))
    moves = pd.concat(frames, ignore_index=True) if frames else frame(
        base, "", np.zeros(0, int), {}, {k: v[:0] for k, v in base.outcome(t).items()}, None, np.zeros(0, int))
    moves["indicator_name"] = [str(info[i].get("name", i)) if i in info else "" for i in moves.get("indicator", [])]
    moves = ordered(base, moves)
    best = best_moves(base, moves)
    index = manipulability_index(best, cost_cap)
    drop = [c for c in moves if c.startswith("_")]
    if plan.scenario.consequences.accountability is None:  # no ladder: no accountability columns
        drop += [c for c in moves if c.startswith("accountability_")]
        best = best.drop(columns=[c for c in best if c.startswith("accountability_")])
    moves = moves.drop(columns=drop)
    settings = {"fractions": fr.tolist(), "kinds": list(kinds), "cost_cap": cost_cap,
                "shiftable": [leaf for leaf, s in zip(leaves, can_shift, strict=True) if s],
                "category_candidates": category_candidates, "exhaustive": exhaustive,
                "missing_policy": scenario.missing.policy}
    return Audit(scenario, data, years[t], moves, best, index, settings)
