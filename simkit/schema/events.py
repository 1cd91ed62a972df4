"""Events found as the year goes (督查、巡视巡察、审计成果): the rules that turn them into deducted points and vetoes.

The data's optional ``events`` table lists what inspections and audits found, one row per event: the unit, the
date, the source (督查 supervision, 巡视巡察 inspection tours, 审计 audit, 其他 other), the kind (e.g. 通报批评,
违规问题), the points the finding carries and a note.  A scenario's ``events`` block says what they cost:
per source, the points of an event (as written, a fixed amount, or by kind, times a factor) and a cap on what a
source can deduct in a year; a cap on all sources together; and the kinds that trigger a one-vote veto
(一票否决).  Without the block the events table is not applied.  The computations are in ``simkit.rules.events``.

>>> r = EventRules(sources={"审计": {"cap": 3}}, cap=5, veto_kinds=("重大违纪",))
>>> r.rule_for("审计").cap, r.rule_for("督查").cap
(3.0, None)
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ._base import Frozen
from .sources import SOURCE_ALIASES, SOURCE_CODES, SOURCE_EN, SOURCES, canonical_source

__all__ = ["SOURCES", "SOURCE_ALIASES", "SOURCE_CODES", "SOURCE_EN", "EventRules", "SourceRule", "canonical_source"]

class SourceRule(Frozen):
    """What the events of one source deduct: per event the written points (or ``points``, or the points of its
    kind in ``by_kind``) times ``factor``; at most ``cap`` points a year for the source."""

    points: float | None = Field(None, ge=0, description="Points deducted per event; none = the event's own points "
                                 "(the `points` column).")
    by_kind: dict[str, float] = Field(default_factory=dict, description="Points per event of these kinds (kind → "
                                      "points), instead of `points` or the written ones; times `factor` as well.")
    factor: float = Field(1.0, ge=0, description="Multiplies every event's points (e.g. 0.5 = half).")
    cap: float | None = Field(None, ge=0, description="Most points this source deducts from a unit in a year; "
                              "none = no cap.")

    @field_validator("by_kind")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, p in v.items() if not p >= 0]
        if bad:
            raise ValueError(f"by_kind points must be 0 or more: {', '.join(bad)}")
        return v


class EventRules(Frozen):
    """督查、巡视巡察、审计成果 as deductions and vetoes: per-source rules and caps, a cap in total, veto kinds.

    A unit's deduction for a year is, per source, the sum of its events' points (as the source's rule says),
    capped at the source's cap; then the sources' sum, capped at ``cap``.  It is deducted from the total beside
    the adjustments table's deductions (and is not bound by ``adjustments.deduction_cap``).  An event whose kind
    is in ``veto_kinds`` vetoes the unit for that year (``adjustments.veto`` says what a veto does).
    """

    use_table: bool = Field(True, description="Apply the data's events table (false: ignore it).")
    sources: dict[str, SourceRule] = Field(default_factory=dict, description="Rule per source (督查, 巡视巡察, 审计, "
                                           "其他); a source not listed deducts its events' own points, uncapped.")
    cap: float | None = Field(None, ge=0, description="Most points all sources together deduct from a unit in a "
                              "year; none = no cap.")
    veto_kinds: tuple[str, ...] = Field((), description="Event kinds that trigger a one-vote veto (一票否决), "
                                        "e.g. [重大安全生产事故, 严重违纪].")

    @model_validator(mode="before")
    @classmethod
    def _source_names(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("sources"), dict):
            out = {}
            for key, rule in data["sources"].items():
                name = canonical_source(key)
                if name is None:
                    raise ValueError(f"events.sources names {key!r}, which is not a source — fix: use "
                                     f"{', '.join(SOURCES)}")
                out[name] = rule
            data = {**data, "sources": out}
        return data

    def rule_for(self, source: str) -> SourceRule:
        """The rule of a source (the default rule if the scenario gives none)."""
        return self.sources.get(source, _DEFAULT)


_DEFAULT = SourceRule()
