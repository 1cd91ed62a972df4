"""Bundled Chinese font for matplotlib plots.

``simkit`` ships a subset of Noto Sans CJK SC (SIL OFL 1.1, see
``LICENSE-OFL.txt`` and ``README.md`` in this folder) so that plots with
Chinese labels render on any machine without a system CJK font::

    from simkit.fonts import use_chinese_font
    use_chinese_font()          # then plot as usual

Importing this module does not import matplotlib.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FALLBACK", "FAMILY", "FONT_PATH", "use_chinese_font"]

#: The bundled font file (CFF-flavoured OpenType).
FONT_PATH: Path = Path(__file__).resolve().parent / "NotoSansSC-simkit.otf"

#: Family name of the bundled font, as matplotlib's font manager sees it.
FAMILY: str = "Noto Sans SC simkit"

#: Font used for glyphs the subset lacks (ships with matplotlib).
FALLBACK: str = "DejaVu Sans"


def _register() -> None:
    """Add FONT_PATH to matplotlib's font manager unless already there."""
    from matplotlib import font_manager

    fm = font_manager.fontManager
    target = str(FONT_PATH)
    if not any(entry.fname == target for entry in fm.ttflist):
        fm.addfont(target)


def use_chinese_font() -> str:
    """Make matplotlib draw text with the bundled Chinese font.

    Registers the font (idempotent) and sets ``rcParams['font.family']`` to
    ``[FAMILY, "DejaVu Sans"]``: every character the subset has (Chinese,
    Latin, digits, U+2212 minus, CJK punctuation) comes from it, anything
    else falls back per glyph to DejaVu Sans. ``FAMILY`` is also put first in
    ``font.sans-serif`` so code that later sets ``font.family = "sans-serif"``
    (seaborn themes do) keeps Chinese glyphs. Use it inside
    ``matplotlib.rc_context()`` to limit the change to a block.

    Returns the family name, e.g. for ``FontProperties(family=...)``.
    """
    import matplotlib

    if not FONT_PATH.is_file():
        raise FileNotFoundError(
            f"bundled font missing: {FONT_PATH}; regenerate it with "
            "scripts/make_font_subset.py")
    _register()
    matplotlib.rcParams["font.family"] = [FAMILY, FALLBACK]
    sans = [name for name in matplotlib.rcParams["font.sans-serif"] if name != FAMILY]
    matplotlib.rcParams["font.sans-serif"] = [FAMILY, *sans]
    # axes.unicode_minus is left alone: the subset has U+2212 MINUS SIGN.
    return FAMILY
