"""Running a Monte Carlo: blocks of draws on threads or on a dask.distributed cluster, merged as they finish.

Draws run in blocks (chunks) whose size follows a memory budget; each block is tallied where it ran and the
tallies are added into one running total as blocks finish (integers: any order gives the same total), with
at most two blocks per worker in flight, so that peak memory does not grow with the number of draws.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ...engine.memory import keep_freed_memory
from ...errors import Problem, ScenarioError
from ...io.dataset import Dataset
from ...schema.scenario import Scenario
from .analyze import RunOptions, Tally, UncertaintyResult, sobol_tally
from .evaluate import UncertaintyProblem
from .sample import rows
from .spec import SPEC_SOURCE, UncertaintySpec, as_spec

#: The default memory budget: this share of the machine's memory.
MEMORY_SHARE = 0.25
#: Noise coordinates per draw (bytes) above which a noisy run uses one thread by default (see run_uncertainty).
NOISY_ONE_THREAD_BYTES = 2**20
#: Blocks in flight per worker: one running, one queued (keeps every worker busy, bounds memory).
IN_FLIGHT = 2


def machine_memory() -> int:
    """The machine's physical memory in bytes (4 GiB if the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 4 * 2**30


def run_chunk(p: UncertaintyProblem, options: RunOptions, start: int, stop: int) -> Tally:
    """The tally of draws ``start:stop`` (and, for those below ``sobol_n``, of their Saltelli companions).

    >>> import simkit
    >>> p = UncertaintyProblem(simkit.load_scenario("yiyang_2018_reform"))
    >>> int(run_chunk(p, RunOptions(seed=0, draws=10), 0, 10).rank_hist.sum())
    560
    """
    raw_a = p.sample(options.seed, 0, start, stop)
    s_stop = min(stop, options.sobol_n)
    total: Tally | None = None
    if start < s_stop:  # draws that are also the A matrix of the Saltelli design
        m = s_stop - start
        ra = rows(raw_a, slice(0, m))
        leaves_a = p.leaves(ra)
        parts_a = p.evaluate(ra, leaves=leaves_a)
        total = Tally.of(p, parts_a, start, options)
        rb = p.sample(options.seed, 1, start, s_stop)
        f_ab = {}
        for g in p.groups:
            rab = dict(ra)
            rab[g.label] = rb[g.label]
            same = leaves_a if g.kind == "weights" else None  # the same noise and rule choices as A
            f_ab[g.label] = p.ranks(p.evaluate(rab, money=False, leaves=same), m)
        total.add(sobol_tally(p, p.ranks(parts_a, m), p.ranks(p.evaluate(rb, money=False), m), f_ab, start))
    if s_stop < stop:
        first = max(start, s_stop)
        rest = Tally.of(p, p.evaluate(rows(raw_a, slice(first - start, None))), first, options)
        total = rest if total is None else total.add(rest)
    assert total is not None
    return total


def _fixed_bytes(p: UncertaintyProblem, options: RunOptions) -> int:
    """Memory the run keeps whatever the blocks: the running tally and the kept per-draw rows."""
    u = p.n_units
    tally = 8 * u * (p.max_rank + len(p.grade_names) + 8)
    payouts = 8 * u * options.kept_payouts if p.has_bonus else 0
    sobol = 8 * options.sobol_n * (3 + len(p.groups))
    return tally + payouts + sobol


def block_size(p: UncertaintyProblem, options: RunOptions, workers: int) -> int:
    """Draws per block: ``options.chunk_size``, else what the memory budget allows for ``workers`` blocks in
    flight at once (after what the run keeps anyway), at most what keeps the arrays in the CPU caches.

    >>> import simkit
    >>> p = UncertaintyProblem(simkit.load_scenario("yiyang_2018_reform"))
    >>> small, large = (block_size(p, RunOptions(seed=0, draws=10**6, memory=m), 2) for m in (20e6, 2e9))
    >>> small < large, block_size(p, RunOptions(seed=0, draws=10, chunk_size=64), 2)
    (True, 64)
    """
    if options.chunk_size:
        return int(options.chunk_size)
    memory = machine_memory() * MEMORY_SHARE if options.memory is None else float(options.memory)
    per_block = max(memory - _fixed_bytes(p, options), 0.0) / max(workers, 1)
    return p.chunk_size(per_block)


def in_blocks(fn: Callable[[int, int], Any], bounds: list[tuple[int, int]], n_threads: int,
              merge: Callable[[Any, int], Any]) -> None:
    """``merge(fn(a, b), b − a)`` for every (a, b) of ``bounds``: one after the other, or on a pool of threads
    with at most ``IN_FLIGHT`` blocks per thread in flight (numpy releases the GIL in its array work).  The
    blocks are the parallelism: a BLAS product inside one stays on its thread (with OpenBLAS's threads as well,
    100,000 draws of ``benchmarks/bench.py`` took 0.40 s instead of 0.25 s on 2 cores; and a run on one thread
    then leaves the other cores free); and the C library keeps freed block arrays for the next block
    (``keep_freed_memory``).

    >>> got = []
    >>> in_blocks(lambda a, b: b - a, [(0, 3), (3, 5)], 2, lambda r, n: got.append((r, n)))
    >>> sorted(got)
    [(2, 2), (3, 3)]
    """
    from threadpoolctl import threadpool_limits

    keep_freed_memory()
    with threadpool_limits(limits=1, user_api="blas"):
        if n_threads == 1 or len(bounds) == 1:
            for a, b in bounds:
                merge(fn(a, b), b - a)
            return
        todo: Iterator[tuple[int, int]] = iter(bounds)
        with ThreadPoolExecutor(max_workers=min(n_threads, len(bounds))) as pool:
            pending: dict[Future, int] = {}

            def submit() -> None:
                ab = next(todo, None)
                if ab is not None:
                    pending[pool.submit(fn, *ab)] = ab[1] - ab[0]

            for _ in range(IN_FLIGHT * n_threads):
                submit()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    merge(fut.result(), pending.pop(fut))
                    submit()


def on_dask(client: Any, fn: Callable[..., Any], problem: Any, options: RunOptions, bounds: list[tuple[int, int]],
            merge: Callable[[Any, int], Any]) -> None:
    """``merge(fn(problem, options, a, b), b − a)`` for every (a, b) of ``bounds`` on a dask.distributed cluster:
    the problem sent once, at most ``IN_FLIGHT`` blocks per worker thread in flight (``fn`` a module-level
    function, so that a worker can run it)."""
    from distributed import as_completed

    remote = client.scatter(problem, broadcast=True)
    todo: Iterator[tuple[int, int]] = iter(bounds)
    sizes: dict[str, int] = {}

    def submit() -> Any:
        ab = next(todo, None)
        if ab is None:
            return None
        fut = client.submit(fn, remote, options, *ab, pure=False)
        sizes[fut.key] = ab[1] - ab[0]
        return fut

    n_workers = max(sum(client.nthreads().values()), 1)
    first = [f for f in (submit() for _ in range(IN_FLIGHT * n_workers)) if f is not None]
    done = as_completed(first, with_results=True)
    for fut, result in done:
        merge(result, sizes.pop(fut.key))
        fut.release()
        nxt = submit()
        if nxt is not None:
            done.add(nxt)


def _options(draws: int, seed: int, sobol: bool | int, **kw: Any) -> RunOptions:
    if draws < 2:
        raise ScenarioError(Problem(SPEC_SOURCE, f"draws = {draws}", "use at least 2 draws", field="draws"))
    if seed is None or int(seed) < 0:
        raise ScenarioError(Problem(SPEC_SOURCE, f"seed = {seed!r}", "give a whole number ≥ 0", field="seed"))
    if kw.get("chunk_size") is not None and int(kw["chunk_size"]) < 1:
        raise ScenarioError(Problem(SPEC_SOURCE, f"chunk_size = {kw['chunk_size']}", "use a chunk size of 1 or more"))
    sobol_n = draws if sobol is True else int(sobol or 0)
    sobol_n = min(max(sobol_n, 0), draws)
    return RunOptions(seed=int(seed), draws=int(draws), sobol_n=0 if sobol_n == 1 else sobol_n, **kw)


def run_uncertainty(scenario: Scenario, data: Dataset | None = None,
                    spec: UncertaintySpec | Mapping[str, Any] | None = None, draws: int = 1000, seed: int = 0, *,
                    chunk_size: int | None = None, progress: bool = True, client: Any = None,
                    sobol: bool | int = True, year: int | None = None, payout_sample: int = 20_000,
                    workers: int | None = None, memory: float | None = None) -> UncertaintyResult:
    """Monte Carlo over the spec's uncertain inputs; rank intervals, grade probabilities, Sobol indices.

    - ``draws``: Monte Carlo draws (the A matrix of the Saltelli design);
    - ``sobol``: True = Sobol indices on all draws (cost ``draws × (2 + groups)`` evaluations), an int = on
      the first that many draws, False = none;
    - ``memory``: bytes the blocks of draws in flight may use (default: a quarter of the machine's memory);
      ``chunk_size``: draws per block instead (default: from ``memory``); results do not depend on either;
    - ``client``: a dask.distributed ``Client``: blocks run on its workers, with identical results;
    - ``workers``: without a client, blocks run on this many threads (numpy releases the GIL in its array
      work); default: the number of CPUs (at most 8), but one for data noise of more than a megabyte a draw
      (``NOISY_ONE_THREAD_BYTES``); 1 = one after the other.  Results do not depend on it;
    - ``payout_sample``: payout quantiles use the first this many draws (means use every draw).

    >>> import simkit
    >>> r = run_uncertainty(simkit.load_scenario("yiyang_2018_reform"), draws=200, seed=1, progress=False)
    >>> r.rank_intervals.columns[:8].tolist()
    ['unit', 'name', 'group', 'nominal_rank', 'median_rank', 'mean_rank', 'q05', 'q95']
    """
    if spec is not None:
        spec = as_spec(spec)
    options = _options(draws, seed, sobol, chunk_size=chunk_size, workers=workers, memory=memory,
                       payout_sample=int(payout_sample), progress=bool(progress))
    problem = UncertaintyProblem(scenario, data, spec, year)
    n_threads = min(os.cpu_count() or 1, 8) if workers is None else max(int(workers), 1)
    if workers is None and problem.noise is not None and 8 * len(problem._noise_cells) > NOISY_ONE_THREAD_BYTES:
        # A noisy draw streams its cells through memory: past about a megabyte a draw, two threads share the
        # memory bandwidth and the caches and each runs at half speed or less (3,000 units: 2.3x the CPU, and
        # slower on the clock, than one thread), so the default is then one thread.
        n_threads = 1
    if client is not None:
        n_threads = max(sum(client.nthreads().values()), 1)
    step = block_size(problem, options, n_threads)
    bounds = [(a, min(a + step, draws)) for a in range(0, draws, step)]

    from tqdm.auto import tqdm

    total = Tally.zeros(problem, options)
    bar = tqdm(total=draws, disable=not progress, desc="simkit uncertainty", unit="draw")

    def merge(tally: Tally, n: int) -> None:
        total.add(tally)
        bar.update(n)

    try:
        if client is None:
            in_blocks(lambda a, b: run_chunk(problem, options, a, b), bounds, n_threads, merge)
        else:
            on_dask(client, run_chunk, problem, options, bounds, merge)
    finally:
        bar.close()
    return UncertaintyResult(problem, options, total)
