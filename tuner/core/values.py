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
