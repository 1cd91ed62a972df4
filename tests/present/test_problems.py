"""Every problem and note in Chinese first, English too (``simkit.present.problems``).

The problems are collected by running the cases other tests already hold: every malformed data set of
``tests/io/test_malformed.py``, every bad input of ``tests/cli/test_bad_input.py``, the notes of
``tests/io/test_interpreted.py``, and the scenario and evaluation cases below (the validation cases of
``tests/schema/test_validation.py`` among them).  Every kind of message and fix they produce must have a Chinese
translation, keep the values it quotes, and be printed by the command line Chinese line first.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from simkit.cli import main
from simkit.engine.evaluate import evaluate
from simkit.errors import Problem, SimkitError
from simkit.io.dataset import BUNDLED
from simkit.io.read import load_data
from simkit.io.scenarios import load_scenario, scenario_from_dict
from simkit.present.problems import (
    NO_CHINESE,
    fix_zh,
    format_problem,
    format_problems,
    message_zh,
    problem_kind,
    problem_summary_zh,
    problem_zh,
)
from tests.cli import test_bad_input as bad_input
from tests.io import test_interpreted as interpreted
from tests.io import test_malformed as malformed

REFORM = Path(__file__).resolve().parents[2] / "scenarios" / "yiyang_2018_reform.yaml"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# a value as repr() writes it: in single quotes, or in double quotes when it holds an apostrophe ("'183.14")
_QUOTED = re.compile(r"(?<![\w'\"])('[^']*'|\"[^\"]*'[^\"]*\")(?![\w])")

# ============================================================================== scenarios and evaluations
_BASE = {"name": "x", "weights": {"mode": "relative"}}
_BONUS = {"amount": 1, "base_attribute": None}


def _grades(*grades: dict) -> dict:
    return {"grading": {"grades": list(grades)}}


#: Scenario settings that are refused (validated as ``tests/schema/test_validation.py`` does).
SCENARIO_DOCS: dict[str, dict] = {
    # the cases of tests/schema/test_validation.py
    "nan_total": {"total": float("nan")},
    "inf_weight": {"weights": {"mode": "relative", "values": {"a": float("inf")}}},
    "minus_inf_cap": {"defaults": {"scoring": {"rule": "completion", "cap": float("-inf")}}},
    "nan_bonus_cap": {"adjustments": {"bonus_cap": float("nan")}},
    "nan_factor": {"consequences": {"bonus": {"factors": {"优秀": float("nan")}, **_BONUS}}},
    "bands_out_of_order": _grades({"name": "优", "min_score": 60}, {"name": "良", "min_score": 80}, {"name": "差"}),
    "shares_over_one": _grades({"name": "优", "share": 0.7}, {"name": "良", "share": 0.5}, {"name": "差"}),
    "negative_pool": {"consequences": {"bonus": {**_BONUS, "pool": -5}}},
    "tiers_over_one": {"consequences": {"bonus": {"by": "tier", **_BONUS, "tiers": [
        {"name": "前", "share": 0.6, "factor": 0.1}, {"name": "中", "share": 0.6, "factor": 0.0}]}}},
    # more of the schema's own checks
    "tier_without_tiers": {"consequences": {"bonus": {"by": "tier", **_BONUS}}},
    "bonus_without_base": {"consequences": {"bonus": {"base_attribute": None}}},
    "factor_below_minus_one": {"consequences": {"bonus": {**_BONUS, "factors": {"差": -2}}}},
    "negative_prize": {"consequences": {"prizes": {"by_grade": {"优秀": -5}}}},
    "prize_without_progress": {"consequences": {"prizes": {"progress": 5}}},
    "share_and_count": _grades({"name": "优", "share": 0.2, "count": 1}, {"name": "差"}),
    "bottom_without_quota": _grades({"name": "优"}, {"name": "差", "from": "bottom"}),
    "grade_twice": _grades({"name": "优"}, {"name": "优"}),
    "no_grades": {"grading": {"grades": []}},
    "no_measure": {"defaults": {"measures": {}}},
    "negative_measure": {"defaults": {"measures": {"level": -1, "growth": 2}}},
    "cap_below_floor": {"defaults": {"scoring": {"rule": "completion", "cap": 0.5, "floor": 0.8}}},
    "falling_range": {"defaults": {"scoring": {"rule": "minmax", "range": [100, 0]}}},
    "min_years_over_years": {"defaults": {"target": {"rule": "baseline", "years": 2, "min_years": 3}}},
    "decomposed_without_city": {"defaults": {"target": {"rule": "decomposed"}}},
    "weighted_too_few": {"defaults": {"target": {"rule": "combine", "how": "weighted", "weights": [1]}}},
    "weighted_zero": {"defaults": {"target": {"rule": "combine", "how": "weighted", "weights": [0, 0]}}},
    "weights_not_weighted": {"defaults": {"target": {"rule": "combine", "how": "max", "weights": [1, 1]}}},
    "veto_without_bound": {"adjustments": {"veto": {"conditions": [{"indicator": "gdp"}]}}},
    "factor_of_no_grade": {"consequences": {"bonus": {**_BONUS, "factors": {"超优": 0.1}}}},
    # pydantic's words
    "rule_missing": {"defaults": {"scoring": {"cap": 1}}},
    "name_missing": {"name": None},
    "total_text": {"total": "many"},
    "total_negative": {"total": -1},
    "mode_typo": {"weights": {"mode": "point"}},
    "not_a_bool": {"include_subjective": "maybe"},
    "not_a_mapping": {"weights": 5},
    "not_a_list": {"grading": {"grades": 5}},
    "year_fraction": {"year": "2018.5"},
    "name_number": {"name": 5},
    "step_above_one": {"defaults": {"scoring": {"rule": "rank_decay", "step": 2}}},
    "years_above_limit": {"defaults": {"target": {"rule": "baseline", "years": 50}}},
    "target_rule_typo": {"defaults": {"target": {"rule": "base"}}},
    "nested_field_typo": {"adjustments": {"veto": {"best": "x"}}},
}


def _scenario_doc(doc: dict) -> Callable[[Path], object]:
    def run(_: Path) -> object:
        full = {k: v for k, v in {**_BASE, **doc}.items() if v is not None}
        return scenario_from_dict(full)
    return run


def _extends(text: str) -> Callable[[Path], Path]:
    def write(root: Path) -> Path:
        path = root / f"s{abs(hash(text))}.yaml"
        path.write_text(f"extends: {REFORM}\n{text}", encoding="utf-8")
        return path
    return write


def _data(edit: Callable[[list[str]], list[str]], stem: str = "observations") -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        dest = root / f"d{abs(hash((edit, stem)))}"
        shutil.copytree(BUNDLED, dest)
        f = dest / f"{stem}.csv"
        f.write_text("\n".join(edit(f.read_text("utf-8").splitlines())) + "\n", encoding="utf-8")
        return dest
    return make


def _cell(prefix: str, value: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [",".join([*line.split(",")[:3], value]) if line.startswith(prefix) else line
                          for line in lines]


def _zero_bases(lines: list[str]) -> list[str]:
    money = ("gdp", "fiscal_rev", "tax_rev", "retail")
    return [",".join([*line.split(",")[:3], "0"]) if ",2017," in line and line.split(",")[1] in money else line
            for line in lines]


def _evaluate(scenario: Callable[[Path], Path] | None, data: Callable[[Path], Path] | None = None,
              year: int | None = None) -> Callable[[Path], object]:
    def run(root: Path) -> object:
        sc = load_scenario(scenario(root) if scenario else REFORM)
        return evaluate(sc, load_data(data(root) if data else None), year)
    return run


#: The scenario on the data, and rules that cannot be applied to the values (engine messages).
EVALUATIONS: dict[str, Callable[[Path], object]] = {
    "subjective_left_out": _evaluate(_extends("indicators:\n  survey:\n    measures: {level: 1}\n")),
    "target_rule_none": _evaluate(_extends("defaults:\n  target: {rule: none}\nindicators: {}\n")),
    "assigned_blend": _evaluate(_extends("indicators:\n  poverty_exits: {measures: {level: 0.5, growth: 0.5}, "
                                         "target: {rule: assigned}}\n")),
    "zero_target": _evaluate(None, _data(_cell("HS,poverty_exits,2018,", "0"), "targets")),
    "geometric_mean": _evaluate(_extends("aggregation: {method: geometric}\ndefaults:\n  scoring: {rule: minmax}\n")),
    "leader_negative": _evaluate(_extends("indicators:\n  Q:\n    measures: {increment: 1}\n    scoring: {rule: "
                                          "leader}\n"), _data(_cell("ZY,fiscal_rev,2017,", "9999"))),
    "first_year": _evaluate(_extends("defaults:\n  measures: {growth: 1}\n  target: {rule: none}\n  scoring: {rule: "
                                     "minmax}\nindicators: {}\nconsequences: {}\n"), None, 2011),
    "many_zero_bases": _evaluate(_extends("indicators:\n  Q:\n    measures: {growth: 1}\n"), _data(_zero_bases)),
    "scenario_not_utf8": lambda root: load_scenario(_bytes(root / "gbk.yaml", "name: 方案\n".encode("gbk"))),
    "scenario_too_large": lambda root: load_scenario(_bytes(root / "big.yaml", b"#" * 2_100_000)),
    "extends_not_a_name": lambda root: load_scenario(_bytes(root / "e.yaml", b"extends: [a, b]\nname: x\n")),
    "yaml_unclosed_quote": lambda root: load_scenario(_bytes(root / "q.yaml", b"name: 'x\nweights: {}\n")),
    "yaml_mapping_values": lambda root: load_scenario(_bytes(root / "m.yaml", b"name: a: b\n")),
}


def _bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# ================================================================================================ collect
def _raised(run: Callable[[], object]) -> list[Problem]:
    try:
        run()
    except SimkitError as exc:
        return exc.problems
    raise AssertionError("no SimkitError raised")


def _cli_problems(args: list[str]) -> list[Problem]:
    """The problems a command reports (the command line's own checks, run in-process)."""
    import simkit.cli.common as common

    seen: list[Problem] = []
    original = common._problems_text

    def record(exc: SimkitError) -> str:
        seen.extend(exc.problems)
        return original(exc)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(common, "_problems_text", record)
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    return seen


@pytest.fixture(scope="session")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Problem]]:
    """Every problem and note the cases produce, by case ("malformed:…", "bad_input:…", …)."""
    root = tmp_path_factory.mktemp("problems")
    out: dict[str, list[Problem]] = {}
    for name, case in malformed.CASES.items():
        (root / "m" / name).mkdir(parents=True)
        out[f"malformed:{name}"] = _raised(lambda case=case, name=name: load_data(case.make(root / "m" / name)))
    base = root / "bundled" / "yiyang"
    shutil.copytree(BUNDLED, base)
    for name, build in bad_input.CASES.items():
        exp = build(bad_input.Env(root / "b" / name, base))
        out[f"bad_input:{name}"] = _raised(exp.api) if exp.api is not None else _cli_problems(exp.args)
    for name, (make, _) in interpreted.NOTED.items():
        (root / "n" / name).mkdir(parents=True)
        out[f"note:{name}"] = list(load_data(make(root / "n" / name)).notes)
    for name, doc in SCENARIO_DOCS.items():
        out[f"scenario:{name}"] = _raised(lambda doc=doc: _scenario_doc(doc)(root))
    (root / "e").mkdir()
    for name, run in EVALUATIONS.items():
        out[f"evaluation:{name}"] = _raised(lambda run=run: run(root / "e"))
    return out


# ================================================================================================== tests
def test_every_case_is_collected(produced: dict[str, list[Problem]]) -> None:
    assert {f"malformed:{n}" for n in malformed.CASES} <= set(produced)
    assert {f"bad_input:{n}" for n in bad_input.CASES} <= set(produced)
    assert {f"note:{n}" for n in interpreted.NOTED} <= set(produced)
    assert len(malformed.CASES) >= 120 and all(produced.values())


def test_every_kind_has_chinese(produced: dict[str, list[Problem]]) -> None:
    """100% of the kinds of message and fix the cases produce have a Chinese translation."""
    kinds: dict[tuple[str, str], str] = {}
    missing: dict[tuple[str, str], str] = {}
    for case, problems in produced.items():
        for p in problems:
            for what, text, zh in (("message", p.message, message_zh), ("fix", p.fix, fix_zh)):
                key = (what, problem_kind(text))
                kinds.setdefault(key, case)
                if zh(text) is None:
                    missing.setdefault(key, f"{case}: {text}")
    messages = sum(1 for what, _ in kinds if what == "message")
    assert messages >= 150 and len(kinds) - messages >= 130, f"{messages} message kinds, {len(kinds)} kinds"
    assert not missing, f"{len(missing)} of {len(kinds)} kinds have no Chinese:\n" + "\n".join(missing.values())


def test_the_chinese_is_chinese_and_keeps_the_quoted_values(produced: dict[str, list[Problem]]) -> None:
    """Every translation holds Chinese, and every value or id the English quotes appears in it unchanged."""
    bad = []
    for case, problems in produced.items():
        for p in problems:
            for text, zh in ((p.message, message_zh(p.message)), (p.fix, fix_zh(p.fix))):
                if zh is None:
                    continue
                lost = [q for q in _QUOTED.findall(text) if q not in zh]
                if lost or not _CJK.search(zh):
                    bad.append(f"{case}: {text!r} → {zh!r} (lost {lost})")
    assert not bad, "\n".join(bad)


def test_problem_lines_start_with_the_place(produced: dict[str, list[Problem]]) -> None:
    for p in produced["malformed:number_with_unit"]:
        line = problem_zh(p)
        assert line is not None and line.startswith(f"文件 {p.file}，第 {p.row} 行，字段 'value'：")
        assert "。修改方法：" in line and line.endswith("。")


@pytest.mark.parametrize("message, chinese", [
    ("the value '12亿元' is not a number", "数值 '12亿元' 不是数字"),
    ("unknown unit id 'HSX' (rows 6978); did you mean 'HS'?", "未知的单位编码 'HSX'（第 6978 行）；是否应为 'HS'？"),
    ("the required table `units` is missing", "缺少必填表 `units`（考核对象）"),
    ("duplicate unit id (unit=HS) in rows 2, 58", "单位编码重复（unit=HS），见第 2, 58 行"),
    ("the columns are separated by semicolons, not commas", "各列用分号分隔，不是逗号"),
    ("the year '2018-01-01' is a date, not a year", "年度 '2018-01-01' 是日期，不是年份"),
    ("unknown field 'weigths'; did you mean 'weights'?", "未知字段 'weigths'；是否应为 'weights'？"),
    ("Input should be less than or equal to 1 (got 1.5)", "应小于或等于 1（实际为 1.5）"),
    ("score bands out of order: 优 needs 60 and 良, a lower grade, needs 80",
     "分数段顺序颠倒：优 需要 60 分，而较低的等次 良 却需要 80 分"),
    ("YAML syntax error at line 4, column 1: the key 'weights' is written twice (first at line 2)",
     "YAML 语法错误（第 4 行第 1 列）：键 'weights' 写了两次（第一次在第 2 行）"),
    ("this scenario can evaluate 2015–2018 on these data (it needs 4 year(s) before the evaluated one, and 2013 "
     "has 2)", "本方案在这些数据上可评估 2015–2018 年（需要评估年之前 4 年的数据，而 2013 年之前只有 2 年）"),
    ("unit 'HS' (赫山区), indicator 'poverty_exits', 2018: no assigned target",
     "单位 'HS'（赫山区），指标 'poverty_exits'，2018 年：没有下达目标值"),
    ("1 cell of `year` is written in full-width characters (e.g. '２０１１', row 2): they are read as half-width "
     "characters", "`year` 列有 1 个单元格用全角字符书写（例如 '２０１１'，第 2 行）：已按半角字符读取"),
])
def test_translations_checked_by_hand(message: str, chinese: str) -> None:
    assert message_zh(message) == chinese


@pytest.mark.parametrize("fix, chinese", [
    ("keep one row for it and delete the others", "只保留其中一行，删除其他行"),
    ("change the points of 'Q' or of its sub-indicators so they agree, or set `weights.children: scale` to take "
     "sub-indicators' points as relative within their parent",
     "修改 'Q' 或其子指标的分值使两者一致，或设置 `weights.children: scale`，把子指标的分值当作在上级指标内的相对权重"),
    ("write bonus (加分), deduction (扣分) or veto (一票否决)",
     "填写 bonus（加分）、deduction（扣分）或 veto（一票否决）"),
    ("did you mean 'gdp'? correct the id (the data's indicator ids: B, gdp)",
     "是否应为 'gdp'？修改编码（数据中的指标编码：B, gdp）"),
])
def test_fixes_checked_by_hand(fix: str, chinese: str) -> None:
    assert fix_zh(fix) == chinese


def test_yaml_details_are_translated(produced: dict[str, list[Problem]]) -> None:
    for case in ("bad_input:yaml_syntax_error", "bad_input:yaml_tab_indent", "evaluation:yaml_unclosed_quote",
                 "evaluation:yaml_mapping_values"):
        zh = message_zh(produced[case][0].message)
        assert zh and zh.startswith("YAML 语法错误") and not re.search(r"\b(expected|found|while)\b", zh), zh


def test_an_unknown_message_shows_a_marker_and_the_english() -> None:
    p = Problem("x.yaml", "something simkit has never said", "do this", row=3)
    assert problem_zh(p) is None
    assert format_problem(p) == f"文件 x.yaml，第 3 行：{NO_CHINESE}\n  {p}"


def test_an_unknown_fix_stays_in_english_after_the_chinese_message() -> None:
    p = Problem("units.csv", "the file is empty", "ask the statistics bureau")
    assert problem_zh(p) == "文件 units.csv：文件为空。修改方法：ask the statistics bureau。"


def test_format_problems_and_the_summary() -> None:
    ps = [Problem("o.csv", f"the value 'x{k}' is not a number", "fill in `value`", row=k + 2, field="value")
          for k in range(25)]
    text = format_problems(ps[:2])
    lines = text.splitlines()
    assert lines[0] == "发现 2 个问题 / 2 problem(s) found:"
    assert lines[1].startswith("- 文件 o.csv，第 2 行") and lines[2] == f"    {ps[0]}"
    assert problem_summary_zh(ps[:20]) is None
    summary = problem_summary_zh(ps)
    assert summary.splitlines()[0] == "共 25 个问题，分 1 类 / 25 problems of 1 kind(s):"
    assert summary.splitlines()[1].startswith("- 25 × 文件 o.csv") and str(ps[0]) in summary


# ============================================================================================ the command
def _stderr(args: list[str]) -> list[str]:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    return result.stderr.splitlines()


def test_the_command_prints_a_malformed_csv_chinese_first(tmp_path: Path) -> None:
    path = malformed.CASES["number_with_unit"].make(tmp_path)
    lines = _stderr(["validate", str(path)])
    assert lines[0] == "错误 error: 发现 1 个问题 / 1 problem(s) found:"
    assert lines[1].startswith(f"- 文件 {path / 'observations.csv'}，第 {malformed.HS_GDP_2018} 行，字段 'value'：")
    assert "数值 '12亿元' 不是数字" in lines[1] and "修改方法：" in lines[1]
    english = lines[2].strip()
    assert lines[2].startswith("    ") and "'12亿元' is not a number" in english and "Fix:" in english


def test_the_command_prints_a_bad_scenario_chinese_first(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {REFORM}\nweigths:\n  mode: relative\n", encoding="utf-8")
    lines = _stderr(["validate", str(path)])
    head = f"- 文件 {path}，字段 'weigths'：未知字段 'weigths'；是否应为 'weights'？"
    assert lines[1].startswith(head + "修改方法：删除它或改正拼写；此处可用的字段：name, name_en, description")
    assert lines[1].endswith(", extends。")
    assert "unknown field 'weigths'; did you mean 'weights'? Fix:" in lines[2]


def test_the_command_summarises_a_long_list_in_both_languages(tmp_path: Path) -> None:
    lines = _stderr(["run", str(REFORM), "--year", "2013", "--out", str(tmp_path / "out")])
    assert lines[0].startswith("错误 error: 文件 ") and "本方案在这些数据上可评估 2015–2018 年" in lines[0]
    assert "this scenario can evaluate 2015–2018" in lines[1]
    assert any(line.startswith("共 ") and "problems of" in line for line in lines)
    full = next(line for line in lines if line.startswith("完整清单 / the full list: ")).split(": ", 1)[1]
    text = Path(full).read_text("utf-8")
    assert text.startswith("发现 ") and "no assigned target" in text and "没有下达目标值" in text


def test_the_command_prints_notes_chinese_first(tmp_path: Path) -> None:
    make, _ = interpreted.NOTED["full_width_digits"]
    result = CliRunner().invoke(main, ["validate", str(make(tmp_path))])
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "`year` 列有 1 个单元格用全角字符书写" in err and "full-width" in err and "row 2" in err
    assert err.index("全角") < err.index("full-width")
