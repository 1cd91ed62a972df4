"""Reading scenario files: safe YAML, ``extends``, validation, and every problem named with a fix.

A bare name such as ``"legacy_totals"`` loads a scenario shipped inside the package (``simkit/scenarios``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from ..schema.scenario import Scenario, deep_merge, json_schema

#: A scenario is a page or two of rules; a file much larger than this is not one (and would take long to read).
MAX_BYTES = 2_000_000


def _read_yaml(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > MAX_BYTES:
        raise ScenarioError(Problem(where, f"the file is {size / 1e6:.1f} MB; a scenario file is at most "
                                    f"{MAX_BYTES / 1e6:.0f} MB", "check that this is the scenario file (a YAML file "
                                    "of rules, see docs/scenario-reference.md), not a data file"))
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
    parent_path = path.parent / parent
    if not parent_path.exists():
        # A bare name that is not a file next to this one may name a shipped scenario (``extends: legacy_totals``)
        shipped = SHIPPED_DIR / (parent if parent.endswith((".yaml", ".yml")) else f"{parent}.yaml")
        if Path(parent).name == parent and shipped.exists():
            parent_path = shipped
        else:
            names = ", ".join(shipped_scenarios())
            raise ScenarioError(Problem(str(path), f"`extends` names {parent!r}, which is neither a file next to "
                                        f"this one nor a shipped scenario ({names})",
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
        elif kind == "finite_number":
            msg = "NaN and infinity are not numbers a rule can use"
            fix = "write a finite number (or remove the field to take its default)"
        elif kind == "value_error" and " — fix: " in msg:  # our validators state their own fix
            msg, fix = msg.split(" — fix: ", 1)
        else:
            fix = "correct the value; docs/scenario-reference.md says what it takes"
        if kind not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
            msg = f"{msg} (got {got!r})"
        out.append(Problem(where, msg + hint, fix, field=loc or None))
    return out


#: The scenarios that ship with simkit, inside the package (the repository's scenarios/ links here).
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
    return scenario.with_source(str(path))


def scenario_from_dict(doc: dict[str, Any], where: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data, raising ``ScenarioError`` like ``load_scenario``."""
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc, where)) from None


