"""What every plot module shares: bilingual labels, a figure with the Chinese font, the synthetic mark."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..fonts import use_chinese_font
from ..labels import SYNTHETIC_NOTE

SYNTHETIC_MARK = SYNTHETIC_NOTE


def check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")


def label(zh: str, en: str, lang: str) -> str:
    """A label: Chinese with English for ``zh``, English only for ``en``."""
    check_lang(lang)
    return f"{zh} {en}" if lang == "zh" else en


def figure(width: float, height: float) -> Figure:
    """A figure (not registered with pyplot, so nothing leaks between calls) that renders Chinese."""
    use_chinese_font()
    return Figure(figsize=(width, height), dpi=100, layout="constrained")
