"""Risks of a scheme: ``audit``, the manipulability audit (红队测试)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import main
from .common import _data_option, _lang_option, check_out, handles_errors, output_set, print_table, synthetic_banner


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None, help="评估年度，默认方案所定或数据最后一年 / evaluation year. Default: "
              "the scenario's, else the last.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for audit.csv (every move tried), audit_best.csv and manifest.json.")
@click.option("--cost-cap", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="可操纵指数的代价上限（占本单位该项产出）/ cost cap of the index: the share of a unit's own output "
              "a move may give up and still count.")
@click.option("--candidates", type=click.IntRange(1, None), default=3, show_default=True,
              help="改报组别时每个单位精算的候选组别数 / groups evaluated exactly per unit for reporting in another "
              "group (screened by where its total would stand).")
@_lang_option
@handles_errors
def audit(scenario: Path, data_path: Path | None, year: int | None, out: Path, cost_cap: float, candidates: int,
          lang: str) -> None:
    """红队测试：每个单位代价最小的操纵，方案的可操纵指数。
    为每个单位找出能改善其结果、代价最小的操纵（缺报、压低上年、跨年调节、改报组别）。
    Manipulability audit of SCENARIO: each unit's cheapest move that improves its outcome (withholding an
    indicator, holding back last year's output, shifting an amount between years, reporting in another group),
    its cost and gain, and the scheme's manipulability index.

    Writes audit.csv (every move tried), audit_best.csv (each unit's best move) and manifest.json.
    """
    from ..analysis.audit import audit as run_audit
    from ..io.read import load_data
    from ..io.scenarios import load_scenario
    from ..io.write import write_csv_safe
    from ..present.risk import best_csv, best_table, index_table, moves_csv

    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = load_data(data_path)
    result = run_audit(sc, data, year, cost_cap=cost_cap, category_candidates=candidates)
    synthetic_banner(data)
    zh = lang == "zh"
    table = best_table(result, lang)
    group_col = table.columns[0]
    head = f"{sc.name if zh else (sc.name_en or sc.name)} — {result.year}"
    title = "红队测试 最省力的有利操纵" if zh else "Cheapest profitable moves"
    for group, part in table.groupby(group_col, sort=False):
        print_table(part.drop(columns=group_col), f"{title} · {head} · {group}")
    print_table(index_table(result, lang), "可操纵指数 Manipulability index" + f" · {head}")
    with output_set(out, result.manifest(), scenario, data_path) as tmp:
        write_csv_safe(moves_csv(result), tmp / "audit.csv")
        write_csv_safe(best_csv(result), tmp / "audit_best.csv")
    click.echo(f"written: {out / 'audit.csv'}, {out / 'audit_best.csv'}, {out / 'manifest.json'}")
