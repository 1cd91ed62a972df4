"""Uncertainty and sensitivity of rankings (不确定性与敏感性分析), as the JRC/OECD composite-indicator practice does
it (Saisana, Saltelli & Tarantola 2005; OECD/JRC Handbook 2008), split as SALib splits it:

- ``spec``: what is uncertain (``UncertaintySpec``: weights, data noise, rule choices; ``default_spec``);
- ``sample``: the input groups and their seeded draws, designs of uniforms, the SALib problem;
- ``evaluate``: ``UncertaintyProblem``, the spec resolved against a scenario and data, and the evaluation of a
  block of draws through the engine (``engine.evaluate.run``: the engine's ``Result`` per block);
- ``analyze``: the tallies, the Sobol estimator (``sobol_indices``) and ``UncertaintyResult`` with its tables
  (``rank_intervals``, ``grade_probabilities``, ``payout_intervals``, ``mean_abs_shift``, ``sensitivity``,
  ``sobol_units``, ``manifest``);
- ``run``: ``run_uncertainty``, on threads or on a dask.distributed cluster.

Before money and careers hang on a rank, this says how much of that rank comes from arbitrary choices.  The
same seed gives the same output, bit for bit, for any chunk size and number of threads, locally or on a
cluster.

>>> import simkit
>>> from simkit.analysis.uncertainty import run_uncertainty
>>> r = run_uncertainty(simkit.load_scenario("yiyang_2018_reform"), draws=100, seed=1, progress=False, sobol=False)
>>> bool(r.rank_intervals[["nominal_rank", "q05", "q95"]].notna().all().all())
True
"""

from __future__ import annotations

from .analyze import RunOptions, Tally, UncertaintyResult, sobol_indices
from .evaluate import Combo, Leaves, Parts, UncertaintyProblem
from .run import run_uncertainty
from .sample import InputGroup
from .spec import DataNoise, RuleChoice, UncertaintySpec, WeightUncertainty, default_spec

__all__ = [
    "Combo",
    "DataNoise",
    "InputGroup",
    "Leaves",
    "Parts",
    "RuleChoice",
    "RunOptions",
    "Tally",
    "UncertaintyProblem",
    "UncertaintyResult",
    "UncertaintySpec",
    "WeightUncertainty",
    "default_spec",
    "run_uncertainty",
    "sobol_indices",
]
