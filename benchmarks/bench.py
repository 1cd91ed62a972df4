"""simkit speed benchmark: one run prints every figure of issue 6.

    .venv/bin/python benchmarks/bench.py            # the full run (a few minutes; (e) runs 10,000,000 draws)
    .venv/bin/python benchmarks/bench.py --quick    # small sizes, for the smoke test

(a) median time of one full ``simkit.evaluate`` of the bundled reform scenario (every year it needs);
(b) 100,000 Monte Carlo draws (weights ±25%, no Sobol) through the full pipeline on a synthetic data set of
    100 units × 30 indicators in 4 groups: baseline targets, completion scores, totals, ranks within groups,
    quota grades, pooled bonus payouts.  Only the weights vary, so targets and scores are computed once; chunks
    run on one thread per CPU (``run_uncertainty``'s default);
    (b') adds lognormal data noise (targets and scores per draw) on fewer draws, scaled up, for reference;
(c) the same work as a straightforward per-draw pandas loop on a few hundred draws, scaled up (checked to give
    the same ranks, grades and payouts as (b) on those draws);
(d) a bare numpy floor on the same shapes: the weights matmul and one argsort of the totals, timed in turns with
    (b), five of each, the best of each kept (a slower spell of the machine weighs on both alike);
(e) peak memory (max RSS of a fresh process) for 10,000,000 draws of (b);
and the ratios b/d and c/b.  Goals: (a) ≤ 5 ms; (b) ≤ 1 s and b/d ≤ 3 (issue 15; ≤ 5 before it); c/b ≥ 300; (e) ≤ 1 GiB.

    .venv/bin/python benchmarks/bench.py --scale 3000   # (f) only: province scale (issue "Province scale")

(f) peak memory and time of a fresh process for 10,000 weights-only draws on SYNTHETIC data of that many units
    × 30 indicators × 8 years (``benchmarks/scale_data.py``), with a pooled bonus and 2 award slots per unit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_UNITS, N_IND, N_GROUPS, YEARS = 100, 30, 4, (2014, 2015, 2016, 2017, 2018)
PILLARS = ("E", "G", "S", "P", "R")


# ------------------------------------------------------------------------------------------ the data
def synthetic(n_units: int = N_UNITS, n_ind: int = N_IND, seed: int = 7):
    """A synthetic data set (units × indicators × 5 years) and a reform-like scenario for it."""
    from simkit.io.scenarios import scenario_from_dict
    from simkit.io.validate import build_dataset

    rng = np.random.default_rng(seed)
    units = pd.DataFrame({
        "unit": [f"U{k:03d}" for k in range(n_units)], "name": [f"单位{k:03d}" for k in range(n_units)],
        "group": [f"G{k % N_GROUPS}" for k in range(n_units)],
        "headcount": rng.integers(20, 200, n_units).astype(str), "bonus_per_head": "10000",
    })
    per = n_ind // len(PILLARS)
    leaves = [f"x{k:02d}" for k in range(n_ind)]
    ind = pd.DataFrame({
        "indicator": [*PILLARS, *leaves], "name": [*PILLARS, *leaves],
        "parent": [""] * len(PILLARS) + [PILLARS[min(k // per, len(PILLARS) - 1)] for k in range(n_ind)],
        "direction": ["1"] * len(PILLARS) + ["-1" if k % 7 == 3 else "1" for k in range(n_ind)],
        "weight": ["20"] * len(PILLARS) + [str(rng.integers(1, 6)) for _ in range(n_ind)],
    })
    size = rng.lognormal(3.0, 0.8, (n_units, 1))
    level = size * rng.lognormal(0.0, 0.3, (n_units, n_ind))
    growth = 1.0 + rng.normal(0.07, 0.04, (n_units, n_ind, len(YEARS)))
    vals = level[:, :, None] * np.cumprod(growth, axis=2)
    u, i, y = np.meshgrid(np.arange(n_units), np.arange(n_ind), np.arange(len(YEARS)), indexing="ij")
    obs = pd.DataFrame({"unit": units["unit"].to_numpy()[u.ravel()], "indicator": np.array(leaves)[i.ravel()],
                        "year": np.array(YEARS)[y.ravel()].astype(str), "value": vals.ravel().astype(str)})
    data = build_dataset({"units": units, "indicators": ind, "observations": obs}, source="synthetic benchmark",
                         synthetic=True)
    blend = {"measures": {"increment": 0.5, "growth": 0.5}, "target": {"rule": "baseline", "years": 3,
                                                                        "uplift": 0.05}}
    scenario = scenario_from_dict({
        "name": "benchmark", "weights": {"mode": "points", "children": "scale",
                                         "values": dict.fromkeys(PILLARS, 20)},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "baseline", "years": 3, "uplift": 0.02},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
        "indicators": {"E": blend},
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share", "grades": [
            {"name": "优秀", "share": 0.25}, {"name": "良好", "share": 0.5}, {"name": "一般"},
            {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {"bonus": {"by": "grade", "factors": {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2},
                                   "pool": "nominal"}},
    })
    return data, scenario


def bench_spec(noise: float | None = None):
    from simkit.analysis.uncertainty import DataNoise, UncertaintySpec, WeightUncertainty

    return UncertaintySpec(weights=(WeightUncertainty(name="weights:pillars", levels=(1,)),
                                    WeightUncertainty(name="weights:indicators", levels=(2,))),
                           noise=DataNoise(sd=noise) if noise else None)


# ------------------------------------------------------------------------------------------ timings
def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def median_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def completion(m: float, q: float, d: float) -> float:
    """Completion ratio against the target, capped at 120% (lower is better: target / value)."""
    inverse = d < 0 and q > 0
    r = (q / m if m > 0 else np.inf) if inverse else 1.0 + d * (m - q) / abs(q)
    return float(np.clip(r, 0.0, 1.2))


def pandas_loop(data, scenario, nodes: tuple[str, ...], weights: np.ndarray) -> dict[str, np.ndarray]:
    """The same pipeline as the engine, written the straightforward way: one pandas pass per draw."""
    cube = data.observations.pivot_table(index=["unit", "indicator"], columns="year", values="value")
    ind = data.indicators.set_index("indicator")
    units = data.units.set_index("unit")
    year = max(data.years)
    years = sorted(data.years)
    t = years.index(year)
    grades = [g.name for g in scenario.grading.grades]
    factors = scenario.consequences.bonus.factors
    base = units["headcount"] * units["bonus_per_head"]
    ranks, grade_out, payouts = [], [], []
    for w in weights:
        wd = dict(zip(nodes, w, strict=True))
        rows = []
        for (unit, leaf), series in cube.iterrows():
            x = series[years].to_numpy(dtype=float)
            d = ind.at[leaf, "direction"]
            pillar = ind.at[leaf, "parent"]
            if pillar == "E":
                parts = []
                for name in ("increment", "growth"):
                    m = np.diff(x) if name == "increment" else x[1:] / x[:-1] - 1.0
                    base_avg = m[t - 4 : t - 1].mean()
                    parts.append(completion(m[t - 1], base_avg + d * abs(base_avg) * 0.05, d))
                share = 0.5 * parts[0] + 0.5 * parts[1]
            else:
                base_avg = x[t - 3 : t].mean()
                share = completion(x[t], base_avg + d * abs(base_avg) * 0.02, d)
            rows.append({"unit": unit, "leaf": leaf, "pillar": pillar, "score": 100.0 * share, "w": wd[leaf]})
        df = pd.DataFrame(rows)
        df["ws"] = df["w"] * df["score"]
        pil = df.groupby(["unit", "pillar"]).agg(ws=("ws", "sum"), w=("w", "sum"))
        pil["score"] = pil["ws"] / pil["w"]
        pil = pil.reset_index()
        pil["pw"] = pil["pillar"].map(wd)
        tot = pil.assign(x=pil["pw"] * pil["score"]).groupby("unit").agg(x=("x", "sum"), pw=("pw", "sum"))
        total = (tot["x"] / tot["pw"]).round(6)
        frame = pd.DataFrame({"total": total, "group": units.loc[total.index, "group"]})
        frame["rank"] = frame.groupby("group")["total"].rank(method="min", ascending=False)
        frame["rank_max"] = frame.groupby("group")["total"].rank(method="max", ascending=False)
        frame["grade"] = ""
        for _, part in frame.groupby("group"):
            n = len(part)
            last = part.index[part["rank"] == part["rank"].max()]
            taken = last if len(last) == 1 and n > 1 else last[:0]  # a tied bottom block is spared
            frame.loc[taken, "grade"] = "较差"
            left = part.index.difference(taken)
            used = 0
            for g, share in (("优秀", 0.25), ("良好", 0.5)):
                q = int(np.floor(round(share * n, 9)))
                cand = frame.loc[left]
                cand = cand[cand["grade"] == ""]
                through = cand["rank_max"] - used
                before = cand["rank"] - 1 - used
                get = cand.index[(through <= q) | (before < q)]
                frame.loc[get, "grade"] = g
                used += len(get)
            rest = frame.loc[left].index[frame.loc[left, "grade"] == ""]
            frame.loc[rest, "grade"] = "一般"
        raw = base.loc[frame.index] * (1.0 + frame["grade"].map(factors))
        pay = raw * base.sum() / raw.sum()
        order = list(data.unit_ids)
        ranks.append(frame.loc[order, "rank"].to_numpy())
        grade_out.append(frame.loc[order, "grade"].map(grades.index).to_numpy())
        payouts.append(pay.loc[order].to_numpy())
    return {"rank": np.array(ranks), "grade": np.array(grade_out), "payout": np.array(payouts)}


def memory_child(draws: int, chunk: int | None) -> None:
    """Run (b) for ``draws`` draws in this process and print the peak RSS."""
    import resource

    from simkit.analysis.uncertainty import run_uncertainty

    data, scenario = synthetic()
    r = run_uncertainty(scenario, data, bench_spec(), draws=draws, seed=1, sobol=False, progress=False,
                        chunk_size=chunk)
    _ = r.rank_intervals
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def scale_scenario(n_units: int):
    """A reform-like scenario for the scale data: 3-year baselines, completion, quota grades, a pooled bonus and
    2 award slots per unit."""
    from simkit.io.scenarios import scenario_from_dict

    return scenario_from_dict({
        "name": "province scale", "weights": {"mode": "points", "children": "scale",
                                              "values": {"A": 40, "B": 30, "C": 20, "D": 10}},
        "defaults": {"measures": {"level": 1}, "target": {"rule": "baseline", "years": 3, "min_years": 1,
                                                          "uplift": 0.02},
                     "scoring": {"rule": "completion", "floor": 0, "cap": 1.2}},
        "ranking": {"ties": "min", "decimals": 6},
        "grading": {"rounding": "floor", "ties": "share", "grades": [
            {"name": "优秀", "share": 0.25}, {"name": "良好", "share": 0.5}, {"name": "一般"},
            {"name": "较差", "count": 1, "from": "bottom"}]},
        "consequences": {
            "bonus": {"by": "grade", "factors": {"优秀": 0.2, "良好": 0.1, "一般": 0.0, "较差": -0.2},
                      "pool": "nominal", "base_attribute": "bonus_per_head", "per_head": True},
            "awards": {"quota": 2 * n_units, "weights": {"优秀": 1.5, "良好": 1.2, "一般": 1.0, "较差": 0.5},
                       "per_head": False},
        },
    })


def scale_child(folder: str, draws: int) -> None:
    """Run (f) in this process and print the seconds and the peak RSS."""
    import resource

    import simkit
    from simkit.analysis.uncertainty import run_uncertainty

    data = simkit.load_data(folder)
    t = time.perf_counter()
    r = run_uncertainty(scale_scenario(len(data.units)), data, bench_spec(), draws=draws, seed=1, sobol=False,
                        progress=False)
    _ = r.rank_intervals, r.payout_intervals
    print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def scale(n_units: int, draws: int = 10_000) -> None:
    """(f): write the scale data, run a fresh process on it."""
    import tempfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale_data import write_scale_data

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_scale_data(Path(tmp) / f"u{n_units}", n_units)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, __file__, "--scale-child", str(folder), str(draws)],
                             capture_output=True, text=True, env=env, check=True).stdout.split()
    print(f"(f) {draws:,} weights-only draws, {n_units:,} units × 30 indicators × 8 years, 2 award slots per unit: "
          f"{float(out[-2]):.1f} s, peak memory {int(out[-1]) / 2**20:.0f} MiB (max RSS of a fresh process)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test): the figures, not the goals")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--chunk-size", type=int, default=None, help="draws per chunk (default: automatic)")
    ap.add_argument("--scale", type=int, default=None, help="(f) only: peak memory at this many units")
    ap.add_argument("--scale-child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scale_child is not None:
        scale_child(args.scale_child[0], int(args.scale_child[1]))
        return
    if args.scale is not None:
        scale(args.scale)
        return
    if args.memory_child is not None:
        memory_child(args.memory_child, args.chunk_size)
        return
    if args.floor_child:
        rng = np.random.default_rng(0)
        weights, scores = rng.random((100_000, N_IND)), rng.random((N_UNITS, N_IND))
        print(best_of(lambda: np.argsort(weights @ scores.T, axis=1), 5))
        return

    import simkit
    from simkit.analysis.uncertainty import UncertaintyProblem, run_uncertainty

    quick = args.quick
    n_b = 5_000 if quick else 100_000
    n_noise = 200 if quick else 2_000
    n_c = 3 if quick else 200
    n_e = 50_000 if quick else 10_000_000
    print(f"simkit benchmark{' (--quick: small sizes, goals not meaningful)' if quick else ''}")
    print(f"numpy {np.__version__}, pandas {pd.__version__}, {os.cpu_count()} CPUs, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # (a) one full evaluation of the bundled reform scenario
    scenario = simkit.load_scenario("yiyang_2018_reform")
    bundled = simkit.load_data()
    simkit.evaluate(scenario, bundled)
    a = median_of(lambda: simkit.evaluate(scenario, bundled), 5 if quick else 31)
    print(f"(a) simkit.evaluate, bundled reform scenario, median: {a * 1e3:.2f} ms   [goal ≤ 5 ms]")
    from simkit.engine.compile import _compile_plan, compile_plan, inputs_of
    from simkit.engine.evaluate import run

    plan = compile_plan(scenario, bundled)
    inputs, t = inputs_of(plan), plan.year_index(bundled.years[-1])

    # uncached: evaluate keeps the compiled plan of a (scenario, data) pair and reuses it
    a_compile = median_of(lambda: _compile_plan(scenario, bundled), 5 if quick else 31)
    a_stages = median_of(lambda: run(plan, inputs, [t]), 5 if quick else 31)
    print(f"    for reference, one year alone: compile_plan (uncached) {a_compile * 1e3:.2f} ms, the stages "
          f"(targets … payouts) {a_stages * 1e3:.2f} ms; evaluate runs every year from the first with a 3-year "
          "baseline through the stages in one batch, since progress awards and accountability need the history")

    # (b) draws through the full pipeline, weights only
    data, sc = synthetic()
    spec = bench_spec()
    run_uncertainty(sc, data, spec, draws=2_000, seed=0, sobol=False, progress=False)  # warm up
    # (b) and (d) in turns, best of each: a slower spell of the machine then weighs on both alike
    rng = np.random.default_rng(0)
    weights = rng.random((100_000, N_IND))
    scores = rng.random((N_UNITS, N_IND))

    def floor() -> None:
        totals = weights @ scores.T
        np.argsort(totals, axis=1)

    b_times, d_times = [], []
    for _ in range(1 if quick else 5):
        b_times.append(best_of(lambda: run_uncertainty(sc, data, spec, draws=n_b, seed=1, sobol=False,
                                                       progress=False, chunk_size=args.chunk_size), 1))
        d_times.append(best_of(floor, 1))
    b, d = min(b_times), min(d_times)
    b_100k = b * 100_000 / n_b
    print(f"(b) {n_b:,} draws, {N_UNITS} units × {N_IND} indicators, full pipeline: {b:.3f} s"
          f"{'' if n_b == 100_000 else f' (= {b_100k:.3f} s per 100,000)'}   [goal ≤ 1 s]")
    b1 = best_of(lambda: run_uncertainty(sc, data, spec, draws=n_b, seed=1, sobol=False, progress=False,
                                         chunk_size=args.chunk_size, workers=1), 1 if quick else 2)
    print(f"    on one thread (workers=1): {b1:.3f} s{'' if n_b == 100_000 else ' (for the quick sizes)'}")
    nspec = bench_spec(noise=0.05)
    bn = best_of(lambda: run_uncertainty(sc, data, nspec, draws=n_noise, seed=1, sobol=False, progress=False), 1)
    print(f"(b') with data noise (targets and scores per draw): {n_noise:,} draws {bn:.3f} s "
          f"= {bn * 100_000 / n_noise:.2f} s per 100,000 (for reference, no goal)")

    # (c) the per-draw pandas loop
    problem = UncertaintyProblem(sc, data, spec)
    raw = problem.sample(1, 0, 0, n_c)
    combo = problem.combos[()]
    w = combo.weights(problem.groups, raw, n_c)
    t0 = time.perf_counter()
    loop = pandas_loop(data, sc, combo.plan.tree.nodes, w)
    c = (time.perf_counter() - t0) * 100_000 / n_c
    out = problem.evaluate(raw)[0][1]  # one rule alternative: one part, the engine's result for every draw
    same = (np.array_equal(loop["rank"], out["rank"][:, 0]) and np.array_equal(loop["grade"], out["grade"][:, 0])
            and np.allclose(loop["payout"], out["payout"][:, 0], rtol=1e-9))
    print(f"(c) per-draw pandas loop: {n_c} draws in {c * n_c / 100_000:.2f} s → {c:.1f} s per 100,000 "
          f"(same ranks, grades and payouts as the vectorised pipeline: {'yes' if same else 'NO'})")

    # (d) the bare numpy floor: weights matmul + argsort, measured in turns with (b) above
    print(f"(d) numpy floor (100,000 × {N_IND} @ {N_IND} × {N_UNITS} matmul + argsort of 100,000 × {N_UNITS}): "
          f"{d:.3f} s")
    if os.environ.get("OPENBLAS_CORETYPE"):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        res = subprocess.run([sys.executable, __file__, "--floor-child"], capture_output=True, text=True, env=env,
                             check=True)
        print(f"    the same floor with OPENBLAS_CORETYPE unset (OpenBLAS picks its kernels): "
              f"{float(res.stdout.strip().splitlines()[-1]):.3f} s")

    # (e) peak memory
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, __file__, "--memory-child", str(n_e)], capture_output=True, text=True,
                         env=env, check=True)
    te = time.perf_counter() - t0
    peak = int(res.stdout.strip().splitlines()[-1])
    print(f"(e) peak memory (max RSS of a fresh process), {n_e:,} draws: {peak / 2**20:.0f} MiB "
          f"({te:.1f} s wall)   [goal ≤ 1024 MiB]")

    print(f"ratios: b/d = {b_100k / d:.2f}   [goal ≤ 3]   c/b = {c / b_100k:.0f}   [goal ≥ 300]")
    if not quick:
        goals = {"(a) ≤ 5 ms": a <= 0.005, "(b) ≤ 1 s": b_100k <= 1.0, "b/d ≤ 3": b_100k / d <= 3,
                 "c/b ≥ 300": c / b_100k >= 300, "(e) ≤ 1 GiB": peak <= 2**30}
        print("goals: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in goals.items()))


if __name__ == "__main__":
    main()
