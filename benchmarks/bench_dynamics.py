#!/usr/bin/env python3
"""Benchmark of ``simkit.analysis.dynamics.project``: the bundled data (8 counties and 48 city departments),
the 2018 reform scenario (scenarios/yiyang_2018_reform.yaml), 10 projected years × 1,000 random paths.
Goal: at most 1 s.

    .venv/bin/python benchmarks/bench_dynamics.py                  # 5 timed runs after a warm-up
    .venv/bin/python benchmarks/bench_dynamics.py --old ../baseline/.venv/bin/python --old-root ../baseline
    .venv/bin/python benchmarks/bench_dynamics.py --memory --units 500 --paths 200 [--old ... --old-root ...]

Every measurement runs in a fresh process (this interpreter for the new code, ``--old`` with ``--old-root``
on its path for another checkout), warm-up not counted; with ``--old`` the two alternate, ``--rounds`` times,
so that both see the same machine load.  Wall-clock and CPU time (``time.process_time``) are printed; on a busy
machine wall-clock can be well above CPU.

``--memory``: peak resident memory (``resource.getrusage(...).ru_maxrss``) of one projection of ``--units``
SYNTHETIC units (``benchmarks/scale_data.write_scale_data``: 30 leaves, 8 observed years, one track) ×
``--paths`` paths × ``--years`` years, in a fresh process, with the memory budget of ``--budget`` MiB (default:
the library's default).  The old code, which evaluated a fixed 500 paths at a time, is measured the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 1.0

#: A scenario for the synthetic scale data (points of the data, 3-year baseline targets with an uplift, grades
#: by quota, a budget-neutral bonus), written as a scenario file would be, so that the old and the new code read
#: the same one.  About 1% of the synthetic values are missing: a baseline from at least one of the three years
#: (``min_years: 1``) on the level keeps every target computable, which the old code needs (it stops at the first
#: cell it cannot score; the new one leaves such cells out and reports them).
SCALE_SCENARIO = {
    "name": "scale", "weights": {"mode": "points", "children": "scale"},
    "defaults": {"measures": {"level": 1},
                 "target": {"rule": "baseline", "years": 3, "min_years": 1, "uplift": 0.02},
                 "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
    "grading": {"grades": [{"name": "A", "share": 0.25}, {"name": "B"}, {"name": "C", "count": 1, "from": "bottom"}]},
    "consequences": {"bonus": {"by": "grade", "factors": {"A": 0.2, "B": 0.0, "C": -0.2},
                               "base_attribute": "bonus_per_head", "per_head": True,
                               "headcount_attribute": "headcount", "pool": "nominal"}},
}

_CHILD = r"""
import json, resource, sys, time
args = json.loads(sys.argv[1])
import simkit
try:
    from simkit.analysis.dynamics import project
    from simkit.io.scenarios import scenario_from_dict
    new = True
except ImportError:  # the code before the redesign
    from simkit.dynamics import project
    from simkit.scenario import scenario_from_dict
    new = False
if args["folder"]:
    data = simkit.load_data(args["folder"])
    scenario = scenario_from_dict(args["scenario"])
else:
    data = simkit.load_data()
    scenario = simkit.load_scenario(args["scenario_file"])
kw = {"memory": args["budget"]} if new and args["budget"] else {}
if args["warm"]:
    project(scenario, data, years=2, paths=50, seed=args["seed"], **kw)
walls, cpus = [], []
for _ in range(args["repeat"]):
    w, c = time.perf_counter(), time.process_time()
    p = project(scenario, data, years=args["years"], paths=args["paths"], seed=args["seed"], **kw)
    walls.append(time.perf_counter() - w)
    cpus.append(time.process_time() - c)
check = None
if not args["folder"]:
    b = p.bottom_persistence().set_index("name")
    check = float(b.loc["大通湖区", "p_at_least_m"])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
print(json.dumps({"wall": walls, "cpu": cpus, "peak": peak, "check": check, "units": len(data.units)}))
"""


def child(python: str, root: str | os.PathLike[str], **args) -> dict:
    """Run one measurement in a fresh process of ``python`` importing simkit from ``root``."""
    env = {**os.environ, "PYTHONPATH": str(Path(root).resolve())}
    proc = subprocess.run([python, "-c", _CHILD, json.dumps(args)], capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def timing(args: argparse.Namespace, runs: list[tuple[str, str, str]]) -> None:
    scenario_file = str(ROOT / "scenarios" / f"{args.scenario}.yaml")
    print(f"scenario {args.scenario}; bundled data; {args.years} years × {args.paths} paths; "
          f"{args.repeat} timed run(s) per process, {args.rounds} round(s)")
    got: dict[str, dict[str, list[float]]] = {label: {"wall": [], "cpu": []} for label, *_ in runs}
    for r in range(args.rounds):
        for label, python, root in runs:
            out = child(python, root, folder=None, scenario=None, scenario_file=scenario_file, years=args.years,
                        paths=args.paths, seed=args.seed, repeat=args.repeat, warm=True, budget=None)
            if "error" in out:
                print(f"  round {r + 1} {label}: failed ({out['error']})")
                continue
            got[label]["wall"] += out["wall"]
            got[label]["cpu"] += out["cpu"]
            runs_text = ", ".join(f"{w:.3f}/{c:.3f}" for w, c in zip(out["wall"], out["cpu"], strict=True))
            print(f"  round {r + 1} {label}: wall/CPU s {runs_text}; check P(大通湖区 bottom ≥ 5 of 10) = "
                  f"{out['check']:.3f}", flush=True)
    for label, t in got.items():
        if t["wall"]:
            wall, cpu = statistics.median(t["wall"]), statistics.median(t["cpu"])
            verdict = "within" if wall <= GOAL_S else "OVER"
            print(f"{label}: median {wall:.3f} s wall, {cpu:.3f} s CPU ({verdict} the {GOAL_S:g} s goal)")


def memory(args: argparse.Namespace, runs: list[tuple[str, str, str]]) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale_data import write_scale_data

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_scale_data(Path(tmp) / f"u{args.units}", args.units)
        print(f"peak memory: {args.units} SYNTHETIC units × 30 leaves, {args.years} years × {args.paths} paths")
        for label, python, root in runs:
            out = child(python, root, folder=str(folder), scenario=SCALE_SCENARIO, scenario_file=None,
                        years=args.years, paths=args.paths, seed=args.seed, repeat=1, warm=False,
                        budget=None if args.budget is None else args.budget << 20)
            if "error" in out:
                print(f"  {label}: failed ({out['error']})")
                continue
            print(f"  {label}: peak RSS {out['peak'] / 2**30:.2f} GiB, {out['wall'][0]:.1f} s wall, "
                  f"{out['cpu'][0]:.1f} s CPU", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="yiyang_2018_reform")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--paths", type=int, default=None, help="default 1000 (timing), 200 (--memory)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per process")
    ap.add_argument("--rounds", type=int, default=1, help="processes per code, alternating")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--old", help="another interpreter to measure (e.g. ../baseline/.venv/bin/python)")
    ap.add_argument("--old-root", default=None, help="the checkout the other interpreter imports simkit from")
    ap.add_argument("--memory", action="store_true", help="measure peak memory on synthetic scale data instead")
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--budget", type=int, default=None, help="memory budget in MiB (new code; default: library's)")
    args = ap.parse_args()
    runs = [("new", sys.executable, str(ROOT))]
    if args.old:
        runs.insert(0, ("old", args.old, args.old_root or str(ROOT)))
    if args.memory:
        args.paths = args.paths or 200
        memory(args, runs)
    else:
        args.paths = args.paths or 1000
        timing(args, runs)


if __name__ == "__main__":
    main()
