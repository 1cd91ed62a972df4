"""Scenarios (考核方案): a complete rule set as plain, validated, frozen data.

A scenario says how every indicator is measured, targeted and scored, how scores are weighted and
aggregated up the indicator tree, which adjustments and vetoes apply, how units are ranked within their
groups and graded, and what follows from a grade.  Every number is a parameter.  Files are read by
``simkit.io.scenarios``; programs change a scenario through ``simkit.schema.levers``.

A scenario file may ``extends: other.yaml`` (a path relative to the file) and then states only what
differs: mappings are merged key by key; lists, numbers, a rule (a mapping with ``rule:``) and a
``measures`` blend are replaced whole.

>>> s = Scenario.model_validate({"name": "demo", "weights": {"mode": "relative"}})
>>> s.defaults.scoring.rule, s.ranking.ties
('minmax', 'min')
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import Field, PrivateAttr, field_validator, model_validator

from ._base import Frozen
from .adjustments import Adjustments
from .components import Component
from .consequences import Consequences
from .events import EventRules
from .grading import Grading
from .groups import GroupRules
from .leagues import LeagueTable
from .measures import MeasureName
from .missing import MissingData
from .ranking import Ranking
from .scope import Scope
from .scoring import SCORING_MODELS
from .targets import TARGET_MODELS


def _union(models: dict[str, type[Frozen]]) -> Any:
    return Annotated[Union[tuple(models.values())], Field(discriminator="rule")]  # noqa: UP007 - built at runtime


TargetRule = _union(TARGET_MODELS)
ScoringRule = _union(SCORING_MODELS)


class IndicatorRule(Frozen):
    """How one indicator (or every leaf under a node) is measured, targeted and scored.

    In ``indicators:`` every field is optional and a deeper node wins; a ``target`` or ``scoring`` given
    there replaces the inherited rule whole (parameters not written take the rule's defaults).
    """

    measures: dict[MeasureName, float] | None = Field(
        None,
        description="What is measured, with blend weights summing to 1: {level: 1} (总量), {increment: 1} "
        "(增量), {growth: 1} (增速) or a blend such as {increment: 0.4, growth: 0.6}. Each part is "
        "targeted and scored on its own; the shares are blended.",
    )
    target: TargetRule | None = Field(None, description="The target rule: " + ", ".join(TARGET_MODELS) + ".")
    scoring: ScoringRule | None = Field(None, description="The scoring rule: " + ", ".join(SCORING_MODELS) + ".")
    nonpositive_base: Literal["error", "missing"] | None = Field(
        None,
        description="Growth from a zero or negative base: `error` (stop and say where) or `missing` "
        "(treat that growth as a missing value).",
    )

    @field_validator("measures")
    @classmethod
    def _blend(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("name at least one measure: level, increment or growth")
        if any(w < 0 for w in v.values()):
            raise ValueError("measure weights cannot be negative")
        if abs(sum(v.values()) - 1.0) > 1e-9:
            raise ValueError(f"measure weights must sum to 1, they sum to {sum(v.values()):g}")
        return v


class ResolvedRule(Frozen):
    """An indicator's complete rule after defaults and overrides are merged."""

    measures: dict[MeasureName, float]
    target: TargetRule
    scoring: ScoringRule
    nonpositive_base: Literal["error", "missing"]


GroupRules.model_rebuild(_types_namespace={"IndicatorRule": IndicatorRule})

_DEFAULT_RULE = IndicatorRule.model_validate(
    {
        "measures": {"level": 1.0},
        "target": {"rule": "none"},
        "scoring": {"rule": "minmax"},
        "nonpositive_base": "error",
    }
)


class Weights(Frozen):
    """Weights of the indicator tree's nodes.

    ``points`` (分值): the first-level nodes' points sum to ``total`` and under every node the children's
    points sum to the node's points, checked for each track (a unit sees only its track's indicators).
    ``relative``: any non-negative numbers, normalised among siblings (as COINr does).  A node not listed
    takes the ``weight`` column of the data's indicators table (or 1 in relative mode).
    """

    mode: Literal["points", "relative"] = Field("points", description="`points` or `relative`.")
    children: Literal["exact", "scale"] = Field(
        "exact",
        description="Points mode: `exact` checks that sub-indicators' points add up to their parent's; `scale` "
        "takes them as relative within the parent (so changing a first-level item's points rescales its "
        "sub-items). The first level must add up to `total` either way.",
    )
    values: dict[str, float] = Field(default_factory=dict, description="Weight per node id.")
    tolerance: float = Field(1e-6, ge=0, description="Allowed rounding error when checking point sums.")

    @field_validator("values")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, w in v.items() if not w >= 0]
        if bad:
            raise ValueError(f"weights must be 0 or more: {', '.join(bad)}")
        return v


class Aggregation(Frozen):
    """How children's scores combine into their parent's score at every level of the tree."""

    method: Literal["arithmetic", "geometric"] = Field("arithmetic", description="Weighted mean used.")
    by_node: dict[str, Literal["arithmetic", "geometric"]] = Field(
        default_factory=dict, description="A different method for particular nodes (id → method)."
    )


class Scenario(Frozen):
    """A complete rule set.  See docs/scenario-reference.md for every field."""

    name: str = Field(description="Short name, e.g. 益阳2018改革方案.")
    name_en: str | None = Field(None, description="English name.")
    description: str = Field("", description="What the scenario is and where its rules come from.")
    year: int | None = Field(None, description="Default evaluation year; none = the last year in the data.")
    total: float = Field(100.0, gt=0, description="Points of the whole scale (百分制 = 100).")
    include_subjective: bool = Field(
        False, description="Keep subjective indicators (survey, mutual scoring); the reform removes them."
    )
    weights: Weights = Field(default_factory=Weights, description="Weights of the tree's nodes.")
    aggregation: Aggregation = Field(default_factory=Aggregation, description="Aggregation up the tree.")
    defaults: IndicatorRule = Field(_DEFAULT_RULE, description="The rule for every leaf not overridden.")
    indicators: dict[str, IndicatorRule] = Field(
        default_factory=dict, description="Overrides by leaf or node id; a deeper node wins."
    )
    missing: MissingData = Field(default_factory=MissingData, description="What a missing value gives (缺报): "
                                 "no points by default; see the section below.")
    adjustments: Adjustments = Field(default_factory=Adjustments, description="Bonus, deductions, vetoes.")
    ranking: Ranking = Field(default_factory=Ranking, description="Ranking within groups.")
    grading: Grading = Field(default_factory=Grading, description="Grades.")
    consequences: Consequences = Field(default_factory=Consequences, description="Bonuses, awards, accountability.")
    data: str | None = Field(None, description="The bundled data set the scenario is written for (e.g. "
                             "yiyang_full, which holds the parks, the parts of the year and the events), read when "
                             "no data are given; none = the default bundled data (yiyang).")
    scope: Scope | None = Field(None, description="The units and indicators evaluated (考核范围); none = every unit "
                                "and indicator of the data.")
    components: tuple[Component, ...] | None = Field(None, description="The parts of the year (日常管理, 专项考核, "
                                                     "年终综合考核), their points, indicators and how a year's value "
                                                     "is made from its periods; none = one evaluation of the year.")
    events: EventRules | None = Field(None, description="Deductions and vetoes from the data's events table "
                                      "(督查、巡视巡察、审计); none = the events table is not applied.")
    groups: dict[str, GroupRules] | None = Field(None, description="Rules per group or family (a group name or a "
                                                 "track): weights, indicator rules, 个性指标, left-out nodes.")
    league_tables: tuple[LeagueTable, ...] | None = Field(None, description="Further league tables of the same units "
                                                          "(e.g. 总量 and 增速), each with its grades and awards.")

    _source: str | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _complete_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("defaults"), dict):
            base = _DEFAULT_RULE.model_dump(exclude_none=True, by_alias=True)
            data = {**data, "defaults": {**base, **data["defaults"]}}
        agg = data.get("aggregation") if isinstance(data, dict) else None
        if isinstance(agg, dict) and "missing" in agg:  # the older place of the policy (zero / renormalise)
            old = agg["missing"]
            data = {**data, "aggregation": {k: v for k, v in agg.items() if k != "missing"}}
            if not isinstance(data.get("missing"), dict) or "policy" not in data["missing"]:
                data["missing"] = {**(data.get("missing") or {}), "policy": old}
        return data

    @model_validator(mode="after")
    def _check_grade_names(self) -> Scenario:
        names = {g.name for g in self.grading.grades}
        refs = [(f"adjustments.veto.{k}", v) for k, v in (("best_grade", self.adjustments.veto.best_grade),
                                                          ("grade", self.adjustments.veto.grade)) if v is not None]
        c = self.consequences
        if c.bonus is not None and c.bonus.by == "grade":
            refs += [("consequences.bonus.factors", g) for g in c.bonus.factors]
        if c.awards is not None:
            refs += [("consequences.awards.weights", g) for g in c.awards.weights]
        if c.progress is not None:
            refs += [("consequences.progress.exclude_grades", g) for g in c.progress.exclude_grades]
        if c.accountability is not None:
            refs += [("consequences.accountability.bottom_grades", g) for g in c.accountability.bottom_grades]
        if c.cascade is not None:
            if c.cascade.staff is not None:
                refs += [("consequences.cascade.staff.shares", g) for g in c.cascade.staff.shares]
            if c.cascade.team is not None:
                refs += [("consequences.cascade.team.mapping", g) for g in c.cascade.team.mapping]
        bad = [f"{where} names {g!r}" for where, g in refs if g not in names]
        if bad:
            raise ValueError(f"{'; '.join(bad)}, which is not a grade of this scenario; the grades are "
                             f"{', '.join(g.name for g in self.grading.grades)}")
        if c.cascade is not None and c.cascade.team is not None:
            unmapped = [g for g in names if g not in c.cascade.team.mapping]
            if unmapped:
                raise ValueError(f"consequences.cascade.team.mapping gives no team grade for {', '.join(unmapped)} "
                                 "— fix: map every grade of the scenario to a team grade")
        return self

    @model_validator(mode="after")
    def _check_new_parts(self) -> Scenario:
        if self.components is not None:
            ids = [c.id for c in self.components]
            names = [c.name for c in self.components]
            if len(set(ids)) != len(ids) or len(set(names)) != len(names):
                raise ValueError("components need different ids and names — fix: rename the repeated ones")
            points = sum(c.points for c in self.components)
            if abs(points - self.total) > max(self.weights.tolerance, 1e-9):
                listed = " + ".join(f"{c.name} {c.points:g}" for c in self.components)
                raise ValueError(f"the components' points add up to {points:g} ({listed}), not to the total of "
                                 f"{self.total:g} — fix: change the points so that they add up to `total`")
            seen: dict[str, str] = {}
            for comp in self.components:
                for node in comp.nodes:
                    if node in seen:
                        raise ValueError(f"node {node!r} is in two components ({seen[node]} and {comp.name}) — fix: "
                                         "put every indicator in one component")
                    seen[node] = comp.name
        if self.league_tables is not None:
            ids = [t.id for t in self.league_tables]
            if len(set(ids)) != len(ids):
                raise ValueError("league tables need different ids — fix: rename the repeated ones")
            for t in self.league_tables:
                grades = {g.name for g in (t.grading or self.grading).grades}
                bad = [g for g in (t.awards.weights if t.awards is not None else {}) if g not in grades]
                if bad:
                    raise ValueError(f"league table {t.id!r}: awards.weights names {', '.join(bad)}, which is not a "
                                     f"grade of the table — fix: use {', '.join(sorted(grades))}")
        return self

    # ------------------------------------------------------------------ rules per indicator
    def rule_for(self, path: tuple[str, ...]) -> ResolvedRule:
        """The complete rule of a leaf, given the node ids from its first-level ancestor down to it."""
        # The deepest rule that gives a field wins, field by field (each field whole): the validated parts as they
        # are, without dumping and validating them again.
        parts = [self.defaults, *(self.indicators[node] for node in path if node in self.indicators)]
        chosen = {name: next((v for v in (getattr(p, name) for p in reversed(parts)) if v is not None), None)
                  for name in ResolvedRule.model_fields}
        if all(v is not None for v in chosen.values()):
            return ResolvedRule.model_construct(**{**chosen, "measures": dict(chosen["measures"])})
        merged = self.defaults.model_dump(exclude_none=True, by_alias=True)  # a field no rule gives: its error
        for node in path:
            if node in self.indicators:
                merged.update(self.indicators[node].model_dump(exclude_none=True, by_alias=True))
        return ResolvedRule.model_validate(merged)

    # ------------------------------------------------------------------ changes and identity
    def override(self, changes: dict[str, Any]) -> Scenario:
        """A new scenario with ``changes`` merged in (mappings key by key), validated again.

        >>> s = Scenario.model_validate({"name": "a"})
        >>> s.override({"grading": {"rounding": "ceil"}}).grading.rounding
        'ceil'
        """
        out = Scenario.model_validate(deep_merge(self.to_dict(), changes))
        out._source = self._source  # still the rules of that file, changed: messages keep naming it
        return out

    def with_source(self, source: str | None) -> Scenario:
        """The same scenario, remembering the file it came from (for messages and the manifest)."""
        out = self.model_copy()
        out._source = source
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (as written in YAML), suitable for ``model_validate`` and for saving."""
        return json.loads(self.model_dump_json(by_alias=True, exclude_none=True))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    def fingerprint(self) -> str:
        """SHA-256 of the complete rule set (after `extends` is resolved), stable across runs."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------- loading
def deep_merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Merge ``change`` into a copy of ``base``: mappings key by key, anything else replaced whole.

    A mapping that names a ``rule`` (a target or scoring rule) and a ``measures`` blend replace the inherited
    one whole, since their parts only make sense together.

    >>> deep_merge({"a": {"x": 1, "y": 2}, "measures": {"increment": 0.5, "growth": 0.5}},
    ...            {"a": {"y": 3}, "measures": {"growth": 1}})
    {'a': {'x': 1, 'y': 3}, 'measures': {'growth': 1}}
    """
    out = copy.deepcopy(base)
    for key, value in change.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and "rule" not in value and key != "measures":
            out[key] = deep_merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (``scenarios/schema.json`` is this, written out)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another scenario file (relative path) this one starts from; only differences follow.",
    }
    schema["title"] = "simkit scenario"
    return schema


def source_of(scenario: Scenario) -> str | None:
    """The file a scenario was loaded from (or derived from by a change), if any."""
    return scenario._source


def where(scenario: Scenario) -> str:
    """What error messages name for this scenario: its file, else its name."""
    return scenario._source or scenario.name


