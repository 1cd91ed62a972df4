"""Generate the scenario reference page (docs/scenario-reference.md) from the models themselves, and the data
format page (docs/data-format.md) from the table declaration, so the documentation cannot drift from what is
validated."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .adjustments import Adjustments, Veto, VetoCondition
from .consequences import Accountability, Awards, Bonus, Consequences, Progress, Tier, VetoEffects
from .grading import Grade, Grading
from .missing import MissingData, MissingRule
from .ranking import Ranking
from .scenario import Aggregation, IndicatorRule, Scenario, Weights
from .scoring import SCORING_MODELS
from .tables import DIRECTIONS, KIND_LABELS, SCHEMA, ColumnSpec, TableSpec
from .targets import TARGET_MODELS

SECTIONS: tuple[type[BaseModel], ...] = (
    Scenario, Weights, Aggregation, IndicatorRule, MissingData, MissingRule, Adjustments, Veto, VetoCondition, Ranking,
    Grading, Grade, Consequences, Bonus, Tier, Awards, Progress, Accountability, VetoEffects,
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



# ------------------------------------------------------------------------------------------------ data format
_DATA_INTRO = """\
Generated from the table declaration in `simkit/schema/tables.py` by `python scripts/make_data_docs.py`; a test
checks it is current. The same declaration drives the reader, the validator and the template workbook
(`simkit template PATH.xlsx`), whose README sheet describes these tables in Chinese and English.

A simkit data set is either a folder of UTF-8 CSV files or one `.xlsx` workbook with one sheet per table.
Sheet and file names are the table names below (`units.csv` or a sheet called `units`; a sheet may also be
named by its Chinese name, `考核对象`, or both, `考核对象 units`). Column headers are the English names below;
the template workbook shows each header in Chinese and English (`单位编码 unit`); either form is read, and so
are `单位编码 (unit)` and a header on two lines. Blank lines, and lines of commas only, are skipped.

The whole data set is validated at once and every problem is reported together, with the file, the row
(1-based, counting the header as row 1, as a spreadsheet shows it), the column and what would fix it.

A number is a plain number such as `1234.5`. A thousands separator is read (`"1,234.5"`: in a CSV file such a
number must be in double quotes); units or text (`12亿`) and infinities are errors, and full-width digits
(`１２`) are reported with their half-width form. An empty cell of a number column is a missing value, unless
the column must be filled. Text is read without its leading and trailing spaces."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(names: Iterable[str], last: str = "and") -> str:
    """The names as code, listed: `a`, `b` and `c`."""
    items = [f"`{n}`" for n in names]
    return ", ".join(items[:-1]) + f" {last} " + items[-1] if len(items) > 1 else "".join(items)


def _column_row(col: ColumnSpec) -> str:
    required = "yes" if col.filled else "no" + (f" (`{col.default}`)" if col.default is not None else "")
    name = f"`{col.name}`" if col.label else col.name
    return (f"| {name} | {col.label} | {KIND_LABELS[col.kind][0]} | {required} | {_cell(col.meaning_en)} | "
            f"{_cell(col.meaning_zh)} |")


def _column_checks(col: ColumnSpec) -> list[str]:
    out = []
    if col.kind == "integer":
        out.append(f"`{col.name}` is a whole number.")
    if col.kind == "direction":
        out.append(f"`{col.name}` is {' or '.join(col.choices)}; "
                   f"{_code(k for k in DIRECTIONS if k not in col.choices)} are read too"
                   + (", in upper or lower case." if col.lower else "."))
    if col.kind == "choice":
        out.append(f"`{col.name}` is {_code(col.choices, 'or')}" + (", in upper or lower case." if col.lower else "."))
    if col.nonnegative:
        out.append(f"`{col.name}` is not negative.")
    if col.references is not None:
        table, column = col.references
        empty = "" if col.filled else ", or empty"
        if SCHEMA[table].key != (column,):  # not the table's id: a value some row of that table has
            out.append(f"`{col.name}`{' (of a leaf)' if col.leaves_only else ''} is a `{column}` of some row of "
                       f"`{table}`{empty}.")
        elif col.leaves_only:
            out.append(f"`{col.name}` is the id of a leaf of `{table}` (an inner node's values are computed, not "
                       "given).")
        else:
            out.append(f"`{col.name}` is an id of `{table}`{empty}.")
    return out


def _table_checks(spec: TableSpec) -> list[str]:
    """What the validator checks in a table, in words, from its declaration."""
    out = [f"The header has {_code(c.name for c in spec.columns if c.required)}."]
    filled = [c.name for c in spec.columns if c.empty == "error"]
    if filled:
        out.append(f"Every row fills {_code(filled)}.")
    out += [f"A row with an empty `{c.name}` is left out." for c in spec.columns if c.empty == "drop"]
    if spec.key:
        out.append(f"There is one row per {_code(spec.key)}: a duplicate {spec.key_what} is reported with all its "
                   "rows.")
    for col in spec.columns:
        out += _column_checks(col)
    if spec.attributes is not None:
        out.append(f"Any other column is a numeric attribute of the {spec.name} (a column without a header is "
                   "left out).")
    return [f"- {line}" for line in out]


def data_format_markdown() -> str:
    """The data format page (docs/data-format.md) as Markdown, from the declaration in ``tables``."""
    out = ["# Data format / 数据格式", "", _DATA_INTRO, "", "| table | 中文 | what it holds |", "|---|---|---|"]
    out += [f"| `{t.name}` | {t.label} | {_cell(t.note_en)} |" for t in SCHEMA.values()]
    for spec in SCHEMA.values():
        out += ["", f"## `{spec.name}` ({spec.label}) — {'required' if spec.required else 'optional'}", "",
                spec.about, "", "| column | 中文 | type | required | meaning | 说明 |", "|---|---|---|---|---|---|"]
        out += [_column_row(c) for c in (*spec.columns, *spec.examples)]
        if spec.attributes is not None:
            out.append(_column_row(spec.attributes))
        out += ["", *_table_checks(spec)]
    return "\n".join(out).rstrip() + "\n"
