"""The bundled Chinese font renders plots without missing-glyph boxes."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simkit.present.fonts import FAMILY, FONT_PATH, use_chinese_font  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "simkit" / "datasets"
UNITS = ["赫山区", "资阳区", "沅江市", "南县", "桃江县", "安化县", "大通湖区", "益阳高新区"]


def _render(path: Path) -> list[str]:
    """Draw a mixed Chinese/English figure to *path*; return glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure(figsize=(8, 4.5), dpi=80)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        values = [3.2, -1.5, 2.4, -0.8, 1.1, 2.9, -2.2, 4.0]
        ax.bar(UNITS, values, label="得分变化 score change")
        ax.plot(UNITS, [v / 2 for v in values], "o-", color="C1", label="目标 target −10%")
        ax.set_title("益阳市绩效考核：区县市得分 Performance 2024（单位：分）")
        ax.set_xlabel("考核对象 unit")
        ax.set_ylabel("分值 score")
        ax.text(0, -2.0, "最低 min = -2.2，“优秀”≥90", fontsize=9)
        ax.tick_params(axis="x", rotation=30)
        ax.legend()
        fig.savefig(path)
    assert path.stat().st_size > 0
    return [str(w.message) for w in caught
            if "missing from" in str(w.message) or "Glyph" in str(w.message)]


def test_font_file_is_bundled_and_named() -> None:
    from matplotlib import ft2font

    assert FONT_PATH.is_file()
    assert FONT_PATH.stat().st_size <= 4 * 1024 * 1024
    assert (FONT_PATH.parent / "LICENSE-OFL.txt").is_file()
    assert ft2font.FT2Font(str(FONT_PATH)).family_name == FAMILY


def test_chinese_plot_has_no_missing_glyphs(tmp_path: Path) -> None:
    with matplotlib.rc_context():
        assert use_chinese_font() == FAMILY
        assert matplotlib.rcParams["font.family"][0] == FAMILY
        missing = _render(tmp_path / "zh.png")
    assert missing == []


def test_default_font_does_warn(tmp_path: Path) -> None:
    """Without the bundled font the same figure warns, so the test above can fail."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        missing = _render(tmp_path / "default.png")
    assert missing, "expected missing-glyph warnings with DejaVu Sans only"
    assert any("missing from font" in m for m in missing)


def test_use_chinese_font_is_idempotent() -> None:
    from matplotlib import font_manager

    with matplotlib.rc_context():
        use_chinese_font()
        use_chinese_font()
        entries = [f for f in font_manager.fontManager.ttflist
                   if f.fname == str(FONT_PATH) and f.name == FAMILY]
        assert len(entries) == 1
        found = font_manager.findfont(
            font_manager.FontProperties(family=FAMILY), fallback_to_default=False)
        assert Path(found) == FONT_PATH


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, simkit.present.fonts; assert 'matplotlib' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def test_dataset_characters_are_in_font() -> None:
    csv_files = sorted(DATASETS.rglob("*.csv")) if DATASETS.is_dir() else []
    if not csv_files:
        pytest.skip("simkit/datasets has no CSV files yet")
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(FONT_PATH), lazy=True).getBestCmap()
    missing: dict[str, set[str]] = {}
    for path in csv_files:
        text = path.read_text(encoding="utf-8-sig")
        for ch in set(text):
            if unicodedata.category(ch)[0] in "CZ" and ch != " ":
                continue  # newlines, tabs, BOM, other invisible characters
            if ord(ch) not in cmap:
                missing.setdefault(ch, set()).add(str(path.relative_to(ROOT)))
    assert not missing, (
        "characters missing from the bundled font (re-run "
        "scripts/make_font_subset.py): "
        + ", ".join(f"{c!r} U+{ord(c):04X} in {sorted(f)}" for c, f in sorted(missing.items())))
