"""The pieces of HTML the explorer and the dashboard share: their CSS, the ranking table, the budget line, the
library's problems (Chinese with English), a download link, and the web font that shows Chinese offline."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..errors import Problem, SimkitError

__all__ = ["CSS", "budget_html", "download_link", "fmt_error", "frame_html", "problem", "problems_html",
           "ranking_html", "web_font_css"]

CSS = """<style>
table.simkit-ranking {border-collapse: collapse; font-size: 13px; margin: 4px 0;}
table.simkit-ranking th {background: #f0f0f0; padding: 3px 8px; text-align: left; border-bottom: 1px solid #999;}
table.simkit-ranking td {padding: 2px 8px; border-bottom: 1px solid #e5e5e5;}
table.simkit-ranking td.num {text-align: right; font-variant-numeric: tabular-nums;}
.simkit-error {color: #a50f15; background: #fee5d9; border-left: 4px solid #a50f15; padding: 6px 10px;
               white-space: pre-wrap;}
.simkit-note {color: #444; background: #f7f7f7; border-left: 4px solid #999; padding: 4px 10px;}
.simkit-stale {color: #a50f15;}
.simkit-banner {color: #a50f15; background: #fff5f0; border: 1px solid #a50f15; padding: 3px 10px;
                font-weight: bold; display: inline-block;}
.simkit-problems {margin: 4px 0 0 18px; padding: 0;}
a.simkit-download {display: inline-block; margin: 4px 12px 4px 0; padding: 4px 12px; border: 1px solid #2171b5;
                   color: #08519c; background: #eff3ff; text-decoration: none; border-radius: 3px;}
</style>"""
_GRADE_BG = {0: "#d9f0d3", 1: "#edf8e9", 2: "#fff7bc", 3: "#fee0d2"}


def fmt_error(exc: Exception) -> str:
    """The message of a rejected setting, in full (every problem the library found)."""
    if isinstance(exc, ValidationError):
        lines = [f"{exc.error_count()} problem(s) found:"]
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"- field {loc!r}: {err['msg']}")
        return "\n".join(lines)
    return str(exc)


def problems_html(exc: SimkitError, heading: str, rename: dict[str, str] | None = None) -> str:
    """Every problem of a ``SimkitError`` as an HTML list under a heading (Chinese with English): where (file,
    row, field), what and the fix.  ``rename`` replaces paths in the text (a temporary folder by the name of the
    uploaded file)."""

    def clean(text: str) -> str:
        for old, new in (rename or {}).items():
            text = text.replace(old, new)
        return html.escape(text)

    items = []
    for p in exc.problems:
        where = [f"文件 file {clean(p.file)}"] if p.file else []
        if p.row is not None:
            where.append(f"第 {p.row} 行 row")
        if p.field is not None:
            where.append(f"列 field {clean(repr(p.field))}")
        fix = f"<br><b>修改方法 fix</b>：{clean(p.fix)}" if p.fix else ""
        items.append(f"<li>{'，'.join(where)}：{clean(p.message)}{fix}</li>")
    return (f"<div class='simkit-error'><b>{html.escape(heading)}</b>"
            f"<ul class='simkit-problems'>{''.join(items)}</ul></div>")




def _cell(v: Any) -> tuple[str, str]:
    """(class, text) of a table cell: numbers right-aligned with separators."""
    if isinstance(v, float | np.floating):
        return "num", f"{v:,.2f}"
    if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
        return "num", f"{v:,}"
    return "", "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def ranking_html(df: pd.DataFrame, grades: Sequence[str], caption: str, *, name_col: str, grade_col: str,
                 stale: bool = False, scenario: str = "") -> str:
    """The ranking table: names marked (``td.name``), grades coloured from the best to the worst."""
    order = {g: k for k, g in enumerate(grades)}
    n = len(order)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, rec, strict=True):
            cls, text = _cell(v)
            style = ""
            if col == name_col:
                cls = "name"
            elif col == grade_col and v in order:
                k = order[v] if n == 4 else round(order[v] * 3 / max(n - 1, 1))
                style = f" style='background:{_GRADE_BG.get(k, '#fff')}'"
            cells.append(f"<td class='{cls}'{style}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    warn = ("<div class='simkit-stale'>下表为上一次有效设置的结果 the table shows the last valid setting</div>"
            if stale else "")
    return (f"{CSS}{warn}<table class='simkit-ranking' data-scenario='{html.escape(scenario)}'>"
            f"<caption style='text-align:left'>{html.escape(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def frame_html(df: pd.DataFrame, css_class: str = "simkit-ranking") -> str:
    """Any small table for people (headers as they are, numbers right-aligned)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = [_cell(v) for v in rec]
        rows.append("<tr>" + "".join(f"<td class='{c}'>{html.escape(t)}</td>" for c, t in cells) + "</tr>")
    return f"<table class='{css_class}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def budget_html(b: dict[str, Any], label: str = "") -> str:
    """The budget line of one result: paid against the pool (or the sum of bases)."""
    if b["paid"] is None:
        return f"<small>{html.escape(label)}本方案未设绩效奖金 no performance bonus</small>"
    pool = "奖金池 pool" if b["pool"] is not None else "基数合计 sum of bases"
    return (f"<small>{html.escape(label)}全部单位奖金合计 paid, all units: {b['paid'] / 1e4:,.1f} 万元；"
            f"{pool} {b['budget'] / 1e4:,.1f} 万元；差额 difference {b['difference'] / 1e4:+,.1f} 万元</small>")


def download_link(data: bytes, filename: str, label: str, mime: str) -> str:
    """A link that saves ``data`` as ``filename``: the file travels inside the page (a data URI), so it works
    offline and under Voila, with no server route."""
    payload = base64.b64encode(data).decode("ascii")
    return (f"<a class='simkit-download' download='{html.escape(filename)}' "
            f"href='data:{mime};base64,{payload}'>{html.escape(label)}</a>")


def web_font_css() -> str:
    """CSS that gives the browser the bundled Chinese font for CJK characters (the page's own fonts for the rest),
    so a machine without any Chinese system font still shows Chinese, not boxes.  Used by ``simkit dashboard``."""
    from .fonts import FONT_PATH

    data = base64.b64encode(FONT_PATH.read_bytes()).decode("ascii")
    stack = '"simkit-cjk", system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif'
    return ("<style>@font-face {font-family: \"simkit-cjk\"; "
            f"src: url(data:font/otf;base64,{data}) format(\"opentype\"); "
            "unicode-range: U+2E80-2FDF, U+3000-303F, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FE30-FE4F, "
            "U+FF00-FFEF;}\n"
            f":root {{--jp-ui-font-family: {stack}; --jp-content-font-family: {stack};}}\n"
            "body, .jupyter-widgets, .jupyter-widgets *, .lm-TabBar-tab, .lm-TabBar-tabLabel, .p-TabBar-tabLabel, "
            ".jp-RenderedHTMLCommon, .jp-RenderedHTMLCommon *:not(code):not(pre), select, option, button, input "
            f"{{font-family: {stack};}}</style>")


def problem(field: str, message: str, fix: str) -> Problem:
    """A problem found by the explorer (a setting, not a file)."""
    return Problem("探索器 explorer", message, fix, field=field)
