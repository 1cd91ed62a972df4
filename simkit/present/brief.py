"""The drafting note (起草说明) in Word: what a reform changes and what it would have done, in the structure an
office attaches to a submission to the standing committee.

    一、目的  二、主要变化  三、回测  四、赢家与输家  五、预算  六、公平性  七、问责风险  八、数据来源

Chinese first, English in a smaller grey line below; tables and charts (``simkit.present.plots``, PNG at 150
dpi); A4, a header naming the scenarios and a footer with page numbers; synthetic data marked on the first page,
in every header and in section 八.  Every number comes from the library: ``schema.levers.provisions`` (the
changes), ``evaluate_history`` (the back-test), ``analysis.compare`` (winners and losers, the budget),
``present.tables.fairness_table`` (fairness).

>>> import simkit, tempfile, pathlib
>>> path = write_brief("legacy_totals", "yiyang_2018_reform", None, pathlib.Path(tempfile.mkdtemp()) / "note.docx",
...                    n_boot=100)
>>> import docx
>>> [p.text for p in docx.Document(str(path)).paragraphs if p.style.name == "Heading 1"][:2]
['一、目的', '二、主要变化']
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from .._version import __version__
from ..analysis.compare import Comparison, compare
from ..engine.evaluate import evaluate_history
from ..errors import SimkitError
from ..io.dataset import Dataset
from ..io.read import load_data
from ..io.scenarios import load_scenario
from ..io.write import write_bytes
from ..schema.levers import provisions
from ..schema.scenario import Scenario, source_of
from .labels import SYNTHETIC_NOTE, part_label
from .tables import bands_table, fairness_table, format_fairness

__all__ = ["HEADINGS", "brief_bytes", "build_brief", "write_brief"]

#: The sections of the note, (Chinese, English).
HEADINGS: tuple[tuple[str, str], ...] = (
    ("一、目的", "Purpose"), ("二、主要变化", "What the reform changes"), ("三、回测", "Back-test"),
    ("四、赢家与输家", "Winners and losers"), ("五、预算", "Budget"), ("六、公平性", "Fairness"),
    ("七、问责风险", "Risk of wrong accountability"), ("八、数据来源", "Data provenance"),
)

_BODY_FONT, _HEAD_FONT, _LATIN = "宋体", "黑体", "Times New Roman"
_GREY = RGBColor(0x59, 0x59, 0x59)
_RED = RGBColor(0xC0, 0x00, 0x00)
_SHADE = "DDEBF7"
_DPI = 150
_TEXT_WIDTH_CM = 15.6  # A4 less the margins


# ============================================================================================ Word helpers
def _fonts(element: Any, east_asia: str, latin: str = _LATIN) -> None:
    """Latin and East Asian fonts of a style or run; theme fonts removed (they would win over the names)."""
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        rfonts.set(qn(attr), name)


def _styles(doc: Any) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)  # 五号
    _fonts(normal.element, _BODY_FONT)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        style = doc.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        _fonts(style.element, _HEAD_FONT)
        style.paragraph_format.space_before = Pt(12 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(2)


def _page(doc: Any, header: str, mark: str) -> None:
    """A4 portrait, margins for binding, a header naming the scenarios (and the mark), page numbers below."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(25)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    head = section.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(head, header, size=9, colour=_GREY)
    if mark:
        line = section.header.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(line, mark, size=9, colour=_RED, bold=True)
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(foot, "第 ", size=9)
    _field(foot, "PAGE")
    _run(foot, " 页 / 共 ", size=9)
    _field(foot, "NUMPAGES")
    _run(foot, " 页  page ", size=9)
    _field(foot, "PAGE")
    _run(foot, " of ", size=9)
    _field(foot, "NUMPAGES")


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES): Word fills in the number when it lays the pages out."""
    run = paragraph.add_run()
    run.font.size = Pt(9)
    for kind, text in (("begin", None), ("instr", code), ("separate", None), ("text", "1"), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


def _run(paragraph: Any, text: str, *, size: float | None = None, colour: RGBColor | None = None,
         bold: bool = False) -> Any:
    run = paragraph.add_run(text)
    if size is not None:
        run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    run.bold = bold or None
    return run


def _para(doc: Any, zh: str, en: str = "") -> None:
    """A paragraph in Chinese, and its English in a smaller grey line below."""
    p = doc.add_paragraph(zh)
    p.paragraph_format.first_line_indent = Pt(21)
    if en:
        q = doc.add_paragraph()
        q.paragraph_format.space_after = Pt(6)
        _run(q, en, size=8.5, colour=_GREY)


def _heading(doc: Any, k: int) -> None:
    zh, en = HEADINGS[k]
    doc.add_heading(zh, level=1)
    p = doc.add_paragraph()
    _run(p, en, size=9, colour=_GREY)


def _shade(cell: Any, colour: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour)
    props.append(shd)


def _table(doc: Any, frame: pd.DataFrame, headers: Sequence[tuple[str, str]], *,
           widths: Sequence[float] | None = None, numeric: Sequence[bool] | None = None) -> Any:
    """A table: a shaded header row (Chinese over English) repeated on every page, 9 pt text, numbers right."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    flag = OxmlElement("w:tblHeader")  # repeat the header row on every page
    flag.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(flag)
    for cell, (zh, en) in zip(head.cells, headers, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(cell.paragraphs[0], zh, size=9, bold=True)
        if en:
            _run(cell.paragraphs[0], f"\n{en}", size=7, colour=_GREY)
        _shade(cell, _SHADE)
    numeric = numeric or [False] * len(headers)
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value, right in zip(cells, row, numeric, strict=True):
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            p.paragraph_format.line_spacing = 1.0
            if right:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _run(p, "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value), size=9)
    if widths is not None:
        table.autofit = False
        scale = min(1.0, _TEXT_WIDTH_CM / sum(widths))
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width * scale)  # the grid (LibreOffice reads it) and every cell (Word reads those)
            for cell in column.cells:
                cell.width = Cm(width * scale)
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
    return table


def _picture(doc: Any, fig: Any, caption: str, width_cm: float = 15.5) -> None:
    """A matplotlib figure as a PNG (150 dpi), centred, with its caption."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    buf.seek(0)
    doc.add_picture(buf, width=Cm(width_cm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, caption, size=9, colour=_GREY)


# ============================================================================================ numbers in words
def _wan(yuan: float | None) -> str:
    """Yuan as 万元 with one decimal and thousands separators."""
    return "—" if yuan is None or not np.isfinite(yuan) else f"{yuan / 1e4:,.1f}"


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:+.1%}" if signed else f"{x:.1%}"


def _shown_value(value: Any) -> str:
    """A provision's setting as a scenario file writes it, on one line."""
    if value is _MISSING:
        return "（无 none）"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, dict | list):
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return str(value)


_MISSING = object()


def _value_at(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


# ============================================================================================ sections
def _names(data: Dataset, lang: str = "zh") -> dict[str, str]:
    col = "name" if lang == "zh" else "name_en"
    return data.indicators.set_index("indicator")[col].astype(str).to_dict()


def _purpose(doc: Any, base: Scenario, reform: Scenario, data: Dataset, years: Sequence[int]) -> None:
    _heading(doc, 0)
    span = f"{years[0]}–{years[-1]}年" if years else ""
    _para(doc, f"本说明比较拟议的《{reform.name}》与现行的《{base.name}》，用{span}的考核数据回测：如果当年就按新方案"
               "考核，各单位会得到什么等次、多少绩效奖金、是否被约谈或调整，预算是否够用，结果是否公平。"
               "所有数字均由 simkit 按两个方案文件计算得出，可以复核。",
          f"This note compares the proposed scheme “{reform.name_en or reform.name}” with the current “"
          f"{base.name_en or base.name}” on the evaluation data of {span.rstrip('年')}: had the new scheme been "
          "used, which grade and bonus each unit would have had, who would have been interviewed or moved, whether "
          "the budget holds and whether the outcome is fair. Every number is computed by simkit from the two "
          "scenario files and can be checked.")
    for label, sc in (("现行方案 current", base), ("拟议方案 proposed", reform)):
        if sc.description:
            _para(doc, f"{label}：{sc.description}")


def _changes(doc: Any, comparison: Comparison, data: Dataset) -> None:
    _heading(doc, 1)
    base, reform = comparison.base.scenario, comparison.reform.scenario
    todo = provisions(base, reform)
    if not todo:
        _para(doc, "两个方案的规则相同。", "The two scenarios have the same rules.")
        return
    _para(doc, f"新方案在以下 {len(todo)} 项规定上与现行方案不同（按方案各部分的顺序）。“单项影响”为按此顺序逐项"
               f"切换时该项带来的变化（{comparison.base.year}年）：后切换的一项也计入与前面各项的交互作用。",
          f"The reform differs from the current scheme in {len(todo)} provision(s), in the order of the scenario's "
          "sections. The effect of each is the change it makes when the provisions are switched one at a time in "
          "this order (an interaction is credited to the one switched later).")
    names = _names(data)
    doc_b = base.to_dict()
    effects = {}
    for row in comparison.decomposition.itertuples():
        for k, part in enumerate(row.part.split(" + ")):
            effects[part] = (row.rank_moves, row.payout_change_total) if k == 0 else None
    rows = []
    for k, lever in enumerate(todo, start=1):
        before = {_shown_value(_value_at(doc_b, p)) for p in lever.paths}
        effect = effects.get(lever.path, ())
        moved, money = effect if effect else ("与上项合并", "")
        rows.append([k, part_label(lever.path, "zh", names), before.pop() if len(before) == 1 else "（各不相同）",
                     "（删除 removed）" if lever.missing else _shown_value(lever.value), moved,
                     _wan(money) if isinstance(money, float) else money])
    _table(doc, pd.DataFrame(rows), [("序号", "no."), ("规定", "provision"), ("现行", "current"),
                                      ("拟议", "proposed"), ("名次变动单位数", "units moving"),
                                      ("奖金变化(万元)", "bonus change")],
           widths=[1.0, 4.0, 3.4, 3.4, 2.0, 2.0], numeric=[True, False, False, False, True, True])


def _history(scenario: Scenario, data: Dataset, years: Sequence[int] | None) -> dict[int, Any]:
    return evaluate_history(scenario, data, tuple(years) if years else None)


def _backtest(doc: Any, base_hist: dict[int, Any], reform_hist: dict[int, Any], reform: Scenario) -> list[int]:
    _heading(doc, 2)
    years = [y for y in reform_hist if y in base_hist] or list(reform_hist)
    if not years:
        _para(doc, "数据中没有新方案能够评价的年份，无法回测。",
              "No year of the data can be evaluated under the reform.")
        return []
    _para(doc, f"假如{years[0]}–{years[-1]}年已按新方案考核，各年结果如下：先列各年汇总，再列每个单位每年的等次、"
               "绩效奖金和问责。",
          f"Had the reform been used in {years[0]}–{years[-1]}: first the totals of each year, then each unit's "
          "grade, bonus and accountability in each year.")
    grades = [g.name for g in reform.grading.grades]
    summary = []
    for y in years:
        u = reform_hist[y].units
        b = base_hist[y].units.set_index("unit") if y in base_hist else None
        counts = "、".join(f"{g} {int((u['grade'] == g).sum())}" for g in grades)
        acc = u[u["accountability"].astype(str) != ""] if "accountability" in u else u.iloc[:0]
        named = "；".join(f"{step}：{'、'.join(part['name'])}"
                         for step, part in acc.groupby("accountability", sort=False)) or "无 none"
        differ = int((b["grade"].reindex(u["unit"]).to_numpy() != u["grade"].to_numpy()).sum()) if b is not None \
            else ""
        budget = reform_hist[y].budget()
        summary.append([y, counts, _wan(budget["paid"]), _wan(budget["budget"]), differ, named])
    _table(doc, pd.DataFrame(summary), [("年度", "year"), ("各等次单位数", "units by grade"),
                                         ("奖金合计(万元)", "paid"), ("预算(万元)", "budget"),
                                         ("等次与现行不同", "grade differs"), ("问责", "accountability")],
           widths=[1.3, 4.0, 2.0, 2.0, 1.8, 4.9], numeric=[False, False, True, True, True, False])
    last = reform_hist[years[-1]].units
    detail = []
    for unit in last.itertuples():
        cells = [unit.name, unit.group]
        acc = []
        for y in years:
            row = reform_hist[y].units.set_index("unit").loc[unit.unit]
            pay = f" {float(row['payout']) / 1e4:,.0f}" if "payout" in row.index else ""
            cells.append(f"{row['grade'] or '—'}{pay}")
            if "accountability" in row.index and row["accountability"]:
                acc.append(f"{y} {row['accountability']}")
        detail.append([*cells, "；".join(acc)])
    heads = [("单位", "unit"), ("组别", "group"), *((f"{y}", "等次 奖金(万元)") for y in years), ("问责", "")]
    _table(doc, pd.DataFrame(detail), heads, widths=[3.0, 2.0, *([2.0] * len(years)), 2.6])
    return years


def _winners(doc: Any, comparison: Comparison, group: str) -> None:
    from .plots import bump_chart

    _heading(doc, 3)
    year = comparison.base.year
    _para(doc, f"{year}年，与现行方案相比，各单位名次和奖金的变化分档如下；其后列出奖金增加和减少最多的单位。",
          f"In {year}, the changes of rank and bonus against the current scheme, in bands; then the units that gain "
          "and lose the most.")
    bands = bands_table(comparison)
    bands = bands.assign(measure=bands["measure"].map({"rank": "名次", "money": "奖金"}),
                         share=[_pct(s) for s in bands["share"]])
    _table(doc, bands[["measure", "band_zh", "units", "share"]],
           [("口径", "measure"), ("档位", "band"), ("单位数", "units"), ("占比", "share")],
           widths=[2.0, 5.0, 2.0, 2.0], numeric=[False, False, True, True])
    c = comparison.units.dropna(subset=["payout_change"]) if "payout_change" in comparison.units else None
    if c is not None and len(c):
        top = pd.concat([c.nlargest(5, "payout_change"), c.nsmallest(5, "payout_change")]).drop_duplicates("unit")
        rows = [[r.name, r.group, f"{_int(r.rank_base)} → {_int(r.rank_reform)}",
                 f"{r.grade_base or '—'} → {r.grade_reform or '—'}", _wan(r.payout_change),
                 _pct(r.payout_change_pct, signed=True)] for r in top.itertuples()]
        _table(doc, pd.DataFrame(rows), [("单位", "unit"), ("组别", "group"), ("名次", "rank"), ("等次", "grade"),
                                          ("奖金变化(万元)", "bonus change"), ("变化率", "change")],
               widths=[3.2, 2.4, 2.0, 2.4, 2.6, 2.0], numeric=[False, False, False, False, True, True])
    fig = bump_chart(comparison, group=group, labels=[f"现行 {comparison.base.scenario.name}",
                                                       f"拟议 {comparison.reform.scenario.name}"])
    _picture(doc, fig, f"图1 名次变化（{group}，{year}年）Figure 1: rank shifts", width_cm=14.0)


def _int(x: Any) -> str:
    return "—" if x is None or pd.isna(x) else str(int(x))


def _budget(doc: Any, comparison: Comparison) -> None:
    _heading(doc, 4)
    s = comparison.summary
    rows = []
    for label, res in (("现行 current", comparison.base), ("拟议 proposed", comparison.reform)):
        b = res.budget()
        rows.append([label, _wan(b["paid"]), _wan(b["budget"]), _wan(b["difference"]),
                     "—" if b["scale"] is None else f"{b['scale']:.3f}"])
    _para(doc, f"{s['year']}年的绩效奖金：实发合计与预算（奖金池，或未设奖金池时的基数合计）之比。拟议方案比现行方案"
               f"多发 {_wan(s['paid_difference'])} 万元（负数为少发）。",
          f"The bonus in {s['year']}: paid against the budget (the pool, or the sum of bases without a pool). The "
          f"reform pays {_wan(s['paid_difference'])} ten-thousand yuan more than the current scheme (negative: less).")
    _table(doc, pd.DataFrame(rows), [("方案", "scheme"), ("实发(万元)", "paid"), ("预算(万元)", "budget"),
                                      ("差额(万元)", "difference"), ("缩放系数", "pool scale")],
           widths=[3.0, 2.8, 2.8, 2.8, 2.4], numeric=[False, True, True, True, True])
    rows = []
    for label, res in (("现行", comparison.base), ("拟议", comparison.reform)):
        u = res.units
        if "realised_float" not in u:
            continue
        factors = res.scenario.consequences.bonus.factors if res.scenario.consequences.bonus is not None else {}
        for g in res.grade_names:
            part = u.loc[u["grade"] == g, "realised_float"].dropna()
            if part.empty:
                continue
            nominal = factors.get(g)
            rows.append([label, g, _pct(nominal, True) if nominal is not None else "—", _pct(part.mean(), True),
                         f"{_pct(part.min(), True)} ~ {_pct(part.max(), True)}", len(part)])
    if rows:
        _para(doc, "按等次的奖金浮动：方案规定的名义浮动与实际发放后的浮动（奖金池按比例缩放后，实际浮动与名义浮动"
                   "不同）。",
              "The bonus float by grade: as the scheme states it, and as paid (a pool scaled to its budget makes the "
              "realised float differ from the nominal one).")
        _table(doc, pd.DataFrame(rows), [("方案", "scheme"), ("等次", "grade"), ("名义浮动", "nominal"),
                                          ("实际浮动(平均)", "realised, mean"), ("实际浮动范围", "range"),
                                          ("单位数", "units")],
               widths=[1.6, 1.8, 2.2, 2.8, 3.8, 1.6], numeric=[False, False, True, True, True, True])


def _fairness(doc: Any, base: Scenario, reform: Scenario, data: Dataset, years: Sequence[int], size: str,
              n_boot: int) -> None:
    from .plots import fairness_forest

    _heading(doc, 5)
    try:
        table = fairness_table([base, reform], data, size=size, years=tuple(years) or None, n_boot=n_boot, seed=0)
    except (SimkitError, ValueError, KeyError) as exc:
        _para(doc, "本数据无法计算公平性指标。", f"The fairness metrics cannot be computed on these data: {exc}")
        return
    a = table.attrs
    span = f"{a['years'][0]}–{a['years'][-1]}"
    _para(doc, f"按{span}年的数据，以“{size}”衡量单位规模：名次与规模的相关（接近1表示名次主要反映规模）、最大单位"
               f"所得最高等次的占比、奖金差距、名次的年际变动和最小单位长期居末位的情况。方括号内为自助法"
               f"（{a['n_boot']}次重抽样，种子{a['seed']}）的5%–95%区间。",
          f"Over {span}, with unit size measured by “{size}”: the correlation of rank with size (near 1: the rank "
          "mostly mirrors size), the share of top grades held by the largest units, payout inequality, year-to-year "
          "mobility and how often the smallest units stay at the bottom. In brackets: the 5–95% bootstrap interval "
          f"({a['n_boot']} resamples, seed {a['seed']}).")
    shown = format_fairness(table)
    labels = list(a["labels"])
    _table(doc, shown, [("指标", "metric"), ("组别", "group"), *((f"现行 {labels[0]}", ""), (f"拟议 {labels[1]}", ""))],
           widths=[5.2, 2.2, 4.3, 4.3])
    groups = list(dict.fromkeys(table["group"]))
    _picture(doc, fairness_forest(table, group=groups[0]), f"图2 公平性指标（{groups[0]}）Figure 2: fairness metrics",
             width_cm=13.0)


def _risk(doc: Any) -> None:
    _heading(doc, 6)
    # the risk analysis is a separate module of simkit.analysis; the note says plainly when it is not included
    if importlib.util.find_spec("simkit.analysis.risk") is None:
        _para(doc, "误问责风险（数据误差导致单位被错误约谈或调整的可能）的分析不在本说明之内。",
              "The analysis of the risk of wrong accountability is not part of this note.")
    else:
        _para(doc, "误问责风险的分析见 simkit 的风险分析（simkit.analysis.risk），不在本说明之内。",
              "The analysis of the risk of wrong accountability is made by simkit.analysis.risk and is not part of "
              "this note.")


def _provenance(doc: Any, base: Scenario, reform: Scenario, data: Dataset) -> None:
    _heading(doc, 7)
    if data.synthetic:
        p = doc.add_paragraph()
        _run(p, SYNTHETIC_NOTE, size=14, colour=_RED, bold=True)
        _para(doc, "本说明所用数据为脚本生成的合成数据，所有数字均为虚构，只用于说明规则的效果，不得作为决策依据。",
              "The data of this note are synthetic: every number is made up and only shows what the rules do; do "
              "not base a decision on them.")
    rows = [["数据 data", data.source], ["数据指纹 sha256", data.fingerprint()],
            ["年份 years", f"{data.years[0]}–{data.years[-1]}"],
            ["单位数 units", str(len(data.units))], ["指标数 indicators", str(len(data.leaves))],
            ["数据类型 kind", "合成数据（虚构）synthetic" if data.synthetic else "报送数据 reported data"]]
    for label, sc in (("现行方案 current", base), ("拟议方案 proposed", reform)):
        rows.append([label, f"{sc.name}（{source_of(sc) or '未保存为文件 not from a file'}）"])
        rows.append([f"{label.split()[0]}指纹 sha256", sc.fingerprint()])
    rows.append(["软件 software", f"simkit {__version__}，{date.today().isoformat()}"])
    _table(doc, pd.DataFrame(rows), [("项目", "item"), ("内容", "value")], widths=[4.0, 12.0])


# ============================================================================================ the note
def _scenario(s: Scenario | str | Path) -> Scenario:
    return s if isinstance(s, Scenario) else load_scenario(s)


def build_brief(base: Scenario | str | Path, reform: Scenario | str | Path, data: Dataset | None = None, *,
                years: Sequence[int] | None = None, size: str = "gdp", year: int | None = None,
                n_boot: int = 1000) -> Any:
    """The drafting note as a ``docx.Document``: ``base`` the current scheme, ``reform`` the proposed one (Scenario,
    file or shipped name), on ``data`` (default the bundled data); ``years`` of the back-test and the fairness
    metrics (default every year both can evaluate), ``year`` of the comparison (default the base's, else the
    last), ``size`` the size measure of the fairness metrics."""
    base, reform = _scenario(base), _scenario(reform)
    data = load_data() if data is None else data
    comparison = compare(base, reform, data, year)
    mark = SYNTHETIC_NOTE if data.synthetic else ""
    doc = Document()
    _styles(doc)
    _page(doc, f"《{reform.name}》起草说明 · 现行《{base.name}》", mark)
    doc.add_heading(f"关于《{reform.name}》的起草说明", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, f"Drafting note on “{reform.name_en or reform.name}” (current scheme: {base.name_en or base.name})",
         size=9, colour=_GREY)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, f"simkit {__version__} · {date.today().isoformat()}", size=9, colour=_GREY)
    if mark:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(p, mark, size=14, colour=_RED, bold=True)
    base_hist, reform_hist = _history(base, data, years), _history(reform, data, years)
    shown = [y for y in reform_hist if y in base_hist] or list(reform_hist)
    group = str(comparison.units["group"].iat[0])
    _purpose(doc, base, reform, data, shown)
    _changes(doc, comparison, data)
    _backtest(doc, base_hist, reform_hist, reform)
    _winners(doc, comparison, group)
    _budget(doc, comparison)
    _fairness(doc, base, reform, data, shown, size, n_boot)
    _risk(doc)
    _provenance(doc, base, reform, data)
    return doc


def brief_bytes(base: Scenario | str | Path, reform: Scenario | str | Path, data: Dataset | None = None,
                **options: Any) -> bytes:
    """The drafting note as the bytes of a .docx file (``options`` as ``build_brief``), e.g. for a download."""
    buf = io.BytesIO()
    build_brief(base, reform, data, **options).save(buf)
    return buf.getvalue()


def write_brief(base: Scenario | str | Path, reform: Scenario | str | Path, data: Dataset | None,
                path: str | Path, *, years: Sequence[int] | None = None, size: str = "gdp", year: int | None = None,
                n_boot: int = 1000) -> Path:
    """Write the drafting note (起草说明) to ``path`` (.docx, written atomically); see ``build_brief``."""
    return write_bytes(Path(path), brief_bytes(base, reform, data, years=years, size=size, year=year,
                                               n_boot=n_boot))
