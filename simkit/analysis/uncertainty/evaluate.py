"""An uncertainty spec resolved against a scenario and a data set, and the evaluation of a block of draws.

``UncertaintyProblem`` compiles every combination of rule alternatives once (a ``Plan`` and its ``Inputs``
each, checked now so that a bad alternative fails early), resolves the input groups against the tree and the
data (which weights, which noised cells), and evaluates a block of draws through the engine's stages (as
``engine.evaluate.run`` chains them, less the look-back), all draws at once: without noise the leaf stage
(targets and scores) runs once per rule alternative and only the weights vary (the totals by collapsed leaf
weights, one product per missing-value pattern); with noise the leaf stage runs once per block on noisy
``Inputs``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from ...engine.compile import Inputs, Plan, check_year, compile_plan, inputs_of
from ...engine.evaluate import run
from ...engine.lean import Window, lean_leaf_stage, window
from ...engine.messages import issue_problems
from ...engine.result import Result
from ...engine.stages import Issue, LeafStage, leaf_stage
from ...errors import EvaluationError, Problem, RuleInputError, ScenarioError
from ...io.dataset import Dataset
from ...schema.levers import apply
from ...schema.scenario import Scenario
from .sample import (
    InputGroup,
    Raw,
    block_rows,
    choice_rows,
    draw,
    group_key,
    rows,
    salib_problem,
    select_nodes,
    sibling_sets,
    split_uniform,
    weight_group,
)
from .spec import SPEC_SOURCE, DataNoise, UncertaintySpec, as_spec, default_spec

#: A block's outcome: per combination of rule alternatives, the draws (indices into the block) and the
#: engine's result for them (draw axis = those draws, one year).
Parts = list[tuple[np.ndarray, Result]]
#: A block's leaf stages: per combination of rule alternatives, the inputs (noisy values) and the leaf stage of
#: its draws, to evaluate other weights on the same values.
Leaves = dict[tuple[int, ...], tuple[Inputs, LeafStage]]

MAX_COMBINATIONS = 512
#: Bytes of leaf-stage arrays per block with data noise (larger blocks gain nothing and leave the caches).
NOISE_BLOCK = 64 * 2**20
#: Bytes of noise factors and values handled at once when a block's noise is applied (stays in the CPU's cache).
FUSE_BYTES = 2**19
#: Draws per block without noise at least, however many units (fewer: the per-block overhead shows).
CACHE_MIN_DRAWS = 16
#: Bytes per (draws × units) array of a block without noise: about 1 ms of Python per block is then a few per
#: cent of its array work (4 MB on 100 units: 5,000 draws), while its sorts and gathers stay near the caches.
CACHE_BYTES = 4e6


@dataclass(frozen=True)
class Combo:
    """One combination of rule alternatives, compiled: its plan and inputs, the observed data's leaf stage
    of the evaluation year, and where the input groups land in its tree and its values."""

    key: tuple[int, ...]
    plan: Plan
    inputs: Inputs
    leaf: LeafStage  # the observed values' leaf stage (shares only)
    weight_idx: dict[str, np.ndarray]  # group label → tree indices of its nodes
    dirichlet_sets: dict[str, tuple[np.ndarray, ...]]  # group label → column subsets (siblings)
    nominal_p: dict[str, np.ndarray]  # Dirichlet: nominal proportion of each node within its sibling subset
    lo: int  # the first year index the rules read
    noise_pos: np.ndarray  # flat positions in one draw's window (years lo…t, units, leaves) of the noised cells
    noise_dim: np.ndarray  # their columns in the noise coordinates
    window: Window | None = None  # the lean leaf stage's layout of the evaluation year (None: the general stage)
    gather: np.ndarray | None = None  # per place of the window, its noise coordinate (the last + 1: no noise)
    unnoised: bool = False  # some places hold an observed value without noise (factor 1)

    def weights(self, groups: Sequence[InputGroup], raw: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """The tree's weights (n, N) of ``n`` draws with raw coordinates ``raw``."""
        nominal = self.plan.tree.weight
        w = np.broadcast_to(nominal, (n, len(nominal))).copy()
        for g in groups:
            if g.kind != "weights":
                continue
            x = raw[g.label]
            idx = self.weight_idx[g.label]
            if g.spec.distribution == "uniform":
                w[:, idx] = nominal[idx] * (1.0 + g.spec.spread * (2.0 * x - 1.0))
            else:  # Dirichlet: proportions within each sibling subset, relative to the nominal ones
                f = np.empty_like(x)
                for cols in self.dirichlet_sets[g.label]:
                    f[:, cols] = x[:, cols] / x[:, cols].sum(axis=1, keepdims=True) / self.nominal_p[g.label][cols]
                w[:, idx] = nominal[idx] * f
        return w

    def noisy(self, noise: DataNoise, z: np.ndarray, t: int) -> Inputs:
        """The inputs of draws with noise coordinates ``z`` (n, dim): values (n, U, L, T) with the noise applied
        to the years the rules read, in place in one array laid out year by year, so that the years outside the
        window are never written (they hold 0 and are not read)."""
        values = self.inputs.values
        u, n_l, n_t = values.shape
        n = z.shape[0]
        buf = np.zeros((n, n_t, u, n_l))
        window = buf[:, self.lo : t + 1]
        window[...] = np.moveaxis(values[:, :, self.lo : t + 1], 2, 0)
        zz = z if len(self.noise_dim) == z.shape[1] else z[:, self.noise_dim]
        f = np.multiply(zz, noise.sd)
        _factor(noise, f)
        flat = window.reshape(n, -1)  # a view: each draw's window is contiguous
        flat[:, self.noise_pos] *= f
        return replace(self.inputs, values=buf.transpose(0, 2, 3, 1))

    def noisy_rows(self, noise: DataNoise, z: np.ndarray) -> np.ndarray:
        """The values of draws with noise coordinates ``z`` (n, dim) laid out as ``window`` (n, window.size):
        a few draws at a time (in the CPU's cache), the noise factors computed in place, gathered to the places
        the lean leaf stage reads and multiplied by the observed values there; nothing else is written."""
        assert self.window is not None and self.gather is not None
        n, dim = z.shape
        rows = np.empty((n, self.window.size))
        step = max(1, min(n, FUSE_BYTES // (8 * (dim + self.window.size))))
        f = np.empty((step, dim + 1) if self.unnoised else (step, dim))
        f[:, dim:] = 1.0
        for a in range(0, n, step):
            b = min(a + step, n)
            core = f[: b - a, :dim]
            np.multiply(z[a:b], noise.sd, out=core)
            _factor(noise, core)
            out = rows[a:b]
            np.take(f[: b - a], self.gather, axis=1, out=out, mode="clip")
            out *= self.window.base
        return rows


def _factor(noise: DataNoise, x: np.ndarray) -> None:
    """sd·z → the noise factor, in place: exp(sd·z) (lognormal) or 1 + sd·z (normal)."""
    if noise.distribution == "lognormal":
        np.exp(x, out=x)
    else:
        x += 1.0


def _block_result(plan: Plan, inputs: Inputs, t: int, weights: np.ndarray, leaf: LeafStage, money: bool) -> Result:
    """The engine's result of a block of draws in year index ``t``: ``engine.evaluate.run`` with
    ``detail=False`` and without the look-back (progress awards, the accountability ladder), which compares
    with a year before that a block does not have and the tallies do not read (it would cost a third of the
    time of a block of the bundled reform)."""
    if plan.scenario.ranking.smooth_years > 1 and inputs.values.ndim == 3:  # earlier years, with these weights
        inputs = replace(inputs, values=np.broadcast_to(inputs.values, (len(weights), *inputs.values.shape)))
    return run(plan, inputs, [t], weights=weights, leaf=leaf, detail=False, money=money, look_back=False)


def _raise_issues(plan: Plan, inputs: Inputs, issues: Sequence[Issue], t: int, note: str | None = None) -> None:
    """The problems of cells the rules could not evaluate (in year index ``t``), as an ``EvaluationError``."""
    # a scoring rule's refusal comes as a (draws × years, U, k) mask; one year here: (draws, 1, U, k)
    issues = [replace(i, mask=i.mask.reshape(-1, 1, *i.mask.shape[1:])) if i.mask.ndim == 3 else i for i in issues]
    problems = [p for issue in issues for p in issue_problems(plan, inputs, issue, 0, t)]
    if problems:
        head = [Problem(SPEC_SOURCE, note, "lower the noise, or fix the data below")] if note else []
        raise EvaluationError(list(dict.fromkeys(head + problems)))


class UncertaintyProblem:
    """An ``UncertaintySpec`` resolved against a scenario and a data set: the input groups, the compiled rule
    alternatives and the evaluation of a block of draws.

    ``evaluate_uniform(X)`` evaluates the rows of a design of uniforms (columns in the order of
    ``salib_problem()``), e.g. SALib's Saltelli sample, so that any sampler or analyser can be used.

    >>> import simkit
    >>> p = UncertaintyProblem(simkit.load_scenario("yiyang_2018_reform"))
    >>> [g.label for g in p.groups][:2], p.dims
    (['weights:level1', 'weights:Q'], 44)
    >>> parts = p.evaluate(p.sample(0, 0, 0, 5))
    >>> parts[0][1]["rank"].shape
    (5, 1, 56)
    """

    #: Whether the data noise reaches the years before the evaluated one that a smoothed score averages
    #: (``analysis.risk.RiskProblem`` does; here a block is one year, so such a scenario is refused with noise).
    noises_earlier_years = False

    def __init__(self, scenario: Scenario, data: Dataset | None = None,
                 spec: UncertaintySpec | Mapping[str, Any] | None = None, year: int | None = None) -> None:
        if data is None:
            from ...io.read import load_data

            data = load_data()
        self.spec = default_spec(scenario, data) if spec is None else as_spec(spec)
        spec = self.spec
        base = compile_plan(scenario, data)
        full, data = data, base.data  # the units the scenario evaluates (its scope), as the plan has them
        self.data, self.scenario = data, scenario
        self.year = year if year is not None else (scenario.year if scenario.year is not None else data.years[-1])
        self.t = t = base.year_index(self.year)
        self.units = data.units
        self.n_units = len(self.units)
        self.group_codes = base.group_codes
        self.choices = spec.choices
        self.noise = spec.noise

        scenarios = self._alternatives(scenario)
        plans = {key: base if sc is scenario else compile_plan(sc, full) for key, sc in scenarios.items()}
        if spec.noise is not None and not self.noises_earlier_years and any(
                p.scenario.ranking.smooth_years > 1 for p in plans.values()):
            # the smoothed score averages earlier years' totals, which this analysis would read un-noised
            raise ScenarioError(Problem(SPEC_SOURCE, "data noise with ranking.smooth_years > 1: the smoothed "
                                        "score averages earlier years' totals, which this analysis does not noise",
                                        "use `simkit risk` (it noises every year the smoothed score averages), or "
                                        "vary the weights and rule choices only (no noise)", field="noise"))

        # Input groups, in spec order.
        tree = base.tree
        order = tuple(data.indicators["indicator"])
        groups: list[InputGroup] = []
        self._weight_nodes: dict[str, tuple[str, ...]] = {}
        for w in spec.weights:
            ids = select_nodes(tree, w, order)
            self._weight_nodes[w.label] = ids
            groups.append(weight_group(w, tree, ids))
        if spec.noise is not None:
            first = min(p.first_read(t) for p in plans.values())
            self._noise_cells = self._resolve_noise(base, spec.noise, first)
            d = len(self._noise_cells)
            groups.append(InputGroup(spec.noise.label, "noise", d, spec.noise, group_key(spec.noise.label),
                                     block_rows(d)))
        for c in self.choices:
            groups.append(InputGroup(c.label, "choice", 1, c, group_key(c.label), block_rows(1)))
        self.groups: tuple[InputGroup, ...] = tuple(groups)
        self.combos: dict[tuple[int, ...], Combo] = {key: self._combo(key, plan) for key, plan in plans.items()}
        self._check_consequences()

        # The nominal outcome: the engine's stages on the observed data (what `evaluate` gives for the year).
        self.plan = base
        inputs = inputs_of(base)
        check_year(base, inputs, t, self.year)
        try:
            self.nominal: Result = run(base, inputs, [t])
        except RuleInputError as exc:
            raise EvaluationError(Problem(data.source, exc.message, exc.fix)) from None
        _raise_issues(base, inputs, self.nominal.issues, t)
        self.nominal_rank = np.nan_to_num(self.nominal["rank"][0, 0], nan=0).astype(np.int64)
        self.group_size = np.bincount(self.group_codes)[self.group_codes].astype(float)
        self.max_rank = int(self.group_size.max())

    # ------------------------------------------------------------------ set-up
    def _alternatives(self, scenario: Scenario) -> dict[tuple[int, ...], Scenario]:
        """Every combination of rule alternatives applied to the scenario (checked now: a bad lever fails early)."""
        problems: list[Problem] = []
        out: dict[tuple[int, ...], Scenario] = {}
        for key in itertools.product(*[range(len(c.alternatives)) for c in self.choices]):
            sc = scenario
            try:
                for c, k in zip(self.choices, key, strict=True):
                    name, levers = list(c.alternatives.items())[k]
                    sc = apply(sc, levers)
            except ValueError as exc:  # pydantic's ValidationError is a ValueError
                msg = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                problems.append(Problem(SPEC_SOURCE, f"choice {c.name!r}, alternative {name!r}: the levers do not "
                                        f"give a valid scenario ({msg})",
                                        "correct the levers (an override is merged like `extends`)", field=c.label))
                continue
            out[key] = sc
        if len(out) > MAX_COMBINATIONS and not problems:
            problems.append(Problem(SPEC_SOURCE, f"{len(out)} combinations of rule alternatives",
                                    f"use fewer choices or alternatives (at most {MAX_COMBINATIONS} combinations)"))
        if problems:
            raise ScenarioError(list(dict.fromkeys(problems)))
        return out

    def _resolve_noise(self, plan: Plan, noise: DataNoise, first: int) -> np.ndarray:
        """Flat indices into the data cube (U, L_data, T) of the noised cells: observed values of the chosen
        indicators in the years the rules read (``first`` … the evaluation year), or in the evaluation year."""
        data = self.data
        if noise.indicators:
            bad = [i for i in noise.indicators if i not in data.leaves]
            if bad:
                raise ScenarioError(Problem(SPEC_SOURCE, f"noise names indicators that are not leaf indicators of the "
                                            f"data: {', '.join(bad)}", "name leaf indicator ids", field="noise"))
            cols = np.array([data.leaves.index(i) for i in noise.indicators])
        else:
            cols = np.asarray(plan.tree.leaf_data_index)
        years = np.arange(first, self.t + 1) if noise.years == "all" else np.array([self.t])
        cube = data.cube
        sel = np.zeros(cube.shape, dtype=bool)
        sel[np.ix_(np.arange(cube.shape[0]), cols, years)] = True
        sel &= np.isfinite(cube)
        return np.flatnonzero(sel.ravel())

    def _combo(self, key: tuple[int, ...], plan: Plan) -> Combo:
        t = self.t
        inputs = inputs_of(plan)
        check_year(plan, inputs, t, self.year)
        leaf = leaf_stage(plan, inputs, [t], detail=False)
        _raise_issues(plan, inputs, leaf.issues, t)
        tree = plan.tree
        weight_idx: dict[str, np.ndarray] = {}
        sets: dict[str, tuple[np.ndarray, ...]] = {}
        nominal_p: dict[str, np.ndarray] = {}
        problems = []
        for g in self.groups:
            if g.kind != "weights":
                continue
            missing = [n for n in self._weight_nodes[g.label] if n not in tree.nodes]
            if missing:
                problems.append(Problem(SPEC_SOURCE, f"{g.label}: a rule alternative has no node {', '.join(missing)}",
                                        "vary weights of nodes every alternative keeps", field=g.label))
                continue
            idx = np.array([tree.index(n) for n in self._weight_nodes[g.label]], dtype=int)
            weight_idx[g.label] = idx
            if g.spec.distribution == "dirichlet":
                sets[g.label] = sibling_sets(tree, idx)
                p = np.empty(len(idx))
                for cols in sets[g.label]:
                    w = tree.weight[idx[cols]]
                    p[cols] = w / w.sum() if w.sum() > 0 else 1.0 / len(cols)
                nominal_p[g.label] = p
        if problems:
            raise ScenarioError(problems)
        lo = plan.first_read(t)
        pos = dim = np.array([], dtype=np.int64)
        if self.noise is not None:  # the noised data cells as positions in this plan's window (years, U, L)
            _, l_d, t_n = self.data.cube.shape
            inv = np.full(l_d, -1)
            inv[tree.leaf_data_index] = np.arange(tree.n_leaves)
            cells = self._noise_cells
            leaf_k = inv[(cells // t_n) % l_d]
            year = cells % t_n
            dim = np.flatnonzero((leaf_k >= 0) & (year >= lo))
            u = cells[dim] // (l_d * t_n)
            pos = ((year[dim] - lo) * self.n_units + u) * tree.n_leaves + leaf_k[dim]
            win = window(plan, inputs, t)
            if win is not None:  # each place of the lean window: its noise coordinate, or none
                n_l, n_t = tree.n_leaves, inputs.values.shape[2]
                u_w, rest = np.divmod(win.cells, n_l * n_t)
                k_w, y_w = np.divmod(rest, n_t)
                data_cell = (u_w * l_d + np.asarray(tree.leaf_data_index)[k_w]) * t_n + y_w
                col = np.minimum(np.searchsorted(cells, data_cell), max(len(cells) - 1, 0))
                noised = (cells[col] == data_cell) if len(cells) else np.zeros(len(data_cell), dtype=bool)
                unnoised = bool((~noised & ~np.isnan(win.base)).any())
                gather = np.where(noised, col, len(cells) if unnoised else 0)  # a missing value stays missing
                return Combo(key, plan, inputs, leaf, weight_idx, sets, nominal_p, lo, pos, dim, win, gather,
                             unnoised)
        return Combo(key, plan, inputs, leaf, weight_idx, sets, nominal_p, lo, pos, dim)

    def _check_consequences(self) -> None:
        """Every alternative keeps the grades and the consequences (their parameters may change)."""
        first = next(iter(self.combos.values())).plan.scenario
        self.grade_names = tuple(g.name for g in first.grading.grades)
        self.grade_names_en = tuple(g.name_en or g.name for g in first.grading.grades)
        cons = first.consequences
        self.has_bonus, self.has_awards = cons.bonus is not None, cons.awards is not None
        problems = []
        for c in self.combos.values():
            sc = c.plan.scenario
            names = tuple(g.name for g in sc.grading.grades)
            cc = sc.consequences
            if names != self.grade_names:
                problems.append(Problem(SPEC_SOURCE, f"a rule alternative changes the grades to {', '.join(names)}",
                                        "keep the same grade names in every alternative (their quotas or bands may "
                                        "change)", field="choices"))
            if (cc.bonus is not None) != self.has_bonus or (cc.awards is not None) != self.has_awards:
                problems.append(Problem(SPEC_SOURCE, "a rule alternative adds or removes the bonus or the award slots",
                                        "keep the consequences in every alternative", field="choices"))
        if problems:
            raise ScenarioError(list(dict.fromkeys(problems)))

    # ------------------------------------------------------------------ designs
    @property
    def weight_nodes(self) -> dict[str, tuple[str, ...]]:
        """Per weight group, the node ids its coordinates stand for, in coordinate order."""
        return dict(self._weight_nodes)

    @property
    def dims(self) -> int:
        return sum(g.dim for g in self.groups)

    def salib_problem(self) -> dict[str, Any]:
        """A SALib problem: one uniform [0, 1] variable per coordinate, grouped by input group."""
        return salib_problem(self.groups)

    def sample(self, seed: int, stream: int, start: int, stop: int) -> Raw:
        """Raw coordinates of draws ``start:stop`` of matrix ``stream`` (0 = A, 1 = B), the same for any chunking."""
        return draw(self.groups, seed, stream, start, stop)

    def split_uniform(self, x: np.ndarray) -> Raw:
        """Raw coordinates from a design of uniforms whose columns follow ``salib_problem()``."""
        return split_uniform(self.groups, x)

    def evaluate_uniform(self, x: np.ndarray, chunk_size: int | None = None) -> dict[str, np.ndarray]:
        """Evaluate the rows of a uniform design: ``mean_abs_shift`` (n,) and ``rank`` (n, U)."""
        raw = self.split_uniform(x)
        n = len(next(iter(raw.values())))
        step = chunk_size or self.chunk_size()
        ranks = [self.ranks(self.evaluate(rows(raw, slice(a, a + step)), money=False), min(step, n - a))
                 for a in range(0, n, step)]
        r = np.concatenate(ranks)
        return {"mean_abs_shift": np.abs(r - self.nominal_rank).sum(axis=1) / self.n_units, "rank": r}

    # ------------------------------------------------------------------ memory
    def bytes_per_draw(self) -> int:
        """Working memory of one draw in a block (bytes), about: the arrays of the stages after the leaves
        (units × a few dozen), the collapsed leaf weights (patterns × nodes), and with noise the values and the
        leaf stage's arrays (units × leaves × years read × a dozen)."""
        u = self.n_units
        per = 0
        for c in self.combos.values():
            tree = c.plan.tree
            have = ~np.isnan(c.leaf.share[0, 0])
            patterns = len(np.unique(have, axis=0)) if len(have) else 1
            ties = len(c.plan.scenario.ranking.tie_break)
            b = 8 * (u * (40 + (len(tree.nodes) if ties else 0)) + 4 * patterns * len(tree.nodes))
            if self.noise is not None:
                b += 8 * u * tree.n_leaves * (self.t - c.lo + 1 + 16)
            per = max(per, b)
        return int(per)

    def chunk_size(self, memory: float | None = None) -> int:
        """Draws per block: as many as fit in ``memory`` bytes (default: 1 GiB), and at most about ``CACHE_BYTES`` per
        (draws × units) array without noise, 64 MiB of leaf-stage arrays with noise, which keeps the working set
        near the CPU caches (fastest); with noise, a whole number of the noise's seeded blocks of draws where
        that fits (no block's normals are drawn in part, then dropped)."""
        per = max(self.bytes_per_draw(), 1)
        fit = int((2**30 if memory is None else float(memory)) // per)
        if self.noise is not None:
            k = int(np.clip(min(fit, NOISE_BLOCK // per), 1, 4096))
            seeded = next(g.block for g in self.groups if g.kind == "noise")
            if k < seeded:
                return k
            k = round(k / seeded) * seeded
            return k if k <= fit else fit // seeded * seeded
        n_nodes = max(len(c.plan.tree.nodes) for c in self.combos.values())
        ties = any(c.plan.scenario.ranking.tie_break for c in self.combos.values())
        # At least CACHE_MIN_DRAWS: with many units a block of 256 draws holds arrays of tens of MB, whose
        # sorts, gathers and histograms run out of cache (30,000 units: 2.3x the CPU per draw of 16 draws).
        cache = int(np.clip(CACHE_BYTES // (8 * self.n_units * (n_nodes if ties else 1)), CACHE_MIN_DRAWS, 16384))
        return max(1, min(cache, fit))

    # ------------------------------------------------------------------ evaluation of a block of draws
    def _blocks(self, raw: Mapping[str, np.ndarray]) -> list[tuple[tuple[int, ...], np.ndarray, Raw]]:
        """The draws of each combination of rule alternatives: its key, their indices, their coordinates."""
        n = len(next(iter(raw.values())))
        return [(key, sel, dict(raw) if len(sel) == n else rows(raw, sel))
                for key, sel in choice_rows(self.choices, raw, n)]

    def leaves(self, raw: Mapping[str, np.ndarray]) -> Leaves:
        """The inputs and the leaf stage (targets and scores) of a block's draws, per combination of rule
        alternatives: with data noise, computed on the noisy values; without, the observed data's."""
        return {key: self._leaf(self.combos[key], sub) for key, _, sub in self._blocks(raw)}

    def _leaf(self, c: Combo, raw: Mapping[str, np.ndarray]) -> tuple[Inputs, LeafStage]:
        """Without noise, the observed data's; with noise, the lean leaf stage on the noisy window (the result
        keeps the observed inputs: what the later stages read of them, adjustments, has no noise), else, or
        when a draw has a cell to report, the general stage on the noisy values."""
        if self.noise is None:
            return c.inputs, c.leaf
        z = raw[self.noise.label]
        if c.window is not None:
            lean = lean_leaf_stage(c.plan, c.inputs, c.window, c.noisy_rows(self.noise, z))
            if lean is not None:
                return c.inputs, lean
        inputs = c.noisy(self.noise, z, self.t)
        leaf = leaf_stage(c.plan, inputs, [self.t], detail=False)
        _raise_issues(c.plan, inputs, leaf.issues, self.t,
                      f"with data noise (sd {self.noise.sd}), some draws cannot be evaluated")
        return inputs, leaf

    def evaluate(self, raw: Mapping[str, np.ndarray], *, money: bool = True, leaves: Leaves | None = None) -> Parts:
        """The engine's results for a block of draws given their raw coordinates: per combination of rule
        alternatives, the draws' indices in the block and one ``Result`` for them (all draws at once).

        ``leaves`` (from ``leaves``) evaluates on the leaf stages of draws with the same noise and rule choices
        (the A matrix's, for a Saltelli matrix that takes only weights from B).
        """
        parts: Parts = []
        for key, sel, sub in self._blocks(raw):
            c = self.combos[key]
            inputs, leaf = self._leaf(c, sub) if leaves is None else leaves[key]
            try:
                r = _block_result(c.plan, inputs, self.t, c.weights(self.groups, sub, len(sel)), leaf, money)
            except RuleInputError as exc:  # e.g. a geometric mean of a noisy 0
                raise EvaluationError(Problem(self.data.source, exc.message, exc.fix)) from None
            parts.append((sel, r))
        return parts

    def ranks(self, parts: Parts, n: int) -> np.ndarray:
        """The ranks (n, U) of a block's draws as integers (0 = no rank), in draw order."""
        if len(parts) == 1:
            return np.nan_to_num(parts[0][1]["rank"][:, 0], nan=0).astype(np.int64)
        out = np.empty((n, self.n_units), dtype=np.int64)
        for sel, r in parts:
            out[sel] = np.nan_to_num(r["rank"][:, 0], nan=0).astype(np.int64)
        return out
