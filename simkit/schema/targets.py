"""Target rules (目标值确定规则): the parameter models.  The functions are in ``simkit.rules.targets``.

Each model states its parameters and what it reads: ``span`` (how many years before the evaluated one),
``min_span`` (the fewest of them it can work with) and ``whole_history`` (a ratchet runs from the first
year with enough data).  ``TARGET_MODELS`` collects every model by its ``rule`` name; the scenario's
``target:`` field is built from it.

>>> BaselineTarget(years=3, min_years=2).window(5)
range(2, 5)
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from ._base import Frozen

TARGET_MODELS: dict[str, type[TargetRule]] = {}


class TargetRule(Frozen):
    """A target rule: every subclass names itself with ``rule: Literal[...]`` and is registered."""

    rule: str
    whole_history: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        TARGET_MODELS[cls.model_fields["rule"].default] = cls

    @property
    def span(self) -> int:
        """Years before the evaluated one that the rule reads (0: none)."""
        return 0

    @property
    def min_span(self) -> int:
        """The fewest earlier years the rule can work with."""
        return self.span

    def window(self, t: int) -> range:
        """Indices of the years before ``t`` whose measured values the rule reads."""
        return range(max(0, t - self.span), t)


class NoTarget(TargetRule):
    """No target: for scoring rules that only compare units (rank, min-max, z-score, ...)."""

    rule: Literal["none"] = "none"


class UniformTarget(TargetRule):
    """The same target for every unit (统一目标)."""

    rule: Literal["uniform"] = "uniform"
    value: float = Field(description="The target, in the measured quantity's unit.")


class BaselineTarget(TargetRule):
    """The average of the last ``years`` years with an uplift (近三年平均水平): q = b + d·(|b|·uplift + add).

    d is the indicator's direction, so the uplift always asks for better than the average.
    """

    rule: Literal["baseline"] = "baseline"
    years: int = Field(3, ge=1, le=20, description="How many previous years are averaged.")
    uplift: float = Field(0.0, ge=-1, le=10, description="Relative uplift on the average, e.g. 0.05 = +5%.")
    add: float = Field(0.0, description="Absolute amount added after the uplift (e.g. +0.01 on a growth rate).")
    min_years: int | None = Field(
        None, ge=1, description="Fewest years that must be present; default all `years` of them."
    )

    @model_validator(mode="after")
    def _check(self) -> BaselineTarget:
        if self.min_years is not None and self.min_years > self.years:
            raise ValueError(f"min_years ({self.min_years}) cannot exceed years ({self.years})")
        return self

    @property
    def span(self) -> int:
        return self.years

    @property
    def min_span(self) -> int:
        return self.min_years or self.years


class AssignedTarget(TargetRule):
    """Targets assigned per unit by the functional departments: the data's ``targets`` table (下达目标)."""

    rule: Literal["assigned"] = "assigned"


class DecomposedTarget(TargetRule):
    """The city's target split by each unit's share of the group total (市级目标按份额分解).

    The city target is either given (``city_target``) or the group's total last year grown by
    ``city_growth``.  Shares are each unit's share of the group total over the last ``share_years`` years.
    """

    rule: Literal["decomposed"] = "decomposed"
    city_target: float | None = Field(None, description="The target for the whole group, if set directly.")
    city_growth: float | None = Field(None, description="Growth of the group total over last year.")
    share_years: int = Field(1, ge=1, le=20, description="Years over which each unit's share is averaged.")

    @model_validator(mode="after")
    def _one_source(self) -> DecomposedTarget:
        if (self.city_target is None) == (self.city_growth is None):
            raise ValueError("give exactly one of city_target or city_growth")
        return self

    @property
    def span(self) -> int:
        return self.share_years


class RatchetTarget(TargetRule):
    """The ratchet (棘轮): q_{t+1} = q_t + λ (y_t − q_t), λ_up after a year better than target, λ_down after
    a worse one (better = higher, or lower for a lower-is-better indicator).

    The first target is the average of the ``start_years`` years before the first year with enough data
    (with the uplift), then the ratchet runs forward to the evaluation year.  Weitzman (1980); Leone & Rock
    (2002).
    """

    rule: Literal["ratchet"] = "ratchet"
    whole_history: ClassVar[bool] = True
    lambda_up: float = Field(0.5, ge=0, le=1, description="Adjustment speed after a result better than target.")
    lambda_down: float = Field(0.5, ge=0, le=1, description="Adjustment speed after a result worse than target.")
    start_years: int = Field(3, ge=1, le=20, description="Years averaged for the first target.")
    uplift: float = Field(0.0, ge=-1, le=10, description="Relative uplift on the first (baseline) target.")

    @property
    def span(self) -> int:
        return self.start_years


# The parts a combination may hold: every rule registered above (a combination does not nest, and `none` gives
# no target to combine).  Keep this model last, so that every rule is a possible part.
_PARTS = tuple(m for n, m in TARGET_MODELS.items() if n not in ("none", "combine"))
TargetPart = Annotated[Union[_PARTS], Field(discriminator="rule")]  # noqa: UP007 - built at runtime


class CombineTarget(TargetRule):
    """Several sources combined per unit (多来源目标): e.g. the functional departments' task (assigned), the
    last three years' average (baseline) and the city's decomposition (decomposed) as the seed sets them.

    ``how``: ``max`` takes the most demanding source (the largest for a higher-is-better indicator, the
    smallest for a lower-is-better one), ``min`` the least demanding, ``mean`` their average, ``weighted``
    their average with ``weights``.  A source missing for a unit is skipped (the others are combined, the
    weights renormalised); all missing gives no target.  ``floor`` (optional, e.g. the decomposition) is the
    least the target may ask: the combination is raised to it in the indicator's good direction.
    """

    rule: Literal["combine"] = "combine"
    of: tuple[TargetPart, ...] = Field(
        (AssignedTarget(), BaselineTarget()), min_length=1,
        description="The sources, each a full target rule mapping, e.g. [{rule: assigned}, {rule: baseline, "
        "years: 3, uplift: 0.05}]; default: the assigned target and the 3-year average.")
    how: Literal["max", "min", "mean", "weighted"] = Field(
        "max", description="`max`: the most demanding source (in the indicator's good direction); `min`: the "
        "least demanding; `mean`; `weighted` (with `weights`).")
    weights: tuple[float, ...] | None = Field(
        None, description="With `how: weighted`: one weight (0 or more) per source, in the order of `of`.")
    floor: TargetPart | None = Field(
        None, description="A target rule the combination may not ask less than, e.g. {rule: decomposed, "
        "city_growth: 0.08}; skipped for a unit where it is missing.")

    @model_validator(mode="after")
    def _check_weights(self) -> CombineTarget:
        if self.how == "weighted":
            if self.weights is None or len(self.weights) != len(self.of):
                have = 0 if self.weights is None else len(self.weights)
                raise ValueError(f"how: weighted needs one weight per source: `of` has {len(self.of)} sources and "
                                 f"`weights` {have} — fix: give `weights` with {len(self.of)} numbers")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("the weights must be 0 or more and not all 0 — fix: e.g. weights: [0.5, 0.5]")
        elif self.weights is not None:
            raise ValueError(f"`weights` are read only with how: weighted (how is {self.how}) — fix: remove "
                             "`weights`, or set how: weighted")
        return self

    @property
    def parts(self) -> tuple[TargetRule, ...]:
        """The sources and the floor (if any)."""
        return (*self.of, *(() if self.floor is None else (self.floor,)))

    @property
    def span(self) -> int:
        return max(p.span for p in self.parts)

    @property
    def min_span(self) -> int:
        # a missing source is skipped, so the combination works as soon as one source does
        return min(p.min_span for p in self.of)

    @property
    def whole_history(self) -> bool:  # type: ignore[override]
        return any(p.whole_history for p in self.parts)
