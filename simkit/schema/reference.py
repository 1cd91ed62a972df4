"""Generate the scenario reference page (docs/scenario-reference.md) from the models themselves, and the data
format page (docs/data-format.md) from the table declaration, so the documentation cannot drift from what is
validated."""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .adjustments import Adjustments, Veto, VetoCondition
from .cascade import Cascade, Leader, PerHead, StaffQuota, TeamGrades
from .components import Component
from .consequences import (
    Accountability,
    Awards,
    Bonus,
    Consequences,
    InLast,
    Prizes,
    Progress,
    Require,
    Tier,
    VetoEffects,
)
from .events import EventRules, SourceRule
from .grading import Grade, Grading
from .groups import GroupRules
from .leagues import LeagueTable
from .missing import MissingData, MissingRule
from .ranking import Ranking
from .scenario import Aggregation, IndicatorRule, Scenario, Weights
from .scope import Scope
from .scoring import SCORING_MODELS
from .sources import SOURCE_ALIASES
from .tables import (
    AMBIGUOUS_MARKS,
    DATE_FORMS,
    DIRECTIONS,
    KIND_LABELS,
    MAX_MAGNITUDE,
    MISSING_WORDS,
    PERCENT_UNITS,
    PERIOD_FORMS,
    SCHEMA,
    WIDE_NAMES,
    YEAR_RANGE,
    ColumnSpec,
    TableSpec,
)
from .targets import TARGET_MODELS

SECTIONS: tuple[type[BaseModel], ...] = (
    Scenario, Weights, Aggregation, IndicatorRule, MissingData, MissingRule, Adjustments, Veto, VetoCondition, Ranking,
    Grading, Grade, Consequences, Bonus, Tier, Awards, Progress, Accountability, Require, InLast, Prizes, VetoEffects,
    Scope, Component, EventRules, SourceRule, GroupRules, LeagueTable, Cascade, StaffQuota, TeamGrades, Leader, PerHead,
)


def _type(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    for prefix in ("typing.", "simkit.schema.scenario.", "simkit.schema.consequences.", "simkit.schema.grading.",
                   "simkit.schema.adjustments.", "simkit.schema.ranking.", "simkit.schema.targets.",
                   "simkit.schema.scoring.", "simkit.schema.scope.", "simkit.schema.components.",
                   "simkit.schema.events.", "simkit.schema.groups.", "simkit.schema.leagues.",
                   "simkit.schema.cascade."):
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
        "`consequences.py`, `targets.py`, `scoring.py`, `scope.py`, `components.py`, `events.py`, `groups.py`, "
        "`leagues.py`, `cascade.py`) by `python scripts/make_scenario_docs.py`; a test checks it is current. The "
        "JSON Schema is `scenarios/schema.json` (`simkit schema`). The parts of the year, events, the cascade to "
        "people, rules per group and league tables are explained in docs/parts-events-cascade.md.",
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

A simkit data set is either a folder of CSV files or one `.xlsx` workbook with one sheet per table.
Sheet and file names are the table names below (`units.csv` or a sheet called `units`; a sheet or file may also
be named by its Chinese name, `考核对象`, or both, `考核对象 units`). Column headers are the English names below;
the template workbook shows each header in Chinese and English (`单位编码 unit`); either form is read, and so
are `单位编码 (unit)` and a header on two lines. Blank lines, and lines of commas only, are skipped.

The whole data set is validated at once and every problem is reported together, with the file, the row
(1-based, counting the header as row 1, as a spreadsheet shows it), the column and what would fix it. When one
cause produces many problems of one kind in one column, they are reported once, with their count and first
rows. What is read with an interpretation (a percentage, full-width digits, blank lines above a header, a sheet
that is not read) is not an error: it is kept as a note (`Dataset.notes`), which the command line shows as a
warning."""


def _words(items: Iterable[str]) -> str:
    return ", ".join(f"`{w}`" for w in items)


def _reading_section() -> list[str]:
    """How files, layouts and cells are read: encodings, the wide form, numbers, workbooks."""
    lo, hi = YEAR_RANGE
    wide = f"{WIDE_NAMES[1]}2018"
    return [
        "## Encodings / 编码", "",
        "A CSV file may be UTF-8 (with or without a byte-order mark), GBK/GB18030 (what Excel on a Chinese Windows "
        "writes by default, 另存为 → CSV) or UTF-16 (Excel's \"Unicode text\"). UTF-8 is tried first; any other file "
        "is identified by charset-normalizer and read only as one of these. The encoding of each file is kept "
        "(`Dataset.encodings`, e.g. `{\"units.csv\": \"gbk\"}`) so that a run's manifest can name it. A file in "
        "another encoding, a file that mixes two encodings (lines pasted from files saved differently) and a file "
        "that is not text (a workbook or a PDF under a `.csv` name) are refused, with the line where it goes wrong.",
        "",
        "## Wide sheets of observations / 宽表", "",
        f"Observations may be given in the long form (the `observations` table below) or in wide tables, one per "
        f"year: a sheet or CSV file named `{wide}` or `{WIDE_NAMES[0]}_2018` with one unit per row and one leaf "
        "indicator per column. The first column holds the unit id (`单位编码 unit`) or the unit name "
        "(`单位名称 name`), or both (then they must agree); each other column is headed by the indicator's id, its "
        "name, or both (`地区生产总值 gdp`, as `simkit template` writes it). A sheet with another name is read as a "
        "wide table when its header has a unit column and indicator columns and its name or a `year` column gives "
        "the year. An empty cell is a missing value (no row). Long and wide tables may be mixed; a value given twice "
        "(long and wide, or in two wide tables of one year) is an error naming both places, and a bad cell is named "
        "by the wide sheet's own row (with the unit) and column (with its header).",
        "",
        "## Numbers / 数值", "",
        "A number is a plain number such as `1234.5`. The fast path reads every cell that is a plain number; the "
        "others are read one distinct text at a time:",
        "",
        "| written | read as |",
        "|---|---|",
        "| `1,234.5` (thousands separated by commas; in a CSV file inside double quotes) | 1234.5 |",
        "| `1 234 567` (thousands separated by spaces) | 1234567, noted |",
        "| `１２３`, `－５`, `１２．５` (full-width digits and signs) | 123, -5, 12.5, noted |",
        "| `'123` (a leading apostrophe) | 123, noted |",
        "| a number with invisible characters (zero-width spaces) | the number, noted |",
        f"| `8%`, `8 %` where the indicator's `measure_unit` is {_words(PERCENT_UNITS)} | 8 (the data are in "
        "percent), noted once per column |",
        "| `8%` anywhere else | refused: the unit is not percent |",
        f"| {_words(MISSING_WORDS)} (no value, without doubt) | a missing value, noted |",
        f"| {_words(AMBIGUOUS_MARKS)} (0 or no value?) | refused: write 0 or leave the cell empty |",
        "| `1.234,5`, `1,5` (a decimal comma) | refused |",
        "| `12亿元`, `12 万人` (a number with a unit) | refused: write the number in the unit of measure |",
        "| `(123)` | refused: write -123 |",
        "| `#DIV/0!`, `#N/A`, `#VALUE!` (Excel error values) | refused: the formula failed |",
        "| `2018-01-01`, `2018/1/1`, a date cell | refused: a date, not a number (or not a year) |",
        f"| `inf`, `1e400`, anything of magnitude 10^{round(math.log10(MAX_MAGNITUDE))} or more | refused: beyond "
        "10^15 a spreadsheet no longer keeps every digit |",
        "| `1.23457E+11` (scientific notation of a wide number) | the number, noted: Excel writes wide numbers so in "
        "a CSV file, keeping 6 digits |",
        "",
        f"A year is a whole number between {lo} and {hi}; `2018年` is read as 2018 (noted). An empty cell of a "
        "number column is a missing value, unless the column must be filled. Text is read without its leading and "
        "trailing spaces.",
        "",
        "## Layout / 版式", "",
        "- Blank lines or rows above the header are skipped (noted); the row numbers stay those of the file.",
        "- A title above the header (`2018年绩效考核数据` in row 1, the header in row 2 or 3) is refused once: "
        "\"the header is on row 3, not row 1\"; delete the title rows.",
        "- A transposed table (the column names down column A, one record per column) and a file holding another "
        "table (`units.csv` with the header of `indicators`) are named as such.",
        "- Columns separated by semicolons or tabs, a cell with data under an empty header, a row with more cells "
        "than the header (unless the extra cells are empty: trailing commas are read), a double quote that is "
        "never closed, two files or sheets for one table, and a folder without CSV files (holding a workbook or a "
        "subfolder with the tables) are each reported once.",
        "- CSV files and sheets whose names are neither table names nor wide-table names are not read (noted).",
        "",
        "## Workbooks / 工作簿", "",
        "- A formula cell is read as its computed value. A workbook written by a program and never opened in Excel "
        "holds formulas without a computed value: these are refused, naming the sheet and the cells (open the "
        "workbook in Excel or WPS and save it, or type the values).",
        "- Merged cells (a merged header, a group merged over its units' rows) keep their value in the first cell "
        "only: each merged range is named; unmerge it and fill every row.",
        "- A cell shown as a percentage (0.08 shown as 8%) is read as what it shows, `8%`, and then as above.",
        "- A date cell where a year is expected is \"a date, not a year\" (with the year Excel turned into a date, if "
        "a year was typed into a date-formatted cell).",
        "- An old `.xls` workbook, a password-protected workbook, `.et`, `.ods` and `.numbers` files are refused "
        "with how to save them as `.xlsx`.",
        "- A README sheet line holding `SYNTHETIC` marks the data as synthetic, as README.md does a folder "
        "(`write_workbook` writes it for synthetic data).",
    ]


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
        out.append(f"`{col.name}` is a whole number" + (f" between {col.bounds[0]} and {col.bounds[1]}."
                                                         if col.bounds else "."))
    if col.percent_by:
        out.append(f"`{col.name}` may be written as a percentage (`8%`, read as 8) where the `measure_unit` of the "
                   f"row's `{col.percent_by}` is %.")
    if col.kind == "direction":
        out.append(f"`{col.name}` is {' or '.join(col.choices)}; "
                   f"{_code(k for k in DIRECTIONS if k not in col.choices)} are read too"
                   + (", in upper or lower case." if col.lower else "."))
    if col.kind == "choice":
        out.append(f"`{col.name}` is {_code(col.choices, 'or')}" + (", in upper or lower case." if col.lower else "."))
        if col.name == "source":
            out.append(f"`{col.name}` may also be written {_code(SOURCE_ALIASES, 'or')} (read as the source they "
                       "name).")
    if col.kind == "date":
        out.append(f"`{col.name}` is a date, written {_code(DATE_FORMS, 'or')}, or a date cell of a workbook; it "
                   f"counts in its year (between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}).")
    if col.kind == "period":
        out.append(f"`{col.name}` is empty (the value of the whole year) or a month, a quarter or a half-year of the "
                   f"row's `year`, written {_code(PERIOD_FORMS, 'or')} (a date is read as its month); a period of "
                   "another year is refused.")
        out.append("With periods there is one row per `unit`, `indicator`, `year` and `period`; a year's values of "
                   "an indicator are given either whole (no period) or by period, and at one frequency.")
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
    if "group_en" in spec.names:
        out.append("`group_en` is the same in every row of a group that gives it (the others take it).")
    out += [f"`{c.name}`, if given, is not negative." for c in spec.examples if c.nonnegative]
    if spec.attributes is not None:
        out.append(f"Any other column is a numeric attribute of the {spec.name} (a column without a header is "
                   "refused if it holds data, and left out if empty).")
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
    out += ["", *_reading_section()]
    return "\n".join(out).rstrip() + "\n"
