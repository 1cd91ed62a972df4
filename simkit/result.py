"""Evaluation results as pandas tables: per unit (total, rank, grade, ...) and per unit and indicator."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .engine import (
    LeafStage,
    Model,
    RankStage,
    Static,
    TotalStage,
    compile_model,
    compile_static,
    leaf_stage,
    rank_stage,
    total_stage,
)
from .errors import Problem, SimkitError
from .history import LookBack, look_back
from .measures import MEASURE_LABELS
from .payouts import MoneyStage, money_stage, round_to_total
from .ranking import group_rank
from .scenario import Scenario, source_of
from .tree import ROOT

SYNTHETIC_NOTE = "合成数据，仅供演示 / synthetic data, for illustration only"


@dataclass(frozen=True)
class Result:
    """The outcome of one scenario on one data set for one year.

    ``units``: one row per unit (unit, name, group, score, rank, grade, vetoed, ...), sorted by group and rank.
    ``indicators``: one row per unit and leaf indicator (value, measured, target, share, score, weight, points).
    """

    model: Model
    leaf: LeafStage = field(repr=False)
    totals: TotalStage = field(repr=False)
    ranks: RankStage = field(repr=False)
    money: MoneyStage = field(repr=False)
    lookback: LookBack = field(repr=False)
    previous: Result | None = field(default=None, repr=False)

    @cached_property
    def history(self) -> dict[int, Result]:
        """This year's result and every earlier one the data allow, by year (oldest first)."""
        chain: list[Result] = []
        node: Result | None = self
        while node is not None:
            chain.append(node)
            node = node.previous
        return {r.year: r for r in reversed(chain)}

    @cached_property
    def payout_yuan(self) -> np.ndarray | None:
        """Payouts rounded to the yuan by largest remainder, so that they add up to the exact total."""
        if self.money.payout is None:
            return None
        raw = self.money.payout[0]
        total = round(float(np.nansum(raw)))
        return round_to_total(np.nan_to_num(raw)[None], total, priority=-self.ranks.rank)[0]

    def budget(self) -> dict[str, float | None]:
        """Total paid against the budget (the pool, or the sum of bases when open-ended) and the scale factor."""
        if self.money.payout is None:
            return {"paid": None, "budget": None, "difference": None, "scale": None, "pool": None}
        paid = float(self.payout_yuan.sum())
        pool = self.scenario.consequences.bonus.pool
        return {"paid": paid, "budget": self.money.budget, "difference": paid - self.money.budget,
                "scale": float(self.money.scale[0]), "pool": self.money.budget if pool is not None else None}

    @property
    def scenario(self) -> Scenario:
        return self.model.scenario

    @property
    def year(self) -> int:
        return self.model.year

    @property
    def data(self):
        return self.model.data

    @cached_property
    def grade_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.scenario.grading.grades)

    @cached_property
    def units(self) -> pd.DataFrame:
        m = self.model
        u = m.data.units
        grades = self.scenario.grading.grades
        code = self.ranks.grade[0]
        n_in = pd.Series(m.group_codes).map(pd.Series(m.group_codes).value_counts()).to_numpy()
        df = pd.DataFrame({
            "unit": u["unit"], "name": u["name"], "name_en": u["name_en"], "group": u["group"],
            "year": m.year,
            "score": self.totals.final[0], "base_score": self.totals.base[0],
            "bonus_points": self.totals.bonus[0], "deduction_points": self.totals.deduction[0],
            "vetoed": self.totals.vetoed[0],
            "veto_reason": [r or ("指标触发否决" if v else "") for r, v in
                            zip(m.veto_reason, self.totals.vetoed[0], strict=True)],
            "rank": pd.array(self.ranks.rank[0], dtype="Int64"),
            "group_size": n_in,
            "grade": [grades[c].name if c >= 0 else None for c in code],
            "grade_en": [(grades[c].name_en or grades[c].name) if c >= 0 else None for c in code],
        })
        tree = m.tree
        for k, node in enumerate(tree.nodes):
            if tree.depth[k] == 1 and node != ROOT:
                df[f"score_{node}"] = self.totals.node_scores[0, :, k]
        money = self.money
        if money.payout is not None:
            df["bonus_base"] = money.base
            df["bonus_factor"] = money.factor[0]
            df["payout"] = self.payout_yuan
        if money.slots is not None:
            df["award_slots"] = money.slots[0]
        lb = self.lookback
        df["previous_rank"] = pd.array(lb.previous_rank, dtype="Int64")
        df["rank_change"] = pd.array(lb.rank_gain, dtype="Int64")
        df["score_change"] = lb.score_gain
        cons = self.scenario.consequences
        if cons.progress is not None:
            df["progress_award"] = lb.progress_award
        if cons.accountability is not None:
            df["bottom_years"] = lb.bottom_streak
            df["accountability"] = lb.step
            df["accountability_en"] = lb.step_en
        df["_g"] = m.group_codes
        df = df.sort_values(["_g", "rank", "unit"], na_position="last").drop(columns="_g")
        return df.reset_index(drop=True)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        m = self.model
        tree = m.tree
        n_l = tree.n_leaves
        ind = m.data.indicators.set_index("indicator")
        units = m.data.units
        uu, ll = np.nonzero(tree.applicable)
        leaves = np.array(tree.leaves)
        eff = self.totals.effective[0, :, :n_l]
        share = self.leaf.share[0]
        total = self.scenario.total
        single = {name: part for name, part in self.leaf.parts.items()}
        rules = {int(k): rs.rule for rs in m.rule_sets for k in rs.leaves}

        def part_col(col: int) -> np.ndarray:
            # measured / target of the leaf's only measure; NaN for a blend (see `why`)
            out = np.full(len(uu), np.nan)
            for w, *arrays in single.values():
                solo = w[ll] == 1.0
                out[solo] = arrays[col][0][uu[solo], ll[solo]]
            return out

        prev = np.full(len(uu), np.nan)
        if m.t > 0:
            prev = m.values[uu, ll, m.t - 1]
        df = pd.DataFrame({
            "unit": units["unit"].to_numpy()[uu], "name": units["name"].to_numpy()[uu],
            "group": units["group"].to_numpy()[uu], "year": m.year,
            "indicator": leaves[ll], "indicator_name": ind.loc[leaves[ll], "name"].to_numpy(),
            "parent": [tree.path[k][0] for k in ll],
            "direction": m.direction[ll].astype(int),
            "measure": [_measure_label(rules[k].measures) for k in ll],
            "value": self.leaf.value[0][uu, ll], "previous": prev,
            "measured": part_col(0), "target": part_col(1),
            "share": share[uu, ll], "score": share[uu, ll] * 100.0,
            "weight": eff[uu, ll] * total, "points": eff[uu, ll] * np.nan_to_num(share[uu, ll]) * total,
            "scoring": [rules[k].scoring.rule for k in ll],
            "target_rule": [rules[k].target.rule for k in ll],
        })
        df["missing"] = np.isnan(df["value"].to_numpy(dtype=float))
        df["why"] = [self._why(int(a), int(b)) for a, b in zip(uu, ll, strict=True)]
        return df

    @cached_property
    def scores(self) -> pd.DataFrame:
        """Every node's score on the 100-point indicator scale: one row per unit, one column per node."""
        nodes = [n if n != ROOT else "total" for n in self.model.tree.nodes]
        return pd.DataFrame(self.totals.node_scores[0], index=pd.Index(self.model.data.unit_ids, name="unit"),
                            columns=nodes)

    def node_ranks(self) -> pd.DataFrame:
        """Every node's rank within the unit's group (the scenario's tie rule), shaped like ``scores``."""
        cfg = self.scenario.ranking
        ranks = group_rank(self.totals.node_scores[0].T, self.model.group_codes, cfg.ties, decimals=cfg.decimals).T
        return pd.DataFrame(ranks, index=self.scores.index, columns=self.scores.columns).astype("Int64")

    def _why(self, ui: int, li: int) -> str:
        parts = []
        for name, (w, mm, qq, ss) in self.leaf.parts.items():
            if w[li] == 0:
                continue
            zh = MEASURE_LABELS[name][0]
            mv, qv, sv = mm[0, ui, li], qq[0, ui, li], ss[0, ui, li]
            fmt = "{:.2%}" if name == "growth" else "{:,.4g}"
            txt = f"{zh} {fmt.format(mv) if not np.isnan(mv) else '缺失'}"
            if not np.isnan(qv):
                txt += f" / 目标 {fmt.format(qv)}"
            txt += f" → 得分率 {sv:.1%}" if not np.isnan(sv) else " → 缺失"
            if w[li] < 1:
                txt += f"（权重{w[li]:.0%}）"
            parts.append(txt)
        return "；".join(parts)

    def explain(self, unit: str):
        """Why ``unit`` (id or name) got its total, rank, grade, bonus and slots; see ``simkit.explain``."""
        from .explain import explain

        return explain(self, unit)

    def manifest(self) -> dict[str, Any]:
        """What produced this result: scenario, data, version, year, time."""
        from . import __version__

        return {
            "simkit_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "scenario": {"name": self.scenario.name, "file": source_of(self.scenario),
                         "sha256": self.scenario.fingerprint()},
            "data": {"source": self.data.source, "sha256": self.data.fingerprint(), "synthetic": self.data.synthetic,
                     "years": list(self.data.years)},
            "year": self.year,
            "seed": None,
        }

    def ranked_table(self, lang: str = "zh") -> pd.DataFrame:
        """The per-unit table with display headers in Chinese (``zh``) or English (``en``)."""
        cols = ["group", "rank", "name", "score", "grade", "vetoed"]
        cols += [c for c in ("payout", "award_slots", "progress_award", "accountability") if c in self.units]
        df = self.units[[*cols, "name_en", "grade_en", *(["accountability_en"] if "accountability" in cols else [])]]
        df = df.copy()
        if lang == "en":
            df["name"] = df["name_en"].where(df["name_en"] != "", df["name"])
            df["grade"] = df["grade_en"]
            if "accountability" in cols:
                df["accountability"] = df["accountability_en"]
        df = df[cols]
        df["score"] = df["score"].round(2)
        if "progress_award" in cols:
            df["progress_award"] = df["progress_award"].map({True: "★", False: ""})
        df["vetoed"] = df["vetoed"].map({True: "是" if lang == "zh" else "yes", False: ""})
        return df.rename(columns=LABELS[lang])


LABELS = {
    "zh": {"group": "组别", "rank": "名次", "name": "单位", "score": "总分", "grade": "等次", "vetoed": "否决",
           "unit": "编码", "payout": "绩效奖金(元)", "award_slots": "评优指标", "progress_award": "进步奖",
           "accountability": "问责"},
    "en": {"group": "Group", "rank": "Rank", "name": "Unit", "score": "Score", "grade": "Grade", "vetoed": "Vetoed",
           "unit": "Id", "payout": "Bonus (yuan)", "award_slots": "Award slots", "progress_award": "Progress award",
           "accountability": "Accountability"},
}


def _measure_label(measures: dict[str, float]) -> str:
    if len(measures) == 1:
        return next(iter(measures))
    return " + ".join(f"{w:.0%} {k}" for k, w in measures.items())


def evaluate(scenario: Scenario, data: Any = None, year: int | None = None) -> Result:
    """Evaluate a scenario on a data set (default: the bundled data) for one year (default: the last).

    >>> import simkit
    >>> r = simkit.evaluate(simkit.load_scenario("scenarios/yiyang_2018_reform.yaml"))
    >>> sorted(r.units.columns)[:3], r.year
    (['accountability', 'accountability_en', 'award_slots'], 2018)
    """
    from .data import load_data

    if data is None:
        data = load_data()
    static = compile_static(scenario, data)
    model = compile_model(scenario, data, year, static)
    cons = scenario.consequences
    if cons.progress is None and cons.accountability is None:
        return _evaluate_model(model, None)
    fast = _chain_at_once(scenario, data, model.year, static)
    if fast is not None:
        return fast
    return _evaluate_model(model, _chain(scenario, data, before=model.year, static=static))


def _evaluate_model(model: Model, previous: Result | None) -> Result:
    leaf = leaf_stage(model)
    totals = total_stage(model, leaf)
    ranks = rank_stage(model, totals)
    return _finish(model, leaf, totals, ranks, money_stage(model, totals, ranks), previous)


def _finish(model: Model, leaf: LeafStage, totals: TotalStage, ranks: RankStage, money: MoneyStage,
            previous: Result | None) -> Result:
    """Look back at the previous year and wrap one year's stages in a ``Result``."""
    cons = model.scenario.consequences
    names = [g.name for g in model.scenario.grading.grades]
    grade_names = [names[c] if c >= 0 else None for c in ranks.grade[0]]
    lb = look_back(ranks.rank[0], totals.final[0], grade_names, totals.vetoed[0], model.group_codes,
                   previous.lookback if previous is not None else None,
                   previous.ranks.rank[0] if previous is not None else None,
                   previous.totals.final[0] if previous is not None else None,
                   cons.progress, cons.accountability, cons.veto.progress)
    return Result(model, leaf, totals, ranks, money, lb, previous)


def _row(stage: Any, k: int, batched: tuple[str, ...]) -> Any:
    """Draw ``k`` of a stage evaluated for several years at once (the named fields carry the batch axis)."""
    return replace(stage, **{f: None if getattr(stage, f) is None else getattr(stage, f)[k : k + 1]
                             for f in batched})


def _chain_at_once(scenario: Scenario, data: Any, last: int, static: Static) -> Result | None:
    """Every evaluable year up to ``last`` through the stages in one batch (one row per year).

    An optimisation only: on any problem it returns None, and the caller goes year by year, which names
    the problem precisely.
    """
    years = [y for t, y in enumerate(data.years) if t >= static.history_needed and y <= last]
    if len(years) < 2 or years[-1] != last:
        return None
    try:
        models = [compile_model(scenario, data, y, static) for y in years]
        top = replace(models[-1], bonus=np.stack([m.bonus for m in models]),
                      deduction=np.stack([m.deduction for m in models]),
                      veto_table=np.stack([m.veto_table for m in models]))
        leaf = leaf_stage(top, years=[m.t for m in models])
        totals = total_stage(top, leaf)
        ranks = rank_stage(top, totals)
        money = money_stage(top, totals, ranks)
    except SimkitError:
        return None
    previous: Result | None = None
    for k, model in enumerate(models):
        parts = {name: (w, m[k : k + 1], q[k : k + 1], sh[k : k + 1]) for name, (w, m, q, sh) in leaf.parts.items()}
        previous = _finish(
            model, replace(_row(leaf, k, ("value", "share")), parts=parts),
            _row(totals, k, ("node_scores", "effective", "base", "bonus", "deduction", "vetoed", "final")),
            _row(ranks, k, ("rank", "rank_lo", "rank_hi", "grade")),
            _row(money, k, ("factor", "payout", "scale", "slots")), previous)
    return previous


def _chain(scenario: Scenario, data: Any, before: int, static: Static | None = None) -> Result | None:
    """Results of the data's years before ``before``, each linked to the one before it.

    Years too early for the rules (a baseline without enough history) are skipped, but only at the start:
    once a year has evaluated, a later year that fails is an error.
    """
    static = compile_static(scenario, data) if static is None else static
    previous: Result | None = None
    for t, y in enumerate(data.years):
        if y >= before:
            break
        if t < static.history_needed:
            continue  # too early for the rules: the baseline has no history yet
        try:
            previous = _evaluate_model(compile_model(scenario, data, y, static), previous)
        except SimkitError as exc:
            if previous is not None:
                note = Problem(data.source, f"(the year {y} is evaluated because progress awards and the "
                               f"accountability ladder compare each year with the one before)",
                               "fix the problems below, or evaluate an earlier year")
                raise type(exc)([note, *exc.problems]) from None
    return previous


def evaluate_history(scenario: Scenario, data: Any = None, years: tuple[int, ...] | None = None) -> dict[int, Result]:
    """Evaluate every year the data allow (or just ``years``), oldest first, each knowing the one before.

    >>> import simkit
    >>> list(simkit.evaluate_history(simkit.load_scenario("scenarios/yiyang_2018_reform.yaml")))
    [2015, 2016, 2017, 2018]
    """
    from .data import load_data

    if data is None:
        data = load_data()
    final = max(years) if years else data.years[-1]
    static = compile_static(scenario, data)
    last = _chain_at_once(scenario, data, final, static) or _chain(scenario, data, before=final + 1, static=static)
    if last is None:
        compile_model(scenario, data, data.years[-1])  # raises the reason no year can be evaluated
        return {}
    return {y: r for y, r in last.history.items() if years is None or y in years}
