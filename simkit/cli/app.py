"""The ``simkit`` command group."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="simkit", message="simkit %(version)s")
def main() -> None:
    """simkit — 绩效评估规则模拟器：在规则出台前检验它们的后果。
    Test the rules of a performance-evaluation scheme (绩效评估) before adopting them.

    \b
    每个命令都有 --help。不指定 --data 时使用随包附带的示例数据（全部为合成数据）。
    Every command takes --help.  Without --data, the bundled illustrative data are used; every number in
    them is synthetic.  错误时给出文件、行或字段和修改方法，退出码为 2 / bad input ends with the file, the
    row or field and the fix, and exit code 2.
    """
