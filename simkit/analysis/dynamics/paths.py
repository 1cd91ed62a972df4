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

import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...engine.aggregate import all_arithmetic
from ...engine.compile import Inputs, Plan, compile_plan, inputs_of
from ...engine.stages import (
    Issue,
    LeafStage,
    LookBackStart,
    TotalStage,
    leaf_stage,
    look_back_stage,
    money_stage,
    rank_stage,
    smooth_after,
    total_stage,
)
from ...errors import RuleInputError, SimkitError
from ...schema.levers import SetValue, restrict_to
from .behaviour import Behaviour, EffortResponse, respond
from .growth import BLOCK, Block, CellGrowth, GrowthModel

#: Default memory budget: this share of the machine's available memory, at most ``MEMORY_CAP`` bytes.
MEMORY_SHARE = 0.25
MEMORY_CAP = 2 << 30
#: Working memory of one chunk at most, whatever the budget: larger chunks are no faster (on the bundled data
#: they are slower: their arrays no longer fit the processor's caches).
CHUNK_CAP = 128 << 20

# Bytes of working memory per path (see ``per_path_bytes``): in the leaf stage per measured cell-year, per
# cell-year, and per cell-year and measure of its kept detail; per unit-year for totals, ranks, money and look-back.
_MEASURE_BYTES = 56
_CELL_BYTES = 24
_DETAIL_BYTES = 24
_UNIT_BYTES = 256
#: Cells (draws × years × units × leaves) of one leaf-stage call at most (``year_blocks``): 8 MiB per float array.
LEAF_CELLS = 1 << 20


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
    growth: CellGrowth = field(repr=False)

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
    u, n_l, _ = obs.values.shape
    values = np.concatenate([obs.values, np.full((u, n_l, years), np.nan)], axis=-1)

    def pad(a: np.ndarray, fill: object) -> np.ndarray:
        return np.concatenate([a, np.full((u, years), fill, dtype=a.dtype)], axis=-1)

    return Inputs(values, assigned, pad(obs.bonus, 0.0), pad(obs.deduction, 0.0), pad(obs.veto, False),
                  pad(obs.veto_reason, ""))


def _branches(plan: Plan, leaves: Sequence[str]) -> list[str]:
    """The leaves and every node above them: what ``restrict_to`` and ``subset_indicators`` keep."""
    ind = plan.data.indicators
    parent_of = {i: p for i, p in zip(ind["indicator"], ind["parent"], strict=True) if isinstance(p, str)}
    keep: set[str] = set()
    for leaf in leaves:
        node: str | None = leaf
        while node is not None:
            keep.add(node)
            node = parent_of.get(node)
    return sorted(keep)


def _track_plans(plan: Plan) -> list[tuple[Plan, np.ndarray, np.ndarray]] | None:
    """One plan per track with only its leaves; None when a group spans tracks or a track's plan does not
    compile (the whole plan then serves)."""
    data, tree = plan.data, plan.tree
    units = data.units
    tracks = list(dict.fromkeys(units["track"]))
    if len(tracks) < 2 or units.groupby("group")["track"].nunique().max() > 1:
        return None
    out = []
    for tr in tracks:
        rows = np.flatnonzero(units["track"].to_numpy() == tr)
        keep = _branches(plan, [tree.leaves[k] for k in np.flatnonzero(tree.applicable[rows].any(axis=0))])
        try:
            sub = compile_plan(restrict_to(plan.scenario, keep),
                               data.subset_units(list(units["unit"].iloc[rows])).subset_indicators(keep))
        except (SimkitError, ValueError):
            return None
        out.append((sub, rows, np.array([tree.leaves.index(n) for n in sub.tree.leaves], dtype=int)))
    return out


def _detail(sub: Plan, assigned: np.ndarray, years: int, track: Sequence[str]) -> Detail | None:
    """The plan of ``sub``'s tracked leaves (weights set relative: a few leaves cannot keep the points of a
    whole tree, and the leaf stage reads no weight); None if it does not compile."""
    keep = _branches(sub, [lf for lf in sub.tree.leaves if lf in track])
    try:
        scenario = SetValue(paths=("weights.mode",), value="relative").apply(restrict_to(sub.scenario, keep))
        plan = compile_plan(scenario, sub.data.subset_indicators(keep))
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
        tracked = bool(kept & set(track))
        parts.append(Part(
            plan=sub, units=rows, leaves=leaves,
            nodes=np.array([tree.index(n) for n in sub.tree.nodes], dtype=int),
            conditions=np.array([k for k, c in enumerate(conditions) if sub is plan or c.indicator in kept],
                                dtype=int),
            inputs=projected_inputs(sub, assigned[cells], years), detail=tracked,
            tracked=_detail(sub, assigned[cells], years, track) if tracked else None,
            growth=growth.of(rows, leaves)))
    return tuple(parts)


def issue_mask(issue: Issue, leaf: LeafStage) -> np.ndarray:
    """An issue's cells as (D, Y, U, k) (a scoring rule's refusal comes with the draws and years flattened)."""
    return issue.mask.reshape(*leaf.share.shape[:2], *issue.mask.shape[-2:])


def observed_targets(part: Part, t0: int) -> np.ndarray:
    """Targets (1, T0, U, L, M) of the observed years, NaN in a year the part's rules cannot evaluate (as a
    projection has always shown them)."""
    leaf = leaf_stage(part.plan, part.inputs, list(range(t0)), detail=True)
    assert leaf.target is not None
    bad = np.zeros(t0, dtype=bool)
    for issue in leaf.issues:
        bad[issue_mask(issue, leaf).any(axis=(0, 2, 3))] = True
    return np.where(bad[None, :, None, None, None], np.nan, leaf.target)


# ============================================================================================= memory
def per_path_bytes(plan: Plan, parts: Sequence[Part], years: int, n_cells: int, n_tracked: int,
                   behaviour: bool) -> int:
    """Working memory of one path in a chunk (an upper estimate): every part's values over all years, the
    largest part's leaf stage, the totals, ranks, money and look-back of every unit, the tracked arrays and
    one year of random numbers.

    The leaf stage takes about ``_MEASURE_BYTES`` per measured cell-year (a blend of two measures counts
    twice), ``_CELL_BYTES`` per cell-year and, when it keeps measured values and targets, ``_DETAIL_BYTES`` per
    cell-year and measure (measured with ``tracemalloc`` on the bundled data and on 200 synthetic units, and
    rounded up).
    """
    values = 8 * sum(p.inputs.values.size for p in parts)

    def leaf(p: Part, ny: int, detail: bool) -> int:
        u, n_l = p.inputs.values.shape[:2]
        measured = sum(len(rs.leaves) * len(rs.rule.measures) for rs in p.plan.rule_sets)
        n_m = len({m for rs in p.plan.rule_sets for m in rs.rule.measures})
        return ny * u * (_MEASURE_BYTES * measured + _CELL_BYTES * n_l + detail * _DETAIL_BYTES * n_m * n_l)

    leaves = max(max(leaf(p, years, p.detail and p.tracked is None), leaf(p, 1, behaviour)) for p in parts)
    nodes = len(plan.tree.nodes) if plan.scenario.ranking.tie_break else 0
    totals = years * len(plan.data.unit_ids) * (_UNIT_BYTES + 8 * nodes + 8 * n_tracked)
    return int(values + leaves + totals + 8 * n_cells)


def chunks(paths: int, per_path: int, memory: int) -> list[tuple[tuple[int, int, int], ...]]:
    """Chunks of paths: each a run of (block, first row, end row) segments of the random stream's blocks,
    at most ``min(memory, CHUNK_CAP) // per_path`` paths (at least one), whole blocks where they fit.

    >>> chunks(1200, 1, 10**9)
    [((0, 0, 500), (1, 0, 500), (2, 0, 200))]
    >>> chunks(700, 1, 300)
    [((0, 0, 250),), ((0, 250, 500),), ((1, 0, 200),)]
    """
    size = max(1, min(memory, CHUNK_CAP) // max(per_path, 1))
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
        out.extend(((k, a, b),) for a, b in itertools.pairwise(edges))
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
    """One chunk's outputs: variables (b, Y, U), tracked arrays, the money's base and budget, the cells left
    out (kind, measure, message, year index, unit index, leaf, paths) and the paths with any (``affected``)."""

    variables: dict[str, np.ndarray]
    tracked: dict[str, dict[str, np.ndarray]]
    affected: np.ndarray
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
            leaves: np.ndarray, year0: int = 0) -> None:
    """Count the paths of each (year, unit, leaf) cell of ``mask`` (b, Y, U_p, k) that was left out (its years
    from projected year ``year0`` on)."""
    out.affected |= mask.any(axis=(1, 2, 3))
    counts = mask.sum(axis=0)
    for y, u, j in zip(*np.nonzero(counts), strict=True):
        out.left_out.append((kind, measure, message, year0 + int(y), int(part.units[u]),
                             part.plan.tree.leaves[leaves[j]], int(counts[y, u, j])))


def _refusing(part: Part, inputs: Inputs, leaf: LeafStage, ts: list[int], out: Chunk, rows: np.ndarray,
              ) -> TotalStage:
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
            full = np.zeros((len(out.affected), *cells.shape[1:]), dtype=bool)
            full[rows] = cells
            _record(out, part, "aggregation", "", exc.message, full, np.arange(tree.n_leaves))
            leaf = replace(leaf, share=np.where(cells, np.nan, leaf.share))
    raise AssertionError("unreachable: every retry leaves out at least one cell")


def _draw_rows(leaf: LeafStage, rows: np.ndarray) -> LeafStage:
    """The leaf stage of some draws only (what the totals read: values and shares)."""
    def rows_of(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[rows]

    return replace(leaf, value=leaf.value[rows], share=leaf.share[rows], measured=None, target=None,
                   part_share=None, issues=(), filled=None, penalty=rows_of(leaf.penalty),
                   excluded=rows_of(leaf.excluded))


def year_blocks(b: int, part: Part, years: int) -> list[slice]:
    """The projected years' leaf stage, in blocks of years of at most ``LEAF_CELLS`` cells (at least a year):
    its many temporary arrays then stay in the processor's cache, where one call over every year of 30,000
    units would stream each of them through memory.  A leaf's share in a year reads only that year's values and
    the years before, so the blocks give the numbers of one call over every year.

    >>> from types import SimpleNamespace as NS
    >>> [len(year_blocks(1, NS(inputs=NS(values=np.empty((u, 30, 1)))), 10)) for u in (3000, 30000)]
    [1, 10]
    """
    u, n_l = part.inputs.values.shape[:2]
    per = max(1, LEAF_CELLS // max(b * u * n_l, 1))
    return [slice(a, min(a + per, years)) for a in range(0, years, per)]


def _for_totals(leaf: LeafStage) -> LeafStage:
    """What the totals read of a leaf stage: values, shares and the missing-data policy's points and exclusions."""
    return replace(leaf, measured=None, target=None, part_share=None, issues=(), filled=None)


def _joined(pieces: Sequence[LeafStage]) -> LeafStage:
    """Leaf stages of consecutive blocks of years as one (what the totals read)."""
    if len(pieces) == 1:
        return pieces[0]

    def cat(name: str) -> np.ndarray | None:
        arrays = [getattr(q, name) for q in pieces]
        return None if arrays[0] is None else np.concatenate(arrays, axis=1)

    return replace(pieces[0], value=cat("value"), share=cat("share"), penalty=cat("penalty"),
                   excluded=cat("excluded"))


def _totals(part: Part, inputs: Inputs, leaf: LeafStage, ts: list[int], out: Chunk, odd: np.ndarray,
            ) -> TotalStage:
    """The part's totals of every path of the chunk.

    The collapsed aggregation (an arithmetic tree) serves a batch whose paths miss the same cells; paths with
    cells left out (``odd``) would send the whole batch to the level-by-level means, whose last digits differ,
    so that a path's score would depend on which paths share its chunk.  They are aggregated one by one.
    """
    rows = np.arange(leaf.share.shape[0])
    if not odd.any() or not all_arithmetic(part.plan.tree):
        return _refusing(part, inputs, leaf, ts, out, rows)
    groups = [rows[~odd], *([r] for r in rows[odd])]
    pieces = [(g, _refusing(part, inputs, _draw_rows(leaf, np.asarray(g)), ts, out, np.asarray(g)))
              for g in groups if len(g)]
    first = pieces[0][1]

    def merged(name: str) -> np.ndarray | None:
        if getattr(first, name) is None:
            return None
        arr = np.empty((len(rows), *getattr(first, name).shape[1:]), dtype=getattr(first, name).dtype)
        for g, tot in pieces:
            arr[g] = getattr(tot, name)
        return arr

    return TotalStage(merged("node_score"), None, *(merged(n) for n in ("base", "bonus", "deduction", "vetoed",
                                                                        "veto_condition", "final")))


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
                     for ind, (_, ms) in s.track.items()}, np.zeros(b, dtype=bool))
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
            g = p.growth.step(x[..., t - 1], eps, shock, x[..., t])
            if not s.behaviour:
                continue
            # The response reads the year's targets, then the year is evaluated again with its values.
            leaf = leaf_stage(p.plan, inputs[k], [t])
            x[..., t] = respond(p.plan, leaf, s.behaviour, x[..., t - 1], x[..., t], g, (p.growth.lo, p.growth.hi),
                                previous[k])
            leaf = leaf_stage(p.plan, inputs[k], [t])
            previous[k] = leaf.target[:, 0]  # type: ignore[index]
            _keep_tracked(s, k, p.plan, leaf, slice(y, y + 1), out)
    totals = []
    for k, p in enumerate(s.parts):
        detail = p.detail and not s.behaviour and p.tracked is None
        odd = np.zeros(b, dtype=bool)
        pieces = []
        for ys in year_blocks(b, p, ny):
            tb = ts[ys]
            leaf = leaf_stage(p.plan, inputs[k], tb, detail=detail)
            if detail:
                _keep_tracked(s, k, p.plan, leaf, ys, out)
            elif p.tracked is not None and not s.behaviour:
                d = p.tracked
                x = xs[k][:, :, d.leaves, :]
                d_inputs = Inputs(x, d.inputs.assigned, d.inputs.bonus, d.inputs.deduction, d.inputs.veto,
                                  d.inputs.veto_reason)
                _keep_tracked(s, k, d.plan, leaf_stage(d.plan, d_inputs, tb), ys, out)
            for issue in leaf.issues:
                mask = issue_mask(issue, leaf)
                odd |= mask.any(axis=(1, 2, 3))
                _record(out, p, issue.kind, issue.measure, issue.message, mask,
                        p.plan.rule_sets[issue.rule_set].leaves, ys.start)
            pieces.append(_for_totals(leaf))
            del leaf
        totals.append(_totals(p, inputs[k], _joined(pieces), ts, out, odd))
        del pieces
    xs.clear()
    full = _assemble(s.plan, s.parts, totals, shape)
    del totals
    start = None if s.start is None else s.start.broadcast(b)
    full = smooth_after(s.plan, full, None if start is None else start.scores)  # ranking.smooth_years
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
            v["award_slots"] = cash.slots.astype(np.int32)  # whole slots
    if cons.progress is not None or cons.accountability is not None:
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
