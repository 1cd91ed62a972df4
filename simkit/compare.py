"""Compare two scenarios on the same data: rank, grade and payout shifts, winners and losers, rank
correlation, the budget difference, and a sequential decomposition of the change into its parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .data import Dataset, load_data
from .errors import SimkitError
from .result import Result, evaluate
from .scenario import Scenario

#: Parts of a scenario a reform can change; the decomposition switches them one at a time, in this order.
PARTS: tuple[str, ...] = (
    "include_subjective", "weights", "defaults", "indicators", "aggregation", "total", "adjustments", "ranking",
    "grading", "consequences",
)
PART_LABELS = {
    "include_subjective": ("主观评价", "subjective component"), "weights": ("权重", "weights"),
    "defaults": ("计分规则（默认）", "default rules"), "indicators": ("指标规则", "indicator rules"),
    "aggregation": ("汇总方法", "aggregation"), "total": ("总分值", "total points"),
    "adjustments": ("加减分与否决", "adjustments"), "ranking": ("排名规则", "ranking"),
    "grading": ("等次规则", "grading"), "consequences": ("结果运用", "consequences"),
}

RANK_BANDS = (("up ≥3", 3, np.inf), ("up 1–2", 1, 2), ("no change", 0, 0), ("down 1–2", -2, -1),
              ("down ≥3", -np.inf, -3))
RANK_BANDS_ZH = ("上升3位及以上", "上升1–2位", "不变", "下降1–2位", "下降3位及以上")
MONEY_BANDS = (("gain >5%", 0.05, np.inf), ("gain ≤5%", 1e-12, 0.05), ("no change", -1e-12, 1e-12),
               ("lose ≤5%", -0.05, -1e-12), ("lose >5%", -np.inf, -0.05))
MONEY_BANDS_ZH = ("增加超过5%", "增加不超过5%", "不变", "减少不超过5%", "减少超过5%")

COMPARISON_HEADERS = {
    "unit": "单位编码", "name": "单位名称", "group": "考核组别", "rank_base": "基准名次", "rank_reform": "改革名次",
    "rank_change": "名次变化(上升为正)", "grade_base": "基准等次", "grade_reform": "改革等次",
    "payout_base": "基准奖金(元)", "payout_reform": "改革奖金(元)", "payout_change": "奖金变化(元)",
    "payout_change_pct": "奖金变化率", "score_base": "基准总分", "score_reform": "改革总分",
    "slots_base": "基准评优指标", "slots_reform": "改革评优指标", "rank_band": "名次变化档",
    "money_band": "奖金变化档", "band": "档位", "band_zh": "档位(中文)", "measure": "口径", "units": "单位数",
    "share": "占比", "metric": "指标", "value": "数值", "step": "步骤", "part": "变化部分", "part_zh": "变化部分(中文)",
    "rank_moves": "名次变动单位数", "payout_change_total": "奖金变化合计(元)", "mean_abs_rank_change": "平均名次变动",
}


@dataclass(frozen=True)
class Comparison:
    """Two results on the same data and year, and what changed between them."""

    base: Result
    reform: Result
    units: pd.DataFrame  # comparison.csv
    bands: pd.DataFrame  # winners and losers
    summary: dict[str, Any]
    decomposition: pd.DataFrame  # one row per part switched, with its effect

    def summary_table(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": list(self.summary), "value": list(self.summary.values())})


def _band(values: np.ndarray, bands: tuple[tuple[str, float, float], ...]) -> list[str]:
    out = []
    for v in values:
        label = ""
        if not np.isnan(v):
            label = next(name for name, lo, hi in bands if lo <= v <= hi)
        out.append(label)
    return out


def _payout(units: pd.DataFrame) -> np.ndarray:
    return units["payout"].to_numpy(dtype=float) if "payout" in units else np.zeros(len(units))


def unit_changes(base: Result, reform: Result) -> pd.DataFrame:
    """Per unit: rank, grade, payout and slots under both, and the changes (rank_change > 0 = moved up)."""
    b = base.units.set_index("unit")
    r = reform.units.set_index("unit").loc[b.index]
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
    df["rank_band"] = _band(df["rank_change"].to_numpy(dtype=float), RANK_BANDS)
    # A unit paid nothing under the base has no percentage change: any gain from zero is a gain of more
    # than 5%, and nothing to nothing is no change, so that every unit falls in a band.
    pct = np.where(pay_b > 0, df["payout_change_pct"].to_numpy(dtype=float), np.where(pay_r > pay_b, np.inf, 0.0))
    df["money_band"] = _band(pct, MONEY_BANDS)
    return df


def winners_and_losers(changes: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of units in five bands, for rank and for money (as PolicyEngine reports)."""
    rows = []
    n = len(changes)
    for measure, col, bands, zh in (("rank", "rank_band", RANK_BANDS, RANK_BANDS_ZH),
                                    ("money", "money_band", MONEY_BANDS, MONEY_BANDS_ZH)):
        counts = changes[col].value_counts()
        for (label, _, _), label_zh in zip(bands, zh, strict=True):
            k = int(counts.get(label, 0))
            rows.append({"measure": measure, "band": label, "band_zh": label_zh, "units": k, "share": k / n})
    return pd.DataFrame(rows)


def rank_agreement(base: Result, reform: Result) -> dict[str, float]:
    """Kendall tau and Spearman rho between the two rankings, pooled over groups (within-group ranks)."""
    from scipy.stats import kendalltau, spearmanr  # imported here: scipy.stats costs a second at start-up

    c = unit_changes(base, reform)
    ok = c["rank_base"].notna() & c["rank_reform"].notna()
    taus, rhos, weights = [], [], []
    for _, part in c[ok].groupby("group"):
        if len(part) < 2:
            continue
        a, b = part["rank_base"].astype(float), part["rank_reform"].astype(float)
        if a.nunique() < 2 or b.nunique() < 2:
            t = r = 1.0 if (a.to_numpy() == b.to_numpy()).all() else np.nan
        else:
            t, r = kendalltau(a, b).statistic, spearmanr(a, b).statistic
        taus.append(t)
        rhos.append(r)
        weights.append(len(part))
    w = np.array(weights, dtype=float)
    return {
        "kendall_tau": float(np.nansum(np.array(taus) * w) / w.sum()) if len(w) else float("nan"),
        "spearman_rho": float(np.nansum(np.array(rhos) * w) / w.sum()) if len(w) else float("nan"),
    }


def _steps(base_scenario: Scenario, reform_scenario: Scenario, data: Dataset, year: int | None):
    """Yield (parts switched, result before, result after), switching the differing parts in ``PARTS`` order.

    A part that alone does not make a valid rule set is switched together with the next one.
    """
    base_doc, reform_doc = base_scenario.to_dict(), reform_scenario.to_dict()
    differing = [p for p in PARTS if base_doc.get(p) != reform_doc.get(p)]
    current = evaluate(base_scenario, data, year)
    doc = dict(base_doc)
    pending: list[str] = []
    for k, part in enumerate(differing):
        pending.append(part)
        if part in reform_doc:
            doc[part] = reform_doc[part]
        else:
            doc.pop(part, None)
        last = k == len(differing) - 1
        try:
            step = evaluate(reform_scenario if last else Scenario.model_validate(doc), data, year)
        except (SimkitError, ValueError):
            if last:
                raise
            continue
        yield tuple(pending), current, step
        current, pending = step, []


def decompose(base_scenario: Scenario, reform_scenario: Scenario, data: Dataset, year: int | None) -> pd.DataFrame:
    """Switch the differing parts from base to reform one at a time; each row is one step's effect.

    The effects telescope: they add up to the total change.  The order matters (an interaction is credited
    to the part switched later); a part that alone does not make a valid rule set is switched together with
    the next one, and the row says so.
    """
    rows = []
    for k, (parts, before, after) in enumerate(_steps(base_scenario, reform_scenario, data, year), start=1):
        ch = unit_changes(before, after)
        rows.append({
            "step": k, "part": " + ".join(parts),
            "part_zh": " + ".join(PART_LABELS.get(p, (p, p))[0] for p in parts),
            "rank_moves": int((ch["rank_change"].fillna(0) != 0).sum()),
            "mean_abs_rank_change": float(ch["rank_change"].abs().mean()),
            "payout_change_total": float(ch["payout_change"].sum()),
            "note": "" if len(parts) == 1 else "switched together: alone the first is not a valid rule set",
        })
    return pd.DataFrame(rows, columns=["step", "part", "part_zh", "rank_moves", "mean_abs_rank_change",
                                       "payout_change_total", "note"])


def decomposition_by_unit(base_scenario: Scenario, reform_scenario: Scenario, data: Dataset,
                          year: int | None) -> pd.DataFrame:
    """Per unit and step: the change in score, rank and payout that each switched part causes."""
    frames = []
    for parts, before, after in _steps(base_scenario, reform_scenario, data, year):
        ch = unit_changes(before, after)
        frames.append(pd.DataFrame({
            "unit": ch["unit"], "name": ch["name"], "group": ch["group"], "part": " + ".join(parts),
            "score_change": ch["score_reform"] - ch["score_base"], "rank_change": ch["rank_change"],
            "payout_change": ch["payout_change"],
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def compare(base: Scenario, reform: Scenario, data: Dataset | None = None, year: int | None = None) -> Comparison:
    """Compare two scenarios on the same data and year.

    >>> import simkit
    >>> c = simkit.compare(simkit.load_scenario("scenarios/legacy_totals.yaml"),
    ...                    simkit.load_scenario("scenarios/yiyang_2018_reform.yaml"))
    >>> list(c.units.columns[:6])
    ['unit', 'name', 'group', 'rank_base', 'rank_reform', 'rank_change']
    """
    data = load_data() if data is None else data
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
    return Comparison(rb, rr, changes, winners_and_losers(changes), summary,
                      decompose(base, reform, data, rb.year))
