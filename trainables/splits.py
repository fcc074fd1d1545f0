"""How many steps each split of a data set holds, known at submission without reading it.

The trainables split a series the same way (``trainables/uploaded.py`` and
``trainables/windows.py``); this module answers only "how long", so that a spec whose input
window and horizon cannot fit is refused before it runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

DEFAULT_FRACTIONS = {"valid_fraction": 0.15, "test_fraction": 0.15}  # uploaded data sets


@dataclass(frozen=True)
class SeriesShape:
    """A regular series: where it starts, how many rows, the step between them, and its own
    split dates (None: split by the default fractions)."""

    start: datetime
    rows: int
    step_seconds: int
    valid_start: date | None = None
    test_start: date | None = None


# GEFCom2014 and its synthetic stand-in: hourly, 2012-01-01 .. 2014-12-31, the tutorial's split.
BUILTIN_SHAPES = {
    name: SeriesShape(datetime(2012, 1, 1), 26_304, 3600, date(2014, 9, 1), date(2014, 11, 1))
    for name in ("gefcom2014", "synthetic")
}


def split_rows(
    shape: SeriesShape, split: dict[str, object] | None, train_start: date | None = None
) -> dict[str, int]:
    """Rows in the train, validation and test periods (train from ``train_start`` if given)."""
    split = split or (
        {"valid_start": shape.valid_start, "test_start": shape.test_start}
        if shape.valid_start
        else DEFAULT_FRACTIONS
    )
    if split.get("valid_start") is not None:
        valid_at = _index(shape, split["valid_start"])
        test_at = _index(shape, split["test_start"])
    else:
        n = shape.rows
        test_at = n - round(n * float(split["test_fraction"]))  # type: ignore[arg-type]
        valid_at = test_at - round(n * float(split["valid_fraction"]))  # type: ignore[arg-type]
    first = _index(shape, train_start) if train_start is not None else 0
    return {
        "train": max(0, valid_at - first),
        "validation": max(0, test_at - valid_at),
        "test": max(0, shape.rows - test_at),
    }


def _index(shape: SeriesShape, when: object) -> int:
    """The first row at or after ``when`` (a date or datetime), as numpy's searchsorted."""
    moment = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
    steps = (moment - shape.start).total_seconds() / shape.step_seconds
    return min(shape.rows, max(0, math.ceil(steps)))
