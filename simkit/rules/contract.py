"""The contract every registered rule keeps (as scikit-learn's ``check_estimator`` does for estimators).

``check_rule(family, name)`` runs a registered rule on random inputs and checks, where they apply:

- **registered**: the family's parameter model (``simkit.schema``) and its function (here) exist in pairs;
- **missing values isolated**: a missing input gives a missing output in its own cell and nowhere else;
- **groups isolated**: changing one group's inputs leaves the other groups' outputs alone;
- **order invariance**: permuting the units permutes the outputs;
- **equal inputs, equal outputs**: units with identical inputs in one group get identical outputs;
- **batch invariance**: a batch of draws gives what each draw gives alone.

A new rule is one model, one function and one registry entry; ``tests/rules/test_contract.py`` runs this over
every entry of every family, so nothing else has to be written for it.

>>> check_rule("scoring", "efficacy")
>>> sorted(FAMILIES)
['consequences', 'grading', 'measures', 'ranking', 'scoring', 'targets']
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from ..errors import RuleInputError
from ..schema.consequences import Accountability, Awards, Bonus, Progress, VetoEffects
from ..schema.grading import Grade, Grading
from ..schema.measures import MEASURE_MODELS
from ..schema.ranking import TIE_RULES
from ..schema.scoring import SCORING_MODELS
from ..schema.targets import TARGET_MODELS
from .consequences import award_slots, bonus_factor, look_back
from .grading import assign_grades
from .measures import MEASURES
from .ranking import group_rank, group_ranks
from .scoring import SCORING_RULES
from .targets import TARGET_RULES, TargetContext


def example(model: type[BaseModel]) -> BaseModel:
    """A valid instance of a parameter model: its defaults, with required fields filled by type, and optional
    numbers set one at a time until the model validates (e.g. a decomposed target's city growth)."""
    values: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        if not f.is_required():
            continue
        ann = f.annotation
        origin = typing.get_origin(ann)
        values[name] = (1.0, 0.9, 0.8) if origin is tuple else (1 if ann is int else 0.1)
    try:
        return model(**values)
    except ValidationError:
        for name, f in model.model_fields.items():
            if not f.is_required() and f.default is None:
                try:
                    return model(**values, **{name: 0.05})
                except ValidationError:
                    continue
        raise


# ------------------------------------------------------------------------------------------ the families
def _targets(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    params = example(TARGET_MODELS[name])
    fn = TARGET_RULES[name]

    def run(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
        # x: (B, U) values of the evaluation year; history: the same values ×0.9, ×0.95 before it
        m = np.stack([x * 0.9, x * 0.95, x * 0.97, x], axis=-1)
        assigned = np.where(np.isnan(m), np.nan, m * 1.01)
        ctx = TargetContext(assigned, groups, np.ones(1), (2015, 2016, 2017, 2018))
        return fn(params, m, 3, ctx)

    return run


def _scoring(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    params = example(SCORING_MODELS[name])
    fn = SCORING_RULES[name]

    def run(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
        m = x[..., None]
        q = np.where(np.isnan(m), np.nan, 50.0)
        return fn(params, m, q, np.ones(1), groups)[..., 0]

    return run


def _measures(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    fn = MEASURES[name]

    def run(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
        series = np.stack([x * 0.9, x], axis=-1)
        return fn(series)[0][..., -1]

    return run


def _ranking(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    return lambda x, groups: group_rank(x, groups, name)


_GRADING = Grading(grades=(Grade(name="A", share=0.25), Grade(name="B", min_score=40), Grade(name="C"),
                           Grade(name="D", count=1, **{"from": "bottom"})))


def _grading(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def run(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
        lo, hi = group_ranks(x, groups, ("min", "max"))
        grade = assign_grades(x, lo, hi, groups, _GRADING).astype(float)
        return np.where(grade < 0, np.nan, grade)

    return run


def _consequences(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    names = tuple(g.name for g in _GRADING.grades)

    def grades(x: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = group_ranks(x, groups, ("min", "max"))
        return assign_grades(x, lo, hi, groups, _GRADING), lo, hi

    def run(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
        g, lo, hi = grades(x, groups)
        none = np.zeros(x.shape, dtype=bool)
        if name == "bonus":
            b = Bonus(factors={"A": 0.2, "B": 0.1, "C": 0.0, "D": -0.2}, amount=1000.0, base_attribute=None)
            return bonus_factor(b, g, names, rank_lo=lo, rank_hi=hi, score=x, group_codes=groups, vetoed=none,
                                veto=VetoEffects())
        if name == "awards":
            a = Awards(quota=0, weights={"A": 2.0, "B": 1.0}, per_head=False, scope="group")
            return award_slots(a, g, names, lo, None, groups, none, VetoEffects()).astype(float)
        progress, acc = Progress(rule="score", top_n=1), Accountability(bottom_grades=("D",))
        res = look_back(lo, x, g, none, groups, lo * 0 + 2.0, x * 0.9, np.zeros(x.shape, dtype=int),
                        progress=progress if name == "progress" else None,
                        accountability=acc if name == "accountability" else None, veto_progress="keep",
                        grade_names=names)
        out = (res[3] if name == "progress" else res[4]).astype(float)
        return np.where(np.isnan(x), np.nan, out)

    return run


#: family → (rule names, adapter: name → fn(x (B, U), groups (U,)) → (B, U), properties that do not apply).
FAMILIES: dict[str, tuple[tuple[str, ...], Callable[[str], Callable[..., np.ndarray]], dict[str, set[str]]]] = {
    "measures": (tuple(MEASURES), _measures, {}),
    # a target is read from the history, so a missing value this year may still have one
    "targets": (tuple(TARGET_RULES), _targets, {n: {"missing"} for n in TARGET_RULES}),
    "scoring": (tuple(SCORING_RULES), _scoring, {}),
    # `first` breaks ties by position (the engine adds the unit id as the last key)
    "ranking": (TIE_RULES, _ranking, {"first": {"equal", "order"}}),
    "grading": (("quota_bands",), _grading, {"quota_bands": {"missing"}}),
    "consequences": (("bonus", "awards", "progress", "accountability"), _consequences,
                     {"bonus": {"missing"}, "awards": {"missing"}, "progress": {"missing"},
                      "accountability": {"missing"}}),
}


def check_registered() -> None:
    """Every parameter model has a function and every function a model, in the families that have models."""
    for family, models, fns in (("measures", MEASURE_MODELS, MEASURES), ("targets", TARGET_MODELS, TARGET_RULES),
                                ("scoring", SCORING_MODELS, SCORING_RULES)):
        if set(models) != set(fns):
            raise AssertionError(f"{family}: models {sorted(set(models) - set(fns))} have no function, functions "
                                 f"{sorted(set(fns) - set(models))} have no model")


def _call(fn: Callable[..., np.ndarray], x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(fn(x, groups), dtype=float)
    except RuleInputError as exc:  # a rule may refuse values (e.g. negatives): those cells count as missing
        return _call(fn, np.where(np.asarray(exc.mask).reshape(x.shape), np.nan, x), groups)


def check_rule(family: str, name: str, *, seed: int = 0, trials: int = 5) -> None:
    """Check one registered rule's contract on random inputs; raise ``AssertionError`` saying what broke."""
    names, adapter, skip = FAMILIES[family]
    if name not in names:
        raise AssertionError(f"{family} has no rule {name!r} (it has {', '.join(names)})")
    check_registered()
    fn = adapter(name)
    skip_here = skip.get(name, set())
    rng = np.random.default_rng(seed)
    for trial in range(trials):
        u = 9
        groups = np.repeat(np.arange(3), 3)
        x = rng.uniform(10.0, 90.0, size=(2, u)).round(1)
        out = _call(fn, x, groups)
        where = f"{family} rule {name!r} (trial {trial})"
        # batch invariance
        for b in range(2):
            if not np.array_equal(_call(fn, x[b : b + 1], groups)[0], out[b], equal_nan=True):
                raise AssertionError(f"{where}: a draw evaluated alone differs from the same draw in a batch")
        # order invariance
        perm = rng.permutation(u)
        permuted = _call(fn, x[:, perm], groups[perm])
        if "order" not in skip_here and not np.allclose(permuted, out[:, perm], equal_nan=True):
            raise AssertionError(f"{where}: permuting the units does not permute the outputs")
        # groups isolated
        y = x.copy()
        y[:, groups == 0] = rng.uniform(10.0, 90.0, size=(2, 3)).round(1)
        if not np.allclose(_call(fn, y, groups)[:, groups != 0], out[:, groups != 0], equal_nan=True):
            raise AssertionError(f"{where}: changing group 0 changes the outputs of other groups")
        # missing values isolated: no missing output in another group, and (where it applies) in its own cell
        z = x.copy()
        z[:, 4] = np.nan
        res = _call(fn, z, groups)
        if "missing" not in skip_here and not np.isnan(res[:, 4]).all():
            raise AssertionError(f"{where}: a missing input does not give a missing output")
        if (np.isnan(res[:, groups != 1]) & ~np.isnan(out[:, groups != 1])).any():
            raise AssertionError(f"{where}: a missing input makes another group's output missing")
        # equal inputs, equal outputs
        if "equal" not in skip_here:
            e = x.copy()
            e[:, 7] = e[:, 6]
            res = _call(fn, e, groups)
            if not np.allclose(res[:, 6], res[:, 7], equal_nan=True):
                raise AssertionError(f"{where}: two units with equal inputs in one group get different outputs")
