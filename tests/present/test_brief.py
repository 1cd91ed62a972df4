"""The drafting note (起草说明) in Word: opened with python-docx, its headings, tables, pictures, header and footer,
and the synthetic mark on synthetic data only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import docx
import pytest
from docx.shared import Mm

import simkit
from simkit.present.brief import HEADINGS, write_brief
from simkit.present.labels import SYNTHETIC_NOTE, part_label
from simkit.schema.levers import provisions


@pytest.fixture(scope="module")
def note(data, legacy, reform, tmp_path_factory) -> docx.document.Document:
    path = write_brief(legacy, reform, data, tmp_path_factory.mktemp("brief") / "note.docx", n_boot=100)
    return docx.Document(str(path))


def _text(document) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_headings_in_order(note) -> None:
    headings = [p.text for p in note.paragraphs if p.style.name == "Heading 1"]
    assert headings == [zh for zh, _ in HEADINGS]
    assert headings[:3] == ["一、目的", "二、主要变化", "三、回测"]
    title = [p.text for p in note.paragraphs if p.style.name == "Title"]
    assert title == ["关于《益阳2018改革方案》的起草说明"]


def test_tables_and_pictures(note) -> None:
    assert len(note.tables) >= 6
    assert len(note.inline_shapes) >= 2  # the bump chart and the fairness chart, PNG
    blob = note.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert note.part.related_parts[blob].content_type == "image/png"
    for table in note.tables:  # the header row repeats on every page
        assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")


def test_changes_are_named_provision_by_provision(note, data, legacy, reform) -> None:
    names = data.indicators.set_index("indicator")["name"].to_dict()
    changes = note.tables[0]
    listed = [row.cells[1].text for row in changes.rows[1:]]
    assert listed == [part_label(p.path, "zh", names) for p in provisions(legacy, reform)]
    assert "主观评价" in listed[0]


def test_back_test_winners_budget_fairness_risk_provenance(note, data, reform) -> None:
    text = _text(note)
    history = simkit.evaluate_history(reform, data)
    years = list(history)
    assert f"{years[0]}–{years[-1]}" in text
    units = history[years[-1]].units
    interviewed = units.loc[units["accountability"] != "", "name"].tolist()
    assert interviewed and all(name in text for name in interviewed)
    assert "上升3位及以上" in text  # the winners and losers in bands, in Chinese
    assert "缩放系数" in text and "实际浮动" in text  # the budget and the realised floats
    assert "名次与规模相关" in text and "[" in text  # fairness with its bootstrap intervals
    assert "不在本说明之内" in text  # 七: no risk module yet, said in one sentence
    assert data.fingerprint() in text and reform.fingerprint() in text


def test_page_setup_header_and_footer(note) -> None:
    section = note.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert "益阳2018改革方案" in header and "旧规则（总量比较）" in header
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer  # page x of y, filled in by Word


def test_synthetic_mark_only_on_synthetic_data(note, data, legacy, reform, tmp_path) -> None:
    assert data.synthetic
    marked = [p for p in note.paragraphs if p.text == SYNTHETIC_NOTE]
    assert len(marked) >= 2  # under the title and in 八、数据来源
    assert any(r.bold and r.font.size.pt >= 14 for p in marked for r in p.runs)
    assert SYNTHETIC_NOTE in "\n".join(p.text for p in note.sections[0].header.paragraphs)
    real = dataclasses.replace(data, synthetic=False)
    other = docx.Document(str(write_brief(legacy, reform, real, tmp_path / "real.docx", n_boot=50)))
    assert "合成数据" not in _text(other)
    assert "合成数据" not in "\n".join(p.text for p in other.sections[0].header.paragraphs)


def test_cli_brief(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from simkit.cli import main

    runner = CliRunner()
    out = tmp_path / "起草说明.docx"
    args = ["brief", "legacy_totals", "yiyang_2018_reform", "--years", "2016-2018", "--out", str(out)]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert out.is_file() and "written" in res.output
    headings = [p.text for p in docx.Document(str(out)).paragraphs if p.style.name == "Heading 1"]
    assert headings[-1] == "八、数据来源"
    again = runner.invoke(main, args)
    assert again.exit_code == 2 and "already exists" in again.output  # the office's file is not overwritten
    wrong = runner.invoke(main, ["brief", "legacy_totals", "yiyang_2018_reform", "--out", str(tmp_path / "a.doc")])
    assert wrong.exit_code == 2 and ".docx" in wrong.output
