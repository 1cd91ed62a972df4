"""The ``simkit`` command group."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="simkit", message="simkit %(version)s")
def main() -> None:
    """simkit — test the rules of a performance-evaluation scheme (绩效评估) before adopting them.

    Every command takes --help.  Without --data, the bundled illustrative data are used; every number in
    them is synthetic.
    """
