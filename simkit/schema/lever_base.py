"""The base of every lever (``simkit.schema.levers``): a named edit of a scenario, and the helpers that read and
write the scenario's plain-data shape."""

from __future__ import annotations

import copy
from typing import Any

from ._base import Frozen
from .scenario import Scenario


def _doc(scenario: Scenario) -> dict[str, Any]:
    return copy.deepcopy(scenario.to_dict())


def _validated(scenario: Scenario, doc: dict[str, Any]) -> Scenario:
    out = Scenario.model_validate(doc)
    return out.with_source(getattr(scenario, "_source", None))


class Lever(Frozen):
    """A named edit of a scenario."""

    lever: str

    def apply(self, scenario: Scenario) -> Scenario:  # pragma: no cover - every lever overrides it
        raise NotImplementedError

    def describe(self) -> str:
        """The edit in words (field names and values; ``simkit.present`` says it in Chinese)."""
        fields = {k: v for k, v in self.model_dump(exclude={"lever"}).items() if v is not None}
        return f"{self.lever}(" + ", ".join(f"{k}={v!r}" for k, v in fields.items()) + ")"


def _grade(doc: dict[str, Any], name: str) -> dict[str, Any]:
    for g in doc["grading"]["grades"]:
        if g["name"] == name:
            return g
    names = ", ".join(g["name"] for g in doc["grading"]["grades"])
    raise ValueError(f"no grade {name!r}; the grades are {names}")
