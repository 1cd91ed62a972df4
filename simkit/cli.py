"""The ``simkit`` command: a thin view over the library.

Bad input ends with a message naming the file, the row or field and the fix, and exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from .errors import Problem, SimkitError

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(click.style("错误 error: ", fg="red", bold=True) + message, err=True)


def _problems_text(exc: SimkitError) -> str:
    """Every problem, or for a long list a summary by kind with the full list written to a file."""
    from .present.text import problem_summary

    head = [p for p in exc.problems[:1] if p.message.startswith("this scenario can evaluate")]
    summary = problem_summary(exc.problems[len(head):])
    if summary is None:
        return str(exc)
    fd, name = tempfile.mkstemp(prefix="simkit-problems-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(str(exc) + "\n")
    return "\n".join([*(str(p) for p in head), summary, f"The full list / 完整清单: {name}"])


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn simkit's errors into a clear message and exit code 2; never show a traceback for bad input."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SimkitError as exc:
            _fail(_problems_text(exc))
            sys.exit(EXIT_BAD_INPUT)
        except click.ClickException:
            raise  # click prints usage errors itself, with exit code 2
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115
            os._exit(0)
        except KeyboardInterrupt:
            _fail("interrupted")
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("SIMKIT_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}). This is a bug in simkit; run again with "
                  "SIMKIT_DEBUG=1 to see the traceback and report it.")
            sys.exit(1)

    return wrapper


def check_out(out: Path, *inputs: Path | str | None) -> None:
    """Refuse --out before any work: not an input folder, not holding inputs, only a previous output set."""
    from .io.outputs import check_out as check

    check(out, inputs)


def output_set(out: Path, manifest: dict[str, Any], *inputs: Path | str | None) -> Any:
    """The output set of a command: written whole into ``out``; the manifest gains the inputs' hashes."""
    from .io.outputs import OutputSet, input_hashes

    return OutputSet(out, {**manifest, "input_files": input_hashes(inputs)})


def _check_new_file(path: Path, *, replace: bool = False) -> None:
    """A file the command writes: its folder must exist and it must not be a folder (nor, unless ``replace``,
    an existing file: it could be the user's own)."""
    if path.is_dir():
        raise SimkitError(Problem(str(path), "this is a folder, not a file name",
                                  f"give a file name inside it, e.g. {path / 'data.xlsx'}"))
    if not path.parent.exists():
        raise SimkitError(Problem(str(path), f"the folder {path.parent} does not exist",
                                  "create it first, or give a path in an existing folder"))
    if path.exists() and not replace:
        raise SimkitError(Problem(str(path), "the file already exists; it is not overwritten",
                                  "give a new file name, or move the old file away"))


def _data_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--data", "data_path", type=click.Path(path_type=Path), default=None,
                        help="Data: a folder of CSV files or an .xlsx workbook. Default: the bundled "
                        "illustrative (synthetic) Yiyang data.")(fn)


def _lang_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                        help="Language of printed tables.")(fn)


def print_table(df: Any, title: str) -> None:
    import pandas as pd

    click.echo(click.style(title, bold=True))
    with pd.option_context("display.max_rows", 500, "display.width", 200, "display.unicode.east_asian_width", True):
        click.echo(df.to_string(index=False))
    click.echo("")


def synthetic_banner(data: Any) -> None:
    if data.synthetic:
        from .present.labels import SYNTHETIC_NOTE

        click.echo(click.style(f"[{SYNTHETIC_NOTE}] {data.source}", fg="yellow"))


def warn_missing(result: Any) -> None:
    """Name every unit with values not reported and what the scenario's policy made of them."""
    from .present.tables import missing_table
    from .present.text import missing_warning

    text = missing_warning(missing_table(result))
    if text:
        click.echo(click.style(text, fg="yellow"), err=True)


def print_ranked(result: Any, lang: str) -> None:
    from .present.tables import ranked_table

    table = ranked_table(result, lang)
    group_col = table.columns[0]
    head = f"{result.scenario.name} — {result.year}"
    for group, part in table.groupby(group_col, sort=False):
        print_table(part.drop(columns=group_col), f"{head} · {group}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="simkit", message="simkit %(version)s")
def main() -> None:
    """simkit — test the rules of a performance-evaluation scheme (绩效评估) before adopting them.

    Every command takes --help.  Without --data, the bundled illustrative data are used; every number in
    them is synthetic.
    """


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None, help="Evaluation year. Default: the scenario's, else the last.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for results.csv, indicators.csv and manifest.json.")
@_lang_option
@handles_errors
def run(scenario: Path, data_path: Path | None, year: int | None, out: Path, lang: str) -> None:
    """Evaluate SCENARIO: print the ranked tables and write results.csv, indicators.csv, manifest.json."""
    from .engine.evaluate import evaluate
    from .io.read import load_data
    from .io.scenarios import load_scenario
    from .io.write import write_csv_safe
    from .present.tables import indicators_table, results_table

    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = load_data(data_path)
    result = evaluate(sc, data, year)
    synthetic_banner(data)
    print_ranked(result, lang)
    warn_missing(result)
    with output_set(out, result.manifest(), scenario, data_path) as tmp:
        write_csv_safe(results_table(result), tmp / "results.csv")
        write_csv_safe(indicators_table(result), tmp / "indicators.csv")
    click.echo(f"written: {out / 'results.csv'}, {out / 'indicators.csv'}, {out / 'manifest.json'}")


@main.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("reform", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None, help="Evaluation year. Default: the base scenario's, else the last.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for comparison.csv, comparison.xlsx, both results and manifest.json.")
@click.option("--size", default=None, help="Size measure (unit attribute or indicator id) for the size-rank "
              "correlation, e.g. gdp.")
@_lang_option
@handles_errors
def compare(base: Path, reform: Path, data_path: Path | None, year: int | None, out: Path, size: str | None,
            lang: str) -> None:
    """Compare BASE and REFORM scenarios on the same data: ranks, grades, money, winners and losers."""
    from .analysis.compare import compare as run_compare
    from .io.read import load_data
    from .io.scenarios import load_scenario
    from .present.labels import BAND_ZH, COMPARISON_HEADERS
    from .present.reports import comparison_report, write_report_files
    from .present.tables import decomposition_table

    check_out(out, base, reform, data_path)
    sb, sr = load_scenario(base), load_scenario(reform)
    data = load_data(data_path)
    cmp = run_compare(sb, sr, data, year)
    synthetic_banner(data)
    print_ranked(cmp.base, lang)
    print_ranked(cmp.reform, lang)
    zh = lang == "zh"
    cols = ["group", "name", "rank_base", "rank_reform", "rank_change", "grade_base", "grade_reform",
            "payout_base", "payout_reform", "payout_change"]
    table = cmp.units[cols].copy()
    money = ["payout_base", "payout_reform", "payout_change"]
    table[money] = table[money].round().astype("Int64")
    print_table(table.rename(columns=COMPARISON_HEADERS if zh else {}),
                "改革前后对比 (基准 → 改革)" if zh else "Base → reform")
    bands = cmp.bands.copy()
    if zh:
        bands["band"] = bands["band"].map(BAND_ZH).fillna(bands["band"])
    print_table(bands, "赢家与输家 Winners and losers")
    report = comparison_report(cmp, size=size)
    print_table(report.sheets["汇总 Summary"], "汇总 Summary")
    print_table(decomposition_table(cmp), "分步分解 Sequential decomposition (order matters)")
    with output_set(out, dict(report.manifest), base, reform, data_path) as tmp:
        write_report_files(report, tmp)
    click.echo(f"written: {out}/comparison.csv, comparison.xlsx, results_base.csv, results_reform.csv, manifest.json")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("unit")
@_data_option
@click.option("--year", type=int, default=None, help="Evaluation year.")
@_lang_option
@handles_errors
def explain(scenario: Path, unit: str, data_path: Path | None, year: int | None, lang: str) -> None:
    """Explain UNIT's (id or name) total, rank, grade, bonus and award slots under SCENARIO."""
    from .engine.evaluate import evaluate
    from .io.read import load_data
    from .io.scenarios import load_scenario
    from .present.text import explain as explain_unit

    result = evaluate(load_scenario(scenario), load_data(data_path), year)
    exp = explain_unit(result, unit)
    click.echo(exp.text(lang))
    show = exp.contributions[["indicator", "indicator_name", "weight", "share", "points", "lost"]].round(3)
    print_table(show, "指标贡献 Indicator contributions")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@_data_option
@handles_errors
def validate(path: Path, data_path: Path | None) -> None:
    """Check a scenario (.yaml) or a data set (folder or .xlsx) and report every problem.

    A scenario is also checked against the data (--data, default the bundled data).
    """
    from .engine.compile import check_year, compile_plan, inputs_of
    from .io.read import load_data
    from .io.scenarios import load_scenario

    if path.suffix.lower() in (".yaml", ".yml"):
        sc = load_scenario(path)
        data = load_data(data_path)
        plan = compile_plan(sc, data)
        year = sc.year if sc.year is not None else data.years[-1]
        check_year(plan, inputs_of(plan), plan.year_index(year), year)
        from .engine.evaluate import evaluate

        result = evaluate(sc, data, year)
        click.echo(f"OK: scenario {sc.name!r} is valid and fits the data {data.source} "
                   f"({len(plan.tree.leaves)} indicators, year {year}).")
        from .present.tables import missing_table

        gaps = missing_table(result, every_year=True)
        if not gaps.empty:
            print_table(gaps, "未报送的数据（按缺报规则处理）Values not reported, and the policy applied")
    else:
        data = load_data(path)
        click.echo(f"OK: data set {path} is valid: {len(data.units)} units, {len(data.leaves)} leaf indicators, "
                   f"years {data.years[0]}–{data.years[-1]}, {len(data.observations)} observations.")
        from .present.tables import data_gaps

        gaps = data_gaps(data)
        if not gaps.empty:
            print_table(gaps, f"缺报 Gaps: {int(gaps['missing'].sum())} 个应报而未报的值 values that apply and are "
                        "missing, per unit and year")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@handles_errors
def template(path: Path) -> None:
    """Write an empty data workbook (.xlsx) to fill in, with headers in Chinese and English."""
    from .io.template import write_template

    if path.suffix.lower() != ".xlsx":
        raise SimkitError(Problem(str(path), "the template is an Excel workbook, so its name must end in .xlsx",
                                  "give a path such as data.xlsx"))
    _check_new_file(path)
    write_template(path)
    click.echo(f"written: {path}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write to this file instead of stdout.")
@handles_errors
def schema(out: Path | None) -> None:
    """Print the JSON Schema of scenario files."""
    from .schema.scenario import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        _check_new_file(out, replace=True)
        from .io.write import write_text

        write_text(out, text)
        click.echo(f"written: {out}")


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8866, show_default=True, help="Port on 127.0.0.1.")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@handles_errors
def dashboard(port: int, no_browser: bool) -> None:
    """Serve the explorer (notebooks/03_explorer.ipynb) as a web page with Voila, code hidden, on 127.0.0.1.

    Needs the notebooks extra (pip install 'simkit[notebooks]').  Scenarios saved from the page are written to the
    current folder.  Stop with Ctrl-C.
    """
    import socket

    from .io.scenarios import SHIPPED_DIR

    notebook = SHIPPED_DIR.parents[1] / "notebooks" / "03_explorer.ipynb"
    if not notebook.is_file():
        raise SimkitError(Problem(str(notebook), "the explorer notebook is not there",
                                  "run simkit from its source checkout (pip install -e .), where notebooks/ sits "
                                  "next to the simkit package"))
    try:
        from voila.app import Voila
    except ImportError:
        raise SimkitError(Problem("voila", "Voila, which serves the dashboard, is not installed",
                                  "pip install 'simkit[notebooks]'")) from None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SimkitError(Problem(f"127.0.0.1:{port}", "the port is in use",
                                      "give another one with --port")) from None
    os.environ["SIMKIT_WEB_FONT"] = "1"  # the page carries the bundled Chinese font
    os.environ.setdefault("SIMKIT_SAVE_DIR", os.getcwd())
    url = f"http://127.0.0.1:{port}/"
    click.echo(f"simkit dashboard: {url}  (Ctrl-C to stop)")
    sys.stdout.flush()
    argv = [str(notebook), f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
            "--strip_sources=True", *(["--no-browser"] if no_browser else [])]
    Voila.launch_instance(argv=argv)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@_data_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for fairness.csv and manifest.json.")
@click.option("--size", default="gdp", show_default=True,
              help="Size measure: a unit attribute (e.g. headcount) or an indicator id (e.g. gdp).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap intervals.")
@click.option("--boot", type=int, default=1000, show_default=True, help="Bootstrap resamples per interval.")
@click.option("--years", default=None, help="Years to use, e.g. 2015-2018 or 2016,2017,2018. Default: every "
              "year all the scenarios can evaluate.")
@handles_errors
def fairness(scenarios: tuple[Path, ...], data_path: Path | None, out: Path, size: str, seed: int, boot: int,
             years: str | None) -> None:
    """Fairness of SCENARIO [SCENARIO ...] side by side: size correlation, top grades, payout inequality,
    mobility, bottom persistence and common-shock invariance, with bootstrap intervals (5–95%)."""
    from .io.read import load_data
    from .io.scenarios import load_scenario
    from .io.write import write_csv_safe
    from .present.tables import fairness_table, format_fairness, labelled
    from .schema.scenario import source_of

    if boot < 0:
        raise SimkitError(Problem("--boot", f"--boot is {boot}", "give 0 (no intervals) or a number of bootstrap "
                                  "resamples such as 1000"))
    check_out(out, *scenarios, data_path)
    scs = [load_scenario(s) for s in scenarios]
    data = load_data(data_path)
    table = fairness_table(scs, data, size=size, years=_parse_years(years), seed=seed, n_boot=boot)
    synthetic_banner(data)
    a = table.attrs
    print_table(format_fairness(table), f"公平性 Fairness · {a['years'][0]}–{a['years'][-1]} · 规模 size = {size} · "
                f"估计 [5%, 95%] bootstrap n={boot}, seed={seed}")
    from ._version import __version__

    manifest = {
        "simkit_version": __version__,
        "scenarios": [{"name": s.name, "file": source_of(s) or str(p), "sha256": s.fingerprint()}
                      for s, p in zip(scs, scenarios, strict=True)],
        "data": {"source": data.source, "sha256": data.fingerprint(), "synthetic": data.synthetic,
                 "years": list(data.years)},
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in a.items()},
    }
    with output_set(out, manifest, *scenarios, data_path) as tmp:
        write_csv_safe(labelled(table, data), tmp / "fairness.csv")
    click.echo(f"written: {out / 'fairness.csv'}, {out / 'manifest.json'}")


def _parse_years(text: str | None) -> tuple[int, ...] | None:
    """'2015-2018' or '2016,2017,2018' → years; None stays None."""
    if text is None:
        return None
    try:
        if "-" in text:
            a, b = (int(v) for v in text.split("-", 1))
            return tuple(range(a, b + 1))
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a year range; write e.g. 2015-2018 or 2016,2017,2018",
                                 param_hint="--years") from None


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@_data_option
@click.option("--draws", type=click.IntRange(2, None), default=1000, show_default=True,
              help="Monte Carlo draws (each also the base of the Sobol design).")
@click.option("--seed", type=click.IntRange(0, None), default=0, show_default=True,
              help="Seed: the same seed gives the same output, whatever the chunk size.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for rank_intervals.csv, sensitivity.csv and manifest.json.")
@click.option("--spread", type=click.FloatRange(0, 1, max_open=True), default=0.25, show_default=True,
              help="Weights drawn uniformly within ± this share of nominal: the first-level weights, and the "
              "sub-weights of each first-level item (one input group each).")
@click.option("--noise", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Also multiply every observed value by exp(sd·z), e.g. 0.05 (lognormal data noise).")
@click.option("--chunk-size", type=click.IntRange(1, None), default=None,
              help="Draws evaluated at once (memory); the results do not depend on it. Default: automatic.")
@click.option("--year", type=int, default=None, help="Evaluation year. Default: the scenario's, else the last.")
@_lang_option
@handles_errors
def uncertainty(scenario: Path, data_path: Path | None, draws: int, seed: int, out: Path, spread: float,
                noise: float | None, chunk_size: int | None, year: int | None, lang: str) -> None:
    """Uncertainty of SCENARIO's ranks (JRC/OECD practice): rank intervals, grade probabilities, Sobol indices.

    Writes rank_intervals.csv (nominal and median rank, 5–95% interval, probability of each grade),
    sensitivity.csv (first- and total-order Sobol indices of each input group for the mean absolute rank
    shift) and manifest.json (seed, draws, the inputs).
    """
    from .analysis.uncertainty import default_spec, run_uncertainty
    from .io.read import load_data
    from .io.scenarios import load_scenario
    from .io.write import write_csv_safe
    from .present.tables import labelled

    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = load_data(data_path)
    spec = default_spec(sc, data, spread=spread, noise=noise)
    res = run_uncertainty(sc, data, spec, draws=draws, seed=seed, chunk_size=chunk_size, year=year,
                          progress=sys.stderr.isatty())
    grades = [f"p_{g}" for g in res.grade_names]
    table = res.rank_intervals[["unit", "name", "group", "nominal_rank", "median_rank", "q05", "q95", *grades]]
    synthetic_banner(data)
    zh = lang == "zh"
    heads = ({"name": "单位", "nominal_rank": "名义名次", "median_rank": "中位名次", "q05": "5%", "q95": "95%"}
             | {f"p_{g}": f"P({g})" for g in res.grade_names}) if zh else {}
    for group, part in table.groupby("group", sort=False):
        print_table(part.drop(columns=["unit", "group"]).round(3).rename(columns=heads),
                    f"{sc.name} — {res.problem.year} · {group} · {draws:,} 次抽样 draws, seed {seed}")
    sens = res.sensitivity
    print_table(sens[["input", "dims", "S1", "S1_conf", "ST", "ST_conf"]].round(3),
                "Sobol 指数 (平均名次绝对变动) Sobol indices of the mean absolute rank shift")
    click.echo(f"平均名次绝对变动 mean absolute rank shift R̄S = {res.mean_abs_shift:.3f}\n")
    manifest = {**res.manifest(), "cli": {"spread": spread, "noise": noise, "chunk_size": chunk_size}}
    with output_set(out, manifest, scenario, data_path) as tmp:
        write_csv_safe(labelled(table, data), tmp / "rank_intervals.csv")
        write_csv_safe(labelled(sens, data), tmp / "sensitivity.csv")
    click.echo(f"written: {out / 'rank_intervals.csv'}, {out / 'sensitivity.csv'}, {out / 'manifest.json'}")


if __name__ == "__main__":  # pragma: no cover
    main()
