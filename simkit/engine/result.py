"""One result type for every analysis: named arrays over draws × years × units (× node, leaf, measure).

``Result`` holds the stages' arrays under the names and dimensions of ``VARIABLES``; ``result.dataset`` is the
same arrays as an ``xarray.Dataset`` with coordinates (unit ids and their group, name, name_en and track;
years; node and leaf ids), so that a statistic over years and the same statistic over draws are one reduction
over a named dimension.  An evaluation has one draw; a history has several years; a Monte Carlo block or a
projection has many draws.  ``units`` and ``indicators`` are the per-unit and per-unit-and-indicator tables of
one draw and year (the ``focus`` year, by default the last).  No display text is made here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..rules.consequences import round_to_total
from ..rules.ranking import group_rank
from ..schema.missing import POLICY_CODES
from ..schema.scenario import Scenario, source_of
from .compile import Inputs, Plan
from .memory import on_heap
from .stages import Issue, LeafStage, LookBackStage, MoneyStage, RankStage, TotalStage
from .tree import ROOT

#: Every variable a result can hold, with its dimensions.
VARIABLES: dict[str, tuple[str, ...]] = {
    "value": ("draw", "year", "unit", "leaf"),
    "share": ("draw", "year", "unit", "leaf"),
    "filled": ("draw", "year", "unit", "leaf"),
    "excluded": ("draw", "year", "unit"),
    "measured": ("draw", "year", "unit", "leaf", "measure"),
    "target": ("draw", "year", "unit", "leaf", "measure"),
    "part_share": ("draw", "year", "unit", "leaf", "measure"),
    "node_score": ("draw", "year", "unit", "node"),
    "effective": ("draw", "year", "unit", "node"),
    "base_score": ("draw", "year", "unit"),
    "bonus_points": ("draw", "year", "unit"),
    "deduction_points": ("draw", "year", "unit"),
    "vetoed": ("draw", "year", "unit"),
    "veto_condition": ("draw", "year", "unit"),
    "score": ("draw", "year", "unit"),
    "score_smoothed": ("draw", "year", "unit"),
    "rank": ("draw", "year", "unit"),
    "rank_lo": ("draw", "year", "unit"),
    "rank_hi": ("draw", "year", "unit"),
    "grade": ("draw", "year", "unit"),
    "bonus_factor": ("draw", "year", "unit"),
    "payout": ("draw", "year", "unit"),
    "scale": ("draw", "year"),
    "award_slots": ("draw", "year", "unit"),
    "prize": ("draw", "year", "unit"),
    "previous_rank": ("draw", "year", "unit"),
    "rank_change": ("draw", "year", "unit"),
    "score_change": ("draw", "year", "unit"),
    "progress_award": ("draw", "year", "unit"),
    "bottom_years": ("draw", "year", "unit"),
    "step": ("draw", "year", "unit"),
    "bonus_base": ("unit",),
    "staff_excellent_slots": ("draw", "year", "unit"),
    "per_head_excellent": ("draw", "year", "unit"),
    "per_head_other": ("draw", "year", "unit"),
    "team_grade": ("draw", "year", "unit"),
    "leader_step": ("draw", "year", "unit"),
}


def stage_variables(leaf: LeafStage | None, totals: TotalStage | None, ranks: RankStage | None,
                    money: MoneyStage | None, back: LookBackStage | None) -> dict[str, np.ndarray]:
    """The stages' arrays under the names of ``VARIABLES`` (absent stages and fields are left out)."""
    out: dict[str, Any] = {}
    if leaf is not None:
        out.update(value=leaf.value, share=leaf.share, measured=leaf.measured, target=leaf.target,
                   part_share=leaf.part_share, filled=leaf.filled, excluded=leaf.excluded)
    if totals is not None:
        out.update(node_score=totals.node_score, effective=totals.effective, base_score=totals.base,
                   bonus_points=totals.bonus, deduction_points=totals.deduction, vetoed=totals.vetoed,
                   veto_condition=totals.veto_condition,
                   score=totals.final, score_smoothed=totals.smoothed)
    if ranks is not None:
        out.update(rank=ranks.rank, rank_lo=ranks.rank_lo, rank_hi=ranks.rank_hi, grade=ranks.grade)
    if money is not None:
        out.update(bonus_factor=money.factor, payout=money.payout, scale=money.scale, award_slots=money.slots,
                   bonus_base=money.base, prize=money.prize)
    if back is not None:
        out.update(previous_rank=back.previous_rank, rank_change=back.rank_change, score_change=back.score_change,
                   progress_award=back.progress_award, bottom_years=back.bottom_years, step=back.step)
    return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of a scenario on a data set: named arrays over draws, years and units.

    ``units``: one row per unit of the focus year (unit, name, group, score, rank, grade, vetoed, ...), sorted by
    group and rank.  ``indicators``: one row per unit and leaf indicator (value, measured, target, share, score,
    weight, points).  ``dataset``: every array, labelled.  ``history``: the focus year and every earlier one in
    the result, by year.
    """

    plan: Plan = field(repr=False)
    inputs: Inputs = field(repr=False)
    years: tuple[int, ...]
    variables: Mapping[str, np.ndarray] = field(repr=False)
    measures: tuple[str, ...] = ()
    measure_weight: np.ndarray | None = field(default=None, repr=False)  # (L, M)
    budget_total: float | None = None  # the pool, or the sum of bases when open-ended
    issues: tuple[Issue, ...] = field(default=(), repr=False)
    focus: int | None = -1  # the year the tables show; None: every year counts (a panel, a projection)
    sampled: bool = False  # the draws are random samples (paths, Monte Carlo), even when there is one of them
    leagues: Mapping[str, Result] = field(default_factory=dict, repr=False)  # further league tables, by id

    # ------------------------------------------------------------------ what produced it
    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

    @property
    def data(self):
        return self.plan.data

    @property
    def year(self) -> int:
        """The focus year: the year ``units`` and ``indicators`` show (the last one of a panel)."""
        return self.years[self._k]

    @property
    def _k(self) -> int:
        return -1 if self.focus is None else self.focus

    @property
    def draws(self) -> int:
        return int(self.variables["score"].shape[0]) if "score" in self.variables else 1

    @cached_property
    def grade_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.scenario.grading.grades)

    def __getitem__(self, name: str) -> np.ndarray:
        """A variable's array, dimensions as in ``VARIABLES``."""
        return self.variables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def at(self, year: int) -> Result:
        """The same result with ``year`` as the focus year."""
        return replace(self, focus=self.years.index(year))

    @cached_property
    def history(self) -> dict[int, Result]:
        """The focus year and every earlier year of the result, by year (oldest first)."""
        last = self._k % len(self.years)
        return {y: replace(self, focus=k) for k, y in enumerate(self.years[: last + 1])}

    @cached_property
    def unit_measure_weight(self) -> np.ndarray | None:
        """(U, L, M): each unit's blend weight of each leaf's measures (its group's rules, with ``groups``)."""
        if self.measure_weight is None:
            return None
        if not self.plan.profiles:
            return np.broadcast_to(self.measure_weight, (len(self.plan.group_codes), *self.measure_weight.shape))
        from .groups import measure_weights

        return measure_weights(self.plan, self.measures)

    def _now(self, name: str, draw: int = 0) -> np.ndarray:
        return self.variables[name][draw, self._k]

    # ------------------------------------------------------------------ labelled
    @cached_property
    def dataset(self):
        """Every array as an ``xarray.Dataset`` with named dimensions and coordinates."""
        import xarray as xr

        tree, units = self.plan.tree, self.data.units
        coords: dict[str, Any] = {
            "unit": ("unit", np.asarray(self.data.unit_ids, dtype=object)),
            "name": ("unit", units["name"].to_numpy(dtype=object)),
            "name_en": ("unit", units["name_en"].to_numpy(dtype=object)),
            "group": ("unit", units["group"].to_numpy(dtype=object)),
            "track": ("unit", units["track"].to_numpy(dtype=object)),
            "year": ("year", np.asarray(self.years)),
            "draw": ("draw", np.arange(self.draws)),
            "node": ("node", np.asarray([n if n != ROOT else "total" for n in tree.nodes], dtype=object)),
            "leaf": ("leaf", np.asarray(tree.leaves, dtype=object)),
            "measure": ("measure", np.asarray(self.measures, dtype=object)),
        }
        data_vars = {k: (VARIABLES[k], v) for k, v in self.variables.items()}
        ds = xr.Dataset(data_vars, coords=coords)
        ds.attrs.update(scenario=self.scenario.name, grades=list(self.grade_names), data=self.data.source,
                        synthetic=int(self.data.synthetic))
        return ds

    # ------------------------------------------------------------------ money
    def paid(self) -> np.ndarray | None:
        """Payouts of every draw and year (D, Y, U) rounded to the yuan by largest remainder, each row adding up
        to its rounded total (equal remainders to the better-ranked unit)."""
        if "payout" not in self.variables:
            return None
        raw = np.nan_to_num(self.variables["payout"])
        rows = raw.reshape(-1, raw.shape[-1])
        totals = np.round(rows.sum(axis=-1))
        rank = self.variables["rank"].reshape(rows.shape)
        return round_to_total(rows, totals.astype(np.int64), priority=-rank).reshape(raw.shape)

    @cached_property
    def payout_yuan(self) -> np.ndarray | None:
        """The focus year's payouts (draw 0) rounded to the yuan by largest remainder, adding up to the total."""
        if "payout" not in self.variables:
            return None
        raw = self._now("payout")
        total = round(float(np.nansum(raw)))
        return round_to_total(np.nan_to_num(raw)[None], total, priority=-self._now("rank"))[0]

    def budget(self) -> dict[str, float | None]:
        """Total paid against the budget (the pool, or the sum of bases when open-ended) and the scale factor;
        with prize money (``consequences.prizes``) also ``prizes`` and ``total_with_prizes`` (bonuses and prizes)."""
        if self.payout_yuan is None:
            out: dict[str, float | None] = {"paid": None, "budget": None, "difference": None, "scale": None,
                                            "pool": None}
        else:
            paid = float(self.payout_yuan.sum())
            pool = self.scenario.consequences.bonus.pool
            out = {"paid": paid, "budget": self.budget_total, "difference": paid - self.budget_total,
                   "scale": float(self._now("scale")), "pool": self.budget_total if pool is not None else None}
        if "prize" in self.variables:  # only then: a scenario without prizes reports what it always did
            prizes = float(np.nansum(self._now("prize")))
            out["prizes"] = prizes
            out["total_with_prizes"] = (out["paid"] or 0.0) + prizes
        return out

    # ------------------------------------------------------------------ tables
    @cached_property
    @on_heap
    def units(self) -> pd.DataFrame:
        """One row per unit in the focus year (draw 0), sorted by group, rank and unit id."""
        plan, u = self.plan, self.data.units
        grades = self.scenario.grading.grades
        code = self._now("grade")
        veto_reason = self.inputs.veto_reason[:, plan.years.index(self.year)]
        vetoed = self._now("vetoed")
        df = pd.DataFrame({
            "unit": u["unit"], "name": u["name"], "name_en": u["name_en"], "group": u["group"], "year": self.year,
            "score": self._now("score"), "base_score": self._now("base_score"),
            "bonus_points": self._now("bonus_points"), "deduction_points": self._now("deduction_points"),
            **({"score_smoothed": self._now("score_smoothed")} if "score_smoothed" in self.variables else {}),
            "vetoed": vetoed,
            "missing": (self._now("filled") > 0).sum(axis=1) if "filled" in self.variables else 0,
            "excluded": self._now("excluded") if "excluded" in self.variables else False,
            "veto_reason": self._veto_reasons(veto_reason),
            "rank": pd.array(self._now("rank"), dtype="Int64"),
            "group_size": plan.group_size,
            "grade": [grades[c].name if c >= 0 else None for c in code],
            "grade_en": [(grades[c].name_en or grades[c].name) if c >= 0 else None for c in code],
        })
        tree = plan.tree
        for k, node in enumerate(tree.nodes):
            if tree.depth[k] == 1 and node != ROOT:
                df[f"score_{node}"] = self._now("node_score")[:, k]
        if "payout" in self.variables:
            df["bonus_base"] = self.variables["bonus_base"]
            df["bonus_factor"] = self._now("bonus_factor")
            df["payout"] = self.payout_yuan
            base = df["bonus_base"].to_numpy(dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"):  # what is paid, as a float on the base
                df["realised_float"] = np.where(base > 0, df["payout"].to_numpy(dtype=float) / base - 1.0, np.nan)
        if "award_slots" in self.variables:
            df["award_slots"] = self._now("award_slots")
        if "prize" in self.variables:
            df["prize"] = self._now("prize")
        if "previous_rank" in self.variables:
            df["previous_rank"] = pd.array(self._now("previous_rank"), dtype="Int64")
            df["rank_change"] = pd.array(self._now("rank_change"), dtype="Int64")
            df["score_change"] = self._now("score_change")
        for column, values in self._more_columns().items():  # events, the cascade, further league tables
            df[column] = values
        cons = self.scenario.consequences
        if cons.progress is not None and "progress_award" in self.variables:
            df["progress_award"] = self._now("progress_award")
        if cons.accountability is not None and "step" in self.variables:
            acc = cons.accountability
            step = self._now("step")
            steps_en = [acc.steps_en[k] if k < len(acc.steps_en) else s for k, s in enumerate(acc.steps)]
            df["bottom_years"] = self._now("bottom_years")
            df["accountability"] = [acc.steps[k] if k >= 0 else "" for k in step]
            df["accountability_en"] = [steps_en[k] if k >= 0 else "" for k in step]
        df["_g"] = plan.group_codes
        df = df.sort_values(["_g", "rank", "unit"], na_position="last").drop(columns="_g")
        return df.reset_index(drop=True)

    def _more_columns(self) -> dict[str, Any]:
        """The columns of ``units`` from events (per source), the cascade and the further league tables."""
        from .cascade import unit_columns as cascade_columns
        from .events import unit_columns as event_columns

        out: dict[str, Any] = {}
        tree = self.plan.tree
        comps = {c.id for c in self.scenario.components or ()}
        for k, node in enumerate(tree.nodes):  # with components, the first-level indicators' scores too
            if comps and tree.parent[k] >= 0 and tree.nodes[tree.parent[k]] in comps:
                out[f"score_{node}"] = self._now("node_score")[:, k]
        if self.inputs.events is not None and self.year in self.plan.years:
            out.update(event_columns(self.inputs.events, self.plan.years.index(self.year)))
        out.update(cascade_columns(self))
        for tid, lg in self.leagues.items():
            if self.year not in lg.years:
                continue
            u = lg.at(self.year).units.set_index("unit").reindex(list(self.data.unit_ids))
            out[f"{tid}_score"] = u["score"].to_numpy()
            out[f"{tid}_rank"] = pd.array(u["rank"].to_numpy(), dtype="Int64")
            out[f"{tid}_grade"] = u["grade"].to_numpy()
            if "award_slots" in u:
                out[f"{tid}_award_slots"] = pd.array(u["award_slots"].to_numpy(), dtype="Int64")  # none: not ranked
        return out

    @property
    def events(self) -> pd.DataFrame:
        """The events (督查、巡视巡察、审计) of the focus year, with their points under the rules and the caps that
        bound (empty without the scenario's ``events`` rules)."""
        from .events import event_table

        return event_table(self)

    @property
    def staff(self) -> pd.DataFrame:
        """The per-head bonus in whole yuan by individual grade (with ``cascade.per_head``; else empty)."""
        from .cascade import staff_table

        return staff_table(self)

    def _veto_reasons(self, table: np.ndarray) -> list[str]:
        """Why each unit is vetoed: the adjustments table's reason, else the condition that fired, stated as
        ``indicator value ≥ threshold`` (its wording for people is made by ``simkit.present``)."""
        conditions = self.scenario.adjustments.veto.conditions
        fired, vetoed = self._now("veto_condition"), self._now("vetoed")
        values = self._now("value")
        leaves = self.plan.tree.leaves
        out = []
        for u, (k, v, text) in enumerate(zip(fired, vetoed, table, strict=True)):
            if text or not v or k < 0:
                out.append(str(text))
                continue
            c = conditions[k]
            x = values[u, leaves.index(c.indicator)]
            out.append(f"{c.indicator} {x:g} ≥ {c.at_least:g}" if c.at_least is not None and x >= c.at_least
                       else f"{c.indicator} {x:g} ≤ {c.at_most:g}")
        return out

    @cached_property
    @on_heap
    def indicators(self) -> pd.DataFrame:
        """One row per unit and leaf indicator that applies to it (draw 0, the focus year)."""
        plan = self.plan
        tree = plan.tree
        n_l = tree.n_leaves
        ind = self.data.indicators.set_index("indicator")
        units = self.data.units
        uu, ll = np.nonzero(tree.applicable)
        leaves = np.array(tree.leaves)
        eff = self._now("effective")[:, :n_l]
        share = self._now("share")
        total = self.scenario.total
        from .groups import measure_weights, rule_table

        rules, codes = rule_table(plan)  # per unit, each leaf's rule (its group's, with group rules)
        rule = codes[uu, ll]

        def of_rule(values: list[str]) -> list[str]:  # one value per distinct rule, then per cell
            return np.asarray(values, dtype=object)[rule].tolist()

        # measured / target of the leaf's only measure; NaN for a blend (its parts are in the dataset)
        solo = np.full((len(units), n_l), -1)
        if self.measure_weight is not None:
            one = (self.measure_weight == 1.0)[None] if not plan.profiles else \
                measure_weights(plan, self.measures) == 1.0
            solo = np.broadcast_to(np.where(one.any(axis=-1), one.argmax(axis=-1), -1), solo.shape)

        def part(name: str) -> np.ndarray:
            if name not in self.variables:
                return np.full(len(uu), np.nan)
            arr = self._now(name)  # (U, L, M)
            k = solo[uu, ll]
            return np.where(k >= 0, arr[uu, ll, np.maximum(k, 0)], np.nan)

        t = plan.years.index(self.year)
        values = self.inputs.values if self.inputs.values.ndim == 3 else self.inputs.values[0]
        prev = values[uu, ll, t - 1] if t > 0 else np.full(len(uu), np.nan)
        df = pd.DataFrame({
            "unit": units["unit"].to_numpy()[uu], "name": units["name"].to_numpy()[uu],
            "group": units["group"].to_numpy()[uu], "year": self.year,
            "indicator": leaves[ll], "indicator_name": ind.loc[leaves, "name"].to_numpy()[ll],
            "parent": np.asarray([tree.path[k][0] for k in range(n_l)], dtype=object)[ll].tolist(),
            "direction": plan.direction[ll].astype(int),
            "measure": of_rule([_measure_label(r.measures) for r in rules]),
            "value": self._now("value")[uu, ll], "previous": prev,
            "measured": part("measured"), "target": part("target"),
            "share": share[uu, ll], "score": share[uu, ll] * 100.0,
            "weight": eff[uu, ll] * total, "points": eff[uu, ll] * np.nan_to_num(share[uu, ll]) * total,
            "scoring": of_rule([r.scoring.rule for r in rules]),
            "target_rule": of_rule([r.target.rule for r in rules]),
        })
        df["missing"] = np.isnan(df["value"].to_numpy(dtype=float))
        filled = self._now("filled")[uu, ll] if "filled" in self.variables else np.zeros(len(uu), dtype=int)
        names = {v: k for k, v in POLICY_CODES.items()}
        codes_used = np.unique(filled)
        labels = np.asarray([names.get(int(c), "") for c in codes_used], dtype=object)
        df["filled_by"] = labels[np.searchsorted(codes_used, filled)].tolist()
        return df

    @cached_property
    def scores(self) -> pd.DataFrame:
        """Every node's score on the 100-point indicator scale: one row per unit, one column per node."""
        nodes = [n if n != ROOT else "total" for n in self.plan.tree.nodes]
        return pd.DataFrame(self._now("node_score"), index=pd.Index(self.data.unit_ids, name="unit"),
                            columns=nodes)

    def node_ranks(self) -> pd.DataFrame:
        """Every node's rank within the unit's group (the scenario's tie rule), shaped like ``scores``."""
        cfg = self.scenario.ranking
        ranks = group_rank(self._now("node_score").T, self.plan.group_codes, cfg.ties, decimals=cfg.decimals).T
        return pd.DataFrame(ranks, index=self.scores.index, columns=self.scores.columns).astype("Int64")

    def manifest(self) -> dict[str, Any]:
        """What produced this result: scenario, data, version, year, time."""
        return {
            "simkit_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "scenario": {"name": self.scenario.name, "file": source_of(self.scenario),
                         "sha256": self.scenario.fingerprint()},
            "data": self.data.provenance(),
            "year": self.year,
            "seed": None,
        }


def _measure_label(measures: dict[str, float]) -> str:
    if len(measures) == 1:
        return next(iter(measures))
    return " + ".join(f"{w:.0%} {k}" for k, w in measures.items())


def stack_years(results: Sequence[Result]) -> Result:
    """One result over the focus years of several results of the same scenario and data (oldest first).

    >>> import simkit
    >>> h = simkit.evaluate_history(simkit.load_scenario("yiyang_2018_reform"))
    >>> stack_years([h[2016], h[2018]]).years
    (2016, 2018)
    """
    items = sorted(results, key=lambda r: r.year)
    first = items[0]
    for r in items[1:]:
        if r.plan is not first.plan and (r.scenario.fingerprint() != first.scenario.fingerprint()
                                         or r.data is not first.data):
            raise ValueError("stack_years needs results of one scenario on one data set")
    if len(items) == 1 and len(first.years) == 1:
        return replace(first, focus=None)
    variables = {}
    for name, arr in first.variables.items():
        dims = VARIABLES[name]
        if "year" in dims:
            variables[name] = np.concatenate([r.variables[name][:, r._k : (r._k % len(r.years)) + 1]
                                              for r in items], axis=1)
        else:
            variables[name] = arr
    return replace(first, years=tuple(r.year for r in items), variables=variables, focus=None)


def as_panel(results: Result | Sequence[Result] | Mapping[int, Result]) -> Result:
    """The years that count as one result: a panel or projection as it is, one result's focus year, or the
    focus years of several results (a list, or the dict ``evaluate_history`` returns)."""
    if isinstance(results, Result):
        return results if results.focus is None else stack_years([results])
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not items:
        raise ValueError("no results were given")
    return stack_years(items)
