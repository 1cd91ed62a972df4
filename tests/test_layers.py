"""The one-way flow: every module of the package imports only from its own layer or the layers before it.

    schema → io → rules → engine → analysis → present → cli

The base modules (``errors``, ``_version``) may be imported by any layer; nothing imports the package's own
``__init__`` (the public facade), which sits on top.  Every ``import`` statement counts, also one inside a
function: a lazy import that climbs back is still a climb.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simkit"
LAYERS = ("schema", "io", "rules", "engine", "analysis", "present", "cli")
BASE = ("errors", "_version")


def layer_of(parts: tuple[str, ...]) -> int | None:
    """The layer index of a module given its path parts below ``simkit`` (None: a base module)."""
    head = parts[0].removesuffix(".py")
    if head in BASE:
        return None
    if head == "__init__":
        return len(LAYERS)  # the facade
    return LAYERS.index(head)


def imports_of(path: Path, root: Path = PACKAGE) -> list[tuple[int, tuple[str, ...]]]:
    """(line, module parts below simkit) of every import of the package in a file."""
    rel = path.relative_to(root).with_suffix("").parts
    package = rel[:-1]  # the package a relative import starts from (for __init__.py: the package itself)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                target = (*base, *(node.module.split(".") if node.module else ()))
                names = [target] if node.module else [(*base, a.name) for a in node.names]
            elif node.module and node.module.split(".")[0] == "simkit":
                names = [tuple(node.module.split(".")[1:])]
            else:
                continue
            out += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, tuple(a.name.split(".")[1:])) for a in node.names if a.name.split(".")[0] == "simkit"]
    return out


def violations(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if rel == ("__init__.py",):
            continue  # the facade may import every layer
        own = layer_of(rel)
        for line, target in imports_of(path, root):
            if not target:
                bad.append(f"{path.relative_to(root.parent)}:{line} imports the package facade `simkit`")
                continue
            theirs = layer_of(target)
            if theirs is None:
                continue
            if own is None:
                bad.append(f"{path.relative_to(root.parent)}:{line}: base module imports {'.'.join(target)}")
            elif theirs > own:
                bad.append(f"{path.relative_to(root.parent)}:{line}: {LAYERS[own]} imports "
                           f"{'.'.join(target)} ({LAYERS[theirs] if theirs < len(LAYERS) else 'the facade'})")
    return bad


def test_every_module_sits_in_a_layer():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        assert rel == ("__init__.py",) or rel[0].removesuffix(".py") in (*LAYERS, *BASE), path


def test_no_layer_imports_a_later_one():
    assert violations() == []


def test_the_check_catches_a_climb(tmp_path):
    """A lower layer importing a higher one is reported (a scratch copy with one such import added)."""
    import shutil

    copy = tmp_path / "simkit"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.otf", "*.csv"))
    target = copy / "rules" / "grading.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n\ndef _x():\n    from ..analysis import stats\n",
                      encoding="utf-8")
    found = violations(copy)
    assert len(found) == 1 and "rules imports analysis" in found[0]


@pytest.mark.parametrize("path", sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")))
def test_no_module_is_longer_than_about_600_lines(path):
    assert len((PACKAGE / path).read_text(encoding="utf-8").splitlines()) <= 650, path
