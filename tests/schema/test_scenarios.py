"""Scenario files: loading, `extends`, validation, the reference page and every shipped scenario."""

from __future__ import annotations

import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.scenarios import load_scenario
from simkit.schema.reference import reference_markdown
from simkit.schema.scenario import deep_merge

from ..conftest import ROOT, SCENARIOS

SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_evaluates(name, data):
    sc = load_scenario(SCENARIOS / name)
    result = simkit.evaluate(sc, data if sc.data is None else None)  # a scenario may name its bundled data
    assert result.units["rank"].notna().all()
    assert result.units["grade"].notna().all()


def test_at_least_two_variants_each_differ_in_one_choice():
    base = load_scenario(SCENARIOS / "yiyang_2018_reform.yaml").to_dict()
    variants = [n for n in SHIPPED if n.startswith("reform_")]
    differing = {}
    for name in variants:
        doc = load_scenario(SCENARIOS / name).to_dict()
        differing[name] = {k for k in {*base, *doc} if base.get(k) != doc.get(k)} - {"name", "name_en",
                                                                                       "description"}
    # the teaching variants change one choice each; the variants of issue 13 (the whole year, the parks) several
    assert sum(len(d) == 1 for d in differing.values()) >= 2, differing
    assert all(differing.values()), differing


def test_extends_overrides_only_what_differs():
    v = load_scenario(SCENARIOS / "reform_growth_only.yaml")
    base = load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")
    assert v.indicators["Q"].measures == {"growth": 1.0}
    assert v.indicators["Q"].target == base.indicators["Q"].target
    assert v.grading == base.grading and v.consequences == base.consequences


def test_extends_may_name_a_shipped_scenario(tmp_path):
    """An office's own variant elsewhere on disk: ``extends: yiyang_2018_reform`` finds the shipped file."""
    (tmp_path / "mine.yaml").write_text("name: 我的方案\nextends: yiyang_2018_reform\ntotal: 100\n",
                                        encoding="utf-8")
    mine = load_scenario(tmp_path / "mine.yaml")
    base = load_scenario("yiyang_2018_reform")
    assert mine.name == "我的方案" and mine.grading == base.grading and mine.weights == base.weights
    (tmp_path / "typo.yaml").write_text("name: x\nextends: yiyang_2018_reformm\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "typo.yaml")
    text = str(info.value)
    assert "extends" in text and "yiyang_2018_reform" in text and "Fix:" in text


def test_scenarios_are_frozen():
    s = load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        s.total = 50


def test_override_revalidates():
    s = load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")
    assert s.override({"weights": {"values": {"Q": 40, "B": 30}}}).weights.values["B"] == 30
    with pytest.raises(Exception):  # noqa: B017
        s.override({"grading": {"rounding": "sideways"}})


def test_deep_merge_replaces_rules_and_measures_whole():
    merged = deep_merge({"t": {"rule": "baseline", "years": 3}}, {"t": {"rule": "uniform", "value": 1}})
    assert merged == {"t": {"rule": "uniform", "value": 1}}


def test_fingerprint_is_stable_and_sensitive():
    a = load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")
    b = load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")
    assert a.fingerprint() == b.fingerprint()
    assert a.override({"total": 100.0}).fingerprint() == a.fingerprint()
    assert a.override({"grading": {"rounding": "ceil"}}).fingerprint() != a.fingerprint()


def test_reference_page_is_current():
    committed = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), "run `python scripts/make_scenario_docs.py`"


def test_rule_lookup_deeper_node_wins(reform):
    assert reform.rule_for(("Q", "gdp")).measures == {"increment": 0.5, "growth": 0.5}
    assert reform.rule_for(("Q", "energy_intensity")).measures == {"level": 1.0}
    assert reform.rule_for(("B", "poverty_exits")).target.rule == "assigned"
