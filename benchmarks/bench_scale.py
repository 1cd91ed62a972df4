"""Province scale: every analysis at 56, 500, 3,000 and 30,000 units, in fresh processes, with peak memory, the
numpy floor for the same shapes measured in the same run, and the growth exponent between sizes.

    .venv/bin/python benchmarks/bench_scale.py                      # 56 (bundled), 500, 3000 units
    .venv/bin/python benchmarks/bench_scale.py --units 500 3000 30000 --tasks load evaluate
    .venv/bin/python benchmarks/bench_scale.py --quick              # a smoke run: small sizes and draws

The data (``benchmarks/scale_data.py``: 30 leaf indicators under 4 first-level nodes, 8 years, groups of 8–50,
a few bonus points and vetoes, labelled SYNTHETIC) are written once into the system's temp folder.  The
scenario: 3-year baseline targets with an uplift, completion scoring with a cap, grades by quota, a pooled
bonus, award slots (2 per unit), progress awards and the accountability ladder (so every year the rules allow is
evaluated), and a veto condition.  Every task runs in its own process (``time.process_time`` around the work,
imports and data generation not counted; peak memory is the process's maximum resident set size).  The numpy
floor is the least any implementation must do for the task's shapes: the weighted sum of the leaf scores and an
argsort of the totals, per draw or year.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = ("load", "evaluate", "compare", "fairness", "mc_weights", "mc_noise", "sobol", "dynamics", "explain")
DRAWS = {"mc_weights": 10_000, "mc_noise": 1_000, "sobol": 500}
PATHS, YEARS_AHEAD = 200, 10


def scenario(reform: bool = True):
    from simkit.schema.scenario import Scenario

    doc = {
        "name": "规模测试方案" if reform else "规模测试·旧规则",
        "weights": {"mode": "points", "children": "scale", "values": {"A": 40, "B": 30, "C": 20, "D": 10}},
        "defaults": ({"measures": {"level": 1}, "target": {"rule": "baseline", "years": 3, "uplift": 0.03},
                      "scoring": {"rule": "completion", "cap": 1.2}} if reform else
                     {"measures": {"level": 1}, "target": {"rule": "none"}, "scoring": {"rule": "leader"}}),
        "adjustments": {"bonus_cap": 3, "veto": {"best_grade": "一般",
                                                 "conditions": [{"indicator": "x30", "at_least": 1e9}]}},
        "grading": {"grades": [{"name": "优秀", "share": 0.25}, {"name": "良好", "share": 0.5}, {"name": "一般"},
                               {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {
            "bonus": {"factors": {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2}, "pool": "nominal"},
            "awards": {"quota": 0, "weights": {"优秀": 1.5, "良好": 1.2, "一般": 1.0, "较差": 0.5}},
            "progress": {"rule": "places", "min_places": 2},
            "accountability": {"bottom_grades": ["较差"]},
        },
    }
    return Scenario.model_validate(doc)


def data_folder(n_units: int) -> Path:
    """The bundled data for 56 units, else a synthetic folder written once."""
    if n_units == 56:
        return ROOT / "simkit" / "datasets" / "yiyang"
    from benchmarks.scale_data import write_scale_data

    folder = Path(tempfile.gettempdir()) / f"simkit-scale-{n_units}"
    if not (folder / "observations.csv").exists():
        write_scale_data(folder, n_units)
    return folder


def _scenarios(n_units: int):
    """The two scenarios of the task (the bundled reform and legacy rules for the bundled data)."""
    if n_units == 56:
        from simkit.io.scenarios import load_scenario

        return load_scenario("yiyang_2018_reform"), load_scenario("legacy_totals")
    reform = scenario(True)
    quota = 2 * n_units  # two award slots per unit
    return reform.override({"consequences": {"awards": {"quota": quota}}}), \
        scenario(False).override({"consequences": {"awards": {"quota": quota}}})


def _memory() -> int | None:
    """The memory budget of the Monte Carlo and the projections (``--memory GiB``, as on an office PC)."""
    gib = os.environ.get("SIMKIT_BENCH_MEMORY_GIB")
    return int(float(gib) * 2**30) if gib else None


def run_task(task: str, n_units: int, quick: bool) -> dict:
    """One task in this process: CPU seconds of the work, and what the numpy floor takes for its shapes."""
    import numpy as np

    from simkit.io.read import load_data

    folder = data_folder(n_units)
    t0 = time.process_time()
    data = load_data(folder)
    if task == "load":
        return {"cpu": time.process_time() - t0, "floor": _floor(data, 1)}
    import scipy.stats  # noqa: F401 - imported where used (compare, fairness): not part of the timed work

    import simkit
    import simkit.analysis.fairness
    import simkit.analysis.uncertainty
    import simkit.present.tables
    import simkit.present.text

    simkit.compare, simkit.project  # noqa: B018
    reform, legacy = _scenarios(n_units)
    draws = max(DRAWS.get(task, 1) // (20 if quick else 1), 16)
    t0 = time.process_time()
    if task == "evaluate":
        r = simkit.evaluate(reform, data)
        r.units, r.indicators  # noqa: B018 - both tables are part of the work
        reps = len(r.years)
    elif task == "compare":
        simkit.compare(legacy, reform, data).units  # noqa: B018
        reps = 2
    elif task == "fairness":
        size = "gdp" if n_units == 56 else "headcount"
        simkit.fairness_table([legacy, reform], data, size=size, n_boot=200 if quick else 1000)
        reps = 10
    elif task == "explain":
        r = simkit.evaluate(reform, data)
        for u in data.unit_ids[:20]:
            simkit.explain(r, u)
        reps = 1
    elif task in ("mc_weights", "mc_noise", "sobol"):
        from simkit.analysis.uncertainty import DataNoise, default_spec, run_uncertainty

        spec = default_spec(reform, data, noise=0.02 if task == "mc_noise" else None)
        res = run_uncertainty(reform, data, spec, draws=draws, seed=1, sobol=task == "sobol", progress=False,
                              memory=_memory())
        res.rank_intervals, res.payout_intervals  # noqa: B018
        reps = draws * ((2 + len(spec.labels)) if task == "sobol" else 1)
        del DataNoise
    elif task == "dynamics":
        paths = 20 if quick else PATHS
        simkit.project(reform, data, years=YEARS_AHEAD, paths=paths, seed=1, memory=_memory())
        reps = paths * YEARS_AHEAD
    else:
        raise SystemExit(f"unknown task {task}")
    cpu = time.process_time() - t0
    np.random.default_rng(0)
    return {"cpu": cpu, "floor": _floor(data, reps)}


def _floor(data, reps: int) -> float:
    """numpy floor: ``reps`` weighted sums of (units × leaves) scores and an argsort of the totals."""
    import numpy as np

    u, leaves = len(data.unit_ids), len(data.leaves)
    rng = np.random.default_rng(0)
    scores = rng.random((u, leaves))
    batch = max(1, min(reps, 2_000_000 // max(u, 1)))
    w = rng.random((batch, leaves))
    t0 = time.process_time()
    done = 0
    while done < reps:
        b = min(batch, reps - done)
        totals = w[:b] @ scores.T
        np.argsort(totals, axis=1)
        done += b
    return time.process_time() - t0


def child(task: str, n_units: int, quick: bool) -> None:
    out = run_task(task, n_units, quick)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[56, 500, 3000])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("TASK", "UNITS"), help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each task N times, each in a fresh process, and keep the median CPU time (and the "
                    "largest peak memory): the short tasks' exponents are then less at the mercy of one run")
    ap.add_argument("--memory", type=float, default=None, metavar="GiB",
                    help="memory budget of the Monte Carlo and the projections (default: theirs, a share of this "
                    "machine's memory); e.g. 2 for an office PC with 8 GiB")
    a = ap.parse_args()
    if a.child:
        child(a.child[0], int(a.child[1]), a.quick)
        return
    for n in a.units:  # write the data sets first, outside the timed processes
        data_folder(n)
    rows = []
    for task in a.tasks:
        row = {"task": task}
        for n in a.units:
            cmd = [sys.executable, __file__, "--child", task, str(n), *(["--quick"] if a.quick else [])]
            env = {**os.environ, "PYTHONHASHSEED": "0",
                   **({"SIMKIT_BENCH_MEMORY_GIB": str(a.memory)} if a.memory else {})}
            runs, err = [], "failed"
            for _ in range(max(1, a.repeat)):
                try:
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout, env=env)
                    got = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
                    if got is None and proc.stderr:
                        err = proc.stderr.strip().splitlines()[-1]
                except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError):
                    got = None
                if got is None:
                    break
                runs.append(got)
            if len(runs) < max(1, a.repeat):
                row[n] = {"error": err[:80]}
            else:
                runs.sort(key=lambda r: r["cpu"])
                row[n] = {**runs[len(runs) // 2], "peak_mib": max(r["peak_mib"] for r in runs)}
        rows.append(row)
        _print_row(row, a.units)
    _print_exponents(rows, a.units)


def _print_row(row: dict, sizes: list[int]) -> None:
    cells = []
    for n in sizes:
        r = row[n]
        if "error" in r:
            cells.append(f"{n:>6}: {r['error']}")
        else:
            ratio = r["cpu"] / r["floor"] if r.get("floor") else float("nan")
            cells.append(f"{n:>6}: {r['cpu']:8.3f} s CPU, {r['peak_mib']:7.0f} MiB, ×{ratio:7.1f} floor")
    print(f"{row['task']:<11} " + " | ".join(cells), flush=True)


def _print_exponents(rows: list[dict], sizes: list[int]) -> None:
    big = [n for n in sizes if n >= 500]
    if len(big) < 2:
        return
    a, b = big[-2], big[-1]
    print(f"\ngrowth exponent between {a:,} and {b:,} units: log(t_b / t_a) / log(b / a)")
    for row in rows:
        ra, rb = row.get(a, {}), row.get(b, {})
        if "cpu" in ra and "cpu" in rb and ra["cpu"] > 0:
            print(f"  {row['task']:<11} {math.log(rb['cpu'] / ra['cpu']) / math.log(b / a):.2f}")


if __name__ == "__main__":
    main()
