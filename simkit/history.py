"""Consequences that look back a year or more: progress awards (进步奖) and the accountability ladder
(约谈 → 诫勉谈话 → 调整岗位), and evaluation of every year the data allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .consequences import Accountability, Progress
from .ranking import group_rank


@dataclass(frozen=True)
class LookBack:
    """Per unit (aligned with the data's units): progress award, rank and score change, bottom streak, step."""

    previous_rank: np.ndarray  # float, NaN where the unit was not ranked last year
    rank_gain: np.ndarray  # places gained (positive = up)
    score_gain: np.ndarray
    progress_award: np.ndarray  # bool
    bottom_streak: np.ndarray  # int, consecutive years in the bottom tier including this one
    step: tuple[str, ...]  # accountability step, "" for none
    step_en: tuple[str, ...]


def look_back(rank: np.ndarray, score: np.ndarray, grade_names: list[str | None], vetoed: np.ndarray,
              group_codes: np.ndarray, previous: LookBack | None, prev_rank: np.ndarray | None,
              prev_score: np.ndarray | None, progress: Progress | None, accountability: Accountability | None,
              veto_progress: str) -> LookBack:
    """Compare with last year's ranks and scores (None: no previous year) and advance the ladder."""
    n = len(rank)
    pr = np.full(n, np.nan) if prev_rank is None else prev_rank
    ps = np.full(n, np.nan) if prev_score is None else prev_score
    rank_gain = pr - rank
    score_gain = score - ps
    award = np.zeros(n, dtype=bool)
    if progress is not None and prev_rank is not None:
        allowed = ~np.isin(np.array(grade_names, dtype=object), list(progress.exclude_grades))
        if veto_progress == "exclude":
            allowed &= ~vetoed
        if progress.rule == "places":
            award = allowed & (rank_gain >= progress.min_places)
        else:
            gain = np.where(allowed & (score_gain > progress.min_gain), score_gain, np.nan)
            place = group_rank(gain, group_codes, "min")
            award = place <= progress.top_n
    streak = np.zeros(n, dtype=int)
    steps = [""] * n
    steps_en = [""] * n
    if accountability is not None:
        bottom = np.isin(np.array(grade_names, dtype=object), list(accountability.bottom_grades))
        before = previous.bottom_streak if previous is not None else np.zeros(n, dtype=int)
        streak = np.where(bottom, before + 1, 0)
        for i in np.flatnonzero(streak):
            k = min(int(streak[i]), len(accountability.steps)) - 1
            steps[i] = accountability.steps[k]
            steps_en[i] = accountability.steps_en[k] if k < len(accountability.steps_en) else steps[i]
    return LookBack(pr, rank_gain, score_gain, award, streak, tuple(steps), tuple(steps_en))


def long_table(results: dict[int, object]) -> pd.DataFrame:
    """Every year's per-unit table stacked (one row per unit and year)."""
    return pd.concat([r.units for r in results.values()], ignore_index=True)  # type: ignore[attr-defined]
