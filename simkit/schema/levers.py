"""Levers (调整项): named, validated edits of a scenario.  Programs change scenarios through these and never
write the YAML's dict shape themselves: this module is the one place that knows it.

A lever is frozen data (``lever:`` names it, so a list of levers can sit in a spec or a file) with
``apply(scenario) -> Scenario``; the result is validated like a scenario file.  The functions of the same
names are shortcuts: ``set_uplift(s, 0.05)`` is ``SetUplift(value=0.05).apply(s)``.

>>> from simkit.io.scenarios import load_scenario
>>> s = load_scenario("yiyang_2018_reform")
>>> set_blend(s, growth=0.6).indicators["Q"].measures
{'increment': 0.4, 'growth': 0.6}
>>> set_points(s, {"Q": 40, "B": 20, "P": 15, "S": 15}, scale=True).weights.values["Q"]
44.44444444444444
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import Field, model_validator

from .lever_base import Lever, _doc, _grade, _validated
from .scenario import Scenario

__all__ = ["Lever"]

#: The order of a scenario's sections (a diff lists its provisions in this order).
SECTIONS: tuple[str, ...] = (
    "scope", "include_subjective", "weights", "components", "defaults", "indicators", "groups", "aggregation",
    "total", "adjustments", "events", "ranking", "grading", "consequences", "league_tables",
)


def _rule_places(doc: dict[str, Any], where: Sequence[str] | None) -> list[tuple[str, dict[str, Any]]]:
    """The defaults and every indicator override, as (key, rule mapping), limited to ``where`` if given."""
    places = [("defaults", doc["defaults"]), *doc.get("indicators", {}).items()]
    return [(k, r) for k, r in places if where is None or k in where]


class SetPoints(Lever):
    """First-level points (一级指标分值): exactly as given, or (``scale``, give every first-level node) in
    proportion so that they add up to the scenario's total.  In points mode the sub-items then count relative
    within their first-level item (``weights.children: scale``), so first-level points can change freely."""

    lever: Literal["set_points"] = "set_points"
    points: dict[str, float] = Field(description="Node id → points (or relative weight).")
    scale: bool = Field(False, description="Scale the first-level points to the total.")

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        values = dict(doc["weights"].get("values", {}))
        given = {k: float(v) for k, v in self.points.items()}
        total = sum(given.values())
        if self.scale and scenario.weights.mode == "points" and total > 0:
            given = {k: v * scenario.total / total for k, v in given.items()}
        values.update(given)
        doc["weights"]["values"] = values
        if scenario.weights.mode == "points":
            doc["weights"]["children"] = "scale"
        return _validated(scenario, doc)


class SetUplift(Lever):
    """The target uplift (目标上浮), wherever a target rule has one (or at the ``where`` nodes only)."""

    lever: Literal["set_uplift"] = "set_uplift"
    value: float = Field(description="Relative uplift, e.g. 0.05 = +5%.")
    where: tuple[str, ...] | None = Field(None, description="Only these nodes (`defaults` for the default rule).")

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        for _, rule in _rule_places(doc, self.where):
            if "uplift" in rule.get("target", {}):
                rule["target"]["uplift"] = float(self.value)
        return _validated(scenario, doc)


class SetBlend(Lever):
    """The increment/growth blend (增量/增速): every rule measuring the increment or the growth rate (or the
    ``where`` nodes only) measures ``1 − growth`` of the increment and ``growth`` of the growth rate."""

    lever: Literal["set_blend"] = "set_blend"
    growth: float = Field(ge=0, le=1, description="The growth rate's share of the blend.")
    where: tuple[str, ...] | None = Field(None, description="Only these nodes (`defaults` for the default rule).")

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        g = round(float(self.growth), 10)
        blend = {k: v for k, v in (("increment", round(1.0 - g, 10)), ("growth", g)) if v > 0}
        for _, rule in _rule_places(doc, self.where):
            if set(rule.get("measures", {})) & {"increment", "growth"}:
                rule["measures"] = dict(blend)
        return _validated(scenario, doc)


class SetRule(Lever):
    """An indicator's (or node's) own rule: its measures, target rule and/or scoring rule."""

    lever: Literal["set_rule"] = "set_rule"
    node: str = Field(description="Node id, or `defaults`.")
    measures: dict[str, float] | None = None
    target: dict[str, Any] | None = None
    scoring: dict[str, Any] | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        if self.node == "defaults":
            rule = doc["defaults"]
        else:
            rule = doc.setdefault("indicators", {}).setdefault(self.node, {})
        for key in ("measures", "target", "scoring"):
            value = getattr(self, key)
            if value is not None:
                rule[key] = copy.deepcopy(value)
        return _validated(scenario, doc)


class SetQuota(Lever):
    """A grade's quota (等次比例): a share of the group or a count of units."""

    lever: Literal["set_quota"] = "set_quota"
    grade: str
    share: float | None = Field(None, ge=0, le=1)
    count: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> SetQuota:
        if (self.share is None) == (self.count is None):
            raise ValueError("give a share or a count")
        return self

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        g = _grade(doc, self.grade)
        g.pop("share", None)
        g.pop("count", None)
        g.update({"share": round(float(self.share), 10)} if self.share is not None else {"count": int(self.count)})
        return _validated(scenario, doc)


class SetBand(Lever):
    """A grade's score band (分数线): the lowest total for it (None removes the band)."""

    lever: Literal["set_band"] = "set_band"
    grade: str
    min_score: float | None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        g = _grade(doc, self.grade)
        if self.min_score is None:
            g.pop("min_score", None)
        else:
            g["min_score"] = float(self.min_score)
        return _validated(scenario, doc)


class SetFloat(Lever):
    """The bonus float (奖金浮动) of a grade, or of a rank tier when the bonus is by tier (``rest`` for the rest)."""

    lever: Literal["set_float"] = "set_float"
    grade: str = Field(description="Grade name, tier name, or `rest`.")
    factor: float = Field(ge=-1, description="e.g. 0.2 = +20%; −1 = nothing paid.")

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        bonus = doc.get("consequences", {}).get("bonus")
        if bonus is None:
            raise ValueError("the scenario pays no bonus (consequences.bonus)")
        if bonus.get("by", "grade") == "tier":
            if self.grade == "rest":
                bonus["rest"] = float(self.factor)
            else:
                tier = next((t for t in bonus["tiers"] if t["name"] == self.grade), None)
                if tier is None:
                    raise ValueError(f"no tier {self.grade!r}")
                tier["factor"] = float(self.factor)
        else:
            _grade(doc, self.grade)
            bonus.setdefault("factors", {})[self.grade] = round(float(self.factor), 10)
        return _validated(scenario, doc)


class SetPool(Lever):
    """The bonus pool (奖金池): an amount in yuan, ``nominal`` (the sum of bases: budget-neutral) or None."""

    lever: Literal["set_pool"] = "set_pool"
    pool: float | Literal["nominal"] | None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        bonus = doc.get("consequences", {}).get("bonus")
        if bonus is None:
            raise ValueError("the scenario pays no bonus (consequences.bonus)")
        if self.pool is None:
            bonus.pop("pool", None)
        else:
            bonus["pool"] = self.pool
        return _validated(scenario, doc)


class SetAwards(Lever):
    """The award slots (评先评优指标): the quota to share out and/or the weight of each grade."""

    lever: Literal["set_awards"] = "set_awards"
    quota: int | None = Field(None, ge=0)
    weights: dict[str, float] | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        awards = doc.get("consequences", {}).get("awards")
        if awards is None:
            raise ValueError("the scenario gives no award slots (consequences.awards)")
        if self.quota is not None:
            awards["quota"] = int(self.quota)
        if self.weights is not None:
            for g in self.weights:
                _grade(doc, g)
            awards["weights"] = {**awards.get("weights", {}), **self.weights}
        return _validated(scenario, doc)


class SetSubjective(Lever):
    """Switch the subjective component (公众评价、互评) on or off."""

    lever: Literal["set_subjective"] = "set_subjective"
    on: bool

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        doc["include_subjective"] = bool(self.on)
        return _validated(scenario, doc)


class RestrictTo(Lever):
    """Keep only what concerns these nodes: indicator overrides, weights, aggregation methods, tie-breaks and
    veto conditions on other nodes are dropped (e.g. to evaluate one track's units with its own leaves)."""

    lever: Literal["restrict_to"] = "restrict_to"
    nodes: tuple[str, ...]

    def apply(self, scenario: Scenario) -> Scenario:
        keep = set(self.nodes)
        doc = _doc(scenario)
        doc["indicators"] = {k: v for k, v in doc.get("indicators", {}).items() if k in keep}
        doc["weights"]["values"] = {k: v for k, v in doc["weights"].get("values", {}).items() if k in keep}
        doc["aggregation"]["by_node"] = {k: v for k, v in doc["aggregation"].get("by_node", {}).items() if k in keep}
        doc["ranking"]["tie_break"] = [n for n in doc["ranking"].get("tie_break", []) if n in keep]
        veto = doc["adjustments"]["veto"]
        veto["conditions"] = [c for c in veto.get("conditions", []) if c["indicator"] in keep]
        return _validated(scenario, doc)


class Remove(Lever):
    """Remove an element: a consequence (``consequences.awards``, ...), a section's setting or an indicator
    override (``indicators.Q``), given as a dotted path."""

    lever: Literal["remove"] = "remove"
    path: str

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        *head, last = self.path.split(".")
        node: Any = doc
        for key in head:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)
        return _validated(scenario, doc)


class SetValue(Lever):
    """Set one provision, given as dotted paths (the same value at each), to a value as a scenario file writes
    it (a rule, a list, a number); ``missing`` removes it.  The general lever behind a provision-by-provision
    diff."""

    lever: Literal["set_value"] = "set_value"
    paths: tuple[str, ...]
    value: Any = None
    missing: bool = False

    @property
    def path(self) -> str:
        """The paths in one string, ``indicators.{a,b}.scoring`` for the same setting of several nodes."""
        if len(self.paths) == 1:
            return self.paths[0]
        parts = [p.split(".") for p in self.paths]
        return f"{parts[0][0]}.{{{','.join(q[1] for q in parts)}}}." + ".".join(parts[0][2:])

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        for path in self.paths:
            *head, last = path.split(".")
            node = doc
            for key in head:
                node = node.setdefault(key, {})
            if self.missing:
                node.pop(last, None)
            else:
                node[last] = copy.deepcopy(self.value)
        return _validated(scenario, doc)


class Rename(Lever):
    """A new name (and English name, description) for the edited scenario."""

    lever: Literal["rename"] = "rename"
    name: str
    name_en: str | None = None
    description: str | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        doc = _doc(scenario)
        doc.update({k: v for k, v in (("name", self.name), ("name_en", self.name_en),
                                      ("description", self.description)) if v is not None})
        return _validated(scenario, doc)


class Override(Lever):
    """Merge a change written in the scenario file's shape (as ``extends`` does): the escape hatch for what no
    other lever covers."""

    lever: Literal["override"] = "override"
    changes: dict[str, Any]

    def apply(self, scenario: Scenario) -> Scenario:
        return scenario.override(self.changes) if self.changes else scenario


# The levers of the parts of the year, events, the cascade, scope and group rules (their own module; they use
# the helpers above).
from .levers_parts import (  # noqa: E402
    SetCascade,
    SetComponentPoints,
    SetEventCap,
    SetGroupWeights,
    SetOverYear,
    SetPerHead,
    SetScope,
    SetStaffShare,
)

AnyLever = Annotated[
    Union[SetPoints, SetUplift, SetBlend, SetRule, SetQuota, SetBand, SetFloat, SetPool, SetAwards,  # noqa: UP007
          SetSubjective, RestrictTo, Remove, SetValue, Rename, SetScope, SetComponentPoints, SetOverYear,
          SetEventCap, SetStaffShare, SetPerHead, SetCascade, SetGroupWeights, Override],
    Field(discriminator="lever"),
]


def apply(scenario: Scenario, levers: Iterable[Lever]) -> Scenario:
    """Apply levers in order."""
    for lever in levers:
        scenario = lever.apply(scenario)
    return scenario


# ---------------------------------------------------------------------------------------------- shortcuts
def rename(scenario: Scenario, name: str, name_en: str | None = None) -> Scenario:
    return Rename(name=name, name_en=name_en).apply(scenario)


def set_points(scenario: Scenario, points: Mapping[str, float], *, scale: bool = False) -> Scenario:
    return SetPoints(points=dict(points), scale=scale).apply(scenario)


def set_uplift(scenario: Scenario, value: float, where: Sequence[str] | None = None) -> Scenario:
    return SetUplift(value=value, where=None if where is None else tuple(where)).apply(scenario)


def set_blend(scenario: Scenario, growth: float, where: Sequence[str] | None = None) -> Scenario:
    return SetBlend(growth=growth, where=None if where is None else tuple(where)).apply(scenario)


def set_quota(scenario: Scenario, grade: str, *, share: float | None = None, count: int | None = None) -> Scenario:
    return SetQuota(grade=grade, share=share, count=count).apply(scenario)


def set_band(scenario: Scenario, grade: str, min_score: float | None) -> Scenario:
    return SetBand(grade=grade, min_score=min_score).apply(scenario)


def set_float(scenario: Scenario, grade: str, factor: float) -> Scenario:
    return SetFloat(grade=grade, factor=factor).apply(scenario)


def set_pool(scenario: Scenario, pool: float | str | None) -> Scenario:
    return SetPool(pool=pool).apply(scenario)


def restrict_to(scenario: Scenario, nodes: Iterable[str]) -> Scenario:
    return RestrictTo(nodes=tuple(nodes)).apply(scenario)


def set_component_points(scenario: Scenario, points: Mapping[str, float], *, scale: bool = False) -> Scenario:
    return SetComponentPoints(points=dict(points), scale=scale).apply(scenario)


def set_event_cap(scenario: Scenario, cap: float | None, source: str | None = None) -> Scenario:
    return SetEventCap(source=source, cap=cap).apply(scenario)


def set_staff_share(scenario: Scenario, grade: str, share: float) -> Scenario:
    return SetStaffShare(grade=grade, share=share).apply(scenario)


def set_cascade(scenario: Scenario, cascade: Mapping[str, Any] | None) -> Scenario:
    return SetCascade(cascade=None if cascade is None else dict(cascade)).apply(scenario)


# ------------------------------------------------------------------------------------------ reading levers
def uplift_places(scenario: Scenario) -> list[tuple[str, float]]:
    """Where a target rule has an uplift, and its value: (``defaults`` or node id, uplift)."""
    doc = scenario.to_dict()
    return [(k, float(r["target"]["uplift"])) for k, r in _rule_places(doc, None) if "uplift" in r.get("target", {})]


def blend_places(scenario: Scenario) -> list[tuple[str, float]]:
    """Where the increment or the growth rate is measured, and the growth share there."""
    doc = scenario.to_dict()
    return [(k, float(r["measures"].get("growth", 0.0))) for k, r in _rule_places(doc, None)
            if set(r.get("measures", {})) & {"increment", "growth"}]


def first_level_points(scenario: Scenario, nodes: Sequence[str], default: Mapping[str, float]) -> dict[str, float]:
    """The first-level points of ``nodes``: the scenario's weight, else ``default`` (the data's weight)."""
    return {n: float(scenario.weights.values.get(n, default.get(n, 1.0))) for n in nodes}


# ------------------------------------------------------------------------------------------------ a diff
def _atomic(key: str, value: Any) -> bool:
    """Provisions that change whole: a rule (has ``rule:``), a measures blend, and anything not a mapping."""
    return not isinstance(value, dict) or "rule" in value or key == "measures"


def _diff(a: dict[str, Any], b: dict[str, Any], prefix: str, out: list[SetValue]) -> None:
    for key in dict.fromkeys([*a, *b]):
        path = f"{prefix}.{key}" if prefix else key
        if key not in b:
            out.append(SetValue(paths=(path,), missing=True))
        elif key not in a:
            out.append(SetValue(paths=(path,), value=b[key]))
        elif a[key] != b[key]:
            va, vb = a[key], b[key]
            if _atomic(key, va) or _atomic(key, vb) or not va or not vb:
                out.append(SetValue(paths=(path,), value=vb))
            else:
                _diff(va, vb, path, out)


def _merged(levers: list[SetValue]) -> list[SetValue]:
    """The same setting of several indicators (``indicators.<id>.<rest>``, same value) as one provision."""
    out: list[SetValue] = []
    for lv in levers:
        parts = lv.paths[0].split(".")
        prev = out[-1] if out else None
        if (prev is not None and parts[0] == "indicators" and len(parts) > 2
                and prev.paths[0].split(".")[0] == "indicators" and prev.paths[0].split(".")[2:] == parts[2:]
                and prev.missing == lv.missing and prev.value == lv.value):
            out[-1] = SetValue(paths=(*prev.paths, lv.paths[0]), value=lv.value, missing=lv.missing)
        else:
            out.append(lv)
    return out


def provisions(base: Scenario, reform: Scenario) -> list[SetValue]:
    """The provisions (单项规定) in which ``reform`` differs from ``base``, in the order of ``SECTIONS``, each a
    ``SetValue`` lever; applying them all to ``base`` gives ``reform``'s rules.  Names and descriptions do not
    count; a section or setting that only one of them has is one provision.

    >>> from simkit.io.scenarios import load_scenario
    >>> [p.path for p in provisions(load_scenario("yiyang_2018_reform"), load_scenario("reform_growth_only"))]
    ['indicators.Q.measures']
    """
    out: list[SetValue] = []
    a, b = base.to_dict(), reform.to_dict()
    for section in SECTIONS:
        _diff({section: a[section]} if section in a else {}, {section: b[section]} if section in b else {}, "", out)
    return _merged(out)
