"""simkit: simulate the rules of a government performance-evaluation scheme (绩效评估) before adopting them.

Data in (a CSV folder or an Excel workbook) → targets → indicator scores → totals → ranks within groups →
grades, with every rule a parameter of a scenario file.

>>> import simkit
>>> result = simkit.evaluate(simkit.load_scenario("scenarios/yiyang_2018_reform.yaml"))
>>> int(result.units["rank"].min())
1
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

from .coinr import read_coinr
from .compare import Comparison, compare
from .data import Dataset, load_data
from .dynamics import EffortResponse, HoldBack, Projection, project
from .errors import DataError, EvaluationError, Problem, ScenarioError, SimkitError
from .explain import Explanation, explain
from .fairness import fairness_table, shock_invariance
from .result import Result, evaluate, evaluate_history
from .scenario import Scenario, load_scenario
from .uncertainty import (
    DataNoise,
    RuleChoice,
    UncertaintyResult,
    UncertaintySpec,
    WeightUncertainty,
    default_spec,
    main_effects,
    replay_weights,
    run_uncertainty,
    sobol_indices,
    what_would_it_take,
)


def __getattr__(name: str):
    if name == "Explorer":
        from .widgets import Explorer

        return Explorer
    if name in ("plots", "widgets"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'simkit' has no attribute {name!r}")


__all__ = [
    "Comparison",
    "DataError",
    "DataNoise",
    "Dataset",
    "EffortResponse",
    "EvaluationError",
    "Explanation",
    "Explorer",
    "HoldBack",
    "Problem",
    "Projection",
    "Result",
    "RuleChoice",
    "Scenario",
    "ScenarioError",
    "SimkitError",
    "UncertaintyResult",
    "UncertaintySpec",
    "WeightUncertainty",
    "__version__",
    "compare",
    "default_spec",
    "evaluate",
    "evaluate_history",
    "explain",
    "fairness_table",
    "load_data",
    "load_scenario",
    "main_effects",
    "project",
    "read_coinr",
    "replay_weights",
    "run_uncertainty",
    "shock_invariance",
    "sobol_indices",
    "what_would_it_take",
]
