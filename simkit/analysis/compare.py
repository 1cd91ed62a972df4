"""Compare two scenarios on the same data: rank, grade and payout shifts, winners and losers, rank
correlation, the budget difference, and a sequential decomposition of the change provision by provision.

>>> import simkit
>>> c = compare(simkit.load_scenario("legacy_totals"), simkit.load_scenario("yiyang_2018_reform"))
>>> list(c.units.columns[:6])
['unit', 'name', 'group', 'rank_base', 'rank_reform', 'rank_change']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine.evaluate import as_data, as_scenario, evaluate
from ..engine.memory import on_heap
from ..engine.result import Result
from ..errors import SimkitError
from ..io.dataset import Dataset
from ..schema.levers import SetValue, apply, provisions
from ..schema.scenario import Scenario
from .resample import by_size
from .stats import kendall, spearman

#: Rank change bands (places gained, positive = up): label, low, high.
RANK_BANDS = (("up ≥3", 3, np.inf), ("up 1–2", 1, 2), ("no change", 0, 0), ("down 1–2", -2, -1),
              ("down ≥3", -np.inf, -3))
#: Payout change bands (relative change): label, low, high.
MONEY_BANDS = (("gain >5%", 0.05, np.inf), ("gain ≤5%", 1e-12, 0.05), ("no change", -1e-12, 1e-12),
               ("lose ≤5%", -0.05, -1e-12), ("lose >5%", -np.inf, -0.05))


@dataclass(frozen=True)
class Comparison:
    """Two results on the same data and year, and what changed between them.

    ``units``: one row per unit (comparison.csv); ``bands``: winners and losers; ``summary``: rank correlation,
    moves, budget; ``decomposition`` (computed when first read): the change provision by provision.
    """

    base: Result
    reform: Result
    units: pd.DataFrame
    bands: pd.DataFrame
    summary: dict[str, Any]

    def summary_table(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": list(self.summary), "value": list(self.summary.values())})

    @cached_property
    def decomposition(self) -> pd.DataFrame:
        """One row per provision switched from base to reform (see ``decompose``)."""
        return decompose(self.base.scenario, self.reform.scenario, self.base.data.full, self.base.year)


def band(values: np.ndarray, bands: tuple[tuple[str, float, float], ...]) -> list[str]:
    """The label of the band each value falls in ("" for NaN)."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, "", dtype=object)
    for name, lo, hi in reversed(bands):
        out[(values >= lo) & (values <= hi)] = name
    return out.tolist()


def _payout(units: pd.DataFrame) -> np.ndarray:
    return units["payout"].to_numpy(dtype=float) if "payout" in units else np.zeros(len(units))


def unit_changes(base: Result, reform: Result) -> pd.DataFrame:
    """Per unit: rank, grade, payout and slots under both, and the changes (rank_change > 0 = moved up)."""
    b = base.units.set_index("unit")
    r = reform.units.set_index("unit").reindex(b.index)  # (units the reform leaves out of its scope: empty)
    pay_b, pay_r = _payout(b), _payout(r)
    df = pd.DataFrame({
        "unit": b.index, "name": b["name"].to_numpy(), "group": b["group"].to_numpy(),
        "rank_base": b["rank"].to_numpy(), "rank_reform": r["rank"].to_numpy(),
        "rank_change": (b["rank"] - r["rank"]).to_numpy(),
        "grade_base": b["grade"].to_numpy(), "grade_reform": r["grade"].to_numpy(),
        "payout_base": pay_b, "payout_reform": pay_r, "payout_change": pay_r - pay_b,
        "score_base": b["score"].to_numpy(), "score_reform": r["score"].to_numpy(),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        df["payout_change_pct"] = np.where(pay_b > 0, (pay_r - pay_b) / pay_b, np.nan)
    if "award_slots" in b and "award_slots" in r:
        df["slots_base"] = b["award_slots"].to_numpy()
        df["slots_reform"] = r["award_slots"].to_numpy()
    if "prize" in b or "prize" in r:  # prize money (综合奖励、进步奖励), 0 where a scenario pays none
        prize_b = b["prize"].to_numpy(dtype=float) if "prize" in b else np.zeros(len(b))
        prize_r = r["prize"].to_numpy(dtype=float) if "prize" in r else np.zeros(len(r))
        df["prize_base"], df["prize_reform"], df["prize_change"] = prize_b, prize_r, prize_r - prize_b
    for column, values in _people_and_tables(b, r).items():  # staff 优秀 slots, team grades, league tables
        df[column] = values
    df["rank_band"] = band(df["rank_change"].to_numpy(dtype=float, na_value=np.nan), RANK_BANDS)
    # A unit paid nothing under the base has no percentage change: any gain from zero is a gain of more
    # than 5%, and nothing to nothing is no change, so that every unit falls in a band.
    pct = np.where(pay_b > 0, df["payout_change_pct"].to_numpy(dtype=float), np.where(pay_r > pay_b, np.inf, 0.0))
    df["money_band"] = band(pct, MONEY_BANDS)
    return df


def _people_and_tables(b: pd.DataFrame, r: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per unit, the cascade's staff 优秀 slots and team grade under both (when either sets the cascade; a scenario
    without one counts no slots), and each further league table's rank, grade and slots under both."""
    out: dict[str, np.ndarray] = {}
    if "staff_excellent_slots" in b or "staff_excellent_slots" in r:
        sb = b["staff_excellent_slots"].to_numpy(dtype=float) if "staff_excellent_slots" in b else np.zeros(len(b))
        sr = r["staff_excellent_slots"].to_numpy(dtype=float) if "staff_excellent_slots" in r else np.zeros(len(r))
        out.update(staff_slots_base=sb, staff_slots_reform=sr, staff_slots_change=sr - sb)
    if "team_grade" in b or "team_grade" in r:
        out["team_grade_base"] = b["team_grade"].to_numpy() if "team_grade" in b else np.full(len(b), None)
        out["team_grade_reform"] = r["team_grade"].to_numpy() if "team_grade" in r else np.full(len(r), None)
    ids = dict.fromkeys(c[: -len("_rank")] for c in (*b.columns, *r.columns)
                        if c.endswith("_rank") and c not in ("previous_rank",) and f"{c[:-5]}_grade" in (*b, *r))
    for tid in ids:
        for part in ("rank", "grade", "award_slots"):
            col = f"{tid}_{part}"
            if col in b or col in r:
                out[f"{col}_base"] = b[col].to_numpy() if col in b else np.full(len(b), None)
                out[f"{col}_reform"] = r[col].to_numpy() if col in r else np.full(len(r), None)
    return out


def winners_and_losers(changes: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of units in five bands, for rank and for money (as PolicyEngine reports)."""
    rows = []
    n = len(changes)
    for measure, col, bands in (("rank", "rank_band", RANK_BANDS), ("money", "money_band", MONEY_BANDS)):
        counts = changes[col].value_counts()
        for label, _, _ in bands:
            k = int(counts.get(label, 0))
            rows.append({"measure": measure, "band": label, "units": k, "share": k / n})
    return pd.DataFrame(rows)


def rank_agreement(base: Result, reform: Result) -> dict[str, float]:
    """Kendall tau and Spearman rho between the two rankings, pooled over groups (within-group ranks): each
    group's statistic weighted by its units, groups of one unit left out, a group where either ranking is
    constant counted 1 if the two agree, else left out.  All groups of one size at once (``resample.by_size``).

    >>> import simkit
    >>> r = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
    >>> rank_agreement(r, r)
    {'kendall_tau': 1.0, 'spearman_rho': 1.0}
    """
    c = unit_changes(base, reform)
    ok = (c["rank_base"].notna() & c["rank_reform"].notna()).to_numpy()
    names, codes = np.unique(c["group"].to_numpy(dtype=object)[ok].astype(str), return_inverse=True)  # sorted
    order = np.argsort(codes, kind="stable")  # units of a group in the table's order, one group after another
    a = c["rank_base"].to_numpy(dtype=float)[ok][order]
    b = c["rank_reform"].to_numpy(dtype=float)[ok][order]
    n = np.bincount(codes, minlength=len(names))
    tau, rho = np.full(len(names), np.nan), np.full(len(names), np.nan)
    for size, members, pos in by_size(n):
        if size < 2:
            continue
        x, y = a[pos], b[pos]  # (groups of this size, size)
        flat = (x == x[:, :1]).all(axis=1) | (y == y[:, :1]).all(axis=1)
        agree = np.where((x == y).all(axis=1), 1.0, np.nan)
        tau[members] = np.where(flat, agree, kendall(x, y))
        rho[members] = np.where(flat, agree, spearman(x, y))
    keep = n >= 2
    w = n[keep].astype(float)
    return {
        "kendall_tau": float(np.nansum(tau[keep] * w) / w.sum()) if len(w) else float("nan"),
        "spearman_rho": float(np.nansum(rho[keep] * w) / w.sum()) if len(w) else float("nan"),
    }


def steps(base: Scenario, reform: Scenario, data: Dataset, year: int | None,
          ) -> Iterator[tuple[tuple[SetValue, ...], Result, Result]]:
    """Yield (provisions switched, result before, result after), switching the differing provisions in order.

    A provision that alone does not make a valid rule set is switched together with the next one.
    """
    todo = provisions(base, reform)
    current = evaluate(base, data, year)
    scenario = base
    pending: list[SetValue] = []
    for k, lever in enumerate(todo):
        pending.append(lever)
        last = k == len(todo) - 1
        try:
            nxt = reform if last else apply(scenario, pending)
            step = evaluate(nxt, data, year)
        except (SimkitError, ValueError):
            if last:
                raise
            continue
        yield tuple(pending), current, step
        scenario, current, pending = nxt, step, []


def decompose(base: Scenario, reform: Scenario, data: Dataset, year: int | None) -> pd.DataFrame:
    """Switch the differing provisions from base to reform one at a time; each row is one step's effect.

    The effects telescope: they add up to the total change.  The order matters (an interaction is credited
    to the provision switched later); a provision that alone does not make a valid rule set is switched
    together with the next one, and ``together`` says so.
    """
    rows = []
    for k, (levers, before, after) in enumerate(steps(base, reform, data, year), start=1):
        ch = unit_changes(before, after)
        rows.append({
            "step": k, "part": " + ".join(lv.path for lv in levers),
            "rank_moves": int((ch["rank_change"].fillna(0) != 0).sum()),
            "mean_abs_rank_change": float(ch["rank_change"].abs().mean()),
            "payout_change_total": float(ch["payout_change"].sum()),
            "together": len(levers) > 1,
        })
    return pd.DataFrame(rows, columns=["step", "part", "rank_moves", "mean_abs_rank_change", "payout_change_total",
                                       "together"])


def decomposition_by_unit(base: Scenario, reform: Scenario, data: Dataset, year: int | None) -> pd.DataFrame:
    """Per unit and step: the change in score, rank and payout that each switched provision causes."""
    frames = []
    for levers, before, after in steps(base, reform, data, year):
        ch = unit_changes(before, after)
        frames.append(pd.DataFrame({
            "unit": ch["unit"], "name": ch["name"], "group": ch["group"],
            "part": " + ".join(lv.path for lv in levers),
            "score_change": ch["score_reform"] - ch["score_base"], "rank_change": ch["rank_change"],
            "payout_change": ch["payout_change"],
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@on_heap
def compare(base: Scenario | str | Path, reform: Scenario | str | Path, data: Dataset | str | Path | None = None,
            year: int | None = None) -> Comparison:
    """Compare two scenarios (objects, files or shipped names) on the same data and year (each evaluated once).

    >>> import simkit
    >>> c = simkit.compare("legacy_totals", "yiyang_2018_reform")
    >>> int(c.units["rank_change"].abs().sum()) > 0
    True
    """
    base, reform = as_scenario(base), as_scenario(reform)
    data = as_data(data, reform if reform.data else base)
    year = year if year is not None else (base.year if base.year is not None else data.years[-1])
    rb, rr = evaluate(base, data, year), evaluate(reform, data, year)
    changes = unit_changes(rb, rr)
    bud_b, bud_r = rb.budget(), rr.budget()
    summary: dict[str, Any] = {
        "year": rb.year, "base": base.name, "reform": reform.name, **rank_agreement(rb, rr),
        "units_moving_rank": int((changes["rank_change"].fillna(0) != 0).sum()),
        "units_changing_grade": int((changes["grade_base"] != changes["grade_reform"]).sum()),
        "paid_base": bud_b["paid"], "paid_reform": bud_r["paid"],
        "budget_base": bud_b["budget"], "budget_reform": bud_r["budget"],
        "paid_difference": (bud_r["paid"] or 0.0) - (bud_b["paid"] or 0.0),
        "scale_reform": bud_r["scale"],
    }
    if "staff_slots_change" in changes:  # the cascade: staff 优秀 slots that move between units
        ch = changes["staff_slots_change"].fillna(0)
        summary.update(staff_slots_base=float(changes["staff_slots_base"].sum()),
                       staff_slots_reform=float(changes["staff_slots_reform"].sum()),
                       units_gaining_staff_slots=int((ch > 0).sum()), units_losing_staff_slots=int((ch < 0).sum()))
    for tid in dict.fromkeys(c[: -len("_grade_base")] for c in changes if c.endswith("_grade_base")
                             and c != "team_grade_base"):
        summary[f"{tid}_units_changing_grade"] = int((changes[f"{tid}_grade_base"].fillna("")
                                                      != changes[f"{tid}_grade_reform"].fillna("")).sum())
    return Comparison(rb, rr, changes, winners_and_losers(changes), summary)
