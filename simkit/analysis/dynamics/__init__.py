"""Projections over years (动态模拟): random growth paths, targets that follow the scenario's own rule, and
who ends up where, year after year.

``project(scenario, data, years=10, paths=1000, seed=0)`` continues every unit's indicators past the last
observed year and evaluates each projected year with the engine's stages, for many paths at once:

- **Growth** (``growth``): ``x_t = x_{t−1} · exp(μ + σ·ε + c_t)``, μ and σ from each unit's own history
  (``estimate_growth``) unless set; an optional common shock; bounds.
- **Targets** follow the scenario's rule on the simulated history; assigned targets (下达目标) of projected
  years grow at the unit's drift or stay — a stated assumption.
- **Behaviour** (``behaviour``, off by default): ``EffortResponse``, ``HoldBack``.
- **Outcome** (``Projection``): one ``Result`` over paths × projected years, tracked indicators, the growth
  table, the stated assumptions and the cells left out on some paths.

>>> import simkit
>>> p = project(simkit.load_scenario("yiyang_2018_reform"), years=2, paths=10, units=["区县市"])
>>> p.result["rank"].shape
(10, 2, 8)
"""

from __future__ import annotations

from ..persistence import persistence_difference
from ..stats import wilson
from .behaviour import Behaviour, EffortResponse, HoldBack
from .growth import BLOCK, BOUNDED_UNITS, AssignedTargets, CommonShock, OwnGrowth, UserGrowth, estimate_growth
from .paths import default_memory
from .project import LadderStart, LeftOut, NoAdjustments, Projection, Tracked, project

__all__ = [
    "BLOCK",
    "BOUNDED_UNITS",
    "AssignedTargets",
    "Behaviour",
    "CommonShock",
    "EffortResponse",
    "HoldBack",
    "LadderStart",
    "LeftOut",
    "NoAdjustments",
    "OwnGrowth",
    "Projection",
    "Tracked",
    "UserGrowth",
    "default_memory",
    "estimate_growth",
    "persistence_difference",
    "project",
    "wilson",
]
