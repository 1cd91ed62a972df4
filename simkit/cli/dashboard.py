"""The explorer as a web page: ``dashboard``."""

from __future__ import annotations

import os
import sys

import click

from ..errors import Problem, SimkitError
from .app import main
from .common import (
    handles_errors,
)


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

    from ..io.scenarios import SHIPPED_DIR

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
