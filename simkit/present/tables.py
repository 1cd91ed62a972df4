"""Tables for people, built by the library so that the CLI, the notebooks, the dashboard and the workbooks show
the same thing: the ranked table, the indicators with why, the comparison's tables, the fairness table.

Machine tables (``result.units``, ``comparison.units``, ``fairness_long``) keep stable column names for
programs; these add Chinese labels, round numbers for reading and mark synthetic data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..analysis.compare import Comparison
from ..analysis.fairness import METRICS as METRIC_ORDER
from ..analysis.fairness import OPT_IN_METRICS as OPT_IN_ORDER
from ..analysis.fairness import fairness_long
from ..engine.result import Result
from .labels import (
    ALL_GROUPS,
    BAND_ZH,
    COMPARISON_HEADERS,
    FLOAT_HEADERS,
    LABELS,
    METRICS,
    OPT_IN_METRICS,
    SYNTHETIC_NOTE,
    part_label,
)
from .text import veto_text, why_column


def labelled(frame: pd.DataFrame, data: Any) -> pd.DataFrame:
    """The table with a last column saying the numbers are synthetic, when they are (a copy; input untouched)."""
    if not getattr(data, "synthetic", False):
        return frame
    return frame.assign(data_note=SYNTHETIC_NOTE)


def ranked_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """The per-unit table with display headers in Chinese (``zh``) or English (``en``).

    >>> import simkit
    >>> t = ranked_table(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")))
    >>> list(t.columns[:5])
    ['组别', '名次', '单位', '总分', '等次']
    """
    units = result.units
    cols = ["group", "rank", "name", "score", *(["score_smoothed"] if "score_smoothed" in units else []), "grade",
            "vetoed"]
    cols += [c for c in ("payout", "prize", "award_slots", "progress_award", "accountability", "staff_excellent_slots",
                         "team_grade") if c in units]
    english = [f"{c}_en" for c in ("accountability", "team_grade") if c in cols]
    df = units[[*cols, "name_en", "grade_en", *english]].copy()
    if lang == "en":
        df["name"] = df["name_en"].where(df["name_en"] != "", df["name"])
        df["grade"] = df["grade_en"]
        for c in english:
            df[c[:-3]] = df[c]
    df = df[cols]
    df["score"] = df["score"].round(2)
    if "score_smoothed" in cols:  # ranking.smooth_years: the score ranked and graded
        df["score_smoothed"] = df["score_smoothed"].round(2)
    if "progress_award" in cols:
        df["progress_award"] = df["progress_award"].map({True: "★", False: ""})
    df["vetoed"] = df["vetoed"].map({True: "是" if lang == "zh" else "yes", False: ""})
    return df.rename(columns=LABELS[lang])


def results_table(result: Result) -> pd.DataFrame:
    """``result.units`` as results.csv writes it: veto reasons in words, the synthetic mark."""
    names = result.data.indicators.set_index("indicator")["name"].to_dict()
    units = result.units.copy()
    units["veto_reason"] = [veto_text(r, names) if v else "" for r, v in
                            zip(units["veto_reason"], units["vetoed"], strict=True)]
    return labelled(units, result.data)


def indicators_table(result: Result) -> pd.DataFrame:
    """``result.indicators`` with the ``why`` of every cell (indicators.csv), and the synthetic mark."""
    table = result.indicators.copy()
    table["why"] = why_column(result, table)
    return labelled(table, result.data)


def missing_table(result: Result, every_year: bool = False) -> pd.DataFrame:
    """The cells the rules read that had no value, and what filled them: unit, name, group, year, indicator,
    indicator_name, filled_by (the missing-data policy).  ``every_year``: every year of the result, not only its
    focus year."""
    years = result.years if every_year else (result.year,)
    frames = []
    for y in years:
        ind = result.at(y).indicators if y != result.year else result.indicators
        frames.append(ind.loc[ind["filled_by"] != "", ["unit", "name", "group", "year", "indicator",
                                                        "indicator_name", "filled_by"]])
    cols = ["unit", "name", "group", "year", "indicator", "indicator_name", "filled_by"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def data_gaps(data: Any) -> pd.DataFrame:
    """Per unit and year of the data: how many leaf indicators that apply to the unit have no value, and
    which (one row per unit and year with a gap)."""
    cube, app = data.cube, data.applicable
    gap = np.isnan(cube) & app[:, :, None]  # (U, L, T)
    uu, tt = np.nonzero(gap.any(axis=1))
    leaves = np.asarray(data.leaves)
    return pd.DataFrame({
        "unit": np.asarray(data.unit_ids)[uu], "name": data.units["name"].to_numpy()[uu],
        "year": np.asarray(data.years)[tt], "missing": gap.sum(axis=1)[uu, tt],
        "indicators": [", ".join(leaves[gap[u, :, t]]) for u, t in zip(uu, tt, strict=True)],
    })


# ============================================================================================ compare
def bands_table(comparison: Comparison) -> pd.DataFrame:
    """Winners and losers with the bands' Chinese names."""
    b = comparison.bands.copy()
    b.insert(2, "band_zh", b["band"].map(BAND_ZH).fillna(b["band"]))
    return b


def decomposition_table(comparison: Comparison) -> pd.DataFrame:
    """The decomposition with each provision named in Chinese (``part_zh``) and a note on provisions switched
    together."""
    d = comparison.decomposition.copy()
    names = comparison.base.data.indicators.set_index("indicator")["name"].to_dict()
    d.insert(2, "part_zh", [" + ".join(part_label(p, "zh", names) for p in parts.split(" + "))
                            for parts in d["part"]])
    d["note"] = np.where(d["together"], "switched together: alone the first is not a valid rule set", "")
    return d.drop(columns="together")


def decomposition_for_people(comparison: Comparison, lang: str = "zh", width: int = 44) -> pd.DataFrame:
    """The decomposition as ``simkit compare`` prints it: each step's provisions in words (cut after ``width``
    characters, with how many there are; the CSV and the workbook hold them whole), the units moving rank,
    the mean rank change and the money moved.

    >>> import simkit
    >>> t = decomposition_for_people(simkit.compare("legacy_totals", "yiyang_2018_reform"))
    >>> list(t.columns)
    ['步骤', '变化部分', '名次变动单位数', '平均名次变动', '奖金变化合计(元)', '说明']
    """
    zh = lang == "zh"
    d = comparison.decomposition
    ind = comparison.base.data.indicators.set_index("indicator")
    names = ind["name"].to_dict() if zh else ind["name_en"].fillna(ind["name"]).to_dict()

    def words(parts: str) -> str:
        each = [part_label(x, lang, names) for x in parts.split(" + ")]
        text = " + ".join(each)
        if len(text) <= width:
            return text
        more = "" if len(each) == 1 else f"（共{len(each)}项）" if zh else f" ({len(each)} provisions)"
        return text[: width - 1] + "…" + more

    note = ("同时改变：单独改变第一项不是有效的规则" if zh
            else "switched together: alone the first is not a valid rule set")
    out = pd.DataFrame({
        "step": d["step"].to_numpy(), "part": [words(x) for x in d["part"]],
        "rank_moves": d["rank_moves"].to_numpy(), "mean_abs_rank_change": d["mean_abs_rank_change"].round(2),
        "payout_change_total": [f"{x:,.0f}" for x in d["payout_change_total"]],
        "note": np.where(d["together"], note, ""),
    })
    if not zh:
        return out.rename(columns={"step": "Step", "part": "What changes", "rank_moves": "Units moving rank",
                                   "mean_abs_rank_change": "Mean rank change",
                                   "payout_change_total": "Money moved (yuan)", "note": "Note"})
    return out.rename(columns={k: COMPARISON_HEADERS[k] for k in out.columns})


def comparison_summary(comparison: Comparison, lang: str = "zh") -> pd.DataFrame:
    """The summary as labelled rows for people (the CSV keeps the machine names)."""
    labels = {
        "year": ("年度", "year"), "base": ("基准方案", "base scenario"), "reform": ("改革方案", "reform scenario"),
        "kendall_tau": ("名次相关 Kendall τ", "rank agreement, Kendall tau"),
        "spearman_rho": ("名次相关 Spearman ρ", "rank agreement, Spearman rho"),
        "units_moving_rank": ("名次变动单位数", "units moving rank"),
        "units_changing_grade": ("等次变动单位数", "units changing grade"),
        "paid_base": ("基准实发奖金(元)", "paid under the base (yuan)"),
        "paid_reform": ("改革实发奖金(元)", "paid under the reform (yuan)"),
        "budget_base": ("基准预算(元)", "budget under the base (yuan)"),
        "budget_reform": ("改革预算(元)", "budget under the reform (yuan)"),
        "paid_difference": ("实发差额(元)", "difference paid (yuan)"),
        "scale_reform": ("改革奖金池缩放系数", "reform pool scale factor"),
    }
    k = 0 if lang == "zh" else 1
    rows = [(labels.get(m, (m, m))[k], v) for m, v in comparison.summary.items()]
    heads = ["项目 item", "数值 value"] if lang == "zh" else ["item", "value"]
    return pd.DataFrame(rows, columns=heads)


# =========================================================================================== fairness
def fairness_table(scenarios: Any, data: Any = None, *, size: str = "gdp", **options: Any) -> pd.DataFrame:
    """The fairness metrics of several scenarios side by side, over the years they all can evaluate.

    One row per metric and group, labelled (``metric_zh``); for each scenario three columns: the estimate,
    ``<name> lo`` and ``<name> hi`` (the bootstrap interval).  ``options`` as ``analysis.fairness.fairness_long``
    (years, seed, n_boot, level, m, bottom, smallest, largest, tail, per, factor; ``tenure`` adds the false- and
    missed-accountability rows); ``attrs`` records them.

    >>> t = fairness_table(["legacy_totals", "yiyang_2018_reform"], n_boot=200)
    >>> t.attrs["years"], list(t.columns[:3])
    ((2015, 2016, 2017, 2018), ['metric', 'metric_zh', 'group'])
    """
    long = fairness_long(scenarios, data, size=size, **options)
    labels = long.attrs["labels"]
    keys = long[["metric", "group"]].drop_duplicates()
    order = {k: i for i, k in enumerate((*METRIC_ORDER, *OPT_IN_ORDER))}
    keys = keys.assign(_o=keys["metric"].map(order)).sort_values(["_o"], kind="stable").drop(columns="_o")
    table = keys.reset_index(drop=True)
    table.insert(1, "metric_zh", table["metric"].map(lambda m: {**METRICS, **OPT_IN_METRICS}[m][0]))
    table["group"] = table["group"].replace({"all": ALL_GROUPS})
    idx = [(m, "all" if g == ALL_GROUPS else g) for m, g in zip(table["metric"], table["group"], strict=True)]
    for label in labels:
        part = long[long["scenario"] == label].set_index(["metric", "group"])
        table[label] = part["estimate"].reindex(idx).to_numpy()
        table[f"{label} lo"] = part["lo"].reindex(idx).to_numpy()
        table[f"{label} hi"] = part["hi"].reindex(idx).to_numpy()
    table.attrs.update(long.attrs)
    return table


def format_fairness(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``fairness_table`` for printing: one column per scenario, ``estimate [lo, hi]``."""
    out = table[["metric_zh", "group"]].copy()
    for label in table.attrs.get("labels", []):
        est, lo, hi = table[label], table[f"{label} lo"], table[f"{label} hi"]
        out[label] = [
            "" if np.isnan(e) else (f"{e:.{digits}f}" if np.isnan(a) else f"{e:.{digits}f} [{a:.{digits}f}, "
                                    f"{b:.{digits}f}]")
            for e, a, b in zip(est, lo, hi, strict=True)
        ]
    return out.rename(columns={"metric_zh": "指标 metric", "group": "组别 group"})


# ============================================================================================== floats
def float_table(result: Result) -> pd.DataFrame:
    """Per grade, the float as stated and as paid: grade, factor (stated), realised_float (what is paid on the
    base, the mean over the grade's units weighted by base: Σ paid / Σ base − 1), units, vetoed, base, paid
    (yuan, rounded by largest remainder) and, with prizes, prize.  Empty without a bonus.

    >>> import simkit
    >>> t = float_table(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")))
    >>> t["grade"].tolist(), round(float(t["factor"].iat[0]), 2), bool(t["realised_float"].iat[0] < 0.2)
    (['优秀', '良好', '一般', '较差'], 0.2, True)
    """
    units = result.units
    cols = ["grade", "factor", "realised_float", "units", "vetoed", "base", "paid"]
    if "payout" not in units:
        return pd.DataFrame(columns=cols)
    bonus = result.scenario.consequences.bonus
    rows = []
    for grade in result.grade_names:
        part = units[units["grade"] == grade]
        base, paid = float(part["bonus_base"].sum()), int(part["payout"].sum())  # paid: whole yuan
        row = {"grade": grade, "factor": bonus.factors.get(grade, 0.0) if bonus.by == "grade" else np.nan,
               "realised_float": paid / base - 1.0 if base > 0 else np.nan, "units": len(part),
               "vetoed": int(part["vetoed"].sum()), "base": base, "paid": paid}
        if "prize" in units:
            row["prize"] = float(part["prize"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def float_comparison(comparison: Comparison) -> pd.DataFrame:
    """The float tables of both results side by side: grade, then factor, realised_float, units and paid under
    the base (``_base``) and the reform (``_reform``); grades of either scenario, the reform's first."""
    b, r = float_table(comparison.base), float_table(comparison.reform)
    keep = ["grade", "factor", "realised_float", "units", "paid"]
    out = r[keep].merge(b[keep], on="grade", how="outer", suffixes=("_reform", "_base"), sort=False)
    order = {g: i for i, g in enumerate([*r["grade"], *b["grade"]])}
    return out.assign(_o=out["grade"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)


def floats_for_people(result: Result | Comparison, lang: str = "zh") -> pd.DataFrame:
    """The float table for reading: per grade the stated and the realised float as percentages, the units and
    the yuan paid; for a comparison, the base's then the reform's side by side.  Empty without a bonus.

    >>> import simkit
    >>> t = floats_for_people(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform")))
    >>> t.columns[:3].tolist(), t["规定浮动"].iat[0]
    (['等次', '规定浮动', '实际浮动(按基数加权)'], '+20.0%')
    """
    heads = FLOAT_HEADERS[lang]
    if isinstance(result, Comparison):
        tag = {"base": " (基准)", "reform": " (改革)"} if lang == "zh" else {"base": " (base)", "reform": " (reform)"}
        parts = []
        for which, res in (("base", result.base), ("reform", result.reform)):
            t = _floats(res, lang)[["grade", "factor", "realised_float", "units", "paid"]]
            parts.append(t.rename(columns={c: heads[c] + tag[which] for c in t.columns if c != "grade"}))
        out = parts[0].merge(parts[1], on="grade", how="outer")
        order = list(dict.fromkeys([*parts[0]["grade"], *parts[1]["grade"]]))  # the base's grades first, in order
        out = out.set_index("grade").loc[order].reset_index()
        return out.rename(columns={"grade": heads["grade"]})
    return _floats(result, lang).rename(columns=heads)


def _floats(result: Result, lang: str) -> pd.DataFrame:
    t = float_table(result)
    if t.empty:
        return t
    for c in ("factor", "realised_float"):
        t[c] = t[c].map(lambda x: "" if pd.isna(x) else f"{x:+.1%}")
    money = [c for c in ("base", "paid", "prize") if c in t]
    t[money] = t[money].round().astype("Int64")
    if lang == "en":
        en = {g.name: g.name_en or g.name for g in result.scenario.grading.grades}
        t["grade"] = t["grade"].map(en)
    return t
