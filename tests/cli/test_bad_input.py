"""Bad input must end with a clear message and exit code 2, never a traceback (the issue's requirement).

Every case below is a malformed scenario or data set.  It is run through the ``simkit`` command in a
subprocess, and the message must name the offending file, the row or field, and say ``Fix:``.  For a
subset, the library call must raise the right exception class with a ``.problems`` list.

The bundled data are copied once per session; each case makes its variant next to that copy, and the
command-line runs happen concurrently in one session fixture so the whole file stays fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from simkit.engine.evaluate import evaluate
from simkit.errors import DataError, EvaluationError, ScenarioError, SimkitError
from simkit.io.dataset import BUNDLED
from simkit.io.read import load_data
from simkit.io.scenarios import load_scenario

REPO = Path(__file__).resolve().parents[2]
REFORM = REPO / "scenarios" / "yiyang_2018_reform.yaml"


# ================================================================================================ helpers
@dataclass
class Expect:
    """What the command must say: ``file`` (a path or file name) and every token of ``where``."""

    args: list[str]
    file: str
    where: list[str]
    exc: type[SimkitError] | None = None  # the class the library raises, when checked through the API
    api: Callable[[], object] | None = None  # the library call that must raise ``exc``
    also: list[str] = field(default_factory=list)  # further text the message must contain


class Env:
    """A case's own folder, with helpers to write bad scenarios and bad variants of the bundled data."""

    def __init__(self, root: Path, base: Path) -> None:
        self.root = root
        self.base = base
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(REFORM, root / "reform.yaml")

    def scenario(self, text: str, name: str = "bad.yaml", *, extends: str | None = "reform.yaml") -> Path:
        """A scenario file; by default it extends the reform scenario and states only the bad part."""
        path = self.root / name
        head = f"extends: {extends}\n" if extends else ""
        path.write_text(head + text, encoding="utf-8")
        return path

    def data(self, edit: Callable[[dict[str, list[str]]], None] | None = None, name: str = "data") -> Path:
        """A copy of the bundled data; ``edit`` changes the lines of its CSV files in place."""
        dest = self.root / name
        shutil.copytree(self.base, dest)
        if edit is not None:
            files = {f.stem: f.read_text("utf-8").splitlines() for f in dest.glob("*.csv")}
            before = {k: list(v) for k, v in files.items()}
            edit(files)
            for stem, lines in files.items():
                if lines != before[stem]:
                    (dest / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return dest


def find(lines: list[str], prefix: str) -> int:
    """Index of the first line starting with ``prefix`` (its spreadsheet row is the index + 1)."""
    for k, line in enumerate(lines):
        if line.startswith(prefix):
            return k
    raise AssertionError(f"no line starts with {prefix!r}")


def set_field(lines: list[str], prefix: str, column: int, value: str) -> int:
    """Set one comma-separated field of the first line starting with ``prefix``; return its row number."""
    k = find(lines, prefix)
    cells = lines[k].split(",")
    cells[column] = value
    lines[k] = ",".join(cells)
    return k + 1


def run_api(scenario: Path | None, data: Path | None, year: int | None = None) -> Callable[[], object]:
    def call() -> object:
        sc = load_scenario(scenario or REFORM)
        return evaluate(sc, load_data(data), year)

    return call


# ================================================================================================== cases
CASES: dict[str, Callable[[Env], Expect]] = {}
API_ONLY: set[str] = set()  # regressions beyond the list: checked through the library only


def case(fn: Callable[[Env], Expect]) -> Callable[[Env], Expect]:
    CASES[fn.__name__] = fn
    return fn


def api_case(fn: Callable[[Env], Expect]) -> Callable[[Env], Expect]:
    API_ONLY.add(fn.__name__)
    return case(fn)


# ---------------------------------------------------------------------------------- scenario against data
@case
def unknown_indicator_in_weights(env: Env) -> Expect:
    sc = env.scenario("weights:\n  values: {gpd: 6}\n")
    return Expect(["validate", str(sc)], sc.name, ["weights.values.gpd"], ScenarioError, run_api(sc, None))


@case
def override_for_missing_indicator(env: Env) -> Expect:
    sc = env.scenario("indicators:\n  no_such_indicator:\n    measures: {growth: 1}\n")
    return Expect(["run", str(sc), "--out", str(env.root / "out")], sc.name, ["indicators.no_such_indicator"],
                  ScenarioError, run_api(sc, None))


@case
def weights_do_not_sum_to_total(env: Env) -> Expect:
    sc = env.scenario("weights:\n  values: {Q: 40}\n")
    return Expect(["validate", str(sc)], sc.name, ["weights.values"], ScenarioError, run_api(sc, None),
                  also=["100"])


@case
def unknown_veto_indicator(env: Env) -> Expect:
    sc = env.scenario("adjustments:\n  veto:\n    conditions:\n      - {indicator: deaths, at_least: 10}\n")
    return Expect(["validate", str(sc)], sc.name, ["adjustments.veto.conditions.0.indicator"], ScenarioError,
                  run_api(sc, None))


# ------------------------------------------------------------------------------------------ scenario only
@case
def yaml_syntax_error(env: Env) -> Expect:
    sc = env.scenario("name: broken\nweights:\n  values: {Q: 50, B: 20\ngrading: x\n", extends=None)
    return Expect(["validate", str(sc)], sc.name, ["row "], ScenarioError, lambda: load_scenario(sc))


@case
def yaml_is_a_list(env: Env) -> Expect:
    sc = env.scenario("- name: a list\n- weights: {}\n", extends=None)
    return Expect(["validate", str(sc)], sc.name, ["mapping"], ScenarioError, lambda: load_scenario(sc))


@case
def yaml_empty(env: Env) -> Expect:
    sc = env.scenario("# nothing but a comment\n", extends=None)
    return Expect(["validate", str(sc)], sc.name, ["name"], ScenarioError, lambda: load_scenario(sc))


@case
def unknown_scenario_field(env: Env) -> Expect:
    sc = env.scenario("weigths:\n  mode: relative\n")
    return Expect(["validate", str(sc)], sc.name, ["'weigths'"], ScenarioError, lambda: load_scenario(sc),
                  also=["did you mean 'weights'?"])


@case
def unknown_scoring_rule(env: Env) -> Expect:
    sc = env.scenario("defaults:\n  scoring: {rule: complete}\n")
    return Expect(["validate", str(sc)], sc.name, ["defaults.scoring.rule"], ScenarioError,
                  lambda: load_scenario(sc), also=["'complete'", "did you mean 'completion'?"])


@case
def measure_weights_not_one(env: Env) -> Expect:
    sc = env.scenario("indicators:\n  Q:\n    measures: {increment: 0.5, growth: 0.6}\n")
    return Expect(["validate", str(sc)], sc.name, ["indicators.Q.measures"], ScenarioError,
                  lambda: load_scenario(sc), also=["1.1"])


@case
def negative_weight(env: Env) -> Expect:
    sc = env.scenario("weights:\n  values: {Q: -50}\n")
    return Expect(["validate", str(sc)], sc.name, ["weights.values"], ScenarioError, lambda: load_scenario(sc),
                  also=["Q"])


@case
def grade_share_above_one(env: Env) -> Expect:
    sc = env.scenario("grading:\n  grades:\n    - {name: 优秀, share: 1.5}\n    - {name: 良好, share: 0.5}\n"
                      "    - {name: 一般}\n    - {name: 较差, count: 1, from: bottom}\n")
    return Expect(["validate", str(sc)], sc.name, ["grading.grades.0.share"], ScenarioError,
                  lambda: load_scenario(sc), also=["1.5"])


@case
def veto_best_grade_unknown(env: Env) -> Expect:
    sc = env.scenario("adjustments:\n  veto:\n    best_grade: 合格\n")
    return Expect(["validate", str(sc)], sc.name, ["best_grade"], ScenarioError, lambda: load_scenario(sc),
                  also=["合格"])


@case
def extends_missing_file(env: Env) -> Expect:
    sc = env.scenario("name: child\n", extends="no_such_base.yaml")
    return Expect(["validate", str(sc)], sc.name, ["extends"], ScenarioError, lambda: load_scenario(sc),
                  also=["no_such_base.yaml"])


@case
def extends_cycle(env: Env) -> Expect:
    env.scenario("name: a\n", name="a.yaml", extends="b.yaml")
    sc = env.scenario("name: b\n", name="b.yaml", extends="a.yaml")
    return Expect(["validate", str(sc)], sc.name, ["extends"], ScenarioError, lambda: load_scenario(sc))


@case
def scenario_file_missing(env: Env) -> Expect:
    sc = env.root / "no_such_scenario.yaml"
    return Expect(["run", str(sc), "--out", str(env.root / "out")], sc.name, [sc.name], ScenarioError,
                  lambda: load_scenario(sc))


# -------------------------------------------------------------------------------------- data: the tables
def _obs_case(env: Env, edit: Callable[[list[str]], int], where: list[str], also: list[str] = ()) -> Expect:
    rows: list[int] = []
    data = env.data(lambda f: rows.append(edit(f["observations"])))
    return Expect(["validate", str(data)], "observations.csv", [f"row {rows[0]}", *where], DataError,
                  lambda: load_data(data), also=list(also))


@case
def unknown_indicator_in_observations(env: Env) -> Expect:
    def edit(lines: list[str]) -> int:
        lines.append("HS,fiscal_revenue,2018,100")
        return len(lines)

    return _obs_case(env, edit, ["'indicator'"], ["'fiscal_revenue'", "did you mean 'fiscal_rev'?"])


@case
def text_in_numeric_column(env: Env) -> Expect:
    return _obs_case(env, lambda lines: set_field(lines, "HS,gdp,2018,", 3, "12亿"), ["'value'"], ["12亿"])


@case
def non_integer_year(env: Env) -> Expect:
    return _obs_case(env, lambda lines: set_field(lines, "HS,gdp,2018,", 2, "2018.5"), ["'year'"])


@case
def duplicate_observation(env: Env) -> Expect:
    def edit(lines: list[str]) -> int:
        lines.append(lines[find(lines, "HS,gdp,2018,")])
        return len(lines)

    return _obs_case(env, edit, [], ["duplicate"])


@case
def observation_for_inner_node(env: Env) -> Expect:
    def edit(lines: list[str]) -> int:
        lines.append("HS,Q,2018,80")
        return len(lines)

    return _obs_case(env, edit, ["'indicator'"], ["'Q'"])


@case
def units_missing_group(env: Env) -> Expect:
    rows: list[int] = []
    data = env.data(lambda f: rows.append(set_field(f["units"], "ZY,", 3, "")))
    return Expect(["validate", str(data)], "units.csv", [f"row {rows[0]}", "'group'"], DataError,
                  lambda: load_data(data))


@case
def duplicate_unit_id(env: Env) -> Expect:
    def edit(f: dict[str, list[str]]) -> None:
        f["units"].append("HS,赫山区二,Heshan 2,区县市,区县市,1,1,1,1")

    data = env.data(edit)
    return Expect(["validate", str(data)], "units.csv", ["row 58", "HS"], DataError, lambda: load_data(data),
                  also=["duplicate"])


@case
def units_missing_required_column(env: Env) -> Expect:
    def edit(f: dict[str, list[str]]) -> None:
        f["units"] = [",".join(c for k, c in enumerate(line.split(",")) if k != 1) for line in f["units"]]

    data = env.data(edit)
    return Expect(["validate", str(data)], "units.csv", ["row 1", "'name'"], DataError, lambda: load_data(data))


@case
def unknown_parent(env: Env) -> Expect:
    rows: list[int] = []
    data = env.data(lambda f: rows.append(set_field(f["indicators"], "tax_rev,", 3, "QQ")))
    return Expect(["validate", str(data)], "indicators.csv", [f"row {rows[0]}", "'parent'"], DataError,
                  lambda: load_data(data), also=["QQ"])


@case
def tree_cycle(env: Env) -> Expect:
    def edit(f: dict[str, list[str]]) -> None:
        set_field(f["indicators"], "Q,", 3, "gdp")

    data = env.data(edit)
    return Expect(["validate", str(data)], "indicators.csv", ["'parent'", "row "], DataError,
                  lambda: load_data(data), also=["circle"])


@case
def direction_up(env: Env) -> Expect:
    rows: list[int] = []
    data = env.data(lambda f: rows.append(set_field(f["indicators"], "gdp,", 4, "up")))
    return Expect(["validate", str(data)], "indicators.csv", [f"row {rows[0]}", "'direction'"], DataError,
                  lambda: load_data(data), also=["'up'"])


@case
def adjustment_kind_reward(env: Env) -> Expect:
    rows: list[int] = []
    data = env.data(lambda f: rows.append(set_field(f["adjustments"], "AH,2018,", 2, "reward")))
    return Expect(["validate", str(data)], "adjustments.csv", [f"row {rows[0]}", "'kind'"], DataError,
                  lambda: load_data(data), also=["reward"])


@case
def negative_bonus(env: Env) -> Expect:
    rows: list[int] = []
    data = env.data(lambda f: rows.append(set_field(f["adjustments"], "AH,2018,", 3, "-3")))
    return Expect(["validate", str(data)], "adjustments.csv", [f"row {rows[0]}", "'value'"], DataError,
                  lambda: load_data(data))


@case
def csv_not_utf8(env: Env) -> Expect:
    """GBK is read (and recorded); a file that mixes UTF-8 and GBK lines is refused, naming the line."""
    data = env.data()
    lines = (data / "units.csv").read_text("utf-8").splitlines(keepends=True)
    mixed = "".join(lines[:5]).encode("utf-8") + "".join(lines[5:]).encode("gbk")
    (data / "units.csv").write_bytes(mixed)
    return Expect(["validate", str(data)], "units.csv", ["row 6"], DataError, lambda: load_data(data),
                  also=["mixes two encodings", "UTF-8"])


@case
def folder_without_observations(env: Env) -> Expect:
    data = env.data()
    (data / "observations.csv").unlink()
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], "observations.csv",
                  ["observations"], DataError, lambda: load_data(data))


@case
def data_path_missing(env: Env) -> Expect:
    data = env.root / "no_such_folder"
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], "no_such_folder",
                  ["no_such_folder"], DataError, lambda: load_data(data))


@case
def data_is_a_text_file(env: Env) -> Expect:
    data = env.root / "data.txt"
    data.write_text("unit,name\nHS,赫山区\n", encoding="utf-8")
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], "data.txt",
                  ["data.txt"], DataError, lambda: load_data(data), also=[".xlsx"])


@case
def xlsx_missing_sheet(env: Env) -> Expect:
    from openpyxl import load_workbook

    from simkit.io.template import write_template

    book = write_template(env.root / "book.xlsx")
    wb = load_workbook(book)
    del wb["observations"]
    wb.save(book)
    return Expect(["validate", str(book)], "book.xlsx", ["observations"], DataError, lambda: load_data(book))


# ----------------------------------------------------------------------------------- data against a rule
@case
def year_before_the_rules_history(env: Env) -> Expect:
    data = env.data()
    return Expect(["run", str(REFORM), "--data", str(data), "--year", "2013", "--out", str(env.root / "out")],
                  str(data), ["'gdp'", "'HS'"], EvaluationError, run_api(REFORM, data, 2013),
                  also=["can evaluate 2015–2018"])


@case
def growth_from_zero_base(env: Env) -> Expect:
    data = env.data(lambda f: set_field(f["observations"], "HS,gdp,2017,", 3, "0"))
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], str(data),
                  ["'gdp'", "'HS'"], EvaluationError, run_api(REFORM, data), also=["nonpositive_base"])


@case
def growth_from_negative_base(env: Env) -> Expect:
    data = env.data(lambda f: set_field(f["observations"], "ZY,fiscal_rev,2017,", 3, "-2.5"))
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], str(data),
                  ["'fiscal_rev'", "'ZY'"], EvaluationError, run_api(REFORM, data), also=["negative"])


@case
def unit_without_observations_in_year(env: Env) -> Expect:
    def edit(f: dict[str, list[str]]) -> None:
        f["observations"] = [line for line in f["observations"] if not line.startswith("D05,")]

    data = env.data(edit)
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], str(data),
                  ["'D05'"], EvaluationError, run_api(REFORM, data))


@case
def year_not_in_data(env: Env) -> Expect:
    return Expect(["run", str(REFORM), "--year", "1990", "--out", str(env.root / "out")], "yiyang", ["1990"],
                  EvaluationError, run_api(REFORM, None, 1990), also=["--year"])


@case
def assigned_target_missing(env: Env) -> Expect:
    def edit(f: dict[str, list[str]]) -> None:
        del f["targets"][find(f["targets"], "HS,poverty_exits,2018,")]

    data = env.data(edit)
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], str(data),
                  ["'poverty_exits'", "'HS'", "targets"], EvaluationError, run_api(REFORM, data))


# ------------------------------------------------------------------ more slips a new user makes (regressions)
@api_case
def yaml_duplicate_key(env: Env) -> Expect:
    sc = env.scenario("weights:\n  values: {Q: 50, B: 20, P: 15, S: 15}\nweights:\n  mode: relative\n")
    return Expect(["validate", str(sc)], sc.name, ["row 4"], ScenarioError, lambda: load_scenario(sc),
                  also=["'weights' is written twice", "line 2"])


@api_case
def yaml_tab_indent(env: Env) -> Expect:
    sc = env.scenario("weights:\n\tmode: points\n")
    return Expect(["validate", str(sc)], sc.name, ["row 3"], ScenarioError, lambda: load_scenario(sc),
                  also=["tabs"])


@api_case
def rule_parameter_typo(env: Env) -> Expect:
    sc = env.scenario("defaults:\n  scoring: {rule: completion, cap: 1.2, flor: 0}\n")
    return Expect(["validate", str(sc)], sc.name, ["defaults.scoring.completion.flor"], ScenarioError,
                  lambda: load_scenario(sc), also=["did you mean 'floor'?", "cap"])


@api_case
def measure_name_typo(env: Env) -> Expect:
    sc = env.scenario("indicators:\n  Q:\n    measures: {growht: 1}\n")
    return Expect(["validate", str(sc)], sc.name, ["indicators.Q.measures.growht"], ScenarioError,
                  lambda: load_scenario(sc), also=["did you mean 'growth'?"])


@api_case
def row_numbers_after_blank_lines(env: Env) -> Expect:
    def edit(lines: list[str]) -> int:
        row = set_field(lines, "HS,gdp,2018,", 3, "abc")
        lines[3:3] = ["", ""]  # two blank lines above the bad row: it moves down two lines
        return row + 2

    return _obs_case(env, edit, ["'value'"], ["'abc'"])


@api_case
def infinite_value(env: Env) -> Expect:
    return _obs_case(env, lambda lines: set_field(lines, "HS,gdp,2018,", 3, "inf"), ["'value'"], ["finite"])


@api_case
def csv_semicolons(env: Env) -> Expect:
    data = env.data(lambda f: f.update(units=[line.replace(",", ";") for line in f["units"]]))
    return Expect(["validate", str(data)], "units.csv", ["row 1"], DataError, lambda: load_data(data),
                  also=["semicolons"])


@api_case
def csv_empty_file(env: Env) -> Expect:
    data = env.data()
    (data / "targets.csv").write_text("", encoding="utf-8")
    return Expect(["validate", str(data)], "targets.csv", ["row 1"], DataError, lambda: load_data(data),
                  also=["empty", "optional"])


@api_case
def old_xls_workbook(env: Env) -> Expect:
    data = env.root / "data.xls"
    data.write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")
    return Expect(["run", str(REFORM), "--data", str(data), "--out", str(env.root / "out")], "data.xls",
                  ["data.xls"], DataError, lambda: load_data(data), also=["save it as an Excel workbook (.xlsx)"])


@api_case
def unquoted_thousands_separator(env: Env) -> Expect:
    def edit(lines: list[str]) -> int:
        return set_field(lines, "HS,", 3, "1,234")  # the first data row: pandas would take a cell as the index

    return _obs_case(env, edit, [], ["more cells than the header", "double quotes"])


@api_case
def scenario_is_a_folder(env: Env) -> Expect:
    return Expect(["run", str(env.base)], env.base.name, [env.base.name], ScenarioError,
                  lambda: load_scenario(env.base), also=["--data"])


# ----------------------------------------------------------------------------------------------- commands
@case
def template_not_xlsx(env: Env) -> Expect:
    out = env.root / "out.txt"
    return Expect(["template", str(out)], "out.txt", ["out.txt"], also=[".xlsx"])


# ============================================================================================== fixtures
def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIMKIT_DEBUG"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "simkit.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=REPO, timeout=120)


@pytest.fixture(scope="session")
def base_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled data, copied once (cases copy this copy; the bundled folder is never touched)."""
    dest = tmp_path_factory.mktemp("bundled") / "yiyang"
    shutil.copytree(BUNDLED, dest)
    return dest


@pytest.fixture(scope="session")
def cases(tmp_path_factory: pytest.TempPathFactory, base_data: Path) -> dict[str, Expect]:
    root = tmp_path_factory.mktemp("cases")
    return {name: build(Env(root / name, base_data)) for name, build in CASES.items()}


@pytest.fixture(scope="session")
def cli_runs(cases: dict[str, Expect]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case through the command line, a few at a time."""
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 1)) as pool:
        futures = {name: pool.submit(_run, cases[name].args) for name in CLI_CASES}
        return {name: f.result() for name, f in futures.items()}


# ================================================================================================= tests
CLI_CASES = [name for name in CASES if name not in API_ONLY]
# Also checked through the library: a subset of the command-line cases, and every API-only case.
API_CASES = ["unknown_indicator_in_weights", "weights_do_not_sum_to_total", "yaml_syntax_error",
             "unknown_scoring_rule", "veto_best_grade_unknown", "extends_cycle", "unknown_indicator_in_observations",
             "text_in_numeric_column", "duplicate_unit_id", "tree_cycle", "csv_not_utf8", "xlsx_missing_sheet",
             "data_path_missing", "growth_from_zero_base",
             "unit_without_observations_in_year", "year_not_in_data", "assigned_target_missing",
             *sorted(API_ONLY)]


def test_case_lists() -> None:
    assert len(CLI_CASES) >= 30
    assert set(API_CASES) <= set(CASES) and len(set(API_CASES)) == len(API_CASES)


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_reports_bad_input(name: str, cases: dict[str, Expect],
                               cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    exp, proc = cases[name], cli_runs[name]
    err = proc.stderr
    shown = f"exit {proc.returncode}\n--- stderr:\n{err}\n--- stdout:\n{proc.stdout[-2000:]}"
    assert "Traceback" not in err, shown
    assert proc.returncode == 2, shown
    assert "internal error" not in err, shown
    assert exp.file in err, f"the message does not name the file {exp.file!r}\n{shown}"
    for token in exp.where:
        assert token in err, f"the message does not name {token!r}\n{shown}"
    for token in exp.also:
        assert token in err, f"the message does not say {token!r}\n{shown}"
    assert "Fix:" in err, shown


@pytest.mark.parametrize("name", API_CASES)
def test_api_raises_with_problems(name: str, cases: dict[str, Expect]) -> None:
    exp = cases[name]
    assert exp.api is not None and exp.exc is not None
    with pytest.raises(SimkitError) as info:
        exp.api()
    assert type(info.value) is exp.exc, f"{type(info.value).__name__} raised, {exp.exc.__name__} expected"
    problems = info.value.problems
    assert isinstance(problems, list) and problems
    for p in problems:
        assert p.file and p.fix, p
    text = str(info.value)
    for token in [exp.file, *exp.where, *exp.also, "Fix:"]:
        assert token in text, f"{token!r} missing from:\n{text}"


# =========================================================================== accepted input (not errors at all)
def test_blank_and_comma_only_lines_are_skipped(base_data: Path, tmp_path: Path) -> None:
    env = Env(tmp_path, base_data)
    data = env.data(lambda f: f["observations"].extend(["", ",,,", " , , , "]))
    assert len(load_data(data).observations) == len(load_data(base_data).observations)


def test_a_gap_in_the_history_is_a_missing_value_reported_not_an_error(base_data: Path, tmp_path: Path) -> None:
    """HS's 2015 GDP is not reported: its 2018 target (the 2015–2017 average) cannot be set, so the cell is
    missing and the scenario's policy applies (no points), with a warning naming the unit and indicator."""
    env = Env(tmp_path, base_data)

    def edit(f: dict[str, list[str]]) -> None:
        del f["observations"][find(f["observations"], "HS,gdp,2015,")]

    data = env.data(edit)
    res = _run(["run", str(REFORM), "--data", str(data), "--year", "2018", "--out", str(env.root / "out")])
    assert res.returncode == 0 and "赫山区 (HS) 2018: 地区生产总值 gdp — 不得分" in res.stderr
    r = evaluate(load_scenario(REFORM), load_data(data), 2018)
    cell = r.indicators.set_index(["unit", "indicator"]).loc[("HS", "gdp")]
    assert cell["share"] == 0 and cell["filled_by"] == "zero"


def test_chinese_csv_headers_are_read(base_data: Path, tmp_path: Path) -> None:
    env = Env(tmp_path, base_data)

    def edit(f: dict[str, list[str]]) -> None:
        f["units"][0] = ("单位编码,单位名称,英文名称,考核组别,组别英文名称,考核序列,population,area_km2,headcount,"
                         "bonus_per_head")
        f["observations"][0] = "单位编码 unit,指标编码 indicator,年度,数值"

    data = load_data(env.data(edit))
    assert list(data.units.columns[:6]) == ["unit", "name", "name_en", "group", "group_en", "track"]
    assert len(data.observations) == len(load_data(base_data).observations)


def _coinr_pair(tmp_path: Path, b_of_bb: str) -> tuple[Path, Path]:
    idata, imeta = tmp_path / "iData.csv", tmp_path / "iMeta.csv"
    idata.write_text(f"uName,uCode,Time,A,B\nAlpha,AA,2020,1,2\nBeta,BB,2020,3,{b_of_bb}\n", encoding="utf-8")
    imeta.write_text("Level,iCode,iName,Direction,Weight,Parent,Type\n1,A,Ind A,1,1,Index,Indicator\n"
                     "1,B,Ind B,1,,Index,Indicator\n2,Index,Index,1,1,,Aggregate\n", encoding="utf-8")
    return idata, imeta


def test_coinr_bad_cell_names_its_row_and_column(tmp_path: Path) -> None:
    from simkit.io.coinr import read_coinr

    with pytest.raises(DataError) as info:
        read_coinr(*_coinr_pair(tmp_path, "x"))
    (p,) = info.value.problems
    assert (Path(p.file).name, p.row, p.field) == ("iData.csv", 3, "B") and p.fix


def test_coinr_empty_weight_is_the_default(tmp_path: Path) -> None:
    from simkit.io.coinr import read_coinr

    data, scenario = read_coinr(*_coinr_pair(tmp_path, "4"))
    assert len(data.observations) == 4 and "B" not in scenario.weights.values
