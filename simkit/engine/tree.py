"""The indicator tree as the scenario sees it: which nodes count, their weights, and which units they apply to.

``build_tree`` checks a scenario against a data set (ids it names exist, points add up per track) and
returns a ``Tree`` of plain arrays for the aggregation stage.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

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
    #: per group profile (``scenario.groups``) that changes weights: (units, its weights (N,)); empty: none
    profile_weights: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    over_year: tuple[str, ...] = ()  # per leaf: how a year's value is made from its periods (components)

    @property
    def leaves(self) -> tuple[str, ...]:
        return self.nodes[: self.n_leaves]

    @property
    def inner(self) -> range:
        return range(self.n_leaves, len(self.nodes))

    def index(self, node: str) -> int:
        return self.nodes.index(node)


def build_tree(scenario: Scenario, data: Dataset) -> Tree:
    """Resolve the scenario's weights and node choices on the data's indicator tree; raise on any mismatch.

    The leaves are the data's, less the subjective ones (unless the scenario keeps them), those outside
    ``scope.indicators`` and, with ``components``, those in no component; with a scope or group rules, less
    the leaves that apply to no unit evaluated.  Components are nodes between the root and the nodes they name.
    """
    from .components import check_component_nodes, component_of, over_year
    from .groups import applicability, check_names

    where_ = where_of(scenario)
    problems: list[Problem] = []
    info = data.indicator_info
    order = {i: k for k, i in enumerate(info)}  # position in the indicators table: a stable order
    all_ids = set(info)
    parent_of = {i: row["parent"] for i, row in info.items() if isinstance(row["parent"], str)}

    def chain_of(n: str) -> tuple[str, ...]:
        chain = [n]
        while chain[-1] in parent_of:
            chain.append(parent_of[chain[-1]])
        return tuple(reversed(chain))

    # Which leaves count: subjective ones only when the scenario keeps them; those in scope; those in a component.
    leaves = [lf for lf in data.leaves if scenario.include_subjective or info[lf]["kind"] != "subjective"]
    subjective = {lf for lf in data.leaves if lf not in leaves}
    scope = scenario.scope.indicators if scenario.scope is not None else ()
    if scope:
        problems += [Problem(where_, f"scope.indicators names {n!r}, which is not in the data's indicators table",
                             "correct the id (see the indicators table)", field="scope.indicators")
                     for n in scope if n not in all_ids]
        leaves = [lf for lf in leaves if set(chain_of(lf)) & set(scope)]
    components = scenario.components or ()
    named: dict[str, str] = {}  # node named by a component → the component's id
    if components:
        problems += check_component_nodes(scenario, where_, all_ids, data.leaves)
        for comp in components:
            named.update({n: comp.id for n in comp.nodes})
        leaves = [lf for lf in leaves if component_of(scenario, chain_of(lf)) is not None]
    if scenario.groups:
        problems += check_names(scenario, data, where_, all_ids)
    if problems:
        raise ScenarioError(problems)

    # Applicability by track, and by group rules (个性指标, left-out nodes).
    def applies(kept_leaves: list[str]) -> np.ndarray:
        leaf_track = np.array([info[lf]["track"] for lf in kept_leaves], dtype=object)
        unit_track = data.units["track"].to_numpy(dtype=object)
        app = (leaf_track[None, :] == ALL_TRACKS) | (leaf_track[None, :] == unit_track[:, None])
        if scenario.groups:
            app &= applicability(scenario, data, [chain_of(lf) for lf in kept_leaves])
        return app.reshape(len(unit_track), len(kept_leaves))

    applicable = applies(leaves)
    if scenario.scope is not None or scenario.groups or components:  # leaves no unit of this scheme has
        some = applicable.any(axis=0)
        leaves = [lf for lf, ok in zip(leaves, some, strict=True) if ok]
        applicable = applicable[:, some]

    # The tree's parents: the data's, except that a node a component names hangs from the component.
    tree_parent = {n: named[n] if n in named else parent_of[n] for n in info if n in named or n in parent_of}
    kept: set[str] = set(named.values())
    for lf in leaves:
        node: str | None = lf
        while node is not None:
            kept.add(node)
            node = tree_parent.get(node)
    comp_order = {c.id: len(info) + k for k, c in enumerate(components)}
    for k, comp in enumerate(components):
        if not any(tree_parent.get(n) == comp.id for n in kept):
            problems.append(Problem(where_, f"component {comp.name} holds no indicator that applies to the units "
                                    "evaluated", "name nodes of the data's indicators that these units have, or "
                                    "remove the component", field=f"components.{k}.nodes"))

    def known(ids: object, field: str, what: str) -> None:
        for i in ids:  # type: ignore[attr-defined]
            if i not in all_ids and i not in comp_order:
                close = difflib.get_close_matches(str(i), sorted(all_ids), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(Problem(where_, f"{what} {i!r} is not in the data's indicators table",
                                        f"{hint}correct the id (the data's indicator ids: "
                                        f"{', '.join(sorted(all_ids)[:60])})", field=f"{field}.{i}"))
            elif i not in kept and (i in subjective or not set(subjective).isdisjoint(_below(i, parent_of, data))
                                    ) and not _outside(i, leaves, parent_of, data):
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
        while n in tree_parent:
            n = tree_parent[n]
            d += 1
        return d

    position = {**order, **comp_order}
    # Deepest first, ties in table order: the same node order on every run, whatever the hash seed.
    inner = sorted((n for n in kept if n not in leaves), key=lambda n: (-depth_of(n), position[n]))
    tops = list(comp_order) if components else [n for n in info if n in kept and n not in parent_of]
    single_root = not components and len(tops) == 1 and tops[0] not in leaves
    nodes = leaves + inner + ([] if single_root else [ROOT])
    pos = {n: k for k, n in enumerate(nodes)}
    root = nodes[-1]
    parent = np.array([pos[tree_parent[n]] if n in tree_parent else (-1 if n == root else pos[ROOT]) for n in nodes])
    children = tuple(np.flatnonzero(parent == k) for k in range(len(nodes)))
    depth = np.array([0 if n == root else depth_of(n) - (1 if single_root else 0) for n in nodes])

    points = scenario.weights.mode == "points"
    unit_track = data.units["track"].to_numpy(dtype=object)
    profile_weights: list[tuple[np.ndarray, np.ndarray]] = []
    if scenario.groups:
        from .groups import keys_of, profiles

        # A node needs points only where it applies: a group's own indicator (个性指标) takes its points from the
        # groups that name it, not from the scenario's weights.
        sets, which = keys_of(scenario, data)
        plain = which == sets.index(()) if () in sets else np.zeros(len(which), dtype=bool)
        weight = _weights(scenario, nodes, info, root, problems, where_,
                          _live(applicable[plain], len(leaves), children))
        for prof in profiles(scenario, data):
            if prof.scenario is scenario:
                check = [(scenario, weight, prof.units, "")]
            else:
                w = _weights(prof.scenario, nodes, info, root, problems, where_,
                             _live(applicable[prof.units], len(leaves), children))
                profile_weights.append((prof.units, w))
                check = [(prof.scenario, w, prof.units, f"groups.{'+'.join(prof.keys)}: ")]
            for sc, w, rows, label in check:
                if points and rows.any():
                    found = _check_points(sc, where_, nodes, len(leaves), children, w, applicable[rows],
                                          unit_track[rows], root)
                    problems += [replace(p, message=label + p.message) for p in found]
    else:
        weight = _weights(scenario, nodes, info, root, problems, where_)
        if points:
            problems += _check_points(scenario, where_, nodes, len(leaves), children, weight, applicable, unit_track,
                                      root)
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))

    method = tuple(scenario.aggregation.by_node.get(n, scenario.aggregation.method) for n in nodes)
    paths = [chain_of(lf) for lf in leaves]
    leaf_index = np.array([data.leaves.index(lf) for lf in leaves], dtype=int)
    return Tree(tuple(nodes), len(leaves), parent, weight, children, depth, method, applicable, leaf_index,
                tuple(paths), single_root, tuple(profile_weights),
                over_year(scenario, paths) if components else ())


def _below(node: str, parent_of: dict[str, str], data: Dataset) -> set[str]:
    """The leaves under ``node`` (itself, if a leaf)."""
    out = set()
    for lf in data.leaves:
        n: str | None = lf
        while n is not None:
            if n == node:
                out.add(lf)
                break
            n = parent_of.get(n)
    return out


def _outside(node: str, leaves: list[str], parent_of: dict[str, str], data: Dataset) -> bool:
    """A node left out by the scope or the components (not only because it is subjective): its leaves that are
    not subjective are all left out too."""
    below = _below(node, parent_of, data)
    objective = {lf for lf in below if data.indicator_info[lf]["kind"] != "subjective"}
    return bool(objective) and not (objective & set(leaves))


def _live(applicable: np.ndarray, n_leaves: int, children: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per node, whether it applies to some of these units (rows of ``applicable``); nodes are bottom-up."""
    live = np.zeros(len(children), dtype=bool)
    live[:n_leaves] = applicable.any(axis=0)
    for k in range(n_leaves, len(children)):
        live[k] = live[children[k]].any() if len(children[k]) else False
    return live


def _weights(scenario: Scenario, nodes: list[str], info: dict, root: str, problems: list[Problem],
             where: str, live: np.ndarray | None = None) -> np.ndarray:
    """Weights: the scenario's, else a component's points, else the data's weight column, else 1 (relative) or
    a problem (points; only for a node that applies to some unit, ``live``)."""
    points = scenario.weights.mode == "points"
    comp_points = {c.id: c.points for c in scenario.components or ()}
    weight = np.ones(len(nodes))
    for k, n in enumerate(nodes):
        if n == root:
            weight[k] = scenario.total
        elif n in scenario.weights.values:
            weight[k] = scenario.weights.values[n]
        elif n in comp_points:
            weight[k] = comp_points[n]
        elif n in info and not np.isnan(info[n]["weight"]):
            weight[k] = info[n]["weight"]
        elif points and (live is None or live[k]):
            problems.append(Problem(where, f"node {n!r} has no points: neither the scenario nor the data's "
                                    "indicators table gives a weight", f"add `{n}: <points>` under weights.values",
                                    field=f"weights.values.{n}"))
    return weight


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
