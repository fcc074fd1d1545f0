"""The one boundary where a reported metric value becomes a float, whatever reported it."""

from __future__ import annotations

import numbers
from typing import Any


def as_real(value: Any) -> float | None:
    """Any real number (Python's or numpy's, NaN and infinities included) as a float; None for
    anything else (a string, a bool, None, a container)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def as_number(value: Any) -> int | float | None:
    """A reported value for the record: integers (numpy's too) as int, other reals as float,
    None for anything that is not a real number."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return as_real(value)


def interval_value(name: str, value: Any) -> int | float | list[int | float | None] | None:
    """A value of an interval report: a number, None (nothing this time), or a list of numbers
    (one per trial-group member). Anything else raises ValueError naming the metric and type."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [None if v is None else _number(name, v) for v in value]
    return _number(name, value)


def _number(name: str, value: Any) -> int | float:
    number = as_number(value)
    if number is None:
        raise ValueError(
            f"metric {name!r} is {type(value).__name__} {str(value)[:60]!r}, not a number; "
            "report numbers only (any int or float, numpy's included)"
        )
    return number
