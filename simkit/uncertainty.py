"""Uncertainty and sensitivity of rankings (不确定性与敏感性分析), as the JRC/OECD composite-indicator practice does
it (Saisana, Saltelli & Tarantola 2005; OECD/JRC Handbook 2008).

Before money and careers hang on a rank, this says how much of that rank comes from arbitrary choices.  The
uncertain inputs are stated in a frozen, validated ``UncertaintySpec``:

- **weights** (``WeightUncertainty``): chosen tree levels, nodes or the children of nodes, each weight drawn
  uniformly within ±``spread`` of its nominal value (as COINr's ``get_sensitivity`` does), or the weights of
  each set of siblings drawn from a Dirichlet around their nominal proportions (mean = nominal, ``concentration``
  = α₀; the set keeps its nominal total);
- **data noise** (``DataNoise``): every observed value (the evaluation year and the years the targets read)
  multiplied by ``exp(sd·z)`` (lognormal, median 1, signs kept) or ``1 + sd·z`` (normal), ``z`` standard normal,
  independently per unit, indicator and year; assigned targets are not noised;
- **rule choices** (``RuleChoice``): named alternatives, each a scenario override applied with
  ``Scenario.override`` (target rule, increment/growth blend, aggregation, grading, ...), drawn with given
  probabilities (equal by default).

``run_uncertainty`` evaluates the whole pipeline (targets, scores, totals, ranks within groups, grades,
payouts, award slots) for a block of draws at once, never looping over draws in Python: without noise the
leaf stage (targets and scores) runs once per rule alternative; with noise it runs once per block.  An
all-arithmetic tree is collapsed into effective leaf weights per draw, so totals are one matrix product per
missing-value pattern.  Draws run in chunks (memory stays bounded) on one thread per CPU, or on a
dask.distributed cluster.

Reproducibility: each input group draws from its own ``numpy`` ``Generator`` per fixed block of draws, seeded
by ``SeedSequence(seed, spawn_key=(matrix, group, block))``.  The blocks do not depend on the chunk size; a
draw's arithmetic does not depend on the other draws of its chunk (the totals' products are summed in a fixed
order, not by BLAS, whose digits vary with the batch shape); and every statistic is accumulated exactly
(integer counts, payouts in whole fen).  So the same seed gives the same output, bit for bit, for any chunk
size and number of threads, locally or on a cluster.

Outputs (``UncertaintyResult``):

- ``rank_intervals``: per unit the nominal, median and mean rank and the 5% and 95% quantiles (numpy's default
  "linear" quantile = R's type 7, which COINr uses), the probability of each grade (``p_<grade>``), ``p_top``
  (first place of the group, ties included) and ``p_bottom`` (last place of the group, ties included), and the
  mean absolute rank shift against nominal;
- ``payout_intervals``: nominal, mean, median, 5% and 95% payout (yuan) and award slots per unit;
- ``mean_abs_shift``: the mean absolute rank shift against nominal over units and draws (R̄_S, Saisana 2005);
- ``sensitivity``: first-order and total-order Sobol indices of each named input group (``weights:Q``,
  ``noise``, ``choice:blend``, ...) for the **mean absolute rank shift** of a draw, with bootstrap confidence
  intervals; ``sobol_units`` gives the same for **each unit's rank**.  The estimator is the one SALib uses on a
  Saltelli design (Saltelli et al. 2010 first order on the centred output, Jansen total order), vectorised;
- ``main_effects``: each indicator's nominal weight against its main effect on the total across units
  (Paruolo, Saisana & Saltelli 2013);
- ``what_would_it_take(result, unit, indicator)``: the smallest change of one indicator that moves a unit up a
  grade under the nominal rules.

``replay_weights`` re-evaluates given weight sets (e.g. COINr's ``weight_sets_used``) exactly.
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .aggregation import all_arithmetic, leaf_weights
from .data import Dataset
from .engine import LeafStage, Model, TotalStage, compile_model, leaf_stage, rank_stage, total_stage, years_read
from .errors import EvaluationError, Problem, ScenarioError
from .payouts import money_stage
from .scenario import Scenario

__all__ = [
    "DataNoise",
    "InputGroup",
    "ReplayResult",
    "RuleChoice",
    "UncertaintyProblem",
    "UncertaintyResult",
    "UncertaintySpec",
    "WeightUncertainty",
    "WhatItTakes",
    "default_spec",
    "main_effects",
    "replay_weights",
    "run_uncertainty",
    "sobol_indices",
    "what_would_it_take",
]

SPEC_SOURCE = "uncertainty spec"


# ============================================================================================ the spec
class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightUncertainty(_Spec):
    """Weights of chosen tree nodes drawn around their nominal values.

    Select nodes by ``levels`` (tree depth: 1 = first-level indicators, 2 = their sub-indicators, ...),
    ``nodes`` (their own weights) and/or ``children_of`` (the weights of these nodes' children).  All
    selected weights form one input group for the Sobol indices, named ``name`` (default ``weights:<what>``).
    """

    name: str | None = Field(None, description="Input-group name, e.g. `weights:Q`.")
    levels: tuple[int, ...] = Field((), description="Tree depths whose nodes' weights vary (1 = first level).")
    nodes: tuple[str, ...] = Field((), description="Node ids whose own weights vary.")
    children_of: tuple[str, ...] = Field((), description="Node ids whose children's weights vary.")
    distribution: Literal["uniform", "dirichlet"] = Field(
        "uniform", description="`uniform`: each weight within ±spread of nominal (COINr); `dirichlet`: "
        "each set of selected siblings from a Dirichlet with mean = nominal proportions.")
    spread: float = Field(0.25, ge=0, lt=1, description="Uniform: relative half-width, 0.25 = ±25%.")
    concentration: float = Field(100.0, gt=0, description="Dirichlet: α₀ = sum of the parameters (larger = tighter).")

    @model_validator(mode="after")
    def _something(self) -> WeightUncertainty:
        if not (self.levels or self.nodes or self.children_of):
            raise ValueError("select weights by `levels`, `nodes` or `children_of`")
        if any(lv < 1 for lv in self.levels):
            raise ValueError("levels count from 1 (the first-level indicators); the root has no weight to vary")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        parts = [f"level{lv}" for lv in self.levels] + list(self.nodes) + list(self.children_of)
        return "weights:" + "+".join(parts)


class DataNoise(_Spec):
    """Multiplicative noise on the observed values (measurement error)."""

    sd: float = Field(gt=0, le=1, description="Standard deviation of the log factor (lognormal) or the factor.")
    distribution: Literal["lognormal", "normal"] = Field(
        "lognormal", description="`lognormal`: × exp(sd·z), median 1, signs kept; `normal`: × (1 + sd·z).")
    indicators: tuple[str, ...] = Field((), description="Leaf indicators with noise; default all of the tree.")
    years: Literal["all", "evaluation"] = Field(
        "all", description="`all`: every year up to the evaluation year (targets read earlier years); "
        "`evaluation`: the evaluation year only.")
    name: str = Field("noise", description="Input-group name.")

    @property
    def label(self) -> str:
        return self.name


class RuleChoice(_Spec):
    """A discrete rule choice: named alternatives, each a scenario override (``Scenario.override``)."""

    name: str = Field(description="Choice name; the input group is `choice:<name>`.")
    alternatives: dict[str, dict[str, Any]] = Field(
        description="Alternative name → override, e.g. {'50/50': {}, '40/60': {'indicators': {'Q': "
        "{'measures': {'increment': 0.4, 'growth': 0.6}}}}}. `{}` is the scenario as it is.", min_length=1)
    probabilities: tuple[float, ...] | None = Field(None, description="Probability of each alternative; default equal.")

    @model_validator(mode="after")
    def _probs(self) -> RuleChoice:
        p = self.probabilities
        if p is not None:
            if len(p) != len(self.alternatives):
                raise ValueError(f"choice {self.name}: {len(p)} probabilities for {len(self.alternatives)} "
                                 "alternatives")
            if any(x < 0 for x in p) or abs(sum(p) - 1.0) > 1e-9:
                raise ValueError(f"choice {self.name}: probabilities must be ≥ 0 and sum to 1")
        return self

    @property
    def label(self) -> str:
        return f"choice:{self.name}"

    @property
    def cumulative(self) -> np.ndarray:
        k = len(self.alternatives)
        p = np.full(k, 1.0 / k) if self.probabilities is None else np.asarray(self.probabilities, dtype=float)
        return np.cumsum(p)


class UncertaintySpec(_Spec):
    """The uncertain inputs: weight groups, data noise and rule choices (each a named input group)."""

    weights: tuple[WeightUncertainty, ...] = ()
    noise: DataNoise | None = None
    choices: tuple[RuleChoice, ...] = ()

    @model_validator(mode="after")
    def _groups(self) -> UncertaintySpec:
        labels = [w.label for w in self.weights] + ([self.noise.label] if self.noise else []) + [
            c.label for c in self.choices]
        if not labels:
            raise ValueError("state at least one uncertain input: weights, noise or choices")
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"input-group names must be unique; repeated: {', '.join(dup)}")
        return self

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple([w.label for w in self.weights] + ([self.noise.label] if self.noise else [])
                     + [c.label for c in self.choices])


def _spec_error(exc: ValidationError) -> ScenarioError:
    return ScenarioError([Problem(SPEC_SOURCE, e["msg"].removeprefix("Value error, "),
                                  "correct the uncertainty spec (see simkit.uncertainty)",
                                  field=".".join(str(p) for p in e["loc"]) or None) for e in exc.errors()])


def default_spec(scenario: Scenario, data: Dataset | None = None, *, spread: float = 0.25,
                 noise: float | None = None, distribution: str = "uniform") -> UncertaintySpec:
    """The usual JRC-style spec: first-level weights (``weights:level1``) and, for each first-level node with
    children, its children's weights (``weights:<node>``), uniform within ±spread; optional lognormal noise.

    >>> import simkit
    >>> spec = default_spec(simkit.load_scenario("yiyang_2018_reform"))
    >>> spec.labels
    ('weights:level1', 'weights:Q', 'weights:B', 'weights:P', 'weights:S')
    """
    from .data import load_data

    data = load_data() if data is None else data
    tree = compile_model(scenario, data).tree
    order = {n: k for k, n in enumerate(data.indicators["indicator"])}
    firsts = sorted((n for k, n in enumerate(tree.nodes) if tree.depth[k] == 1 and len(tree.children[k])),
                    key=lambda n: order.get(n, len(order)))
    try:
        groups = [WeightUncertainty(levels=(1,), distribution=distribution, spread=spread)]
        groups += [WeightUncertainty(name=f"weights:{n}", children_of=(n,), distribution=distribution, spread=spread)
                   for n in firsts]
        return UncertaintySpec(weights=tuple(groups), noise=DataNoise(sd=noise) if noise else None)
    except ValidationError as exc:
        raise _spec_error(exc) from None


# ======================================================================================= input groups
@dataclass(frozen=True)
class InputGroup:
    """One named group of uncertain inputs: its kind and how many random coordinates one draw uses."""

    label: str
    kind: Literal["weights", "noise", "choice"]
    dim: int
    spec: Any = field(repr=False)
    key: int = field(repr=False)  # stream key of the group: a stable hash of its label
    block: int = field(repr=False)  # draws per seeded block
    alpha: np.ndarray | None = field(default=None, repr=False)  # Dirichlet parameters (dim,)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Raw coordinates of ``n`` draws: uniforms (weights, choices), gamma variates (Dirichlet), normals."""
        if self.kind == "noise":
            return rng.standard_normal((n, self.dim))
        if self.kind == "weights" and self.spec.distribution == "dirichlet":
            return rng.gamma(self.alpha, size=(n, self.dim))
        return rng.random((n, self.dim))

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        """Raw coordinates from uniforms in [0, 1] (a design such as SALib's Saltelli sample)."""
        from scipy import special

        u = np.asarray(u, dtype=float)
        if self.kind == "noise":
            return special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
        if self.kind == "weights" and self.spec.distribution == "dirichlet":
            return special.gammaincinv(self.alpha, np.clip(u, 1e-12, 1 - 1e-12))
        return u


#: Draws per seeded block: a power of two up to 4096, about 2**18 random numbers per block.
def _block_rows(dim: int) -> int:
    return int(min(4096, max(32, 2 ** int(np.log2(max(2**18 // max(dim, 1), 1))))))


@dataclass
class _Combo:
    """One combination of rule alternatives: its compiled model and what the fast path needs."""

    key: tuple[int, ...]
    model: Model
    leaf0: LeafStage  # leaf stage on the observed data
    have: np.ndarray  # (U, L) leaves with a score
    fast: bool  # all-arithmetic tree: totals by collapsed leaf weights
    patterns: np.ndarray  # (P, L)
    pattern_id: np.ndarray  # (U,)
    pattern_units: tuple[np.ndarray, ...]
    tie_nodes: tuple[int, ...]  # tree indices of the tie-break nodes
    weight_idx: dict[str, np.ndarray]  # group label → tree indices of its nodes
    dirichlet_sets: dict[str, tuple[np.ndarray, ...]]  # group label → column subsets (siblings)
    nominal_p: dict[str, np.ndarray]  # Dirichlet: nominal proportion of each node within its sibling subset
    noise_pos: np.ndarray  # flat positions in model.values (U, L, T) of the noised cells this model sees
    noise_dim: np.ndarray  # their columns in the noise coordinates


@dataclass
class Outcome:
    """Per draw and unit: rank (scenario's tie rule), tie block, grade code, total, payout and award slots."""

    rank: np.ndarray  # (n, U) float, NaN without a total
    rank_lo: np.ndarray
    rank_hi: np.ndarray
    grade: np.ndarray  # (n, U) int, −1 none
    final: np.ndarray  # (n, U)
    payout: np.ndarray | None = None  # (n, U) yuan, unrounded
    slots: np.ndarray | None = None  # (n, U) int


# ================================================================================ the resolved problem
class UncertaintyProblem:
    """An ``UncertaintySpec`` resolved against a scenario and a data set: the input groups, the compiled rule
    alternatives and the vectorised evaluation of a block of draws.

    ``evaluate_uniform(X)`` evaluates the rows of a design of uniforms (columns in the order of
    ``salib_problem()``), e.g. SALib's Saltelli sample, so that any sampler or analyser can be used.
    """

    def __init__(self, scenario: Scenario, data: Dataset | None = None, spec: UncertaintySpec | None = None,
                 year: int | None = None) -> None:
        from .data import load_data

        self.data = load_data() if data is None else data
        self.scenario = scenario
        self.spec = default_spec(scenario, self.data) if spec is None else spec
        base = compile_model(scenario, self.data, year)
        self.year = base.year
        self.units = self.data.units
        self.n_units = len(self.units)
        self.group_codes = base.group_codes
        spec = self.spec

        # Rule alternatives: every combination compiled and checked now, so a bad override fails early.
        self.choices = spec.choices
        problems: list[Problem] = []
        self._scenarios: dict[tuple[int, ...], Scenario] = {}
        for key in itertools.product(*[range(len(c.alternatives)) for c in self.choices]):
            sc = scenario
            try:
                for c, k in zip(self.choices, key, strict=True):
                    name, change = list(c.alternatives.items())[k]
                    sc = sc.override(change) if change else sc
            except ValidationError as exc:
                problems.append(Problem(SPEC_SOURCE, f"choice {c.name!r}, alternative {name!r}: the override does not "
                                        f"give a valid scenario ({exc.errors()[0]['msg']})",
                                        "correct the override (it is merged like `extends`)", field=c.label))
                continue
            self._scenarios[key] = sc
        if len(self._scenarios) > 512 and not problems:
            problems.append(Problem(SPEC_SOURCE, f"{len(self._scenarios)} combinations of rule alternatives",
                                    "use fewer choices or alternatives (at most 512 combinations)"))
        if problems:
            raise ScenarioError(problems)

        models = {key: base if sc is scenario else compile_model(sc, self.data, self.year)
                  for key, sc in self._scenarios.items()}

        # Input groups, in spec order.
        tree = base.tree
        groups: list[InputGroup] = []
        self._weight_nodes: dict[str, tuple[str, ...]] = {}
        for w in spec.weights:
            ids = _select_nodes(tree, w, tuple(self.data.indicators["indicator"]))
            self._weight_nodes[w.label] = ids
            alpha = None
            if w.distribution == "dirichlet":
                idx = np.array([tree.index(n) for n in ids])
                alpha = np.empty(len(ids))
                for cols in _sibling_sets(tree, idx):
                    nominal = tree.weight[idx[cols]]
                    alpha[cols] = w.concentration * nominal / nominal.sum() if nominal.sum() > 0 else w.concentration
                if (alpha <= 0).any():
                    raise ScenarioError(Problem(SPEC_SOURCE, f"{w.label}: a Dirichlet needs nominal weights above 0",
                                                "leave zero-weight nodes out, or use `uniform`", field=w.label))
            groups.append(InputGroup(w.label, "weights", len(ids), w, _key(w.label), _block_rows(len(ids)), alpha))
        self.noise = spec.noise
        if spec.noise is not None:
            self._noise_cells = self._resolve_noise(base, spec.noise, min(map(_first_year_read, models.values())))
            d = len(self._noise_cells)
            groups.append(InputGroup(spec.noise.label, "noise", d, spec.noise, _key(spec.noise.label), _block_rows(d)))
        for c in self.choices:
            groups.append(InputGroup(c.label, "choice", 1, c, _key(c.label), _block_rows(1)))
        self.groups: tuple[InputGroup, ...] = tuple(groups)

        self._combos: dict[tuple[int, ...], _Combo] = {}
        for key, m in models.items():
            self._combo(key, m)
        first = next(iter(self._combos.values()))
        self.grade_names = tuple(g.name for g in first.model.scenario.grading.grades)
        self.grade_names_en = tuple(g.name_en or g.name for g in first.model.scenario.grading.grades)
        cons = first.model.scenario.consequences
        self.has_bonus, self.has_awards = cons.bonus is not None, cons.awards is not None
        self.slot_quota = int(cons.awards.quota) if cons.awards is not None else 0
        for c in self._combos.values():
            names = tuple(g.name for g in c.model.scenario.grading.grades)
            cc = c.model.scenario.consequences
            if names != self.grade_names:
                problems.append(Problem(SPEC_SOURCE, f"a rule alternative changes the grades to {', '.join(names)}",
                                        "keep the same grade names in every alternative (their quotas or bands may "
                                        "change)", field="choices"))
            if (cc.bonus is not None) != self.has_bonus or (cc.awards is not None) != self.has_awards:
                problems.append(Problem(SPEC_SOURCE, "a rule alternative adds or removes the bonus or the award slots",
                                        "keep the consequences in every alternative", field="choices"))
            if cc.awards is not None:
                self.slot_quota = max(self.slot_quota, int(cc.awards.quota))
        if problems:
            raise ScenarioError(list(dict.fromkeys(problems)))

        # The nominal outcome, by the engine's own stages (what `evaluate` gives).
        self.nominal_model = base
        leaf = leaf_stage(base)
        totals = total_stage(base, leaf)
        ranks = rank_stage(base, totals)
        money = money_stage(base, totals, ranks)
        self.nominal = Outcome(ranks.rank, ranks.rank_lo, ranks.rank_hi, ranks.grade, totals.final,
                               money.payout, money.slots)
        self.nominal_rank_int = np.nan_to_num(ranks.rank[0], nan=0).astype(np.int64)
        self.group_size = np.bincount(self.group_codes)[self.group_codes].astype(float)
        self.max_rank = int(self.group_size.max())

    # ------------------------------------------------------------------ set-up helpers
    def _resolve_noise(self, model: Model, noise: DataNoise, first: int) -> np.ndarray:
        """Flat indices into the data cube of the noised cells: observed values of the chosen indicators in the
        years the rules read (``first`` … the evaluation year), or in the evaluation year only."""
        data = self.data
        if noise.indicators:
            bad = [i for i in noise.indicators if i not in data.leaves]
            if bad:
                raise ScenarioError(Problem(SPEC_SOURCE, f"noise names indicators that are not leaf indicators of the "
                                            f"data: {', '.join(bad)}", "name leaf indicator ids", field="noise"))
            cols = np.array([data.leaves.index(i) for i in noise.indicators])
        else:
            cols = np.asarray(model.tree.leaf_data_index)
        t = model.t
        years = np.arange(first, t + 1) if noise.years == "all" else np.array([t])
        cube = data.cube
        sel = np.zeros(cube.shape, dtype=bool)
        sel[np.ix_(np.arange(cube.shape[0]), cols, years)] = True
        sel &= np.isfinite(cube)
        return np.flatnonzero(sel.ravel())

    def _combo(self, key: tuple[int, ...], model: Model | None = None) -> _Combo:
        if key in self._combos:
            return self._combos[key]
        sc = self._scenarios[key]
        m = model if model is not None else compile_model(sc, self.data, self.year)
        leaf0 = leaf_stage(m)
        tree = m.tree
        have = ~np.isnan(leaf0.share[0])
        patterns, pid = np.unique(have, axis=0, return_inverse=True)
        pid = np.asarray(pid).reshape(-1)
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
                sets[g.label] = _sibling_sets(tree, idx)
                p = np.empty(len(idx))
                for cols in sets[g.label]:
                    w = tree.weight[idx[cols]]
                    p[cols] = w / w.sum() if w.sum() > 0 else 1.0 / len(cols)
                nominal_p[g.label] = p
        if problems:
            raise ScenarioError(problems)
        noise_pos = noise_dim = np.array([], dtype=np.int64)
        if self.noise is not None:  # the noised data cells as positions in this model's values (U, L, T)
            _, l_d, t_n = self.data.cube.shape
            inv = np.full(l_d, -1)
            inv[tree.leaf_data_index] = np.arange(tree.n_leaves)
            cells = self._noise_cells
            leaf = inv[(cells // t_n) % l_d]
            noise_dim = np.flatnonzero(leaf >= 0)
            noise_pos = ((cells // (l_d * t_n))[noise_dim] * tree.n_leaves + leaf[noise_dim]) * t_n + (
                cells % t_n)[noise_dim]
        combo = _Combo(key, m, leaf0, have, all_arithmetic(tree), patterns, pid,
                       tuple(np.flatnonzero(pid == p) for p in range(len(patterns))),
                       tuple(tree.index(n) for n in m.scenario.ranking.tie_break), weight_idx, sets, nominal_p,
                       noise_pos, noise_dim)
        self._combos[key] = combo
        return combo

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
        names, groups = [], []
        for g in self.groups:
            names += [f"{g.label}[{k}]" for k in range(g.dim)]
            groups += [g.label] * g.dim
        return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names), "groups": groups}

    def sample(self, seed: int, stream: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """Raw coordinates of draws ``start:stop`` of matrix ``stream`` (0 = A, 1 = B), the same for any chunking."""
        out = {}
        for g in self.groups:
            bs = g.block
            first, last = start // bs, (stop - 1) // bs
            parts = [g.sample(np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                seed, spawn_key=(stream, g.key, k)))), bs) for k in range(first, last + 1)]
            block = parts[0] if len(parts) == 1 else np.concatenate(parts)
            out[g.label] = block[start - first * bs : stop - first * bs]
        return out

    def split_uniform(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Raw coordinates from a design of uniforms whose columns follow ``salib_problem()``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.dims:
            raise ValueError(f"the design has {x.shape[1]} columns; this problem has {self.dims}")
        out, k = {}, 0
        for g in self.groups:
            out[g.label] = g.from_uniform(x[:, k : k + g.dim])
            k += g.dim
        return out

    def evaluate_uniform(self, x: np.ndarray, chunk_size: int | None = None) -> dict[str, np.ndarray]:
        """Evaluate the rows of a uniform design: ``mean_abs_shift`` (n,) and ``rank`` (n, U)."""
        raw = self.split_uniform(x)
        n = len(next(iter(raw.values())))
        step = chunk_size or self.auto_chunk()
        shifts, ranks = [], []
        for a in range(0, n, step):
            out = self.evaluate({k: v[a : a + step] for k, v in raw.items()}, money=False)[0]
            r = np.nan_to_num(out.rank, nan=0).astype(np.int64)
            ranks.append(r)
            shifts.append(np.abs(r - self.nominal_rank_int).sum(axis=1))
        return {"mean_abs_shift": np.concatenate(shifts) / self.n_units, "rank": np.concatenate(ranks)}

    def auto_chunk(self) -> int:
        """Draws per chunk: with data noise, about 200 MB of leaf-stage arrays per chunk; without, one
        (draws × units) array of about 2 MB, which keeps the working set in the CPU caches (fastest)."""
        u = self.n_units
        if self.noise is not None:
            cube = self.data.cube
            return int(np.clip(200e6 // (u * cube.shape[1] * cube.shape[2] * 8 * 14), 16, 4096))
        n_nodes = max(len(c.model.tree.nodes) for c in self._combos.values())
        width = u * (n_nodes if any(c.tie_nodes for c in self._combos.values()) else 1)
        return int(np.clip(2e6 // (8 * width), 256, 16384))

    # ------------------------------------------------------------------ evaluation of a block of draws
    def evaluate(self, raw: Mapping[str, np.ndarray], *, money: bool = True,
                 leaf: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] | None = None,
                 ) -> tuple[Outcome, dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]]]:
        """Outcomes of a block of draws given their raw coordinates (all draws at once, per rule alternative).

        ``leaf`` reuses the leaf stage (targets and scores) of draws with the same noise and rule choices.
        Returns the outcome and the leaf stage used, by rule alternative.
        """
        n = len(next(iter(raw.values())))
        u = self.n_units
        keys = self._choice_keys(raw, n)
        used: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        if len(keys) == 1:  # one rule alternative for every draw: no scattering of rows
            return self._evaluate_key(keys[0][0], raw, keys[0][1], money, leaf, used), used
        out = Outcome(np.empty((n, u)), np.empty((n, u)), np.empty((n, u)), np.empty((n, u), dtype=int),
                      np.empty((n, u)), np.empty((n, u)) if money and self.has_bonus else None,
                      np.empty((n, u), dtype=np.int64) if money and self.has_awards else None)
        for key, rows in keys:
            part = self._evaluate_key(key, raw, rows, money, leaf, used)
            out.rank[rows], out.rank_lo[rows], out.rank_hi[rows] = part.rank, part.rank_lo, part.rank_hi
            out.grade[rows], out.final[rows] = part.grade, part.final
            if out.payout is not None:
                out.payout[rows] = part.payout
            if out.slots is not None:
                out.slots[rows] = part.slots
        return out, used

    def _evaluate_key(self, key: tuple[int, ...], raw: Mapping[str, np.ndarray], rows: np.ndarray, money: bool,
                      leaf: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] | None,
                      used: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]]) -> Outcome:
        """Outcomes of the draws ``rows``, which all use the rule alternative ``key``."""
        c = self._combo(key)
        if self.noise is None:
            share, value = c.leaf0.share, c.leaf0.value
        elif leaf is not None:
            share, value = leaf[key]
        else:
            z = raw[self.noise.label]
            ls = leaf_stage(c.model, self._noisy_values(c, z if len(rows) == len(z) else z[rows]))
            share, value = ls.share, ls.value
        used[key] = (share, value)
        w = self._weights(c, raw, rows)
        totals = self._totals(c, share, value, w)
        ranks = rank_stage(c.model, totals)
        out = Outcome(ranks.rank, ranks.rank_lo, ranks.rank_hi, ranks.grade, totals.final)
        if money and (self.has_bonus or self.has_awards):
            m = money_stage(c.model, totals, ranks)
            out.payout, out.slots = m.payout, m.slots
        return out

    def _choice_keys(self, raw: Mapping[str, np.ndarray], n: int) -> list[tuple[tuple[int, ...], np.ndarray]]:
        if not self.choices:
            return [((), np.arange(n))]
        idx = np.column_stack([
            np.minimum(np.searchsorted(c.cumulative, raw[c.label][:, 0], side="right"), len(c.alternatives) - 1)
            for c in self.choices])
        uniq, inv = np.unique(idx, axis=0, return_inverse=True)
        inv = np.asarray(inv).reshape(-1)
        return [(tuple(int(v) for v in row), np.flatnonzero(inv == k)) for k, row in enumerate(uniq)]

    def _noisy_values(self, c: _Combo, z: np.ndarray) -> np.ndarray:
        """The model's observed values (n, U, L, T) for draws with noise coordinates ``z``."""
        values = c.model.values
        n = z.shape[0]
        out = np.broadcast_to(values, (n, *values.shape)).copy()
        zz = z if len(c.noise_dim) == z.shape[1] else z[:, c.noise_dim]
        f = np.exp(self.noise.sd * zz) if self.noise.distribution == "lognormal" else 1.0 + self.noise.sd * zz
        out.reshape(n, -1)[:, c.noise_pos] *= f
        return out

    def _weights(self, c: _Combo, raw: Mapping[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        nominal = c.model.tree.weight
        w = np.broadcast_to(nominal, (len(rows), len(nominal))).copy()
        for g in self.groups:
            if g.kind != "weights":
                continue
            x = raw[g.label][rows] if len(rows) != len(raw[g.label]) else raw[g.label]
            idx = c.weight_idx[g.label]
            if g.spec.distribution == "uniform":
                w[:, idx] = nominal[idx] * (1.0 + g.spec.spread * (2.0 * x - 1.0))
            else:  # Dirichlet: proportions within each sibling subset, relative to the nominal ones
                f = np.empty_like(x)
                for cols in c.dirichlet_sets[g.label]:
                    f[:, cols] = x[:, cols] / x[:, cols].sum(axis=1, keepdims=True) / c.nominal_p[g.label][cols]
                w[:, idx] = nominal[idx] * f
        return w

    def _totals(self, c: _Combo, share: np.ndarray, value: np.ndarray, w: np.ndarray) -> TotalStage:
        """Totals of every draw; all-arithmetic trees by collapsed leaf weights (one product per pattern)."""
        m = c.model
        b, u = w.shape[0], share.shape[1]
        fast = c.fast and (share.shape[0] == 1 or np.array_equal(np.isnan(share), np.broadcast_to(~c.have,
                                                                                                   share.shape)))
        if not fast:
            return total_stage(m, LeafStage(value, {}, share), w)
        s = np.where(c.have, share, 0.0) * 100.0
        n_nodes = len(m.tree.nodes)

        def node_score(node: int | None) -> np.ndarray:
            e = leaf_weights(m.tree, w, c.patterns, node)  # (b, P, L)
            if s.shape[0] == 1:  # einsum, not BLAS: the same digits for a draw whatever the batch (chunk) size
                out = np.empty((b, u))
                for p, cols in enumerate(c.pattern_units):
                    if len(c.pattern_units) == 1:
                        np.einsum("bl,ul->bu", e[:, p, :], s[0], out=out, optimize=False)
                    else:
                        out[:, cols] = np.einsum("bl,ul->bu", e[:, p, :], s[0, cols], optimize=False)
            else:
                out = np.einsum("bul,bul->bu", e[:, c.pattern_id, :], s)
            alive = e.sum(axis=-1) > 0  # (b, P): some scored leaf under the node
            if not alive.all():
                out[~alive[:, c.pattern_id]] = np.nan
            return out

        root = node_score(None)
        base = root if m.scenario.total == 100.0 else root * (m.scenario.total / 100.0)
        if c.tie_nodes:
            scores = np.full((b, u, n_nodes), np.nan)
            for k in c.tie_nodes:
                scores[:, :, k] = node_score(k)
        else:
            scores = np.broadcast_to(np.float64(np.nan), (b, u, n_nodes))
        vetoed = np.zeros((b, u), dtype=bool)
        if m.veto_table.any():
            vetoed |= m.veto_table
        leaves = m.tree.leaves
        for cond in m.scenario.adjustments.veto.conditions:  # as total_stage does
            if cond.indicator not in leaves:
                continue
            v = value[..., leaves.index(cond.indicator)]
            with np.errstate(invalid="ignore"):
                if cond.at_least is not None:
                    vetoed |= v >= cond.at_least
                if cond.at_most is not None:
                    vetoed |= v <= cond.at_most
        bonus = np.broadcast_to(m.bonus, (b, u))
        deduction = np.broadcast_to(m.deduction, (b, u))
        final = base + bonus - deduction if m.bonus.any() or m.deduction.any() else base
        return TotalStage(scores, np.broadcast_to(np.float64(0.0), (b, u, n_nodes)), base, bonus, deduction, vetoed,
                          final)


def _first_year_read(model: Model) -> int:
    """Index of the earliest year any rule of the model reads."""
    back = years_read(model)
    return 0 if back is None else max(model.t - back, 0)


def _key(label: str) -> int:
    return zlib.crc32(label.encode("utf-8"))


def _select_nodes(tree: Any, w: WeightUncertainty, order: tuple[str, ...]) -> tuple[str, ...]:
    """The selected node ids, in the order of the data's indicators table (not the tree's inner order, which
    need not be the same from one run to the next), so that a seed always gives the same weights."""
    problems = []
    root = len(tree.nodes) - 1
    chosen: set[int] = set()
    for lv in w.levels:
        at = [k for k in range(root) if tree.depth[k] == lv]
        if not at:
            problems.append(Problem(SPEC_SOURCE, f"{w.label}: the tree has no level {lv} (its depths run 1–"
                                    f"{int(tree.depth.max())})", "choose an existing level", field=w.label))
        chosen.update(at)
    for n in w.nodes:
        if n not in tree.nodes or tree.index(n) == root:
            problems.append(Problem(SPEC_SOURCE, f"{w.label}: {n!r} is not a weighted node of this scenario's tree",
                                    "name a node id of the indicators table", field=w.label))
        else:
            chosen.add(tree.index(n))
    for n in w.children_of:
        if n not in tree.nodes or not len(tree.children[tree.index(n)]):
            problems.append(Problem(SPEC_SOURCE, f"{w.label}: {n!r} is not a node with children in this "
                                    "scenario's tree", "name a node that has sub-indicators", field=w.label))
        else:
            chosen.update(int(k) for k in tree.children[tree.index(n)])
    if problems:
        raise ScenarioError(problems)
    pos = {n: k for k, n in enumerate(order)}
    return tuple(sorted((tree.nodes[k] for k in chosen), key=lambda n: (pos.get(n, len(pos)), n)))


def _sibling_sets(tree: Any, idx: np.ndarray) -> tuple[np.ndarray, ...]:
    """Column subsets of ``idx`` that share a parent (each gets one Dirichlet)."""
    parents = tree.parent[idx]
    return tuple(np.flatnonzero(parents == p) for p in dict.fromkeys(parents.tolist()))


# ============================================================================================ running
@dataclass(frozen=True)
class _Plan:
    seed: int
    draws: int
    sobol_n: int
    payout_sample: int


@dataclass
class _Tally:
    """Exact, additive statistics of a chunk of draws (integers), plus per-draw rows kept by position."""

    start: int
    rank_hist: np.ndarray  # (U, R + 1) draws with rank r (0 = none)
    grade_hist: np.ndarray  # (U, K + 1) draws with grade k (K = none)
    last: np.ndarray  # (U,) draws ranked last in the group
    payout_fen: np.ndarray | None  # (U,) Σ payout in fen
    payout_rows: np.ndarray | None  # (m, U) payouts of the draws kept for quantiles
    slot_hist: np.ndarray | None  # (U, Q + 1)
    shift_rows: dict[str, np.ndarray] = field(default_factory=dict)  # Sobol: Σ_u |Δrank| of each draw, by matrix
    unit_sums: dict[str, np.ndarray] = field(default_factory=dict)  # Sobol on each unit's rank: integer sums


def _tally(p: UncertaintyProblem, out: Outcome, start: int, plan: _Plan) -> _Tally:
    n, u = out.rank.shape
    every = not np.isnan(out.rank).any()
    ranked = None if every else ~np.isnan(out.rank)
    r1, k1 = p.max_rank + 1, len(p.grade_names) + 1
    # one histogram of (unit, rank, grade): rank 0 = none, grade k1 − 1 = none
    idx = (out.rank if every else np.where(ranked, out.rank, 0.0)).astype(np.int64)
    idx *= k1
    idx += out.grade
    if not every or (out.grade < 0).any():
        idx += np.where(out.grade < 0, k1, 0)
    idx += np.arange(u) * (r1 * k1)
    joint = np.bincount(idx.ravel(), minlength=u * r1 * k1).reshape(u, r1, k1)
    rank_hist, grade_hist = joint.sum(axis=2), joint.sum(axis=1)
    if every:  # the last place of a group is its size
        last = np.count_nonzero(out.rank_hi == p.group_size, axis=0)
    else:
        n_ranked = np.zeros((n, u), dtype=np.int64)
        for code in np.unique(p.group_codes):
            cols = p.group_codes == code
            n_ranked[:, cols] = ranked[:, cols].sum(axis=1, keepdims=True)
        last = (ranked & (out.rank_hi == n_ranked)).sum(axis=0)
    fen = rows = slots = None
    if out.payout is not None:
        cents = np.multiply(out.payout, 100.0)
        np.rint(cents, out=cents)
        fen = cents.astype(np.int64).sum(axis=0)
        keep = max(0, min(n, plan.payout_sample - start))
        rows = out.payout[:keep].copy()
    if out.slots is not None:
        q1 = p.slot_quota + 1
        slots = np.bincount((np.clip(out.slots, 0, q1 - 1) + np.arange(u) * q1).ravel(),
                            minlength=u * q1).reshape(u, q1)
    return _Tally(start, rank_hist, grade_hist, last, fen, rows, slots)


def _run_chunk(p: UncertaintyProblem, plan: _Plan, start: int, stop: int) -> _Tally:
    """Evaluate draws ``start:stop`` (and, for those below ``sobol_n``, their Saltelli companions)."""
    raw_a = p.sample(plan.seed, 0, start, stop)
    s_stop = min(stop, plan.sobol_n)
    tallies = []
    if start < s_stop:  # draws that are also the A matrix of the Sobol design
        m = s_stop - start
        ra = {k: v[:m] for k, v in raw_a.items()}
        out_a, leaf_a = p.evaluate(ra)
        tallies.append(_tally(p, out_a, start, plan))
        f_a = np.nan_to_num(out_a.rank, nan=0).astype(np.int64)
        rb = p.sample(plan.seed, 1, start, s_stop)
        f_b = np.nan_to_num(p.evaluate(rb, money=False)[0].rank, nan=0).astype(np.int64)
        nominal = p.nominal_rank_int
        shifts = {"A": np.abs(f_a - nominal).sum(axis=1), "B": np.abs(f_b - nominal).sum(axis=1)}
        sums = {"all": f_a.sum(axis=0) + f_b.sum(axis=0), "AB": f_a.sum(axis=0) + f_b.sum(axis=0),
                "AB2": (f_a**2).sum(axis=0) + (f_b**2).sum(axis=0)}
        for g in p.groups:
            rab = dict(ra)
            rab[g.label] = rb[g.label]
            reuse = leaf_a if g.kind == "weights" and p.noise is not None else None
            f_ab = np.nan_to_num(p.evaluate(rab, money=False, leaf=reuse)[0].rank, nan=0).astype(np.int64)
            shifts[g.label] = np.abs(f_ab - nominal).sum(axis=1)
            sums["all"] = sums["all"] + f_ab.sum(axis=0)
            sums[f"p:{g.label}"] = (f_b * (f_ab - f_a)).sum(axis=0)
            sums[f"d:{g.label}"] = (f_ab - f_a).sum(axis=0)
            sums[f"q:{g.label}"] = ((f_a - f_ab) ** 2).sum(axis=0)
        tallies[0].shift_rows = shifts
        tallies[0].unit_sums = sums
    if s_stop < stop:
        rest = {k: v[max(0, s_stop - start):] for k, v in raw_a.items()}
        out = p.evaluate(rest)[0]
        tallies.append(_tally(p, out, max(start, s_stop), plan))
    return _merge(tallies)


def _merge(parts: list[_Tally]) -> _Tally:
    """Add tallies (integers: the order does not matter) and stack kept rows in draw order."""
    if len(parts) == 1:
        return parts[0]
    parts = sorted(parts, key=lambda t: t.start)
    first = parts[0]

    def add(name: str) -> np.ndarray | None:
        vals = [getattr(t, name) for t in parts]
        return None if vals[0] is None else np.sum(vals, axis=0)

    rows = None if first.payout_rows is None else np.concatenate([t.payout_rows for t in parts])
    shift_rows: dict[str, list[np.ndarray]] = {}
    unit_sums: dict[str, np.ndarray] = {}
    for t in parts:
        for k, v in t.shift_rows.items():
            shift_rows.setdefault(k, []).append(v)
        for k, v in t.unit_sums.items():
            unit_sums[k] = unit_sums[k] + v if k in unit_sums else v
    return _Tally(first.start, add("rank_hist"), add("grade_hist"), add("last"), add("payout_fen"), rows,
                  add("slot_hist"), {k: np.concatenate(v) for k, v in shift_rows.items()}, unit_sums)


def run_uncertainty(scenario: Scenario, data: Dataset | None = None, spec: UncertaintySpec | None = None,
                    draws: int = 1000, seed: int = 0, *, chunk_size: int | None = None, progress: bool = True,
                    client: Any = None, sobol: bool | int = True, year: int | None = None,
                    payout_sample: int = 20_000, workers: int | None = None) -> UncertaintyResult:
    """Monte Carlo over the spec's uncertain inputs; rank intervals, grade probabilities, Sobol indices.

    - ``draws``: Monte Carlo draws (the A matrix of the Saltelli design);
    - ``sobol``: True = Sobol indices on all draws (cost ``draws × (2 + groups)`` evaluations), an int = on
      the first that many draws, False = none;
    - ``chunk_size``: draws per chunk (default: about 200 MB of arrays per chunk); results do not depend on it;
    - ``client``: a dask.distributed ``Client``: chunks run on its workers, with identical results;
    - ``workers``: without a client, chunks run on this many threads (numpy releases the GIL in its array
      work); default: the number of CPUs (at most 8); 1 = one after the other.  Results do not depend on it;
    - ``payout_sample``: payout quantiles use the first this many draws (means use every draw).

    >>> import simkit
    >>> r = run_uncertainty(simkit.load_scenario("yiyang_2018_reform"), draws=200, seed=1, progress=False)
    >>> r.rank_intervals.columns[:8].tolist()
    ['unit', 'name', 'group', 'nominal_rank', 'median_rank', 'mean_rank', 'q05', 'q95']
    """
    if isinstance(spec, Mapping):
        try:
            spec = UncertaintySpec.model_validate(spec)
        except ValidationError as exc:
            raise _spec_error(exc) from None
    if draws < 2:
        raise ScenarioError(Problem(SPEC_SOURCE, f"draws = {draws}", "use at least 2 draws", field="draws"))
    if seed is None or int(seed) < 0:
        raise ScenarioError(Problem(SPEC_SOURCE, f"seed = {seed!r}", "give a whole number ≥ 0", field="seed"))
    problem = UncertaintyProblem(scenario, data, spec, year)
    sobol_n = draws if sobol is True else int(sobol or 0)
    sobol_n = min(max(sobol_n, 0), draws)
    if sobol_n == 1:
        sobol_n = 0
    plan = _Plan(int(seed), int(draws), sobol_n, int(payout_sample))
    step = int(chunk_size) if chunk_size else problem.auto_chunk()
    if step < 1:
        raise ScenarioError(Problem(SPEC_SOURCE, f"chunk_size = {chunk_size}", "use a chunk size of 1 or more"))
    bounds = [(a, min(a + step, draws)) for a in range(0, draws, step)]

    from tqdm.auto import tqdm

    bar = tqdm(total=draws, disable=not progress, desc="simkit uncertainty", unit="draw")
    tallies: list[_Tally] = []
    try:
        if client is None:
            n_threads = min(os.cpu_count() or 1, 8) if workers is None else max(int(workers), 1)
            if n_threads == 1 or len(bounds) == 1:
                for a, b in bounds:
                    tallies.append(_run_chunk(problem, plan, a, b))
                    bar.update(b - a)
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=min(n_threads, len(bounds))) as pool:
                    for (a, b), tally in zip(bounds, pool.map(lambda ab: _run_chunk(problem, plan, *ab), bounds),
                                             strict=True):
                        tallies.append(tally)
                        bar.update(b - a)
        else:
            from distributed import as_completed

            remote = client.scatter(problem, broadcast=True)
            futures = [client.submit(_run_chunk, remote, plan, a, b, pure=False) for a, b in bounds]
            sizes = {f.key: b - a for f, (a, b) in zip(futures, bounds, strict=True)}
            for fut in as_completed(futures):
                bar.update(sizes[fut.key])
            tallies = client.gather(futures)
    finally:
        bar.close()
    return UncertaintyResult(problem, plan, _merge(tallies))


# ============================================================================================ results
def _hist_quantiles(hist: np.ndarray, qs: Iterable[float]) -> np.ndarray:
    """Type-7 (numpy "linear") quantiles of integer values 1..R given counts (U, R + 1); index 0 = no value.

    >>> h = np.array([[0, 2, 1, 1]])  # values 1, 1, 2, 3
    >>> _hist_quantiles(h, [0.05, 0.5, 0.95])[0].tolist() == [np.quantile([1, 1, 2, 3], q) for q in (0.05, 0.5, 0.95)]
    True
    """
    counts = hist[:, 1:]
    n = counts.sum(axis=1)
    cum = np.cumsum(counts, axis=1)
    out = []
    for q in qs:
        h = (n - 1) * q
        lo = np.floor(h).astype(np.int64)
        frac = h - lo
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        x_lo = (cum > lo[:, None]).argmax(axis=1) + 1.0
        x_hi = (cum > hi[:, None]).argmax(axis=1) + 1.0
        out.append(np.where(n > 0, x_lo + frac * (x_hi - x_lo), np.nan))
    return np.array(out).T


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *, num_resamples: int = 100,
                  conf_level: float = 0.95, seed: int | None = 0) -> dict[str, np.ndarray]:
    """First- and total-order Sobol indices from a Saltelli design, vectorised over groups and outputs.

    ``f_a``, ``f_b``: (N, ...) outputs on the A and B matrices; ``f_ab``: (G, N, ...) outputs on A with group
    g's columns taken from B.  First order: Saltelli et al. (2010) on the output centred by its overall mean,
    ``mean(f_B (f_AB − f_A)) / V``; total order: Jansen, ``mean((f_A − f_AB)²) / 2V``; V is the variance of
    f_A and f_B together.  These are SALib's ``sobol.analyze`` estimators, so on the same design the numbers
    agree; the confidence half-widths are SALib's too (bootstrap over rows, normal quantile × sd).
    ``num_resamples=0`` skips them.  Outputs without variance get NaN.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((4000, 2)), rng.random((4000, 2))
    >>> f = lambda x: x[:, 0] + 0.5 * x[:, 1]  # V1 = 1/12, V2 = 1/48: S1 = 0.8, S2 = 0.2
    >>> ab = np.array([np.where(np.arange(2) == g, b, a) for g in range(2)])
    >>> s = sobol_indices(f(a), f(b), np.array([f(x) for x in ab]), num_resamples=0)
    >>> np.round(s["S1"], 1).tolist(), np.round(s["ST"], 1).tolist()
    ([0.8, 0.2], [0.8, 0.2])
    """
    f_a, f_b, f_ab = (np.asarray(x, dtype=float) for x in (f_a, f_b, f_ab))
    n = f_a.shape[0]
    c = (f_a.sum(axis=0) + f_b.sum(axis=0) + f_ab.sum(axis=(0, 1))) / (n * (2 + f_ab.shape[0]))

    def est(a: np.ndarray, b: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        var = np.var(np.concatenate([a, b]), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s1 = np.mean((b - c) * (ab - a), axis=1) / var
            st = 0.5 * np.mean((a - ab) ** 2, axis=1) / var
        ok = var > np.finfo(float).eps
        return np.where(ok, s1, np.nan), np.where(ok, st, np.nan)

    s1, st = est(f_a, f_b, f_ab)
    out = {"S1": s1, "ST": st}
    if num_resamples:
        from scipy.stats import norm

        rng = np.random.default_rng(seed)
        r = rng.integers(n, size=(num_resamples, n))
        s1s, sts = [], []
        for idx in r:  # one loop per bootstrap resample, not per draw
            a_, b_ = est(f_a[idx], f_b[idx], f_ab[:, idx])
            s1s.append(a_)
            sts.append(b_)
        z = norm.ppf(0.5 + conf_level / 2)
        out["S1_conf"] = z * np.std(s1s, axis=0, ddof=1)
        out["ST_conf"] = z * np.std(sts, axis=0, ddof=1)
    return out


@dataclass(frozen=True)
class UncertaintyResult:
    """The outcome of ``run_uncertainty``: tables (pandas) and the numbers behind them."""

    problem: UncertaintyProblem = field(repr=False)
    plan: _Plan
    tally: _Tally = field(repr=False)

    @property
    def draws(self) -> int:
        return self.plan.draws

    @property
    def seed(self) -> int:
        return self.plan.seed

    @property
    def spec(self) -> UncertaintySpec:
        return self.problem.spec

    @property
    def model(self) -> Model:
        """The nominal scenario compiled against the data (what ``evaluate`` uses)."""
        return self.problem.nominal_model

    @property
    def grade_names(self) -> tuple[str, ...]:
        return self.problem.grade_names

    def _frame(self) -> pd.DataFrame:
        u = self.problem.units
        return pd.DataFrame({"unit": u["unit"].to_numpy(), "name": u["name"].to_numpy(),
                             "group": u["group"].to_numpy()})

    def _sorted(self, df: pd.DataFrame) -> pd.DataFrame:
        df = df.assign(_g=self.problem.group_codes, _r=self.problem.nominal.rank[0])
        return df.sort_values(["_g", "_r", "unit"], na_position="last").drop(columns=["_g", "_r"]).reset_index(
            drop=True)

    @cached_property
    def rank_intervals(self) -> pd.DataFrame:
        """Per unit: nominal/median/mean rank, 5–95% interval, grade probabilities, p_top, p_bottom."""
        t, p = self.tally, self.problem
        n = self.draws
        df = self._frame()
        nominal = p.nominal.rank[0]
        df["nominal_rank"] = pd.array(nominal, dtype="Int64")
        q = _hist_quantiles(t.rank_hist, (0.5, 0.05, 0.95))
        counts = t.rank_hist[:, 1:]
        values = np.arange(1, counts.shape[1] + 1)
        ranked = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            df["median_rank"] = q[:, 0]
            df["mean_rank"] = (counts * values).sum(axis=1) / ranked
            df["q05"] = q[:, 1]
            df["q95"] = q[:, 2]
        for k, name in enumerate(p.grade_names):
            df[f"p_{name}"] = t.grade_hist[:, k] / n
        if t.grade_hist[:, -1].any():
            df["p_none"] = t.grade_hist[:, -1] / n
        df["p_top"] = counts[:, 0] / n
        df["p_bottom"] = t.last / n
        nom = np.nan_to_num(nominal, nan=0)
        df["mean_abs_shift"] = (counts * np.abs(values[None, :] - nom[:, None])).sum(axis=1) / n
        df["nominal_grade"] = [p.grade_names[c] if c >= 0 else None for c in p.nominal.grade[0]]
        return self._sorted(df)

    @cached_property
    def mean_abs_shift(self) -> float:
        """R̄_S: the mean absolute rank shift against nominal, over units and draws."""
        return float(self.rank_intervals["mean_abs_shift"].mean())

    @cached_property
    def grade_probabilities(self) -> pd.DataFrame:
        """Per unit the probability of each grade (rows sum to 1)."""
        cols = [c for c in self.rank_intervals.columns if c.startswith("p_") and c not in ("p_top", "p_bottom")]
        return self.rank_intervals[["unit", "name", "group", "nominal_grade", *cols]]

    @cached_property
    def payout_intervals(self) -> pd.DataFrame:
        """Per unit: payout (yuan) and award slots, nominal, mean, median and 5–95% interval."""
        t, p = self.tally, self.problem
        df = self._frame()
        if t.payout_fen is not None:
            df["nominal_payout"] = p.nominal.payout[0]
            df["mean_payout"] = t.payout_fen / 100.0 / self.draws
            qs = np.quantile(t.payout_rows, [0.5, 0.05, 0.95], axis=0)
            df["median_payout"], df["q05_payout"], df["q95_payout"] = qs
        if t.slot_hist is not None:
            df["nominal_slots"] = p.nominal.slots[0]
            counts = t.slot_hist
            df["mean_slots"] = (counts * np.arange(counts.shape[1])).sum(axis=1) / self.draws
            shifted = np.concatenate([np.zeros((len(counts), 1), dtype=np.int64), counts], axis=1)
            q = _hist_quantiles(shifted, (0.5, 0.05, 0.95)) - 1.0  # values 0..Q stored as 1..Q+1
            df["median_slots"], df["q05_slots"], df["q95_slots"] = q.T
        return self._sorted(df)

    @cached_property
    def _sobol(self) -> dict[str, Any] | None:
        t, p = self.tally, self.problem
        if not t.shift_rows:
            return None
        labels = [g.label for g in p.groups]
        s = sobol_indices(t.shift_rows["A"], t.shift_rows["B"], np.array([t.shift_rows[g] for g in labels]),
                          seed=self.seed)
        n = len(t.shift_rows["A"])
        sums = t.unit_sums
        c = sums["all"] / (n * (2 + len(labels)))
        mean = sums["AB"] / (2 * n)
        var = sums["AB2"] / (2 * n) - mean**2
        with np.errstate(invalid="ignore", divide="ignore"):
            s1 = np.array([(sums[f"p:{g}"] / n - c * sums[f"d:{g}"] / n) / var for g in labels])
            st = np.array([0.5 * sums[f"q:{g}"] / n / var for g in labels])
        ok = var > 1e-12
        return {"labels": labels, "mars": s, "n": n, "unit_S1": np.where(ok, s1, np.nan),
                "unit_ST": np.where(ok, st, np.nan)}

    @cached_property
    def sensitivity(self) -> pd.DataFrame:
        """Sobol indices of each input group for the mean absolute rank shift of a draw (with 95% half-widths)."""
        sb = self._sobol
        cols = ["input", "kind", "dims", "S1", "S1_conf", "ST", "ST_conf", "output", "base_draws"]
        if sb is None:
            return pd.DataFrame(columns=cols)
        g = self.problem.groups
        s = sb["mars"]
        return pd.DataFrame({
            "input": [x.label for x in g], "kind": [x.kind for x in g], "dims": [x.dim for x in g],
            "S1": s["S1"], "S1_conf": s["S1_conf"], "ST": s["ST"], "ST_conf": s["ST_conf"],
            "output": "mean_abs_rank_shift", "base_draws": sb["n"],
        })[cols]

    @cached_property
    def sobol_units(self) -> pd.DataFrame:
        """Sobol indices of each input group for each unit's rank (long table: unit × input)."""
        sb = self._sobol
        if sb is None:
            return pd.DataFrame(columns=["unit", "name", "group", "input", "S1", "ST"])
        frame = self._frame()
        parts = []
        for k, label in enumerate(sb["labels"]):
            parts.append(frame.assign(input=label, S1=sb["unit_S1"][k], ST=sb["unit_ST"][k]))
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def main_effects(self) -> pd.DataFrame:
        """Nominal weight against main effect per indicator (Paruolo, Saisana & Saltelli 2013)."""
        return main_effects(self.model)

    def what_would_it_take(self, unit: str, indicator: str) -> WhatItTakes:
        return what_would_it_take(self, unit, indicator)

    def manifest(self) -> dict[str, Any]:
        """What produced this result: scenario, data, version, year, seed, draws and the spec."""
        from datetime import UTC, datetime

        from . import __version__
        from .scenario import source_of

        sc = self.problem.scenario
        return {
            "simkit_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "analysis": "uncertainty",
            "scenario": {"name": sc.name, "file": source_of(sc), "sha256": sc.fingerprint()},
            "data": {"source": self.problem.data.source, "sha256": self.problem.data.fingerprint(),
                     "synthetic": self.problem.data.synthetic},
            "year": self.problem.year,
            "seed": self.seed,
            "draws": self.draws,
            "sobol_base_draws": self.plan.sobol_n,
            "payout_quantile_draws": min(self.plan.payout_sample, self.draws),
            "inputs": [{"input": g.label, "kind": g.kind, "dims": g.dim} for g in self.problem.groups],
            "spec": self.spec.model_dump(mode="json"),
        }


# ======================================================================================= weight replay
@dataclass(frozen=True)
class ReplayResult:
    """Ranks of every unit under each replayed weight set, and their statistics."""

    ranks: pd.DataFrame  # index unit, columns: nominal, then one per replicate
    scores: pd.DataFrame  # the final totals, same shape
    rank_stats: pd.DataFrame  # unit, nominal_rank, mean_rank, median_rank, q05, q95


def replay_weights(scenario: Scenario, data: Dataset, weights_frame: pd.DataFrame, year: int | None = None,
                   ) -> ReplayResult:
    """Re-evaluate the scenario under given weight sets, one per replicate, exactly (the engine's stages).

    ``weights_frame`` has one row per replicate and node: columns ``rep``, ``iCode`` (or ``node``) and
    ``Weight`` (or ``weight``), as COINr's ``weight_sets_used``.  Nodes a replicate does not list keep their
    nominal weight; ids not in the tree are an error.
    """
    df = weights_frame.rename(columns={"iCode": "node", "Weight": "weight"})
    missing = [c for c in ("rep", "node", "weight") if c not in df.columns]
    if missing:
        raise ScenarioError(Problem("weights frame", f"the weights frame has no column(s) {', '.join(missing)}",
                                    "give columns rep, iCode (or node) and Weight (or weight)"))
    model = compile_model(scenario, data, year)
    tree = model.tree
    unknown = sorted(set(df["node"]) - set(tree.nodes))
    if unknown:
        raise ScenarioError(Problem("weights frame", "nodes not in the scenario's tree: "
                                    f"{', '.join(map(str, unknown))}", "use the node ids of the indicators table"))
    reps = list(dict.fromkeys(df["rep"]))
    w = np.broadcast_to(tree.weight, (len(reps), len(tree.nodes))).copy()
    r_idx = pd.Index(reps).get_indexer(df["rep"])
    n_idx = pd.Index(tree.nodes).get_indexer(df["node"])
    w[r_idx, n_idx] = df["weight"].to_numpy(dtype=float)
    leaf = leaf_stage(model)
    totals = total_stage(model, leaf, np.vstack([tree.weight, w]))
    ranks = rank_stage(model, totals)
    units = pd.Index(model.data.unit_ids, name="unit")
    cols = ["nominal", *[f"r_{r}" for r in reps]]
    rank_df = pd.DataFrame(ranks.rank.T, index=units, columns=cols)
    score_df = pd.DataFrame(totals.final.T, index=units, columns=cols)
    reps_only = ranks.rank[1:]
    stats = pd.DataFrame({
        "unit": list(units), "nominal_rank": ranks.rank[0], "mean_rank": reps_only.mean(axis=0),
        "median_rank": np.quantile(reps_only, 0.5, axis=0),
        "q05": np.quantile(reps_only, 0.05, axis=0), "q95": np.quantile(reps_only, 0.95, axis=0),
    })
    return ReplayResult(rank_df, score_df, stats)


# ============================================================================================ main effects
def main_effects(source: Any, degree: int | None = None) -> pd.DataFrame:
    """Each indicator's nominal weight against its main effect on the total (Paruolo, Saisana & Saltelli 2013).

    Across the units of a track (units that see the same indicators), the main effect of indicator i is
    ``S_i = V(E[y | x_i]) / V(y)``, y the total before adjustments and x_i the indicator's score; E[y | x_i] is
    estimated by a least-squares polynomial in x_i (cubic with 12 or more units, otherwise linear, for which
    S_i is the squared correlation).  Weight and main effect are each normalised to shares within the track, and
    ``ratio`` = main-effect share / weight share: far below 1, the indicator counts less than its weight says
    (Paruolo et al.); with few units (8 counties) the estimates are rough.

    ``source``: an ``UncertaintyResult``, an ``evaluate`` ``Result`` or a compiled ``Model``.
    """
    model = source if isinstance(source, Model) else source.model
    tree = model.tree
    leaf = leaf_stage(model)
    totals = total_stage(model, leaf)
    share = leaf.share[0] * 100.0
    y = totals.base[0]
    eff = totals.effective[0, :, : tree.n_leaves] * model.scenario.total
    ind = model.data.indicators.set_index("indicator")
    tracks = model.data.units["track"].to_numpy()
    rows = []
    for track in dict.fromkeys(tracks):
        in_track = tracks == track
        for li, leaf_id in enumerate(tree.leaves):
            ok = in_track & tree.applicable[:, li] & ~np.isnan(share[:, li]) & ~np.isnan(y)
            if not ok.any():
                continue
            x, yy = share[ok, li], y[ok]
            n = int(ok.sum())
            deg = degree if degree is not None else (3 if n >= 12 else 1)
            deg = min(deg, max(len(np.unique(x)) - 1, 0))
            vy = yy.var()
            if deg == 0 or vy <= 0:
                s = 0.0
                r = np.nan
            else:
                fit = np.polynomial.polynomial.Polynomial.fit(x, yy, deg)(x)
                s = float(np.clip(fit.var() / vy, 0.0, 1.0))
                r = float(np.corrcoef(x, yy)[0, 1]) if x.std() > 0 else np.nan
            rows.append({"track": track, "indicator": leaf_id, "name": ind.at[leaf_id, "name"],
                         "parent": tree.path[li][0], "units": n, "weight": float(np.nanmean(eff[ok, li])),
                         "main_effect": s, "correlation": r, "degree": deg})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df["weight_share"] = df["weight"] / df.groupby("track")["weight"].transform("sum")
    total_s = df.groupby("track")["main_effect"].transform("sum")
    df["main_effect_share"] = np.where(total_s > 0, df["main_effect"] / total_s.where(total_s > 0, 1.0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["ratio"] = df["main_effect_share"] / df["weight_share"]
    return df[["track", "indicator", "name", "parent", "units", "weight", "weight_share", "main_effect",
               "main_effect_share", "ratio", "correlation", "degree"]]


# ===================================================================================== what would it take
@dataclass(frozen=True)
class WhatItTakes:
    """The smallest change of one indicator (evaluation year) that moves a unit up a grade, nominal rules."""

    unit: str
    name: str
    indicator: str
    indicator_name: str
    year: int
    value: float
    required_value: float | None  # None: no value of this indicator moves the unit up
    grade_now: str | None
    grade_then: str | None
    rank_now: int | None
    rank_then: int | None
    note: str
    grade_names_en: dict[str, str] = field(default_factory=dict, repr=False)  # grade → English name

    @property
    def feasible(self) -> bool:
        return self.required_value is not None

    @property
    def change(self) -> float | None:
        return None if self.required_value is None else self.required_value - self.value

    @property
    def change_pct(self) -> float | None:
        if self.required_value is None or self.value == 0:
            return None
        return 100.0 * (self.required_value - self.value) / abs(self.value)

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            if not self.feasible:
                return f"{self.unit}: {self.note}"
            pct = f" ({self.change_pct:+.2f}%)" if self.change_pct is not None else ""
            en = self.grade_names_en
            return (f"{self.unit}: {self.indicator} {self.year} from {self.value:,.6g} to {self.required_value:,.6g}"
                    f"{pct} moves it from {en.get(self.grade_now, self.grade_now)} to "
                    f"{en.get(self.grade_then, self.grade_then)} (rank {self.rank_now} → {self.rank_then}).")
        if not self.feasible:
            return f"{self.name}：{self.note}"
        pct = f"（{self.change_pct:+.2f}%）" if self.change_pct is not None else ""
        return (f"{self.name}：{self.indicator_name}（{self.indicator}）{self.year}年由 {self.value:,.6g} 变为 "
                f"{self.required_value:,.6g}{pct}，等次由{self.grade_now}升为{self.grade_then}"
                f"（名次 {self.rank_now} → {self.rank_then}）。")

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "name": self.name, "indicator": self.indicator,
                "indicator_name": self.indicator_name, "year": self.year, "value": self.value,
                "required_value": self.required_value, "change": self.change, "change_pct": self.change_pct,
                "grade_now": self.grade_now, "grade_then": self.grade_then, "rank_now": self.rank_now,
                "rank_then": self.rank_then, "feasible": self.feasible, "note": self.note}


def what_would_it_take(result: Any, unit: str, indicator: str, *, rounds: int = 4, grid: int = 64) -> WhatItTakes:
    """The smallest change in ``indicator``'s evaluation-year value that moves ``unit`` up at least one grade.

    Everything else stays as observed and the nominal rules apply (targets, scores, totals, ranks, grades are
    recomputed for every candidate value, so group-relative scoring and quotas are taken into account).  The
    value moves in the indicator's good direction; candidates are evaluated as one batch: first a geometric
    bracket (2⁻¹²…2¹⁰ times the indicator's scale), then ``rounds`` finer grids of ``grid`` points between the
    last value that does not move the unit up and the first that does (a vectorised bisection).  The answer is
    the first value found that moves the unit up, within (scale × 2¹⁰) / grid^rounds of the exact threshold.
    It assumes that improving the indicator never lowers the unit's grade (true for the shipped rules).

    ``result``: an ``UncertaintyResult``, an ``evaluate`` ``Result`` or a compiled ``Model``.  ``unit`` is an id
    or a name.
    """
    model = result if isinstance(result, Model) else result.model
    data = model.data
    units = data.units
    where = model.where
    if unit in set(units["unit"]):
        ui = int(np.flatnonzero(units["unit"].to_numpy() == unit)[0])
    elif unit in set(units["name"]):
        ui = int(np.flatnonzero(units["name"].to_numpy() == unit)[0])
    else:
        raise EvaluationError(Problem(data.source, f"no unit {unit!r}", "give a unit id or name from the units table",
                                      field="unit"))
    tree = model.tree
    if indicator not in tree.leaves:
        raise EvaluationError(Problem(where, f"{indicator!r} is not a leaf indicator of this scenario",
                                      "name a leaf indicator id", field="indicator"))
    li = tree.leaves.index(indicator)
    t = model.t
    x0 = model.values[ui, li, t]
    uid, uname = str(units["unit"].iat[ui]), str(units["name"].iat[ui])
    ind_name = str(data.indicators.set_index("indicator").at[indicator, "name"])
    if not tree.applicable[ui, li] or np.isnan(x0):
        raise EvaluationError(Problem(data.source, f"indicator {indicator!r} does not apply to {uid} ({uname}) or has "
                                      f"no value for {model.year}", "choose an indicator the unit is scored on"))
    names = [g.name for g in model.scenario.grading.grades]
    names_en = {g.name: g.name_en or g.name for g in model.scenario.grading.grades}
    d = float(model.direction[li])

    def run(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.broadcast_to(model.values, (len(values), *model.values.shape)).copy()
        x[:, ui, li, t] = values
        leaf = leaf_stage(model, x)
        ranks = rank_stage(model, total_stage(model, leaf))
        return ranks.grade[:, ui], ranks.rank[:, ui]

    g0, r0 = run(np.array([x0]))
    g0, r0 = int(g0[0]), r0[0]
    base = dict(unit=uid, name=uname, indicator=indicator, indicator_name=ind_name, year=model.year, value=float(x0),
                grade_now=names[g0] if g0 >= 0 else None, rank_now=None if np.isnan(r0) else int(r0),
                grade_names_en=names_en)
    if g0 <= 0:
        return WhatItTakes(**base, required_value=None, grade_then=None, rank_then=None,
                           note="已是最高等次 / already in the best grade" if g0 == 0 else "无等次 / no grade")
    col = model.values[:, li, t]
    col = col[tree.applicable[:, li] & ~np.isnan(col)]
    scale = max(abs(x0), float(np.median(np.abs(col))) if len(col) else 0.0, 1e-9)
    steps = scale * 2.0 ** np.arange(-12, 11)
    g, r = run(x0 + d * steps)
    better = np.flatnonzero(g < g0)
    if not len(better):
        return WhatItTakes(**base, required_value=None, grade_then=None, rank_then=None,
                           note=f"在{ind_name}上改进（至 {x0 + d * steps[-1]:,.6g}）也不能提升等次，"
                           "例如已达计分上限或受否决限制 / "
                           f"no value of {indicator} up to {x0 + d * steps[-1]:,.6g} moves the unit up a grade "
                           "(e.g. the score is capped, or a veto limits the grade)")
    k = int(better[0])
    lo, hi = (0.0 if k == 0 else steps[k - 1]), steps[k]
    best = (hi, int(g[k]), r[k])
    for _ in range(rounds):
        cand = np.linspace(lo, hi, grid + 1)[1:]
        g, r = run(x0 + d * cand)
        j = int(np.flatnonzero(g < g0)[0]) if (g < g0).any() else len(cand) - 1
        if g[j] < g0:
            best = (cand[j], int(g[j]), r[j])
        lo, hi = (lo if j == 0 else cand[j - 1]), cand[j]
    step, g1, r1 = best
    return WhatItTakes(**base, required_value=float(x0 + d * step), grade_then=names[g1],
                       rank_then=None if np.isnan(r1) else int(r1),
                       note=f"smallest change found to within {(hi - lo):.3g}")

