"""Fairness of a ranking: does the rank still mirror size?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from .errors import Problem, SimkitError


def size_of(result, size: str) -> pd.Series:  # noqa: ANN001
    """A size measure per unit: a unit attribute, or a leaf indicator's value in the evaluation year."""
    data = result.data
    if size in data.units.columns and size in data.attributes:
        return data.units.set_index("unit")[size].astype(float)
    if size in data.leaves:
        return data.value(size, result.year).astype(float)
    raise SimkitError(Problem(data.source, f"{size!r} is neither a unit attribute nor a leaf indicator",
                              f"use one of the attributes ({', '.join(data.attributes)}) or an indicator id",
                              field="size"))


def size_correlation(result, size: str) -> pd.DataFrame:  # noqa: ANN001
    """Per group: Spearman rho and Kendall tau between rank position and size rank (1 = largest).

    A value near 1 means the ranking follows size: the largest unit ranks first, the smallest last.
    Groups with fewer than 3 units with a size are left out.
    """
    u = result.units.set_index("unit")
    s = size_of(result, size).reindex(u.index)
    rows = []
    for group, part in u.groupby("group", sort=False):
        sz = s.loc[part.index]
        ok = sz.notna() & part["rank"].notna()
        if ok.sum() < 3:
            continue
        rank = part.loc[ok, "rank"].astype(float)
        size_rank = (-sz[ok]).rank(method="min")
        rows.append({"group": group, "units": int(ok.sum()), "size": size,
                     "spearman_rho": float(spearmanr(rank, size_rank).statistic),
                     "kendall_tau": float(kendalltau(rank, size_rank).statistic)})
    return pd.DataFrame(rows, columns=["group", "units", "size", "spearman_rho", "kendall_tau"])


def size_rho(result, size: str, group: str) -> float:  # noqa: ANN001
    """Spearman rho between rank and size in one group (NaN if the group has fewer than 3 sized units)."""
    table = size_correlation(result, size)
    hit = table[table["group"] == group]
    return float(hit["spearman_rho"].iat[0]) if len(hit) else float(np.nan)
