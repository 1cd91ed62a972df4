"""The evaluation pipeline: data → targets → indicator shares → totals → ranks within groups → grades.

``compile_model`` checks a scenario against a data set once and lays everything out as arrays; the stage
functions then work on a batch of draws at once (the leading axis), so the same code serves one evaluation
and a Monte Carlo block.  ``evaluate`` runs the stages for one year and wraps the arrays in a ``Result``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aggregation import aggregate
from .data import Dataset
from .errors import EvaluationError, Problem, RuleInputError, ScenarioError
from .grading import assign_grades
from .measures import MEASURES
from .ranking import group_rank, group_ranks
from .scenario import ResolvedRule, Scenario, source_of
from .scoring import SCORING_RULES, score
from .targets import TargetContext, compute_target, years_needed
from .tree import Tree, build_tree


@dataclass(frozen=True)
class RuleSet:
    """Leaves that share one resolved rule, scored together."""

    rule: ResolvedRule
    leaves: np.ndarray  # indices into the tree's leaves


@dataclass(frozen=True)
class Model:
    """A scenario compiled against a data set for one evaluation year."""

    scenario: Scenario
    data: Dataset
    tree: Tree
    year: int
    t: int  # index of the evaluation year in data.years
    group_codes: np.ndarray  # (U,)
    group_names: tuple[str, ...]
    rule_sets: tuple[RuleSet, ...]
    direction: np.ndarray  # (L,)
    values: np.ndarray  # (U, L, T) observed values of the kept leaves
    assigned: np.ndarray  # (U, L, T) assigned targets
    bonus: np.ndarray  # (U,) bonus points from the adjustments table, capped
    deduction: np.ndarray  # (U,) deducted points, capped
    veto_table: np.ndarray  # (U,) bool
    veto_reason: tuple[str, ...]  # (U,) text
    history_needed: int = 0  # years before the evaluation year that the rules read

    @property
    def where(self) -> str:
        return source_of(self.scenario) or self.scenario.name


@dataclass(frozen=True)
class Static:
    """The year-independent part of a compiled scenario: the tree, the rule sets, the arrays."""

    tree: Tree
    rule_sets: tuple[RuleSet, ...]
    direction: np.ndarray
    values: np.ndarray
    assigned: np.ndarray
    group_codes: np.ndarray
    group_names: tuple[str, ...]
    history_needed: int  # how many years before the evaluation year the rules read


def _rule_key(rule: ResolvedRule) -> tuple:
    return (tuple(sorted(rule.measures.items())), rule.target, rule.scoring, rule.nonpositive_base)


def compile_static(scenario: Scenario, data: Dataset) -> Static:
    """Check the scenario against the data and lay out everything that does not depend on the year."""
    where = source_of(scenario) or scenario.name
    tree = build_tree(scenario, data)
    # Group leaves by their resolved rule so each rule runs once over all its leaves.
    sets: dict[tuple, tuple[ResolvedRule, list[int]]] = {}
    for k, path in enumerate(tree.path):
        rule = scenario.rule_for(path)
        sets.setdefault(_rule_key(rule), (rule, []))[1].append(k)
    rule_sets = tuple(RuleSet(rule, np.array(idx)) for rule, idx in sets.values())

    problems = []
    history = 0
    for rs in rule_sets:
        needs = SCORING_RULES[rs.rule.scoring.rule][0].needs_target
        if needs and rs.rule.target.rule == "none":
            names = ", ".join(tree.leaves[k] for k in rs.leaves[:5])
            problems.append(Problem(where, f"scoring rule `{rs.rule.scoring.rule}` compares with a target, but "
                                    f"indicators {names} have target rule `none`",
                                    "give these indicators a target rule (e.g. baseline), or a scoring rule "
                                    "that needs none (efficacy, minmax, rank_decay, ...)", field="indicators"))
        if rs.rule.target.rule == "assigned" and len(rs.rule.measures) > 1:
            problems.append(Problem(where, "assigned targets are one number per indicator, so they cannot serve "
                                    f"a blend of measures ({', '.join(rs.rule.measures)})",
                                    "use one measure with `assigned`, or another target rule", field="indicators"))
        lag = max(0 if m == "level" else 1 for m in rs.rule.measures)
        # Fewest earlier years the target can work with (a baseline's min_years, else its window).
        span = (getattr(rs.rule.target, "min_years", None) or len(years_needed(rs.rule.target, 10_000))) if needs else 0
        history = max(history, lag + span)
    if problems:
        raise ScenarioError(problems)
    codes, names = pd.factorize(data.units["group"], sort=False)
    return Static(tree, rule_sets, data.indicator_direction[tree.leaf_data_index],
                  data.cube[:, tree.leaf_data_index, :], data.assigned[:, tree.leaf_data_index, :],
                  codes, tuple(names), history)


def years_read(model: Model) -> int | None:
    """How many years before the evaluation year the rules read (targets' windows, a growth's base year);
    None when a ratchet reads the whole history."""
    back = 0
    for rs in model.rule_sets:
        if rs.rule.target.rule == "ratchet":
            return None
        lag = 0 if set(rs.rule.measures) == {"level"} else 1
        back = max(back, len(years_needed(rs.rule.target, 10_000)) + lag)
    return back


def compile_model(scenario: Scenario, data: Dataset, year: int | None = None, static: Static | None = None) -> Model:
    """Check the scenario against the data for a year (default: the scenario's year, else the last one).

    ``static`` (from ``compile_static``) saves recompiling the year-independent part for every year.
    """
    year = year if year is not None else (scenario.year if scenario.year is not None else data.years[-1])
    if year not in data.years:
        raise EvaluationError(Problem(data.source, f"the data have no observations for {year}",
                                      f"choose one of the years {data.years[0]}–{data.years[-1]} (--year)"))
    t = data.years.index(year)
    st = compile_static(scenario, data) if static is None else static
    tree = st.tree

    # Units with nothing to score in the evaluation year cannot be ranked.
    have = (~np.isnan(st.values[:, :, t]) & tree.applicable).any(axis=1)
    problems = [
        Problem(data.source, f"unit {u!r} ({n}) has no values for {year} in any indicator of this scenario",
                f"add its {year} observations, or remove the unit", field="observations")
        for u, n, ok in zip(data.units["unit"], data.units["name"], have, strict=True) if not ok
    ]
    if problems:
        raise EvaluationError(problems)
    for rs in st.rule_sets:
        if t - 1 < 0 and any(m != "level" for m in rs.rule.measures):
            raise ScenarioError(Problem(data.source, f"measuring {'/'.join(rs.rule.measures)} in {year} needs "
                                        f"{year - 1}, which the data do not have",
                                        "evaluate a later year, or add the earlier year's observations"))

    # Adjustments for the evaluation year.
    cfg = scenario.adjustments
    bonus, deduction, vetoes = data.adjustment_arrays
    n = len(data.unit_ids)

    def points(table: np.ndarray, cap: float | None) -> np.ndarray:
        raw = table[:, t] if cfg.use_table else np.zeros(n)
        return raw if cap is None else np.minimum(raw, cap)

    reasons = [vetoes.get((u, t), "") if cfg.veto.use_table else "" for u in range(n)]
    return Model(
        scenario=scenario, data=data, tree=tree, year=year, t=t, group_codes=st.group_codes,
        group_names=st.group_names, rule_sets=st.rule_sets, direction=st.direction, values=st.values,
        assigned=st.assigned, bonus=points(bonus, cfg.bonus_cap), deduction=points(deduction, cfg.deduction_cap),
        veto_table=np.array([bool(r) for r in reasons]), veto_reason=tuple(reasons),
        history_needed=st.history_needed,
    )


# ================================================================================================= stages
@dataclass(frozen=True)
class LeafStage:
    """Per unit and leaf: the value, each measure part's measured value, target and share, and the share."""

    value: np.ndarray  # (B, U, L)
    parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # measure -> (weight (L,), m, q, share)
    share: np.ndarray  # (B, U, L) blended share (NaN: missing or not applicable)


def leaf_stage(model: Model, values: np.ndarray | None = None, years: Sequence[int] | None = None) -> LeafStage:
    """Measures, targets and shares for every leaf; ``values`` (B, U, L, T) defaults to the data.

    ``years`` (indices into the data's years) evaluates several years at once, stacked on the batch axis
    (with a single draw of values); a problem in any of them is then reported without detail, so callers
    fall back to one year at a time for the precise message.
    """
    x = model.values[None] if values is None else values
    ts = [model.t] if years is None else list(years)
    if len(ts) > 1 and x.shape[0] != 1:
        raise ValueError("several years at once need a single draw of values")
    t = ts[0] if len(ts) == 1 else None
    b, u, n_leaves, _ = x.shape
    b *= len(ts)
    app = model.tree.applicable[None]
    share = np.zeros((b, u, n_leaves))
    parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    problems: list[Problem] = []
    for rs in model.rule_sets:
        idx = rs.leaves
        rule = rs.rule
        needs = SCORING_RULES[rule.scoring.rule][0].needs_target
        for name, w in rule.measures.items():
            series, bad = MEASURES[name](x[:, :, idx, :])  # (B, U, k, T)
            ser = np.moveaxis(series, 1, 2)  # (B, k, U, T): units next to years for target rules
            ctx = TargetContext(np.moveaxis(model.assigned[:, idx, :], 0, 1), model.group_codes,
                                model.direction[idx][:, None], model.data.years)
            # (B, U, k) per evaluation year, stacked on the batch axis
            q = np.concatenate([np.moveaxis(compute_target(rule.target, ser, ty, ctx), 1, 2) for ty in ts])
            m = np.where(app[..., idx], np.concatenate([series[..., ty] for ty in ts]), np.nan)
            used_bad = np.concatenate([bad[..., ty] | bad[..., list(years_needed(rule.target, ty))].any(axis=-1)
                                       for ty in ts])
            if rule.nonpositive_base == "error" and (used_bad & app[..., idx]).any():
                if t is None:
                    raise EvaluationError(Problem(model.data.source, "growth from a zero or negative base",
                                                  "evaluate the years one at a time for details"))
                used = [t, *years_needed(rule.target, t)]
                problems += _base_problems(model, idx, used_bad & app[..., idx], bad[..., used], used)
                continue
            missing_target = needs & ~np.isnan(m) & np.isnan(q)
            if missing_target.any():
                if rule.nonpositive_base == "missing" and (used_bad & missing_target).all():
                    m = np.where(missing_target, np.nan, m)
                elif t is None:
                    raise EvaluationError(Problem(model.data.source, "a target cannot be computed",
                                                  "evaluate the years one at a time for details"))
                else:
                    problems += _target_problems(model, rule, name, idx, missing_target)
                    continue
            try:
                s = score(rule.scoring, m, q, model.direction[idx], model.group_codes)
            except RuleInputError as exc:
                if t is None:
                    raise EvaluationError(Problem(model.data.source, exc.message, exc.fix)) from None
                problems += _cell_problems(model, idx, np.asarray(exc.mask), exc.message, exc.fix)
                continue
            slot = parts.setdefault(name, (np.zeros(n_leaves), np.full((b, u, n_leaves), np.nan),
                                           np.full((b, u, n_leaves), np.nan), np.full((b, u, n_leaves), np.nan)))
            slot[0][idx] = w
            slot[1][..., idx] = m
            slot[2][..., idx] = q
            slot[3][..., idx] = s
            share[..., idx] += w * s  # NaN in any part makes the blend missing
    if problems:
        raise EvaluationError(_dedupe(problems))
    share = np.where(app, share, np.nan)
    if model.scenario.aggregation.missing == "zero":
        share = np.where(app & np.isnan(share), 0.0, share)
    value = np.where(app, np.concatenate([x[..., ty] for ty in ts]), np.nan)
    return LeafStage(value, parts, share)


@dataclass(frozen=True)
class TotalStage:
    node_scores: np.ndarray  # (B, U, N) on the 100-point indicator scale
    effective: np.ndarray  # (B, U, N) share of the root each node carries
    base: np.ndarray  # (B, U) points before adjustments
    bonus: np.ndarray  # (B, U)
    deduction: np.ndarray  # (B, U)
    vetoed: np.ndarray  # (B, U) bool
    final: np.ndarray  # (B, U)


def total_stage(model: Model, leaf: LeafStage, weights: np.ndarray | None = None) -> TotalStage:
    """Aggregate up the tree, then add bonus points, deduct, and apply veto conditions."""
    try:
        node, eff = aggregate(model.tree, leaf.share * 100.0, weights)
    except RuleInputError as exc:
        mask = np.asarray(exc.mask)[..., : model.tree.n_leaves]
        raise EvaluationError(_cell_problems(model, np.arange(model.tree.n_leaves), mask, exc.message,
                                             exc.fix)) from None
    b = node.shape[0]
    base = node[..., -1] * model.scenario.total / 100.0
    vetoed = np.broadcast_to(model.veto_table, base.shape).copy()
    leaves = model.tree.leaves
    for c in model.scenario.adjustments.veto.conditions:
        if c.indicator not in leaves:
            continue
        v = leaf.value[..., leaves.index(c.indicator)]
        with np.errstate(invalid="ignore"):
            if c.at_least is not None:
                vetoed |= v >= c.at_least
            if c.at_most is not None:
                vetoed |= v <= c.at_most
    bonus = np.broadcast_to(model.bonus, (b, base.shape[1]))
    deduction = np.broadcast_to(model.deduction, (b, base.shape[1]))
    final = base + bonus - deduction
    return TotalStage(node, eff, base, bonus, deduction, vetoed, final)


@dataclass(frozen=True)
class RankStage:
    rank: np.ndarray  # (B, U) rank within group by the scenario's tie rule
    rank_lo: np.ndarray  # first place of the tie block
    rank_hi: np.ndarray  # last place of the tie block
    grade: np.ndarray  # (B, U) grade code, 0 = best, -1 = none


def rank_stage(model: Model, totals: TotalStage) -> RankStage:
    """Rank within groups (stated tie rule and tie-breaks; vetoed units last if so set), then grade."""
    cfg = model.scenario.ranking
    tb = [totals.node_scores[..., model.tree.index(n)] for n in cfg.tie_break]
    primary = totals.final
    if model.scenario.adjustments.veto.rank_last:
        tb = [totals.final, *tb]
        primary = np.where(np.isnan(totals.final), np.nan, (~totals.vetoed).astype(float))
    codes = model.group_codes

    def rk(ties: str, keys: list[np.ndarray]) -> np.ndarray:
        return group_rank(primary, codes, ties, tie_break=keys, decimals=cfg.decimals)

    # `first`: ties left after the tie-break keys go to the smaller unit id, whatever the row order.
    by_id = -np.argsort(np.argsort(np.array(model.data.unit_ids, dtype=object))).astype(float)
    if cfg.ties == "first":
        rank = lo = hi = rk("first", [*tb, by_id])
    else:  # one sort gives the stated rule and both ends of each tie block
        rank, lo, hi = group_ranks(primary, codes, (cfg.ties, "min", "max"), tie_break=tb, decimals=cfg.decimals)
    grade = assign_grades(totals.final, lo, hi, codes, model.scenario.grading, totals.vetoed,
                          model.scenario.adjustments.veto)
    return RankStage(rank, lo, hi, grade)


# ================================================================================================ errors
def _cell_problems(model: Model, idx: np.ndarray, mask: np.ndarray, message: str, fix: str) -> list[Problem]:
    """One problem per offending (unit, indicator), from a (B, U, k) mask over the leaves ``idx``."""
    cells = np.argwhere(np.asarray(mask).any(axis=0))
    units = model.data.units
    out = []
    for ui, ki in cells[:30]:
        leaf = model.tree.leaves[int(idx[ki])]
        out.append(Problem(model.data.source, f"unit {units['unit'].iat[ui]!r} ({units['name'].iat[ui]}), "
                           f"indicator {leaf!r}, {model.year}: {message}", fix, field=leaf))
    if len(cells) > 30:
        out.append(Problem(model.data.source, f"... and {len(cells) - 30} more cells with the same problem", fix))
    return out


def _base_problems(model: Model, idx: np.ndarray, mask: np.ndarray, bad: np.ndarray, used: list[int]) -> list[Problem]:
    """Name the base year and value of every growth rate measured from zero or below."""
    years = model.data.years
    out = []
    cells = np.argwhere(np.asarray(mask).any(axis=0))
    for ui, ki in cells[:30]:
        li = int(idx[ki])
        unit, name = model.data.units["unit"].iat[ui], model.data.units["name"].iat[ui]
        leaf = model.tree.leaves[li]
        bases = [f"{years[k - 1]} = {model.values[ui, li, k - 1]:g} (the base of {years[k]}'s growth)"
                 for j, k in enumerate(used) if np.asarray(bad)[..., ui, ki, j].any()]
        out.append(Problem(f"{model.data.source} (observations)",
                           f"unit {unit!r} ({name}), indicator {leaf!r}: growth is measured from a zero or negative "
                           f"base, {'; '.join(bases)}, for the {model.year} evaluation",
                           "check the value; if it is right, set `nonpositive_base: missing` for this indicator in "
                           "the scenario, or measure the increment or the level instead of growth", field=leaf))
    if len(cells) > 30:
        out.append(Problem(model.data.source, f"... and {len(cells) - 30} more cells with a zero or negative base",
                           "see above"))
    return out


def _target_problems(model: Model, rule: ResolvedRule, measure: str, idx: np.ndarray,
                     mask: np.ndarray) -> list[Problem]:
    """Say why a target is missing: which year the rule needs and the data lack, or no assigned target."""
    years = model.data.years
    out = []
    cells = np.argwhere(np.asarray(mask).any(axis=0))
    for ui, ki in cells[:30]:
        li = int(idx[ki])
        leaf = model.tree.leaves[li]
        unit = model.data.units["unit"].iat[ui]
        name = model.data.units["name"].iat[ui]
        head = f"unit {unit!r} ({name}), indicator {leaf!r}, {model.year}"
        if rule.target.rule == "assigned":
            out.append(Problem(model.data.source, f"{head}: no assigned target",
                               f"add a row (unit {unit}, indicator {leaf}, year {model.year}) to the targets table, "
                               "or use another target rule", field="targets"))
            continue
        need = list(years_needed(rule.target, model.t))
        offset = 0 if measure == "level" else 1
        first = min(need, default=model.t) - offset
        series = model.values[ui, li, :]
        lacking = [model.year - model.t + k for k in range(first, model.t) if k < 0 or np.isnan(series[k])]
        if lacking:
            shown = ", ".join(str(y) for y in lacking)
            msg = (f"{head}: the {rule.target.rule} target of the {measure} needs the values of "
                   f"{model.year - model.t + first}–{model.year - 1}, and the data lack {shown}")
            fix = (f"add the missing years to the observations, evaluate a later year, or lower `years`/`min_years` "
                   f"of the target rule (data years: {years[0]}–{years[-1]})")
        else:
            msg = f"{head}: the {rule.target.rule} target of the {measure} cannot be computed"
            fix = "check the indicator's values in the years before, or use another target rule"
        out.append(Problem(model.data.source, msg, fix, field=leaf))
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
