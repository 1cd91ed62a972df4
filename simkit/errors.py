"""Problems found in input data or scenarios, and the exceptions that carry them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DataError", "EvaluationError", "Problem", "RuleInputError", "ScenarioError", "SimkitError"]


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, with where it is and how to fix it.

    ``row`` is 1-based and counts the header as row 1, as a spreadsheet shows it.
    """

    file: str
    message: str
    fix: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = self.message.strip()
        if where:
            text = f"{', '.join(where)}: {text}"
        fix = self.fix.strip()
        if fix:
            if text and text[-1] not in ".!?。！？":
                text += "."
            text += f" Fix: {fix}"
            if fix[-1] not in ".!?。！？":
                text += "."
        return text


class SimkitError(Exception):
    """An error that carries every problem found, so they can all be fixed at once."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem(s) found:"]
        lines.extend(f"- {p}" for p in self.problems)
        return "\n".join(lines)


class DataError(SimkitError):
    """The input data set (units, indicators, observations, ...) is invalid."""


class ScenarioError(SimkitError):
    """A scenario definition is invalid."""


class EvaluationError(SimkitError):
    """The scenario and the data are each valid, but a rule cannot be applied to these values."""


class RuleInputError(ValueError):
    """Raised inside a rule function: ``mask`` marks the offending cells so the engine can name them."""

    def __init__(self, message: str, fix: str, mask: object) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.mask = mask
