"""A SYNTHETIC data set of any size, and how long reading it takes (issue "One house", item 6: goal ≤ 2 s CPU
for 3,000 units × 30 leaf indicators × 8 years).

    .venv/bin/python benchmarks/scale_data.py                       # 3,000 and 30,000 units, this checkout
    .venv/bin/python benchmarks/scale_data.py --units 3000 --old ../baseline/.venv/bin/python --old-path ../baseline

Each load runs in a fresh process and is timed with ``time.process_time()`` around ``load_data(folder)``
(the import of simkit is not counted).  ``--old`` times another interpreter (and ``--old-path`` another
checkout) on the same files in the same run; it uses ``simkit.io.read.load_data`` or, before the redesign,
``simkit.data.load_data``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PILLARS = (("A", "经济发展", "Economic development", 40), ("B", "民生保障", "Public services", 30),
           ("C", "生态环境", "Environment", 20), ("D", "党的建设", "Party building", 10))
FIRST_YEAR = 2011
README = """# SYNTHETIC scale data / 合成的规模测试数据

EVERY NUMBER IN THIS FOLDER IS SYNTHETIC: written at random by `benchmarks/scale_data.py`
(`write_scale_data(folder, n_units={n_units}, n_indicators={n_indicators}, years={years}, seed={seed})`) to time
the reader. 本文件夹中的数字均为随机生成，仅用于测试读取速度。
"""


def _groups(n_units: int, rng: np.random.Generator) -> np.ndarray:
    """A group label per unit, in groups of 8 to 50 units (the last group takes the remainder, at least 8)."""
    sizes: list[int] = []
    left = n_units
    while left > 0:
        size = int(rng.integers(8, 51))
        size = left if left - size < 8 else size
        sizes.append(size)
        left -= size
    return np.repeat([f"G{k:04d}" for k in range(len(sizes))], sizes)


def _indicators(n_indicators: int, rng: np.random.Generator) -> pd.DataFrame:
    """Four first-level nodes with the leaves under them; both levels' points sum to 100."""
    leaves = [f"x{k:02d}" for k in range(1, n_indicators + 1)]
    pillar = np.arange(n_indicators) * len(PILLARS) // n_indicators
    points = np.zeros(n_indicators, dtype=int)
    for p, (*_, total) in enumerate(PILLARS):
        mine = np.flatnonzero(pillar == p)
        points[mine] = total // len(mine)
        points[mine[: total % len(mine)]] += 1
    return pd.DataFrame({
        "indicator": [p[0] for p in PILLARS] + leaves,
        "name": [p[1] for p in PILLARS] + [f"指标{k}" for k in range(1, n_indicators + 1)],
        "name_en": [p[2] for p in PILLARS] + [f"Indicator {k}" for k in range(1, n_indicators + 1)],
        "parent": [""] * len(PILLARS) + [PILLARS[p][0] for p in pillar],
        "direction": ["1"] * len(PILLARS) + ["-1" if rng.random() < 0.2 else "1" for _ in leaves],
        "measure_unit": "",
        "weight": [str(p[3]) for p in PILLARS] + [str(p) for p in points],
        "track": "",
        "kind": ["objective"] * len(PILLARS) + ["subjective" if k % 10 == 9 else "objective"
                                                 for k in range(n_indicators)],
    })


def write_scale_data(folder: str | os.PathLike[str], n_units: int, n_indicators: int = 30, years: int = 8,
                     seed: int = 0, *, targets: bool = True, adjustments: bool = True) -> Path:
    """Write a SYNTHETIC long-form CSV data set of ``n_units`` × ``n_indicators`` leaves × ``years``; the folder.

    About 1% of the observed values are empty (missing).  ``targets`` adds assigned targets for the first two
    leaves; ``adjustments`` adds a few bonus and deduction rows and a few vetoes.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.array([f"U{k:05d}" for k in range(1, n_units + 1)])
    pd.DataFrame({
        "unit": ids, "name": [f"单位{k:05d}" for k in range(1, n_units + 1)],
        "name_en": [f"Unit {k:05d}" for k in range(1, n_units + 1)], "group": _groups(n_units, rng), "track": "",
        "headcount": rng.integers(20, 3000, n_units), "bonus_per_head": rng.choice([20000, 25000, 30000], n_units),
    }).to_csv(folder / "units.csv", index=False)
    ind = _indicators(n_indicators, rng)
    ind.to_csv(folder / "indicators.csv", index=False)

    level = rng.lognormal(3.0, 0.8, (n_units, 1)) * rng.lognormal(0.0, 0.3, (n_units, n_indicators))
    values = level[:, :, None] * np.cumprod(1.0 + rng.normal(0.07, 0.04, (n_units, n_indicators, years)), axis=2)
    text = np.char.mod("%.2f", values.ravel()).astype(object)
    text[rng.random(text.size) < 0.01] = ""
    leaves = ind["indicator"].to_numpy()[len(PILLARS):]
    all_years = np.arange(FIRST_YEAR, FIRST_YEAR + years)
    u, i, t = (a.ravel() for a in np.meshgrid(np.arange(n_units), np.arange(n_indicators), np.arange(years),
                                              indexing="ij"))
    pd.DataFrame({"unit": ids[u], "indicator": leaves[i], "year": all_years[t], "value": text}).to_csv(
        folder / "observations.csv", index=False)
    if targets:
        sel = i < min(2, n_indicators)
        pd.DataFrame({"unit": ids[u[sel]], "indicator": leaves[i[sel]], "year": all_years[t[sel]],
                      "target": np.round(values.ravel()[sel] * rng.uniform(0.95, 1.1, sel.sum()), 2)}).to_csv(
            folder / "targets.csv", index=False)
    if adjustments:
        n = max(3, n_units // 100)
        kind = np.array(["bonus"] * n + ["deduction"] * n + ["veto"] * max(2, n // 5))
        pd.DataFrame({
            "unit": rng.choice(ids, kind.size), "year": rng.choice(all_years, kind.size), "kind": kind,
            "value": np.where(kind == "veto", 0.0, rng.choice([0.5, 1.0, 2.0], kind.size)),
            "reason": np.where(kind == "veto", "发生较大安全生产事故", "获省级表彰"),
        }).to_csv(folder / "adjustments.csv", index=False)
    (folder / "README.md").write_text(README.format(n_units=n_units, n_indicators=n_indicators, years=years,
                                                    seed=seed), encoding="utf-8")
    return folder


_CHILD = """
import sys, time
try:
    from simkit.io.read import load_data
except ImportError:
    from simkit.data import load_data
start = time.process_time()
data = load_data(sys.argv[1])
print(time.process_time() - start, len(data.observations))
"""


def time_load(folder: Path, python: str = sys.executable, path: str | os.PathLike[str] = ROOT) -> tuple[float, int]:
    """CPU seconds of one ``load_data(folder)`` in a fresh process of ``python`` importing simkit from ``path``."""
    env = {**os.environ, "PYTHONPATH": str(Path(path).resolve())}
    out = subprocess.run([python, "-c", _CHILD, str(folder)], capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir(), check=True).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--repeat", type=int, default=1, help="loads per size and interpreter (the best counts)")
    parser.add_argument("--old", help="another interpreter to time on the same files (e.g. the released one)")
    parser.add_argument("--old-path", default=None, help="the checkout the other interpreter imports simkit from")
    args = parser.parse_args()
    runs = [("new", sys.executable, ROOT)]
    if args.old:
        runs.append(("old", args.old, args.old_path or ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.units:
            folder = write_scale_data(Path(tmp) / f"u{n}", n)
            for label, python, path in runs:
                best = min(time_load(folder, python, path)[0] for _ in range(args.repeat))
                print(f"{n:>7,} units × 30 × 8 years: {label} {best:6.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
