"""Results a trainable leaves in its run folder beside its metrics, in files the service
serves: ``series.csv``, one row per series of a panel (its figures against its own baseline)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

SERIES_RESULTS = "series.csv"


def read_series_results(path: Path) -> list[dict[str, Any]]:
    """The rows of a ``series.csv``, numbers as numbers and empty cells as None."""
    with path.open(newline="") as handle:
        return [{k: _value(k, v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _value(name: str, text: str) -> Any:
    if name == "series" or text == "":
        return text or None
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else None
