"""Smoke test of benchmarks/bench.py: the quick run prints every figure of the benchmark (no timing checks)."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import ROOT


def test_bench_quick_prints_every_figure():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for label in ("(a)", "(b)", "(b')", "(c)", "(d)", "(e)"):
        assert re.search(rf"^{re.escape(label)} .*\d", out, flags=re.M), (label, out)
    assert re.search(r"b/d = \d+\.\d+", out) and re.search(r"c/b = \d+", out), out
    assert "OPENBLAS_CORETYPE=" in out
    assert "same ranks, grades and payouts as the vectorised pipeline: yes" in out
