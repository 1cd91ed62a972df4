"""Analyses: ``fairness`` and ``uncertainty``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import Problem, SimkitError
from .app import main
from .common import (
    _data_option,
    _lang_option,
    check_out,
    handles_errors,
    output_set,
    print_table,
    read_data,
    synthetic_banner,
)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@_data_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for fairness.csv and manifest.json.")
@click.option("--size", default="gdp", show_default=True,
              help="规模口径 / size measure: a unit attribute (e.g. headcount) or an indicator id (e.g. gdp).")
@click.option("--seed", type=int, default=0, show_default=True, help="随机种子 / seed of the bootstrap intervals.")
@click.option("--boot", type=int, default=1000, show_default=True,
              help="自助抽样次数 / bootstrap resamples per interval.")
@click.option("--years", default=None, help="使用的年度，如 2015-2018 或 2016,2017,2018，默认所有方案都能评估的年度 "
                                            "/ years to use, e.g. 2015-2018 or 2016,2017,2018. Default: every "
              "year all the scenarios can evaluate.")
@click.option("--tenure", type=click.IntRange(1, 20), default=None,
              help="加上任期模拟的误问责率与漏问责率（任期年数，如 5）/ add the false and missed accountability "
              "rates of a tenure simulation over this many years (e.g. 5).")
@click.option("--xlsx", is_flag=True, help="也写出可打印的 fairness.xlsx / also write fairness.xlsx, ready to print.")
@handles_errors
def fairness(scenarios: tuple[Path, ...], data_path: Path | None, out: Path, size: str, seed: int, boot: int,
             years: str | None, tenure: int | None = None, xlsx: bool = False) -> None:
    """公平性对比：名次与规模相关、最高等次归属、奖金不平等、名次流动、末位持续、共同冲击。
    Fairness of SCENARIO [SCENARIO ...] side by side: size correlation, top grades, payout inequality,
    mobility, bottom persistence and common-shock invariance, with bootstrap intervals (5–95%)."""
    from ..io.scenarios import load_scenario
    from ..io.write import write_csv_safe
    from ..present.tables import fairness_table, format_fairness, labelled
    from ..schema.scenario import source_of

    if boot < 0:
        raise SimkitError(Problem("--boot", f"--boot is {boot}", "give 0 (no intervals) or a number of bootstrap "
                                  "resamples such as 1000"))
    check_out(out, *scenarios, data_path)
    scs = [load_scenario(s) for s in scenarios]
    data = read_data(data_path, *scs)
    extra = {} if tenure is None else {"tenure": tenure}
    table = fairness_table(scs, data, size=size, years=_parse_years(years), seed=seed, n_boot=boot, **extra)
    synthetic_banner(data)
    a = table.attrs
    print_table(format_fairness(table), f"公平性 Fairness · {a['years'][0]}–{a['years'][-1]} · 规模 size = {size} · "
                f"估计 [5%, 95%] bootstrap n={boot}, seed={seed}")
    from .._version import __version__

    manifest = {
        "simkit_version": __version__,
        "scenarios": [{"name": s.name, "file": source_of(s) or str(p), "sha256": s.fingerprint()}
                      for s, p in zip(scs, scenarios, strict=True)],
        "data": data.provenance(),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in a.items()},
    }
    with output_set(out, manifest, *scenarios, data_path) as tmp:
        write_csv_safe(labelled(table, data), tmp / "fairness.csv")
        if xlsx:  # the workbook for people (simkit.present.reports.fairness_report)
            from ..present.reports import fairness_report, write_report_files

            write_report_files(fairness_report(table, data, manifest=manifest).workbook_only(), tmp)
    click.echo(f"written: {out / 'fairness.csv'}, {out / 'manifest.json'}" + (f", {out / 'fairness.xlsx'}"
                                                                               if xlsx else ""))


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
              help="蒙特卡洛抽样次数 / Monte Carlo draws (each also the base of the Sobol design).")
@click.option("--seed", type=click.IntRange(0, None), default=0, show_default=True,
              help="随机种子 / seed: the same seed gives the same output, whatever the chunk size.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for rank_intervals.csv, sensitivity.csv and manifest.json.")
@click.option("--spread", type=click.FloatRange(0, 1, max_open=True), default=0.25, show_default=True,
              help="权重在名义值 ± 该比例内均匀抽取（一级指标一组，各一级指标的下级权重各一组）/ weights drawn "
              "uniformly within ± this share of nominal: the first-level weights, and the sub-weights of each "
              "first-level item (one input group each).")
@click.option("--noise", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="数据测量误差：每个观测值乘以 exp(sd·z)，如 0.05 / also multiply every observed value by "
              "exp(sd·z), e.g. 0.05 (lognormal data noise).")
@click.option("--chunk-size", type=click.IntRange(1, None), default=None,
              help="每批计算的抽样数（内存），结果与之无关；默认自动 / draws evaluated at once (memory); the "
              "results do not depend on it. Default: automatic.")
@click.option("--year", type=int, default=None, help="评估年度，默认方案所定或数据最后一年 / evaluation year. "
              "Default: the scenario's, else the last.")
@_lang_option
@handles_errors
def uncertainty(scenario: Path, data_path: Path | None, draws: int, seed: int, out: Path, spread: float,
                noise: float | None, chunk_size: int | None, year: int | None, lang: str) -> None:
    """名次的不确定性（JRC/OECD 做法）：名次区间、各等次概率、Sobol 敏感性指数。
    Uncertainty of SCENARIO's ranks (JRC/OECD practice): rank intervals, grade probabilities, Sobol indices.

    Writes rank_intervals.csv (nominal and median rank, 5–95% interval, probability of each grade),
    sensitivity.csv (first- and total-order Sobol indices of each input group for the mean absolute rank
    shift) and manifest.json (seed, draws, the inputs).
    """
    from ..analysis.uncertainty import default_spec, run_uncertainty
    from ..io.scenarios import load_scenario
    from ..io.write import write_csv_safe
    from ..present.tables import labelled

    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = read_data(data_path, sc)
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
