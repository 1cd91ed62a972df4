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
from .errors import DataError, EvaluationError, Problem, ScenarioError, SimkitError

#: The public names, loaded when first used, so that ``import simkit`` (and the command line's start) stays
#: light: the engine imports pandas, the analyses scipy, the views matplotlib and ipywidgets.
_LAZY = {
    "evaluate": ("simkit.engine.evaluate", "evaluate"),
    "evaluate_history": ("simkit.engine.evaluate", "evaluate_history"),
    "Result": ("simkit.engine.result", "Result"),
    "Dataset": ("simkit.io.dataset", "Dataset"),
    "load_data": ("simkit.io.read", "load_data"),
    "load_scenario": ("simkit.io.scenarios", "load_scenario"),
    "Scenario": ("simkit.schema.scenario", "Scenario"),
    "levers": ("simkit.schema.levers", None),
    "compare": ("simkit.analysis.compare", "compare"),
    "Comparison": ("simkit.analysis.compare", "Comparison"),
    "explain": ("simkit.present.text", "explain"),
    "ranked_table": ("simkit.present.tables", "ranked_table"),
    "fairness_table": ("simkit.present.tables", "fairness_table"),
    "project": ("simkit.analysis.dynamics", "project"),
    "run_uncertainty": ("simkit.analysis.uncertainty", "run_uncertainty"),
    "read_coinr": ("simkit.io.coinr", "read_coinr"),
    "Explorer": ("simkit.present.widgets", "Explorer"),
    "Dashboard": ("simkit.present.dashboard", "Dashboard"),
    "plots": ("simkit.present.plots", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Comparison",
    "Dashboard",
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
