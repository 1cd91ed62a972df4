"""Input groups and their draws: seeded blocks of random coordinates, designs of uniforms, the SALib problem.

Reproducibility: each input group draws from its own ``numpy`` ``Generator`` per fixed block of draws, seeded
by ``SeedSequence(seed, spawn_key=(matrix, group key, block))`` (matrix 0 = A, 1 = B of the Saltelli design;
the group key is a stable hash of its label).  The blocks do not depend on how the draws are chunked, so a
seed gives the same draws for any chunk size, thread count or cluster.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ...engine.tree import Tree
from ...errors import Problem, ScenarioError
from .spec import SPEC_SOURCE, RuleChoice, WeightUncertainty

Raw = dict[str, np.ndarray]  # input-group label → raw coordinates (draws, dim)

# Where a block of normals was left off: (seed, stream, group key, block, dim) → (generator, next row).  Chunks
# of one block come in order (one worker, or each thread's own chunks), so the next chunk continues the same
# generator instead of drawing and dropping the rows before it again: without this, chunks much smaller than a
# block (many units: a block of 32 draws, chunks of a few) redraw on average half a block each, a cost that
# grows faster than the number of units.  The numbers are the same either way; the cache only saves work.
_LEFT_OFF: OrderedDict[tuple[int, ...], tuple[np.random.Generator, int]] = OrderedDict()
_LEFT_OFF_LOCK = threading.Lock()
_LEFT_OFF_MAX = 64


@dataclass(frozen=True)
class InputGroup:
    """One named group of uncertain inputs: its kind and how many random coordinates one draw uses.

    >>> g = InputGroup("choice:c", "choice", 1, None, group_key("choice:c"), block_rows(1))
    >>> g.sample(np.random.default_rng(0), 3).shape, g.block
    ((3, 1), 4096)
    """

    label: str
    kind: Literal["weights", "noise", "choice"]
    dim: int
    spec: Any = field(repr=False)
    key: int = field(repr=False)  # stream key of the group: a stable hash of its label
    block: int = field(repr=False)  # draws per seeded block
    alpha: np.ndarray | None = field(default=None, repr=False)  # Dirichlet parameters (dim,)

    @property
    def uniform(self) -> bool:
        """Its coordinates are uniforms (one 64-bit output of the generator each)."""
        return self.kind == "choice" or (self.kind == "weights" and self.spec.distribution == "uniform")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Raw coordinates of ``n`` draws: uniforms (weights, choices), gamma variates (Dirichlet), normals."""
        if self.kind == "noise":
            return rng.standard_normal((n, self.dim))
        if self.kind == "weights" and self.spec.distribution == "dirichlet":
            return rng.gamma(self.alpha, size=(n, self.dim))
        return rng.random((n, self.dim))

    def rows(self, seed: int, stream: int, block: int, a: int, b: int, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``a:b`` of one seeded block of draws (into ``out`` (b − a, dim), C-contiguous, for normals).

        Uniforms skip ahead to row ``a`` (each takes exactly one output of the generator, so the rows are those
        of the whole block, bit for bit).  Normals take a varying number of outputs but are drawn one after the
        other: rows ``0:a`` are drawn and dropped, rows ``a:b`` drawn straight into ``out``, and the rest of the
        block is never drawn.  Gamma variates (Dirichlet) are drawn for the whole block and cut."""
        if self.kind == "noise":
            where = (seed, stream, self.key, block, self.dim)
            with _LEFT_OFF_LOCK:
                left = _LEFT_OFF.pop(where, None)
            if left is not None and left[1] == a:
                rng = left[0]
            else:
                rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, self.key,
                                                                                                block))))
                if a:
                    rng.standard_normal(out=np.empty((a, self.dim)))
            out = np.empty((b - a, self.dim)) if out is None else out
            rng.standard_normal(out=out)
            if b < self.block:
                with _LEFT_OFF_LOCK:
                    _LEFT_OFF[where] = (rng, b)
                    while len(_LEFT_OFF) > _LEFT_OFF_MAX:
                        _LEFT_OFF.popitem(last=False)
            return out
        bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, self.key, block)))
        rng = np.random.Generator(bits)
        if self.uniform:
            bits.advance(a * self.dim)
            return self.sample(rng, b - a)
        return self.sample(rng, self.block)[a:b]

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        """Raw coordinates from uniforms in [0, 1] (a design such as SALib's Saltelli sample)."""
        from scipy import special

        u = np.asarray(u, dtype=float)
        if self.kind == "noise":
            return special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
        if self.kind == "weights" and self.spec.distribution == "dirichlet":
            return special.gammaincinv(self.alpha, np.clip(u, 1e-12, 1 - 1e-12))
        return u


def block_rows(dim: int) -> int:
    """Draws per seeded block: a power of two up to 4096, about 2**18 random numbers per block.

    >>> block_rows(1), block_rows(30), block_rows(10_000)
    (4096, 4096, 32)
    """
    return int(min(4096, max(32, 2 ** int(np.log2(max(2**18 // max(dim, 1), 1))))))


def group_key(label: str) -> int:
    """The stream key of an input group: a stable hash of its label (the same in every process).

    >>> group_key("noise")
    4255749673
    """
    return zlib.crc32(label.encode("utf-8"))


def draw(groups: Sequence[InputGroup], seed: int, stream: int, start: int, stop: int) -> Raw:
    """Raw coordinates of draws ``start:stop`` of matrix ``stream`` (0 = A, 1 = B), the same for any chunking.

    >>> g = (InputGroup("c", "choice", 1, None, group_key("c"), 4), InputGroup("n", "noise", 2, None, 7, 4))
    >>> a, b = draw(g, 1, 0, 3, 9), draw(g, 1, 0, 0, 9)
    >>> bool((a["c"] == b["c"][3:]).all() and (a["n"] == b["n"][3:]).all())
    True
    """
    out = {}
    for g in groups:
        bs = g.block
        blocks = range(start // bs, (stop - 1) // bs + 1)
        if g.kind == "noise":  # normals straight into one array (no block drawn whole, no concatenation)
            z = out[g.label] = np.empty((stop - start, g.dim))
            for k in blocks:
                a, b = max(start - k * bs, 0), min(stop - k * bs, bs)
                r0 = k * bs + a - start
                g.rows(seed, stream, k, a, b, out=z[r0 : r0 + b - a])
            continue
        parts = [g.rows(seed, stream, k, max(start - k * bs, 0), min(stop - k * bs, bs)) for k in blocks]
        out[g.label] = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return out


def split_uniform(groups: Sequence[InputGroup], x: np.ndarray) -> Raw:
    """Raw coordinates from a design of uniforms whose columns follow ``salib_problem(groups)``.

    >>> g = [InputGroup("c", "choice", 1, None, 0, 32), InputGroup("n", "noise", 1, None, 1, 32)]
    >>> {k: v.round(3).tolist() for k, v in split_uniform(g, [[0.25, 0.5]]).items()}
    {'c': [[0.25]], 'n': [[0.0]]}
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    dims = sum(g.dim for g in groups)
    if x.shape[1] != dims:
        raise ValueError(f"the design has {x.shape[1]} columns; this problem has {dims}")
    out, k = {}, 0
    for g in groups:
        out[g.label] = g.from_uniform(x[:, k : k + g.dim])
        k += g.dim
    return out


def salib_problem(groups: Sequence[InputGroup]) -> dict[str, Any]:
    """A SALib problem: one uniform [0, 1] variable per coordinate, grouped by input group.

    >>> salib_problem([InputGroup("c", "choice", 1, None, 0, 32), InputGroup("n", "noise", 2, None, 1, 32)])["names"]
    ['c[0]', 'n[0]', 'n[1]']
    """
    names, labels = [], []
    for g in groups:
        names += [f"{g.label}[{k}]" for k in range(g.dim)]
        labels += [g.label] * g.dim
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names), "groups": labels}


def rows(raw: Mapping[str, np.ndarray], sel: np.ndarray | None) -> Raw:
    """The draws ``sel`` of every group (all of them for None).

    >>> rows({"w": np.arange(6).reshape(3, 2)}, slice(1, None))["w"].tolist()
    [[2, 3], [4, 5]]
    """
    return dict(raw) if sel is None else {k: v[sel] for k, v in raw.items()}


def choice_rows(choices: Sequence[RuleChoice], raw: Mapping[str, np.ndarray], n: int,
                ) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """The draws of each combination of rule alternatives: (alternative index per choice, draw indices).

    >>> c = RuleChoice(name="c", alternatives={"a": [], "b": []}, probabilities=(0.3, 0.7))
    >>> choice_rows([c], {"choice:c": np.array([[0.1], [0.9], [0.2]])}, 3)
    [((0,), array([0, 2])), ((1,), array([1]))]
    """
    if not choices:
        return [((), np.arange(n))]
    idx = np.column_stack([
        np.minimum(np.searchsorted(c.cumulative, raw[c.label][:, 0], side="right"), len(c.alternatives) - 1)
        for c in choices])
    uniq, inv = np.unique(idx, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    return [(tuple(int(v) for v in row), np.flatnonzero(inv == k)) for k, row in enumerate(uniq)]


# ------------------------------------------------------------------------------------- weight groups
def select_nodes(tree: Tree, w: WeightUncertainty, order: tuple[str, ...]) -> tuple[str, ...]:
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


def sibling_sets(tree: Tree, idx: np.ndarray) -> tuple[np.ndarray, ...]:
    """Column subsets of ``idx`` that share a parent (each gets one Dirichlet)."""
    parents = tree.parent[idx]
    return tuple(np.flatnonzero(parents == p) for p in dict.fromkeys(parents.tolist()))


def weight_group(w: WeightUncertainty, tree: Tree, ids: tuple[str, ...]) -> InputGroup:
    """The input group of a weight spec whose coordinates stand for the nodes ``ids``."""
    alpha = None
    if w.distribution == "dirichlet":
        idx = np.array([tree.index(n) for n in ids])
        alpha = np.empty(len(ids))
        for cols in sibling_sets(tree, idx):
            nominal = tree.weight[idx[cols]]
            alpha[cols] = w.concentration * nominal / nominal.sum() if nominal.sum() > 0 else w.concentration
        if (alpha <= 0).any():
            raise ScenarioError(Problem(SPEC_SOURCE, f"{w.label}: a Dirichlet needs nominal weights above 0",
                                        "leave zero-weight nodes out, or use `uniform`", field=w.label))
    return InputGroup(w.label, "weights", len(ids), w, group_key(w.label), block_rows(len(ids)), alpha)
