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
