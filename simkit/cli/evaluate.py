"""Evaluating: ``run``, ``compare``, ``explain``, ``validate``."""

from __future__ import annotations

from pathlib import Path

import click

from .app import main
from .common import (
    _data_option,
    _lang_option,
    check_out,
    handles_errors,
    output_set,
    print_ranked,
    print_table,
    read_data,
    synthetic_banner,
    warn_missing,
)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None, help="评估年度，默认方案所定或数据最后一年 / evaluation year. Default: "
              "the scenario's, else the last.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for results.csv, indicators.csv and manifest.json.")
@_lang_option
@click.option("--xlsx", is_flag=True, help="也写出可打印的 results.xlsx / also write results.xlsx, ready to print.")
@handles_errors
def run(scenario: Path, data_path: Path | None, year: int | None, out: Path, lang: str, xlsx: bool = False) -> None:
    """评估方案：打印排名表，写出 results.csv、indicators.csv、manifest.json。
    Evaluate SCENARIO: print the ranked tables and write results.csv, indicators.csv, manifest.json."""
    from ..engine.evaluate import evaluate
    from ..io.scenarios import load_scenario
    from ..io.write import write_csv_safe
    from ..present.tables import floats_for_people, indicators_table, results_table

    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = read_data(data_path, sc)
    result = evaluate(sc, data, year)
    synthetic_banner(data)
    print_ranked(result, lang)
    floats = floats_for_people(result, lang)
    if not floats.empty:
        print_table(floats, "奖金浮动：规定与实际 / floats as stated and as paid")
    _print_parts(result, lang)
    warn_missing(result)
    with output_set(out, result.manifest(), scenario, data_path) as tmp:
        write_csv_safe(results_table(result), tmp / "results.csv")
        write_csv_safe(indicators_table(result), tmp / "indicators.csv")
        if xlsx:  # the workbook for people (simkit.present.reports.run_report)
            from ..present.reports import run_report, write_report_files

            write_report_files(run_report(result).workbook_only(), tmp)
    click.echo(f"written: {out / 'results.csv'}, {out / 'indicators.csv'}, {out / 'manifest.json'}"
               + (f", {out / 'results.xlsx'}" if xlsx else ""))


@main.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("reform", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None,
              help="评估年度 / evaluation year. Default: the base scenario's, else the "
              "last.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for comparison.csv, comparison.xlsx, both results and manifest.json.")
@click.option("--size", default=None, help="规模口径（单位属性或指标编码），用于名次与规模相关 / size measure (unit "
              "attribute or indicator id) for the size-rank "
              "correlation, e.g. gdp.")
@_lang_option
@handles_errors
def compare(base: Path, reform: Path, data_path: Path | None, year: int | None, out: Path, size: str | None,
            lang: str) -> None:
    """对比两个方案：名次、等次、奖金、赢家与输家、预算、逐项分解。
    Compare BASE and REFORM scenarios on the same data: ranks, grades, money, winners and losers."""
    from ..analysis.compare import compare as run_compare
    from ..io.scenarios import load_scenario
    from ..present.labels import BAND_ZH, COMPARISON_HEADERS
    from ..present.reports import comparison_report, write_report_files
    from ..present.tables import decomposition_for_people, floats_for_people

    check_out(out, base, reform, data_path)
    sb, sr = load_scenario(base), load_scenario(reform)
    data = read_data(data_path, sr, sb)
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
    floats = floats_for_people(cmp, lang)
    if not floats.empty:
        print_table(floats, "奖金浮动：规定与实际 / floats as stated and as paid")
    from ..present.parts import staff_changes

    staff = staff_changes(cmp, lang)
    if not staff.empty:
        print_table(staff, "员工优秀名额：基准 → 改革 / staff 优秀 slots, base → reform")
    report = comparison_report(cmp, size=size)
    print_table(report.sheets["汇总 Summary"], "汇总 Summary")
    print_table(decomposition_for_people(cmp, lang), "分步分解 Sequential decomposition (order matters)")
    with output_set(out, dict(report.manifest), base, reform, data_path) as tmp:
        write_report_files(report, tmp)
    click.echo(f"written: {out}/comparison.csv, comparison.xlsx, results_base.csv, results_reform.csv, manifest.json")


def _print_parts(result, lang: str) -> None:
    """The tables of the parts of the year, the events, the cascade and the further league tables, where the
    scenario has them."""
    from ..present.parts import components_summary, events_table, league_tables, people_table

    parts = components_summary(result, lang)
    if not parts.empty:
        print_table(parts, "全年各部分得分 / points on each part of the year")
    events = events_table(result, lang)
    if not events.empty:
        print_table(events, "督查、巡视巡察、审计扣分事项 / findings of supervision, inspection tours and audits")
    people = people_table(result, lang)
    if not people.empty:
        print_table(people, "考人：员工优秀名额、班子等次、主要领导、个人奖金 / the cascade to people")
    for name, table in league_tables(result, lang).items():
        print_table(table, f"榜单 league table: {name}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("unit")
@_data_option
@click.option("--year", type=int, default=None, help="评估年度 / evaluation year.")
@_lang_option
@handles_errors
def explain(scenario: Path, unit: str, data_path: Path | None, year: int | None, lang: str) -> None:
    """说明一个单位（编码或名称）的总分、名次、等次、奖金和评优指标从何而来。
    Explain UNIT's (id or name) total, rank, grade, bonus and award slots under SCENARIO."""
    from ..engine.evaluate import evaluate
    from ..io.scenarios import load_scenario
    from ..present.text import explain as explain_unit

    sc = load_scenario(scenario)
    result = evaluate(sc, read_data(data_path, sc), year)
    exp = explain_unit(result, unit)
    click.echo(exp.text(lang))
    show = exp.contributions[["indicator", "indicator_name", "weight", "share", "points", "lost"]].round(3)
    print_table(show, "指标贡献 Indicator contributions")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@_data_option
@handles_errors
def validate(path: Path, data_path: Path | None) -> None:
    """检查方案文件（.yaml）或数据（文件夹或 .xlsx），一次报告全部问题与缺报。
    Check a scenario (.yaml) or a data set (folder or .xlsx) and report every problem and gap.

    A scenario is also checked against the data (--data, default the bundled data).
    """
    from ..engine.compile import check_year, compile_plan, inputs_of
    from ..io.scenarios import load_scenario, shipped_scenarios

    shipped = not path.exists() and not path.suffix and path.name in shipped_scenarios()  # a bare scenario name
    if path.suffix.lower() in (".yaml", ".yml") or shipped:
        sc = load_scenario(path)
        data = read_data(data_path, sc)
        plan = compile_plan(sc, data)
        year = sc.year if sc.year is not None else data.years[-1]
        check_year(plan, inputs_of(plan), plan.year_index(year), year)
        from ..engine.evaluate import evaluate

        result = evaluate(sc, data, year)
        click.echo(f"方案有效，与数据相符 / OK: scenario {sc.name!r} is valid and fits the data {data.source} "
                   f"({len(plan.tree.leaves)} 项指标 indicators, {year} 年 year).")
        from ..present.tables import missing_table

        gaps = missing_table(result, every_year=True)
        if not gaps.empty:
            print_table(gaps, "未报送的数据（按缺报规则处理）Values not reported, and the policy applied")
    else:
        data = read_data(path)
        click.echo(f"数据有效 / OK: data set {path} is valid: {len(data.units)} 个单位 units, "
                   f"{len(data.leaves)} 项末级指标 leaf indicators, {data.years[0]}–{data.years[-1]} 年 years, "
                   f"{len(data.observations)} 个观测值 observations.")
        from ..present.tables import data_gaps

        gaps = data_gaps(data)
        if not gaps.empty:
            print_table(gaps, f"缺报 Gaps: {int(gaps['missing'].sum())} 个应报而未报的值 values that apply and are "
                        "missing, per unit and year")
