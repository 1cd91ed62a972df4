"""Would we punish the wrong leader?  A tenure simulation of the accountability ladder (问责错配率).

Each path is one possible future of every unit over a leader's tenure (the years after the data's last one):

- **Latent performance**: the unit's own trend and volatility from its history, as ``analysis.dynamics``
  projects it (``growth_model``: ``x_t = x_{t−1} · exp(μ + σ·ε)`` per unit and indicator, μ and σ the mean and
  sd of the unit's own log growth; the same seeded blocks, so a seed gives the same latent paths as
  ``dynamics.project`` and every scheme sees the same paths).
- **Observed data** = latent × measurement noise: every value of every tenure year multiplied by
  ``exp(sd·z)``, z standard normal, independent per path, unit, indicator and year (seeded blocks of their
  own: the same noise for every scheme).  The observed years before the tenure are as observed.
- Each scheme is evaluated twice on every path, with the same rules (targets, scores, totals, ranks, grades,
  the ladder): on the latent values (what the scheme would do if it saw the truth) and on the observed ones
  (what it does).  The tenure starts with a clean record (no bottom years before it).

Definitions (a leader = one unit on one path, over the first ``tenure`` years):

- **Latent bottom tier** in a year: the grade the scheme gives the unit *on the latent values* is one of the
  grades its accountability ladder counts as bottom (``accountability.bottom_grades``; ``analysis.outcomes``'
  default bottom tier).
- **False accountability**: a leader who is never in the latent bottom tier during the tenure is nevertheless
  held accountable (约谈 or any later step, on the observed values) at least once.  ``false_rate`` = such
  leaders / leaders never in the latent bottom tier.
- **Missed accountability**: a leader *persistently* in the latent bottom tier — in at least ``m`` of the
  tenure's years (default ``m = ceil(tenure/2)``, as ``analysis.persistence``) — is never held accountable
  during the tenure.  ``missed_rate`` = such leaders / persistent leaders.
- Intervals: Wilson score intervals (``stats.wilson``, ``level``) over the leaders counted, which treats them as
  independent (units on one path compete for the same bottom places, so this is approximate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ...engine.compile import Plan, check_year, compile_plan, inputs_of
from ...engine.evaluate import as_data, as_scenario, run
from ...engine.result import Result
from ...errors import Problem, SimkitError
from ...io.dataset import Dataset
from ..dynamics.growth import BLOCK, Block, extend_assigned, growth_model
from ..dynamics.paths import chunks, default_memory, make_parts, per_path_bytes, projected_inputs
from ..outcomes import bottom_of
from ..stats import default_m, wilson

#: The pooled row over every unit.
ALL = "all"
#: The first spawn-key entry of the measurement-noise stream (the growth paths use 0 and 1).
NOISE_STREAM = 2

COLUMNS = ["scenario", "tenure", "group", "paths", "leaders", "m", "clear", "false_count", "false_rate", "false_lo",
           "false_hi", "persistent", "missed_count", "missed_rate", "missed_lo", "missed_hi", "noise", "left_out"]


def measurement_noise(seed: int, block: int, rows: tuple[int, int], size: int, years: int, n_cells: int,
                      ) -> np.ndarray:
    """z (rows, years, n_cells) of rows a…b of one block of ``size`` paths: per year one seeded draw of the
    whole block (``SeedSequence(seed, spawn_key=(2, block, year))``), so the numbers do not depend on chunking.

    >>> a = measurement_noise(1, 0, (0, 4), 4, 2, 3); b = measurement_noise(1, 0, (2, 4), 4, 2, 3)
    >>> bool((a[2:] == b).all()), a.shape
    (True, (4, 2, 3))
    """
    a, b = rows
    out = np.empty((b - a, years, n_cells))
    for y in range(years):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(NOISE_STREAM, block, y)))
        out[:, y] = rng.standard_normal((size, n_cells))[a:b]
    return out


@dataclass
class _Counts:
    """Per tenure and unit: leaders never in the latent bottom, of them held accountable; leaders persistently
    in it, of them never held accountable; and the paths with cells left out."""

    clear: np.ndarray  # (n_tenures, U)
    false: np.ndarray
    persistent: np.ndarray
    missed: np.ndarray
    left_out: int = 0


@dataclass(frozen=True)
class _Setup:
    plan: Plan
    base: Any  # engine Inputs over observed and projected years
    growth: Any
    t0: int
    years: int
    tenures: tuple[int, ...]
    ms: tuple[int, ...]


def _setup(scenario: Any, data: Dataset, years: int, tenures: tuple[int, ...], m: int | None) -> _Setup:
    plan = compile_plan(scenario, data)
    data = plan.data  # the units the scenario evaluates (its scope)
    obs = inputs_of(plan)
    t0 = len(data.years)
    check_year(plan, obs, t0 - 1, data.years[-1])  # a unit with nothing to score cannot be projected
    growth = growth_model(plan, years)
    if any(rs.rule.target.rule == "assigned" for rs in plan.rule_sets):  # assigned targets grow at the drift
        asg = extend_assigned(obs.assigned, growth.mu, years, "drift", growth.lo, growth.hi)
    else:
        asg = np.concatenate([obs.assigned, np.full((*obs.assigned.shape[:2], years), np.nan)], axis=-1)
    ms = tuple(default_m(n) if m is None else int(m) for n in tenures)
    return _Setup(plan, projected_inputs(plan, asg, years), growth, t0, years, tenures, ms)


def _chunk(s: _Setup, blocks: dict[int, Block], segments: Sequence[tuple[int, int, int]], noise: float,
           seed: int, paths: int, counts: _Counts) -> None:
    """Draw a chunk's latent paths and noise, evaluate both, add the leaders' counts."""
    plan, t0, years = s.plan, s.t0, s.years
    b = sum(stop - a for _, a, stop in segments)
    values = s.base.values
    n_u, n_l, _ = values.shape
    x = np.empty((b, n_u, n_l, t0 + years))
    x[..., :t0] = values[..., :t0]
    cg = s.growth.of(np.arange(n_u), np.arange(n_l))
    streams = [blocks[k].draws(a, stop) for k, a, stop in segments]
    for y in range(years):
        got = [next(st) for st in streams]
        eps = got[0][0] if len(got) == 1 else np.concatenate([g[0] for g in got])
        shock = s.growth.shock_path[y] + (0.0 if got[0][1] is None else np.concatenate([g[1] for g in got]))
        cg.step(x[..., t0 + y - 1], eps, np.reshape(shock, (-1, 1, 1)), x[..., t0 + y])
    cells = s.growth.cells  # (U, L) column of each cell in the draws, −1: the leaf does not apply
    z = np.concatenate([measurement_noise(seed, k, (a, stop), min(BLOCK, paths - k * BLOCK), years,
                                          s.growth.n_cells) for k, a, stop in segments])
    factor = np.exp(noise * z[:, :, np.maximum(cells, 0)])  # (b, years, U, L)
    factor[:, :, cells < 0] = 1.0
    seen = x.copy()
    seen[..., t0:] *= np.moveaxis(factor, 1, -1)
    ts = list(range(t0, t0 + years))
    latent = run(plan, replace(s.base, values=x), ts, detail=False, money=False)
    del x
    observed = run(plan, replace(s.base, values=seen), ts, detail=False, money=False)
    del seen
    affected = np.zeros(b, dtype=bool)
    for r in (latent, observed):
        for issue in r.issues:
            affected |= np.asarray(issue.mask).reshape(b, -1).any(axis=1)
    counts.left_out += int(affected.sum())
    _add(s, latent, observed, counts)


def _add(s: _Setup, latent: Result, observed: Result, counts: _Counts) -> None:
    low = bottom_of(latent)  # (b, years, U)
    acted = observed["step"] >= 0
    for k, (n, m) in enumerate(zip(s.tenures, s.ms, strict=True)):
        bottom_years = low[:, :n].sum(axis=1)
        clear = bottom_years == 0
        persistent = bottom_years >= m
        held = acted[:, :n].any(axis=1)
        counts.clear[k] += clear.sum(axis=0)
        counts.false[k] += (clear & held).sum(axis=0)
        counts.persistent[k] += persistent.sum(axis=0)
        counts.missed[k] += (persistent & ~held).sum(axis=0)


def _simulate(scenario: Any, data: Dataset, tenures: tuple[int, ...], paths: int, noise: float, seed: int,
              m: int | None, memory: int | None) -> tuple[_Setup, _Counts]:
    years = max(tenures)
    s = _setup(scenario, data, years, tenures, m)
    n_u = len(s.plan.data.unit_ids)
    counts = _Counts(*(np.zeros((len(tenures), n_u), dtype=np.int64) for _ in range(4)))
    parts = make_parts(s.plan, s.base.assigned, s.growth, years, (), split=False)
    per_path = 2 * per_path_bytes(s.plan, parts, years, s.growth.n_cells, 0, False) + 16 * years * s.growth.n_cells
    blocks = {k: Block(seed, k, min(BLOCK, paths - k * BLOCK), years, s.growth.n_cells, s.growth.shock_sd)
              for k in range(math.ceil(paths / BLOCK))}
    for segments in chunks(paths, per_path, default_memory() if memory is None else int(memory)):
        _chunk(s, blocks, segments, noise, seed, paths, counts)
    return s, counts


def _rows(label: str, s: _Setup, c: _Counts, paths: int, noise: float, level: float) -> list[dict[str, Any]]:
    plan = s.plan
    codes = plan.group_codes
    groups = [(ALL, np.ones(len(codes), dtype=bool))] + [(g, codes == k) for k, g in enumerate(plan.group_names)]
    out = []
    for k, (n, m) in enumerate(zip(s.tenures, s.ms, strict=True)):
        for group, cols in groups:
            clear, false = int(c.clear[k, cols].sum()), int(c.false[k, cols].sum())
            pers, missed = int(c.persistent[k, cols].sum()), int(c.missed[k, cols].sum())
            row: dict[str, Any] = {"scenario": label, "tenure": n, "group": group, "paths": paths,
                                   "leaders": paths * int(cols.sum()), "m": m, "clear": clear, "false_count": false,
                                   "persistent": pers, "missed_count": missed, "noise": noise, "left_out": c.left_out}
            for name, hit, total in (("false", false, clear), ("missed", missed, pers)):
                rate = hit / total if total else np.nan
                lo, hi = wilson(rate, total, level) if total else (np.nan, np.nan)
                row[f"{name}_rate"], row[f"{name}_lo"], row[f"{name}_hi"] = rate, float(lo), float(hi)
            out.append(row)
    return out


def tenure_accountability(scenarios: Any, data: Dataset | str | None = None, *, tenure: int | Sequence[int] = 5,
                          paths: int = 500, noise: float = 0.02, seed: int = 0, m: int | None = None,
                          level: float = 0.9, memory: int | None = None) -> pd.DataFrame:
    """False and missed accountability of each scheme over leaders' tenures (see the module text).

    ``scenarios``: one scenario or several (objects, files or shipped names); ``tenure``: years of a tenure, or
    several (each is the first that many years of the same paths); ``paths``: latent futures; ``noise``: the sd of
    the log measurement error; ``m``: bottom years that make a leader persistently at the bottom (default
    ``ceil(tenure/2)``); ``memory``: bytes of working memory (it decides the chunks, never the numbers).

    One row per scheme, tenure and group (``all`` first): ``paths``, ``leaders`` (paths × units), ``m``, ``clear``
    (leaders never in the latent bottom tier) and ``false_count`` (of them held accountable), ``false_rate`` with
    its Wilson interval ``false_lo``/``false_hi``; ``persistent`` and ``missed_count``, ``missed_rate``,
    ``missed_lo``/``missed_hi``; ``noise``; ``left_out`` (paths on which some cell could not be scored and was
    left out).  ``attrs`` records the settings, and the schemes' labels (``labels``, the ``scenario`` column) and
    their English names (``labels_en``).

    >>> t = tenure_accountability("yiyang_2018_reform", tenure=(3, 5), paths=20, seed=1)
    >>> every = t[t["group"] == "all"]
    >>> every["tenure"].tolist(), bool((every["leaders"] == t[t["group"] != "all"].groupby("tenure")["leaders"].sum()
    ...                                 .to_numpy()).all())
    ([3, 5], True)
    >>> bool(t["false_rate"].between(0, 1).all())
    True
    """
    from ..outcomes import labels_of

    items = scenarios if isinstance(scenarios, list | tuple) else [scenarios]
    scs = [as_scenario(sc) for sc in items]
    data = as_data(data)
    tenures = tuple(sorted({int(tenure)} if np.ndim(tenure) == 0 else {int(n) for n in tenure}))  # type: ignore
    if not tenures or tenures[0] < 1 or paths < 1 or not noise >= 0:
        raise SimkitError(Problem("tenure", f"tenure {tenure}, paths {paths}, noise {noise}",
                                  "give tenures of 1 year or more, at least 1 path and a noise sd ≥ 0",
                                  field="tenure"))
    rows: list[dict[str, Any]] = []
    for sc, label in zip(scs, labels_of(scs), strict=True):
        if sc.consequences.accountability is None:
            raise SimkitError(Problem(sc.name, f"scenario {sc.name!r} has no accountability ladder",
                                      "add consequences.accountability, or leave this scenario out"))
        s, counts = _simulate(sc, data, tenures, int(paths), float(noise), int(seed), m, memory)
        rows += _rows(label, s, counts, int(paths), float(noise), level)
    out = pd.DataFrame(rows, columns=COLUMNS)
    labels = labels_of(scs)
    labels_en = labels_of([sc.model_copy(update={"name": sc.name_en or sc.name}) for sc in scs])
    out.attrs.update(tenures=tenures, paths=int(paths), noise=float(noise), seed=int(seed), level=level, m=m,
                     start=data.years[-1] + 1, labels=labels, labels_en=labels_en)  # the years after the data's last
    return out
