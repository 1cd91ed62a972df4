"""The Monte Carlo behind the consequence risk: the uncertainty analysis's problem run over consecutive years.

``RiskProblem`` is ``uncertainty.UncertaintyProblem`` (the same spec, input groups, seeded blocks of draws,
rule alternatives, weights and memory sizing) with two changes: the noise covers every year the rules read
for the *evaluated years* ``ts`` (the last K years up to the focus year, not the focus year alone), and a block
of draws is evaluated over all of ``ts`` at once with the look-back (``engine.evaluate.run`` with
``look_back=True``), so that the accountability ladder and the progress award run over the draw's own years.
Each observed cell (unit, indicator, year) gets one noise factor per draw, ``exp(sd·z)``, independent across
cells and years; a year's noisy value is read both as that year's result and by the later years' targets.

``RiskTally`` adds up a block: the uncertainty analysis's ``Tally`` of the focus year (ranks, grades,
payouts, award slots) plus the focus year's ladder steps, progress awards and bonus tiers, and the draws
with any step in any evaluated year.  Integer counts only, so that the same seed gives the same table for any
chunk size and number of threads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ...engine.compile import Inputs, Plan, inputs_of
from ...engine.evaluate import evaluate, evaluate_history, run
from ...engine.messages import issue_problems
from ...engine.result import VARIABLES, Result
from ...engine.stages import Issue, LeafStage, leaf_stage
from ...errors import EvaluationError, Problem, RuleInputError, ScenarioError
from ...io.dataset import Dataset
from ...rules.consequences import tier_grading
from ...rules.grading import assign_grades
from ...schema.scenario import Scenario
from ..stats import value_counts
from ..uncertainty import RunOptions, Tally, UncertaintyProblem, UncertaintySpec
from ..uncertainty.evaluate import Combo, Parts
from ..uncertainty.run import block_size, in_blocks, on_dask
from ..uncertainty.spec import SPEC_SOURCE

RISK_SOURCE = "risk"


def evaluated_years(plan: Plan, available: list[int], years: int | None) -> list[int]:
    """Year indices of the last ``years`` of the ``available`` ones (the years the scenario can evaluate up to the
    focus year, oldest first; default: all of them).

    >>> import simkit
    >>> from simkit.engine.compile import compile_plan
    >>> plan = compile_plan(simkit.load_scenario("yiyang_2018_reform"), simkit.load_data())
    >>> evaluated_years(plan, [4, 5, 6, 7], None), evaluated_years(plan, [4, 5, 6, 7], 2)
    ([4, 5, 6, 7], [6, 7])
    """
    if years is None:
        return list(available)
    if years < 1 or years > len(available):
        span = f"{plan.years[available[0]]}–{plan.years[available[-1]]}"
        raise ScenarioError(Problem(RISK_SOURCE, f"years = {years}: this scenario can evaluate {span} on these data "
                                    f"({len(available)} year(s))", f"give --years between 1 and {len(available)}, "
                                    "or leave it out", field="years"))
    return list(available[-years:])


def window_cells(cells: np.ndarray, cube_shape: tuple[int, int, int], plan: Plan, lo: int,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Noised data cells (flat indices into the data cube (U, L_data, T)) as positions in one draw's window of
    ``plan`` from year index ``lo`` on (laid out years × units × leaves, as ``Combo.noisy`` fills it), and their
    columns among the noise coordinates; cells of leaves the plan does not score or before ``lo`` are left out."""
    n_u, l_d, t_n = cube_shape
    tree = plan.tree
    inv = np.full(l_d, -1)
    inv[tree.leaf_data_index] = np.arange(tree.n_leaves)
    leaf_k = inv[(cells // t_n) % l_d]
    year = cells % t_n
    dim = np.flatnonzero((leaf_k >= 0) & (year >= lo))
    unit = cells[dim] // (l_d * t_n)
    pos = ((year[dim] - lo) * n_u + unit) * tree.n_leaves + leaf_k[dim]
    return pos, dim


def year_problems(plan: Plan, inputs: Inputs, issues: tuple[Issue, ...], ts: list[int],
                  note: str | None = None) -> list[Problem]:
    """The problems of cells the rules could not evaluate in the years ``ts`` (a note first, if any)."""
    problems: list[Problem] = []
    for issue in issues:
        mask = issue.mask
        if mask.ndim == 3:  # a scoring rule's refusal over (draws × years, U, k)
            mask = mask.reshape(-1, len(ts), *mask.shape[1:])
        one = replace(issue, mask=mask)
        for y, t in enumerate(ts):
            if mask[:, y].any():
                problems += issue_problems(plan, inputs, one, y, t)
    if problems and note:
        problems.insert(0, Problem(SPEC_SOURCE, note, "lower the noise, or fix the data below"))
    return list(dict.fromkeys(problems))


def _broadcast_leaf(leaf: LeafStage, n: int) -> LeafStage:
    """The observed data's leaf stage (one draw) seen as ``n`` draws (views, no copy)."""
    def wide(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.broadcast_to(a, (n, *a.shape[1:]))

    return replace(leaf, value=wide(leaf.value), share=wide(leaf.share), filled=wide(leaf.filled),
                   penalty=wide(leaf.penalty), excluded=wide(leaf.excluded))


class RiskProblem(UncertaintyProblem):
    """An uncertainty problem evaluated over the years ``ts`` (year indices, oldest first) with the look-back.

    ``years``: how many years up to the focus year (default: every year the scenario can evaluate).
    ``history`` is the engine's result of the observed data over ``ts`` (the nominal ladder).

    >>> import simkit
    >>> p = RiskProblem(simkit.load_scenario("yiyang_2018_reform"), spec={"noise": {"sd": 0.02}})
    >>> [p.data.years[t] for t in p.ts], p.dims > 0
    ([2015, 2016, 2017, 2018], True)
    >>> parts = p.evaluate(p.sample(0, 0, 0, 3))
    >>> parts[0][1]["step"].shape == (3, 4, p.n_units)
    True
    """

    noises_earlier_years = True  # ``ts`` and the noise window reach the years a smoothed score averages

    def __init__(self, scenario: Scenario, data: Dataset | None = None,
                 spec: UncertaintySpec | Mapping[str, Any] | None = None, year: int | None = None,
                 years: int | None = None) -> None:
        if data is None:
            from ...io.read import load_data

            data = load_data()
        year = year if year is not None else (scenario.year if scenario.year is not None else data.years[-1])
        # every year the observed data let the scenario evaluate up to the focus year (else the engine says why not)
        history = evaluate_history(scenario, data, tuple(y for y in data.years if y <= year))
        if year not in history:
            evaluate(scenario, data, year)  # raises the reason
        checked = history[year]
        base = checked.plan
        self.ts: list[int] = evaluated_years(base, [base.year_index(y) for y in history], years)
        super().__init__(scenario, base.data, spec, year)  # the units the scenario evaluates (its scope)
        if list(checked.years) == [base.years[k] for k in self.ts]:
            self.history: Result = checked
        else:  # the ladder starts from nothing in the first evaluated year, as in the draws
            self.history = run(base, inputs_of(base), self.ts)
        acc = scenario.consequences.accountability
        self.steps: tuple[str, ...] = acc.steps if acc is not None else ()
        self.steps_en: tuple[str, ...] = tuple(
            acc.steps_en[k] if k < len(acc.steps_en) else s for k, s in enumerate(acc.steps)) if acc else ()
        bonus = scenario.consequences.bonus
        self.tiers: tuple[str, ...] = tuple(x.name for x in bonus.tiers) if bonus is not None and \
            bonus.by == "tier" else ()

    # ------------------------------------------------------------------ the noise over every evaluated year
    def _first_scored(self, plan: Plan) -> int:
        """The first year index the engine scores for the evaluated years: the first of them, or with
        ``ranking.smooth_years`` = k the k − 1 years before it that the smoothed score averages (from the first
        year the rules can evaluate, as ``engine.stages.smooth_stage`` takes them)."""
        t0 = self.ts[0]
        k = plan.scenario.ranking.smooth_years
        return t0 if k <= 1 else min(max(plan.history, 0, t0 - k + 1), t0)

    def _resolve_noise(self, plan: Plan, noise: Any, first: int) -> np.ndarray:
        t0 = self._first_scored(plan)
        if noise.years == "evaluation":  # each scored year's own values
            return super()._resolve_noise(plan, noise.model_copy(update={"years": "all"}), t0)
        # ``first`` is the earliest year any alternative reads for the focus year; the first scored year
        # reads as far back from t0 (first_read(t) = max(t − back, 0))
        return super()._resolve_noise(plan, noise, max(first - (self.t - t0), 0))

    def _combo(self, key: tuple[int, ...], plan: Plan) -> Combo:
        t0 = self.ts[0]
        if plan.history > t0:
            raise ScenarioError(Problem(SPEC_SOURCE, f"a rule alternative needs {plan.history} year(s) before the "
                                        f"first evaluated year {plan.years[t0]}", "evaluate fewer years (--years)",
                                        field="choices"))
        c = super()._combo(key, plan)
        lo = plan.first_read(self._first_scored(plan))
        pos, dim = c.noise_pos, c.noise_dim
        if self.noise is not None:
            pos, dim = window_cells(self._noise_cells, self.data.cube.shape, plan, lo)
        leaf = leaf_stage(plan, c.inputs, self.ts, detail=False)
        problems = year_problems(plan, c.inputs, leaf.issues, self.ts)
        if problems:
            raise EvaluationError(problems)
        return replace(c, lo=lo, noise_pos=pos, noise_dim=dim, leaf=leaf)

    def bytes_per_draw(self) -> int:
        """Working memory of one draw: the uncertainty analysis's estimate of one year, times the years."""
        return super().bytes_per_draw() * len(self.ts)

    # ------------------------------------------------------------------ a block of draws, every year
    def evaluate(self, raw: Mapping[str, np.ndarray], *, money: bool = True, leaves: Any = None) -> Parts:
        """The engine's results over the years ``ts`` for a block of draws (``leaves`` is not used)."""
        parts: Parts = []
        for key, sel, sub in self._blocks(raw):
            c = self.combos[key]
            n = len(sel)
            if self.noise is None:
                inputs, leaf = c.inputs, _broadcast_leaf(c.leaf, n)
                if self._first_scored(c.plan) < self.ts[0]:  # smoothing scores earlier years with these weights
                    inputs = replace(inputs, values=np.broadcast_to(inputs.values, (n, *inputs.values.shape)))
            else:
                inputs = c.noisy(self.noise, sub[self.noise.label], self.t)
                leaf = leaf_stage(c.plan, inputs, self.ts, detail=False)
                if leaf.issues:
                    raise EvaluationError(year_problems(
                        c.plan, inputs, leaf.issues, self.ts,
                        f"with data noise (sd {self.noise.sd}), some draws cannot be evaluated"))
            try:
                r = run(c.plan, inputs, self.ts, weights=c.weights(self.groups, sub, n), leaf=leaf, detail=False,
                        money=money)
            except RuleInputError as exc:  # e.g. a geometric mean of a noisy 0
                raise EvaluationError(Problem(self.data.source, exc.message, exc.fix)) from None
            parts.append((sel, r))
        return parts

    def tier_codes(self, r: Result) -> np.ndarray:
        """(n, U) the bonus tier of each draw's unit in the focus year (index into the tiers; the tiers' count =
        in no tier, −1 = no rank), as ``rules.consequences.bonus_factor`` assigns it."""
        bonus = self.scenario.consequences.bonus
        assert bonus is not None
        return assign_grades(r["score"][:, -1], r["rank_lo"][:, -1], r["rank_hi"][:, -1], self.group_codes,
                             tier_grading(bonus))


def focus_view(r: Result) -> Result:
    """The same result with the last year only (what the one-year tallies read).

    >>> import simkit
    >>> focus_view(simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))).years
    (2018,)
    """
    variables = {k: (v[:, -1:] if "year" in VARIABLES[k] else v) for k, v in r.variables.items()}
    return replace(r, years=r.years[-1:], variables=variables, focus=-1)


# ================================================================================================ tallies
@dataclass
class RiskTally:
    """Exact counts over some draws: ``focus`` (the uncertainty analysis's tally of the focus year), ``steps``
    (U, S + 1) draws with ladder step s − 1 in the focus year (column 0: none), ``ever`` (U,) draws with a
    step in any evaluated year, ``progress`` (U,) draws with a progress award in the focus year, ``tiers``
    (U, T + 2) draws in bonus tier k (then: in no tier, no rank)."""

    focus: Tally
    steps: np.ndarray
    ever: np.ndarray
    progress: np.ndarray | None = None
    tiers: np.ndarray | None = None

    @classmethod
    def zeros(cls, p: RiskProblem, options: RunOptions) -> RiskTally:
        u = p.n_units
        return cls(Tally.zeros(p, options), np.zeros((u, len(p.steps) + 1), dtype=np.int64),
                   np.zeros(u, dtype=np.int64),
                   np.zeros(u, dtype=np.int64) if p.scenario.consequences.progress is not None else None,
                   np.zeros((u, len(p.tiers) + 2), dtype=np.int64) if p.tiers else None)

    @classmethod
    def of(cls, p: RiskProblem, parts: Parts, start: int, options: RunOptions) -> RiskTally:
        """The tally of a block of draws (``start`` = its first draw's index)."""
        out = cls.zeros(p, options)
        out.focus = Tally.of(p, [(sel, focus_view(r)) for sel, r in parts], start, options)
        for _, r in parts:
            if "step" in r:
                step = r["step"]
                out.steps += value_counts(step[:, -1] + 1, len(p.steps) + 1)
                out.ever += (step >= 0).any(axis=1).sum(axis=0)
            else:
                out.steps[:, 0] += len(r["rank"])
            if out.progress is not None and "progress_award" in r:
                out.progress += r["progress_award"][:, -1].sum(axis=0)
            if out.tiers is not None:
                tier = p.tier_codes(r)
                out.tiers += value_counts(np.where(tier < 0, len(p.tiers) + 1, tier), len(p.tiers) + 2)
        return out

    def add(self, other: RiskTally) -> RiskTally:
        """Add ``other`` into this tally (integers: any order gives the same total); returns self."""
        self.focus.add(other.focus)
        self.steps += other.steps
        self.ever += other.ever
        if self.progress is not None and other.progress is not None:
            self.progress += other.progress
        if self.tiers is not None and other.tiers is not None:
            self.tiers += other.tiers
        return self


# ================================================================================================ running
def risk_chunk(p: RiskProblem, options: RunOptions, start: int, stop: int) -> RiskTally:
    """The tally of draws ``start:stop`` (a module-level function, so that a dask worker can run it)."""
    return RiskTally.of(p, p.evaluate(p.sample(options.seed, 0, start, stop)), start, options)


def run_risk(p: RiskProblem, options: RunOptions, client: Any = None) -> RiskTally:
    """Every block of draws (sized by ``uncertainty.run.block_size`` from the memory budget), on
    ``options.workers`` threads (default: the CPUs, at most 8), a few blocks in flight, merged as they finish;
    with a dask.distributed ``client``, on its workers instead (the problem sent once).  Integer tallies: the
    same seed gives the same total for any blocks, threads or back-end."""
    n_threads = min(os.cpu_count() or 1, 8) if options.workers is None else max(int(options.workers), 1)
    if client is not None:
        n_threads = max(sum(client.nthreads().values()), 1)
    step = block_size(p, options, n_threads)
    bounds = [(a, min(a + step, options.draws)) for a in range(0, options.draws, step)]
    total = RiskTally.zeros(p, options)
    if client is not None:
        on_dask(client, risk_chunk, p, options, bounds, lambda tally, _: total.add(tally))
    else:
        in_blocks(lambda a, b: risk_chunk(p, options, a, b), bounds, n_threads, lambda tally, _: total.add(tally))
    return total


