"""simkit: simulate the rules of a government performance-evaluation scheme (绩效评估) before adopting them.

Data in (a CSV folder or an Excel workbook) → targets → indicator scores → totals → ranks within groups →
grades and consequences, with every rule a parameter of a scenario file.

>>> import simkit
>>> result = simkit.evaluate(simkit.load_scenario("yiyang_2018_reform"))
>>> int(result.units["rank"].min())
1
"""

from __future__ import annotations

from ._version import __version__
from .engine.evaluate import evaluate, evaluate_history
from .engine.result import Result
from .errors import DataError, EvaluationError, Problem, ScenarioError, SimkitError
from .io.dataset import Dataset
from .io.read import load_data
from .io.scenarios import load_scenario
from .schema.scenario import Scenario

__all__ = [
    "DataError",
    "Dataset",
    "EvaluationError",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "SimkitError",
    "__version__",
    "evaluate",
    "evaluate_history",
    "load_data",
    "load_scenario",
]
