"""The dashboard as a web page: ``dashboard``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import Problem, SimkitError
from .app import main
from .common import _data_option, handles_errors

#: The notebook Voila serves: inside the package, so that an installed wheel has it.
NOTEBOOK = Path(__file__).resolve().parents[1] / "present" / "dashboard.ipynb"


def _check_inputs(data_path: Path | None, scenarios: tuple[Path, ...]) -> None:
    """Read the data and the scenarios before the server starts, so that a bad file is reported here (exit 2)
    rather than in the page; the first scenario (or the 2018 reform) must evaluate on the data."""
    from ..engine.evaluate import evaluate
    from ..io.scenarios import load_scenario
    from .common import read_data

    data = read_data(data_path)  # says on stderr how values not written plainly were read
    loaded = [load_scenario(s) for s in scenarios]
    first = loaded[0] if loaded else load_scenario("yiyang_2018_reform")
    try:
        evaluate(first, data)
    except SimkitError as exc:
        hint = Problem(str(scenarios[0]) if scenarios else "yiyang_2018_reform",
                       "this scenario, which the page opens with, cannot be evaluated on the data",
                       "give a scenario written for these data with --scenario" if not scenarios else
                       "fix the scenario or the data (the problems are listed above)")
        raise SimkitError([*exc.problems, hint]) from None


@main.command()
@_data_option
@click.option("--scenario", "scenarios", multiple=True, type=click.Path(path_type=Path),
              help="页面中可选的方案文件（可重复），第一个为默认 / a scenario file to offer in the page's pickers "
                   "(repeat for several); the first is picked.")
@click.option("--port", type=click.IntRange(1, 65535), default=8866, show_default=True, help="端口（仅 127.0.0.1）/ "
                                                                                             "port on 127.0.0.1.")
@click.option("--no-browser", is_flag=True, help="不打开浏览器 / do not open a web browser.")
@handles_errors
def dashboard(data_path: Path | None, scenarios: tuple[Path, ...], port: int, no_browser: bool) -> None:
    """打开看板网页（仅本机 127.0.0.1）：在自己的数据和方案上调整规则、对比方案、下载对比工作簿和起草说明。
    Serve the dashboard as a web page on 127.0.0.1 (Voila, code hidden): the rules explorer on your data and
    scenario files, a compare tab, and downloads of the comparison workbook and the drafting note (Word).

    In the page, data (.xlsx, CSV files or a .zip of them) and scenario files can also be opened.  Needs the
    notebooks extra (pip install 'simkit[notebooks]').  Scenarios saved from the page are written to the current
    folder.  Stop with Ctrl-C.
    """
    import socket

    if not NOTEBOOK.is_file():
        raise SimkitError(Problem(str(NOTEBOOK), "the dashboard notebook is not in the installed package",
                                  "reinstall simkit (pip install --force-reinstall simkit)"))
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
    _check_inputs(data_path, scenarios)
    # the page's kernel reads these: Voila passes its environment on
    os.environ["SIMKIT_WEB_FONT"] = "1"  # the page carries the bundled Chinese font
    os.environ.setdefault("SIMKIT_SAVE_DIR", os.getcwd())
    if data_path is not None:
        os.environ["SIMKIT_DATA"] = str(data_path.resolve())
    os.environ["SIMKIT_SCENARIOS"] = os.pathsep.join(str(s.resolve()) for s in scenarios)
    url = f"http://127.0.0.1:{port}/"
    click.echo(f"simkit dashboard: {url}  (Ctrl-C to stop)")
    sys.stdout.flush()
    argv = [str(NOTEBOOK), f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
            "--strip_sources=True", *(["--no-browser"] if no_browser else [])]
    Voila.launch_instance(argv=argv)
