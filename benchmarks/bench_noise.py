"""Issue 11, item 5: what a Monte Carlo draw with data noise costs against drawing its random numbers alone.

    .venv/bin/python benchmarks/bench_noise.py            # about two minutes
    .venv/bin/python benchmarks/bench_noise.py --quick    # small sizes, for the smoke test

Two shapes: the speed benchmark's synthetic data (``bench.synthetic``: 100 units × 30 indicators × 5 years, a
3-year baseline of increments and growth rates for one pillar and of levels for the others, completion scores,
quota grades and a pooled bonus; 15,000 noised cells, so 15,000 random factors per draw) and the bundled reform
(``yiyang_2018_reform`` with ``default_spec(noise=0.02)``; 56 units, 3,800 noised cells).  For each, in one run:

- **noisy**: time per draw of ``run_uncertainty(..., sobol=False)`` with lognormal data noise and the weights
  varied, the whole call (set-up included, blocks as it chooses them), on one thread (``workers=1``) and on
  the default threads (one per CPU, at most 8);
- **random numbers alone**: time per draw of numpy's ``Generator.standard_normal`` (float64) for the same count
  (draws × noise coordinates), into one buffer per block of the same size, on the same number of threads (one
  generator per thread);
- **ratio** noisy / random numbers alone  [goal ≤ 3];
- **weights-only** draw, for reference (the same spec without noise).

Every figure is the best of ``--repeat`` rounds (default 5), the configurations interleaved within a round so
that a load on the machine from other jobs hits them alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def rng_alone(draws: int, dim: int, block: int, threads: int) -> None:
    """``draws × dim`` standard normals, a block of rows at a time into a buffer, on ``threads`` threads."""
    bounds = [(a, min(a + block, draws)) for a in range(0, draws, block)]

    def one(ab: tuple[int, int]) -> None:
        rng = np.random.default_rng(ab[0])
        rng.standard_normal(out=np.empty((ab[1] - ab[0], dim)))

    if threads == 1:
        for ab in bounds:
            one(ab)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, bounds))


def shapes(quick: bool) -> list[tuple]:
    """(label, data, scenario, noisy spec, weights-only spec, noisy draws, weights-only draws)."""
    from bench import bench_spec, synthetic

    import simkit
    from simkit.analysis.uncertainty import default_spec

    data, sc = synthetic()
    bundled = simkit.load_data()
    reform = simkit.load_scenario("yiyang_2018_reform")
    return [
        ("synthetic 100 × 30 × 5 (bench.py)", data, sc, bench_spec(noise=0.02), bench_spec(),
         400 if quick else 4_000, 4_000 if quick else 40_000),
        ("bundled reform (56 units)", bundled, reform, default_spec(reform, bundled, noise=0.02),
         default_spec(reform, bundled), 800 if quick else 8_000, 4_000 if quick else 40_000),
    ]


def measure(data, sc, spec, wspec, n: int, n_w: int, repeat: int, threads: int) -> tuple[int, dict, dict]:
    """Noise coordinates per draw, the block sizes and the best seconds of every configuration."""
    from simkit.analysis.uncertainty import RunOptions, UncertaintyProblem, run_uncertainty
    from simkit.analysis.uncertainty.run import block_size

    p = UncertaintyProblem(sc, data, spec)
    dim = next(g.dim for g in p.groups if g.kind == "noise")
    run_uncertainty(sc, data, spec, draws=min(n, 500), seed=0, sobol=False, progress=False)  # warm up
    counts = tuple(dict.fromkeys((1, threads)))
    blocks = {w: block_size(p, RunOptions(seed=1, draws=n, workers=w), w) for w in counts}
    jobs = {}
    for w in counts:
        jobs[f"noisy{w}"] = (run_uncertainty, (sc, data, spec), {"draws": n, "workers": w})
        jobs[f"rng{w}"] = (rng_alone, (n, dim, blocks[w], w), {})
        jobs[f"weights{w}"] = (run_uncertainty, (sc, data, wspec), {"draws": n_w, "workers": w})
    best = dict.fromkeys(jobs, np.inf)
    for _ in range(repeat):
        for key, (fn, args, kw) in jobs.items():
            if fn is run_uncertainty:
                kw = {**kw, "seed": 1, "sobol": False, "progress": False}
            t0 = time.perf_counter()
            fn(*args, **kw)
            best[key] = min(best[key], time.perf_counter() - t0)
    return dim, blocks, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test): the figures, not the goal")
    ap.add_argument("--repeat", type=int, default=None, help="rounds; each figure is the best (default 5, quick 1)")
    args = ap.parse_args()
    repeat = args.repeat or (1 if args.quick else 5)
    threads = min(os.cpu_count() or 1, 8)
    print(f"simkit noise benchmark{' (--quick: small sizes, goal not meaningful)' if args.quick else ''}")
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, default threads {threads}, best of {repeat} rounds, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    goal_met = True
    for label, data, sc, spec, wspec, n, n_w in shapes(args.quick):
        dim, blocks, best = measure(data, sc, spec, wspec, n, n_w, repeat, threads)
        print(f"\n{label}: {dim:,} random factors per draw; {n:,} noisy draws, {n_w:,} weights-only draws")
        for w, block in blocks.items():
            noisy, rng, weights = best[f"noisy{w}"] / n, best[f"rng{w}"] / n, best[f"weights{w}"] / n_w
            ratio = noisy / rng
            goal_met &= ratio <= 3.0
            print(f"  {w} thread{'s' if w > 1 else ' '} (blocks of {block:,}): noisy draw {noisy * 1e6:7.1f} µs, its "
                  f"random numbers alone {rng * 1e6:6.1f} µs → ratio {ratio:4.2f} [goal ≤ 3]; weights-only draw "
                  f"{weights * 1e6:5.1f} µs (noisy = {noisy / weights:5.1f}×)")
    if not args.quick:
        verdict = 'met' if goal_met else 'NOT met'
        print(f"\ngoal (ratio ≤ 3 on both shapes, one thread and the default threads): {verdict}")


if __name__ == "__main__":
    main()
