"""The built wheel is a working simkit: installed outside the checkout, ``simkit run`` and ``simkit compare``
find the shipped scenarios and data by name.

The wheel is installed without its dependencies into a fresh virtual environment whose only other path is
the test environment's site-packages (for numpy, pandas, ...); the checkout's editable install is not on
that path, so everything simkit reads comes from the wheel.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    if shutil.which("git") is None and not (ROOT / "pyproject.toml").exists():
        pytest.skip("no source tree to build from")
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(dist), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    wheel = next(dist.glob("simkit-*.whl"))
    env = work / "venv"
    venv.create(env, with_pip=True)
    py = env / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "simkit_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    inst = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], capture_output=True,
                          text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr
    return env


def _simkit(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = env / ("Scripts" if sys.platform == "win32" else "bin") / "simkit"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_the_wheel_imports_from_itself(installed, tmp_path):
    py = installed / "bin" / "python"
    out = subprocess.run([str(py), "-c", "import simkit; print(simkit.__file__)"], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout
    assert str(installed) in out and str(ROOT) not in out


def test_run_and_compare_by_name_from_the_wheel(installed, tmp_path):
    run = _simkit(installed, "run", "yiyang_2018_reform", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "results.csv").exists() and "大通湖区" in run.stdout
    cmp = _simkit(installed, "compare", "legacy_totals", "yiyang_2018_reform", "--out", str(tmp_path / "cmp"),
                  cwd=tmp_path)
    assert cmp.returncode == 0, cmp.stderr
    assert (tmp_path / "cmp" / "comparison.xlsx").exists()
