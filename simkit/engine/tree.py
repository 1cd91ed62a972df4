"""The indicator tree as the scenario sees it: which nodes count, their weights, and which units they apply to.

``build_tree`` checks a scenario against a data set (ids it names exist, points add up per track) and
returns a ``Tree`` of plain arrays for the aggregation stage.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ScenarioError
from ..io.dataset import Dataset
from ..schema.scenario import Scenario
from ..schema.scenario import where as where_of
from ..schema.tables import ALL_TRACKS

ROOT = "__total__"


@dataclass(frozen=True)
class Tree:
    """Nodes in bottom-up order (leaves first, the root last) with parent links and nominal weights."""

    nodes: tuple[str, ...]  # leaves first (in data order), then inner nodes bottom-up, root last
    n_leaves: int
    parent: np.ndarray  # (N,) index of each node's parent, -1 for the root
    weight: np.ndarray  # (N,) nominal weight of each node among its siblings
    children: tuple[np.ndarray, ...]  # per node, indices of its children (empty for leaves)
    depth: np.ndarray  # (N,) 0 for the root, 1 for first-level indicators, ...
    method: tuple[str, ...]  # per node: aggregation method of its children
    applicable: np.ndarray  # (U, L) bool: the leaf applies to the unit's track
    leaf_data_index: np.ndarray  # (L,) column of each kept leaf in Dataset.cube
    path: tuple[tuple[str, ...], ...]  # per leaf: node ids from its first-level ancestor down to it
    root_is_data_node: bool  # the data has a single top node (like COINr's Index) that is the root

    @property
    def leaves(self) -> tuple[str, ...]:
        return self.nodes[: self.n_leaves]

    @property
    def inner(self) -> range:
        return range(self.n_leaves, len(self.nodes))

    def index(self, node: str) -> int:
        return self.nodes.index(node)


def build_tree(scenario: Scenario, data: Dataset) -> Tree:
    """Resolve the scenario's weights and node choices on the data's indicator tree; raise on any mismatch."""
    where_ = where_of(scenario)
    problems: list[Problem] = []
    info = data.indicator_info
    order = {i: k for k, i in enumerate(info)}  # position in the indicators table: a stable order
    all_ids = set(info)
    parent_of = {i: row["parent"] for i, row in info.items() if isinstance(row["parent"], str)}

    # Which leaves count: subjective ones only when the scenario keeps them.
    leaves = [lf for lf in data.leaves if scenario.include_subjective or info[lf]["kind"] != "subjective"]
    kept: set[str] = set()
    for lf in leaves:
        node: str | None = lf
        while node is not None:
            kept.add(node)
            node = parent_of.get(node)

    def known(ids: object, field: str, what: str) -> None:
        for i in ids:  # type: ignore[attr-defined]
            if i not in all_ids:
                close = difflib.get_close_matches(str(i), sorted(all_ids), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(Problem(where_, f"{what} {i!r} is not in the data's indicators table",
                                        f"{hint}correct the id (the data's indicator ids: "
                                        f"{', '.join(sorted(all_ids)[:60])})", field=f"{field}.{i}"))
            elif i not in kept:
                problems.append(Problem(where_, f"{what} {i!r} is a subjective indicator, and this scenario leaves "
                                        "them out", "set `include_subjective: true` or remove it",
                                        field=f"{field}.{i}"))

    known(scenario.weights.values, "weights.values", "weighted node")
    known(scenario.indicators, "indicators", "indicator")
    known(scenario.aggregation.by_node, "aggregation.by_node", "node")
    known(scenario.ranking.tie_break, "ranking.tie_break", "tie-break node")
    for k, c in enumerate(scenario.adjustments.veto.conditions):
        if c.indicator not in data.leaves:
            problems.append(Problem(where_, f"veto indicator {c.indicator!r} is not a leaf indicator of the data",
                                    "name a leaf indicator id", field=f"adjustments.veto.conditions.{k}.indicator"))
    # Go on: every problem of the scenario against the data is reported at once (the checks below only read
    # the ids that exist).

    # Bottom-up order: leaves, then inner nodes by decreasing depth.
    def depth_of(n: str) -> int:
        d = 1
        while n in parent_of:
            n = parent_of[n]
            d += 1
        return d

    # Deepest first, ties in table order: the same node order on every run, whatever the hash seed.
    inner = sorted((n for n in kept if n not in leaves), key=lambda n: (-depth_of(n), order[n]))
    tops = [n for n in info if n in kept and n not in parent_of]
    single_root = len(tops) == 1 and tops[0] not in leaves
    nodes = leaves + inner + ([] if single_root else [ROOT])
    pos = {n: k for k, n in enumerate(nodes)}
    root = nodes[-1]
    parent = np.array([pos[parent_of[n]] if n in parent_of else (-1 if n == root else pos[ROOT]) for n in nodes])
    children = tuple(np.flatnonzero(parent == k) for k in range(len(nodes)))
    depth = np.array([0 if n == root else depth_of(n) - (1 if single_root else 0) for n in nodes])

    # Weights: scenario, else the data's weight column, else 1 (relative) / a problem (points).
    weight = np.ones(len(nodes))
    points = scenario.weights.mode == "points"
    for k, n in enumerate(nodes):
        if n == root:
            weight[k] = scenario.total
        elif n in scenario.weights.values:
            weight[k] = scenario.weights.values[n]
        elif n in info and not np.isnan(info[n]["weight"]):
            weight[k] = info[n]["weight"]
        elif points:
            problems.append(Problem(where_, f"node {n!r} has no points: neither the scenario nor the data's "
                                    "indicators table gives a weight", f"add `{n}: <points>` under weights.values",
                                    field=f"weights.values.{n}"))

    # Applicability by track.
    leaf_track = np.array([info[lf]["track"] for lf in leaves], dtype=object)
    unit_track = data.units["track"].to_numpy(dtype=object)
    applicable = (leaf_track[None, :] == ALL_TRACKS) | (leaf_track[None, :] == unit_track[:, None])

    if points:
        problems += _check_points(scenario, where_, nodes, len(leaves), children, weight, applicable, unit_track, root)
    if problems:
        raise ScenarioError(problems)

    method = tuple(scenario.aggregation.by_node.get(n, scenario.aggregation.method) for n in nodes)
    paths = []
    for lf in leaves:
        chain = [lf]
        while chain[-1] in parent_of:
            chain.append(parent_of[chain[-1]])
        paths.append(tuple(reversed(chain)))
    leaf_index = np.array([data.leaves.index(lf) for lf in leaves], dtype=int)
    return Tree(tuple(nodes), len(leaves), parent, weight, children, depth, method, applicable, leaf_index,
                tuple(paths), single_root)


def _check_points(scenario: Scenario, where: str, nodes: list[str], n_leaves: int, children: tuple[np.ndarray, ...],
                  weight: np.ndarray, applicable: np.ndarray, unit_track: np.ndarray, root: str) -> list[Problem]:
    """In points mode, children's points add up to their parent's points, for every track."""
    problems: list[Problem] = []
    tol = scenario.weights.tolerance
    reported: set[str] = set()
    for track in dict.fromkeys(unit_track):
        have = applicable[unit_track == track].any(axis=0)  # leaves applying to this track
        live = np.zeros(len(nodes), dtype=bool)
        live[:n_leaves] = have
        for k in range(n_leaves, len(nodes)):
            live[k] = live[children[k]].any()
        for k in range(n_leaves, len(nodes)):
            if not live[k] or nodes[k] in reported:
                continue
            if nodes[k] != root and scenario.weights.children == "scale":
                continue
            kids = [c for c in children[k] if live[c]]
            total = float(weight[kids].sum())
            if abs(total - weight[k]) > tol:
                reported.add(nodes[k])
                listed = ", ".join(f"{nodes[c]}={weight[c]:g}" for c in kids)
                if nodes[k] == root:
                    msg = (f"the first-level weights sum to {total:g}, not to the total of {weight[k]:g} "
                           f"(track {track!r}: {listed})")
                    fix = "change the first-level points so they add up to `total`"
                    field = "weights.values"
                else:
                    msg = (f"the points under {nodes[k]!r} sum to {total:g}, not to its {weight[k]:g} points "
                           f"(track {track!r}: {listed})")
                    fix = (f"change the points of {nodes[k]!r} or of its sub-indicators so they agree, or set "
                           "`weights.children: scale` to take sub-indicators' points as relative within their parent")
                    field = f"weights.values.{nodes[k]}"
                problems.append(Problem(where, msg, fix, field=field))
    return problems
