"""simkit: simulate the rules of a government performance-evaluation scheme (绩效评估) before adopting them.

Data in (a CSV folder or an Excel workbook) → targets → indicator scores → totals → ranks within groups →
grades and consequences, with every rule a parameter of a scenario file.  The layers, one folder each:
``schema`` → ``io`` → ``rules`` → ``engine`` → ``analysis`` → ``present`` → ``cli`` (docs/architecture.md).

>>> import simkit
>>> result = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
>>> int(result.units["rank"].min())
1
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__
from .engine.evaluate import evaluate, evaluate_history
from .engine.result import Result
from .errors import DataError, EvaluationError, Problem, ScenarioError, SimkitError
from .io.dataset import Dataset
from .io.read import load_data
from .io.scenarios import load_scenario
from .schema import levers
from .schema.scenario import Scenario

#: Names loaded when first used (analyses and views import scipy, matplotlib or ipywidgets).
_LAZY = {
    "compare": ("simkit.analysis.compare", "compare"),
    "Comparison": ("simkit.analysis.compare", "Comparison"),
    "explain": ("simkit.present.text", "explain"),
    "ranked_table": ("simkit.present.tables", "ranked_table"),
    "fairness_table": ("simkit.present.tables", "fairness_table"),
    "project": ("simkit.analysis.dynamics", "project"),
    "run_uncertainty": ("simkit.analysis.uncertainty", "run_uncertainty"),
    "read_coinr": ("simkit.io.coinr", "read_coinr"),
    "Explorer": ("simkit.present.widgets", "Explorer"),
    "plots": ("simkit.present.plots", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'simkit' has no attribute {name!r}")


__all__ = [
    "Comparison",
    "DataError",
    "Dataset",
    "EvaluationError",
    "Explorer",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "SimkitError",
    "__version__",
    "compare",
    "evaluate",
    "evaluate_history",
    "explain",
    "fairness_table",
    "levers",
    "load_data",
    "load_scenario",
    "plots",
    "project",
    "ranked_table",
    "read_coinr",
    "run_uncertainty",
]
