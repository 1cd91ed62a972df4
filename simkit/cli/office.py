"""Documents for the office: ``brief`` (the drafting note, 起草说明, in Word)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Problem, SimkitError
from .app import main
from .common import _check_new_file, _data_option, handles_errors, read_data, synthetic_banner


@main.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("reform", type=click.Path(path_type=Path))
@_data_option
@click.option("--year", type=int, default=None, help="对比年度（赢家输家、预算）/ year of the comparison (winners "
                                                     "and losers, budget). "
              "Default: the base scenario's, else the last.")
@click.option("--years", default=None, help="回测与公平性指标的年度，如 2015-2018 / years of the back-test and the "
                                            "fairness metrics, e.g. 2015-2018. "
              "Default: every year both scenarios can evaluate.")
@click.option("--size", default="gdp", show_default=True,
              help="公平性指标的规模口径：单位属性或指标编码 / size measure of the fairness metrics: a unit "
                   "attribute or an indicator id.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("起草说明.docx"), show_default=True,
              help="写出的 Word 文件（.docx），不覆盖已有文件 / the Word file to write (.docx); an existing file is "
                   "not overwritten.")
@handles_errors
def brief(base: Path, reform: Path, data_path: Path | None, year: int | None, years: str | None, size: str,
          out: Path) -> None:
    """起草说明（Word）：改革方案相对基准的逐条变化、回测、赢家输家、预算、公平性与数据来源。
    Write the drafting note (起草说明) on REFORM against BASE as a Word document: purpose, what changes
    provision by provision, a back-test of the past years, winners and losers, the budget, fairness, the risk of
    wrong accountability and the data's provenance, with tables and charts."""
    from ..io.scenarios import load_scenario
    from ..present.brief import write_brief
    from .analyses import _parse_years

    if out.suffix.lower() != ".docx":
        raise SimkitError(Problem(str(out), "the drafting note is a Word document, so its name must end in .docx",
                                  "give a path such as note.docx"))
    _check_new_file(out)
    sb, sr = load_scenario(base), load_scenario(reform)
    data = read_data(data_path, sr, sb)
    synthetic_banner(data)
    path = write_brief(sb, sr, data, out, years=_parse_years(years), size=size, year=year)
    click.echo(f"written: {path}")
