"""Evaluation results as pandas tables: per unit (total, rank, grade, ...) and per unit and indicator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .engine import LeafStage, Model, RankStage, TotalStage, compile_model, leaf_stage, rank_stage, total_stage
from .measures import MEASURE_LABELS
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

    @property
    def scenario(self) -> Scenario:
        return self.model.scenario

    @property
    def year(self) -> int:
        return self.model.year

    @property
    def data(self):  # noqa: ANN201 - Dataset, kept loose to avoid an import cycle in type checkers
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
            "bonus": self.totals.bonus[0], "deduction": self.totals.deduction[0],
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
            "weight": eff[uu, ll] * total, "points": eff[uu, ll] * share[uu, ll] * total,
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
        df = self.units[cols + (["name_en", "grade_en"])].copy()
        if lang == "en":
            df["name"] = df["name_en"].where(df["name_en"] != "", df["name"])
            df["grade"] = df["grade_en"]
        df = df[cols]
        df["score"] = df["score"].round(2)
        df["vetoed"] = df["vetoed"].map({True: "是" if lang == "zh" else "yes", False: ""})
        return df.rename(columns=LABELS[lang])


LABELS = {
    "zh": {"group": "组别", "rank": "名次", "name": "单位", "score": "总分", "grade": "等次", "vetoed": "否决",
           "unit": "编码"},
    "en": {"group": "Group", "rank": "Rank", "name": "Unit", "score": "Score", "grade": "Grade", "vetoed": "Vetoed",
           "unit": "Id"},
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
    (['base_score', 'bonus', 'deduction'], 2018)
    """
    from .data import load_data

    if data is None:
        data = load_data()
    model = compile_model(scenario, data, year)
    leaf = leaf_stage(model)
    totals = total_stage(model, leaf)
    ranks = rank_stage(model, totals)
    return Result(model, leaf, totals, ranks)
