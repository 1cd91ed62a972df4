"""Risks of a scheme: ``audit``, the manipulability audit (红队测试)."""

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
    print_table,
    read_data,
    synthetic_banner,
)


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
    from ..io.scenarios import load_scenario
    from ..io.write import write_csv_safe
    from ..present.risk import best_csv, best_table, index_table, moves_csv

    check_out(out, scenario, data_path)
    sc = load_scenario(scenario)
    data = read_data(data_path, sc)
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


def _tenures(text: str | None) -> tuple[int, ...]:
    """'5' or '3,5' → (5,) or (3, 5); None → ().

    >>> _tenures("5"), _tenures("5,3"), _tenures(None)
    ((5,), (3, 5), ())
    """
    if text is None:
        return ()
    try:
        out = tuple(sorted({int(v) for v in text.split(",")}))
    except ValueError:
        out = ()
    if not out or out[0] < 1:
        raise click.BadParameter(f"{text!r} is not a tenure; write the years of a tenure, e.g. 5 or 3,5",
                                 param_hint="--tenure")
    return out


@main.command("risk")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@_data_option
@click.option("--draws", type=click.IntRange(2, None), default=4000, show_default=True,
              help="蒙特卡洛抽样次数 / Monte Carlo draws.")
@click.option("--noise", type=click.FloatRange(0, 1), default=0.02, show_default=True,
              help="数据测量误差：每个观测值乘以 exp(sd·z)，各单位、指标、年度独立 / sd of the lognormal measurement "
              "error: every observed value × exp(sd·z), independently per unit, indicator and year.")
@click.option("--spread", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="权重也在名义值 ± 该比例内均匀抽取，0 为权重不变 / also draw the weights uniformly within ± this "
              "share of nominal (0: the weights stay).")
@click.option("--years", type=click.IntRange(1, None), default=None,
              help="每次抽样连续评估的年数（截至评估年度，问责阶梯在其中逐年推进），默认方案能评估的所有年度 / "
              "consecutive years evaluated per draw, up to the evaluation year (the accountability ladder runs over "
              "them). Default: every year the scenario can evaluate.")
@click.option("--year", type=int, default=None, help="评估年度，默认方案所定或数据最后一年 / evaluation year. "
              "Default: the scenario's, else the last.")
@click.option("--seed", type=click.IntRange(0, None), default=0, show_default=True,
              help="随机种子：同一种子结果相同，与分块无关 / seed: the same seed gives the same tables, whatever the "
              "chunk size.")
@click.option("--tenure", default=None,
              help="任期模拟：任期年数，如 5 或 3,5，输出各方案的误问责率与漏问责率 / also simulate leaders' tenures "
              "of these lengths (e.g. 5, or 3,5): false and missed accountability of every scenario (tenure.csv).")
@click.option("--paths", type=click.IntRange(1, None), default=500, show_default=True,
              help="任期模拟的路径数 / latent paths of the tenure simulation.")
@click.option("--no-margins", is_flag=True, help="不计算距上下等次的余量（更快）/ skip the margins to the next grade "
              "up and down (faster).")
@click.option("--chunk-size", type=click.IntRange(1, None), default=None,
              help="每批计算的抽样数（内存），结果与之无关；默认按内存自动 / draws evaluated at once (memory); the "
              "results do not depend on it. Default: from the memory budget.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="结果文件夹 / folder for risk.csv, tenure.csv (with --tenure) and manifest.json.")
@_lang_option
@handles_errors
def risk(scenarios: tuple[Path, ...], data_path: Path | None, draws: int, noise: float, spread: float,
         years: int | None, year: int | None, seed: int, tenure: str | None, paths: int, no_margins: bool,
         chunk_size: int | None, out: Path, lang: str) -> None:
    """问责风险：各单位各等次、约谈、诫勉谈话、调整岗位、进步奖的概率，奖金区间，距上下等次的余量；可选任期模拟的误问责率与漏问责率。
    Consequence risk of SCENARIO [SCENARIO ...]: per unit the probability of each grade, of 约谈, 诫勉谈话 and
    调整岗位 (the ladder run over consecutive simulated years), of a progress award, the bonus interval and the
    margins to the next grade up and down; with --tenure, false and missed accountability over leaders' tenures.

    Writes risk.csv (every scenario), tenure.csv (with --tenure, the scenarios side by side) and manifest.json.
    """
    from .._version import __version__
    from ..analysis.risk import consequence_risk, tenure_accountability
    from ..io.scenarios import load_scenario
    from ..io.write import write_csv_safe
    from ..present.risk import risk_csv, risk_table, tenure_csv, tenure_table

    tenures = _tenures(tenure)
    check_out(out, *scenarios, data_path)
    scs = [load_scenario(s) for s in scenarios]
    data = read_data(data_path, *scs)
    tables = [consequence_risk(sc, data, draws=draws, noise=noise, spread=spread or None, years=years, seed=seed,
                               year=year, margins=not no_margins, chunk_size=chunk_size) for sc in scs]
    ten = tenure_accountability(scs, data, tenure=tenures, paths=paths, noise=noise, seed=seed) if tenures else None
    synthetic_banner(data)
    zh = lang == "zh"
    for sc, table in zip(scs, tables, strict=True):
        a = table.attrs
        shown = risk_table(table, data, lang)
        group_col = shown.columns[0]
        span = f"{a['years'][0]}–{a['years'][-1]}"
        if zh:
            head = (f"问责风险 · {sc.name} · {a['year']}（连续评估 {span}）· {draws:,} 次抽样, 噪声 sd {noise:g}, "
                    f"seed {seed}")
        else:
            head = (f"Consequence risk · {sc.name_en or sc.name} · {a['year']} (years {span}) · {draws:,} draws, "
                    f"noise sd {noise:g}, seed {seed}")
        for group, part in shown.groupby(group_col, sort=False):
            print_table(part.drop(columns=group_col), f"{head} · {group}")
    if ten is not None:
        if zh:
            title = f"任期模拟 · 误问责与漏问责 · {paths:,} 条路径, 噪声 sd {noise:g}, seed {seed}（估计 [90% 区间]）"
        else:
            title = (f"Tenure simulation · false and missed accountability · {paths:,} paths, noise sd {noise:g}, "
                     f"seed {seed} (estimate [90% interval])")
        print_table(tenure_table(ten, lang, data=data), title)
    manifest = {
        "simkit_version": __version__, "analysis": "risk",
        "runs": [t.attrs["manifest"] for t in tables],
        "settings": {"draws": draws, "noise": noise, "spread": spread, "years": years, "year": year, "seed": seed,
                     "margins": not no_margins, "chunk_size": chunk_size},
        "data": data.provenance(),
    }
    if ten is not None:
        manifest["tenure"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in ten.attrs.items()}
    with output_set(out, manifest, *scenarios, data_path) as tmp:
        write_csv_safe(risk_csv(tables, data), tmp / "risk.csv")
        if ten is not None:
            write_csv_safe(tenure_csv(ten, data), tmp / "tenure.csv")
    names = [out / "risk.csv", *([out / "tenure.csv"] if ten is not None else []), out / "manifest.json"]
    click.echo("written: " + ", ".join(map(str, names)))
