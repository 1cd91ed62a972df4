"""Evaluating a projection's paths, a chunk of paths at a time, on the engine's stages.

- **Inputs.**  Each chunk builds ``engine.compile.Inputs`` over the observed and projected years: the observed
  values followed by the simulated ones, the assigned targets extended to projected years, and for projected
  years no bonus or deduction points and no table vetoes (the adjustments table has no future rows).
- **Parts.**  When no group spans two tracks (区县市, 市直单位, ...), each track is evaluated with a plan of its
  own leaves only (``schema.levers.restrict_to`` on ``Dataset.subset_units``/``subset_indicators``): the same
  numbers with a third of the cells on the bundled data.  Totals of the parts are put together in the full
  plan's layout, and ranks, grades, money and the look-back run on the full plan.
- **Years.**  Without behaviour every projected year's values are drawn first and the leaf stage runs once over
  all of them; with behaviour the leaf stage of year t must see the values of year t, which the response
  changes, so it runs year by year (and once more over all years for the totals).
- **Memory.**  A chunk holds ``per_path_bytes`` per path; ``chunks`` sizes them from a budget.  A chunk is a run
  of rows of the random stream's blocks, so the numbers do not depend on the chunking.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...engine.compile import Inputs, Plan, compile_plan, inputs_of
from ...engine.stages import (
    LeafStage,
    LookBackStart,
    TotalStage,
    leaf_stage,
    look_back_stage,
    money_stage,
    rank_stage,
    total_stage,
)
from ...errors import RuleInputError, SimkitError
from ...schema.levers import SetValue, restrict_to
from .behaviour import Behaviour, EffortResponse, respond
from .growth import BLOCK, Block, GrowthModel, step

#: Default memory budget: this share of the machine's available memory, at most ``MEMORY_CAP`` bytes.
MEMORY_SHARE = 0.25
MEMORY_CAP = 2 << 30

# Bytes of working memory per path, per cell-year of the largest part's leaf stage (measured with tracemalloc
# on the bundled data, rounded up), and per cell-year and measure when it keeps measured values and targets.
_LEAF_BYTES = 200
_DETAIL_BYTES = 56


def default_memory() -> int:
    """``MEMORY_SHARE`` of the available memory (``/proc/meminfo``, else the physical memory), capped at
    ``MEMORY_CAP``.

    >>> 0 < default_memory() <= MEMORY_CAP
    True
    """
    total = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info = dict(line.split(":", 1) for line in fh)
        total = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        try:
            total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, AttributeError):
            total = 4 << 30
    return int(min(MEMORY_CAP, MEMORY_SHARE * total))


# ============================================================================================== parts
@dataclass(frozen=True)
class Part:
    """A plan for some units and leaves, where they sit in the full plan, and their growth parameters.

    ``nodes`` and ``conditions`` are the full plan's indices of the part's tree nodes and veto conditions;
    ``inputs`` are the observed values (NaN in projected years), assigned targets and adjustments of every
    year; ``detail``: the part holds a tracked leaf; ``tracked``: a plan of those leaves only, whose leaf stage
    keeps their measured values and targets (None: the part's own leaf stage keeps them).
    """

    plan: Plan
    units: np.ndarray
    leaves: np.ndarray
    nodes: np.ndarray
    conditions: np.ndarray
    inputs: Inputs = field(repr=False)
    detail: bool
    tracked: Detail | None = field(repr=False)
    mu: np.ndarray = field(repr=False)
    sd: np.ndarray = field(repr=False)
    cells: np.ndarray = field(repr=False)
    lo: np.ndarray = field(repr=False)
    hi: np.ndarray = field(repr=False)

    @property
    def whole(self) -> bool:
        return len(self.units) == len(self.plan.data.unit_ids) and self.plan.tree.n_leaves == len(self.leaves) \
            and len(self.nodes) == len(self.plan.tree.nodes)


@dataclass(frozen=True)
class Detail:
    """A plan of a part's tracked leaves only (``leaves``: their indices among the part's leaves): scoring a leaf
    reads no other leaf, so its leaf stage gives the part's numbers for them, measured values and targets
    included, at the cost of those leaves alone."""

    plan: Plan
    leaves: np.ndarray
    inputs: Inputs = field(repr=False)


def projected_inputs(plan: Plan, assigned: np.ndarray, years: int) -> Inputs:
    """The plan's inputs over observed and projected years: values NaN in projected years (each chunk puts
    its paths' values there), the given assigned targets (U, L, T0 + years), and no bonus or deduction
    points and no table vetoes in projected years."""
    obs = inputs_of(plan)
    u, n_l, t0 = obs.values.shape
    values = np.concatenate([obs.values, np.full((u, n_l, years), np.nan)], axis=-1)

    def pad(a: np.ndarray, fill: object) -> np.ndarray:
        return np.concatenate([a, np.full((u, years), fill, dtype=a.dtype)], axis=-1)

    return Inputs(values, assigned, pad(obs.bonus, 0.0), pad(obs.deduction, 0.0), pad(obs.veto, False),
                  pad(obs.veto_reason, ""))


def _track_plans(plan: Plan) -> list[tuple[Plan, np.ndarray, np.ndarray]] | None:
    """One plan per track with only its leaves; None when a group spans tracks or a track's plan does not
    compile (the whole plan then serves)."""
    data, tree = plan.data, plan.tree
    units = data.units
    tracks = list(dict.fromkeys(units["track"]))
    if len(tracks) < 2 or units.groupby("group")["track"].nunique().max() > 1:
        return None
    ind = data.indicators
    parent_of = {i: p for i, p in zip(ind["indicator"], ind["parent"], strict=True) if isinstance(p, str)}
    out = []
    for tr in tracks:
        rows = np.flatnonzero(units["track"].to_numpy() == tr)
        keep: set[str] = set()
        for k in np.flatnonzero(tree.applicable[rows].any(axis=0)):
            name: str | None = tree.leaves[k]
            while name is not None:
                keep.add(name)
                name = parent_of.get(name)
        sub_data = data.subset_units(list(units["unit"].iloc[rows])).subset_indicators(sorted(keep))
        try:
            sub = compile_plan(restrict_to(plan.scenario, sorted(keep)), sub_data)
        except (SimkitError, ValueError):
            return None
        out.append((sub, rows, np.array([tree.leaves.index(n) for n in sub.tree.leaves], dtype=int)))
    return out


def _detail(sub: Plan, assigned: np.ndarray, years: int, track: Sequence[str]) -> Detail | None:
    """The plan of ``sub``'s tracked leaves (weights set relative: a few leaves cannot keep the points of a
    whole tree, and the leaf stage reads no weight); None if it does not compile."""
    data = sub.data
    ind = data.indicators
    parent_of = {i: p for i, p in zip(ind["indicator"], ind["parent"], strict=True) if isinstance(p, str)}
    keep: set[str] = set()
    for name in (lf for lf in sub.tree.leaves if lf in track):
        node: str | None = name
        while node is not None:
            keep.add(node)
            node = parent_of.get(node)
    try:
        scenario = SetValue(paths=("weights.mode",), value="relative").apply(restrict_to(sub.scenario, sorted(keep)))
        plan = compile_plan(scenario, data.subset_indicators(sorted(keep)))
    except (SimkitError, ValueError):
        return None
    leaves = np.array([sub.tree.leaves.index(n) for n in plan.tree.leaves], dtype=int)
    return Detail(plan, leaves, projected_inputs(plan, assigned[:, leaves], years))


def make_parts(plan: Plan, assigned: np.ndarray, growth: GrowthModel, years: int, track: Sequence[str],
               split: bool) -> tuple[Part, ...]:
    """The parts a projection evaluates: one per track (``split``, when possible), else the whole plan."""
    tree = plan.tree
    pieces = _track_plans(plan) if split else None
    if pieces is None:
        pieces = [(plan, np.arange(len(plan.data.unit_ids)), np.arange(tree.n_leaves))]
    conditions = plan.scenario.adjustments.veto.conditions
    parts = []
    for sub, rows, leaves in pieces:
        kept = {tree.leaves[k] for k in leaves}
        cells = np.ix_(rows, leaves)
        parts.append(Part(
            plan=sub, units=rows, leaves=leaves,
            nodes=np.array([tree.index(n) for n in sub.tree.nodes], dtype=int),
            conditions=np.array([k for k, c in enumerate(conditions) if sub is plan or c.indicator in kept],
                                dtype=int),
            inputs=projected_inputs(sub, assigned[cells], years),
            detail=any(tree.leaves[k] in track for k in leaves),
            tracked=_detail(sub, assigned[cells], years, track) if any(tree.leaves[k] in track for k in leaves)
            else None,
            mu=growth.mu[cells], sd=growth.sd[cells], cells=growth.cells[cells], lo=growth.lo[leaves],
            hi=growth.hi[leaves]))
    return tuple(parts)


def observed_targets(part: Part, t0: int) -> np.ndarray:
    """Targets (1, T0, U, L, M) of the observed years, NaN in a year the part's rules cannot evaluate (as a
    projection has always shown them)."""
    leaf = leaf_stage(part.plan, part.inputs, list(range(t0)), detail=True)
    assert leaf.target is not None
    bad = np.zeros(t0, dtype=bool)
    for issue in leaf.issues:
        bad[issue.years()] = True
    return np.where(bad[None, :, None, None, None], np.nan, leaf.target)


# ============================================================================================= memory
def per_path_bytes(parts: Sequence[Part], years: int, n_cells: int, n_tracked: int) -> int:
    """Working memory of one path in a chunk: every part's values over all years, the largest part's leaf
    stage, the totals of every unit and node, one year of random numbers, and the chunk's outputs."""
    t = parts[0].inputs.values.shape[-1]
    plan = parts[0].plan
    values = sum(p.inputs.values.size for p in parts)
    leaf = max(years * p.inputs.values[..., 0].size
               * (_LEAF_BYTES + _DETAIL_BYTES * len(p.plan.rule_sets[0].rule.measures) * 3 * p.detail)
               for p in parts)
    n_units = sum(len(p.units) for p in parts)
    n_nodes = max(len(plan.tree.nodes), max(int(p.nodes.max()) + 1 for p in parts))
    totals = years * n_units * (n_nodes + 24)
    tracked = years * n_units * 8 * n_tracked
    del t
    return int(8 * (values + totals + n_cells + tracked) + leaf)


def chunks(paths: int, per_path: int, memory: int) -> list[tuple[tuple[int, int, int], ...]]:
    """Chunks of paths: each a run of (block, first row, end row) segments of the random stream's blocks,
    at most ``memory // per_path`` paths (at least one), whole blocks where they fit.

    >>> chunks(1200, 1, 10**9)
    [((0, 0, 500), (1, 0, 500), (2, 0, 200))]
    >>> chunks(700, 1, 300)
    [((0, 0, 250),), ((0, 250, 500),), ((1, 0, 200),)]
    """
    size = max(1, memory // max(per_path, 1))
    blocks = [(k, min(BLOCK, paths - k * BLOCK)) for k in range(math.ceil(paths / BLOCK))]
    out: list[tuple[tuple[int, int, int], ...]] = []
    if size >= BLOCK:
        per = max(1, size // BLOCK)
        for i in range(0, len(blocks), per):
            out.append(tuple((k, 0, n) for k, n in blocks[i : i + per]))
        return out
    for k, n in blocks:
        pieces = math.ceil(n / size)
        edges = [round(j * n / pieces) for j in range(pieces + 1)]
        out.extend(((k, a, b),) for a, b in zip(edges[:-1], edges[1:], strict=True))
    return out


# ============================================================================================= chunks
@dataclass(frozen=True)
class Setup:
    """What every chunk shares."""

    plan: Plan
    parts: tuple[Part, ...]
    growth: GrowthModel
    t0: int
    years: int
    behaviour: tuple[Behaviour, ...]
    start: LookBackStart | None  # (1, U): the last observed year
    previous: tuple[np.ndarray | None, ...]  # per part: the last observed year's targets (U, L, M), or None
    track: dict[str, tuple[int, tuple[str, ...]]]  # tracked leaf -> (its part, its measures)


@dataclass
class Chunk:
    """One chunk's outputs: variables (b, Y, U), tracked arrays, the money's base and budget, and the cells
    left out (kind, measure, message, year index, unit index, leaf, paths)."""

    variables: dict[str, np.ndarray]
    tracked: dict[str, dict[str, np.ndarray]]
    base: np.ndarray | None = None
    budget: float | None = None
    left_out: list[tuple[str, str, str, int, int, str, int]] = field(default_factory=list)


def _draws(blocks: dict[int, Block], segments: Sequence[tuple[int, int, int]], years: int):
    """Per year: ε (b, n_cells) and the random common shock (b,) or None, over the chunk's segments."""
    streams = [blocks[k].draws(a, b) for k, a, b in segments]
    for _ in range(years):
        got = [next(s) for s in streams]
        eps = got[0][0] if len(got) == 1 else np.concatenate([g[0] for g in got])
        shock = None if got[0][1] is None else np.concatenate([g[1] for g in got])
        yield eps, shock


def _record(out: Chunk, part: Part, kind: str, measure: str, message: str, mask: np.ndarray,
            leaves: np.ndarray) -> None:
    """Count the paths of each (year, unit, leaf) cell of ``mask`` (b, Y, U_p, k) that was left out."""
    counts = mask.sum(axis=0)
    for y, u, j in zip(*np.nonzero(counts), strict=True):
        out.left_out.append((kind, measure, message, int(y), int(part.units[u]),
                             part.plan.tree.leaves[leaves[j]], int(counts[y, u, j])))


def _totals(part: Part, inputs: Inputs, leaf: LeafStage, ts: list[int], out: Chunk) -> TotalStage:
    """The part's totals; an aggregation that refuses some scores (a geometric mean of a 0) leaves those
    leaves out on those paths, recorded, as the leaf stage does for a scoring rule."""
    tree = part.plan.tree
    for _ in range(tree.n_leaves + 1):
        try:
            return total_stage(part.plan, inputs, leaf, ts, full=False)
        except RuleInputError as exc:
            mask = np.asarray(exc.mask, dtype=bool)
            cells = mask[..., : tree.n_leaves].copy()
            for k in range(tree.n_leaves, mask.shape[-1]):  # a refused inner node: the leaves below it
                below = [j for j, path in enumerate(tree.path) if tree.nodes[k] in path]
                cells[..., below] |= mask[..., k : k + 1]
            cells = cells.reshape(leaf.share.shape) & ~np.isnan(leaf.share)
            if not cells.any():
                raise
            _record(out, part, "aggregation", "", exc.message, cells, np.arange(tree.n_leaves))
            leaf = replace(leaf, share=np.where(cells, np.nan, leaf.share))
    raise AssertionError("unreachable: every retry leaves out at least one cell")


def _assemble(plan: Plan, parts: Sequence[Part], totals: Sequence[TotalStage], shape: tuple[int, int, int],
              ) -> TotalStage:
    """The parts' totals in the full plan's layout (nodes a part does not have are missing)."""
    if len(parts) == 1 and parts[0].whole:
        return totals[0]
    # Ranking reads the nodes that break ties only; without any, the totals hold no node scores.
    node = np.full((*shape, len(plan.tree.nodes)), np.nan) if plan.scenario.ranking.tie_break else None
    base, bonus, deduction, final = (np.full(shape, np.nan) for _ in range(4))
    vetoed = np.zeros(shape, dtype=bool)
    fired = np.full(shape, -1)
    for p, tot in zip(parts, totals, strict=True):
        cols = p.units
        if node is not None and tot.node_score is not None:
            node[:, :, cols[:, None], p.nodes[None, :]] = tot.node_score
        base[..., cols], bonus[..., cols], deduction[..., cols] = tot.base, tot.bonus, tot.deduction
        final[..., cols], vetoed[..., cols] = tot.final, tot.vetoed
        if len(p.conditions):
            fired[..., cols] = np.where(tot.veto_condition >= 0, p.conditions[np.maximum(tot.veto_condition, 0)], -1)
    return TotalStage(node, None, base, bonus, deduction, vetoed, fired, final)


def _keep_tracked(s: Setup, k: int, plan: Plan, leaf: LeafStage, ys: slice, out: Chunk) -> None:
    """Copy the tracked leaves of part ``k`` out of a leaf stage of ``plan`` (the part's, or its detail plan)."""
    cols = s.parts[k].units
    for ind, (pk, measures) in s.track.items():
        if pk != k:
            continue
        arrays = out.tracked[ind]
        pl = plan.tree.leaves.index(ind)
        arrays["value"][:, ys, cols] = leaf.value[..., pl]
        arrays["share"][:, ys, cols] = leaf.share[..., pl]
        for name in measures:
            m = leaf.measures.index(name)
            arrays[f"measured.{name}"][:, ys, cols] = leaf.measured[..., pl, m]  # type: ignore[index]
            arrays[f"target.{name}"][:, ys, cols] = leaf.target[..., pl, m]  # type: ignore[index]


def evaluate_chunk(s: Setup, blocks: dict[int, Block], segments: Sequence[tuple[int, int, int]]) -> Chunk:
    """Draw the chunk's paths and evaluate every projected year (see the module text)."""
    b = sum(stop - start for _, start, stop in segments)
    t0, ny = s.t0, s.years
    n_u = len(s.plan.data.unit_ids)
    ts = list(range(t0, t0 + ny))
    shape = (b, ny, n_u)
    out = Chunk({}, {ind: {name: np.full(shape, np.nan)
                           for name in ("value", "share", *(f"{k}.{m}" for m in ms for k in ("measured", "target")))}
                     for ind, (_, ms) in s.track.items()})
    xs = []
    for p in s.parts:
        x = np.empty((b, *p.inputs.values.shape))
        x[..., :t0] = p.inputs.values[..., :t0]
        xs.append(x)
    inputs = [Inputs(x, p.inputs.assigned, p.inputs.bonus, p.inputs.deduction, p.inputs.veto, p.inputs.veto_reason)
              for p, x in zip(s.parts, xs, strict=True)]
    previous = list(s.previous)
    for y, (eps, z) in enumerate(_draws(blocks, segments, ny)):
        t = t0 + y
        shock = s.growth.shock_path[y] + (0.0 if z is None else z)
        shock = np.reshape(shock, (-1, 1, 1))
        for k, (p, x) in enumerate(zip(s.parts, xs, strict=True)):
            g = step(x[..., t - 1], p.mu, p.sd, p.cells, eps, shock, p.lo, p.hi, x[..., t])
            if not s.behaviour:
                continue
            # The response reads the year's targets, then the year is evaluated again with its values.
            leaf = leaf_stage(p.plan, inputs[k], [t])
            x[..., t] = respond(p.plan, leaf, s.behaviour, x[..., t - 1], x[..., t], g, (p.lo, p.hi), previous[k])
            leaf = leaf_stage(p.plan, inputs[k], [t])
            previous[k] = leaf.target[:, 0]  # type: ignore[index]
            _keep_tracked(s, k, p.plan, leaf, slice(y, y + 1), out)
    totals = []
    for k, p in enumerate(s.parts):
        detail = p.detail and not s.behaviour and p.tracked is None
        leaf = leaf_stage(p.plan, inputs[k], ts, detail=detail)
        if detail:
            _keep_tracked(s, k, p.plan, leaf, slice(None), out)
        elif p.tracked is not None and not s.behaviour:
            d = p.tracked
            x = xs[k][:, :, d.leaves, :]
            d_inputs = Inputs(x, d.inputs.assigned, d.inputs.bonus, d.inputs.deduction, d.inputs.veto,
                              d.inputs.veto_reason)
            _keep_tracked(s, k, d.plan, leaf_stage(d.plan, d_inputs, ts), slice(None), out)
        for issue in leaf.issues:
            _record(out, p, issue.kind, issue.measure, issue.message, issue.mask, p.plan.rule_sets[issue.rule_set].leaves)
        totals.append(_totals(p, inputs[k], leaf, ts, out))
        del leaf
    xs.clear()
    full = _assemble(s.plan, s.parts, totals, shape)
    del totals
    ranks = rank_stage(s.plan, full)
    cons = s.plan.scenario.consequences
    v = out.variables
    v.update(rank=ranks.rank.astype(np.float32), rank_lo=ranks.rank_lo.astype(np.float32),
             rank_hi=ranks.rank_hi.astype(np.float32), grade=ranks.grade.astype(np.int8), score=full.final,
             vetoed=np.asarray(full.vetoed, dtype=bool))
    if cons.bonus is not None or cons.awards is not None:
        cash = money_stage(s.plan, full, ranks)
        if cash.payout is not None:
            v.update(payout=cash.payout, scale=cash.scale)
            out.base, out.budget = cash.base, cash.budget
        if cash.slots is not None:
            v["award_slots"] = cash.slots.astype(np.float32)
    if cons.progress is not None or cons.accountability is not None:
        start = None if s.start is None else LookBackStart(*(np.broadcast_to(a, (b, n_u)) for a in (
            s.start.rank, s.start.score, s.start.bottom_years)))
        back = look_back_stage(s.plan, full, ranks, start)
        v.update(previous_rank=back.previous_rank.astype(np.float32), rank_change=back.rank_change.astype(np.float32),
                 score_change=back.score_change, progress_award=back.progress_award,
                 bottom_years=back.bottom_years.astype(np.int16), step=back.step.astype(np.int8))
    return out


def last_targets(parts: Sequence[Part], behaviour: Sequence[Behaviour], t0: int,
                 observed: dict[int, np.ndarray]) -> tuple[np.ndarray | None, ...]:
    """Per part, the last observed year's targets (U, L, M) an effort response compares the first projected
    year with; None without an effort response or when that year cannot be evaluated."""
    if not any(isinstance(b, EffortResponse) for b in behaviour):
        return tuple(None for _ in parts)
    out = []
    for k, p in enumerate(parts):
        q = observed[k] if k in observed else observed_targets(p, t0)
        last = q[0, t0 - 1]
        out.append(None if np.isnan(last).all() else last)
    return tuple(out)
