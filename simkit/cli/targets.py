"""Designing targets and money: ``targets`` (the target review, 会审) and ``solve-floats`` (float design)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Problem, SimkitError
from .app import main
from .common import (
    _check_new_file,
    _data_option,
    check_out,
    handles_errors,
    output_set,
    print_table,
    read_data,
    synthetic_banner,
)


def _percentile(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise SimkitError(Problem("--percentile", f"--percentile {text!r} is not LOW,HIGH",
                                  "write e.g. --percentile 10,90", field="--percentile")) from None
    return lo, hi


def _manifest(sc, data, year: int, settings: dict) -> dict:
    from .._version import __version__
    from ..schema.scenario import source_of

    return {"simkit_version": __version__,
            "scenario": {"name": sc.name, "file": source_of(sc), "sha256": sc.fingerprint()},
            "data": data.provenance(),
            "year": year, "settings": settings}


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None, help="审查目标值的年度 / year whose targets are reviewed. Default: "
                                                     "the scenario's, "
              "else the last.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for targets_review.csv, targets_review.xlsx and manifest.json.")
@click.option("--percentile", default="10,90", show_default=True,
              help="组内实际增长的分位区间，目标在其外即标记为明显偏松或偏紧 / band of the group's achieved growth "
                   "outside which a target is far softer or harder.")
@click.option("--margin", type=float, default=0.2, show_default=True,
              help="下达目标与基期规则目标相差超过该比例即标记 / an assigned target further than this share from the "
                   "baseline rule's target is flagged.")
@click.option("--equal-difficulty", "equal", type=float, default=None,
              help="同时求解各单位达标概率相同的目标值 / also solve equal-difficulty targets met with this "
                   "probability by every unit, e.g. 0.6 "
              "(writes targets_equal_difficulty.csv).")
@click.option("--show", type=click.IntRange(0, None), default=40, show_default=True,
              help="打印的标记目标数（全部见工作簿）/ flagged targets printed (all are in the workbook).")
@handles_errors
def targets(scenario: Path, data_path: Path | None, year: int | None, out: Path, percentile: str, margin: float,
            equal: float | None, show: int) -> None:
    """目标会审：逐单位、逐指标审查 SCENARIO 的目标值。
    Review SCENARIO's targets (会审): source, growth asked, own trend, P(meet), flags with reasons."""
    from ..analysis.targets_review import difficulty_spread, equal_difficulty_targets, review_targets
    from ..io.scenarios import load_scenario
    from ..present.labels import TARGET_REVIEW_HEADERS
    from ..present.reports import write_report_files
    from ..present.targets import flag_counts, review_table, sheet_table, targets_report

    band = _percentile(percentile)
    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = read_data(data_path, sc)  # without --data: the bundled set the scenario names, if any
    review = review_targets(sc, data, year, percentile=band, margin=margin)
    year = int(review.attrs["year"])
    eq = equal_difficulty_targets(sc, data, year, equal) if equal is not None else None
    synthetic_banner(data)
    print_table(flag_counts(review).rename(columns={"group": "组别 group", "flag": "标记 flag",
                                                    "targets": "目标数 targets", "of": "共 of"}),
                f"{sc.name} — {year} 目标会审 target review: 标记 flags")
    table = review_table(review, data)
    flagged = table[table["flags"] != ""]
    cols = ["group", "name", "indicator_name", "measure", "source", "target", "previous", "p_meet", "flags",
            "reason_zh"]
    shown = sheet_table(flagged.head(show))[cols]
    print_table(shown.rename(columns=TARGET_REVIEW_HEADERS),
                f"标记的目标 flagged targets ({len(shown)} / {len(flagged)})")
    spread = difficulty_spread(review).groupby("group", sort=False)["spread"].agg(["mean", "max"]).round(3)
    if eq is not None:
        per = eq.dropna(subset=["p_after"]).groupby(["group", "indicator", "measure"], sort=False)["p_after"]
        after = (per.max() - per.min()).groupby(level="group", sort=False).max()
        spread["equal_difficulty_max"] = after.round(3)
    print_table(spread.reset_index().rename(columns={"group": "组别 group", "mean": "平均极差 mean spread",
                                                     "max": "最大极差 max spread",
                                                     "equal_difficulty_max": "等难度后最大极差 after"}),
                "达标概率组内极差 spread of P(meet) within groups (max − min, per indicator and measure)")
    settings = {"percentile": list(band), "margin": margin, "trend_years": review.attrs["trend_years"],
                "probability": "normal on log growth (p_meet); share of past years (p_meet_past)",
                "equal_difficulty": equal}
    report = targets_report(review, data, eq, _manifest(sc, data, year, settings))
    with output_set(out, dict(report.manifest), scenario, data_path) as tmp:
        write_report_files(report, tmp)
    click.echo(f"written: {out}/" + ", ".join([*report.files, "manifest.json"]))


@main.command("solve-floats")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--keep", multiple=True, help="等次[=浮动]：该等次实发恰为此浮动（默认 0，即恰为基数）/ "
              "GRADE[=FLOAT]: this grade is paid exactly this float on its base (default 0: exactly its base), "
              "e.g. --keep 一般=0.")
@click.option("--set", "set_", multiple=True, help="等次=浮动：该等次实发恰为此浮动 / GRADE=FLOAT: this "
              "grade is paid exactly this float, e.g. --set 优秀=0.20 (or 20%).")
@click.option("--pool", default=None, help="奖金池：nominal（基数之和）或金额（元）/ `nominal` (the sum of the "
                                           "bases) or an amount in yuan. Default: the "
              "scenario's pool.")
@_data_option
@click.option("--year", type=int, default=None, help="求解浮动所依据的等次年度 / year whose grades the floats are "
                                                     "solved for.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="把求解后的方案写入该 .yaml 文件（供 simkit run 使用）/ write the solved scenario to this .yaml "
                   "file (for `simkit run`).")
@handles_errors
def solve_floats(scenario: Path, keep: tuple[str, ...], set_: tuple[str, ...], pool: str | None,
                 data_path: Path | None, year: int | None, out: Path | None) -> None:
    """浮动求解：求出使指定等次实际浮动恰为所需的规定浮动比例。
    Find the stated factors under which the kept and set grades are paid exactly the floats asked."""
    from ..analysis.floats import parse_request
    from ..analysis.floats import solve_floats as solve
    from ..io.scenarios import load_scenario
    from ..io.write import write_text
    from ..present.labels import FLOAT_HEADERS, SOLVED_SUFFIX
    from ..present.tables import float_table
    from ..present.targets import solved_header
    from ..schema.levers import Rename

    requested = parse_request(keep, "--keep", 0.0)
    for grade, value in parse_request(set_, "--set").items():
        if grade in requested:
            raise SimkitError(Problem("--set", f"{grade} is given in both --keep and --set",
                                      "give each grade once", field="--set"))
        requested[grade] = value
    amount = _pool(pool)
    if out is not None:
        if out.suffix.lower() not in (".yaml", ".yml"):
            raise SimkitError(Problem(str(out), "the solved scenario is a YAML file, so its name must end in .yaml",
                                      "give a path such as solved.yaml", field="--out"))
        _check_new_file(out)
    sc = load_scenario(scenario)
    data = read_data(data_path, sc)  # without --data: the bundled set the scenario names, if any
    sol = solve(sc, data, year, requested=requested, pool=amount)
    synthetic_banner(data)
    heads = {k: f"{v} {FLOAT_HEADERS['en'][k]}" for k, v in FLOAT_HEADERS["zh"].items()}
    for label, res in (("求解前 before", sol.before), ("求解后 after", sol.after)):
        table = float_table(res).round({"factor": 6, "realised_float": 6})
        print_table(table.rename(columns=heads), f"{sc.name} — {res.year} · {label}")
    check = sol.check.rename(columns={"grade": "等次 grade", "requested": "要求 requested", "error": "误差 error",
                                      "realised": "实际(取整前) realised", "units": "单位数 units"})
    print_table(check, "核对 check (未被否决的单位 units not vetoed)")
    budget = sol.after.budget()
    click.echo(f"奖金池 pool: {sol.pool if sol.pool is None else f'{sol.pool:,.2f}'}; 实发 paid: "
               f"{budget['paid']:,.0f} 元 yuan")
    if sol.capped:
        click.echo(click.style(f"一票否决的单位按基数（或不）发放 vetoed units paid their base (or nothing), not the "
                               f"request: {', '.join(sol.capped)}", fg="yellow"))
    if sol.order_broken:
        band = "" if sol.order_pool is None else (f"; 奖金池在 {sol.order_pool[0]:,.0f}–{sol.order_pool[1]:,.0f} 元之间"
                                                  f"可保持等次顺序 a pool in this range keeps the order")
        click.echo(click.style(f"注意 note: 等次倒挂 a better grade is paid less: {', '.join(sol.order_broken)}{band}",
                               fg="yellow"))
    if out is not None:
        named = Rename(name=sc.name + SOLVED_SUFFIX[0],
                       name_en=(sc.name_en or sc.name) + SOLVED_SUFFIX[1]).apply(sol.scenario)
        write_text(out, solved_header(sol, requested) + named.to_yaml())
        click.echo(f"written: {out}")


def _pool(text: str | None) -> float | str | None:
    if text is None or text == "nominal":
        return text
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise SimkitError(Problem("--pool", f"--pool {text!r} is not `nominal` or an amount",
                                  "give --pool nominal (the sum of the bases) or an amount in yuan, e.g. 500000000",
                                  field="--pool"))
    return value
