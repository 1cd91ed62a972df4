"""Generate the scenario reference page (docs/scenario-reference.md) from the models themselves, so the
documentation cannot drift from what is validated."""

from __future__ import annotations

import inspect
import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .adjustments import Adjustments, Veto, VetoCondition
from .consequences import Accountability, Awards, Bonus, Consequences, Progress, Tier, VetoEffects
from .grading import Grade, Grading
from .ranking import Ranking
from .scenario import Aggregation, IndicatorRule, Scenario, Weights
from .scoring import SCORING_MODELS
from .targets import TARGET_MODELS

SECTIONS: tuple[type[BaseModel], ...] = (
    Scenario, Weights, Aggregation, IndicatorRule, Adjustments, Veto, VetoCondition, Ranking, Grading, Grade,
    Consequences, Bonus, Tier, Awards, Progress, Accountability, VetoEffects,
)


def _type(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    for prefix in ("typing.", "simkit.schema.scenario.", "simkit.schema.consequences.", "simkit.schema.grading.",
                   "simkit.schema.adjustments.", "simkit.schema.ranking.", "simkit.schema.targets.",
                   "simkit.schema.scoring."):
        text = text.replace(prefix, "")
    return text


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "(see below)"
    try:
        return "`" + json.dumps(value, ensure_ascii=False, default=str) + "`"
    except TypeError:
        return f"`{value}`"


def _table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    lines = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        key = field.alias or name
        desc = (field.description or "").replace("|", "\\|").replace("\n", " ")
        kind = _type(field.annotation).replace("|", "\\|")
        lines.append(f"| `{key}` | {kind} | {_default(field)} | {desc} |")
    return lines


def reference_markdown() -> str:
    """The whole reference page as Markdown."""
    out = [
        "# Scenario reference / 方案文件说明",
        "",
        "Generated from the models in `simkit/schema/` (`scenario.py`, `adjustments.py`, `ranking.py`, `grading.py`, "
        "`consequences.py`, `targets.py`, `scoring.py`) by `python scripts/make_scenario_docs.py`; a test checks it "
        "is current. The JSON Schema is `scenarios/schema.json` (`simkit schema`).",
        "",
        "A scenario is a YAML file read with a safe loader. `extends: other.yaml` starts from another file; "
        "mappings are merged key by key, while lists, numbers, a rule (a mapping with `rule:`) and a `measures` "
        "blend are replaced whole. Unknown fields are errors. Every number is a parameter.",
        "",
    ]
    for model in SECTIONS:
        out += [f"## `{model.__name__}`", "", inspect.cleandoc(model.__doc__ or ""), "", *_table(model), ""]
    for title, registry in (("Target rules (`target:`)", TARGET_MODELS),
                            ("Scoring rules (`scoring:`)", SCORING_MODELS)):
        out += [f"## {title}", ""]
        for name, model in registry.items():
            doc = " ".join((model.__doc__ or "").split())
            out += [f"### `rule: {name}`", "", doc, "", *_table(model, skip=("rule",)), ""]
    return "\n".join(out).rstrip() + "\n"
