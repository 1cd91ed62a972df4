"""simkit.widgets.Explorer as plain Python: set the controls, check the table, the messages and the saved file."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import simkit
from simkit.present.widgets import CHARTS, Explorer


def _order(scenario: simkit.Scenario, data, group: str = "区县市") -> list[str]:
    u = simkit.evaluate(scenario, data).units
    return list(u[u["group"] == group]["name"])


def _table_names(ex: Explorer) -> list[str]:
    """Unit names in the order the HTML table shows them."""
    return re.findall(r"<td class='name'[^>]*>([^<]*)</td>", ex.table.value)


@pytest.fixture()
def ex(data) -> Explorer:
    return Explorer(data=data, charts=False)


def test_starts_with_the_shipped_scenario(ex, data, reform) -> None:
    assert ex.error is None and ex.notes == []
    assert _table_names(ex) == _order(reform, data)
    assert list(ex.table_frame()["单位"]) == _order(reform, data)
    assert set(ex.weight_sliders) == {"Q", "B", "P", "S"}
    assert ex.weight_sliders["Q"].value == 50 and ex.uplift.value == pytest.approx(0.05)
    assert ex.blend.value == pytest.approx(0.5)
    assert {g: s.value for g, s in ex.quota_sliders.items()} == {"优秀": 0.25, "良好": 0.5}
    assert {g: s.value for g, s in ex.float_sliders.items()} == {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2}
    assert "合成数据" in ex.title.value


def test_weight_slider_reorders_the_table(ex, data, reform) -> None:
    before = _table_names(ex)
    ex.weight_sliders["Q"].value = 30
    scaled = {k: v * 100 / 80 for k, v in {"Q": 30, "B": 20, "P": 15, "S": 15}.items()}
    expected = _order(reform.override({"weights": {"children": "scale", "values": scaled}}), data)
    assert expected != before
    assert _table_names(ex) == expected
    assert "已按比例折算为100分" in ex.status.value and "weights add up to 80" in ex.status.value
    assert "↑1" in ex.table.value and "↓1" in ex.table.value  # rank change against the shipped scenario
    assert ex.scenario.weights.values["Q"] == pytest.approx(37.5)


def test_invalid_weights_show_the_library_message_and_keep_it(ex, data, reform) -> None:
    ex.autoscale.value = False
    assert ex.error is None  # nothing moved yet: still valid
    last_valid = _table_names(ex)
    ex.weight_sliders["Q"].value = 60
    assert ex.error is not None
    assert "first-level weights sum to 110" in ex.status.value and "设置无效" in ex.status.value
    assert "上一次有效设置" in ex.table.value and _table_names(ex) == last_valid
    ex.group_picker.value = "党群类"  # other controls do not make the message vanish
    assert "first-level weights sum to 110" in ex.status.value
    ex.group_picker.value = "区县市"
    ex.weight_sliders["B"].value = 10  # 60 + 10 + 15 + 15 = 100: valid again
    assert ex.error is None and "设置无效" not in ex.status.value
    values = {"Q": 60.0, "B": 10.0, "P": 15.0, "S": 15.0}
    assert _table_names(ex) == _order(reform.override({"weights": {"children": "scale", "values": values}}), data)


def test_all_zero_weights_are_an_error_not_a_crash(ex) -> None:
    for s in ex.weight_sliders.values():
        s.value = 0
    assert ex.error is not None and "every first-level weight is 0" in ex.status.value


def test_group_picker_shows_that_group(ex, data, reform) -> None:
    ex.group_picker.value = "经济发展类"
    assert _table_names(ex) == _order(reform, data, "经济发展类")
    assert [v for _, v in ex.unit_picker.options] == list(data.units[data.units["group"] == "经济发展类"]["unit"])


def test_other_sliders_build_the_same_scenario_as_an_explicit_override(ex, data, reform) -> None:
    ex.uplift.value = 0.10
    ex.blend.value = 0.8
    ex.quota_sliders["优秀"].value = 0.5
    ex.float_sliders["优秀"].value = 0.3
    doc = reform.to_dict()
    grades = [dict(g) for g in doc["grading"]["grades"]]
    grades[0]["share"] = 0.5

    def target(t: dict) -> dict:
        return {**t, "uplift": 0.10}

    by_hand = reform.override({
        "defaults": {"target": target(doc["defaults"]["target"])},
        "indicators": {"Q": {"target": target(doc["indicators"]["Q"]["target"]),
                             "measures": {"increment": 0.2, "growth": 0.8}},
                       "energy_intensity": {"target": target(doc["indicators"]["energy_intensity"]["target"])}},
        "grading": {"grades": grades},
        "consequences": {"bonus": {"factors": {"优秀": 0.3, "良好": 0.1, "一般": 0.0, "较差": -0.2}}},
    })
    assert ex.error is None
    assert ex.scenario.fingerprint() == by_hand.fingerprint()
    expected = simkit.evaluate(by_hand, data).units
    pd.testing.assert_frame_equal(ex.result.units, expected)
    table = ex.table_frame()
    assert (table["等次"] == "优秀").sum() == 4  # half of 8 units
    moved = "；".join(ex.describe_changes())
    assert "目标上浮 uplift: 5% → 10%" in moved and "优秀浮动 float: +20% → +30%" in moved


def test_scenario_picker_rebuilds_the_controls(ex, data, legacy) -> None:
    ex.weight_sliders["Q"].value = 40
    ex.scenario_picker.value = "legacy_totals"
    assert set(ex.weight_sliders) == {"Q", "B", "P", "S", "M"}  # the subjective component is back
    assert ex.weight_sliders["Q"].value == 50 and ex.weight_sliders["M"].value == 15
    assert ex.blend.disabled and ex.uplift.disabled  # levels against the leader: no blend, no uplift
    assert _table_names(ex) == _order(legacy, data)
    assert ex.notes == [] and ex.error is None
    ex.scenario_picker.value = "reform_bands"
    assert ex.quota_sliders == {} and "no grade quotas" in ex.quotas_box.children[0].value


def test_save_writes_a_scenario_that_reads_back(ex, data, tmp_path) -> None:
    ex.weight_sliders["Q"].value = 40
    ex.float_sliders["较差"].value = -0.3
    path = ex.save(tmp_path / "adjusted.yaml", name="测试方案")
    back = simkit.load_scenario(path)
    assert back.name == "测试方案"
    assert "权重 weight Q: 50 → 40" in back.description
    assert back.consequences.bonus.factors["较差"] == pytest.approx(-0.3)
    pd.testing.assert_frame_equal(simkit.evaluate(back, data).units, ex.result.units)
    assert "已保存" in ex.save_status.value and "read back and checked" in ex.save_status.value
    # the button does the same with the file name typed in the view (relative to save_dir)
    ex.save_dir = tmp_path
    ex.save_path.value = "from_button"
    ex.save_button.click()
    assert simkit.load_scenario(tmp_path / "from_button.yaml").weights.values["Q"] == pytest.approx(40 * 100 / 90)


def test_save_refuses_an_invalid_setting(ex, tmp_path) -> None:
    ex.autoscale.value = False
    ex.weight_sliders["Q"].value = 70
    with pytest.raises(simkit.SimkitError):
        ex.save(tmp_path / "bad.yaml")
    assert not (tmp_path / "bad.yaml").exists()
    assert "未保存" in ex.save_status.value
    ex.save_button.click()  # from the view: the message shows, nothing is raised into the void
    assert "未保存" in ex.save_status.value


def test_reset_restores_the_scenario(ex, data, reform) -> None:
    ex.weight_sliders["Q"].value = 30
    ex.quota_sliders["良好"].value = 0.25
    ex.reset_button.click()
    assert ex.weight_sliders["Q"].value == 50 and ex.quota_sliders["良好"].value == 0.5
    assert ex.scenario is ex.base and _table_names(ex) == _order(reform, data)


def test_only_the_visible_chart_is_drawn(data) -> None:
    ex = Explorer(data=data)

    def png(key: str) -> bytes:
        return bytes(ex.chart_images[key].value)

    assert png("ranking").startswith(b"\x89PNG")
    assert all(png(k) == b"" for k in CHARTS if k != "ranking")
    first = png("ranking")
    ex.weight_sliders["Q"].value = 30
    assert png("ranking") != first
    ex.chart_tabs.selected_index = list(CHARTS).index("bump")
    assert png("bump").startswith(b"\x89PNG")
    assert png("waterfall") == b""
    ex.chart_tabs.selected_index = list(CHARTS).index("waterfall")
    drawn = png("waterfall")
    assert drawn.startswith(b"\x89PNG")
    ex.unit_picker.value = "NX"
    assert png("waterfall") not in (b"", drawn)


def test_a_failing_chart_shows_its_error(data, monkeypatch) -> None:
    from simkit import plots

    ex = Explorer(data=data)

    def broken(*args, **kwargs):
        raise RuntimeError("chart exploded")

    monkeypatch.setattr(plots, "ranking_figure", broken)
    ex.weight_sliders["Q"].value = 45
    assert "内部错误" in ex.status.value and "chart exploded" in ex.status.value


def test_view_is_composed_and_displays_deterministically(ex) -> None:
    view = ex.compose()
    assert view is ex.compose()
    bundle = ex._repr_mimebundle_()
    assert bundle["text/plain"].startswith("VBox(children=(HTML(value=")
    assert ex.weight_sliders["Q"] in ex.weights_box.children
    assert ex.font_css.value == ""  # the web font is only sent by `simkit dashboard`
    assert "simkit-cjk" in Explorer(data=ex.data, charts=False, web_font=True).font_css.value


def test_bad_arguments(data) -> None:
    with pytest.raises(ValueError, match="no shipped scenario"):
        Explorer("nonexistent", data=data)
    with pytest.raises(ValueError, match="lang"):
        Explorer(data=data, lang="fr")


def test_english_names(data, reform) -> None:
    ex = Explorer(data=data, charts=False, lang="en")
    u = simkit.evaluate(reform, data).units
    assert _table_names(ex) == list(u[u["group"] == "区县市"]["name_en"])


# ================================================================================== scenarios, data, buttons
def test_scenario_object_or_file(data, reform, tmp_path) -> None:
    adjusted = simkit.levers.set_points(reform, {"Q": 30, "B": 20, "P": 15, "S": 15}, scale=True)
    ex = Explorer(adjusted, data=data, charts=False)
    assert ex.base is adjusted and _table_names(ex) == _order(adjusted, data)
    assert ex.scenario_picker.value.startswith("memory:")
    path = tmp_path / "mine.yaml"
    path.write_text(adjusted.to_yaml(), encoding="utf-8")
    ex = Explorer(path, data=data, charts=False)
    assert ex.scenario_picker.value == str(path.resolve())
    assert ex.scenario_picker.label.endswith("(mine.yaml)")
    assert _table_names(ex) == _order(adjusted, data)
    with pytest.raises(ValueError, match="no such file"):
        Explorer(tmp_path / "missing.yaml", data=data)


def test_added_and_saved_scenarios_are_in_the_picker_at_once(ex, data, legacy, tmp_path) -> None:
    path = tmp_path / "office.yaml"
    path.write_text(legacy.to_yaml(), encoding="utf-8")
    key = ex.add_scenario(path)
    assert key in [v for _, v in ex.scenario_picker.options]
    assert ex.scenario_picker.value == "yiyang_2018_reform"  # added, not picked
    ex.weight_sliders["Q"].value = 40
    saved = ex.save(tmp_path / "saved.yaml", name="保存的方案")
    assert str(saved.resolve()) in [v for _, v in ex.scenario_picker.options]
    assert ex.weight_sliders["Q"].value == 40  # saving does not reset the controls
    ex.scenario_picker.value = str(saved.resolve())
    assert ex.base.name == "保存的方案" and ex.describe_changes() == []
    assert _table_names(ex) == _order(simkit.load_scenario(saved), data)
    ex.scenario_picker.value = key
    assert _table_names(ex) == _order(legacy, data)


def test_a_scenario_that_does_not_evaluate_keeps_the_last(ex, data, reform) -> None:
    broken = simkit.levers.SetValue(paths=("ranking.tie_break",), value=["no_such_indicator"]).apply(reform)
    key = ex.add_scenario(broken)
    before = _table_names(ex)
    ex.scenario_picker.value = key
    assert "无法评估" in ex.status.value and _table_names(ex) == before
    assert ex.scenario_picker.value == "yiyang_2018_reform"  # the picker shows what the controls belong to


def test_set_data_and_the_synthetic_banner(ex, data, reform) -> None:
    import dataclasses

    assert "<div class='simkit-banner'>合成数据" in ex.title.value
    real = dataclasses.replace(data, synthetic=False, source="office.xlsx")
    ex.set_data(real)
    assert ex.data is real and "合成数据" not in ex.title.value
    assert _table_names(ex) == _order(reform, real)


def test_buttons_carry_text_not_icons(ex) -> None:
    for button in (ex.reset_button, ex.save_button):
        assert button.icon == "" and button.description and button.layout.width == "auto"


def test_callbacks_build_scenarios_through_levers_only(data, monkeypatch, tmp_path) -> None:
    """Scenario.override (the dict shape) is never called: every edit is a lever of simkit.schema.levers."""
    ex = Explorer(data=data, charts=False)

    def forbidden(*args, **kwargs):
        raise AssertionError("the explorer wrote the scenario's dict shape itself")

    monkeypatch.setattr(simkit.Scenario, "override", forbidden)
    ex.weight_sliders["Q"].value = 35
    ex.uplift.value = 0.08
    ex.blend.value = 0.7
    ex.quota_sliders["优秀"].value = 0.3
    ex.float_sliders["良好"].value = 0.15
    assert ex.error is None
    ex.save(tmp_path / "levers.yaml")
    assert all(isinstance(lv, simkit.levers.Lever) for lv in ex.changes()[0])


# ================================================================================== the dashboard, as Python
@pytest.fixture()
def board(data):
    from simkit.present.widgets import Dashboard

    return Dashboard(data, charts=False)


def _csv_files() -> list[tuple[str, bytes]]:
    from simkit.io.dataset import BUNDLED

    return [(p.name, p.read_bytes()) for p in sorted(BUNDLED.glob("*.csv"))]


def test_dashboard_opens_a_workbook_csv_files_and_a_zip(board, reform, tmp_path) -> None:
    import io
    import zipfile

    from simkit.io.dataset import BUNDLED
    from tests.present.test_dashboard import filled_template

    book = filled_template(tmp_path / "本单位.xlsx", {"赫山区": "赫山区（上传）"})
    data = board.open_data([(book.name, book.read_bytes())])
    assert board.explorer.data is data and not data.synthetic
    assert "赫山区（上传）" in _table_names(board.explorer)
    assert "本单位.xlsx" in board.data_info.value and "合成数据" not in board.explorer.title.value
    data = board.open_data(_csv_files())
    assert len(data.units) == 56 and not data.synthetic  # no README: nothing says these are synthetic
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in BUNDLED.iterdir():
            z.write(p, f"yiyang/{p.name}")
        z.writestr("../outside.csv", "x")
    data = board.open_data([("yiyang.zip", buf.getvalue())])
    assert data.synthetic and "合成数据" in board.explorer.title.value  # its README says so
    assert not (tmp_path.parent / "outside.csv").exists()


def test_dashboard_shows_a_bad_file_and_keeps_the_data(board) -> None:
    before = board.explorer.data
    import datetime as dt

    board.data_upload.value = ({"name": "units.csv", "type": "text/csv", "size": 12, "content": memoryview(
        b"unit,name\nA,x\n"), "last_modified": dt.datetime.now(dt.UTC)},)
    status = board.upload_status.value
    assert "数据文件有" in status and "the required table `indicators` is missing" in status
    assert "修改方法 fix" in status and "simkit-dashboard-" not in status  # the temporary folder is not shown
    assert "Traceback" not in status and board.explorer.data is before
    assert board.data_upload.value == ()  # ready for the fixed file
    with pytest.raises(simkit.SimkitError):
        board.open_data([("a.xlsx", b"x"), ("b.csv", b"y")])


def test_dashboard_scenario_files_appear_in_every_picker(board, legacy) -> None:
    text = legacy.override({"name": "本单位方案"}).to_yaml().encode("utf-8")
    keys = board.open_scenarios([("本单位方案.yaml", text)])
    ex = board.explorer
    assert ex.scenario_picker.value == keys[0] and ex.base.name == "本单位方案"
    assert keys[0] in [v for _, v in board.base_picker.options]
    assert keys[0] in [v for _, v in board.reform_picker.options]
    board.open_scenarios([("bad.yaml", b"name: x\nweights: 3\n")])
    assert "方案文件有问题" in board.upload_status.value and "bad.yaml" in board.upload_status.value


def test_dashboard_compares_and_offers_the_downloads(board, data, legacy, tmp_path) -> None:
    import base64
    import io
    import re

    import docx
    import openpyxl

    board.explorer.weight_sliders["Q"].value = 30
    cmp = board.compare_now()
    assert cmp.base.scenario.fingerprint() == legacy.fingerprint()
    assert cmp.reform.scenario is board.explorer.scenario  # the explorer's current setting
    assert "上升3位及以上" in board.bands.value and "全部单位奖金合计" in board.compare_budget.value
    saved = board.explorer.save(tmp_path / "for_compare.yaml")
    assert str(saved.resolve()) in [v for _, v in board.reform_picker.options]  # saved: offered at once
    book = board.make_workbook()
    assert book[:2] == b"PK" and "方案对比.xlsx" in board.downloads.value
    href = re.search(r"href='data:[^;]+;base64,([^']+)'", board.downloads.value).group(1)
    assert base64.b64decode(href) == book
    wb = openpyxl.load_workbook(io.BytesIO(book))
    assert wb["对比 Comparison"].page_setup.orientation == "landscape"
    note = board.make_brief()
    assert "起草说明.docx" in board.downloads.value and "方案对比.xlsx" in board.downloads.value  # both offered
    headings = [p.text for p in docx.Document(io.BytesIO(note)).paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "一、目的"
