"""The README's Python examples run as written (on the bundled data)."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_python_examples():
    assert len(_blocks()) >= 2


@pytest.mark.parametrize("k", range(3))
def test_readme_python_blocks_run(k, monkeypatch):
    blocks = _blocks()
    if k >= len(blocks):
        pytest.skip("fewer blocks")
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    # Blocks build on each other (the first loads the data and scenarios), as a reader would run them.
    for code in blocks[: k + 1]:
        code = code.replace("draws=20_000", "draws=512").replace("paths=1000", "paths=50")
        exec(compile(code, f"README block {k}", "exec"), namespace)  # our own README, not a user file
