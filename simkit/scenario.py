"""Scenarios (考核方案): a rule set as plain, validated, frozen data, loaded from YAML.

A scenario says how every indicator is measured, targeted and scored, how scores are weighted and
aggregated up the indicator tree, which adjustments and vetoes apply, how units are ranked within their
groups and graded, and what follows from a grade.  Every number is a parameter.

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
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .consequences import Consequences
from .errors import Problem, ScenarioError
from .measures import MEASURES
from .ranking import TIE_RULES
from .scoring import SCORING_RULES
from .targets import TARGET_RULES


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _union(registry: dict[str, tuple[type[BaseModel], Any]]) -> Any:
    models = tuple(model for model, _ in registry.values())
    return Annotated[Union[models], Field(discriminator="rule")]  # noqa: UP007 - built at runtime


TargetRule = _union(TARGET_RULES)
ScoringRule = _union(SCORING_RULES)
MeasureName = Literal["level", "increment", "growth"]


class IndicatorRule(_Model):
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
    target: TargetRule | None = Field(None, description="The target rule: " + ", ".join(TARGET_RULES) + ".")
    scoring: ScoringRule | None = Field(None, description="The scoring rule: " + ", ".join(SCORING_RULES) + ".")
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


class ResolvedRule(_Model):
    """An indicator's complete rule after defaults and overrides are merged."""

    measures: dict[MeasureName, float]
    target: TargetRule
    scoring: ScoringRule
    nonpositive_base: Literal["error", "missing"]


_DEFAULT_RULE = IndicatorRule.model_validate(
    {
        "measures": {"level": 1.0},
        "target": {"rule": "none"},
        "scoring": {"rule": "minmax"},
        "nonpositive_base": "error",
    }
)


class Weights(_Model):
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


class Aggregation(_Model):
    """How children's scores combine into their parent's score at every level of the tree."""

    method: Literal["arithmetic", "geometric"] = Field("arithmetic", description="Weighted mean used.")
    by_node: dict[str, Literal["arithmetic", "geometric"]] = Field(
        default_factory=dict, description="A different method for particular nodes (id → method)."
    )
    missing: Literal["renormalise", "zero"] = Field(
        "renormalise",
        description="A missing value: `renormalise` the weights over the children a unit has (COINr), "
        "or count it as a score of 0.",
    )


class VetoCondition(_Model):
    """A veto triggered by an indicator's value in the evaluation year (e.g. major accidents ≥ 1)."""

    indicator: str = Field(description="Leaf indicator id.")
    at_least: float | None = Field(None, description="Veto when the value is at least this.")
    at_most: float | None = Field(None, description="Veto when the value is at most this.")

    @model_validator(mode="after")
    def _one(self) -> VetoCondition:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least or at_most")
        return self


class Veto(_Model):
    """一票否决: what a veto does.  Vetoes come from the data's adjustments table and from conditions."""

    conditions: tuple[VetoCondition, ...] = Field((), description="Indicator conditions that trigger a veto.")
    use_table: bool = Field(True, description="Apply `veto` rows of the data's adjustments table.")
    best_grade: str | None = Field(
        None, description="The best grade a vetoed unit can get (e.g. 良好: it cannot be 优秀); none = no limit."
    )
    grade: str | None = Field(None, description="Force this grade on a vetoed unit (e.g. 较差).")
    rank_last: bool = Field(False, description="Rank vetoed units after every unit that is not vetoed.")


class Adjustments(_Model):
    """Points outside the 100-point scale (加分、扣分) and vetoes."""

    use_table: bool = Field(True, description="Apply bonus and deduction rows of the adjustments table.")
    bonus_cap: float | None = Field(None, ge=0, description="Most bonus points a unit can get; none = no cap.")
    deduction_cap: float | None = Field(None, ge=0, description="Most points deducted; none = no cap.")
    veto: Veto = Field(default_factory=Veto, description="One-vote veto (一票否决).")


class Ranking(_Model):
    """Ranking within each group."""

    ties: Literal["min", "max", "dense", "first"] = Field(
        "min", description="Tie rule: min (1 2 2 4), max (1 3 3 4), dense (1 2 2 3), first (1 2 3 4)."
    )
    tie_break: tuple[str, ...] = Field(
        (), description="Node ids whose scores break ties on the total, in order (then unit id order for `first`)."
    )
    decimals: int = Field(6, ge=0, le=12, description="Totals are compared after rounding to this many decimals.")

    @field_validator("ties")
    @classmethod
    def _known(cls, v: str) -> str:
        assert v in TIE_RULES
        return v


class Grade(_Model):
    """One grade, best first in the list.  A quota (``share`` or ``count``) and/or a minimum score."""

    name: str = Field(description="Grade name, e.g. 优秀.")
    name_en: str | None = Field(None, description="English name, e.g. Excellent.")
    share: float | None = Field(None, ge=0, le=1, description="Quota as a share of the group (e.g. 0.25).")
    count: int | None = Field(None, ge=0, description="Quota as a number of units (e.g. 1).")
    min_score: float | None = Field(None, description="Lowest total for this grade (score band).")
    from_: Literal["top", "bottom"] = Field(
        "top", alias="from", description="`bottom`: the quota is filled from the bottom of the group (末位)."
    )

    @model_validator(mode="after")
    def _one_quota(self) -> Grade:
        if self.share is not None and self.count is not None:
            raise ValueError(f"grade {self.name}: give share or count, not both")
        if self.from_ == "bottom" and self.share is None and self.count is None:
            raise ValueError(f"grade {self.name}: a bottom grade needs a share or a count")
        return self


class Grading(_Model):
    """Grades by score bands, by quota within each group, or both.

    Bottom quotas are filled first, from the last place up; then the other grades in order from the top,
    each taking the best units not yet graded that reach its ``min_score``, up to its quota.  The last
    grade without a quota takes the rest.  A bottom quota never takes a group's only unit.
    """

    grades: tuple[Grade, ...] = Field(
        (
            Grade(name="优秀", name_en="Excellent", min_score=90),
            Grade(name="良好", name_en="Good", min_score=80),
            Grade(name="一般", name_en="Fair", min_score=60),
            Grade(name="较差", name_en="Poor"),
        ),
        description="The grades, best first.",
        min_length=1,
    )
    rounding: Literal["floor", "round", "ceil"] = Field(
        "floor", description="How share × group size becomes a whole quota (round: half up)."
    )
    ties: Literal["share", "exclude"] = Field(
        "share",
        description="Units tied at a quota's edge: `share` gives all of them the better grade (the quota "
        "can be exceeded), `exclude` gives it to none of them.",
    )

    @model_validator(mode="after")
    def _names(self) -> Grading:
        names = [g.name for g in self.grades]
        if len(set(names)) != len(names):
            raise ValueError("grade names must be unique")
        return self


class Scenario(_Model):
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
    adjustments: Adjustments = Field(default_factory=Adjustments, description="Bonus, deductions, vetoes.")
    ranking: Ranking = Field(default_factory=Ranking, description="Ranking within groups.")
    grading: Grading = Field(default_factory=Grading, description="Grades.")
    consequences: Consequences = Field(default_factory=Consequences, description="Bonuses, awards, accountability.")

    _source: str | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _complete_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("defaults"), dict):
            base = _DEFAULT_RULE.model_dump(exclude_none=True, by_alias=True)
            data = {**data, "defaults": {**base, **data["defaults"]}}
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
        bad = [f"{where} names {g!r}" for where, g in refs if g not in names]
        if bad:
            raise ValueError(f"{'; '.join(bad)}, which is not a grade of this scenario; the grades are "
                             f"{', '.join(g.name for g in self.grading.grades)}")
        return self

    # ------------------------------------------------------------------ rules per indicator
    def rule_for(self, path: tuple[str, ...]) -> ResolvedRule:
        """The complete rule of a leaf, given the node ids from its first-level ancestor down to it."""
        merged = self.defaults.model_dump(exclude_none=True, by_alias=True)
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
        return Scenario.model_validate(deep_merge(self.to_dict(), changes))

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


def _read_yaml(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem(where, "the scenario file does not exist", "check the path")) from None
    except UnicodeDecodeError:
        raise ScenarioError(Problem(where, "the file is not UTF-8 text", "save the file as UTF-8")) from None
    except IsADirectoryError:
        raise ScenarioError(Problem(where, "this is a folder, not a scenario file",
                                    "give a scenario .yaml file (e.g. scenarios/yiyang_2018_reform.yaml); a data "
                                    "folder goes after --data")) from None
    except OSError as exc:
        raise ScenarioError(Problem(where, f"the file cannot be read ({exc.strerror})", "check the path")) from None
    class Loader(yaml.SafeLoader):
        """safe_load that rejects a key written twice in one mapping (YAML would keep the last silently)."""

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            try:
                if key in first and key != "<<":
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is written twice (first at line {first[key] + 1})",
                        key_node.start_mark)
                first[key] = key_node.start_mark.line
            except TypeError:  # an unhashable key: construct_mapping reports it
                pass
        return loader.construct_mapping(node)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        doc = yaml.load(text, Loader=Loader)  # a SafeLoader subclass: as safe as safe_load
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        detail = getattr(exc, "problem", None) or str(exc)
        at = f" at line {row}, column {mark.column + 1}" if mark is not None else ""
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark is not None and mark is not None and cmark.line != mark.line:
            detail += f" ({context} that starts at line {cmark.line + 1})"
        if "'\\t'" in detail:  # PyYAML shows a tab as '\t'
            fix = "indent with spaces, not tabs (replace every tab at the start of a line with spaces)"
        elif "written twice" in detail:
            fix = "keep one of the two and move what the other says into it"
        else:
            fix = ("fix the YAML at that line or just before it (indentation, a missing colon or space after "
                   "a colon, an unclosed quote or bracket)")
        raise ScenarioError(Problem(where, f"YAML syntax error{at}: {detail}", fix, row=row)) from None
    if doc is None:
        raise ScenarioError(Problem(where, "the scenario file is empty", "write at least `name: ...`"))
    if not isinstance(doc, dict):
        raise ScenarioError(Problem(where, "a scenario must be a mapping of fields (name:, weights:, ...)",
                                    "start the file with `name: ...`; see docs/scenario-reference.md"))
    return doc


def _resolve(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " → ".join(p.name for p in (*seen, path))
        raise ScenarioError(Problem(str(path), f"`extends` goes round in a circle: {chain}",
                                    "remove one of the `extends` lines"))
    doc = _read_yaml(path)
    parent = doc.pop("extends", None)
    if parent is None:
        return doc
    if not isinstance(parent, str):
        raise ScenarioError(Problem(str(path), "`extends` must be a file name", "write e.g. `extends: base.yaml`",
                                    field="extends"))
    parent_path = (path.parent / parent)
    if not parent_path.exists():
        raise ScenarioError(Problem(str(path), f"`extends` names {parent!r}, which does not exist next to this file",
                                    "correct the file name", field="extends"))
    return deep_merge(_resolve(parent_path, (*seen, path)), doc)


def _problems_from(exc: ValidationError, where: str) -> list[Problem]:
    import difflib
    import re

    defs: dict[str, Any] = {}

    def fields_at(path: list[str]) -> list[str]:
        """The field names a scenario allows at ``path`` (from its JSON Schema); [] if that cannot be told."""
        try:
            schema = json_schema()
            defs.update(schema.get("$defs", {}))

            def deref(node: dict[str, Any]) -> dict[str, Any]:
                while "$ref" in node:
                    node = defs[node["$ref"].rsplit("/", 1)[-1]]
                return node

            node = deref(schema)
            for part in [*path, None]:
                while "properties" not in node and (node.get("oneOf") or node.get("anyOf")):
                    tags = node.get("discriminator", {}).get("mapping", {})
                    if part in tags:
                        node, part = deref({"$ref": tags[part]}), "<tag>"
                        break
                    live = [deref(o) for o in node.get("oneOf") or node["anyOf"] if o.get("type") != "null"]
                    if len(live) != 1:
                        return []
                    node = live[0]
                if part is None or part == "<tag>":
                    continue
                if part in node.get("properties", {}):
                    node = deref(node["properties"][part])
                elif isinstance(node.get("additionalProperties"), dict):
                    node = deref(node["additionalProperties"])
                elif isinstance(node.get("items"), dict):
                    node = deref(node["items"])
                else:
                    return []
            return list(node.get("properties", {}))
        except Exception:  # only a hint: never let it hide the real problem
            return []

    def did_you_mean(word: object, choices: list[str]) -> str:
        close = difflib.get_close_matches(str(word), choices, n=1)
        return f"; did you mean {close[0]!r}?" if close else ""

    out = []
    for err in exc.errors():
        parts = [str(p) for p in err["loc"] if not str(p).startswith("function-after") and str(p) != "[key]"]
        loc = ".".join(parts)
        # Pydantic puts the union tag in the location (e.g. scoring.completion.cap); keep it, it helps.
        msg = err["msg"]
        for noise in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(noise)
        kind = err["type"]
        ctx = err.get("ctx") or {}
        got = err.get("input")
        hint = ""
        if kind == "extra_forbidden":
            allowed = fields_at(parts[:-1]) if parts else []
            msg = f"unknown field {parts[-1]!r}{did_you_mean(parts[-1], allowed)}" if parts else "unknown field"
            fix = "remove it or correct its spelling; " + (
                f"the fields here are: {', '.join(allowed)}" if allowed
                else "docs/scenario-reference.md lists every field")
        elif kind == "union_tag_invalid":
            expected = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
            msg = f"unknown rule {ctx.get('tag', err.get('input'))!r}{did_you_mean(ctx.get('tag'), expected)}"
            fix = f"write one of: {', '.join(expected)}" if expected else f"use one of the listed rules; {err['msg']}"
            loc = f"{loc}.rule" if loc else "rule"
            got = {}  # the whole rule mapping: not worth repeating
        elif kind == "literal_error":
            expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            hint = did_you_mean(got, expected) if isinstance(got, str) else ""
            fix = f"write one of: {', '.join(expected)}" if expected else "correct the value"
        elif kind == "union_tag_not_found":
            fix = "add `rule: <name>`"
        elif kind == "missing":
            fix = "add this field"
        else:
            fix = "correct the value; docs/scenario-reference.md says what it takes"
        if kind not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
            msg = f"{msg} (got {got!r})"
        out.append(Problem(where, msg + hint, fix, field=loc or None))
    return out


#: The scenarios that ship with simkit (the repository's scenarios/ folder).
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "scenarios"


def shipped_scenarios() -> list[str]:
    """Names of the shipped scenarios, e.g. ``yiyang_2018_reform``."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario YAML file; raise ``ScenarioError`` naming every problem.

    A bare name such as ``"legacy_totals"`` loads a shipped scenario.
    """
    path = Path(path)
    if not path.exists() and not path.suffix and (SHIPPED_DIR / f"{path}.yaml").exists():
        path = SHIPPED_DIR / f"{path}.yaml"
    doc = _resolve(path, ())
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc, str(path))) from None
    scenario._source = str(path)
    return scenario


def scenario_from_dict(doc: dict[str, Any], where: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data, raising ``ScenarioError`` like ``load_scenario``."""
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc, where)) from None


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
    """The file a scenario was loaded from, if any."""
    return scenario._source


MEASURE_NAMES = tuple(MEASURES)
