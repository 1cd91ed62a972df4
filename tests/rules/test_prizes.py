"""Prize money (综合奖励、进步奖励): schema.consequences.Prizes, rules.consequences.prize_money, the ``prize`` array of
the money stage, the budget, the comparison and the explanation."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

import simkit
from simkit.analysis.compare import compare
from simkit.cli import main
from simkit.errors import ScenarioError
from simkit.present.text import explain
from simkit.rules.consequences import prize_money
from simkit.schema.consequences import Consequences, Prizes
from simkit.schema.levers import Remove

from ..conftest import SCENARIOS

PRIZES = {"by_grade": {"优秀": 100_000}, "progress": 50_000}


def with_prizes(reform, **prizes):
    return reform.override({"consequences": {"prizes": prizes or PRIZES}})


# ------------------------------------------------------------------------------------------- the rule
def test_prize_per_grade_and_per_progress_award():
    p = Prizes(by_grade={"A": 100_000, "B": 20_000}, progress=50_000)
    grade = np.array([[0, 1, 2, 0, -1]])
    award = np.array([[True, False, True, False, True]])
    vetoed = np.array([[False, False, False, True, False]])
    out = prize_money(p, grade, ("A", "B", "C"), progress_award=award, vetoed=vetoed)
    # A + progress; B; C (no grade prize) + progress; A vetoed → nothing; no grade, progress → 50,000
    assert out.tolist() == [[150_000.0, 20_000.0, 50_000.0, 0.0, 50_000.0]]
    kept = prize_money(p.model_copy(update={"vetoed": "as_graded"}), grade, ("A", "B", "C"), progress_award=award,
                       vetoed=vetoed)
    assert kept[0, 3] == 100_000.0


def test_no_progress_award_array_pays_only_the_grade_prize():
    out = prize_money(Prizes(by_grade={"A": 10.0}, progress=5.0), np.array([0, 1]), ("A", "B"),
                      progress_award=None, vetoed=np.zeros(2, bool))
    assert out.tolist() == [10.0, 0.0]


def test_a_grade_the_scenario_does_not_have_is_named():
    with pytest.raises(ScenarioError, match=r"'特优'.*use the grades A, B"):
        prize_money(Prizes(by_grade={"特优": 1.0}), np.array([0]), ("A", "B"), progress_award=None,
                    vetoed=np.zeros(1, bool))


# ------------------------------------------------------------------------------------------- the engine
def test_prizes_are_listed_per_unit_and_added_to_the_budget(reform, data):
    r = simkit.evaluate(with_prizes(reform), data, 2018)
    u = r.units
    assert "prize" in u and r["prize"].shape == r["score"].shape
    top = (u["grade"] == "优秀") & ~u["vetoed"]
    award = u["progress_award"] & ~u["vetoed"]
    expected = 100_000 * top.astype(int) + 50_000 * award.astype(int)
    assert u["prize"].tolist() == expected.astype(float).tolist()
    b = r.budget()
    assert {"paid", "budget", "difference", "scale", "pool", "prizes", "total_with_prizes"} <= set(b)
    assert b["prizes"] == 100_000 * int(top.sum()) + 50_000 * int(award.sum())
    assert b["total_with_prizes"] == b["paid"] + b["prizes"]
    assert b["paid"] == simkit.evaluate(reform, data, 2018).budget()["paid"]  # the bonus pool is unchanged


def test_without_prizes_the_budget_keeps_its_keys(reform, data):
    b = simkit.evaluate(reform, data, 2018).budget()
    assert set(b) == {"paid", "budget", "difference", "scale", "pool"}


def test_prizes_without_a_bonus(reform, data):
    sc = Remove(path="consequences.bonus").apply(with_prizes(reform, by_grade={"优秀": 1000}))
    b = simkit.evaluate(sc, data, 2018).budget()
    assert b["paid"] is None and b["prizes"] == b["total_with_prizes"] == 1000 * 10


def test_a_vetoed_unit_gets_no_prize_unless_as_graded(reform, data):
    # D20 is vetoed in 2018 (adjustments table) and graded 较差
    none = simkit.evaluate(with_prizes(reform, by_grade={"较差": 1000}), data, 2018).units.set_index("unit")
    assert none.loc["D20", "vetoed"] and none.loc["D20", "grade"] == "较差"
    assert none.loc["D20", "prize"] == 0.0
    kept = simkit.evaluate(with_prizes(reform, by_grade={"较差": 1000}, vetoed="as_graded"), data,
                           2018).units.set_index("unit")
    assert kept.loc["D20", "prize"] == 1000.0


def test_compare_shows_the_prize_change(reform, data):
    c = compare(reform, with_prizes(reform), data, 2018)
    u = c.units.set_index("unit")
    assert {"prize_base", "prize_reform", "prize_change"} <= set(u.columns)
    assert (u["prize_base"] == 0).all()
    assert u.loc["DTH", "prize_change"] == 150_000.0  # 大通湖区: 优秀 and a progress award


def test_explain_says_which_prize(reform, data):
    r = simkit.evaluate(with_prizes(reform), data, 2018)
    e = explain(r, "DTH")
    assert "获综合奖励10万元" in e.zh and "获进步奖励5万元" in e.zh
    assert "Overall award: 100,000 yuan" in e.en
    assert "综合奖励" not in explain(r, "ZY").zh  # 资阳区: 较差, no progress award


def test_the_ranked_table_lists_the_prize(reform, data):
    from simkit.present.tables import ranked_table

    t = ranked_table(simkit.evaluate(with_prizes(reform), data, 2018))
    assert "奖励金额(元)" in t.columns


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("prizes", "words"), [
    ({"by_grade": {"优秀": -5}}, "negative amounts: 优秀"),
    ({"progress": -1}, "greater than or equal to 0"),
    ({"by_grade": {"优秀": "lots"}}, "number"),
    ({"bonus": 1}, "Extra inputs"),
])
def test_bad_prize_fields_are_refused(prizes, words):
    with pytest.raises(ValidationError, match=words):
        Prizes.model_validate(prizes)


def test_a_progress_prize_needs_the_progress_award():
    with pytest.raises(ValidationError, match=r"no progress award — fix: add consequences\.progress"):
        Consequences.model_validate({"prizes": {"progress": 50_000}})


@pytest.mark.parametrize(("block", "words"), [
    ("prizes: {by_grade: {特优: 100000}}", "use the grades 优秀, 良好, 一般, 较差"),
    ("prizes: {by_grade: {优秀: -1}}", "negative amounts"),
])
def test_bad_prizes_in_a_scenario_file_exit_2(tmp_path, block, words):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {SCENARIOS / 'yiyang_2018_reform.yaml'}\nname: bad\nconsequences:\n  {block}\n",
                    encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
