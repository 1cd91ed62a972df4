"""What is measured for an indicator (总量、增量、增速): one parameter-free model per measure, with its metadata.

An indicator's rule names the measures in a blend, e.g. ``measures: {increment: 0.4, growth: 0.6}``; each
part is targeted and scored on its own and the shares are blended.  The computations are in
``simkit.rules.measures``.

>>> MEASURE_MODELS["growth"].lag
1
"""

from __future__ import annotations

from typing import ClassVar, Literal

from ._base import Frozen


class Measure(Frozen):
    """A measured quantity; ``lag`` is how many years before the evaluated one it reads."""

    name: ClassVar[str]
    lag: ClassVar[int] = 0


class Level(Measure):
    """总量: the value itself."""

    name: ClassVar[str] = "level"
    lag: ClassVar[int] = 0


class Increment(Measure):
    """增量: x_t − x_{t−1}."""

    name: ClassVar[str] = "increment"
    lag: ClassVar[int] = 1


class Growth(Measure):
    """增速: x_t / x_{t−1} − 1 (undefined from a zero or negative base)."""

    name: ClassVar[str] = "growth"
    lag: ClassVar[int] = 1


MEASURE_MODELS: dict[str, type[Measure]] = {m.name: m for m in (Level, Increment, Growth)}
MeasureName = Literal["level", "increment", "growth"]


def blend_lag(measures: dict[str, float]) -> int:
    """Years before the evaluated one that a blend of measures reads (0 for the level, 1 otherwise).

    >>> blend_lag({"level": 1.0}), blend_lag({"increment": 0.5, "growth": 0.5})
    (0, 1)
    """
    return max(MEASURE_MODELS[m].lag for m in measures)
