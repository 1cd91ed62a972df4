#!/usr/bin/env python3
"""Set up simkit and run its main job, its tests, the notebooks or the dashboard, with nothing but Python 3.11+.

    python3 tasks.py main        # create .venv, install simkit with the notebooks and the dashboard, run the
                                 # 2018 reform against the legacy rules
    python3 tasks.py test        # the same, with the test extras, then every test
    python3 tasks.py notebooks   # JupyterLab on the notebooks (http://127.0.0.1:8888; works as root too)
    python3 tasks.py dashboard   # the explorer as a web page (http://127.0.0.1:8866)

Each is idempotent: a second run reuses .venv and only installs what changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def sh(*cmd: str | Path, check: bool = True, **kw: object) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check, **kw).returncode  # type: ignore[arg-type]


def ensure_env(extras: str = "") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on the system python, before any check
        sys.exit(f"simkit needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
        sh(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    sh(PY, "-m", "pip", "install", "-q", "-e", target)


def ensure_browser() -> None:
    """Headless Chromium for the dashboard test: Debian's package, installed when we are root with apt."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "chromium", env=env)
    else:
        print("note: chromium is not installed and cannot be installed here (needs root and apt); the browser "
              "test will be skipped", flush=True)


def kernel() -> None:
    """A Jupyter kernel named python3 inside .venv, for nbconvert, JupyterLab and the dashboard (Voila)."""
    sh(PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3")


def main_job() -> None:
    ensure_env("notebooks")
    kernel()
    simkit = BIN / "simkit"
    sh(simkit, "compare", "scenarios/legacy_totals.yaml", "scenarios/yiyang_2018_reform.yaml", "--out", "out",
       "--size", "gdp")


def test() -> None:
    ensure_env("test,notebooks,dist")
    kernel()
    ensure_browser()
    lint = sh(BIN / "ruff", "check", "simkit", "tests", "benchmarks", "scripts", "tasks.py", check=False)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    code = sh(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[2:], check=False, env=env)
    if code == 5:
        print("pytest collected no tests: that is a failure here", flush=True)
        code = 1
    if lint and not code:
        print("ruff found problems (above): that is a failure here", flush=True)
        code = 1
    sys.exit(code)


def notebooks() -> None:
    ensure_env("notebooks")
    kernel()
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    sh(BIN / "jupyter", "lab", "--ip=127.0.0.1", "--port=8888", f"--notebook-dir={ROOT / 'notebooks'}", *root,
       *sys.argv[2:], check=False)


def dashboard() -> None:
    ensure_env("notebooks")
    kernel()
    sh(BIN / "simkit", "dashboard", *sys.argv[2:], check=False)


if __name__ == "__main__":
    jobs = {"main": main_job, "test": test, "notebooks": notebooks, "dashboard": dashboard}
    if len(sys.argv) < 2 or sys.argv[1] not in jobs:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(jobs)}}} [pytest args for test]")
    jobs[sys.argv[1]]()
