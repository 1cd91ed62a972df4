"""Comparing outcomes: each part's gain over the years a move changes, the decision, the tables, the index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .scheme import KINDS, TOL_YUAN, Scheme

#: The outcome's parts in the order they decide, and the tolerance below which a difference does not count.
_PARTS = (("grade", 0.5), ("step", 0.5), ("yuan", TOL_YUAN), ("rank", 0.5), ("progress", 0.5), ("slots", 1e-9))


def _gains(b: dict, a: dict) -> dict[str, np.ndarray]:
    """Each part's gain from ``b`` to ``a`` (positive = better): grade levels and steps (lower codes are better;
    no grade on either side: 0), yuan, places (an unranked unit is behind every ranked one), awards, slots."""
    both = (a["grade"] >= 0) & (b["grade"] >= 0)
    ra, rb = a["rank"], b["rank"]
    places = np.where(np.isfinite(ra) & np.isfinite(rb), rb - ra,
                      np.where(np.isfinite(ra) == np.isfinite(rb), 0.0, np.where(np.isfinite(ra), 1.0, -1.0)))
    return {"grade": np.where(both, b["grade"] - a["grade"], 0).astype(float),
            "step": (b["step"] - a["step"]).astype(float), "yuan": a["yuan"] - b["yuan"], "rank": places,
            "progress": a["progress"].astype(float) - b["progress"].astype(float), "slots": a["slots"] - b["slots"]}


def _decide(gains: dict[str, np.ndarray]) -> np.ndarray:
    """+1 where the gains make the outcome better, −1 worse, 0 the same: the first part that differs decides."""
    signs = np.stack([np.where(np.abs(gains[k]) > tol, np.sign(gains[k]), 0) for k, tol in _PARTS])
    first = np.argmax(signs != 0, axis=0)
    return signs[first, np.arange(signs.shape[1])].astype(int)


def _names(codes: np.ndarray, names: Sequence[str]) -> list[str]:
    return [names[c] if 0 <= c < len(names) else "" for c in codes]


def frame(base: Scheme, kind: str, unit: np.ndarray, cols: dict, after: dict, prev_after: dict | None,
          worse: np.ndarray) -> pd.DataFrame:
    """The rows of one kind of move: what was done, the outcome before and after, the gains."""
    plan, t = base.plan, base.t
    sc = plan.scenario
    grades = [g.name for g in sc.grading.grades]
    acc = sc.consequences.accountability
    steps = list(acc.steps) if acc is not None else []
    b = {k: v[unit] for k, v in base.outcome(t).items()}
    units = plan.data.units
    df = pd.DataFrame({"unit": units["unit"].to_numpy()[unit], "name": units["name"].to_numpy()[unit],
                       "group": units["group"].to_numpy()[unit], "kind": kind, **cols})
    for side, o in (("before", b), ("after", after)):
        df[f"score_{side}"] = o["score"]
        df[f"rank_{side}"] = pd.array(np.where(np.isfinite(o["rank"]), o["rank"], np.nan), dtype="Int64")
        df[f"grade_{side}"] = _names(o["grade"], grades)
        df[f"accountability_{side}"] = _names(o["step"], steps)
        df[f"yuan_{side}"] = o["yuan"]
        df[f"slots_{side}"] = o["slots"]
        df[f"progress_{side}"] = o["progress"]
    gains = _gains(b, after)
    df["rank_gain"] = (df["rank_before"] - df["rank_after"]).astype("Int64")
    df["grade_gain"] = pd.array(gains["grade"].astype(int), dtype="Int64")
    df["gain_yuan"] = gains["yuan"]
    df["others_worse"] = worse
    if prev_after is not None and base.prev:  # the year the move is made in: its price, netted into the gain
        pb = {k: v[unit] for k, v in base.outcome(t - 1).items()}
        df["grade_prev_before"] = _names(pb["grade"], grades)
        df["grade_prev_after"] = _names(prev_after["grade"], grades)
        df["accountability_prev_after"] = _names(prev_after["step"], steps)
        before = _gains(pb, prev_after)
        df["yuan_prev_change"] = before["yuan"]
        gains = {k: gains[k] + before[k] for k in gains}
    df["net_grade_gain"] = pd.array(gains["grade"].astype(int), dtype="Int64")
    df["net_yuan"] = gains["yuan"]
    decision = _decide(gains)
    df["improves"] = decision > 0
    df["worse"] = decision < 0
    df["_unit"] = unit
    for k, _ in _PARTS:
        df[f"_g_{k}"] = gains[k]
    return df


#: The columns of ``Audit.moves``, in order.
MOVE_COLUMNS: tuple[str, ...] = (
    "unit", "name", "group", "kind", "indicator", "indicator_name", "year_from", "year_to", "fraction", "amount",
    "to_group", "cost", "misreport", "score_before", "score_after", "rank_before", "rank_after", "grade_before",
    "grade_after", "accountability_before", "accountability_after", "yuan_before", "yuan_after", "slots_before",
    "slots_after", "progress_before", "progress_after", "grade_prev_before", "grade_prev_after",
    "accountability_prev_after", "yuan_prev_change", "rank_gain", "grade_gain", "net_grade_gain", "gain_yuan",
    "net_yuan", "others_worse", "improves", "worse")
_BEFORE = ("score_before", "rank_before", "grade_before", "accountability_before", "yuan_before")


def ordered(base: Scheme, moves: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``MOVE_COLUMNS`` (empty where a kind has none), rows by group, rank, kind, indicator."""
    o = base.outcome(base.t)
    place = np.lexsort((np.asarray(base.plan.data.unit_ids, dtype=object),
                        np.nan_to_num(o["rank"], nan=np.inf), base.plan.group_codes))
    where = np.empty(len(place), dtype=int)
    where[place] = np.arange(len(place))
    leaf = {k: i for i, k in enumerate(base.plan.tree.leaves)}
    private = [c for c in moves.columns if c.startswith("_")]
    moves = moves.reindex(columns=[*MOVE_COLUMNS, *private])
    out = moves.assign(_order=where[moves["_unit"].to_numpy(dtype=int)],
                       _kind=moves["kind"].map({k: i for i, k in enumerate(KINDS)}),
                       _leaf=moves["indicator"].map(leaf).fillna(-1))
    return out.sort_values(["_order", "_kind", "_leaf", "fraction", "to_group"], kind="stable").reset_index(drop=True)


def best_moves(base: Scheme, moves: pd.DataFrame) -> pd.DataFrame:
    """Per unit (group, rank order) the cheapest improving move; ties: the larger gain, the smaller amount."""
    good = moves[moves["improves"].astype(bool)]
    parts = [f"_g_{k}" for k, _ in _PARTS]
    good = good.sort_values(["_unit", "cost", *parts, "fraction", "_kind", "indicator", "to_group"],
                            ascending=[True, True, *[False] * len(parts), True, True, True, True],
                            kind="stable", na_position="last")
    first = good.drop_duplicates("_unit")
    counts = moves.groupby("_unit").agg(moves_tried=("kind", "size"), improving=("improves", "sum"))
    units = base.plan.data.units
    o = base.outcome(base.t)
    head = frame(base, "", np.arange(len(units)), {}, o, None, np.zeros(len(units), int))
    head = head[["_unit", "unit", "name", "group", *_BEFORE]].assign(
        _g=base.plan.group_codes, _r=np.nan_to_num(o["rank"], nan=np.inf))
    cols = [c for c in MOVE_COLUMNS if c not in ("unit", "name", "group", *_BEFORE, "worse")]
    out = head.merge(first[["_unit", *cols]], on="_unit", how="left").merge(
        counts, left_on="_unit", right_index=True, how="left")
    out["kind"] = out["kind"].fillna("")
    out["improves"] = out["improves"].fillna(False).astype(bool)
    out[["moves_tried", "improving"]] = out[["moves_tried", "improving"]].fillna(0).astype(int)
    out = out.sort_values(["_g", "_r", "unit"], kind="stable")
    return out.drop(columns=[c for c in out if c.startswith("_")]).reset_index(drop=True)


def manipulability_index(best: pd.DataFrame, cost_cap: float) -> dict[str, Any]:
    """The scheme's manipulability index from the best moves (see the module text)."""
    n = len(best)
    ok = (best["improves"] & (best["cost"].fillna(np.inf) <= cost_cap + 1e-12)).to_numpy()
    gain = np.where(ok, best["net_yuan"].fillna(0.0).to_numpy(dtype=float), 0.0)
    lifted = ok & (best["grade_gain"].fillna(0).to_numpy(dtype=float) > 0)
    kinds = best["kind"].to_numpy(dtype=object)

    def share(m: np.ndarray) -> float:
        return float(m.mean()) if n else 0.0

    return {"units": n, "manipulable": int(ok.sum()), "index": share(ok), "cost_cap": cost_cap,
            "grade_share": share(lifted), "mean_gain_yuan": float(gain.mean()) if n else 0.0,
            "max_gain_yuan": float(gain.max()) if n else 0.0,
            "by_kind": {k: share(ok & (kinds == k)) for k in KINDS}}
