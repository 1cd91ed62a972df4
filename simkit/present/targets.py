"""The target review for people (会审表): reasons in Chinese and English, labels, the sheets an office prints and
signs, and the equal-difficulty table.  The numbers come from ``simkit.analysis.targets_review``.

>>> import simkit
>>> from simkit.analysis.targets_review import review_targets
>>> review = review_targets(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data(), 2018)
>>> t = review_table(review)
>>> row = t[(t["unit"] == "HS") & (t["indicator"] == "export")].iloc[0]
>>> row["reason_zh"].split("；")[0]
'目标12.27低于上年实际值12.66'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.targets_review import FLAGS, difficulty_spread
from .labels import (
    FLAG_NAMES,
    FLAG_REASONS,
    MEASURE_LABELS,
    RULE_LABELS,
    SIGN_OFF,
    SYNTHETIC_NOTE,
    TARGET_REVIEW_HEADERS,
)
from .reports import Report
from .tables import labelled

#: The columns of the sheet an office reads and signs, in order.
SHEET_COLUMNS: tuple[str, ...] = (
    "group", "name", "indicator_name", "measure", "source", "target", "previous", "implied_growth", "trend",
    "volatility", "group_percentile", "p_meet", "p_meet_past", "flags", "reason_zh", "reason_en",
)


def source_text(source: str, used: str, lang: str = "zh") -> str:
    """A target's source in words: the rule, and for a combination the source that set it.

    >>> source_text("combine", "decomposed(floor)"), source_text("baseline", "baseline", "en")
    ('多来源合并：重点工作分解（保底）', 'average of recent years')
    """
    k = 0 if lang == "zh" else 1
    word = RULE_LABELS.get(source, (source, source))[k]
    if source != "combine" or not used:
        return word
    parts = []
    for piece in str(used).split("+"):
        floor = piece.endswith("(floor)")
        name = RULE_LABELS.get(piece.removesuffix("(floor)"), (piece, piece))[k]
        parts.append(f"{name}（{RULE_LABELS['floor'][0]}）" if floor and k == 0 else
                     f"{name} ({RULE_LABELS['floor'][1]})" if floor else name)
    return f"{word}：{'+'.join(parts)}" if k == 0 else f"{word}: {' + '.join(parts)}"


def _fields(row: Mapping[str, Any], attrs: Mapping[str, Any]) -> dict[str, Any]:
    lo, hi = attrs.get("percentile", (10, 90))
    gap = row.get("assigned_gap", np.nan)
    gap = 0.0 if gap is None or pd.isna(gap) else float(gap)
    lower_better = int(row["direction"]) < 0
    return {**row, "lo": lo, "hi": hi, "years": attrs.get("trend_years", 3), "margin": attrs.get("margin", 0.2),
            "source_zh": RULE_LABELS.get(row["source"], (row["source"],) * 2)[0],
            "source_en": RULE_LABELS.get(row["source"], (row["source"],) * 2)[1],
            "below_zh": "高于" if lower_better else "低于", "below_en": "above" if lower_better else "below",
            "gap_abs": abs(gap), "gap_zh": "要求高" if gap > 0 else "要求低", "gap_en": "more" if gap > 0 else "less"}


def reasons(review: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Why each row is flagged, in Chinese and in English ("" for a row without a flag)."""
    zh, en = [], []
    attrs = review.attrs
    for row in review.to_dict("records"):
        codes = [c for c in FLAGS if row.get(f"flag_{c}")]
        fields = _fields(row, attrs) if codes else {}
        zh.append("；".join(FLAG_REASONS[c][0].format(**fields) for c in codes))
        en.append("; ".join(FLAG_REASONS[c][1].format(**fields) for c in codes))
    return zh, en


def review_table(review: pd.DataFrame, data: Any = None) -> pd.DataFrame:
    """The review with the reasons (``reason_zh``, ``reason_en``), the flags named in Chinese, and the synthetic
    mark when the data are synthetic: targets_review.csv."""
    out = review.copy()
    out["reason_zh"], out["reason_en"] = reasons(review)
    out["flags"] = ["、".join(FLAG_NAMES[c][0] for c in str(f).split(";") if c) for f in review["flags"]]
    synthetic = getattr(data, "synthetic", review.attrs.get("synthetic", False))
    return out.assign(data_note=SYNTHETIC_NOTE) if synthetic else out


def sheet_table(table: pd.DataFrame) -> pd.DataFrame:
    """The sheet's columns, with measures and sources in Chinese and numbers rounded for reading."""
    out = table[[c for c in (*SHEET_COLUMNS, "data_note") if c in table]].copy()
    out["measure"] = out["measure"].map(lambda m: MEASURE_LABELS.get(m, (m,))[0])
    out["source"] = [source_text(s, u) for s, u in zip(table["source"], table["source_used"], strict=True)]
    for col, digits in (("target", 4), ("previous", 4), ("implied_growth", 4), ("trend", 4), ("volatility", 4),
                        ("group_percentile", 1), ("p_meet", 3), ("p_meet_past", 3)):
        out[col] = out[col].astype(float).round(digits)
    return out


def with_sign_off(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with a blank row and the sign-off lines (审核人 / 日期) at the bottom, for printing.

    >>> with_sign_off(pd.DataFrame({"a": [1]})).iloc[-2:, 0].tolist()
    ['审核人 Reviewer：____________', '日期 Date：____________']
    """
    first = frame.columns[0]
    rows = pd.DataFrame({first: ["", *SIGN_OFF]})
    return pd.concat([frame.astype(object), rows], ignore_index=True)


def spread_table(review: pd.DataFrame) -> pd.DataFrame:
    """The spread of P(meet) per group, indicator and measure (measures in Chinese), rounded."""
    s = difficulty_spread(review)
    s["measure"] = s["measure"].map(lambda m: MEASURE_LABELS.get(m, (m,))[0])
    return s.round({"p_min": 3, "p_mean": 3, "p_max": 3, "spread": 3})


def equal_table(table: pd.DataFrame) -> pd.DataFrame:
    """The equal-difficulty targets for people: measures in Chinese, probabilities rounded."""
    out = table.copy()
    out["measure"] = out["measure"].map(lambda m: MEASURE_LABELS.get(m, (m,))[0])
    return out.round({"p_before": 3, "p_after": 3})


def targets_report(review: pd.DataFrame, data: Any, equal: pd.DataFrame | None = None,
                   manifest: Mapping[str, Any] | None = None) -> Report:
    """targets_review.csv and targets_review.xlsx (会审表 with a sign-off line, the flags, the spread of P(meet);
    with ``equal``, the equal-difficulty targets and targets_equal_difficulty.csv)."""
    table = review_table(review, data)
    flagged = table[table["flags"] != ""]
    sheets = {"会审表 Review": with_sign_off(sheet_table(table)),
              "标记 Flags": with_sign_off(sheet_table(flagged)),
              "难度差异 Difficulty": labelled(spread_table(review), data)}
    csv = {"targets_review.csv": table}
    if equal is not None:
        sheets["等难度目标 Equal difficulty"] = labelled(equal_table(equal), data)
        csv["targets_equal_difficulty.csv"] = labelled(equal, data)
    return Report(csv=csv, workbook="targets_review.xlsx", sheets=sheets, headers=TARGET_REVIEW_HEADERS,
                  manifest=dict(manifest or {}))


def flag_counts(review: pd.DataFrame) -> pd.DataFrame:
    """How many targets carry each flag, per group (flags named in Chinese and English)."""
    rows = []
    for group, part in review.groupby("group", sort=False):
        for c in FLAGS:
            rows.append({"group": group, "flag": f"{FLAG_NAMES[c][0]} {FLAG_NAMES[c][1]}",
                         "targets": int(part[f"flag_{c}"].sum()), "of": len(part)})
    return pd.DataFrame(rows)


def solved_header(solution: Any, requested: Mapping[str, float]) -> str:
    """The comment on top of a scenario written by ``simkit solve-floats``: what was asked and what it gives."""
    year = solution.after.year
    asked = "，".join(f"{g} {v:+.2%}" for g, v in requested.items())
    pool = "不设奖金池 open-ended" if solution.pool is None else f"奖金池 pool {solution.pool:,.2f} 元 yuan"
    stated = "，".join(f"{g} {v:+.6%}" for g, v in solution.factors.items())
    lines = [f"# 浮动求解 solved floats ({year}): 实际浮动 realised {asked}; {pool}",
             f"# 规定浮动 stated factors: {stated}",
             "# 按当年等次求解；其他年份等次不同，实际浮动也不同 / solved for this year's grades; other years differ"]
    if solution.order_broken:
        lines.append(f"# 注意 note: 等次倒挂 grade order broken: {', '.join(solution.order_broken)}")
    return "\n".join(lines) + "\n"
