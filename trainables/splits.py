"""How many steps each split of a data set holds, known at submission without reading it.

The trainables split a series the same way (``trainables/uploaded.py`` and
``trainables/windows.py``); this module answers only "how long", so that a spec whose input
window and horizon cannot fit is refused before it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from tuner.core.frequency import grid

DEFAULT_FRACTIONS = {"valid_fraction": 0.15, "test_fraction": 0.15}  # uploaded data sets


@dataclass(frozen=True)
class SeriesShape:
    """A regular series: where it starts, how many rows, its calendar frequency, and its own
    split dates (None: split by the default fractions)."""

    start: datetime
    rows: int
    frequency: str = "h"
    valid_start: date | None = None
    test_start: date | None = None
    name: str | None = None  # a panel's series id


# GEFCom2014 and its synthetic stand-in: hourly, 2012-01-01 .. 2014-12-31, the tutorial's split.
BUILTIN_SHAPES = {
    name: SeriesShape(datetime(2012, 1, 1), 26_304, "h", date(2014, 9, 1), date(2014, 11, 1))
    for name in ("gefcom2014", "synthetic")
}


def default_boundaries(rows: int, room: int = 0) -> tuple[int, int]:
    """The default split's first validation and test rows: 15 % each, but never less than
    ``room`` rows (the largest T + horizon), so that a short series still gets a window in
    each period wherever its training period can hold one too."""
    held = max(round(rows * DEFAULT_FRACTIONS["test_fraction"]), room)
    if rows - 2 * held < room:
        held = round(rows * DEFAULT_FRACTIONS["test_fraction"])  # too short: refused by the check
    return rows - 2 * held, rows - held


def fraction_boundaries(rows: int, split: dict[str, object]) -> tuple[int, int]:
    test_at = rows - round(rows * float(split["test_fraction"]))  # type: ignore[arg-type]
    return test_at - round(rows * float(split["valid_fraction"])), test_at  # type: ignore[arg-type]


def split_rows(
    shape: SeriesShape,
    split: dict[str, object] | None,
    train_start: date | None = None,
    room: int = 0,
) -> dict[str, int]:
    """Rows in the train, validation and test periods (train from ``train_start`` if given);
    ``room``: the largest T + horizon, which the default split of a short series makes room
    for (:func:`default_boundaries`)."""
    if split is None and shape.valid_start:
        split = {"valid_start": shape.valid_start, "test_start": shape.test_start}
    if split is None:
        valid_at, test_at = default_boundaries(shape.rows, room)
    elif split.get("valid_start") is not None:
        valid_at = _index(shape, split["valid_start"])
        test_at = _index(shape, split["test_start"])
    else:
        valid_at, test_at = fraction_boundaries(shape.rows, split)
    first = _index(shape, train_start) if train_start is not None else 0
    return {
        "train": max(0, valid_at - first),
        "validation": max(0, test_at - valid_at),
        "test": max(0, shape.rows - test_at),
    }


def _index(shape: SeriesShape, when: object) -> int:
    """The first row at or after ``when`` (a date or datetime), on the series' calendar."""
    moment = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
    stamps = grid(shape.start, shape.rows, shape.frequency).to_numpy(dtype="datetime64[s]")
    return int(np.searchsorted(stamps, np.datetime64(moment, "s")))
