"""What a Monte Carlo adds up, and what it says: the tallies of blocks of draws, their merge, the Sobol
estimator, and ``UncertaintyResult`` with its tables.

Every statistic is accumulated exactly (integer counts, payouts in whole fen), so tallies add up in any order
and the output is the same, bit for bit, for any chunk size and number of threads.  Memory does not grow
with the number of draws: tallies are merged into one running total as blocks finish; the award-slot
histogram is as wide as the most slots seen; per-draw rows are kept only where a statistic needs them
(payout quantiles: the first ``payout_sample`` draws; Sobol indices: one number per draw and matrix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ..._version import __version__
from ...engine.compile import Plan
from ...engine.result import Result
from ...schema.scenario import source_of
from ..stats import hist_quantiles, value_counts
from .evaluate import Parts, UncertaintyProblem

if TYPE_CHECKING:
    from ..sensitivity import WhatItTakes
    from .spec import UncertaintySpec

#: Largest (unit, rank, grade) histogram counted in one ``bincount`` (beyond it, two smaller ones).
_JOINT_CELLS = 1 << 22


class RunOptions(BaseModel):
    """The options of a Monte Carlo run (``run_uncertainty``'s keywords, checked).

    >>> RunOptions(seed=1, draws=500, payout_sample=200).kept_payouts
    200
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    draws: int
    sobol_n: int = 0  # the first this many draws are also the A matrix of a Saltelli design
    payout_sample: int = 20_000  # payout quantiles use the first this many draws
    chunk_size: int | None = None
    workers: int | None = None
    memory: float | None = None  # bytes for the blocks in flight
    progress: bool = False

    @property
    def kept_payouts(self) -> int:
        return max(0, min(self.payout_sample, self.draws))


# ================================================================================================ tallies
@dataclass
class Tally:
    """Exact, additive statistics of some draws (integers), plus per-draw rows kept by position.

    >>> import simkit
    >>> from simkit.analysis.uncertainty import UncertaintyProblem
    >>> p = UncertaintyProblem(simkit.load_scenario("yiyang_2018_reform"))
    >>> t = Tally.of(p, p.evaluate(p.sample(0, 0, 0, 10)), 0, RunOptions(seed=0, draws=10))
    >>> int(t.grade_hist.sum()), t.payout_rows.shape, t.slot_hist.shape[1] <= 121
    (560, (10, 56), True)
    """

    rank_hist: np.ndarray  # (U, R + 1) draws with rank r (0 = none)
    grade_hist: np.ndarray  # (U, K + 1) draws with grade k (K = none)
    last: np.ndarray  # (U,) draws ranked last in the group
    payout_fen: np.ndarray | None = None  # (U,) Σ payout in fen
    slot_hist: np.ndarray | None = None  # (U, S + 1), S the most slots seen
    payout_rows: np.ndarray | None = None  # (m, U) payouts of the draws payout_from … payout_from + m − 1
    payout_from: int = 0
    shift_rows: dict[str, np.ndarray] = field(default_factory=dict)  # Sobol: Σ_u |Δrank| per draw, by matrix
    shift_from: int = 0  # the draw of the shift rows' first entry
    unit_sums: dict[str, np.ndarray] = field(default_factory=dict)  # Sobol on each unit's rank: integer sums

    @classmethod
    def zeros(cls, p: UncertaintyProblem, options: RunOptions | None = None) -> Tally:
        """An empty tally: the running total starts from it, with room for the rows it keeps (``options``)."""
        u = p.n_units
        out = cls(np.zeros((u, p.max_rank + 1), dtype=np.int64), np.zeros((u, len(p.grade_names) + 1), np.int64),
                  np.zeros(u, dtype=np.int64))
        if options is not None:  # rows are filled in place as blocks arrive (no copy at the end)
            if p.has_bonus and options.kept_payouts:
                out.payout_rows = np.empty((options.kept_payouts, u))
            if options.sobol_n:
                out.shift_rows = {k: np.empty(options.sobol_n, dtype=np.int64)
                                  for k in ("A", "B", *(g.label for g in p.groups))}
        return out

    @classmethod
    def of(cls, p: UncertaintyProblem, parts: Parts, start: int, options: RunOptions) -> Tally:
        """The tally of a block of draws (``start`` = the first draw's index), summed over its parts."""
        out = cls._of(p, parts[0][1])
        for _, r in parts[1:]:
            out.add(cls._of(p, r))
        n = sum(len(sel) for sel, _ in parts)
        m = max(0, min(n, options.kept_payouts - start))
        if m and "payout" in parts[0][1]:  # the payouts of the block's first draws, for the quantiles
            if len(parts) == 1:
                rows = parts[0][1]["payout"][:m, 0].copy()
            else:
                rows = np.empty((m, p.n_units))
                for sel, r in parts:
                    k = sel < m
                    rows[sel[k]] = r["payout"][k, 0]
            out.payout_rows, out.payout_from = rows, start
        return out

    @classmethod
    def _of(cls, p: UncertaintyProblem, r: Result) -> Tally:
        rank, grade = r["rank"][:, 0], r["grade"][:, 0]
        n, u = rank.shape
        every = not np.isnan(rank).any()
        ranked = None if every else ~np.isnan(rank)
        r1, k1 = p.max_rank + 1, len(p.grade_names) + 1
        idx = (rank if every else np.where(ranked, rank, 0.0)).astype(np.int64)  # rank 0 = none
        code = grade if every and not (grade < 0).any() else np.where(grade < 0, k1 - 1, grade)  # k1 − 1 = none
        if u * r1 * k1 <= _JOINT_CELLS:  # one histogram of (unit, rank, grade)
            idx *= k1
            idx += code
            joint = value_counts(idx, r1 * k1).reshape(u, r1, k1)
            rank_hist, grade_hist = joint.sum(axis=2), joint.sum(axis=1)
        else:
            rank_hist, grade_hist = value_counts(idx, r1), value_counts(code, k1)
        if every:  # the last place of a group is its size
            last = np.count_nonzero(r["rank_hi"][:, 0] == p.group_size, axis=0)
        else:
            n_ranked = np.zeros((n, u), dtype=np.int64)
            for g in np.unique(p.group_codes):
                cols = p.group_codes == g
                n_ranked[:, cols] = ranked[:, cols].sum(axis=1, keepdims=True)
            last = (ranked & (r["rank_hi"][:, 0] == n_ranked)).sum(axis=0)
        out = cls(rank_hist, grade_hist, last)
        if "payout" in r:
            payout = r["payout"][:, 0]
            cents = np.multiply(payout, 100.0)
            np.rint(cents, out=cents)
            if cents.size and len(cents) * max(float(cents.max()), -float(cents.min())) < 2.0**53:
                out.payout_fen = cents.sum(axis=0).astype(np.int64)  # whole numbers below 2⁵³: float sums exact
            else:
                out.payout_fen = cents.astype(np.int64).sum(axis=0)
        if "award_slots" in r:
            slots = np.maximum(r["award_slots"][:, 0], 0)
            out.slot_hist = value_counts(slots, int(slots.max()) + 1 if slots.size else 1)
        return out

    def add(self, other: Tally) -> Tally:
        """Add ``other`` into this tally (integers: the order does not matter); returns self."""
        self.rank_hist += other.rank_hist
        self.grade_hist += other.grade_hist
        self.last += other.last
        if other.payout_fen is not None:
            self.payout_fen = other.payout_fen.copy() if self.payout_fen is None else self.payout_fen + other.payout_fen
        if other.slot_hist is not None:
            self.slot_hist = _add_wider(self.slot_hist, other.slot_hist)
        if other.payout_rows is not None:
            self.payout_rows, self.payout_from = _put(self.payout_rows, self.payout_from, other.payout_rows,
                                                      other.payout_from)
        for k, v in other.shift_rows.items():
            self.shift_rows[k], start = _put(self.shift_rows.get(k), self.shift_from, v, other.shift_from)
        if other.shift_rows:
            self.shift_from = start
        for k, v in other.unit_sums.items():
            self.unit_sums[k] = self.unit_sums[k] + v if k in self.unit_sums else v
        return self


def _add_wider(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    """``a + b`` for histograms of different widths (the missing columns count 0)."""
    if a is None:
        return b.copy()
    if a.shape[1] < b.shape[1]:
        a, b = b.copy(), a
    a[:, : b.shape[1]] += b
    return a


def _put(rows: np.ndarray | None, start: int, new: np.ndarray, new_start: int) -> tuple[np.ndarray, int]:
    """Per-draw rows (of draws ``start`` …) with the rows of draws ``new_start`` … in them: written in place
    when they fall inside (the running total's rows, made room for), else appended (a block's parts in turn)."""
    if rows is None:
        return new, new_start
    lo = new_start - start
    if lo >= 0 and lo + len(new) <= len(rows):
        rows[lo : lo + len(new)] = new
        return rows, start
    if lo == len(rows):
        return np.concatenate([rows, new]), start
    raise ValueError(f"rows of draws {new_start}… do not follow the rows of draws {start}…{start + len(rows) - 1}")


def _column_quantiles(rows: np.ndarray, qs: list[float], width: int = 256) -> np.ndarray:
    """``np.quantile(rows, qs, axis=0)``, a few columns at a time (numpy sorts a copy: this bounds it)."""
    return np.concatenate([np.quantile(rows[:, k : k + width], qs, axis=0) for k in range(0, rows.shape[1], width)],
                          axis=1)


# ============================================================================================ Sobol
def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *, num_resamples: int = 100,
                  conf_level: float = 0.95, seed: int | None = 0) -> dict[str, np.ndarray]:
    """First- and total-order Sobol indices from a Saltelli design, vectorised over groups and outputs.

    ``f_a``, ``f_b``: (N, ...) outputs on the A and B matrices; ``f_ab``: (G, N, ...) outputs on A with group
    g's columns taken from B.  First order: Saltelli et al. (2010) on the output centred by its overall mean,
    ``mean(f_B (f_AB − f_A)) / V``; total order: Jansen, ``mean((f_A − f_AB)²) / 2V``; V is the variance of
    f_A and f_B together.  These are SALib's ``sobol.analyze`` estimators, so on the same design the numbers
    agree; the confidence half-widths are SALib's too (bootstrap over rows, normal quantile × sd).
    ``num_resamples=0`` skips them.  Outputs without variance get NaN.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((4000, 2)), rng.random((4000, 2))
    >>> f = lambda x: x[:, 0] + 0.5 * x[:, 1]  # V1 = 1/12, V2 = 1/48: S1 = 0.8, S2 = 0.2
    >>> ab = np.array([np.where(np.arange(2) == g, b, a) for g in range(2)])
    >>> s = sobol_indices(f(a), f(b), np.array([f(x) for x in ab]), num_resamples=0)
    >>> np.round(s["S1"], 1).tolist(), np.round(s["ST"], 1).tolist()
    ([0.8, 0.2], [0.8, 0.2])
    """
    f_a, f_b, f_ab = (np.asarray(x, dtype=float) for x in (f_a, f_b, f_ab))
    n = f_a.shape[0]
    c = (f_a.sum(axis=0) + f_b.sum(axis=0) + f_ab.sum(axis=(0, 1))) / (n * (2 + f_ab.shape[0]))

    def est(a: np.ndarray, b: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        var = np.var(np.concatenate([a, b]), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s1 = np.mean((b - c) * (ab - a), axis=1) / var
            st = 0.5 * np.mean((a - ab) ** 2, axis=1) / var
        ok = var > np.finfo(float).eps
        return np.where(ok, s1, np.nan), np.where(ok, st, np.nan)

    s1, st = est(f_a, f_b, f_ab)
    out = {"S1": s1, "ST": st}
    if num_resamples:
        from scipy.stats import norm

        rng = np.random.default_rng(seed)
        r = rng.integers(n, size=(num_resamples, n))
        s1s, sts = [], []
        for idx in r:  # one loop per bootstrap resample, not per draw
            a_, b_ = est(f_a[idx], f_b[idx], f_ab[:, idx])
            s1s.append(a_)
            sts.append(b_)
        z = norm.ppf(0.5 + conf_level / 2)
        out["S1_conf"] = z * np.std(s1s, axis=0, ddof=1)
        out["ST_conf"] = z * np.std(sts, axis=0, ddof=1)
    return out


def sobol_tally(p: UncertaintyProblem, f_a: np.ndarray, f_b: np.ndarray, f_ab: Mapping[str, np.ndarray],
                start: int) -> Tally:
    """What the Sobol indices need of a block of the Saltelli design: each draw's total absolute rank shift
    per matrix (kept by position), and integer sums per unit for the indices of each unit's rank."""
    nominal = p.nominal_rank
    shifts = {"A": np.abs(f_a - nominal).sum(axis=1), "B": np.abs(f_b - nominal).sum(axis=1)}
    both = f_a.sum(axis=0) + f_b.sum(axis=0)
    sums = {"all": both.copy(), "AB": both, "AB2": (f_a**2).sum(axis=0) + (f_b**2).sum(axis=0)}
    for g, f in f_ab.items():
        shifts[g] = np.abs(f - nominal).sum(axis=1)
        sums["all"] = sums["all"] + f.sum(axis=0)
        sums[f"p:{g}"] = (f_b * (f - f_a)).sum(axis=0)
        sums[f"d:{g}"] = (f - f_a).sum(axis=0)
        sums[f"q:{g}"] = ((f_a - f) ** 2).sum(axis=0)
    empty = Tally.zeros(p)
    empty.shift_rows, empty.shift_from = shifts, start
    empty.unit_sums = sums
    return empty


# ============================================================================================ results
@dataclass(frozen=True)
class UncertaintyResult:
    """The outcome of ``run_uncertainty``: tables (pandas) and the numbers behind them.

    ``nominal`` is the engine's result of the scenario as it is (what ``evaluate`` gives for the year).

    >>> import simkit
    >>> from simkit.analysis.uncertainty import run_uncertainty
    >>> r = run_uncertainty(simkit.load_scenario("yiyang_2018_reform"), draws=50, seed=0, progress=False)
    >>> r.payout_intervals.columns[3:6].tolist(), r.sensitivity["input"].iloc[0], r.manifest()["draws"]
    (['nominal_payout', 'mean_payout', 'median_payout'], 'weights:level1', 50)
    """

    problem: UncertaintyProblem = field(repr=False)
    options: RunOptions
    tally: Tally = field(repr=False)

    @property
    def draws(self) -> int:
        return self.options.draws

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def spec(self) -> UncertaintySpec:
        return self.problem.spec

    @property
    def plan(self) -> Plan:
        """The nominal scenario compiled against the data."""
        return self.problem.plan

    @property
    def nominal(self) -> Result:
        return self.problem.nominal

    @property
    def grade_names(self) -> tuple[str, ...]:
        return self.problem.grade_names

    def _frame(self) -> pd.DataFrame:
        u = self.problem.units
        return pd.DataFrame({"unit": u["unit"].to_numpy(), "name": u["name"].to_numpy(),
                             "group": u["group"].to_numpy()})

    def _sorted(self, df: pd.DataFrame) -> pd.DataFrame:
        df = df.assign(_g=self.problem.group_codes, _r=self.nominal["rank"][0, 0])
        return df.sort_values(["_g", "_r", "unit"], na_position="last").drop(columns=["_g", "_r"]).reset_index(
            drop=True)

    @cached_property
    def rank_intervals(self) -> pd.DataFrame:
        """Per unit: nominal/median/mean rank, 5–95% interval, grade probabilities, p_top, p_bottom."""
        t, p = self.tally, self.problem
        n = self.draws
        df = self._frame()
        nominal = self.nominal["rank"][0, 0]
        df["nominal_rank"] = pd.array(nominal, dtype="Int64")
        q = hist_quantiles(t.rank_hist, (0.5, 0.05, 0.95))
        counts = t.rank_hist[:, 1:]
        values = np.arange(1, counts.shape[1] + 1)
        ranked = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            df["median_rank"] = q[:, 0]
            df["mean_rank"] = (counts * values).sum(axis=1) / ranked
            df["q05"] = q[:, 1]
            df["q95"] = q[:, 2]
        for k, name in enumerate(p.grade_names):
            df[f"p_{name}"] = t.grade_hist[:, k] / n
        if t.grade_hist[:, -1].any():
            df["p_none"] = t.grade_hist[:, -1] / n
        df["p_top"] = counts[:, 0] / n
        df["p_bottom"] = t.last / n
        nom = np.nan_to_num(nominal, nan=0)
        df["mean_abs_shift"] = (counts * np.abs(values[None, :] - nom[:, None])).sum(axis=1) / n
        df["nominal_grade"] = [p.grade_names[c] if c >= 0 else None for c in self.nominal["grade"][0, 0]]
        return self._sorted(df)

    @cached_property
    def mean_abs_shift(self) -> float:
        """R̄_S: the mean absolute rank shift against nominal, over units and draws."""
        return float(self.rank_intervals["mean_abs_shift"].mean())

    @cached_property
    def grade_probabilities(self) -> pd.DataFrame:
        """Per unit the probability of each grade (rows sum to 1)."""
        cols = [c for c in self.rank_intervals.columns if c.startswith("p_") and c not in ("p_top", "p_bottom")]
        return self.rank_intervals[["unit", "name", "group", "nominal_grade", *cols]]

    @cached_property
    def payout_intervals(self) -> pd.DataFrame:
        """Per unit: payout (yuan) and award slots, nominal, mean, median and 5–95% interval."""
        t = self.tally
        df = self._frame()
        if t.payout_fen is not None:
            df["nominal_payout"] = self.nominal["payout"][0, 0]
            df["mean_payout"] = t.payout_fen / 100.0 / self.draws
            qs = _column_quantiles(t.payout_rows, [0.5, 0.05, 0.95])
            df["median_payout"], df["q05_payout"], df["q95_payout"] = qs
        if t.slot_hist is not None:
            df["nominal_slots"] = self.nominal["award_slots"][0, 0]
            counts = t.slot_hist
            df["mean_slots"] = (counts * np.arange(counts.shape[1])).sum(axis=1) / self.draws
            shifted = np.concatenate([np.zeros((len(counts), 1), dtype=np.int64), counts], axis=1)
            q = hist_quantiles(shifted, (0.5, 0.05, 0.95)) - 1.0  # values 0..S stored as 1..S+1
            df["median_slots"], df["q05_slots"], df["q95_slots"] = q.T
        return self._sorted(df)

    @cached_property
    def _sobol(self) -> dict[str, Any] | None:
        t, p = self.tally, self.problem
        if not t.shift_rows:
            return None
        labels = [g.label for g in p.groups]
        n = self.options.sobol_n
        rows = t.shift_rows
        s = sobol_indices(rows["A"], rows["B"], np.array([rows[g] for g in labels]), seed=self.seed)
        sums = t.unit_sums
        c = sums["all"] / (n * (2 + len(labels)))
        mean = sums["AB"] / (2 * n)
        var = sums["AB2"] / (2 * n) - mean**2
        with np.errstate(invalid="ignore", divide="ignore"):
            s1 = np.array([(sums[f"p:{g}"] / n - c * sums[f"d:{g}"] / n) / var for g in labels])
            st = np.array([0.5 * sums[f"q:{g}"] / n / var for g in labels])
        ok = var > 1e-12
        return {"labels": labels, "mars": s, "n": n, "unit_S1": np.where(ok, s1, np.nan),
                "unit_ST": np.where(ok, st, np.nan)}

    @cached_property
    def sensitivity(self) -> pd.DataFrame:
        """Sobol indices of each input group for the mean absolute rank shift of a draw (with 95% half-widths)."""
        sb = self._sobol
        cols = ["input", "kind", "dims", "S1", "S1_conf", "ST", "ST_conf", "output", "base_draws"]
        if sb is None:
            return pd.DataFrame(columns=cols)
        g = self.problem.groups
        s = sb["mars"]
        return pd.DataFrame({
            "input": [x.label for x in g], "kind": [x.kind for x in g], "dims": [x.dim for x in g],
            "S1": s["S1"], "S1_conf": s["S1_conf"], "ST": s["ST"], "ST_conf": s["ST_conf"],
            "output": "mean_abs_rank_shift", "base_draws": sb["n"],
        })[cols]

    @cached_property
    def sobol_units(self) -> pd.DataFrame:
        """Sobol indices of each input group for each unit's rank (long table: unit × input)."""
        sb = self._sobol
        if sb is None:
            return pd.DataFrame(columns=["unit", "name", "group", "input", "S1", "ST"])
        frame = self._frame()
        parts = [frame.assign(input=label, S1=sb["unit_S1"][k], ST=sb["unit_ST"][k])
                 for k, label in enumerate(sb["labels"])]
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def main_effects(self) -> pd.DataFrame:
        """Nominal weight against main effect per indicator (Paruolo, Saisana & Saltelli 2013)."""
        from ..sensitivity import main_effects

        return main_effects(self.nominal)

    def what_would_it_take(self, unit: str, indicator: str) -> WhatItTakes:
        """The smallest change of one indicator that moves ``unit`` up a grade, under the nominal rules."""
        from ..sensitivity import what_would_it_take

        return what_would_it_take(self.nominal, unit, indicator)

    def manifest(self) -> dict[str, Any]:
        """What produced this result: scenario, data, version, year, seed, draws and the spec."""
        sc, data = self.problem.scenario, self.problem.data
        return {
            "simkit_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "analysis": "uncertainty",
            "scenario": {"name": sc.name, "file": source_of(sc), "sha256": sc.fingerprint()},
            "data": data.provenance(),
            "year": self.problem.year,
            "seed": self.seed,
            "draws": self.draws,
            "sobol_base_draws": self.options.sobol_n,
            "payout_quantile_draws": self.options.kept_payouts,
            "inputs": [{"input": g.label, "kind": g.kind, "dims": g.dim} for g in self.problem.groups],
            "spec": self.spec.model_dump(mode="json"),
        }
