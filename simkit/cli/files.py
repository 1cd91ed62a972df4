"""Files for people and programs: the data ``template`` and the scenario ``schema``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import Problem, SimkitError
from .app import main
from .common import (
    _check_new_file,
    handles_errors,
)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@handles_errors
def template(path: Path) -> None:
    """写出空白数据模板（.xlsx），表头中英文。
    Write an empty data workbook (.xlsx) to fill in, with headers in Chinese and English."""
    from ..io.template import write_template

    if path.suffix.lower() != ".xlsx":
        raise SimkitError(Problem(str(path), "the template is an Excel workbook, so its name must end in .xlsx",
                                  "give a path such as data.xlsx"))
    _check_new_file(path)
    write_template(path)
    click.echo(f"written: {path}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="写入此文件 / write to this file instead of stdout.")
@handles_errors
def schema(out: Path | None) -> None:
    """输出方案文件的 JSON Schema。
    Print the JSON Schema of scenario files."""
    from ..schema.scenario import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        _check_new_file(out, replace=True)
        from ..io.write import write_text

        write_text(out, text)
        click.echo(f"written: {out}")
