"""An ensemble's forecast and its portable model, for any trainable whose runs forecast: the
weighted mean of its members' forecast rows, and the archive's layout (``ensemble.json``
naming each member's weight and folder, then each member's model files in its folder)."""

from __future__ import annotations

from typing import Any

ENSEMBLE = "ensemble.json"
KEYS = ("series", "timestamp", "horizon_step")  # what names a forecast row; the rest is mixed


def member_folder(number: int) -> str:
    return f"run-{number}"


def weighted_rows(forecasts: list[list[dict[str, Any]]], weights: list[float]) -> list[dict]:
    """Row by row, the ``weights``-weighted mean of every column but the row's name (series,
    timestamp, horizon step): the point forecast and each quantile. Every member must
    forecast the same rows with the same columns (ValueError naming the first difference)."""
    if not forecasts or len(forecasts) != len(weights):
        raise ValueError("give one weight for each member's forecast, and at least one")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError(f"the weights must sum to more than 0, got {total}")
    first = forecasts[0]
    for number, other in enumerate(forecasts[1:], start=2):
        if len(other) != len(first):
            raise ValueError(f"member {number} forecasts {len(other)} rows, member 1 {len(first)}")
    mixed = []
    for i, row in enumerate(first):
        name = {k: row[k] for k in KEYS if k in row}
        out = dict(name)
        for number, other in enumerate(forecasts, start=1):
            theirs = other[i]
            if {k: theirs.get(k) for k in name} != name or theirs.keys() != row.keys():
                raise ValueError(f"member {number}'s row {i + 1} is not member 1's: {theirs}")
        for column in row:
            if column not in name:
                out[column] = sum(
                    w * float(f[i][column]) for f, w in zip(forecasts, weights, strict=True)
                ) / total
        mixed.append(out)
    return mixed
