"""What every command shares: turning errors into messages (exit 2, never a traceback), the output set, the
options, printing tables."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from ..errors import Problem, SimkitError

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(click.style("错误 error: ", fg="red", bold=True) + message, err=True)


def _problems_text(exc: SimkitError) -> str:
    """Every problem, its Chinese line first and the English line under it; for a long list a summary by kind
    (one example of each) with the full list written to a file."""
    from ..present.problems import format_problem, format_problems, problem_summary_zh

    head = [p for p in exc.problems[:1] if p.message.startswith("this scenario can evaluate")]
    summary = problem_summary_zh(exc.problems[len(head):])
    if summary is None:
        return format_problems(exc.problems)
    fd, name = tempfile.mkstemp(prefix="simkit-problems-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(format_problems(exc.problems) + "\n")
    return "\n".join([*(format_problem(p) for p in head), summary, f"完整清单 / the full list: {name}"])


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
            _fail("已中断 / interrupted")
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("SIMKIT_DEBUG"):
                raise
            _fail(f"内部错误：这是 simkit 的程序缺陷，请设置 SIMKIT_DEBUG=1 重新运行以查看出错位置，并报告此问题。\n"
                  f"  internal error ({type(exc).__name__}: {exc}). This is a bug in simkit; run again with "
                  "SIMKIT_DEBUG=1 to see the traceback and report it.")
            sys.exit(1)

    return wrapper


def check_out(out: Path, *inputs: Path | str | None) -> None:
    """Refuse --out before any work: not an input folder, not holding inputs, only a previous output set."""
    from ..io.outputs import check_out as check

    check(out, inputs)


def output_set(out: Path, manifest: dict[str, Any], *inputs: Path | str | None) -> Any:
    """The output set of a command: written whole into ``out``; the manifest gains the inputs' hashes."""
    from ..io.outputs import OutputSet, input_hashes

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
                        help="数据：CSV 文件夹或 .xlsx 工作簿，默认随包示例数据（合成）/ Data: a folder of CSV "
                        "files or an .xlsx "
                        "workbook. Default: the bundled "
                        "illustrative (synthetic) Yiyang data.")(fn)


def _lang_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                        help="打印表格的语言 / language of printed tables.")(fn)


def print_table(df: Any, title: str) -> None:
    import pandas as pd

    click.echo(click.style(title, bold=True))
    with pd.option_context("display.max_rows", 500, "display.width", 200, "display.unicode.east_asian_width", True):
        click.echo(df.to_string(index=False))
    click.echo("")


def synthetic_banner(data: Any) -> None:
    if data.synthetic:
        from ..present.labels import SYNTHETIC_NOTE

        click.echo(click.style(f"[{SYNTHETIC_NOTE}] {data.source}", fg="yellow"))


def read_data(path: Path | None, *scenarios: Any) -> Any:
    """Load the data (``io.read.load_data``; without a path, the bundled set the first scenario names in its
    ``data`` field, else the default bundled data) and say how any value was read that was not written plainly (a
    percent string, full-width digits, a GBK file...): each note a warning on stderr, a long list by kind."""
    from ..io.read import load_data
    from ..present.problems import format_problems, problem_summary_zh

    if path is None:
        path = next((s.data for s in scenarios if getattr(s, "data", None)), None)
    data = load_data(path)
    plain = ("utf-8", "utf-8-sig", "ascii")
    other = {f: e for f, e in getattr(data, "encodings", {}).items() if e.lower() not in plain}
    if other:  # read correctly, but worth knowing: a file saved by Excel on a Chinese Windows is often GBK
        listed = ", ".join(f"{f} ({e.upper()})" for f, e in other.items())
        click.echo(click.style(f"注意 note: 以下文件不是 UTF-8 编码，已按其编码读取 / read in their own "
                               f"encoding: {listed}", fg="yellow"), err=True)
    notes = list(getattr(data, "notes", ()))
    if notes:
        text = problem_summary_zh(notes) or format_problems(notes, header=False)
        click.echo(click.style(f"注意 note: 数据中有 {len(notes)} 处按约定读取 / {len(notes)} value(s) read by "
                               f"convention:\n{text}", fg="yellow"), err=True)
    return data


def warn_missing(result: Any) -> None:
    """Name every unit with values not reported and what the scenario's policy made of them; say when a pool is
    not paid out whole."""
    from ..present.tables import missing_table
    from ..present.text import missing_warning

    text = missing_warning(missing_table(result))
    if text:
        click.echo(click.style(text, fg="yellow"), err=True)
    from ..present.text import pool_warning

    pool = pool_warning(result)
    if pool:
        click.echo(click.style(pool, fg="yellow"), err=True)


def print_ranked(result: Any, lang: str) -> None:
    from ..present.tables import ranked_table

    table = ranked_table(result, lang)
    group_col = table.columns[0]
    head = f"{result.scenario.name} — {result.year}"
    for group, part in table.groupby(group_col, sort=False):
        print_table(part.drop(columns=group_col), f"{head} · {group}")


