#!/usr/bin/env python3
"""Benchmark of ``simkit.dynamics.project``: the bundled data (8 counties and 48 city departments), the 2018
reform scenario, 10 projected years × 1,000 random paths.  Goal: at most 2 s.

    .venv/bin/python benchmarks/bench_dynamics.py                 # 5 timed runs after a warm-up
    .venv/bin/python benchmarks/bench_dynamics.py --repeat 9 --paths 1000 --years 10

Prints each run's wall-clock and CPU time and their medians.  The warm-up run (imports, first-call costs) is
not counted.  CPU time is this process's own (``time.process_time``); on a busy machine the wall-clock time can
be well above it.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

import simkit
from simkit.dynamics import project

GOAL_S = 2.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="yiyang_2018_reform")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    data = simkit.load_data()
    scenario = simkit.load_scenario(args.scenario)
    n_units = len(data.units)
    print(f"simkit {simkit.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"scenario {scenario.name} ({args.scenario}); {n_units} units; {args.years} years × {args.paths} paths")
    project(scenario, data, years=2, paths=50, seed=args.seed)  # warm-up
    walls, cpus = [], []
    for k in range(args.repeat):
        w, c = time.perf_counter(), time.process_time()
        p = project(scenario, data, years=args.years, paths=args.paths, seed=args.seed)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        print(f"  run {k + 1}: {walls[-1]:.3f} s wall, {cpus[-1]:.3f} s CPU")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    verdict = "within" if wall <= GOAL_S else "OVER"
    print(f"median: {wall:.3f} s wall, {cpu:.3f} s CPU for {args.years} years × {args.paths} paths "
          f"({verdict} the {GOAL_S:g} s goal)")
    # something to show the work was done
    dth = p.bottom_persistence().set_index("name").loc["大通湖区", "p_at_least_m"]
    print(f"check: P(大通湖区 in the bottom grade ≥ {p.bottom_persistence()['m'].iat[0]} of {args.years} years) "
          f"= {dth:.3f}")


if __name__ == "__main__":
    main()
