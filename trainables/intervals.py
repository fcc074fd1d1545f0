"""Prediction intervals by split conformal calibration on validation, and their scores
(DESIGN §6.6), as pure numpy functions.

For horizon step h, r_h are the validation residuals y − ŷ at that step (n of them). The
forecast's q-quantile is ŷ + Q_h(q), Q_h the empirical quantile of r_h at level
min(1, ⌈(n+1)q⌉/n) for q ≥ 0.5 and max(0, ⌊(n+1)q⌋/n) for q < 0.5: the finite-sample
correction that makes a central interval cover at least its nominal share of new values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

QUANTILES = (0.1, 0.5, 0.9)


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(q) for q in quantiles)
    if not values or any(not 0 < q < 1 for q in values) or len(set(values)) != len(values):
        raise ValueError(f"quantiles must be distinct numbers between 0 and 1, got {quantiles!r}")
    return tuple(sorted(values))


def conformal_level(q: float, n: int) -> float:
    """The level at which the residuals' empirical quantile is taken for quantile ``q``."""
    if q >= 0.5:
        return min(1.0, math.ceil((n + 1) * q) / n)
    return max(0.0, math.floor((n + 1) * q) / n)


def conformal_offsets(residuals: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """(quantiles, horizon): Q_h(q) of the residuals (n, horizon), per horizon step."""
    n = len(residuals)
    if n == 0:
        raise ValueError("no validation residuals to calibrate intervals on")
    return np.stack(
        [
            np.quantile(residuals, conformal_level(q, n), axis=0, method="inverted_cdf")
            for q in quantiles
        ]
    )


def quantile_forecasts(predicted: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, quantiles, horizon): each point forecast moved by each quantile's offset; the
    offsets are (quantiles, horizon), or (n, quantiles, horizon) per window (a panel)."""
    return predicted[:, None, :] + (offsets if offsets.ndim == 3 else offsets[None, :, :])


def pinball(q: float, actual: np.ndarray, forecast: np.ndarray) -> float:
    """The mean of max(q·(y − f), (q − 1)·(y − f)), as GEFCom2014 was scored."""
    error = actual - forecast
    return float(np.mean(np.maximum(q * error, (q - 1) * error)))


def coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """The share of actual values inside [low, high]."""
    return float(np.mean((actual >= low) & (actual <= high)))


def interval_scores(
    prefix: str, actual: np.ndarray, forecasts: np.ndarray, quantiles: Sequence[float]
) -> dict[str, float]:
    """``<prefix>pinball`` (the mean over quantiles) and ``<prefix>coverage_<lo>_<hi>`` of the
    outermost pair; ``forecasts`` is (n, quantiles, horizon)."""
    losses = [pinball(q, actual, forecasts[:, i, :]) for i, q in enumerate(quantiles)]
    scores = {f"{prefix}pinball": float(np.mean(losses))}
    if len(quantiles) >= 2 and quantiles[0] < 0.5 < quantiles[-1]:
        name = f"{prefix}coverage_{_percent(quantiles[0])}_{_percent(quantiles[-1])}"
        scores[name] = coverage(actual, forecasts[:, 0, :], forecasts[:, -1, :])
    return scores


def _percent(q: float) -> str:
    return f"{100 * q:g}".replace(".", "_")


def quantile_column(q: float) -> str:
    """``q10`` for 0.1, ``q2_5`` for 0.025: a quantile forecast's column."""
    return f"q{_percent(q)}"


def window_offsets(offsets: Any, windows: Any) -> np.ndarray:
    """The offsets each window's forecast gets: one (quantiles, horizon) array for a series,
    or a panel's per-series list picked by each window's series."""
    if isinstance(offsets, list):
        return np.stack(offsets)[windows.member]
    return np.asarray(offsets)
