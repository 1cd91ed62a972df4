#!/usr/bin/env python3
"""How long the explorer takes from a slider change to an updated ranking table (goal: under 0.5 s).

    .venv/bin/python benchmarks/bench_explorer.py [--moves 12]

Moves the 高质量发展 (Q) weight slider to values not seen before (so nothing comes from the explorer's cache),
and times, per move: the table (the moment the table's HTML is replaced, which is when the browser gets it) and
the whole callback (the table plus redrawing the visible chart).  Then moves back to values already seen
(cached results).  Prints the median and the slowest of each.  Then times the dashboard's compare tab and its
two downloads (the comparison workbook, the drafting note).  Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from simkit.present.widgets import Dashboard, Explorer

GOAL = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=12, help="slider moves to time (default 12)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ex = Explorer()
    print(f"explorer built (scenario evaluated, first chart drawn) in {time.perf_counter() - t0:.2f} s")
    stamp: dict[str, float] = {}
    ex.table.observe(lambda _: stamp.__setitem__("table", time.perf_counter()), names="value")
    slider = ex.weight_sliders["Q"]

    def move(value: float) -> tuple[float, float]:
        stamp.clear()
        start = time.perf_counter()
        slider.value = value
        end = time.perf_counter()
        assert ex.error is None, ex.error
        return stamp["table"] - start, end - start

    values = [49.0 - k for k in range(args.moves)]  # 49, 48, ...: each one new
    fresh = [move(v) for v in values]
    cached = [move(v) for v in reversed(values[:-1])]  # back over values already seen
    for label, runs in (("new setting", fresh), ("setting seen before (cached)", cached)):
        table = [t for t, _ in runs]
        total = [t for _, t in runs]
        print(f"{label:30s} slider → table: median {statistics.median(table):.3f} s, slowest {max(table):.3f} s; "
              f"with the visible chart: median {statistics.median(total):.3f} s, slowest {max(total):.3f} s")
    slowest = max(t for t, _ in fresh)
    verdict = "meets" if slowest < GOAL else "MISSES"
    print(f"slowest slider → table on a new setting: {slowest:.3f} s ({verdict} the {GOAL} s goal)")

    board = Dashboard()
    board.explorer.weight_sliders["Q"].value = 35
    for label, step in (("compare tab (bands, budget, bump chart)", board.compare_now),
                        ("comparison workbook", board.make_workbook), ("drafting note (Word)", board.make_brief)):
        t0 = time.perf_counter()
        step()
        print(f"dashboard: {label:40s} {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
