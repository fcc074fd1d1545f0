"""Typed hyperparameter domains: what values a trainable accepts for each hyperparameter.

Every trainable declares one per hyperparameter (``T: int 1..``, ``learning_rate: float > 0``,
``cell: gru|lstm``), and the spec is checked against them at submission: each ``fixed`` value,
and everything a search-space expression can produce. Messages name the value or the bound:
``values below 1 are outside latent_dim's domain (int >= 1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from tuner.core.spec.expressions import Expression, Reach

Kind = Literal["int", "float", "str", "bool", "date", "probabilities"]


@dataclass(frozen=True)
class Domain:
    kind: Kind
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself excluded (learning_rate > 0)
    values: tuple[Any, ...] | None = None  # the only values allowed (cell: gru|lstm)
    nullable: bool = False  # None allowed (train_start: no date means all the data)

    def describe(self) -> str:
        if self.values is not None:
            text = "|".join(str(v) for v in self.values)
        elif self.kind in ("int", "float") and (self.low is not None or self.high is not None):
            text = f"{self.kind} {_bounds(self)}"
        else:
            text = {
                "date": "a date (YYYY-MM-DD)",
                "probabilities": "a list of distinct numbers between 0 and 1",
            }.get(self.kind, self.kind)
        return f"{text} or null" if self.nullable else text

    def check_value(self, value: Any) -> str | None:
        """Why ``value`` is outside the domain, or None."""
        if value is None:
            return None if self.nullable else "null is not allowed"
        if self.values is not None:
            return None if value in self.values else f"{value!r} is not allowed"
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"{value!r} is not true or false"
        if self.kind == "str":
            return None if isinstance(value, str) else f"{value!r} is not a string"
        if self.kind == "date":
            return _date_problem(value)
        if self.kind == "probabilities":
            return _probabilities_problem(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number"
        if not math.isfinite(value):
            return f"{value!r} is not a finite number"
        if self.kind == "int" and not float(value).is_integer():
            return f"{value!r} is not a whole number"
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"{value!r} is {'at or ' if self.low_open else ''}below {self.low:g}"
        if self.high is not None and value > self.high:
            return f"{value!r} is above the largest allowed, {self.high:g}"
        return None

    def problem_with_value(self, name: str, value: Any) -> str | None:
        """The message for a ``fixed`` value outside the domain, or None."""
        reason = self.check_value(value)
        return None if reason is None else f"{reason}: outside {name}'s domain ({self.describe()})"

    def problem_with_expression(self, name: str, expression: Expression) -> str | None:
        """The message when some value the expression can produce is outside, or None."""
        reach = expression.reach()
        if reach.values is not None:
            for value in reach.values:
                problem = self.problem_with_value(name, value)
                if problem:
                    return problem
            return None
        if self.kind not in ("int", "float") or self.values is not None:
            return f"produces numbers; {name}'s domain is {self.describe()}: use choice"
        reason = _range_problem(self, reach)
        return None if reason is None else f"{reason} outside {name}'s domain ({self.describe()})"


def _range_problem(domain: Domain, reach: Reach) -> str | None:
    low, high = domain.low, domain.high
    if low is not None and (reach.low <= low if domain.low_open else reach.low < low):
        return f"values {'at or ' if domain.low_open else ''}below {low:g} are"
    if high is not None and reach.high > high:
        return f"values above {high:g} are"
    if domain.kind == "int" and not reach.integral:
        return "fractions (use randint, or quniform / qloguniform with a whole q) are"
    return None


def _bounds(domain: Domain) -> str:
    if domain.low is not None and domain.high is not None and not domain.low_open:
        return f"{domain.low:g}..{domain.high:g}"
    parts = []
    if domain.low is not None:
        parts.append(f"{'>' if domain.low_open else '>='} {domain.low:g}")
    if domain.high is not None:
        parts.append(f"<= {domain.high:g}")
    return ", ".join(parts)


def _probabilities_problem(value: Any) -> str | None:
    numbers = value if isinstance(value, list | tuple) else None
    if not numbers or any(isinstance(q, bool) or not isinstance(q, int | float) for q in numbers):
        return f"{value!r} is not a list of numbers"
    if any(not 0 < q < 1 for q in numbers) or len(set(numbers)) != len(numbers):
        return f"{value!r} has a number outside (0, 1) or a repeated one"
    return None


def _date_problem(value: Any) -> str | None:
    if isinstance(value, date):
        return None
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return f"{value!r} is not a date (YYYY-MM-DD)"
    return None


# The vocabulary trainables declare their domains with.
def integer(low: int | None = None, high: int | None = None) -> Domain:
    return Domain("int", low=low, high=high)


def real(low: float | None = None, high: float | None = None, *, low_open: bool = False) -> Domain:
    return Domain("float", low=low, high=high, low_open=low_open)


def one_of(*values: Any) -> Domain:
    return Domain("str", values=tuple(values))


def boolean() -> Domain:
    return Domain("bool")


def date_or_none() -> Domain:
    return Domain("date", nullable=True)


def probabilities() -> Domain:
    """Quantile levels: [0.1, 0.5, 0.9]."""
    return Domain("probabilities")
