"""What is uncertain (不确定的输入): the frozen, validated spec of an uncertainty analysis.

- **weights** (``WeightUncertainty``): chosen tree levels, nodes or the children of nodes, each weight drawn
  uniformly within ±``spread`` of its nominal value (as COINr's ``get_sensitivity`` does), or the weights of
  each set of siblings drawn from a Dirichlet around their nominal proportions (mean = nominal, ``concentration``
  = α₀; the set keeps its nominal total);
- **data noise** (``DataNoise``): every observed value the rules read (the evaluation year and the years the
  targets read) multiplied by ``exp(sd·z)`` (lognormal, median 1, signs kept) or ``1 + sd·z`` (normal), ``z``
  standard normal, independently per unit, indicator and year; assigned targets are not noised;
- **rule choices** (``RuleChoice``): named alternatives, each a list of levers (``simkit.schema.levers``) applied
  to the scenario, drawn with given probabilities (equal by default).

Each is one named input group of the Sobol indices (``weights:Q``, ``noise``, ``choice:blend``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ...engine.compile import compile_plan
from ...errors import Problem, ScenarioError
from ...io.dataset import Dataset
from ...schema.levers import AnyLever, Lever, Override
from ...schema.scenario import Scenario

SPEC_SOURCE = "uncertainty spec"


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightUncertainty(_Spec):
    """Weights of chosen tree nodes drawn around their nominal values.

    Select nodes by ``levels`` (tree depth: 1 = first-level indicators, 2 = their sub-indicators, ...),
    ``nodes`` (their own weights) and/or ``children_of`` (the weights of these nodes' children).  All
    selected weights form one input group for the Sobol indices, named ``name`` (default ``weights:<what>``).

    >>> WeightUncertainty(levels=(1,)).label
    'weights:level1'
    """

    name: str | None = Field(None, description="Input-group name, e.g. `weights:Q`.")
    levels: tuple[int, ...] = Field((), description="Tree depths whose nodes' weights vary (1 = first level).")
    nodes: tuple[str, ...] = Field((), description="Node ids whose own weights vary.")
    children_of: tuple[str, ...] = Field((), description="Node ids whose children's weights vary.")
    distribution: Literal["uniform", "dirichlet"] = Field(
        "uniform", description="`uniform`: each weight within ±spread of nominal (COINr); `dirichlet`: "
        "each set of selected siblings from a Dirichlet with mean = nominal proportions.")
    spread: float = Field(0.25, ge=0, lt=1, description="Uniform: relative half-width, 0.25 = ±25%.")
    concentration: float = Field(100.0, gt=0, description="Dirichlet: α₀ = sum of the parameters (larger = tighter).")

    @model_validator(mode="after")
    def _something(self) -> WeightUncertainty:
        if not (self.levels or self.nodes or self.children_of):
            raise ValueError("select weights by `levels`, `nodes` or `children_of`")
        if any(lv < 1 for lv in self.levels):
            raise ValueError("levels count from 1 (the first-level indicators); the root has no weight to vary")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        parts = [f"level{lv}" for lv in self.levels] + list(self.nodes) + list(self.children_of)
        return "weights:" + "+".join(parts)


class DataNoise(_Spec):
    """Multiplicative noise on the observed values (measurement error).

    >>> DataNoise(sd=0.02).label
    'noise'
    """

    sd: float = Field(gt=0, le=1, description="Standard deviation of the log factor (lognormal) or the factor.")
    distribution: Literal["lognormal", "normal"] = Field(
        "lognormal", description="`lognormal`: × exp(sd·z), median 1, signs kept; `normal`: × (1 + sd·z).")
    indicators: tuple[str, ...] = Field((), description="Leaf indicators with noise; default all of the tree.")
    years: Literal["all", "evaluation"] = Field(
        "all", description="`all`: every year the rules read up to the evaluation year (targets read earlier "
        "years); `evaluation`: the evaluation year only.")
    name: str = Field("noise", description="Input-group name.")

    @property
    def label(self) -> str:
        return self.name


def _as_levers(alternative: Any) -> Any:
    """One alternative as a list of levers: a lever, a list of levers, or (the old form) a scenario override,
    which becomes ``Override(changes=...)`` (``{}``: no change)."""
    if isinstance(alternative, Lever):
        return (alternative,)
    if isinstance(alternative, Mapping):
        if "lever" in alternative:
            return (alternative,)
        return (Override(changes=dict(alternative)),) if alternative else ()
    if isinstance(alternative, list | tuple):
        return tuple(Override(changes=dict(x)) if isinstance(x, Mapping) and "lever" not in x else x
                     for x in alternative)
    return alternative


class RuleChoice(_Spec):
    """A discrete rule choice: named alternatives, each a lever or a list of levers applied to the scenario.

    The old form, a scenario override per alternative, is still read (as ``Override(changes=...)``).

    >>> from simkit.schema.levers import SetBlend
    >>> c = RuleChoice(name="blend", alternatives={"50/50": [], "40/60": [SetBlend(growth=0.6, where=("Q",))]})
    >>> c.label, c.alternatives["50/50"], c.cumulative.tolist()
    ('choice:blend', (), [0.5, 1.0])
    >>> RuleChoice(name="old", alternatives={"a": {}, "b": {"ranking": {"ties": "max"}}}).alternatives["b"][0].lever
    'override'
    """

    name: str = Field(description="Choice name; the input group is `choice:<name>`.")
    alternatives: dict[str, tuple[AnyLever, ...]] = Field(
        description="Alternative name → levers, e.g. {'50/50': [], '40/60': [SetBlend(growth=0.6, where=('Q',))]}; "
        "`[]` is the scenario as it is.", min_length=1)
    probabilities: tuple[float, ...] | None = Field(None, description="Probability of each alternative; default equal.")

    @field_validator("alternatives", mode="before")
    @classmethod
    def _levers(cls, v: Any) -> Any:
        return {k: _as_levers(a) for k, a in v.items()} if isinstance(v, Mapping) else v

    @model_validator(mode="after")
    def _probs(self) -> RuleChoice:
        p = self.probabilities
        if p is not None:
            if len(p) != len(self.alternatives):
                raise ValueError(f"choice {self.name}: {len(p)} probabilities for {len(self.alternatives)} "
                                 "alternatives")
            if any(x < 0 for x in p) or abs(sum(p) - 1.0) > 1e-9:
                raise ValueError(f"choice {self.name}: probabilities must be ≥ 0 and sum to 1")
        return self

    @property
    def label(self) -> str:
        return f"choice:{self.name}"

    @property
    def cumulative(self) -> np.ndarray:
        k = len(self.alternatives)
        p = np.full(k, 1.0 / k) if self.probabilities is None else np.asarray(self.probabilities, dtype=float)
        return np.cumsum(p)


class UncertaintySpec(_Spec):
    """The uncertain inputs: weight groups, data noise and rule choices (each a named input group).

    >>> UncertaintySpec(weights=(WeightUncertainty(levels=(1,)),), noise=DataNoise(sd=0.02)).labels
    ('weights:level1', 'noise')
    """

    weights: tuple[WeightUncertainty, ...] = ()
    noise: DataNoise | None = None
    choices: tuple[RuleChoice, ...] = ()

    @model_validator(mode="after")
    def _groups(self) -> UncertaintySpec:
        labels = list(self.labels)
        if not labels:
            raise ValueError("state at least one uncertain input: weights, noise or choices")
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"input-group names must be unique; repeated: {', '.join(dup)}")
        return self

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple([w.label for w in self.weights] + ([self.noise.label] if self.noise else [])
                     + [c.label for c in self.choices])


def spec_error(exc: ValidationError) -> ScenarioError:
    """A spec's validation errors as problems naming the field."""
    return ScenarioError([Problem(SPEC_SOURCE, e["msg"].removeprefix("Value error, "),
                                  "correct the uncertainty spec (see simkit.analysis.uncertainty)",
                                  field=".".join(str(p) for p in e["loc"]) or None) for e in exc.errors()])


def as_spec(spec: UncertaintySpec | Mapping[str, Any]) -> UncertaintySpec:
    """A spec, or a mapping validated into one (its problems as a ``ScenarioError``).

    >>> as_spec({"noise": {"sd": 0.02}}).labels
    ('noise',)
    """
    if isinstance(spec, UncertaintySpec):
        return spec
    try:
        return UncertaintySpec.model_validate(spec)
    except ValidationError as exc:
        raise spec_error(exc) from None


def default_spec(scenario: Scenario, data: Dataset | None = None, *, spread: float = 0.25,
                 noise: float | None = None, distribution: str = "uniform") -> UncertaintySpec:
    """The usual JRC-style spec: first-level weights (``weights:level1``) and, for each first-level node with
    children, its children's weights (``weights:<node>``), uniform within ±spread; optional lognormal noise.

    >>> import simkit
    >>> default_spec(simkit.load_scenario("yiyang_2018_reform")).labels
    ('weights:level1', 'weights:Q', 'weights:B', 'weights:P', 'weights:S')
    """
    if data is None:
        from ...io.read import load_data

        data = load_data()
    tree = compile_plan(scenario, data).tree
    order = {n: k for k, n in enumerate(data.indicators["indicator"])}
    firsts = sorted((n for k, n in enumerate(tree.nodes) if tree.depth[k] == 1 and len(tree.children[k])),
                    key=lambda n: order.get(n, len(order)))
    try:
        groups = [WeightUncertainty(levels=(1,), distribution=distribution, spread=spread)]
        groups += [WeightUncertainty(name=f"weights:{n}", children_of=(n,), distribution=distribution, spread=spread)
                   for n in firsts]
        return UncertaintySpec(weights=tuple(groups), noise=DataNoise(sd=noise) if noise else None)
    except ValidationError as exc:
        raise spec_error(exc) from None
